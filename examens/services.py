"""Écritures de l'application examens : notes (avec historique), délibération, verrouillage, journal.

Chaque service est transactionnel, prend des arguments nommés et laisse une trace dans le journal d'audit.
"""

import json
import multiprocessing
import os
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from examens import regles
from examens.models import (
    Blocage,
    Candidat,
    Epreuve,
    Journal,
    Note,
    ReglementExamen,
    Session,
    texte_note,
)


class OperationRefusee(Exception):
    """Erreur métier à montrer telle quelle à l'utilisateur."""


def reglement_pour(annee: int) -> ReglementExamen | None:
    return (
        ReglementExamen.objects.filter(
            Q(session_fin__isnull=True) | Q(session_fin__gte=annee), session_debut__lte=annee
        )
        .order_by("-session_debut")
        .first()
    )


def journaliser(
    *,
    action: str,
    auteur=None,
    session: Session | int | None = None,
    candidat: Candidat | None = None,
    objet: str = "",
    avant=None,
    apres=None,
    motif: str = "",
) -> Journal:
    annee = session.annee if isinstance(session, Session) else session
    if candidat is not None and annee is None:
        annee = candidat.session.annee
    return Journal.objects.create(
        auteur=getattr(auteur, "username", "") or "",
        action=action,
        session_annee=annee,
        candidat_numero=candidat.numero if candidat else "",
        objet=objet,
        avant=avant,
        apres=apres,
        motif=motif,
    )


# ---------------------------------------------------------------------------------------------------
# Notes
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SaisieNote:
    """Une note à écrire : valeurs déjà validées."""

    candidat: Candidat
    unite: str
    etat: str
    valeur: Decimal | None
    groupe: int = 1
    origine: str = Note.Origine.SESSION
    session_origine: int | None = None
    unite_origine: str = ""


def verifier_session_ouverte(session: Session) -> None:
    if session.verrouillee:
        raise OperationRefusee(
            f"La délibération de la session {session.annee} est verrouillée : aucune note ne peut changer. "
            "Un administrateur peut la déverrouiller, avec un motif."
        )


def enregistrer_notes(*, saisies: list[SaisieNote], auteur=None, source: str, motif: str = "") -> dict[str, int]:
    """Écrit des notes (création ou remplacement) et leur historique, en un nombre constant de requêtes.

    L'appelant a verrouillé la session (select_for_update) et vérifié qu'elle est ouverte. Les lignes passent
    par COPY (300 000 notes d'une session nationale en quelques secondes) puis un INSERT … ON CONFLICT.
    """
    compte = {"creees": 0, "modifiees": 0, "inchangees": 0}
    if not saisies:
        return compte
    candidats = list({s.candidat.pk for s in saisies})
    existantes = {
        (c, u, g): (e, v, o, so)
        for c, u, g, e, v, o, so in Note.objects.filter(candidat_id__in=candidats).values_list(
            "candidat_id", "unite", "groupe", "etat", "valeur", "origine", "session_origine"
        )
    }
    maintenant = timezone.now()
    auteur_id = getattr(auteur, "pk", None)
    notes, historique = [], []
    for s in saisies:
        ancienne = existantes.get((s.candidat.pk, s.unite, s.groupe))
        avant = texte_note(ancienne[0], ancienne[1]) if ancienne else ""
        apres = texte_note(s.etat, s.valeur)
        if ancienne and avant == apres and ancienne[2] == s.origine and ancienne[3] == s.session_origine:
            compte["inchangees"] += 1
            continue
        compte["modifiees" if ancienne else "creees"] += 1
        notes.append(
            (
                s.candidat.pk,
                s.unite,
                s.groupe,
                s.etat,
                s.valeur,
                s.origine,
                s.session_origine,
                s.unite_origine,
                maintenant,
                auteur_id,
            )
        )
        historique.append(
            (s.candidat.pk, s.unite, s.groupe, avant, apres, s.origine, source, motif, auteur_id, maintenant)
        )
    if not notes:
        return compte
    colonnes = (
        "candidat_id, unite, groupe, etat, valeur, origine, session_origine, unite_origine, modifiee_le, "
        "modifiee_par_id"
    )
    with connection.cursor() as curseur:
        curseur.execute(
            "CREATE TEMP TABLE notes_a_ecrire (candidat_id bigint, unite varchar(5), groupe smallint, etat varchar(5), "
            "valeur numeric(5, 3), origine varchar(20), session_origine smallint, unite_origine varchar(5), "
            "modifiee_le timestamptz, modifiee_par_id integer) ON COMMIT DROP"
        )
        with curseur.cursor.copy(f"COPY notes_a_ecrire ({colonnes}) FROM STDIN") as copie:
            for ligne in notes:
                copie.write_row(ligne)
        curseur.execute(
            f"INSERT INTO examens_note ({colonnes}) SELECT {colonnes} FROM notes_a_ecrire "
            "ON CONFLICT ON CONSTRAINT note_unique DO UPDATE SET etat = EXCLUDED.etat, valeur = EXCLUDED.valeur, "
            "origine = EXCLUDED.origine, session_origine = EXCLUDED.session_origine, "
            "unite_origine = EXCLUDED.unite_origine, modifiee_le = EXCLUDED.modifiee_le, "
            "modifiee_par_id = EXCLUDED.modifiee_par_id"
        )
        curseur.execute("DROP TABLE notes_a_ecrire")
        with curseur.cursor.copy(
            "COPY examens_historiquenote (candidat_id, unite, groupe, avant, apres, origine, source, motif, "
            "auteur_id, date) FROM STDIN"
        ) as copie:
            for ligne in historique:
                copie.write_row(ligne)
    return compte


@transaction.atomic
def saisir_note(
    *, candidat: Candidat, unite: str, texte: str, auteur, groupe: int = 1, source: str = "saisie", motif: str = ""
) -> Note:
    """Saisie d'une note dans le navigateur (tableau de notes ponctuelles, jury)."""
    session = Session.objects.select_for_update().get(pk=candidat.session_id)
    verifier_session_ouverte(session)
    codes = unites_du_candidat(candidat)
    if unite not in codes:
        raise OperationRefusee(f"{unite} : unité inconnue pour ce candidat")
    if groupe == 2 and unite not in (candidat.controle_scientifique, candidat.controle_francais_hg):
        raise OperationRefusee(f"{unite} : choisissez d'abord cette unité pour l'épreuve de contrôle")
    try:
        etat, valeur = regles.parser_note(texte)
    except regles.NoteInvalide as e:
        raise OperationRefusee(str(e)) from None
    if etat == regles.Etat.DIS and unite.startswith("UF"):
        raise OperationRefusee("une unité facultative ne se dispense pas")
    origine = Note.Origine.JURY if source == "jury" else Note.Origine.SESSION
    enregistrer_notes(
        saisies=[SaisieNote(candidat=candidat, unite=unite, etat=etat, valeur=valeur, groupe=groupe, origine=origine)],
        auteur=auteur,
        source=source,
        motif=motif,
    )
    note = Note.objects.get(candidat=candidat, unite=unite, groupe=groupe)
    journaliser(
        action=f"note.{source}",
        auteur=auteur,
        candidat=candidat,
        objet=f"{unite} groupe {groupe}",
        apres={"note": note.affichage},
        motif=motif,
    )
    return note


def unites_du_candidat(candidat: Candidat) -> list[str]:
    """Unités obligatoires du règlement, plus UF1/UF2 selon les unités facultatives choisies."""
    codes = list(
        Epreuve.objects.filter(reglement_id=candidat.session.reglement_id, unite__isnull=False, facultative=False)
        .order_by("ordre")
        .values_list("unite__code", flat=True)
    )
    return codes + [uf for uf, choix in (("UF1", candidat.facultative1), ("UF2", candidat.facultative2)) if choix]


# ---------------------------------------------------------------------------------------------------
# Délibération
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UniteReglement:
    code: str
    coefficient: Decimal
    professionnelle: bool
    groupe_controle: str | None
    remplacable: bool


def unites_reglement(reglement: ReglementExamen) -> list[UniteReglement]:
    return [
        UniteReglement(e.unite.code, e.coefficient, e.professionnelle, e.groupe_controle or None, e.remplacable)
        for e in Epreuve.objects.filter(reglement=reglement, unite__isnull=False, facultative=False)
        .select_related("unite")
        .order_by("ordre")
    ]


@dataclass(frozen=True, slots=True)
class NoteLue:
    """Une note lue pour la délibération : un tuple plutôt qu'une instance de modèle (25 000 candidats)."""

    candidat_id: int
    unite: str
    groupe: int
    etat: str
    valeur: Decimal | None
    origine: str
    session_origine: int | None


def construire_dossier(
    candidat: Candidat, unites: list[UniteReglement], notes: list[NoteLue], blocages: list[str]
) -> regles.Dossier:
    """Traduit les lignes de la base en un dossier du moteur pur (aucune requête ici)."""
    par_cle = {(n.unite, n.groupe): n for n in notes}
    lignes = []
    for u in unites:
        note = par_cle.get((u.code, 1))
        controle = par_cle.get((u.code, 2))
        etat = regles.Etat(note.etat) if note else regles.Etat.MANQUANTE
        origine = ""
        if note and note.origine in (Note.Origine.CONSERVEE_AGORA, Note.Origine.CONSERVEE_GA):
            diplome = "GA" if note.origine == Note.Origine.CONSERVEE_GA else "AGOrA"
            origine = f"conservée {diplome} {note.session_origine}"
        lignes.append(
            regles.NoteUnite(
                unite=u.code,
                coefficient=u.coefficient,
                etat=etat,
                note=note.valeur if note else None,
                professionnelle=u.professionnelle,
                groupe_controle=u.groupe_controle,
                remplacable=u.remplacable,
                origine=origine,
                note_controle=controle.valeur
                if controle and controle.etat == Note.Etat.NOTE and u.groupe_controle
                else None,
            )
        )
    facultatives = []
    for code, choix in (("UF1", candidat.facultative1), ("UF2", candidat.facultative2)):
        if choix == "MOBILITE" and candidat.mobilite_eligible is False:
            continue  # aucune PFMP dans un pays de l'UE, de l'EEE ou de l'AELE : l'unité de mobilité ne compte pas
        if choix:
            n = par_cle.get((code, 1))
            facultatives.append(
                regles.NoteFacultative(
                    code, regles.Etat(n.etat) if n else regles.Etat.MANQUANTE, n.valeur if n else None
                )
            )
    return regles.Dossier(
        unites=tuple(lignes),
        facultatives=tuple(facultatives),
        chef_oeuvre=candidat.chef_oeuvre,
        points_jury=candidat.points_jury,
        blocages=tuple(blocages),
    )


def _chaine(valeur) -> str:
    return "" if valeur is None else str(regles.tronquer(valeur))


def calculer_session(session: Session, candidats=None) -> list[tuple[Candidat, regles.Resultat]]:
    """Calcule (sans rien écrire) le résultat de chaque candidat : 3 requêtes quel que soit leur nombre."""
    reglement = session.reglement
    unites = unites_reglement(reglement)
    parametres = regles.Regles.depuis_dict(reglement.regles)
    candidats = list(
        (candidats if candidats is not None else Candidat.objects.filter(session=session)).order_by("numero")
    )
    ids = [c.pk for c in candidats]
    notes = defaultdict(list)
    champs = ("candidat_id", "unite", "groupe", "etat", "valeur", "origine", "session_origine")
    for ligne in Note.objects.filter(candidat_id__in=ids).values_list(*champs).iterator(chunk_size=20000):
        notes[ligne[0]].append(NoteLue(*ligne))
    blocages = defaultdict(list)
    for candidat_id, motif in Blocage.objects.filter(candidat_id__in=ids).values_list("candidat_id", "motif"):
        blocages[candidat_id].append(motif)
    travail = (candidats, unites, notes, blocages, parametres)
    if len(candidats) < SEUIL_PARALLELE or (os.cpu_count() or 1) < 2:
        return list(zip(candidats, _calculer_tranche(travail, 0, len(candidats)), strict=True))
    # Le calcul (Python pur) occupe un cœur : on le répartit entre des processus fils créés par fork, qui
    # héritent des données déjà lues et ne touchent pas à la base ; seuls les résultats reviennent.
    global _TRAVAIL
    _TRAVAIL = travail
    try:
        processus = os.cpu_count() or 2
        taille = -(-len(candidats) // processus)
        tranches = [(i, min(i + taille, len(candidats))) for i in range(0, len(candidats), taille)]
        with multiprocessing.get_context("fork").Pool(processus) as pool:
            parties = pool.starmap(_calculer_tranche_heritee, tranches)
    finally:
        _TRAVAIL = None
    return list(zip(candidats, (r for partie in parties for r in partie), strict=True))


SEUIL_PARALLELE = 4000
_TRAVAIL = None


def _calculer_tranche_heritee(debut: int, fin: int) -> list[regles.Resultat]:
    return _calculer_tranche(_TRAVAIL, debut, fin)


def _calculer_tranche(travail, debut: int, fin: int) -> list[regles.Resultat]:
    candidats, unites, notes, blocages, parametres = travail
    resultats = []
    for c in candidats[debut:fin]:
        try:
            resultat = regles.calculer(construire_dossier(c, unites, notes[c.pk], blocages[c.pk]), parametres)
        except ValueError as e:  # donnée incohérente (ex. deux unités de contrôle du même groupe)
            resultat = regles.Resultat(
                decision=regles.Decision.INCOMPLET,
                mention=None,
                points=None,
                total_coefficients=None,
                moyenne=None,
                moyenne_professionnelle=None,
                controle_passe=False,
                trace=(f"Dossier incohérent : {e}",),
            )
        resultats.append(resultat)
    return resultats


@transaction.atomic
def deliberer(*, session: Session, auteur=None) -> list[tuple[Candidat, regles.Resultat]]:
    """Calcule et enregistre les résultats de toute la session, en un nombre constant de requêtes."""
    session = Session.objects.select_for_update().get(pk=session.pk)
    verifier_session_ouverte(session)
    resultats = calculer_session(session)
    _ecrire_resultats(resultats)
    compte = defaultdict(int)
    for _, r in resultats:
        compte[r.decision.value] += 1
    journaliser(action="deliberation.calcul", auteur=auteur, session=session, apres=dict(compte))
    return resultats


COLONNES_RESULTAT = (
    "candidat_id, decision, mention, points, moyenne, moyenne_exacte, moyenne_professionnelle, points_jury, "
    "controle_passe, trace, calcule_le"
)


def _ecrire_resultats(resultats: list[tuple[Candidat, regles.Resultat]]) -> None:
    """COPY puis INSERT … ON CONFLICT : 25 000 résultats et leurs traces en une seconde environ."""
    maintenant = timezone.now()
    with connection.cursor() as curseur:
        curseur.execute(
            "CREATE TEMP TABLE resultats_a_ecrire (candidat_id bigint, decision varchar(20), mention varchar(2), "
            "points numeric(8, 3), moyenne varchar(8), moyenne_exacte varchar(40), moyenne_professionnelle varchar(8), "
            "points_jury numeric(4, 2), controle_passe boolean, trace jsonb, calcule_le timestamptz) ON COMMIT DROP"
        )
        with curseur.cursor.copy(f"COPY resultats_a_ecrire ({COLONNES_RESULTAT}) FROM STDIN") as copie:
            for c, r in resultats:
                copie.write_row(
                    (
                        c.pk,
                        r.decision.value,
                        r.mention.value if r.mention else "",
                        r.points,
                        _chaine(r.moyenne),
                        f"{r.moyenne.numerator}/{r.moyenne.denominator}" if r.moyenne is not None else "",
                        _chaine(r.moyenne_professionnelle),
                        r.points_jury,
                        r.controle_passe,
                        json.dumps(list(r.trace), ensure_ascii=False),
                        maintenant,
                    )
                )
        mises_a_jour = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLONNES_RESULTAT.split(", ")[1:])
        curseur.execute(
            f"INSERT INTO examens_resultat ({COLONNES_RESULTAT}) SELECT {COLONNES_RESULTAT} FROM resultats_a_ecrire "
            f"ON CONFLICT (candidat_id) DO UPDATE SET {mises_a_jour}"
        )
        curseur.execute("DROP TABLE resultats_a_ecrire")


def ligne_resultat(candidat: Candidat, r: regles.Resultat) -> dict:
    """Forme publique d'un résultat (commande `deliberer`, exports)."""
    return {
        "numero_candidat": candidat.numero,
        "decision": r.decision.value,
        "mention": r.mention.value if r.mention else None,
        "points": _chaine(r.points),
        "moyenne": _chaine(r.moyenne),
        "moyenne_professionnelle": _chaine(r.moyenne_professionnelle),
        "trace": list(r.trace),
    }


@transaction.atomic
def verrouiller(*, session: Session, auteur) -> None:
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.verrouillee:
        raise OperationRefusee(f"La session {session.annee} est déjà verrouillée.")
    session.verrouillee = True
    session.save(update_fields=["verrouillee"])
    journaliser(
        action="deliberation.verrouillage",
        auteur=auteur,
        session=session,
        avant={"verrouillee": False},
        apres={"verrouillee": True},
    )


@transaction.atomic
def deverrouiller(*, session: Session, auteur, motif: str) -> None:
    if not auteur.has_perm("examens.deverrouiller"):
        raise OperationRefusee("Seul un administrateur peut déverrouiller une délibération.")
    if not motif.strip():
        raise OperationRefusee("Le motif du déverrouillage est obligatoire.")
    session = Session.objects.select_for_update().get(pk=session.pk)
    if not session.verrouillee:
        raise OperationRefusee(f"La session {session.annee} n'est pas verrouillée.")
    session.verrouillee = False
    session.save(update_fields=["verrouillee"])
    journaliser(
        action="deliberation.deverrouillage",
        auteur=auteur,
        session=session,
        avant={"verrouillee": True},
        apres={"verrouillee": False},
        motif=motif.strip(),
    )


# ---------------------------------------------------------------------------------------------------
# Blocages posés par d'autres modules (PFMP) : examens ne les connaît que par ce service.
# ---------------------------------------------------------------------------------------------------


def definir_blocage(*, candidat: Candidat, source: str, motif: str | None) -> None:
    """Pose (motif) ou lève (None) le blocage d'une source pour un candidat, idempotent."""
    if motif:
        Blocage.objects.update_or_create(candidat=candidat, source=source, defaults={"motif": motif})
    else:
        Blocage.objects.filter(candidat=candidat, source=source).delete()


def definir_mobilite_eligible(*, candidat: Candidat, eligible: bool) -> None:
    if candidat.mobilite_eligible != eligible:
        Candidat.objects.filter(pk=candidat.pk).update(mobilite_eligible=eligible)
        candidat.mobilite_eligible = eligible


def definir_blocages(*, source: str, motifs: dict[int, str | None]) -> None:
    """`definir_blocage` pour toute une session : identifiant du candidat → motif (pose) ou None (levée).

    Deux requêtes quel que soit le nombre de candidats : une suppression des blocages levés, une insertion
    … ON CONFLICT DO UPDATE des blocages posés (motif et date remis à jour s'ils existaient déjà).
    """
    leves = [candidat_id for candidat_id, motif in motifs.items() if not motif]
    if leves:
        Blocage.objects.filter(candidat_id__in=leves, source=source).delete()
    maintenant = timezone.now()  # bulk_create n'applique pas auto_now à la mise à jour d'une ligne existante
    poses = [
        Blocage(candidat_id=candidat_id, source=source, motif=motif, cree_le=maintenant)
        for candidat_id, motif in motifs.items()
        if motif
    ]
    if poses:
        Blocage.objects.bulk_create(
            poses, update_conflicts=True, unique_fields=["candidat", "source"], update_fields=["motif", "cree_le"]
        )


def definir_mobilites_eligibles(*, eligibles: dict[int, bool]) -> None:
    """`definir_mobilite_eligible` pour toute une session : identifiant du candidat → éligibilité.

    L'appelant ne passe que les candidats dont la valeur change (il connaît la valeur actuelle) : au plus deux
    requêtes, une par valeur.
    """
    for valeur in (True, False):
        ids = [candidat_id for candidat_id, eligible in eligibles.items() if bool(eligible) is valeur]
        if ids:
            Candidat.objects.filter(pk__in=ids).update(mobilite_eligible=valeur)


# ---------------------------------------------------------------------------------------------------
# Candidats (formulaires) et décisions du jury
# ---------------------------------------------------------------------------------------------------


@transaction.atomic
def enregistrer_candidat(*, session: Session, propre: dict, auteur, candidat: Candidat | None = None) -> Candidat:
    """Crée ou modifie un candidat à partir de valeurs validées par imports.valider_candidat.

    Périmètre (`examens.perimetre`) : le candidat modifié et l'établissement visé doivent être dans celui de
    l'auteur, sinon `HorsPerimetre` (rien n'est écrit) ; un UAI inconnu ne crée un établissement que pour un
    administrateur.
    """
    from examens import perimetre
    from examens.models import Division, Etablissement

    session = Session.objects.select_for_update().get(pk=session.pk)
    verifier_session_ouverte(session)
    valeurs = dict(propre)
    uai, nom_division = valeurs.pop("uai"), valeurs.pop("division")
    numero = valeurs.pop("numero")
    if candidat is not None:
        perimetre.verifier_ecriture(auteur, candidats=[candidat])
    etablissement = Etablissement.objects.filter(uai=uai).first()
    if etablissement is None:
        if not perimetre.peut_creer_etablissement(auteur):
            raise perimetre.HorsPerimetre(perimetre.message_etablissement_inconnu(uai), champ="uai")
        etablissement = Etablissement.objects.create(uai=uai, nom=f"Établissement {uai}")
    perimetre.verifier_ecriture(auteur, etablissement=etablissement)
    division = (
        Division.objects.get_or_create(session=session, etablissement=etablissement, nom=nom_division)[0]
        if nom_division
        else None
    )
    if candidat is None:
        if Candidat.objects.filter(session=session, numero=numero).exists():
            raise OperationRefusee(f"numero_candidat {numero} déjà inscrit à la session {session.annee}")
        candidat = Candidat(session=session, numero=numero)
        avant = None
    else:
        avant = {k: str(getattr(candidat, k)) for k in valeurs}
    for champ, valeur in valeurs.items():
        setattr(candidat, champ, valeur)
    candidat.etablissement, candidat.division = etablissement, division
    candidat.save()
    journaliser(
        action="candidat.creation" if avant is None else "candidat.modification",
        auteur=auteur,
        candidat=candidat,
        avant=avant,
        apres={k: str(v) for k, v in valeurs.items()},
    )
    return candidat


@transaction.atomic
def attribuer_points_jury(*, candidat: Candidat, points: Decimal, motif: str, auteur) -> None:
    """Points du jury souverain (D337-88) : dénominateur inchangé, motif obligatoire, tracé avant → après."""
    if not motif.strip():
        raise OperationRefusee("Le motif est obligatoire pour toute décision du jury.")
    session = Session.objects.select_for_update().get(pk=candidat.session_id)
    verifier_session_ouverte(session)
    avant = candidat.points_jury
    Candidat.objects.filter(pk=candidat.pk).update(points_jury=points)
    candidat.points_jury = points
    journaliser(
        action="jury.points",
        auteur=auteur,
        candidat=candidat,
        objet="points du jury",
        avant={"points": str(avant)},
        apres={"points": str(points)},
        motif=motif.strip(),
    )


@transaction.atomic
def choisir_controle(*, candidat: Candidat, scientifique: str, francais_hg: str, auteur) -> None:
    """Unités choisies pour l'épreuve de contrôle : une parmi U11/U12/U33, une parmi U51/U52 (arrêté du 25/11/2021)."""
    if scientifique not in ("U11", "U12", "U33") or francais_hg not in ("U51", "U52"):
        raise OperationRefusee("Choisir une unité parmi U11, U12, U33 et une parmi U51, U52.")
    session = Session.objects.select_for_update().get(pk=candidat.session_id)
    verifier_session_ouverte(session)
    avant = {"scientifique": candidat.controle_scientifique, "francais_hg": candidat.controle_francais_hg}
    # Changer d'unité efface la note de contrôle de l'unité abandonnée (une seule par sous-groupe).
    abandonnees = [
        u
        for u in (candidat.controle_scientifique, candidat.controle_francais_hg)
        if u and u not in (scientifique, francais_hg)
    ]
    if abandonnees:
        Note.objects.filter(candidat=candidat, groupe=2, unite__in=abandonnees).delete()
    Candidat.objects.filter(pk=candidat.pk).update(controle_scientifique=scientifique, controle_francais_hg=francais_hg)
    candidat.controle_scientifique, candidat.controle_francais_hg = scientifique, francais_hg
    journaliser(
        action="controle.choix",
        auteur=auteur,
        candidat=candidat,
        avant=avant,
        apres={"scientifique": scientifique, "francais_hg": francais_hg},
    )
