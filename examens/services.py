"""Écritures de l'application examens : notes (avec historique), délibération, verrouillage, journal.

Chaque service est transactionnel, prend des arguments nommés et laisse une trace dans le journal d'audit.

Longueur : la porte unique des écritures qui changent un résultat ; la garder en un fichier rend visible
tout ce qui passe par elle.
"""

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from agora.copie import inserer_ou_remplacer
from agora.requetes import RequeteFigee
from examens import regles, resultats
from examens.models import (
    Blocage,
    Candidat,
    HistoriqueNote,
    Journal,
    Note,
    ReglementExamen,
    Session,
    texte_note,
)


class OperationRefusee(Exception):
    """Erreur métier à montrer telle quelle à l'utilisateur."""


# Modules qui dérivent un état des candidats (la PFMP : conformité, blocage) sans qu'examens les importe : chacun
# s'inscrit ici (dans le ready() de son application) et reçoit les identifiants des candidats créés ou modifiés, dans
# la transaction de l'écriture, avant le recalcul de leurs résultats. Il renvoie ceux dont il a déjà fait recalculer
# le résultat (par definir_blocages) : l'appelant ne recalcule que les autres.
APRES_ECRITURE_CANDIDATS: list[Callable[[list[int]], Iterable[int]]] = []


def apres_ecriture_candidats(ids: list[int]) -> set[int]:
    recalcules: set[int] = set()
    for fonction in APRES_ECRITURE_CANDIDATS:
        recalcules |= set(fonction(ids) or ())
    return recalcules


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


@dataclass(frozen=True)
class ObjetVerrou:
    """Ce que le verrouillage ferme, dit dans le message : pour la session, puis pour un jury."""

    session: str
    jury: str


NOTES = ObjetVerrou("aucune note ne peut changer", "aucune note de ses candidats ne peut changer")
PFMP = ObjetVerrou(
    "la saisie des PFMP est fermée (périodes, conventions, attestations, voie, certificats)",
    "la saisie des PFMP de ses candidats est fermée (périodes, conventions, attestations, voie, certificats)",
)


def message_session_verrouillee(session: Session, objet: ObjetVerrou = NOTES) -> str:
    return (
        f"La délibération de la session {session.annee} est verrouillée : {objet.session}. "
        "La division des examens peut la déverrouiller, avec un motif."
    )


def verifier_session_ouverte(session: Session, candidats: Iterable[Candidat] = (), objet: ObjetVerrou = NOTES) -> None:
    """Refuse toute écriture si la session est verrouillée, ou si le jury de l'un des `candidats` l'est.

    Le verrouillage d'un jury ne fige que les candidats de ses établissements : les autres jurys continuent.
    """
    if session.verrouillee:
        raise OperationRefusee(message_session_verrouillee(session, objet))
    verifier_jurys_ouverts(candidats, objet)


def jurys_verrouilles(session_ids: Iterable[int], etablissement_ids: Iterable[int]) -> dict[tuple[int, int], str]:
    """(session, établissement) → nom du jury verrouillé qui les couvre ; une requête."""
    from examens.models import EtablissementJury

    session_ids, etablissement_ids = set(session_ids), set(etablissement_ids)
    if len(session_ids) == 1 and len(etablissement_ids) == 1:
        # Une seule paire (le tableau de saisie d'une division) : la requête compilée une fois de jury_verrouille,
        # au lieu de 1 ms de construction et de compilation par l'ORM à chaque page (issue #23).
        paire = (*session_ids, *etablissement_ids)
        nom = jury_verrouille(*paire)
        return {paire: nom} if nom is not None else {}
    return dict(
        (((session_id, etab_id), nom))
        for session_id, etab_id, nom in EtablissementJury.objects.filter(
            jury__verrouille=True, session_id__in=session_ids, etablissement_id__in=etablissement_ids
        ).values_list("session_id", "etablissement_id", "jury__nom")
    )


def liens_jury_verrouille(session, etablissement):
    """Le lien (jury, établissement) du jury verrouillé qui couvre cet établissement dans cette session : la
    définition de « jury verrouillé » que relisent jury_verrouille et les droits d'une grille (examens.ccf.lectures)."""
    from examens.models import EtablissementJury

    return (
        EtablissementJury.objects.filter(jury__verrouille=True, session_id=session, etablissement_id=etablissement)
        .select_related("jury")
        .order_by()
    )


_JURY_VERROUILLE = RequeteFigee(liens_jury_verrouille)


def jury_verrouille(session_id: int, etablissement_id: int) -> str | None:
    """Le nom du jury verrouillé qui couvre cet établissement dans cette session, ou None : jurys_verrouilles pour
    une seule paire, compilé une fois (chaque grille ouverte ou enregistrée le demande)."""
    trouves = _JURY_VERROUILLE(session=session_id, etablissement=etablissement_id)
    return trouves[0].jury.nom if trouves else None


def raison_verrou(candidat: Candidat, objet: ObjetVerrou = NOTES) -> str | None:
    """Pourquoi rien ne peut plus changer pour ce candidat (sa session ou le jury de son établissement est
    verrouillé), dans le message même que l'écriture refusée donnerait ; None si sa délibération est ouverte.

    Les formulaires l'affichent en lecture seule avec cette raison, plutôt que de refuser à l'envoi."""
    if candidat.session.verrouillee:
        return message_session_verrouillee(candidat.session, objet)
    if nom := jury_verrouille(candidat.session_id, candidat.etablissement_id):
        return message_jury_verrouille(nom, objet)
    return None


def deliberation_verrouillee(candidat: Candidat) -> bool:
    """Le résultat de ce candidat est-il arrêté : sa session verrouillée, ou le jury de son établissement ?"""
    return raison_verrou(candidat) is not None


def message_jury_verrouille(nom: str, objet: ObjetVerrou = NOTES) -> str:
    return (
        f"La délibération du jury {nom} est verrouillée : {objet.jury}. "
        "La division des examens peut la déverrouiller, avec un motif."
    )


def verifier_jurys_ouverts(candidats: Iterable[Candidat], objet: ObjetVerrou = NOTES) -> None:
    candidats = [c for c in candidats if c is not None]
    if not candidats:
        return
    verrouilles = jurys_verrouilles((c.session_id for c in candidats), (c.etablissement_id for c in candidats))
    for c in candidats:
        if nom := verrouilles.get((c.session_id, c.etablissement_id)):
            raise OperationRefusee(message_jury_verrouille(nom, objet))


def _inscrire_notes(*, saisies: list[SaisieNote], auteur=None, source: str, motif: str = "") -> dict[str, int]:
    """Écrit des notes (création ou remplacement) et leur historique, en un nombre constant de requêtes.

    Interne à la porte `ecrire_notes`, qui valide avant et recalcule après. L'appelant a verrouillé la session
    (select_for_update) et vérifié qu'elle est ouverte. Les lignes passent par COPY (300 000 notes d'une session
    nationale en quelques secondes) puis un INSERT … ON CONFLICT.
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
        "candidat_id",
        "unite",
        "groupe",
        "etat",
        "valeur",
        "origine",
        "session_origine",
        "unite_origine",
        "modifiee_le",
        "modifiee_par_id",
    )
    inserer_ou_remplacer("examens_note", colonnes, notes, conflit="ON CONSTRAINT note_unique", remplacer=colonnes[3:])
    with connection.cursor() as curseur:
        with curseur.cursor.copy(
            "COPY examens_historiquenote (candidat_id, unite, groupe, avant, apres, origine, source, motif, "
            "auteur_id, date) FROM STDIN"
        ) as copie:
            for ligne in historique:
                copie.write_row(ligne)
    return compte


def _refus(erreur: regles.NoteInvalide) -> OperationRefusee:
    return OperationRefusee(str(erreur))


def valider_saisies(saisies: list[SaisieNote]) -> list[tuple[int, str]]:
    """(rang, message) de chaque saisie refusée par regles.valider_saisie : la même règle pour toutes les portes.

    Lit le règlement (mis en cache par version) ; les candidats des saisies portent leurs options.
    """
    erreurs = []
    contextes: dict[int, dict] = {}
    reglements: dict[int, resultats.Reglement] = {}
    non_valides = non_valides_de({s.candidat.pk for s in saisies})
    for rang, s in enumerate(saisies):
        candidat = s.candidat
        if candidat.pk not in contextes:
            if candidat.session_id not in reglements:
                session = Session.objects.select_related("reglement").get(pk=candidat.session_id)
                reglements[candidat.session_id] = resultats.reglement_de(session.reglement)
            contextes[candidat.pk] = resultats.unites_de_saisie(
                candidat, reglements[candidat.session_id], non_valides.get(candidat.pk, ())
            )
        unite = contextes[candidat.pk].get(s.unite)
        if unite is None:
            erreurs.append((rang, f"{s.unite} : unité inconnue dans le règlement de la session"))
            continue
        try:
            regles.valider_saisie(unite, s.etat, s.valeur, groupe=s.groupe, conservee=s.origine in ORIGINES_CONSERVEES)
        except regles.NoteInvalide as e:
            erreurs.append((rang, str(e)))
    return erreurs


ORIGINES_CONSERVEES = (Note.Origine.CONSERVEE_AGORA, Note.Origine.CONSERVEE_GA)


def non_valides_de(candidats: Iterable[int]) -> dict[int, set[str]]:
    """Identifiant du candidat → unités dont la note (premier groupe) est « NV » : une requête."""
    resultat: dict[int, set[str]] = defaultdict(set)
    for candidat_id, unite in Note.objects.filter(
        candidat_id__in=list(candidats), groupe=1, etat=Note.Etat.NV
    ).values_list("candidat_id", "unite"):
        resultat[candidat_id].add(unite)
    return resultat


@transaction.atomic
def ecrire_notes(*, saisies: list[SaisieNote], auteur=None, source: str, motif: str = "") -> dict[str, int]:
    """La porte unique d'écriture des notes : valide chaque saisie, écrit, puis recalcule les candidats touchés.

    Toutes les origines y passent (import, tableau de saisie, jury, grille CCF transmise ou arrêtée, notes
    conservées, contrôle). L'appelant tient la session verrouillée (select_for_update) et ouverte. Une saisie
    refusée lève OperationRefusee et rien n'est écrit (l'import, lui, valide d'abord ligne par ligne avec
    `valider_saisies` pour numéroter ses erreurs).
    """
    if erreurs := valider_saisies(saisies):
        raise OperationRefusee(" ; ".join(message for _, message in erreurs))
    verifier_jurys_ouverts({s.candidat.pk: s.candidat for s in saisies}.values())
    # Échéances de saisie : après la date de fermeture, seuls la division des examens, le système, le jury et les
    # bénéficiaires d'une réouverture écrivent (examens/echeances). Import ici : ce module-là importe celui-ci.
    from examens.echeances.services import verifier_saisie_ouverte

    verifier_saisie_ouverte(auteur, saisies, source)
    compte = _inscrire_notes(saisies=saisies, auteur=auteur, source=source, motif=motif)
    compte["resultats_changes"] = resultats.recalculer(s.candidat.pk for s in saisies)
    return compte


@transaction.atomic
def supprimer_notes(
    *, candidat: Candidat, unite: str, groupe: int, origine: str | None, auteur, source: str, motif: str
):
    """Retire une note (grille renvoyée à la commission, unité de contrôle abandonnée), tracée, puis recalcule."""
    verifier_jurys_ouverts([candidat])
    notes = Note.objects.filter(candidat=candidat, unite=unite, groupe=groupe)
    if origine is not None:
        notes = notes.filter(origine=origine)
    for note in notes:
        HistoriqueNote.objects.create(
            candidat=candidat,
            unite=unite,
            groupe=groupe,
            avant=note.affichage,
            apres="",
            origine=note.origine,
            source=source,
            motif=motif,
            auteur=auteur,
        )
        note.delete()
    resultats.recalculer([candidat.pk])


@transaction.atomic
def saisir_note(
    *, candidat: Candidat, unite: str, texte: str, auteur, groupe: int = 1, source: str = "saisie", motif: str = ""
):
    """Saisie d'une note dans le navigateur (tableau de notes ponctuelles, jury) : même règle que l'import.

    Rend la Note écrite, ou la PropositionNote enregistrée si l'auteur n'a, après l'échéance, qu'une réouverture
    « proposition seulement » (examens/echeances).
    """
    session = Session.objects.select_for_update().get(pk=candidat.session_id)
    verifier_session_ouverte(session, [candidat])
    candidat = Candidat.objects.select_related("session__reglement").get(pk=candidat.pk)
    try:
        etat, valeur = regles.parser_note(texte)
    except regles.NoteInvalide as e:
        raise _refus(e) from None
    origine = Note.Origine.JURY if source == "jury" else Note.Origine.SESSION
    from examens.echeances import services as echeances  # echeances importe ce module

    try:
        ecrire_notes(
            saisies=[
                SaisieNote(candidat=candidat, unite=unite, etat=etat, valeur=valeur, groupe=groupe, origine=origine)
            ],
            auteur=auteur,
            source=source,
            motif=motif,
        )
    except echeances.PropositionSeulement as e:
        # Réouverture « proposition seulement » : la note attend la validation de la division des examens.
        return echeances.proposer_note(
            candidat=candidat,
            unite=unite,
            texte=texte,
            auteur=auteur,
            groupe=groupe,
            motif=motif,
            reouverture_id=e.reouverture.ident,
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


@transaction.atomic
def lever_non_valide(*, candidat: Candidat, unite: str, motif: str, auteur) -> None:
    """Le jury lève le « non valide » sur production des justificatifs (annexe II c) : motif obligatoire, tracé.

    La note « NV » est retirée (l'unité redevient à saisir) ; jamais remplacée directement par une note.
    """
    if not auteur.has_perm("examens.deliberer"):
        raise OperationRefusee("Seul le jury lève un « non valide ».")
    if not motif.strip():
        raise OperationRefusee("Indiquez le motif : quels justificatifs ont été produits, et quand.")
    session = Session.objects.select_for_update().get(pk=candidat.session_id)
    verifier_session_ouverte(session, [candidat])
    if not Note.objects.filter(candidat=candidat, unite=unite, groupe=1, etat=Note.Etat.NV).exists():
        raise OperationRefusee(f"{unite} : aucun « non valide » à lever.")
    supprimer_notes(
        candidat=candidat,
        unite=unite,
        groupe=1,
        origine=None,
        auteur=auteur,
        source="jury",
        motif=f"« non valide » levé : {motif.strip()}",
    )
    journaliser(
        action="note.lever_nv",
        auteur=auteur,
        candidat=candidat,
        objet=f"{unite} groupe 1",
        avant={"note": "NV"},
        apres={"note": ""},
        motif=motif.strip(),
    )


def unites_du_candidat(candidat: Candidat) -> list[str]:
    """Unités obligatoires du règlement, plus UF1/UF2 selon les unités facultatives choisies."""
    reglement = resultats.reglement_de(candidat.session.reglement)
    choix = {"UF1": candidat.facultative1, "UF2": candidat.facultative2}
    return [u.code for u in reglement.unites if not u.facultative or choix.get(u.code)]


# ---------------------------------------------------------------------------------------------------
# Délibération : la session entière, le verrouillage qui vérifie, la vérification sans écriture
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deliberation:
    total: int
    changes: int  # résultats réécrits : 0 attendu, puisque chaque écriture recalcule déjà ses candidats
    differences: list[resultats.Difference]
    par_decision: dict[str, int]

    def __len__(self) -> int:
        return self.total


@transaction.atomic
def deliberer(*, session: Session, auteur=None, candidats=None) -> Deliberation:
    """Recalcule toute la session (ou `candidats`, un queryset : un jury, un périmètre), en un nombre constant de
    requêtes, et dit combien de résultats ont changé. Les candidats d'un jury verrouillé ne sont pas réécrits."""
    session = Session.objects.select_for_update().select_related("reglement").get(pk=session.pk)
    verifier_session_ouverte(session)
    if candidats is not None:
        candidats = candidats.filter(session=session).ouverts()
    elif session.jurys.filter(verrouille=True).exists():
        # Un jury verrouillé (son PV validé peut-être) garde ses résultats ; sans jury verrouillé, la lecture
        # rapide de toute la session.
        candidats = Candidat.objects.filter(session=session).ouverts()
    v = resultats.verifier(session, candidats)
    resultats.ecrire(v.a_ecrire)
    journaliser(
        action="deliberation.calcul",
        auteur=auteur,
        session=session,
        apres={**v.par_decision, "resultats_changes": len(v.a_ecrire)},
    )
    return Deliberation(v.total, len(v.a_ecrire), v.differences, v.par_decision)


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


def _chaine(valeur) -> str:
    return "" if valeur is None else str(regles.tronquer(valeur))


class ResultatsAChanger(OperationRefusee):
    """Le verrouillage a trouvé des résultats enregistrés différents du calcul : le jury doit confirmer."""

    def __init__(self, differences: list[resultats.Difference]):
        self.differences = differences
        n = len({d.numero for d in differences})
        super().__init__(f"{n} résultat{'s' if n > 1 else ''} change{'nt' if n > 1 else ''} au recalcul : confirmez.")

    @property
    def jeton(self) -> str:
        return jeton_differences(self.differences)


def jeton_differences(differences: list[resultats.Difference]) -> str:
    """Identifie la liste confirmée : si elle a changé entre l'affichage et la confirmation, on redemande."""
    return hashlib.sha256("\n".join(sorted(str(d) for d in differences)).encode()).hexdigest()[:16]


def recalculer_avant_verrou(session: Session, candidats, confirmation: str) -> tuple[list, list]:
    """Le recalcul qui précède tout verrou (session ou jury), dans sa transaction : si un résultat enregistré
    diffère du calcul, `ResultatsAChanger` porte la liste tant que le jeton de cette liste n'est pas confirmé ;
    sinon les résultats recalculés sont écrits. Renvoie (résultats réécrits, différences)."""
    a_ecrire, differences = resultats.differences(session, candidats)
    if a_ecrire and confirmation != jeton_differences(differences):
        raise ResultatsAChanger(differences)
    resultats.ecrire(a_ecrire)
    return a_ecrire, differences


@transaction.atomic
def verrouiller(*, session: Session, auteur, confirmation: str = "") -> int:
    """Verrouille après avoir recalculé toute la session dans la même transaction.

    Si un résultat enregistré diffère du calcul (ce qui ne devrait jamais arriver), rien n'est verrouillé :
    ResultatsAChanger porte la liste, que la page montre ; le jury confirme avec le jeton de cette liste, et les
    résultats recalculés sont écrits puis la session verrouillée. Renvoie le nombre de résultats réécrits.
    """
    from examens import perimetre

    if not perimetre.voit_tout(auteur):
        # Toute la session est nationale : un lycée ou une académie ne la fige pas pour les autres (les jurys,
        # eux, se verrouillent chacun : examens.jurys.services.verrouiller_jury).
        raise OperationRefusee("Verrouiller toute la session est un acte d'administrateur : verrouillez votre jury.")
    session = Session.objects.select_for_update().select_related("reglement").get(pk=session.pk)
    if session.verrouillee:
        raise OperationRefusee(f"La session {session.annee} est déjà verrouillée.")
    a_ecrire, differences = recalculer_avant_verrou(session, None, confirmation)
    session.verrouillee = True
    session.save(update_fields=["verrouillee"])
    journaliser(
        action="deliberation.verrouillage",
        auteur=auteur,
        session=session,
        avant={"verrouillee": False},
        apres={"verrouillee": True, "resultats_changes": len(a_ecrire)},
        motif="; ".join(str(d) for d in differences[:50]),
    )
    return len(a_ecrire)


@transaction.atomic
def deverrouiller(*, session: Session, auteur, motif: str) -> None:
    if not auteur.has_perm("examens.voir_tout"):
        raise OperationRefusee("Seul un administrateur peut déverrouiller toute la session.")
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


@transaction.atomic
def definir_blocage(*, candidat: Candidat, source: str, motif: str | None) -> None:
    """Pose (motif) ou lève (None) le blocage d'une source pour un candidat, idempotent ; recalcule son résultat."""
    if motif:
        Blocage.objects.update_or_create(candidat=candidat, source=source, defaults={"motif": motif})
    else:
        Blocage.objects.filter(candidat=candidat, source=source).delete()
    resultats.recalculer([candidat.pk])


@transaction.atomic
def definir_mobilite_eligible(*, candidat: Candidat, eligible: bool) -> None:
    if candidat.mobilite_eligible != eligible:
        Candidat.objects.filter(pk=candidat.pk).update(mobilite_eligible=eligible)
        candidat.mobilite_eligible = eligible
        resultats.recalculer([candidat.pk])


@transaction.atomic
def definir_blocages(*, source: str, motifs: dict[int, str | None], mobilites: dict[int, bool] | None = None) -> None:
    """`definir_blocage` (et `definir_mobilite_eligible`) pour toute une session, puis un seul recalcul.

    `motifs` : identifiant du candidat → motif (pose) ou None (levée) ; `mobilites` : identifiant → éligibilité à
    l'unité de mobilité, pour les seuls candidats dont la valeur change (l'appelant connaît la valeur actuelle).
    Un nombre fixe de requêtes quel que soit le nombre de candidats : suppression des blocages levés, insertion
    … ON CONFLICT DO UPDATE des blocages posés (motif et date remis à jour), au plus deux mises à jour de la
    mobilité, puis le recalcul des résultats touchés.
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
    mobilites = mobilites or {}
    for valeur in (True, False):
        ids = [candidat_id for candidat_id, eligible in mobilites.items() if bool(eligible) is valeur]
        if ids:
            Candidat.objects.filter(pk__in=ids).update(mobilite_eligible=valeur)
    resultats.recalculer({*motifs, *mobilites})


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
        verifier_jurys_ouverts([candidat])
    etablissement = Etablissement.objects.filter(uai=uai).first()
    if etablissement is None:
        if not perimetre.peut_creer_etablissement(auteur):
            raise perimetre.HorsPerimetre(perimetre.message_etablissement_inconnu(uai), champ="uai")
        etablissement = Etablissement.objects.create(uai=uai, nom=f"Établissement {uai}")
    perimetre.verifier_ecriture(auteur, etablissement=etablissement)
    if nom := jury_verrouille(session.pk, etablissement.pk):
        raise OperationRefusee(message_jury_verrouille(nom))
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
    if avant is not None:
        verifier_notes_existantes(candidat)
    candidat.save()
    resultats.recalculer({candidat.pk} - apres_ecriture_candidats([candidat.pk]))
    journaliser(
        action="candidat.creation" if avant is None else "candidat.modification",
        auteur=auteur,
        candidat=candidat,
        avant=avant,
        apres={k: str(v) for k, v in valeurs.items()},
    )
    return candidat


def verifier_notes_existantes(candidat: Candidat) -> None:
    """Les notes déjà saisies restent-elles acceptables avec les nouvelles options du candidat ?

    Même règle que toute saisie (regles.valider_saisie) : retirer une unité facultative notée, repasser en forme
    globale avec une note conservée inférieure à 10… est refusé tant que la note existe.
    """
    notes = list(Note.objects.filter(candidat_id=candidat.pk))
    saisies = [
        SaisieNote(candidat=candidat, unite=n.unite, etat=n.etat, valeur=n.valeur, groupe=n.groupe, origine=n.origine)
        for n in notes
    ]
    if erreurs := valider_saisies(saisies):
        raise OperationRefusee(
            "Ce changement rendrait des notes déjà saisies irrecevables : "
            + " ; ".join(f"{saisies[rang].unite} : {message}" for rang, message in erreurs)
        )


@transaction.atomic
def attribuer_points_jury(*, candidat: Candidat, points: Decimal, motif: str, auteur) -> None:
    """Points du jury souverain (D337-88) : dénominateur inchangé, motif obligatoire, tracé avant → après."""
    if not motif.strip():
        raise OperationRefusee("Le motif est obligatoire pour toute décision du jury.")
    session = Session.objects.select_for_update().get(pk=candidat.session_id)
    verifier_session_ouverte(session, [candidat])
    avant = candidat.points_jury
    Candidat.objects.filter(pk=candidat.pk).update(points_jury=points)
    candidat.points_jury = points
    resultats.recalculer([candidat.pk])
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
    """Unités choisies pour l'épreuve de contrôle : une par sous-groupe du règlement (arrêté du 25/11/2021)."""
    session = Session.objects.select_for_update().select_related("reglement").get(pk=candidat.session_id)
    reglement = resultats.reglement_de(session.reglement)
    scientifiques = reglement.unites_controle("scientifique")
    francais = reglement.unites_controle("francais_hg")
    if scientifique not in scientifiques or francais_hg not in francais:
        raise OperationRefusee(
            f"Choisir une unité parmi {', '.join(scientifiques)} et une parmi {', '.join(francais)}."
        )
    verifier_session_ouverte(session, [candidat])
    avant = {"scientifique": candidat.controle_scientifique, "francais_hg": candidat.controle_francais_hg}
    # Changer d'unité efface la note de contrôle de l'unité abandonnée (une seule par sous-groupe), tracée.
    for unite in (candidat.controle_scientifique, candidat.controle_francais_hg):
        if unite and unite not in (scientifique, francais_hg):
            supprimer_notes(
                candidat=candidat,
                unite=unite,
                groupe=2,
                origine=None,
                auteur=auteur,
                source="controle",
                motif="unité de contrôle abandonnée",
            )
    Candidat.objects.filter(pk=candidat.pk).update(controle_scientifique=scientifique, controle_francais_hg=francais_hg)
    candidat.controle_scientifique, candidat.controle_francais_hg = scientifique, francais_hg
    resultats.recalculer([candidat.pk])
    journaliser(
        action="controle.choix",
        auteur=auteur,
        candidat=candidat,
        avant=avant,
        apres={"scientifique": scientifique, "francais_hg": francais_hg},
    )
