"""Les écritures d'une grille hors circuit : la commission, et l'enregistrement champ par champ (une table de
gestionnaires par champ, la fusion au champ près quand deux membres écrivent en même temps), tracés avant → après.
"""

from __future__ import annotations

import copy
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from agora.ecritures import Ecritures
from agora.format import nom_utilisateur
from examens.ccf.gabarits import echelle_de
from examens.ccf.lectures import (
    calcul_de,
    droits_et_evaluations,
    formes_par_statut,
    grille_existante,
    grille_verrouillee,
    lignes_du_gabarit,
)
from examens.ccf.notation import Calcul, Echelle, composition_admise, lire_date, lire_note
from examens.models import (
    Candidat,
    Commission,
    Division,
    EvaluationCompetence,
    GabaritGrille,
    Grille,
    HistoriqueGrille,
    LigneGabarit,
    MembreCommission,
    Session,
    texte_note,
)
from examens.services import (
    OperationRefusee,
    journaliser,
)

# ---------------------------------------------------------------------------------------------------
# Écritures : commissions, enregistrement champ par champ, circuit brouillon → validée → transmise → arrêtée
# ---------------------------------------------------------------------------------------------------


class ConflitVersion(OperationRefusee):
    """La grille a changé depuis que le navigateur l'a lue : rien n'est enregistré (HTTP 409)."""


class ConflitChamp(ConflitVersion):
    """Le même champ a été changé par quelqu'un d'autre (ou dans un autre onglet) : les deux valeurs, pour choisir."""

    def __init__(self, *, champ: str, cle: str, votre: str, enregistree: str, par: str, a: str):
        verbe = "avez" if par.startswith("vous") else "a"
        quand = f" à {a}" if a else ""
        super().__init__(
            f"{par[:1].upper()}{par[1:]} {verbe} changé ce champ{quand} depuis que vous l'avez ouvert : "
            "choisissez la valeur à garder."
        )
        self.champ, self.cle, self.votre, self.enregistree, self.par, self.a = champ, cle, votre, enregistree, par, a


class NonAutorise(OperationRefusee):
    """Action hors des droits de l'utilisateur sur cette grille (HTTP 403)."""


class SaisieInvalide(OperationRefusee):
    """Valeur refusée pour un champ (HTTP 400) ; le message s'affiche à côté du champ."""

    def __init__(self, message: str, champ: str = "", cle: str = ""):
        super().__init__(message)
        self.champ, self.cle = champ, cle


class GrilleIncomplete(OperationRefusee):
    def __init__(self, erreurs: list[tuple[str, str]]):
        super().__init__(" ".join(m for _, m in erreurs))
        self.erreurs = erreurs


def _tracer(grille: Grille, auteur, action: str, objet: str = "", avant="", apres="", motif: str = "") -> None:
    _trace(grille, auteur, action, objet, avant, apres, motif).save(force_insert=True)


def _trace(
    grille: Grille, auteur, action: str, objet: str = "", avant="", apres="", motif: str = ""
) -> HistoriqueGrille:
    return HistoriqueGrille(
        grille=grille,
        auteur=getattr(auteur, "username", "") or "",
        auteur_nom=nom_utilisateur(auteur),
        action=action,
        objet=objet,
        avant="" if avant is None else str(avant),
        apres="" if apres is None else str(apres),
        motif=motif,
    )


def _journal(grille: Grille, auteur, action: str, avant=None, apres=None, motif: str = "") -> None:
    journaliser(
        action=f"grille.{action}",
        auteur=auteur,
        session=grille.commission.session,
        candidat=grille.candidat,
        objet=f"grille {grille.epreuve} situation {grille.situation}"[:100],
        avant=avant,
        apres=apres,
        motif=motif,
    )


@transaction.atomic
def enregistrer_commission(
    *,
    gabarit: GabaritGrille,
    divisions: list[Division],
    membres: list[tuple[object, str]],
    nom: str = "",
    auteur,
    commission: Commission | None = None,
) -> Commission:
    """Crée ou modifie une commission : divisions d'un même établissement et d'une même session, composition
    admise par le gabarit (E31 : deux enseignants ; E32 : un enseignant et un professionnel, ou deux enseignants).
    """
    if not divisions:
        raise OperationRefusee("Choisissez au moins une division.")
    if len({(d.session_id, d.etablissement_id) for d in divisions}) > 1:
        raise OperationRefusee("Les divisions d'une commission sont d'un même établissement et d'une même session.")
    utilisateurs = [u.pk for u, _ in membres]
    if len(set(utilisateurs)) != len(utilisateurs):
        raise OperationRefusee("Une même personne ne peut siéger qu'une fois, avec une seule qualité.")
    if not composition_admise([q for _, q in membres], gabarit.compositions):
        raise OperationRefusee(f"Composition refusée pour {gabarit.epreuve} : {gabarit.composition_texte}.")
    session = Session.objects.select_related("reglement").get(pk=divisions[0].session_id)
    if session.reglement.referentiel_id != gabarit.referentiel_id:
        raise OperationRefusee("Ce gabarit ne relève pas du référentiel de la session.")
    avant = None
    if commission is None:
        commission = Commission.objects.create(
            session=session, etablissement_id=divisions[0].etablissement_id, gabarit=gabarit, nom=nom.strip()
        )
    else:
        if commission.gabarit.epreuve != gabarit.epreuve or commission.session_id != session.pk:
            raise OperationRefusee("L'épreuve et la session d'une commission ne changent pas.")
        avant = decrire_commission(commission)
        commission.nom = nom.strip()
        commission.etablissement_id = divisions[0].etablissement_id
        commission.save(update_fields=["nom", "etablissement"])
        commission.membres_commission.all().delete()
    commission.divisions.set(divisions)
    MembreCommission.objects.bulk_create(
        MembreCommission(commission=commission, utilisateur=u, qualite=q) for u, q in membres
    )
    journaliser(
        action="commission.creation" if avant is None else "commission.modification",
        auteur=auteur,
        session=session,
        objet=f"commission {commission.pk} {gabarit.epreuve}"[:100],
        avant=avant,
        apres=decrire_commission(commission),
    )
    return commission


def decrire_commission(commission: Commission) -> dict:
    return {
        "epreuve": commission.gabarit.epreuve,
        "nom": commission.nom,
        "divisions": sorted(d.nom for d in commission.divisions.all()),
        "membres": sorted(
            f"{m.utilisateur.username} ({m.qualite})"
            for m in commission.membres_commission.select_related("utilisateur")
        ),
    }


@dataclass
class Enregistrement:
    grille: Grille
    calcul: Calcul
    modifie: bool
    confirmations_annulees: bool = False


CHAMPS_TEXTE = {"appreciation": 5000, "justification": 2000}
CHAMPS_CASE = ("dossier_non_produit", "justificatifs_manquants")


def _case(valeur: str, champ: str) -> bool:
    if valeur not in ("0", "1", "true", "false"):
        raise SaisieInvalide("Valeur attendue : cochée ou non.", champ)
    return valeur in ("1", "true")


def _affichage(champ: str, valeur) -> str:
    if isinstance(valeur, bool):
        return "oui" if valeur else "non"
    if isinstance(valeur, Decimal):
        return texte_note("note", valeur)
    if isinstance(valeur, datetime.date):
        return valeur.strftime("%d/%m/%Y")
    return "" if valeur is None else str(valeur)


@dataclass
class Saisie:
    """Un changement demandé par la page, avec ce qu'il faut pour le juger (lu une fois par enregistrement)."""

    grille: Grille
    champ: str
    valeur: str
    cle: str
    lignes: list[LigneGabarit]
    evaluations: dict[int, EvaluationCompetence]
    echelle: Echelle
    # L'évaluation changée et sa colonne (None : à créer), écrite par enregistrer_champ avec la grille.
    evaluation_changee: tuple[EvaluationCompetence, str | None] | None = field(default=None)


# Chaque gestionnaire de champ valide la valeur (SaisieInvalide, à côté du champ), l'applique à la grille (ou à
# l'évaluation de la ligne) et rend (objet de la trace, avant, après). Aucun n'écrit en base : enregistrer_champ
# écrit ensuite la grille, l'évaluation changée et la trace en une requête.


def _ligne(s: Saisie) -> tuple[LigneGabarit, EvaluationCompetence]:
    ligne = next((x for x in s.lignes if str(x.pk) == str(s.cle)), None)
    if ligne is None:
        raise SaisieInvalide("Compétence inconnue dans cette grille.", s.champ, s.cle)
    return ligne, s.evaluations.get(ligne.pk) or EvaluationCompetence(grille=s.grille, ligne=ligne)


def _sur_la_ligne(s: Saisie, attribut: str, valeur: str) -> tuple[str, str, str]:
    ligne, evaluation = _ligne(s)
    avant = getattr(evaluation, attribut)
    if avant != valeur:
        setattr(evaluation, attribut, valeur)
        # Une évaluation déjà enregistrée : la seule colonne changée ; sinon, à créer.
        s.evaluation_changee = (evaluation, attribut if evaluation.pk else None)
        s.evaluations[ligne.pk] = evaluation
    return f"compétence {ligne.ordre}", avant, valeur


def _niveau(s: Saisie):
    if s.valeur and s.echelle.niveau(s.valeur) is None:
        _ligne(s)  # une compétence inconnue se signale d'abord
        raise SaisieInvalide(f"Niveau inconnu : {s.valeur}.", s.champ, s.cle)
    return _sur_la_ligne(s, "niveau", s.valeur)


def _observation(s: Saisie):
    if len(s.valeur) > 2000:
        raise SaisieInvalide("L'observation dépasse 2 000 caractères.", s.champ, s.cle)
    return _sur_la_ligne(s, "observation", s.valeur)


def _piece(s: Saisie):
    codes = {p["code"]: p["libelle"] for p in s.grille.gabarit.pieces}
    if s.cle not in codes:
        raise SaisieInvalide("Pièce inconnue pour ce dossier.", s.champ, s.cle)
    avant, apres = bool(s.grille.pieces.get(s.cle)), _case(s.valeur, s.champ)
    s.grille.pieces = {**s.grille.pieces, s.cle: apres}
    return codes[s.cle], avant, apres


def _case_ponctuel(s: Saisie):
    if s.grille.forme != Grille.Forme.PONCTUEL:
        raise SaisieInvalide("Cette case ne concerne que l'épreuve ponctuelle.", s.champ)
    apres = _case(s.valeur, s.champ)
    autre = next(c for c in CHAMPS_CASE if c != s.champ)
    if apres and getattr(s.grille, autre):
        raise SaisieInvalide(
            "« Dossier non produit » (note 0) et « justificatifs manquants » (non valide) s'excluent : "
            "décochez l'autre case d'abord.",
            s.champ,
        )
    avant = getattr(s.grille, s.champ)
    setattr(s.grille, s.champ, apres)
    return "", avant, apres


def _date_situation(s: Saisie):
    try:
        apres = lire_date(s.valeur)
    except OperationRefusee as e:
        raise SaisieInvalide(str(e), s.champ) from None
    annee = s.grille.commission.session.annee
    if apres and not datetime.date(annee - 3, 1, 1) <= apres <= datetime.date(annee, 12, 31):
        raise SaisieInvalide(f"La date doit se situer entre {annee - 3} et {annee}.", s.champ)
    avant, s.grille.date_situation = s.grille.date_situation, apres
    return "", avant, apres


def _note_proposee(s: Saisie):
    try:
        apres = lire_note(s.valeur)
    except OperationRefusee as e:
        raise SaisieInvalide(str(e), s.champ) from None
    avant, s.grille.note_proposee = s.grille.note_proposee, apres
    return "", avant, apres


def _texte(s: Saisie):
    if len(s.valeur) > CHAMPS_TEXTE[s.champ]:
        raise SaisieInvalide(f"Texte trop long ({CHAMPS_TEXTE[s.champ]} caractères au plus).", s.champ)
    avant = getattr(s.grille, s.champ)
    setattr(s.grille, s.champ, s.valeur)
    return "", avant, s.valeur


def valeur_du_champ(s: Saisie) -> str:
    """La valeur enregistrée d'un champ, sous la forme où la page l'envoie (pour la comparer à `origine`)."""
    if s.champ in ("niveau", "observation"):
        ligne = next((x for x in s.lignes if str(x.pk) == str(s.cle)), None)
        evaluation = s.evaluations.get(ligne.pk) if ligne else None
        return getattr(evaluation, s.champ) if evaluation else ""
    if s.champ == "piece":
        return "1" if s.grille.pieces.get(s.cle) else "0"
    if s.champ in CHAMPS_CASE:
        return "1" if getattr(s.grille, s.champ) else "0"
    if s.champ == "date_situation":
        return s.grille.date_situation.strftime("%d/%m/%Y") if s.grille.date_situation else ""
    if s.champ == "note_proposee":
        return texte_note("note", s.grille.note_proposee) if s.grille.note_proposee is not None else ""
    return getattr(s.grille, s.champ)


def forme_canonique(champ: str, texte: str | None) -> str:
    """« 12,5 » et « 12.50 », « 2026-03-12 » et « 12/03/2026 », « true » et « 1 » : la même valeur."""
    texte = texte or ""
    try:
        if champ == "note_proposee":
            note = lire_note(texte)
            return texte_note("note", note) if note is not None else ""
        if champ == "date_situation":
            jour = lire_date(texte)
            return jour.strftime("%d/%m/%Y") if jour else ""
    except OperationRefusee:
        return texte
    if champ == "piece" or champ in CHAMPS_CASE:
        return "1" if texte in ("1", "true") else "0"
    return texte


def _dernier_auteur(s: Saisie, user) -> dict:
    """Qui a changé ce champ en dernier, et quand : « vous, dans un autre onglet » si c'est l'utilisateur."""
    traces = HistoriqueGrille.objects.filter(grille=s.grille, action=s.champ)
    if s.champ in ("niveau", "observation"):
        ligne = next((x for x in s.lignes if str(x.pk) == str(s.cle)), None)
        traces = traces.filter(objet=f"compétence {ligne.ordre}" if ligne else "")
    derniere = traces.order_by("-date", "-id").first()
    if derniere is None:
        return {"par": "un autre membre", "a": ""}
    par = "vous, dans un autre onglet" if derniere.auteur == getattr(user, "username", None) else derniere.auteur_nom
    return {"par": par or "un autre membre", "a": timezone.localtime(derniere.date).strftime("%H:%M")}


GESTIONNAIRES_CHAMPS = {
    "niveau": _niveau,
    "observation": _observation,
    "piece": _piece,
    "date_situation": _date_situation,
    "note_proposee": _note_proposee,
    **dict.fromkeys(CHAMPS_TEXTE, _texte),
    **dict.fromkeys(CHAMPS_CASE, _case_ponctuel),
}
CHAMPS = tuple(GESTIONNAIRES_CHAMPS)


@transaction.atomic
def enregistrer_champ(
    *,
    commission: Commission,
    candidat: Candidat,
    situation: int,
    version: int,
    champ: str,
    valeur: str,
    cle: str = "",
    auteur,
    origine: str | None = None,
) -> Enregistrement:
    """Enregistre un seul changement (un niveau, une observation, la date…) tel qu'il est fait dans la page.

    Contrôle de concurrence champ par champ : `version` est celle que le navigateur a modifiée et `origine` la
    valeur que le champ avait quand il l'a lue. Si la grille a changé depuis mais pas ce champ, le changement est
    enregistré (deux membres peuvent remplir des lignes différentes en même temps) ; si ce champ a changé, rien
    n'est écrit et ConflitChamp porte les deux valeurs. Sans `origine`, toute autre version est un conflit.
    """
    if champ not in CHAMPS:
        raise SaisieInvalide(f"Champ inconnu : {champ}.", champ)
    gabarit = commission.gabarit
    if not 1 <= situation <= gabarit.situations:
        raise SaisieInvalide("Situation inconnue pour cette épreuve.", champ)
    # Verrou sur la grille : une confirmation ou une transmission en cours ne peut pas être écrasée. Les droits et
    # les évaluations sont lus avec lui, ou relus après lui s'il a fallu l'attendre (contexte None).
    grille, contexte = grille_verrouillee(auteur, candidat, commission, situation)
    if grille is None:
        # Pas encore de grille : le verrou sur le candidat sérialise sa création (version 0 → 1), puis on relit.
        # Sa seule clé est lue (le candidat est déjà chargé par l'appelant, dans le périmètre), sans tri (l'ordre
        # par défaut du modèle joindrait la session). Quand la grille existe, son verrou suffit : un seul verrou,
        # donc aucun ordre à respecter avec les écritures qui verrouillent la grille puis le candidat.
        list(Candidat.objects.select_for_update(no_key=True).filter(pk=candidat.pk).order_by().values_list("pk"))
        grille, contexte = grille_verrouillee(auteur, candidat, commission, situation)
    if grille is not None and grille.commission_id != commission.pk:
        raise NonAutorise("Cette grille est tenue par une autre commission.")
    actuelle = grille.version if grille else 0
    if version != actuelle and (origine is None or grille is None):
        qui = nom_utilisateur(grille.modifiee_par) if grille and grille.modifiee_par else "Un autre membre"
        raise ConflitVersion(
            f"{qui} a modifié cette "
            f"grille{' à ' + grille.modifiee_le.astimezone().strftime('%H:%M') if grille else ''} depuis que vous "
            "l'avez ouverte : votre dernière modification n'a pas été enregistrée. Rechargez la page pour voir "
            "la grille à jour, puis refaites votre modification."
        )
    d, evaluations = droits_et_evaluations(
        auteur,
        session=commission.session,
        etablissement_id=commission.etablissement_id,
        commission_id=commission.pk,
        grille=grille,
        candidat=candidat,
        epreuve=gabarit.epreuve,
        contexte=contexte,
    )
    if not d.modifier:
        raise NonAutorise(d.raison or "Vous ne pouvez pas modifier cette grille.")
    if grille is None:
        forme = formes_par_statut(commission).get(candidat.statut)
        if forme is None:
            raise NonAutorise("Ce candidat n'est pas évalué par cette commission.")
        grille = Grille.objects.create(
            commission=commission,
            candidat=candidat,
            gabarit=gabarit,
            epreuve=gabarit.epreuve,
            situation=situation,
            forme=forme.forme,
            modifiee_par=auteur,
        )
        grille = grille_existante(candidat, gabarit.epreuve, situation)
        evaluations = {}  # une grille neuve n'a encore aucune évaluation
    grille.commission = commission

    # Lignes et évaluations lues une fois : elles servent au champ modifié puis au calcul de la note.
    lignes = lignes_du_gabarit(grille.gabarit)
    saisie = Saisie(grille, champ, valeur, cle, lignes, evaluations, echelle_de(grille.gabarit))
    if version != actuelle:
        # Fusion champ par champ : la grille a changé depuis la version du navigateur, mais si ce champ-ci vaut
        # encore ce que le navigateur y avait lu (`origine`), personne d'autre ne l'a touché : on enregistre.
        enregistree = valeur_du_champ(saisie)
        if enregistree != forme_canonique(champ, origine):
            raise ConflitChamp(
                champ=champ, cle=cle, votre=valeur, enregistree=enregistree, **_dernier_auteur(saisie, auteur)
            )
    colonnes_avant = _colonnes(grille)
    objet, avant, apres = GESTIONNAIRES_CHAMPS[champ](saisie)

    calcul = calcul_de(grille, lignes, evaluations)
    modifie = avant != apres
    annulees = False
    if modifie:
        grille.note_suggeree = calcul.note
        grille.version += 1
        grille.modifiee_par = auteur
        # Les colonnes que ce champ a changées, et celles de toute écriture : un UPDATE de trois ou quatre colonnes
        # au lieu de vingt (moins à construire à chaque enregistrement automatique).
        changees = [c for c, v in _colonnes(grille).items() if colonnes_avant[c] != v]
        # L'évaluation, la grille et la trace en une requête (agora/ecritures.py) : trois lignes différentes,
        # aucune ne dépend d'une autre ; la grille est verrouillée depuis sa lecture.
        ecritures = Ecritures()
        if saisie.evaluation_changee is not None:
            evaluation, colonne = saisie.evaluation_changee
            if colonne is None:
                ecritures.creer(evaluation)
            else:
                ecritures.modifier(evaluation, [colonne])
        ecritures.modifier(grille, [*changees, "modifiee_le"])
        ecritures.creer(_trace(grille, auteur, champ, objet, _affichage(champ, avant), _affichage(champ, apres)))
        ecritures.executer()
        # Les confirmations ont été lues avec la grille (grille_verrouillee) : rien à relire s'il n'y en a pas.
        confirmes = [v.membre for v in grille.validations.select_related("membre")] if grille.validations.all() else []
        if confirmes:
            # Une confirmation vaut pour le contenu confirmé : toute modification l'annule.
            grille.validations.all().delete()
            annulees = True
            _tracer(
                grille,
                auteur,
                "confirmations",
                "confirmations annulées par la modification",
                ", ".join(nom_utilisateur(u) for u in confirmes),
                "",
            )
    return Enregistrement(grille, calcul, modifie, annulees)


def _colonnes(grille: Grille) -> dict:
    """La valeur de chaque colonne de la grille ; copiée pour les valeurs JSON, qu'un champ pourrait modifier sur
    place."""
    return {
        f.attname: copy.deepcopy(v) if isinstance(v := getattr(grille, f.attname), dict | list) else v
        for f in Grille._meta.concrete_fields
    }


def _verrouiller_grille(grille: Grille, version: int | None) -> Grille:
    # Seule la ligne de la grille est verrouillée : l'enregistrement champ par champ verrouille le candidat
    # puis la grille, jamais l'inverse, donc pas d'interblocage.
    verrouillee = (
        Grille.objects.select_for_update(of=("self",))
        .select_related("gabarit", "commission__session", "candidat", "modifiee_par")
        .get(pk=grille.pk)
    )
    if version is not None and verrouillee.version != version:
        qui = nom_utilisateur(verrouillee.modifiee_par) if verrouillee.modifiee_par else "Quelqu’un"
        raise ConflitVersion(
            f"{qui} a modifié la grille "
            "depuis que vous l'avez ouverte : vérifiez-la dans la page rechargée, puis recommencez."
        )
    return verrouillee


def _calcul_courant(grille: Grille) -> Calcul:
    lignes = lignes_du_gabarit(grille.gabarit)
    return calcul_de(grille, lignes, {e.ligne_id: e for e in grille.evaluations.all()})
