"""PFMP de démonstration pour les candidats de la démo d'examens (session 2026) : idempotent, déterministe.

Chaque voie de l'Annexe III est représentée ; environ un candidat sur quatre est « à risque » (attestation
manquante ou non signée, semaines insuffisantes, certificats trop courts), les autres sont conformes.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from stdnum import luhn

from examens.models import Candidat, Session
from pfmp import services
from pfmp.models import Convention, Niveau, Organisation
from referentiel.models import Activite, Competence

J = datetime.date


def siret(siren8: str, nic4: str) -> str:
    """SIRET valide : SIREN (8 chiffres + clé de Luhn) puis NIC (4 chiffres + clé de Luhn sur les 14)."""
    siren = siren8 + luhn.calc_check_digit(siren8)
    return siren + nic4 + luhn.calc_check_digit(siren + nic4)


ORGANISATIONS = [
    # nom, siren (8 chiffres), ville, code postal, secteur, domaine
    ("Cabinet Dupuis expertise comptable", "41234567", "Paris", "75011", "prive", "expertise comptable"),
    ("Mairie annexe du 19e", "21750001", "Paris", "75019", "public", "collectivité territoriale"),
    ("Bureautique Services SARL", "52345678", "Saint-Denis", "93200", "prive", "services aux entreprises"),
    ("Association Solidarité Quartiers", "78945612", "Aubervilliers", "93300", "associatif", "action sociale"),
    ("Transports Martin et fils", "39876543", "Pantin", "93500", "prive", "transport de marchandises"),
    ("Clinique des Lilas, service administratif", "44455566", "Les Lilas", "93260", "prive", "santé"),
]
ETRANGERES = [
    ("Oficina Gestión Barcelona SL", "ES", "Barcelona"),
    ("Verwaltung Müller GmbH", "DE", "Berlin"),
    ("London Office Services Ltd", "GB", "London"),
]
TUTEURS = [
    ("BERNARD", "Sophie", "assistante de direction"),
    ("NGUYEN", "Paul", "responsable administratif"),
    ("GARCIA", "Inès", "gestionnaire RH"),
    ("LEMOINE", "Marc", "comptable"),
]

# Parcours scolaire de 22 semaines : 6 (1re année) + 8 (2e) + 8 (3e).
PERIODES_SCOLAIRES = [
    (J(2024, 1, 8), J(2024, 2, 16), Decimal(6)),
    (J(2025, 1, 6), J(2025, 2, 28), Decimal(8)),
    (J(2025, 11, 3), J(2025, 12, 26), Decimal(8)),
]
PERIODES_FPC = [
    (J(2025, 9, 8), J(2025, 10, 31), Decimal(8)),
    (J(2025, 11, 17), J(2026, 1, 9), Decimal(8)),
    (J(2026, 2, 2), J(2026, 3, 13), Decimal(6)),
]
# Variantes des scolaires, tour à tour : la plupart conformes, une sur quatre à risque.
VARIANTES = ["conforme", "mobilite", "non_signee", "conforme", "manquante", "conforme", "court", "positionne"]


def _organisations() -> tuple[list[Organisation], dict[str, Organisation]]:
    francaises = []
    for i, (nom, siren, ville, cp, secteur, activite) in enumerate(ORGANISATIONS):
        siret_org = siret(siren, f"{i + 1:04d}")
        o, _ = Organisation.objects.get_or_create(
            siret=siret_org,
            defaults={
                "nom": nom,
                "ville": ville,
                "code_postal": cp,
                "adresse": f"{10 + i} rue de la République",
                "secteur": secteur,
                "activite": activite,
            },
        )
        francaises.append(o)
    etrangeres = {}
    for nom, pays, ville in ETRANGERES:
        o, _ = Organisation.objects.get_or_create(nom=nom, pays=pays, siret="", defaults={"ville": ville})
        etrangeres[pays] = o
    return francaises, etrangeres


@transaction.atomic
def charger_demo_pfmp(annee: int = 2026) -> dict:
    """Périodes, attestations, certificats et évaluations des candidats de démonstration, puis les blocages."""
    session = Session.objects.filter(annee=annee).first()
    if session is None or session.verrouillee:
        return {}  # rien à compléter : pas de session, ou délibération verrouillée
    if not Convention.objects.filter(candidat__session=session).exists():
        _charger(session)
    return services.synchroniser_session(session=session)


@dataclass
class _Contexte:
    francaises: list[Organisation]
    etrangeres: dict[str, Organisation]
    activites: list[Activite]
    competences: list[Competence]


NIVEAUX = [Niveau.S, Niveau.TS, Niveau.S, Niveau.I, Niveau.S, Niveau.TS, Niveau.S, Niveau.I, Niveau.S, Niveau.TI]


def _charger(session: Session) -> None:
    francaises, etrangeres = _organisations()
    referentiel = session.reglement.referentiel
    ctx = _Contexte(
        francaises,
        etrangeres,
        list(Activite.objects.filter(pole__referentiel=referentiel).order_by("code")),
        list(Competence.objects.filter(bloc__referentiel=referentiel, bloc__type="professionnel")),
    )
    candidats = (
        Candidat.objects.filter(session=session, numero__startswith="0260")
        .select_related("division", "etablissement", "session")
        .prefetch_related("division__enseignants")
        .order_by("numero")
    )
    for rang, candidat in enumerate(candidats):
        _candidat(candidat, rang, ctx)


def _periode(candidat, rang, ctx, debut, fin, semaines, organisation, *, attestees, signee=True, evaluer=False):
    referent = next(iter(candidat.division.enseignants.all()), None) if candidat.division else None
    nom, prenom, fonction = TUTEURS[rang % len(TUTEURS)]
    p = services.enregistrer_periode(
        candidat=candidat,
        organisation=organisation,
        date_debut=debut,
        date_fin=fin,
        semaines=semaines,
        referent=referent,
        etat_convention=Convention.Etat.SIGNEE,
        date_signature=debut - datetime.timedelta(days=21),
        tuteur_nom=nom,
        tuteur_prenom=prenom,
        tuteur_fonction=fonction,
        auteur=None,
    )
    faites = ctx.activites[(rang + (p.annee_cycle or 0)) % 3 :: 3]
    if attestees is not None:
        services.enregistrer_attestation(
            periode=p,
            semaines=attestees,
            signee=signee,
            date_signature=fin if signee else None,
            activites=faites,
            auteur=None,
        )
    if evaluer:
        services.enregistrer_evaluation(
            periode=p,
            date_visite=fin - datetime.timedelta(days=4),
            tuteur=f"{prenom} {nom}",
            activites=faites,
            niveaux={c.pk: NIVEAUX[(c.pk + rang) % len(NIVEAUX)] for c in ctx.competences},
            appreciation="Élève ponctuel et investi ; à encourager dans la prise d'initiative.",
            auteur=None,
        )


def _candidat(candidat: Candidat, rang: int, ctx: _Contexte) -> None:
    statut = candidat.statut
    francaises = ctx.francaises
    if statut.startswith("apprenti"):
        return  # formés sous contrat d'apprentissage (Annexe III, II.2) : rien à saisir
    if statut == "fpc_prive":
        # Perfectionnement (II.3.2) : certificats de travail, un sur deux trop court.
        services.definir_dossier(candidat=candidat, voie="fpc_perfectionnement", auteur=None)
        suffisant = rang % 4 == 1
        employeur = francaises[rang % len(francaises)]
        services.enregistrer_certificat(
            candidat=candidat,
            employeur=employeur.nom,
            siret=employeur.siret,
            emploi="employé administratif",
            quotite="temps_plein" if suffisant else "temps_partiel",
            date_debut=J(2025, 6, 1) if suffisant else J(2025, 1, 6),
            date_fin=J(2026, 1, 31) if suffisant else J(2025, 9, 30),
            activites=ctx.activites[:4],
            auteur=None,
        )
        return
    if statut == "experience_3_ans":
        # Trois années d'expérience (II.4) : certificats, 36 mois pour l'un, 30 pour l'autre.
        employeur = francaises[rang % len(francaises)]
        services.enregistrer_certificat(
            candidat=candidat,
            employeur=employeur.nom,
            siret=employeur.siret,
            emploi="secrétaire administratif",
            quotite="temps_plein",
            date_debut=J(2022, 9, 1) if rang % 2 else J(2023, 3, 1),
            date_fin=J(2025, 8, 31),
            activites=ctx.activites,
            auteur=None,
        )
        return
    if statut.startswith("fpc_"):
        # Première formation (II.3.1) : 22 semaines attestées ; une sur deux attend une signature.
        for i, (debut, fin, semaines) in enumerate(PERIODES_FPC):
            organisation = francaises[(rang + i) % len(francaises)]
            signee = not (i == 2 and rang % 4 == 1)
            _periode(candidat, rang, ctx, debut, fin, semaines, organisation, attestees=semaines, signee=signee)
        return
    if statut == "enseignement_distance":
        variante = "manquante" if rang % 4 == 1 else "conforme"
    else:
        variante = VARIANTES[(rang // 2) % len(VARIANTES)]
    plan = list(PERIODES_SCOLAIRES)
    if variante == "positionne":
        services.definir_dossier(
            candidat=candidat,
            voie="",
            semaines_positionnement=Decimal(14),
            date_positionnement=J(2024, 6, 28),
            auteur=None,
        )
        plan = plan[1:]  # entré en 2e année : 8 + 8 = 16 ≥ 14
    evaluer = candidat.division is not None and candidat.division.nom == "TAGO1"
    for i, (debut, fin, semaines) in enumerate(plan):
        derniere = i == len(plan) - 1
        organisation = francaises[(rang + i) % len(francaises)]
        if variante == "mobilite" and i == 1:
            organisation = ctx.etrangeres["ES" if rang % 4 == 2 else "DE"]
        elif variante == "conforme" and i == 1 and rang % 5 == 0:
            organisation = ctx.etrangeres["GB"]  # hors UE/EEE/AELE : pas d'unité de mobilité
        if variante == "court" and i == 1:
            attestees = Decimal(6)  # deux semaines d'absence : 20 sur 22
        elif variante == "manquante" and derniere:
            attestees = None
        else:
            attestees = semaines
        _periode(
            candidat,
            rang,
            ctx,
            debut,
            fin,
            semaines,
            organisation,
            attestees=attestees,
            signee=not (variante == "non_signee" and derniere),
            evaluer=evaluer and i < 2,
        )
