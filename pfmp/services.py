"""Écritures PFMP : organisations, périodes (avec leur convention), attestations, certificats, dossier, évaluations.

Chaque écriture qui peut changer la conformité d'un candidat la recalcule aussitôt (`recalculer`) et pousse
l'effet vers l'examen par les seuls services d'examens : le blocage « justificatifs PFMP manquants » et
l'éligibilité à l'unité de mobilité. Les attestations, certificats et décisions laissent une ligne au journal.

Longueur : toutes les écritures PFMP qui changent la conformité, chacune suivie du même recalcul.
"""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from agora.format import nombre
from examens import services as examens_services
from examens.models import Blocage, Candidat, Session
from pfmp import regles_pfmp, selectors
from pfmp.models import (
    AppreciationCompetence,
    Attestation,
    CertificatTravail,
    Convention,
    DossierPfmp,
    Evaluation,
    Organisation,
    Periode,
    Tuteur,
)
from referentiel.models import Activite

# Le motif du blocage : regles_pfmp.motif_blocage (« PFMP : 8 semaines manquantes »), commençant toujours ainsi.
MOTIF_PREFIXE = regles_pfmp.MOTIF_PREFIXE
SOURCE = "pfmp"

OperationRefusee = examens_services.OperationRefusee


def _session_ouverte(candidat: Candidat) -> None:
    """Après le verrouillage de la délibération, plus rien ne change la conformité d'un candidat."""
    session = Session.objects.select_for_update().get(pk=candidat.session_id)
    examens_services.verifier_session_ouverte(session, [candidat], examens_services.PFMP)


def raison_verrou(candidat: Candidat) -> str | None:
    """Pourquoi le dossier PFMP de ce candidat est en lecture seule (None s'il est ouvert) : la règle et le
    message de `_session_ouverte`, que les formulaires montrent avant l'envoi."""
    return examens_services.raison_verrou(candidat, examens_services.PFMP)


def recalculer(*, candidat: Candidat, aujourd_hui: datetime.date | None = None) -> regles_pfmp.Conformite:
    """Recalcule la conformité et l'applique à l'examen (blocage, mobilité). Idempotent."""
    evalue = recalculer_candidats([candidat.pk], aujourd_hui=aujourd_hui)[candidat.pk]
    candidat.mobilite_eligible = (
        evalue.conformite.mobilite_eligible if evalue.mobilite_suivie else evalue.mobilite_eligible
    )
    return evalue.conformite


def recalculer_candidats(ids, *, aujourd_hui: datetime.date | None = None) -> dict[int, selectors.Evalue]:
    """Conformité de ces candidats calculée en masse (`selectors.conformites`), appliquée à l'examen et gardée
    dans `EtatConformite` ; un nombre fixe de requêtes quel que soit leur nombre.

    Appelée par chaque écriture PFMP et, par le crochet `examens.services.APRES_ECRITURE_CANDIDATS`, par chaque
    création ou modification de candidats (formulaire, import) : un candidat a un état de conformité (et son
    blocage) dès qu'il existe, sans étape « Recalculer ». L'appelant tient la session verrouillée et ouverte.
    """
    aujourd_hui = aujourd_hui or timezone.localdate()
    evalues = selectors.conformites_de(ids, aujourd_hui)
    appliquer_en_masse(evalues, aujourd_hui=aujourd_hui)
    return evalues


def appliquer(*, candidat: Candidat, conformite: regles_pfmp.Conformite) -> None:
    """Le chemin candidat par candidat (référence des tests) : blocage et mobilité d'un candidat."""
    examens_services.definir_blocage(candidat=candidat, source=SOURCE, motif=regles_pfmp.motif_blocage(conformite))
    if _mobilite_suivie(candidat):
        examens_services.definir_mobilite_eligible(candidat=candidat, eligible=conformite.mobilite_eligible)


def appliquer_en_masse(evalues: dict[int, selectors.Evalue], *, aujourd_hui: datetime.date) -> set[int]:
    """Pousse vers l'examen les seuls blocages et mobilités qui changent (par `definir_blocages`, qui recalcule
    les résultats touchés), enregistre l'état de conformité de chaque candidat ; renvoie les candidats dont le
    blocage ou la mobilité a changé (leur résultat est recalculé)."""
    if not evalues:
        return set()
    actuels = dict(
        Blocage.objects.filter(candidat_id__in=list(evalues), source=SOURCE).values_list("candidat_id", "motif")
    )
    motifs: dict[int, str | None] = {}
    eligibles: dict[int, bool] = {}
    for pk, e in evalues.items():
        motif = regles_pfmp.motif_blocage(e.conformite)
        if actuels.get(pk) != motif:
            motifs[pk] = motif
        if e.mobilite_suivie and e.mobilite_eligible != e.conformite.mobilite_eligible:
            eligibles[pk] = e.conformite.mobilite_eligible
    if motifs or eligibles:
        examens_services.definir_blocages(source=SOURCE, motifs=motifs, mobilites=eligibles)
    enregistrer_etats(evalues, aujourd_hui=aujourd_hui)
    return {*motifs, *eligibles}


COLONNES_ETAT = (
    "candidat_id, niveau, voie, semaines_requises, semaines_attestees, semaines_manquantes, motif, calcule_le, "
    "revoir_le"
)


def enregistrer_etats(evalues: dict[int, selectors.Evalue], *, aujourd_hui: datetime.date) -> None:
    """Écrit `EtatConformite` par COPY puis INSERT … ON CONFLICT : 25 000 lignes en une fraction de seconde."""
    with connection.cursor() as curseur:
        curseur.execute(
            "CREATE TEMP TABLE etats_pfmp_a_ecrire (LIKE pfmp_etatconformite INCLUDING DEFAULTS) ON COMMIT DROP"
        )
        with curseur.cursor.copy(f"COPY etats_pfmp_a_ecrire ({COLONNES_ETAT}) FROM STDIN") as copie:
            for pk, e in evalues.items():
                c = e.conformite
                copie.write_row(
                    (
                        pk,
                        c.niveau.value,
                        c.exigence.voie.value,
                        c.exigence.semaines,
                        c.semaines_attestees,
                        c.semaines_manquantes,
                        c.motifs[0] if c.motifs else "",
                        aujourd_hui,
                        e.revoir_le,
                    )
                )
        mises_a_jour = ", ".join(f"{col} = EXCLUDED.{col}" for col in COLONNES_ETAT.split(", ")[1:])
        curseur.execute(
            f"INSERT INTO pfmp_etatconformite ({COLONNES_ETAT}) SELECT {COLONNES_ETAT} FROM etats_pfmp_a_ecrire "
            f"ON CONFLICT (candidat_id) DO UPDATE SET {mises_a_jour}"
        )
        curseur.execute("DROP TABLE etats_pfmp_a_ecrire")


def apres_ecriture_candidats(ids: list[int]) -> set[int]:
    """Crochet inscrit dans `examens.services.APRES_ECRITURE_CANDIDATS` (voir `pfmp.apps`) ; renvoie les candidats
    dont le résultat vient d'être recalculé (blocage ou mobilité changé)."""
    aujourd_hui = timezone.localdate()
    return appliquer_en_masse(selectors.conformites_de(ids, aujourd_hui), aujourd_hui=aujourd_hui)


def _mobilite_suivie(candidat: Candidat) -> bool:
    """La mobilité s'écrit dès que le candidat a une période, a choisi l'unité de mobilité ou a déjà une valeur
    (lit les conventions et périodes préchargées). None reste « inconnu » tant qu'aucune période n'est saisie, sauf
    pour qui a choisi l'unité de mobilité : sans période attestée dans l'UE, l'EEE ou l'AELE, elle ne compte pas."""
    return (
        any(c.periodes.all() for c in candidat.pfmp_conventions.all())
        or "MOBILITE" in (candidat.facultative1, candidat.facultative2)
        or candidat.mobilite_eligible is not None
    )


@transaction.atomic
def synchroniser_session(
    *, session: Session, candidats=None, auteur=None, aujourd_hui: datetime.date | None = None
) -> dict:
    """Recalcule les candidats d'une session ; renvoie les comptes par niveau et `blocages_changes`.

    Chaque écriture tient déjà la conformité à jour : ce recalcul est un contrôle d'exploitant (bouton, commande
    `bilan_pfmp --appliquer`, génération de données écrites en masse). `candidats` restreint le calcul (le
    périmètre d'un gestionnaire) ; sans lui, toute la session. Un nombre fixe de requêtes, ≈ 2 s pour 25 000.
    """
    session = Session.objects.select_for_update().get(pk=session.pk)
    examens_services.verifier_session_ouverte(session, objet=examens_services.PFMP)
    # Les candidats d'un jury verrouillé gardent leur conformité figée : seuls les autres sont recalculés.
    perimetre = (candidats if candidats is not None else Candidat.objects).filter(session=session).ouverts()
    aujourd_hui = aujourd_hui or timezone.localdate()
    evalues = selectors.conformites(perimetre, aujourd_hui)
    changes = appliquer_en_masse(evalues, aujourd_hui=aujourd_hui)
    compte = {n.value: 0 for n in regles_pfmp.Niveau}
    for e in evalues.values():
        compte[e.conformite.niveau.value] += 1
    compte["blocages_changes"] = len(changes)
    examens_services.journaliser(action="pfmp.synchronisation", auteur=auteur, session=session, apres=compte)
    return compte


@transaction.atomic
def rafraichir_perimes(*, aujourd_hui: datetime.date | None = None) -> int:
    """Recalcule les états dont le niveau a pu changer avec la date (`revoir_le` atteint) ou qui manquent ;
    tâche quotidienne. Le blocage ne dépend pas de la date : rien ne change côté examen, même verrouillé."""
    aujourd_hui = aujourd_hui or timezone.localdate()
    perimes = Candidat.objects.ouverts().filter(Q(etat_pfmp__isnull=True) | Q(etat_pfmp__revoir_le__lte=aujourd_hui))
    evalues = selectors.conformites(perimes, aujourd_hui)
    appliquer_en_masse(evalues, aujourd_hui=aujourd_hui)
    return len(evalues)


# ---------------------------------------------------------------------------------------------------
# Organisations d'accueil
# ---------------------------------------------------------------------------------------------------


def creer_organisation(
    *,
    nom: str,
    siret: str = "",
    adresse: str = "",
    code_postal: str = "",
    ville: str = "",
    pays: str = "FR",
    secteur: str = Organisation.Secteur.PRIVE,
    activite: str = "",
) -> Organisation:
    organisation = Organisation(
        nom=nom.strip(),
        siret=siret.replace(" ", ""),
        adresse=adresse.strip(),
        code_postal=code_postal.strip(),
        ville=ville.strip(),
        pays=pays,
        secteur=secteur,
        activite=activite.strip(),
    )
    organisation.full_clean()
    organisation.save()
    return organisation


def _tuteur(organisation: Organisation, nom: str, prenom: str, fonction: str, email: str) -> Tuteur | None:
    """Le tuteur de cette organisation portant ce nom (créé au besoin) ; None sans nom."""
    if not nom.strip():
        return None
    tuteur, cree = Tuteur.objects.get_or_create(
        organisation=organisation,
        nom__iexact=nom.strip(),
        prenom__iexact=prenom.strip(),
        defaults={"nom": nom.strip(), "prenom": prenom.strip(), "fonction": fonction.strip(), "email": email.strip()},
    )
    if not cree and (fonction.strip() or email.strip()):
        tuteur.fonction = fonction.strip() or tuteur.fonction
        tuteur.email = email.strip() or tuteur.email
        tuteur.save(update_fields=["fonction", "email"])
    return tuteur


# ---------------------------------------------------------------------------------------------------
# Périodes
# ---------------------------------------------------------------------------------------------------


def chevauchement(candidat: Candidat, debut: datetime.date, fin: datetime.date, sauf: Periode | None = None):
    """Période du candidat qui chevauche [debut, fin], ou None (un élève n'est pas à deux endroits)."""
    qs = Periode.objects.filter(convention__candidat=candidat, date_debut__lte=fin, date_fin__gte=debut).exclude(
        convention__etat=Convention.Etat.RESILIEE
    )
    if sauf is not None:
        qs = qs.exclude(pk=sauf.pk)
    return qs.select_related("convention__organisation").first()


@transaction.atomic
def enregistrer_periode(
    *,
    candidat: Candidat,
    organisation: Organisation,
    date_debut: datetime.date,
    date_fin: datetime.date,
    semaines: Decimal,
    auteur,
    pays: str | None = None,
    annee_cycle: int | None = None,
    referent=None,
    etat_convention: str = Convention.Etat.A_SIGNER,
    date_signature: datetime.date | None = None,
    tuteur_nom: str = "",
    tuteur_prenom: str = "",
    tuteur_fonction: str = "",
    tuteur_email: str = "",
) -> Periode:
    """Une période de PFMP et sa convention (une convention par période quand on saisit à l'écran)."""
    _session_ouverte(candidat)
    if date_fin < date_debut:
        raise OperationRefusee("La fin de la période précède son début.")
    if semaines <= 0 or semaines > regles_pfmp.semaines_calendaires(date_debut, date_fin):
        raise OperationRefusee(
            f"{semaines} semaines : entre 0 et {regles_pfmp.semaines_calendaires(date_debut, date_fin)} "
            "(semaines civiles de la période)."
        )
    if autre := chevauchement(candidat, date_debut, date_fin):
        raise OperationRefusee(
            f"Cette période chevauche celle du {autre.date_debut:%d/%m/%Y} au {autre.date_fin:%d/%m/%Y} "
            f"({autre.convention.organisation.nom})."
        )
    if annee_cycle is None:
        annee_cycle = regles_pfmp.annee_du_cycle(
            date_debut, session=candidat.session.annee, duree_cycle=candidat.duree_cycle
        )
    convention = Convention.objects.create(
        candidat=candidat,
        organisation=organisation,
        tuteur=_tuteur(organisation, tuteur_nom, tuteur_prenom, tuteur_fonction, tuteur_email),
        referent=referent,
        date_debut=date_debut,
        date_fin=date_fin,
        etat=etat_convention,
        date_signature=date_signature if etat_convention == Convention.Etat.SIGNEE else None,
    )
    periode = Periode.objects.create(
        convention=convention,
        date_debut=date_debut,
        date_fin=date_fin,
        annee_cycle=annee_cycle,
        semaines=semaines,
        pays=pays or organisation.pays,
    )
    examens_services.journaliser(
        action="pfmp.periode.creation",
        auteur=auteur,
        candidat=candidat,
        objet=f"période {periode.pk}",
        apres=_periode_json(periode),
    )
    recalculer(candidat=candidat)
    return periode


@transaction.atomic
def modifier_convention(*, convention: Convention, etat: str, date_signature: datetime.date | None, auteur) -> None:
    _session_ouverte(convention.candidat)
    avant = {"etat": convention.etat, "date_signature": _date(convention.date_signature)}
    convention.etat = etat
    convention.date_signature = date_signature if etat == Convention.Etat.SIGNEE else None
    convention.save(update_fields=["etat", "date_signature"])
    examens_services.journaliser(
        action="pfmp.convention.signature",
        auteur=auteur,
        candidat=convention.candidat,
        objet=f"convention {convention.pk}",
        avant=avant,
        apres={"etat": convention.etat, "date_signature": _date(convention.date_signature)},
    )
    recalculer(candidat=convention.candidat)


@transaction.atomic
def supprimer_periode(*, periode: Periode, auteur) -> None:
    """Une période saisie par erreur, tant qu'aucune attestation ne la couvre."""
    candidat = periode.convention.candidat
    _session_ouverte(candidat)
    if periode.attestations.exists():
        raise OperationRefusee("Cette période a une attestation : elle ne se supprime pas.")
    avant = _periode_json(periode)
    convention = periode.convention
    periode.delete()
    if not convention.periodes.exists():
        convention.delete()
    examens_services.journaliser(
        action="pfmp.periode.suppression", auteur=auteur, candidat=candidat, objet=f"période {avant['id']}", avant=avant
    )
    recalculer(candidat=candidat)


def _date(valeur: datetime.date | None) -> str | None:
    return valeur.isoformat() if valeur else None


def _periode_json(periode: Periode) -> dict:
    return {
        "id": periode.pk,
        "organisation": periode.convention.organisation.nom,
        "siret": periode.convention.organisation.siret,
        "debut": _date(periode.date_debut),
        "fin": _date(periode.date_fin),
        "semaines": str(periode.semaines),
        "pays": periode.pays,
        "annee_cycle": periode.annee_cycle,
    }


# ---------------------------------------------------------------------------------------------------
# Attestations
# ---------------------------------------------------------------------------------------------------


def _attestation_json(a: Attestation | None) -> dict | None:
    if a is None:
        return None
    return {
        "numero": a.numero,
        "debut": _date(a.date_debut),
        "fin": _date(a.date_fin),
        "semaines": str(a.semaines),
        "signee": a.signee,
        "date_signature": _date(a.date_signature),
        "signataire": a.signataire,
        "activites": [x["code"] for x in a.activites],
    }


@transaction.atomic
def enregistrer_attestation(
    *,
    periode: Periode,
    semaines: Decimal,
    signee: bool,
    auteur,
    date_debut: datetime.date | None = None,
    date_fin: datetime.date | None = None,
    date_signature: datetime.date | None = None,
    signataire: str = "",
    activites: Iterable[Activite] = (),
    observations: str = "",
) -> tuple[Attestation, regles_pfmp.Conformite]:
    """Enregistre ce que le tuteur a signé à l'issue de la période (Annexe III, II.1) : un nouvel instantané.

    S'il existait une attestation en vigueur, la nouvelle la remplace (elle reste, consultable). Renvoie
    l'attestation et la conformité recalculée du candidat.
    """
    periode = Periode.objects.select_related(
        "convention__candidat__etablissement",
        "convention__candidat__session",
        "convention__organisation",
        "convention__tuteur",
    ).get(pk=periode.pk)
    convention, candidat = periode.convention, periode.convention.candidat
    _session_ouverte(candidat)
    date_debut, date_fin = date_debut or periode.date_debut, date_fin or periode.date_fin
    if date_fin < date_debut:
        raise OperationRefusee("La fin de la période précède son début.")
    plafond = regles_pfmp.semaines_calendaires(date_debut, date_fin)
    if semaines <= 0 or semaines > plafond:
        raise OperationRefusee(
            f"{semaines} semaines : entre 0 et {plafond} pour des dates du {date_debut:%d/%m/%Y} "
            f"au {date_fin:%d/%m/%Y}."
        )
    if signee and date_signature is None:
        date_signature = timezone.localdate()
    if date_signature and date_signature < date_debut:
        raise OperationRefusee("L'attestation se signe à l'issue de la période, pas avant son début.")
    precedente = Attestation.objects.select_for_update().filter(periode=periode, en_vigueur=True).first()
    if precedente:
        precedente.en_vigueur = False
        precedente.save(update_fields=["en_vigueur"])
    organisation, tuteur = convention.organisation, convention.tuteur
    attestation = Attestation.objects.create(
        periode=periode,
        remplace=precedente,
        signee=signee,
        date_signature=date_signature if signee else None,
        signataire=signataire.strip() or (str(tuteur) if tuteur else ""),
        candidat_numero=candidat.numero,
        candidat_nom=candidat.nom,
        candidat_prenom=candidat.prenom,
        etablissement=f"{candidat.etablissement.nom} ({candidat.etablissement.uai})",
        organisation_nom=organisation.nom,
        organisation_siret=organisation.siret,
        organisation_adresse=organisation.adresse_complete,
        pays=periode.pays,
        tuteur=str(tuteur) if tuteur else "",
        tuteur_fonction=tuteur.fonction if tuteur else "",
        date_debut=date_debut,
        date_fin=date_fin,
        semaines=semaines,
        activites=[{"code": a.code, "intitule": a.intitule} for a in sorted(activites, key=lambda a: a.code)],
        observations=observations.strip(),
        saisie_par=auteur,
    )
    examens_services.journaliser(
        action="pfmp.attestation.modification" if precedente else "pfmp.attestation.creation",
        auteur=auteur,
        candidat=candidat,
        objet=attestation.numero,
        avant=_attestation_json(precedente),
        apres=_attestation_json(attestation),
    )
    return attestation, recalculer(candidat=candidat)


# ---------------------------------------------------------------------------------------------------
# Certificats de travail, dossier (voie, positionnement)
# ---------------------------------------------------------------------------------------------------


@transaction.atomic
def enregistrer_certificat(
    *,
    candidat: Candidat,
    employeur: str,
    emploi: str,
    quotite: str,
    date_debut: datetime.date,
    date_fin: datetime.date,
    auteur,
    siret: str = "",
    activites: Iterable[Activite] = (),
) -> CertificatTravail:
    _session_ouverte(candidat)
    certificat = CertificatTravail(
        candidat=candidat,
        employeur=employeur.strip(),
        siret=siret.replace(" ", ""),
        emploi=emploi.strip(),
        quotite=quotite,
        date_debut=date_debut,
        date_fin=date_fin,
        saisi_par=auteur,
    )
    certificat.full_clean(exclude=["candidat"])
    if date_fin < date_debut:
        raise OperationRefusee("La fin de l'emploi précède son début.")
    certificat.save()
    activites = list(activites)
    certificat.activites.set(activites)
    examens_services.journaliser(
        action="pfmp.certificat.creation",
        auteur=auteur,
        candidat=candidat,
        objet=f"certificat {certificat.pk}",
        apres={
            "employeur": certificat.employeur,
            "emploi": certificat.emploi,
            "quotite": quotite,
            "debut": _date(date_debut),
            "fin": _date(date_fin),
            "activites": sorted(a.code for a in activites),
        },
    )
    recalculer(candidat=candidat)
    return certificat


@transaction.atomic
def supprimer_certificat(*, certificat: CertificatTravail, auteur) -> None:
    candidat = certificat.candidat
    _session_ouverte(candidat)
    avant = {
        "employeur": certificat.employeur,
        "debut": _date(certificat.date_debut),
        "fin": _date(certificat.date_fin),
    }
    objet = f"certificat {certificat.pk}"
    certificat.delete()
    examens_services.journaliser(
        action="pfmp.certificat.suppression", auteur=auteur, candidat=candidat, objet=objet, avant=avant
    )
    recalculer(candidat=candidat)


@transaction.atomic
def definir_dossier(
    *,
    candidat: Candidat,
    voie: str,
    auteur,
    date_positionnement: datetime.date | None = None,
    semaines_positionnement: Decimal | None = None,
    observations: str = "",
) -> regles_pfmp.Conformite:
    """Voie de l'Annexe III (vide : celle du statut) et décision de positionnement du recteur (date, semaines).

    La durée reste sur `Candidat.positionnement_semaines`, là où l'import des candidats la dépose.
    """
    _session_ouverte(candidat)
    voie_effective = regles_pfmp.Voie(voie) if voie else regles_pfmp.voie_par_defaut(candidat.statut)
    if voie_effective not in regles_pfmp.voies_possibles(candidat.statut):
        raise OperationRefusee(f"Voie « {voie_effective.libelle} » impossible pour ce statut.")
    minimum = regles_pfmp.minimum_positionnement(voie_effective)
    if semaines_positionnement is not None:
        if minimum is None:
            raise OperationRefusee(f"Le positionnement est sans objet pour la voie « {voie_effective.libelle} ».")
        if semaines_positionnement < minimum:
            raise OperationRefusee(
                f"Positionnement : au moins {nombre(minimum)} semaines pour cette voie (Annexe III, II.5)."
            )
    elif date_positionnement is not None:
        raise OperationRefusee("Une décision de positionnement fixe une durée : indiquez le nombre de semaines.")
    dossier, _ = DossierPfmp.objects.get_or_create(candidat=candidat)
    avant = {
        "voie": dossier.voie,
        "date_positionnement": _date(dossier.date_positionnement),
        "semaines_positionnement": str(candidat.positionnement_semaines or "") or None,
    }
    dossier.voie = voie
    dossier.date_positionnement = date_positionnement
    dossier.observations = observations.strip()
    dossier.save()
    if candidat.positionnement_semaines != semaines_positionnement:
        Candidat.objects.filter(pk=candidat.pk).update(positionnement_semaines=semaines_positionnement)
        candidat.positionnement_semaines = semaines_positionnement
    apres = {
        "voie": voie,
        "date_positionnement": _date(date_positionnement),
        "semaines_positionnement": str(semaines_positionnement) if semaines_positionnement is not None else None,
    }
    if avant != apres:
        examens_services.journaliser(
            action="pfmp.dossier",
            auteur=auteur,
            candidat=candidat,
            objet="voie et positionnement",
            avant=avant,
            apres=apres,
        )
    return recalculer(candidat=candidat)


# ---------------------------------------------------------------------------------------------------
# Document de liaison : évaluation du tuteur après chaque période
# ---------------------------------------------------------------------------------------------------


@transaction.atomic
def enregistrer_evaluation(
    *,
    periode: Periode,
    auteur,
    niveaux: dict[int, str],
    activites: Iterable[Activite] = (),
    date_visite: datetime.date | None = None,
    tuteur: str = "",
    appreciation: str = "",
) -> Evaluation:
    """Remplace l'évaluation de la période (activités réalisées, niveau de chaque compétence appréciée)."""
    evaluation, creee = Evaluation.objects.get_or_create(periode=periode, defaults={"saisie_par": auteur})
    evaluation.date_visite = date_visite
    evaluation.tuteur = tuteur.strip()
    evaluation.appreciation = appreciation.strip()
    evaluation.saisie_par = auteur
    evaluation.save()
    activites = list(activites)
    evaluation.activites.set(activites)
    evaluation.appreciations.all().delete()
    AppreciationCompetence.objects.bulk_create(
        [AppreciationCompetence(evaluation=evaluation, competence_id=c, niveau=n) for c, n in niveaux.items() if n]
    )
    examens_services.journaliser(
        action="pfmp.evaluation." + ("creation" if creee else "modification"),
        auteur=auteur,
        candidat=periode.convention.candidat,
        objet=f"période {periode.pk}",
        apres={
            "activites": sorted(a.code for a in activites),
            "competences_appreciees": sum(1 for n in niveaux.values() if n),
        },
    )
    return evaluation
