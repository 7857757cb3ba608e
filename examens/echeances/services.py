"""Échéances de saisie : les fixer, rouvrir, vérifier qu'une écriture est permise, valider les propositions.

Un seul contrôle, `verifier_saisie_ouverte`, appelé par la porte unique des notes (`examens.services.ecrire_notes`)
et par les droits d'une grille (`examens.ccf.lectures.droits`) : la règle elle-même est pure (`regle.etat_saisie`).
La division des examens (permission `examens.gerer_echeances`) et le système (auteur None) ne sont jamais arrêtés
par une échéance, ni les actes du jury (source « jury », notes de l'épreuve de contrôle) : la délibération vient
après la fermeture de la saisie.
"""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from agora.format import pluriel
from agora.requetes import RequeteFigee
from examens import regles, resultats
from examens.echeances import regle
from examens.echeances.models import Echeance, PropositionNote, Reouverture
from examens.models import Candidat, Etablissement, Note, Session
from examens.services import (
    OperationRefusee,
    SaisieNote,
    ecrire_notes,
    journaliser,
    valider_saisies,
    verifier_session_ouverte,
)

PERMISSION = "examens.gerer_echeances"
# Sources d'écriture qui ne sont pas de la saisie : le jury délibère après la fermeture ; la validation d'une
# proposition est l'acte de la division des examens elle-même.
SOURCES_HORS_ECHEANCE = {"jury", "proposition validée"}
SOURCE_PROPOSITION = "proposition validée"


class SaisieClose(OperationRefusee):
    """L'échéance est passée pour cette saisie et l'auteur n'a pas de réouverture."""


class PropositionSeulement(OperationRefusee):
    """L'auteur a une réouverture « proposition seulement » : sa saisie doit devenir une proposition."""

    def __init__(self, message: str, reouverture: regle.Reouverture):
        super().__init__(message)
        self.reouverture = reouverture


def exempte(utilisateur) -> bool:
    return utilisateur is None or utilisateur.has_perm(PERMISSION)


def instant_fr(instant: datetime.datetime) -> str:
    """« 12/05/2026 à 18 h 00 », à l'heure de Paris."""
    local = timezone.localtime(instant)
    return f"{local:%d/%m/%Y} à {local.hour} h {local:%M}"


# ------------------------------------------------------------------------------------------- lecture


@dataclass
class Regle:
    """Les échéances d'une session et les réouvertures d'un utilisateur, lues une fois (deux requêtes)."""

    echeances: list[regle.Echeance]
    reouvertures: list[regle.Reouverture]
    noms: dict[int, str]  # établissement → nom, pour les messages

    def decision(self, utilisateur, *, unite, nature, etablissement_id, candidat_id=None, instant=None):
        return regle.etat_saisie(
            unite=unite,
            nature=nature,
            etablissement_id=etablissement_id,
            candidat_id=candidat_id,
            utilisateur_id=getattr(utilisateur, "pk", None),
            instant=instant or timezone.now(),
            echeances=self.echeances,
            reouvertures=self.reouvertures,
        )


# Lue à chaque grille ouverte ou enregistrée, et le plus souvent vide : compilée une fois (agora/requetes.py).
_ECHEANCES = RequeteFigee(lambda session: Echeance.objects.filter(session_id=session))


def regle_de(session_id: int, utilisateur) -> Regle:
    echeances = _ECHEANCES(session=session_id)
    if not echeances:  # le cas courant : ni réouverture ni établissement à lire
        return Regle([], [], {})
    reouvertures = []
    if utilisateur is not None and utilisateur.pk:
        for r in Reouverture.objects.filter(session_id=session_id, beneficiaires=utilisateur, fin__gt=timezone.now()):
            reouvertures.append(r.pure([utilisateur.pk]))
    noms = dict(
        Etablissement.objects.filter(pk__in={e.etablissement_id for e in echeances if e.etablissement_id}).values_list(
            "pk", "nom"
        )
    )
    return Regle([e.pure() for e in echeances], reouvertures, noms)


def nature_de(session: Session, statut: str, unite: str) -> str:
    """CCF ou ponctuel : le mode d'évaluation découle du statut du candidat et du règlement de la session."""
    modes = resultats.reglement_de(session.reglement).modes
    return regle.nature_du_mode(modes.get((statut, unite), ""))


def etats_du_tableau(utilisateur, session: Session, candidats: list[Candidat], unite: str) -> dict[int, regle.Decision]:
    """Identifiant du candidat → décision, pour les lignes d'un tableau de saisie fermées ou en proposition
    seulement (les lignes ouvertes n'y figurent pas). Deux requêtes, quel que soit le nombre de lignes."""
    if exempte(utilisateur):
        return {}
    r = regle_de(session.pk, utilisateur)
    if not r.echeances:
        return {}
    decisions = {c.pk: decision_pour(utilisateur, c, unite, r, session) for c in candidats}
    return {pk: d for pk, d in decisions.items() if not d.ouverte}


def message(decision: regle.Decision, unite: str, nom_etablissement: str) -> str:
    e = decision.echeance
    if decision.etat == regle.PROPOSITION:
        return (
            f"Saisie de {unite} close depuis le {instant_fr(e.fermee_le)} pour {nom_etablissement} ; votre "
            f"réouverture (jusqu'au {instant_fr(decision.reouverture.fin)}) ne permet qu'une proposition, validée "
            "ensuite par la division des examens."
        )
    return (
        f"Saisie de {unite} close depuis le {instant_fr(e.fermee_le)} pour {nom_etablissement} ; demandez une "
        "réouverture à la division des examens."
    )


def decision_pour(
    utilisateur, candidat: Candidat, unite: str, regle_session: Regle | None = None, session: Session | None = None
) -> regle.Decision:
    """La décision pour une saisie d'un candidat (sa session, avec son règlement, lue sur lui si non donnée)."""
    if exempte(utilisateur):
        return regle.Decision(regle.OUVERTE)
    regle_session = regle_session or regle_de(candidat.session_id, utilisateur)
    return regle_session.decision(
        utilisateur,
        unite=unite,
        nature=nature_de(session or candidat.session, candidat.statut, unite),
        etablissement_id=candidat.etablissement_id,
        candidat_id=candidat.pk,
    )


def saisies_closes(auteur, saisies: list[SaisieNote], source: str) -> list[tuple[int, regle.Decision, str]]:
    """(rang, décision, message) de chaque saisie qui tombe après son échéance pour l'auteur (close, ou
    « proposition seulement »). Deux requêtes par session au plus, puis la règle pure en mémoire : un import de
    milliers de notes ne paie rien de plus quand la session n'a pas d'échéance."""
    if exempte(auteur) or source in SOURCES_HORS_ECHEANCE:
        return []
    refus = []
    regles_sessions: dict[int, tuple[Regle, Session]] = {}
    for rang, s in enumerate(saisies):
        if s.groupe != 1:  # groupe 2 : l'épreuve de contrôle, après la délibération
            continue
        c = s.candidat
        if c.session_id not in regles_sessions:
            regles_sessions[c.session_id] = (
                regle_de(c.session_id, auteur),
                Session.objects.select_related("reglement").get(pk=c.session_id),
            )
        r, session = regles_sessions[c.session_id]
        if not r.echeances:
            continue
        d = r.decision(
            auteur,
            unite=s.unite,
            nature=nature_de(session, c.statut, s.unite),
            etablissement_id=c.etablissement_id,
            candidat_id=c.pk,
        )
        if not d.ouverte:
            if c.etablissement_id not in r.noms:
                r.noms[c.etablissement_id] = Etablissement.objects.get(pk=c.etablissement_id).nom
            refus.append((rang, d, message(d, s.unite, r.noms[c.etablissement_id])))
    return refus


def verifier_saisie_ouverte(auteur, saisies: list[SaisieNote], source: str) -> None:
    """Lève SaisieClose (ou PropositionSeulement) si l'une des saisies tombe après son échéance pour l'auteur.

    Appelée par la porte unique `ecrire_notes`, après la validation des valeurs.
    """
    if refus := saisies_closes(auteur, saisies, source):
        _, d, texte = refus[0]
        if d.etat == regle.PROPOSITION:
            raise PropositionSeulement(texte, d.reouverture)
        raise SaisieClose(texte)


# ------------------------------------------------------------------------------------------- écritures


def _portee(objet) -> dict:
    return {"portee": objet.libelle_portee, "etablissement": objet.libelle_etablissement}


def verifier_portee(auteur, session: Session, *etablissements) -> None:
    """Une académie ne règle la saisie que de ses établissements. La portée « tous les établissements » couvre
    toute la session : permise à l'administrateur, ou à qui gère tous les établissements qui y ont des candidats
    (un service interacadémique, par exemple) — jamais à une académie parmi d'autres."""
    from examens import perimetre  # perimetre importe examens.services, que ce module importe

    if auteur is None or perimetre.voit_tout(auteur):
        return
    autorises = set(perimetre.etablissements_organisables(auteur).values_list("pk", flat=True))
    if any(e is None for e in etablissements) and (
        Etablissement.objects.filter(candidats__session=session).exclude(pk__in=autorises).exists()
    ):
        raise perimetre.HorsPerimetre(
            "Choisissez un établissement de votre académie : d'autres académies ont des candidats dans cette "
            "session, « tous les établissements » est réservé à un administrateur.",
            champ="etablissement",
        )
    etablissements = [e for e in etablissements if e is not None]
    for e in etablissements:
        if e.pk not in autorises:
            raise perimetre.HorsPerimetre(f"{e.nom} : établissement {perimetre.HORS_PERIMETRE}.", champ="etablissement")


@transaction.atomic
def enregistrer_echeance(*, session: Session, donnees: dict, auteur, echeance: Echeance | None = None) -> Echeance:
    """Crée ou modifie une échéance (valeurs validées par le formulaire), tracée avant → après."""
    if not exempte(auteur):
        raise OperationRefusee("Seule la division des examens fixe les échéances de saisie.")
    verifier_portee(auteur, session, donnees["etablissement"], *([echeance.etablissement] if echeance else []))
    avant = None
    if echeance is None:
        echeance = Echeance(session=session, auteur=auteur)
    else:
        avant = {**_portee(echeance), "fermee_le": instant_fr(echeance.fermee_le)}
    for champ in ("unite", "nature", "etablissement", "fermee_le"):
        setattr(echeance, champ, donnees[champ])
    if (
        Echeance.objects.filter(
            session=session, unite=echeance.unite, nature=echeance.nature, etablissement=echeance.etablissement
        )
        .exclude(pk=echeance.pk)
        .exists()
    ):
        raise OperationRefusee("Une échéance existe déjà pour cette portée : modifiez-la.")
    echeance.save()
    journaliser(
        action="echeance.creation" if avant is None else "echeance.modification",
        auteur=auteur,
        session=session,
        objet=echeance.libelle_portee,
        avant=avant,
        apres={**_portee(echeance), "fermee_le": instant_fr(echeance.fermee_le)},
    )
    return echeance


@transaction.atomic
def enregistrer_reouverture(
    *, session: Session, donnees: dict, auteur, reouverture: Reouverture | None = None
) -> Reouverture:
    """Crée ou modifie une réouverture exceptionnelle : personnes nommées, portée, fin, motif obligatoire."""
    if not exempte(auteur):
        raise OperationRefusee("Seule la division des examens rouvre la saisie.")
    if not (donnees.get("motif") or "").strip():
        raise OperationRefusee("Le motif de la réouverture est obligatoire.")
    verifier_portee(
        auteur, session, donnees.get("etablissement"), *([reouverture.etablissement] if reouverture else [])
    )
    avant = None
    if reouverture is None:
        reouverture = Reouverture(session=session, auteur=auteur)
    else:
        avant = _description(reouverture)
    for champ in ("unite", "nature", "etablissement", "candidat", "fin", "proposition_seulement"):
        setattr(reouverture, champ, donnees.get(champ))
    reouverture.motif = donnees["motif"].strip()
    reouverture.save()
    reouverture.beneficiaires.set(donnees["beneficiaires"])
    apres = _description(reouverture)
    journaliser(
        action="reouverture.creation" if avant is None else "reouverture.modification",
        auteur=auteur,
        session=session,
        candidat=reouverture.candidat,
        objet=reouverture.libelle_portee,
        avant=avant,
        apres=apres,
        motif=reouverture.motif,
    )
    return reouverture


def _description(r: Reouverture) -> dict:
    return {
        **_portee(r),
        "beneficiaires": sorted(u.get_full_name() or u.username for u in r.beneficiaires.all()),
        "fin": instant_fr(r.fin),
        "proposition_seulement": r.proposition_seulement,
    }


@transaction.atomic
def proposer_note(
    *, candidat: Candidat, unite: str, texte: str, auteur, reouverture_id: int | None, groupe: int = 1, motif: str = ""
) -> PropositionNote:
    """Enregistre la note d'un bénéficiaire d'une réouverture « proposition seulement » : validée comme une note
    (même règle de saisie), mais écrite seulement quand la division des examens l'accepte."""
    session = Session.objects.select_for_update().get(pk=candidat.session_id)
    verifier_session_ouverte(session)
    candidat = Candidat.objects.select_related("session__reglement").get(pk=candidat.pk)
    saisie = _saisie(candidat, unite, texte, groupe)
    if erreurs := valider_saisies([saisie]):
        raise OperationRefusee(erreurs[0][1])
    proposition = PropositionNote.objects.create(
        reouverture_id=reouverture_id,
        candidat=candidat,
        unite=unite,
        groupe=groupe,
        texte=texte.strip()[:12],
        motif=motif,
        auteur=auteur,
    )
    journaliser(
        action="proposition.creation",
        auteur=auteur,
        candidat=candidat,
        objet=f"{unite} groupe {groupe}",
        apres={"note": Note(etat=saisie.etat, valeur=saisie.valeur).affichage},
        motif=motif,
    )
    return proposition


def _saisie(candidat: Candidat, unite: str, texte: str, groupe: int) -> SaisieNote:
    try:
        etat, valeur = regles.parser_note(texte)
    except regles.NoteInvalide as e:
        raise OperationRefusee(str(e)) from None
    return SaisieNote(candidat=candidat, unite=unite, etat=etat, valeur=valeur, groupe=groupe)


def _en_attente(proposition: PropositionNote) -> PropositionNote:
    p = PropositionNote.objects.select_for_update().get(pk=proposition.pk)
    if p.etat != PropositionNote.Etat.EN_ATTENTE:
        raise OperationRefusee(f"Cette proposition est déjà {p.get_etat_display()}.")
    return p


@transaction.atomic
def valider_proposition(*, proposition: PropositionNote, auteur) -> PropositionNote:
    """La division des examens accepte : la note passe par la porte unique (et le résultat est recalculé)."""
    if not exempte(auteur):
        raise OperationRefusee("Seule la division des examens valide une proposition.")
    session = Session.objects.select_for_update().get(pk=proposition.candidat.session_id)
    verifier_portee(auteur, session, proposition.candidat.etablissement)
    verifier_session_ouverte(session)
    p = _en_attente(proposition)
    candidat = Candidat.objects.select_related("session__reglement").get(pk=p.candidat_id)
    saisie = _saisie(candidat, p.unite, p.texte, p.groupe)
    ecrire_notes(saisies=[saisie], auteur=auteur, source=SOURCE_PROPOSITION, motif=f"proposée : {p.motif}".strip())
    p.etat, p.decidee_par, p.decidee_le = PropositionNote.Etat.VALIDEE, auteur, timezone.now()
    p.save(update_fields=["etat", "decidee_par", "decidee_le"])
    journaliser(
        action="proposition.validation",
        auteur=auteur,
        candidat=candidat,
        objet=f"{p.unite} groupe {p.groupe}",
        apres={"note": Note(etat=saisie.etat, valeur=saisie.valeur).affichage},
        motif=p.motif,
    )
    return p


@transaction.atomic
def refuser_proposition(*, proposition: PropositionNote, auteur, motif: str) -> PropositionNote:
    if not exempte(auteur):
        raise OperationRefusee("Seule la division des examens refuse une proposition.")
    verifier_portee(auteur, proposition.candidat.session, proposition.candidat.etablissement)
    if not motif.strip():
        raise OperationRefusee("Le motif du refus est obligatoire.")
    p = _en_attente(proposition)
    p.etat, p.decidee_par, p.decidee_le = PropositionNote.Etat.REFUSEE, auteur, timezone.now()
    p.motif_decision = motif.strip()
    p.save(update_fields=["etat", "decidee_par", "decidee_le", "motif_decision"])
    journaliser(
        action="proposition.refus",
        auteur=auteur,
        candidat=p.candidat,
        objet=f"{p.unite} groupe {p.groupe}",
        apres={"note": p.texte},
        motif=motif.strip(),
    )
    return p


# ------------------------------------------------------------------------------------------- tableau de bord


@dataclass
class LigneEcheance:
    echeance: Echeance
    reouvertures: int
    close: bool

    @property
    def texte(self) -> str:
        """« U31 : saisie close le 12/05, 3 réouvertures » ; « U31 : ferme le 12/05 à 18 h 00 »."""
        e = self.echeance
        portee = e.libelle_portee + (f" ({e.etablissement.nom})" if e.etablissement_id else "")
        local = timezone.localtime(e.fermee_le)
        if not self.close:
            return f"{portee} : ferme le {local:%d/%m} à {local.hour} h {local:%M}"
        suite = f", {pluriel(self.reouvertures, 'réouverture')}" if self.reouvertures else ""
        return f"{portee} : saisie close le {local:%d/%m}{suite}"


def etablissements_lus(utilisateur) -> set[int] | None:
    """None : l'administrateur voit toutes les échéances ; les autres, celles de tous les établissements et des
    leurs — ceux qu'ils gèrent, directement ou par leurs académies (les échéances et les motifs des réouvertures
    d'une autre académie ou d'un autre lycée ne les regardent pas)."""
    from examens import perimetre  # perimetre importe examens.services, que ce module importe

    if perimetre.voit_tout(utilisateur):
        return None
    return set(perimetre.etablissements_ecrivables(utilisateur).values_list("pk", flat=True))


def echeances_lisibles(utilisateur, qs):
    """Échéances ou réouvertures (queryset) lisibles : celles de tous les établissements et des siens."""
    lus = etablissements_lus(utilisateur)
    return qs.all() if lus is None else qs.filter(Q(etablissement__isnull=True) | Q(etablissement_id__in=lus))


def lignes_tableau_de_bord(session: Session, etablissements: set[int] | None = None) -> list[LigneEcheance]:
    """Une ligne par échéance de la session (restreinte à `etablissements` et aux échéances de tous les
    établissements si donné), avec le nombre de réouvertures qui touchent sa portée. Deux requêtes."""
    maintenant = timezone.now()
    reouvertures = list(Reouverture.objects.filter(session=session).values_list("unite", "nature", "etablissement_id"))
    lignes = []
    echeances = Echeance.objects.filter(session=session).select_related("etablissement").order_by("fermee_le", "unite")
    if etablissements is not None:
        echeances = echeances.filter(Q(etablissement__isnull=True) | Q(etablissement_id__in=etablissements))
    for e in echeances:
        portee = regle.Portee(e.unite, e.nature, e.etablissement_id)
        nombre = sum(
            1
            for unite, nature, etab in reouvertures
            if (unite, nature) == (e.unite, e.nature) and portee.etablissement_id in (None, etab)
        )
        lignes.append(LigneEcheance(e, nombre, e.fermee_le <= maintenant))
    return lignes
