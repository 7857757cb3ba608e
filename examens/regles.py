"""Règles de délivrance du baccalauréat professionnel AGOrA : calcul pur, sans base de données.

Aucun import de Django et aucun nombre flottant : les points sont des ``Decimal`` exacts, les moyennes
des ``fractions.Fraction`` exactes. Les décisions comparent des valeurs exactes ; la troncature
(``tronquer``, ``format_fr``) ne sert qu'à l'affichage, car aucun texte ne fixe d'arrondi pour la
moyenne du baccalauréat professionnel (regles-examen.md §1.11).

Sources (étiquettes de regles-examen.md : [C] confirmé, [S] source secondaire, [U] non confirmé) :

- Arrêté du 18 février 2020 portant création de la spécialité AGOrA : art. 6 et 7, annexe II b
  (règlement d'examen : unités, coefficients, note (2) sur les épreuves facultatives), annexe II c
  (mention « non valide » en E31/E32), annexe IV (correspondance Gestion-Administration → AGOrA).
- Code de l'éducation, D337-67 à D337-94-1 : D337-69 (notes conservées 5 ans), D337-78 et D337-79
  (formes globale et progressive, admission, épreuve de contrôle), D337-80 (dispenses), D337-81
  (absences), D337-86 (mentions), D337-88 (jury souverain), D337-92 (épreuves de remplacement).
- Décret n° 2021-1524 et arrêté du 25 novembre 2021 : épreuve de contrôle, sessions 2022 et suivantes.
- Décret n° 2020-1277 et arrêté du 20 octobre 2020, art. 4 : points du chef-d'œuvre (projet).
- /work/shared/docs/regles-examen.md : §1.1 à §1.12 (règles et étiquettes), §7 (15 exemples chiffrés,
  reproduits par tests/examens/test_regles.py).

Longueur : toutes les règles de délivrance en un fichier, lues d'un trait avec leurs sources ; la lecture
entière (`decider`, pour la passe d'une session) suit `calculer` règle par règle, et un test de propriétés
vérifie qu'elles s'accordent (tests/examens/test_regles_entieres.py) : les séparer ferait dériver l'une de l'autre.
"""

import functools
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, replace
from decimal import Context, Decimal, Inexact, InvalidOperation, Rounded
from enum import StrEnum
from fractions import Fraction
from typing import Any

__all__ = [
    "Decision",
    "Dossier",
    "Ecart",
    "Etat",
    "PaireControle",
    "Mention",
    "NoteFacultative",
    "NoteInvalide",
    "NoteUnite",
    "Regles",
    "Resultat",
    "UniteSaisie",
    "unite_langue_facultative",
    "unites_dispensables",
    "bonus_chef_oeuvre",
    "bonus_facultatives",
    "admis_apres_controle",
    "calculer",
    "decision_premier_groupe",
    "ecarts_aux_seuils",
    "format_fr",
    "lire_saisie",
    "minimum_positionnement_statut",
    "mention_pour",
    "moyenne_professionnelle",
    "parser_note",
    "points_jury_pour",
    "points_obligatoires",
    "prochain_seuil",
    "raisons",
    "seuils_du_jury",
    "simuler_controle",
    "tronquer",
    "valider_saisie",
]

Nombre = Decimal | Fraction | int

NOTE_MAX = Decimal(20)
SOURCE_CONTROLE = "D337-78, arrêté du 25/11/2021"


# --------------------------------------------------------------------------------------------------
# Énumérations
# --------------------------------------------------------------------------------------------------


class Etat(StrEnum):
    """État d'une note d'unité (regles-examen.md §1.10, §5 « statuts »)."""

    NOTE = "note"  # note sur 20 saisie
    ABJ = "ABJ"  # absence justifiée : note 0, épreuve de remplacement possible (D337-81, D337-92) [C/U]
    ABS = "ABS"  # absence non justifiée : diplôme non délivrable (D337-81) [C]
    DIS = "DIS"  # unité dispensée : sort des deux sommes (D337-80, arrêté du 8/11/2012) [C/U]
    NV = "NV"  # « non valide » : justificatifs administratifs absents (annexe II c, E31/E32) [C]
    MANQUANTE = "manquante"  # note pas encore saisie : délibération impossible


class Decision(StrEnum):
    ADMIS = "admis"
    CONTROLE = "controle"  # admis à l'épreuve de contrôle (second groupe)
    AJOURNE = "ajourne"
    REMPLACEMENT = "remplacement"  # doit passer une ou des épreuves de remplacement (D337-81, D337-92)
    NON_DELIVRABLE = "non_delivrable"  # absence, « non valide » ou blocage : diplôme non délivrable
    INCOMPLET = "incomplet"  # note manquante : pas de délibération possible

    @property
    def libelle(self) -> str:
        return _LIBELLES_DECISION[self]


# La seule table des libellés : pages, exports, documents et modèle (Resultat.decision) la lisent d'ici.
_LIBELLES_DECISION = {
    Decision.ADMIS: "Admis",
    Decision.CONTROLE: "Épreuve de contrôle",
    Decision.AJOURNE: "Ajourné",
    Decision.REMPLACEMENT: "Épreuve de remplacement",
    Decision.NON_DELIVRABLE: "Non délivrable",
    Decision.INCOMPLET: "Incomplet",
}


class Mention(StrEnum):
    AB = "AB"
    B = "B"
    TB = "TB"

    @property
    def libelle(self) -> str:
        return _LIBELLES_MENTION[self]


_LIBELLES_MENTION = {Mention.AB: "Assez bien", Mention.B: "Bien", Mention.TB: "Très bien"}


class NoteInvalide(ValueError):
    """Saisie de note refusée ; le message, en français, dit pourquoi."""


# --------------------------------------------------------------------------------------------------
# Conversions exactes (jamais de float)
# --------------------------------------------------------------------------------------------------


def _en_decimal(valeur: object, nom: str) -> Decimal:
    """Decimal fini à partir d'un Decimal ou d'un int ; un float est refusé (il ne serait pas exact)."""
    if isinstance(valeur, bool) or not isinstance(valeur, Decimal | int):
        raise TypeError(f"{nom} : Decimal attendu, reçu {type(valeur).__name__} (jamais de float)")
    resultat = Decimal(valeur)
    if not resultat.is_finite():
        raise ValueError(f"{nom} : valeur non finie ({valeur})")
    return resultat


def _en_fraction(valeur: object) -> Fraction:
    if isinstance(valeur, Fraction):
        return valeur
    return Fraction(_en_decimal(valeur, "valeur"))


def _note_sur_20(valeur: object, nom: str) -> Decimal:
    note = _en_decimal(valeur, nom)
    if not 0 <= note <= NOTE_MAX:
        raise ValueError(f"{nom} : la note {_nombre(note)} doit être comprise entre 0 et 20")
    return note


# Un contexte décimal exact, créé une fois : 60 chiffres, et toute opération qui arrondirait lève une exception.
# (Un `localcontext()` par opération coûtait plus que l'opération elle-même, 300 000 fois par session.)
_EXACT = Context(prec=60, traps=[Inexact, Rounded, InvalidOperation])


def _somme(valeurs: Iterable[Decimal]) -> Decimal:
    """Somme exacte : lève decimal.Inexact plutôt que d'arrondir en silence."""
    total = Decimal(0)
    for valeur in valeurs:
        total = _EXACT.add(total, valeur)
    return total


def _produit(a: Decimal, b: Decimal) -> Decimal:
    """Produit exact (coefficient × note) : lève decimal.Inexact plutôt que d'arrondir."""
    return _EXACT.multiply(a, b)


def _sans_accents(texte: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", texte) if not unicodedata.combining(c))


# --------------------------------------------------------------------------------------------------
# Affichage
# --------------------------------------------------------------------------------------------------


def tronquer(valeur: Fraction | Decimal | int, decimales: int = 2) -> Decimal:
    """Troncature vers zéro, pour l'affichage seulement : 9,995 → 9,99 ; 10 → 10,00.

    Aucun texte ne fixe d'arrondi pour la moyenne du bac pro (regles-examen.md §1.11, [C: absent]) ;
    tronquer évite d'afficher « 10,00 » pour un candidat non admis (exemple §7.3). Les décisions ne
    s'appuient jamais sur cette valeur.
    """
    if decimales < 0:
        raise ValueError("decimales doit être positif ou nul")
    mise_a_l_echelle = _en_fraction(valeur) * 10**decimales
    entier = math.trunc(mise_a_l_echelle)  # vers zéro, exact sur une Fraction
    return Decimal(f"{entier}E-{decimales}")


def format_fr(valeur: Fraction | Decimal | int, decimales: int = 2) -> str:
    """Valeur tronquée avec virgule décimale : 1999/200 → « 9,99 » (affichage seulement, voir tronquer)."""
    return f"{tronquer(valeur, decimales):f}".replace(".", ",")


# La trace se construit seulement quand on la lira : la passe complète d'une session calcule sans elle et ne la
# refait que pour les résultats qui changent (examens.resultats) ; ses nombres mis en forme coûtaient autant que
# le calcul lui-même.
_AVEC_TRACE: ContextVar[bool] = ContextVar("agora_avec_trace", default=True)


def _nombre(valeur: Nombre) -> str:
    """Nombre pour la trace : exact s'il a au plus 6 décimales (« 9,995 »), sinon tronqué suivi de « … »."""
    if not _AVEC_TRACE.get():
        return ""
    if type(valeur) is Decimal:
        return _nombre_decimal(valeur)  # notes et coefficients : la trace d'une session en compte des millions
    return _nombre_exact(valeur)


def _nombre_exact(valeur: Nombre) -> str:
    fraction = _en_fraction(valeur)
    for decimales in range(7):
        mis_a_l_echelle = fraction * 10**decimales
        if mis_a_l_echelle.denominator == 1:
            return f"{Decimal(f'{mis_a_l_echelle.numerator}E-{decimales}'):f}".replace(".", ",")
    return format_fr(fraction, 4) + "…"


@functools.lru_cache(maxsize=8192)
def _nombre_decimal(valeur: Decimal) -> str:
    return _nombre_exact(valeur)


# --------------------------------------------------------------------------------------------------
# Saisie
# --------------------------------------------------------------------------------------------------

_CODES_SAISIE = {"ABS": Etat.ABS, "ABJ": Etat.ABJ, "DIS": Etat.DIS, "NV": Etat.NV}
CODES_SAISIE = tuple(_CODES_SAISIE)  # les codes qu'une saisie accepte à la place d'une note (listes déroulantes)
_MOTIF_NOTE = re.compile(r"(?P<signe>[-+]?)(?P<entier>[0-9]+)(?:[.,](?P<decimales>[0-9]+))?")
_FORMES_ACCEPTEES = "un nombre comme 12, 12,5 ou 12.75, ou l'un des codes ABS, ABJ, DIS, NV"


def parser_note(texte: str) -> tuple[Etat, Decimal | None]:
    """Lit une saisie de note : « 12 », « 12,5 », « 12.75 », « ABS », « abj », « DIS », « NV ».

    Refuse (NoteInvalide, message en français) : la saisie vide, plus de deux décimales, une note
    hors de [0, 20] (les notes sont sur 20, DecimalField(4, 2) côté modèle, style.md §B 2), NaN,
    l'infini, la notation exponentielle et tout autre format.
    """
    if not isinstance(texte, str):
        raise NoteInvalide(f"{texte!r} : une note se saisit sous forme de texte")
    brut = texte.strip()
    if not brut:
        raise NoteInvalide(f"note vide : saisir {_FORMES_ACCEPTEES}")
    if brut.upper() in _CODES_SAISIE:
        return _CODES_SAISIE[brut.upper()], None
    correspondance = _MOTIF_NOTE.fullmatch(brut)
    if correspondance is None:
        minuscules = brut.lower().lstrip("+-")
        if minuscules in {"nan", "snan", "inf", "infinity"}:
            raise NoteInvalide(f"{brut} : ce n'est pas un nombre fini ; saisir {_FORMES_ACCEPTEES}")
        if re.fullmatch(r"[0-9]+(?:[.,][0-9]*)?e[-+]?[0-9]+", minuscules):
            raise NoteInvalide(f"{brut} : la notation exponentielle n'est pas acceptée ; saisir {_FORMES_ACCEPTEES}")
        raise NoteInvalide(f"{brut} : format non reconnu ; saisir {_FORMES_ACCEPTEES}")
    decimales = correspondance["decimales"] or ""
    if len(decimales) > 2:
        raise NoteInvalide(f"{brut} : la note ne peut pas avoir plus de deux décimales")
    if correspondance["signe"] == "+":
        raise NoteInvalide(f"{brut} : le signe « + » n'est pas accepté ; saisir {_FORMES_ACCEPTEES}")
    valeur = Decimal(correspondance["entier"] + ("." + decimales if decimales else ""))
    if correspondance["signe"] == "-" or valeur > NOTE_MAX:
        raise NoteInvalide(f"{brut} : la note doit être comprise entre 0 et 20")
    return Etat.NOTE, valeur


# « Non valide » (annexe II c, E31 et E32 passées en ponctuel) : « En cas de non-production des éléments
# administratifs nécessaires pour se présenter à l'examen […], la mention « non valide » est prononcée et est
# signifiée au candidat. Le diplôme ne peut pas lui être délivré. » Aucune autre épreuve ne la prévoit.
EPREUVES_NON_VALIDE = ("E31", "E32")
MESSAGE_NV_ACQUIS = (
    "« non valide » prononcé : le diplôme ne peut pas être délivré (annexe II c) ; le jury ne remplace pas le "
    "« non valide » par une note, il le lève seulement sur production des justificatifs, avec un motif"
)

# Gestion-Administration : « La dernière session d'examen du baccalauréat professionnel spécialité
# « Gestion-Administration » […] aura lieu en 2022 » (arrêté du 18 février 2020, article 9).
DERNIERE_SESSION_GA = 2022


def unite_langue_facultative(facultative1: str, facultative2: str) -> str | None:
    """L'unité (UF1 ou UF2) où le candidat a choisi la langue vivante facultative, None s'il n'en a pas.

    Annexe IV : l'« épreuve facultative de langues vivantes » de Gestion-Administration (sans numéro) correspond
    à l'unité facultative de langue vivante d'AGOrA, quelle que soit sa place parmi les deux unités facultatives.
    """
    for code, choix in (("UF1", facultative1), ("UF2", facultative2)):
        if choix.startswith("LV:"):
            return code
    return None


# Unité facultative de mobilité, définie par l'arrêté du 30 août 2019 (cité aux annexes II a et II c) : une période
# de formation à l'étranger, ouverte (son article 2) aux scolaires des établissements publics ou privés sous contrat,
# aux apprentis des CFA habilités et aux candidats de la formation continue des établissements publics [S : lecture
# de l'article 2 rapportée par la revue du règlement ; texte non fourni dans le dossier de référence].
STATUTS_MOBILITE = frozenset(
    {"scolaire_public", "scolaire_prive_sous_contrat", "apprenti_cfa_habilite", "fpc_public", "fpc_public_habilite"}
)


def mobilite_non_recevable(statut: str, periode_a_l_etranger: bool | None) -> str | None:
    """Pourquoi l'unité facultative de mobilité ne peut pas compter, ou None si elle le peut.

    `periode_a_l_etranger` : True si une PFMP attestée à l'étranger ouvre l'unité (module PFMP), False sinon, None
    tant qu'aucune PFMP n'est saisie (la note compte alors, la conformité PFMP du candidat étant vérifiée à part).
    Jamais ignorée en silence : le motif s'affiche sur les pages de délibération et du candidat.
    """
    if statut not in STATUTS_MOBILITE:
        return (
            "réservée aux scolaires du public ou du privé sous contrat, aux apprentis de CFA habilités et à la "
            "formation continue des établissements publics (arrêté du 30 août 2019, art. 2)"
        )
    if periode_a_l_etranger is False:
        return "aucune période de PFMP attestée à l'étranger qui ouvre l'unité de mobilité"
    return None


# Dispenses (D337-71 ; arrêté du 8 novembre 2012, regles-examen §1.9) [C] : le diplôme qui y donne droit, noté sur
# le candidat, ouvre ces unités ; aucune unité professionnelle (U2, U31, U32) ne se dispense. La langue vivante B est
# comptée avec le baccalauréat (diplôme qui la comporte le plus souvent) : lecture retenue [U].
UNITES_DISPENSABLES = {
    "bac": frozenset({"U41", "U42", "U51", "U52", "U6", "U7"}),  # baccalauréat, BT, BMA… ou plus
    "bac_pro": frozenset({"U41", "U42", "U51", "U52", "U6", "U7", "U11", "U12", "U33"}),  # autre bac pro
    "eps_medical": frozenset({"U7"}),  # certificat médical (D337-83)
}
# EPS dispensée sur demande pour la formation continue et l'expérience professionnelle (D337-84).
STATUTS_EPS_SUR_DEMANDE = frozenset({"fpc_public", "fpc_public_habilite", "fpc_prive", "experience_3_ans"})


def unites_dispensables(titre: str, statut: str) -> frozenset[str]:
    """Les unités que ce candidat peut se voir dispenser, d'après le titre noté sur sa fiche et son statut."""
    unites = set(UNITES_DISPENSABLES.get(titre, ()))
    if statut in STATUTS_EPS_SUR_DEMANDE:
        unites.add("U7")
    return frozenset(unites)


# Annexe III, II.5 : la durée de PFMP fixée par la décision de positionnement ne peut être inférieure à 10 semaines
# pour la voie scolaire et à 8 semaines pour la formation continue. La seule définition : pfmp.regles_pfmp l'importe.
MINIMUM_POSITIONNEMENT_SCOLAIRE = Decimal(10)
MINIMUM_POSITIONNEMENT_FPC = Decimal(8)
_STATUTS_SCOLAIRES = ("scolaire_public", "scolaire_prive_sous_contrat", "scolaire_prive_hors_contrat")
_STATUTS_FPC = ("fpc_public", "fpc_public_habilite", "fpc_prive")


def minimum_positionnement_statut(statut: str) -> Decimal | None:
    """Le minimum de PFMP après positionnement pour un statut, None si le positionnement est sans objet."""
    if statut in _STATUTS_SCOLAIRES:
        return MINIMUM_POSITIONNEMENT_SCOLAIRE
    if statut in _STATUTS_FPC:
        return MINIMUM_POSITIONNEMENT_FPC
    return None


@dataclass(frozen=True)
class UniteSaisie:
    """Ce que le règlement et le dossier du candidat disent d'une unité, pour juger une saisie de note.

    Construit à un seul endroit (examens.resultats.unites_de_saisie) depuis les épreuves du règlement de la
    session : aucune porte (import, tableau de saisie, jury, grille CCF) ne tient sa propre liste d'unités.

    - ``facultative`` / ``choisie`` : UF1/UF2 n'existent que si le candidat a choisi l'unité facultative.
    - ``groupe_controle`` : sous-groupe de l'épreuve de contrôle (U11/U12/U33, U51/U52), None sinon ;
      ``choisie_controle`` : le candidat a choisi cette unité pour l'épreuve de contrôle.
    - ``forme_progressive`` : une note conservée inférieure à 10 n'est permise qu'en forme progressive.
    - ``non_valide_possible`` : E31/E32 passées en ponctuel par ce candidat (EPREUVES_NON_VALIDE) ;
      ``non_valide_prononce`` : la note enregistrée de l'unité est déjà « NV ».
    """

    code: str
    facultative: bool = False
    choisie: bool = True
    groupe_controle: str | None = None
    choisie_controle: bool = False
    forme_progressive: bool = False
    non_valide_possible: bool = False
    non_valide_prononce: bool = False
    dispensable: bool = True  # le titre du candidat (ou son statut, pour l'EPS) ouvre la dispense de cette unité


def valider_saisie(
    unite: UniteSaisie, etat: Etat, valeur: Decimal | None, *, groupe: int = 1, conservee: bool = False
) -> None:
    """La seule règle d'acceptation d'une note, quelle que soit la porte (import, navigateur, jury, grille CCF).

    Lève NoteInvalide avec le même message en français pour la même entrée :

    - une unité facultative non choisie ne reçoit pas de note (annexe II b, note 2) ;
    - DIS : seule une unité obligatoire du premier groupe se dispense (D337-80 ; une épreuve facultative ou de
      contrôle ne se dispense pas) ;
    - groupe 2 (épreuve de contrôle, arrêté du 25/11/2021) : seulement sur une unité d'un sous-groupe de contrôle
      choisie par le candidat, jamais une note conservée, ni DIS ni NV ;
    - note conservée (D337-69, D337-78/79) : une note chiffrée, au moins 10 sauf en forme progressive ;
    - NV (annexe II c) : seulement en E31/E32 passées en ponctuel ; une fois prononcé, aucune note ne le remplace
      (le jury le lève, sur production des justificatifs, par `services.lever_non_valide`).
    """
    etat = Etat(etat)
    if etat is Etat.MANQUANTE:
        raise NoteInvalide("une note manquante ne se saisit pas : laissez la case vide")
    if (etat is Etat.NOTE) != (valeur is not None):
        raise NoteInvalide(f"{unite.code} : état {etat} et valeur incohérents")
    if valeur is not None and not 0 <= valeur <= NOTE_MAX:
        raise NoteInvalide(f"{_nombre(valeur)} : la note doit être comprise entre 0 et 20")
    if groupe not in (1, 2):
        raise NoteInvalide(f"groupe « {groupe} » : 1 (premier groupe) ou 2 (épreuve de contrôle)")
    if unite.facultative and not unite.choisie:
        rang = "première" if unite.code.endswith("1") else "seconde"
        raise NoteInvalide(f"{unite.code} : le candidat n'a pas choisi de {rang} unité facultative")
    if etat is Etat.DIS and (unite.facultative or groupe == 2):
        raise NoteInvalide("DIS : seule une unité obligatoire du premier groupe se dispense")
    if etat is Etat.DIS and not unite.dispensable:
        raise NoteInvalide(
            f"DIS : aucun titre noté sur la fiche du candidat ne dispense de {unite.code} (D337-71, arrêté du "
            "8 novembre 2012) ; indiquez d'abord le diplôme qui y donne droit"
        )
    if etat is Etat.NV and groupe == 1 and not unite.non_valide_possible:
        raise NoteInvalide(
            f"NV : « non valide » ne se prononce qu'en {' et '.join(EPREUVES_NON_VALIDE)} passées en ponctuel, "
            "faute des justificatifs administratifs (annexe II c)"
        )
    if unite.non_valide_prononce and groupe == 1 and etat is not Etat.NV:
        raise NoteInvalide(f"{unite.code} : {MESSAGE_NV_ACQUIS}")
    if groupe == 2:
        if conservee:
            raise NoteInvalide("une note de l'épreuve de contrôle (groupe 2) n'est pas une note conservée")
        if unite.groupe_controle is None:
            raise NoteInvalide(f"{unite.code} : ne peut pas être réexaminée à l'épreuve de contrôle")
        if etat is Etat.NV:
            raise NoteInvalide("NV : « non valide » ne s'applique pas à l'épreuve de contrôle")
        if not unite.choisie_controle:
            raise NoteInvalide(f"{unite.code} : choisissez d'abord cette unité pour l'épreuve de contrôle")
    if conservee:
        if etat is not Etat.NOTE:
            raise NoteInvalide(f"note conservée : une note chiffrée est attendue, pas {etat}")
        assert valeur is not None
        if valeur < 10 and not unite.forme_progressive:
            raise NoteInvalide("note conservée inférieure à 10 : seule la forme progressive le permet (D337-78/79)")


def lire_saisie(
    texte: str, unite: UniteSaisie, *, groupe: int = 1, conservee: bool = False
) -> tuple[Etat, Decimal | None]:
    """parser_note puis valider_saisie : ce que font le tableau de saisie et le formulaire du jury."""
    etat, valeur = parser_note(texte)
    valider_saisie(unite, etat, valeur, groupe=groupe, conservee=conservee)
    return etat, valeur


# --------------------------------------------------------------------------------------------------
# Données d'entrée
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteUnite:
    """Note d'une unité obligatoire, déjà résolue pour le candidat (coefficient de sa catégorie).

    ``note`` est renseignée si et seulement si ``etat`` vaut NOTE. ``note_controle`` est la note obtenue
    à l'épreuve de contrôle (second groupe) sur cette unité ; elle n'est permise que sur une unité d'un
    groupe de contrôle (U11/U12/U33 « scientifique », U51/U52 « francais_hg », arrêté du 25/11/2021).
    Les notes ne sont pas limitées à deux décimales : une note de CCF peut être une moyenne exacte
    (10,125 pour E2, deux situations d'égale importance, annexe II c ; exemple §7.3).
    """

    unite: str
    coefficient: Decimal
    etat: Etat
    note: Decimal | None = None
    professionnelle: bool = False  # U2, U31, U32 (regles-examen.md §1.3) [S]
    groupe_controle: str | None = None
    remplacable: bool = True  # False pour U7 : pas de remplacement en EPS (D337-92) [C]
    origine: str = ""  # libellé libre pour la trace, ex. « conservée GA 2022 »
    note_controle: Decimal | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "etat", Etat(self.etat))
        coefficient = _en_decimal(self.coefficient, f"{self.unite} : coefficient")
        if coefficient <= 0:
            raise ValueError(f"{self.unite} : le coefficient doit être strictement positif")
        object.__setattr__(self, "coefficient", coefficient)
        if self.etat is Etat.NOTE:
            if self.note is None:
                raise ValueError(f"{self.unite} : l'état « note » exige une note")
            object.__setattr__(self, "note", _note_sur_20(self.note, self.unite))
        elif self.note is not None:
            raise ValueError(f"{self.unite} : une note n'est permise qu'avec l'état « note » (état {self.etat})")
        if self.note_controle is not None:
            if self.groupe_controle is None:
                raise ValueError(f"{self.unite} : cette unité ne peut pas être réexaminée à l'épreuve de contrôle")
            if self.etat not in (Etat.NOTE, Etat.ABJ):
                raise ValueError(f"{self.unite} : pas d'épreuve de contrôle sur une unité à l'état {self.etat}")
            object.__setattr__(self, "note_controle", _note_sur_20(self.note_controle, f"{self.unite} (contrôle)"))

    @property
    def note_retenue_groupe1(self) -> Decimal:
        """Note comptée au premier groupe : la note, ou 0 pour ABJ (D337-81) et, à titre indicatif, ABS/NV."""
        if self.etat in (Etat.DIS, Etat.MANQUANTE):
            raise ValueError(f"{self.unite} : aucune note comptée pour l'état {self.etat}")
        return self.note if self.note is not None else Decimal(0)


@dataclass(frozen=True)
class NoteFacultative:
    """Note d'une unité facultative UF1/UF2 (annexe II b, note (2))."""

    unite: str
    etat: Etat
    note: Decimal | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "etat", Etat(self.etat))
        if self.etat is Etat.NOTE:
            if self.note is None:
                raise ValueError(f"{self.unite} : l'état « note » exige une note")
            object.__setattr__(self, "note", _note_sur_20(self.note, self.unite))
        elif self.note is not None:
            raise ValueError(f"{self.unite} : une note n'est permise qu'avec l'état « note » (état {self.etat})")


@dataclass(frozen=True)
class Regles:
    """Règles de session d'une version du règlement d'examen (seuils, bonus, contrôle, mentions).

    - ``seuil_admission`` : admis si moyenne ≥ 10 (D337-78 ; regles-examen §1.3) [C].
    - ``seuil_controle`` : épreuve de contrôle si seuil_controle ≤ moyenne < seuil_admission
      (D337-78 version 2022, arrêté du 25/11/2021) [C].
    - ``seuil_professionnel`` : condition « moyenne des épreuves professionnelles ≥ 10 » pour le contrôle
      (arrêté du 25/11/2021) [C] ; sous-ensemble U2/U31/U32 pour AGOrA (académies de Lille et Nancy-Metz) [S].
    - ``seuils_mentions`` : AB ≥ 12, B ≥ 14, TB ≥ 16 sur la moyenne du premier groupe (D337-86) [C].
    - ``max_facultatives`` : une ou deux unités facultatives (annexe II b, note (2)) [C].
    - ``coefficient_chef_oeuvre`` : l'écart à 10 de la note du chef-d'œuvre est « affecté du coefficient 2 »,
      ajouté ou retranché (arrêté du 20/10/2020 art. 4) [C via SNETAA] ; dénominateur inchangé [U].
    - ``mention_apres_controle`` : aucune mention après le contrôle (arrêtés de spécialité 2022, ex. arrêté
      du 6/1/2022 art. 12 ; résumés officiels) [C pour d'autres spécialités, S pour AGOrA].
    - ``mention_avec_notes_conservees`` : mention possible avec des notes conservées ; question non tranchée
      pour le bac pro (regles-examen §1.5) [U], lecture configurable.
    - ``controle_actif`` : épreuve de contrôle dans sa forme de 2022 (décret 2021-1524) [C] ; False pour un
      règlement sans second groupe (tout candidat non admis est alors ajourné).
    """

    seuil_admission: Decimal = Decimal(10)
    seuil_controle: Decimal = Decimal(8)
    seuil_professionnel: Decimal = Decimal(10)
    seuils_mentions: tuple[tuple[Mention, Decimal], ...] = (
        (Mention.TB, Decimal(16)),
        (Mention.B, Decimal(14)),
        (Mention.AB, Decimal(12)),
    )
    max_facultatives: int = 2
    coefficient_chef_oeuvre: Decimal = Decimal(2)
    # Le chef-d'œuvre vient d'une réforme postérieure à l'arrêté : seule une version du règlement qui le définit
    # (clé « coefficient_chef_oeuvre ») le prend en compte ; sinon la note n'est ni saisie ni comptée.
    chef_oeuvre_actif: bool = True
    mention_apres_controle: bool = False
    mention_avec_notes_conservees: bool = True
    controle_actif: bool = True

    def __post_init__(self) -> None:
        for nom in ("seuil_admission", "seuil_controle", "seuil_professionnel", "coefficient_chef_oeuvre"):
            object.__setattr__(self, nom, _en_decimal(getattr(self, nom), nom))
        seuils = tuple((Mention(m), _en_decimal(s, f"seuil de la mention {m}")) for m, s in self.seuils_mentions)
        # du plus haut au plus bas : la première mention atteinte est la bonne
        object.__setattr__(self, "seuils_mentions", tuple(sorted(seuils, key=lambda ms: ms[1], reverse=True)))
        if isinstance(self.max_facultatives, bool) or not isinstance(self.max_facultatives, int):
            raise TypeError("max_facultatives : entier attendu")
        if self.max_facultatives < 0:
            raise ValueError("max_facultatives doit être positif ou nul")
        if self.seuil_controle > self.seuil_admission:
            raise ValueError("le seuil du contrôle ne peut pas dépasser le seuil d'admission")

    @classmethod
    def depuis_dict(cls, donnees: Mapping[str, Any]) -> "Regles":
        """Construit les règles depuis l'objet « regles » de fixtures/reglement/*.json.

        Les nombres y sont des chaînes (« 10 », « 2 ») pour rester exacts ; « sources » et
        « validite_notes_conservees_sessions » (D337-69, utile à la saisie, pas au calcul) sont ignorées.
        """

        def dec(cle: str) -> Decimal:
            valeur = donnees[cle]
            if isinstance(valeur, bool) or not isinstance(valeur, str | int):
                raise TypeError(f"regles.{cle} : chaîne ou entier attendu, reçu {type(valeur).__name__}")
            return Decimal(valeur)

        def booleen(cle: str) -> bool:
            valeur = donnees[cle]
            if not isinstance(valeur, bool):
                raise TypeError(f"regles.{cle} : booléen attendu, reçu {type(valeur).__name__}")
            return valeur

        chef_oeuvre = "coefficient_chef_oeuvre" in donnees
        max_facultatives = donnees["max_facultatives"]
        if isinstance(max_facultatives, bool) or not isinstance(max_facultatives, int):
            raise TypeError("regles.max_facultatives : entier attendu")
        mentions = donnees["mentions"]
        seuils = []
        for code, seuil in mentions.items():
            if isinstance(seuil, bool) or not isinstance(seuil, str | int):
                raise TypeError(f"regles.mentions.{code} : chaîne ou entier attendu")
            seuils.append((Mention(code), Decimal(seuil)))
        return cls(
            seuil_admission=dec("seuil_admission"),
            seuil_controle=dec("seuil_controle"),
            seuil_professionnel=dec("seuil_professionnel"),
            seuils_mentions=tuple(seuils),
            max_facultatives=max_facultatives,
            coefficient_chef_oeuvre=dec("coefficient_chef_oeuvre") if chef_oeuvre else Decimal(0),
            chef_oeuvre_actif=chef_oeuvre,
            mention_apres_controle=booleen("mention_apres_controle"),
            mention_avec_notes_conservees=booleen("mention_avec_notes_conservees"),
            controle_actif=booleen("controle_actif"),
        )


@dataclass(frozen=True)
class Dossier:
    """Tout ce qu'il faut pour délibérer sur un candidat, une session.

    ``chef_oeuvre`` : note /20 du chef-d'œuvre (projet), None si le candidat n'est pas concerné
    (scolaires et apprentis seulement, regles-examen §1.7). ``points_jury`` : points ajoutés par le jury
    souverain (D337-88), dénominateur inchangé, jamais négatifs. ``blocages`` : motifs extérieurs qui
    empêchent la délivrance (ex. « PFMP : 8 semaines manquantes »).
    """

    unites: tuple[NoteUnite, ...]
    facultatives: tuple[NoteFacultative, ...] = ()
    chef_oeuvre: Decimal | None = None
    points_jury: Decimal = Decimal(0)
    blocages: tuple[str, ...] = ()
    remarques: tuple[str, ...] = ()  # ce qui ne compte pas et pourquoi (ex. « mobilité non recevable : … »)

    def __post_init__(self) -> None:
        object.__setattr__(self, "unites", tuple(self.unites))
        object.__setattr__(self, "remarques", tuple(self.remarques))
        object.__setattr__(self, "facultatives", tuple(self.facultatives))
        object.__setattr__(self, "blocages", tuple(self.blocages))
        codes = [u.unite for u in self.unites] + [f.unite for f in self.facultatives]
        if doublons := sorted({c for c in codes if codes.count(c) > 1}):
            raise ValueError(f"unités en double : {', '.join(doublons)}")
        if self.chef_oeuvre is not None:
            object.__setattr__(self, "chef_oeuvre", _note_sur_20(self.chef_oeuvre, "chef-d'œuvre"))
        points_jury = _en_decimal(self.points_jury, "points du jury")
        if points_jury < 0:
            raise ValueError("les points du jury s'ajoutent : ils ne peuvent pas être négatifs")
        object.__setattr__(self, "points_jury", points_jury)


@dataclass(frozen=True)
class Resultat:
    """Résultat de la délibération, avec la trace lisible des calculs.

    ``points``/``moyenne`` sont ceux sur lesquels repose la décision finale (après le contrôle s'il a eu
    lieu) ; ``points_groupe1``/``moyenne_groupe1`` ceux du premier groupe. ``moyenne_professionnelle`` est
    None si toutes les unités professionnelles sont dispensées (condition alors remplie, §1.3) ou si la
    moyenne ne peut pas être calculée (note manquante).
    """

    decision: Decision
    mention: Mention | None
    points: Decimal | None
    total_coefficients: Decimal | None
    moyenne: Fraction | None
    moyenne_professionnelle: Fraction | None
    controle_passe: bool
    trace: tuple[str, ...]
    decision_groupe1: Decision | None = None
    points_groupe1: Decimal | None = None
    moyenne_groupe1: Fraction | None = None
    bonus_facultatives: Decimal = Decimal(0)
    bonus_chef_oeuvre: Decimal = Decimal(0)
    points_jury: Decimal = Decimal(0)
    unites_controle: tuple[str, ...] = ()
    unites_a_remplacer: tuple[str, ...] = ()
    unites_manquantes: tuple[str, ...] = ()
    remarques: tuple[str, ...] = ()

    @property
    def moyenne_affichee(self) -> str:
        """Moyenne tronquée à deux décimales, virgule décimale ; « » si elle n'a pas pu être calculée."""
        return "" if self.moyenne is None else format_fr(self.moyenne)


# --------------------------------------------------------------------------------------------------
# Règles élémentaires
# --------------------------------------------------------------------------------------------------


def ligne_unite(unite: NoteUnite) -> str:
    """Ligne de trace d'une unité obligatoire : « U31 : 14 × 4 = 56 »."""
    suffixe = f" ({unite.origine})" if unite.origine else ""
    coef = _nombre(unite.coefficient)
    match unite.etat:
        case Etat.NOTE:
            assert unite.note is not None
            produit = _produit(unite.note, unite.coefficient)
            return f"{unite.unite} : {_nombre(unite.note)} × {coef} = {_nombre(produit)}{suffixe}"
        case Etat.ABJ:
            return f"{unite.unite} : absence justifiée (ABJ), compte 0 × {coef} = 0 (D337-81){suffixe}"
        case Etat.ABS:
            return (
                f"{unite.unite} : absent (ABS) → diplôme non délivrable (D337-81) ; "
                f"0 × {coef} = 0 pour la moyenne indicative{suffixe}"
            )
        case Etat.NV:
            return (
                f"{unite.unite} : « non valide » (NV) → diplôme non délivrable (annexe II c) ; "
                f"0 × {coef} = 0 pour la moyenne indicative{suffixe}"
            )
        case Etat.DIS:
            return f"{unite.unite} : dispensée, coefficient {coef} retiré des deux sommes (D337-80){suffixe}"
        case Etat.MANQUANTE:
            return f"{unite.unite} : note manquante{suffixe}"
    raise AssertionError(unite.etat)  # pragma: no cover


def points_obligatoires(unites: Iterable[NoteUnite]) -> tuple[Decimal, Decimal]:
    """(Σ coef × note, Σ coef) sur les unités non dispensées (D337-78, D337-80 ; regles-examen §1.2).

    Une unité dispensée sort des deux sommes [C/U] ; ABJ compte 0 (D337-81) [C] ; ABS et NV comptent 0
    pour la moyenne indicative (la décision est « non délivrable », exemple §7.11). Une note manquante
    lève ValueError : la moyenne n'existe pas.
    """
    retenues = [u for u in unites if u.etat is not Etat.DIS]
    points = _somme(_produit(u.note_retenue_groupe1, u.coefficient) for u in retenues)
    return points, _somme(u.coefficient for u in retenues)


def moyenne_professionnelle(unites: Iterable[NoteUnite]) -> tuple[Decimal, Decimal] | None:
    """(points, coefficients) des unités professionnelles non dispensées ; None si toutes sont dispensées.

    Moyenne des épreuves professionnelles (4·U2 + 4·U31 + 3·U32) / 11 ; sans bonus ni points du jury.
    Si toutes sont dispensées (D337-71/72) la condition du contrôle est remplie (regles-examen §1.3) [C/S].
    """
    professionnelles = [u for u in unites if u.professionnelle and u.etat is not Etat.DIS]
    if not professionnelles:
        return None
    return points_obligatoires(professionnelles)


def bonus_facultatives(facultatives: Iterable[NoteFacultative]) -> tuple[Decimal, tuple[str, ...]]:
    """Σ max(0, note − 10) sur les unités facultatives, avec les lignes de trace.

    « Seuls les points excédant 10 sont pris en compte pour le calcul de la moyenne générale en vue de
    l'obtention du diplôme et de l'attribution d'une mention » (annexe II b, note (2) ; D337-78/79) [C] ;
    sans coefficient, dénominateur inchangé [U]. ABS, ABJ, NV ou DIS : aucun bonus (pas de remplacement
    pour une épreuve facultative, D337-92).
    """
    total = Decimal(0)
    lignes = []
    for facultative in facultatives:
        if facultative.etat is Etat.NOTE:
            assert facultative.note is not None
            bonus = max(Decimal(0), facultative.note - 10)
            total = _somme((total, bonus))
            lignes.append(
                f"{facultative.unite} (facultative) : {_nombre(facultative.note)} → "
                f"max(0 ; {_nombre(facultative.note)} − 10) = {_nombre(bonus)} point(s) ajouté(s), "
                "dénominateur inchangé (annexe II b note 2)"
            )
        else:
            lignes.append(f"{facultative.unite} (facultative) : {facultative.etat} → aucun point ajouté")
    return total, tuple(lignes)


def bonus_chef_oeuvre(note: Decimal, regles: Regles) -> Decimal:
    """coefficient × (note − 10), positif ou négatif, ajouté aux points (arrêté du 20/10/2020 art. 4) [C].

    Le dénominateur reste inchangé : seule lecture retenue, non confirmée [U] (regles-examen §1.7).
    """
    return _produit(regles.coefficient_chef_oeuvre, _note_sur_20(note, "chef-d'œuvre") - 10)


def decision_premier_groupe(moyenne: Fraction, moyenne_pro: Fraction | None, regles: Regles) -> tuple[Decision, str]:
    """Décision du premier groupe sur valeurs exactes, et la règle appliquée (D337-78 ; arrêté du 25/11/2021).

    Admis si moyenne ≥ 10 ; épreuve de contrôle si 8 ≤ moyenne < 10 et moyenne professionnelle ≥ 10
    (ou toutes les unités professionnelles dispensées) ; sinon ajourné. Bornes incluses (exemple §7.7).
    """
    admission = Fraction(regles.seuil_admission)
    controle = Fraction(regles.seuil_controle)
    professionnel = Fraction(regles.seuil_professionnel)
    m, sa, sc, sp = _nombre(moyenne), _nombre(admission), _nombre(controle), _nombre(professionnel)
    if moyenne >= admission:
        return Decision.ADMIS, f"moyenne {m} ≥ {sa} → admis (D337-78)"
    if not regles.controle_actif:
        return Decision.AJOURNE, f"moyenne {m} < {sa}, pas d'épreuve de contrôle dans ce règlement → ajourné"
    if moyenne < controle:
        return Decision.AJOURNE, f"moyenne {m} < {sc} → ajourné (D337-78)"
    if moyenne_pro is None:
        return (
            Decision.CONTROLE,
            f"moyenne {m} < {sa} et ≥ {sc}, toutes les unités professionnelles dispensées → "
            f"épreuve de contrôle ({SOURCE_CONTROLE} ; regles-examen §1.3)",
        )
    p = _nombre(moyenne_pro)
    if moyenne_pro >= professionnel:
        return (
            Decision.CONTROLE,
            f"moyenne {m} < {sa} et ≥ {sc}, moyenne professionnelle {p} ≥ {sp} → "
            f"épreuve de contrôle ({SOURCE_CONTROLE})",
        )
    return (
        Decision.AJOURNE,
        f"moyenne {m} < {sa} et ≥ {sc}, mais moyenne professionnelle {p} < {sp} → "
        f"ajourné, pas d'épreuve de contrôle ({SOURCE_CONTROLE})",
    )


def mention_pour(moyenne: Fraction, regles: Regles) -> Mention | None:
    """Mention sur la moyenne exacte : AB ≥ 12, B ≥ 14, TB ≥ 16 (D337-86) [C]."""
    for mention, seuil in regles.seuils_mentions:
        if moyenne >= Fraction(seuil):
            return mention
    return None


def _a_notes_conservees(unites: Iterable[NoteUnite]) -> tuple[str, ...]:
    return tuple(u.unite for u in unites if _sans_accents(u.origine).strip().lower().startswith("conservee"))


def _attribuer_mention(
    moyenne: Fraction, unites: tuple[NoteUnite, ...], regles: Regles, trace: list[str]
) -> Mention | None:
    """Mention d'un candidat admis, avec la restriction configurable des notes conservées (§1.5) [U]."""
    mention = mention_pour(moyenne, regles)
    if mention is None:
        plus_bas = min((s for _, s in regles.seuils_mentions), default=None)
        if plus_bas is not None:
            trace.append(f"moyenne {_nombre(moyenne)} < {_nombre(plus_bas)} → pas de mention (D337-86)")
        return None
    conservees = _a_notes_conservees(unites)
    if conservees and not regles.mention_avec_notes_conservees:
        trace.append(
            f"pas de mention : notes conservées ({', '.join(conservees)}) et règlement configuré sans mention "
            "dans ce cas (regles-examen §1.5, lecture [U])"
        )
        return None
    seuil = dict(regles.seuils_mentions)[mention]
    trace.append(f"moyenne {_nombre(moyenne)} ≥ {_nombre(seuil)} → mention {mention.libelle.lower()} (D337-86)")
    return mention


def _unites_reexaminees(unites: tuple[NoteUnite, ...]) -> tuple[NoteUnite, ...]:
    """Unités portant une note de contrôle ; au plus une par groupe (arrêté du 25/11/2021) sinon ValueError."""
    reexaminees = tuple(u for u in unites if u.note_controle is not None)
    par_groupe: dict[str, list[str]] = {}
    for u in reexaminees:
        assert u.groupe_controle is not None  # garanti par NoteUnite.__post_init__
        par_groupe.setdefault(u.groupe_controle, []).append(u.unite)
    for groupe, codes in par_groupe.items():
        if len(codes) > 1:
            raise ValueError(f"épreuve de contrôle : au plus une unité du groupe « {groupe} », reçu {', '.join(codes)}")
    return reexaminees


def _verifier(dossier: Dossier, regles: Regles) -> None:
    """Erreurs de données (ValueError), quelle que soit la décision."""
    if len(dossier.facultatives) > regles.max_facultatives:
        raise ValueError(
            f"{len(dossier.facultatives)} unités facultatives : au plus {regles.max_facultatives} (annexe II b, note 2)"
        )
    _unites_reexaminees(dossier.unites)


# --------------------------------------------------------------------------------------------------
# Délibération
# --------------------------------------------------------------------------------------------------


def calculer(dossier: Dossier, regles: Regles = Regles(), avec_trace: bool = True) -> Resultat:  # noqa: B008
    """Délibération complète d'un candidat : moyennes exactes, décision, mention, contrôle, trace.

    `avec_trace=False` : même résultat, sans la trace (vide), pour comparer vite toute une session ; la décision
    ne dépend jamais de la trace. (Regles est immuable : sa valeur par défaut partagée ne risque rien.)

    Ordre des règles :
    1. ABS ou NV sur une unité obligatoire, ou un blocage → NON_DELIVRABLE « quelle que soit la moyenne »
       (D337-81 ; annexe II c) ; la moyenne indicative est donnée si aucune note ne manque.
    2. Sinon une note obligatoire ou facultative manquante → INCOMPLET, sans moyenne.
    3. Sinon décision du premier groupe (decision_premier_groupe) et mention si admis (D337-86).
    4. Épreuve de contrôle si la décision est CONTROLE et qu'une note de contrôle existe : meilleure des deux
       notes par unité réexaminée, moyenne recalculée, admis si ≥ 10, sans mention (arrêté du 25/11/2021).
    5. Une absence justifiée sur une unité remplaçable chez un candidat non admis → REMPLACEMENT
       (D337-81, D337-92 ; exemple §7.10).
    """
    jeton = _AVEC_TRACE.set(avec_trace)
    try:
        resultat = _calculer(dossier, regles)
    finally:
        _AVEC_TRACE.reset(jeton)
    return resultat if avec_trace else replace(resultat, trace=())


def _calculer(dossier: Dossier, regles: Regles) -> Resultat:
    _verifier(dossier, regles)
    unites = dossier.unites
    trace = [ligne_unite(u) for u in unites] + list(dossier.remarques)

    motifs = [f"{u.unite} : {u.etat}" for u in unites if u.etat in (Etat.ABS, Etat.NV)]
    motifs += [f"blocage : {b}" for b in dossier.blocages]
    manquantes = tuple(u.unite for u in unites if u.etat is Etat.MANQUANTE)
    manquantes += tuple(f.unite for f in dossier.facultatives if f.etat is Etat.MANQUANTE)
    motif_non_delivrable = (
        f"{' ; '.join(motifs)} → diplôme non délivrable quelle que soit la moyenne (D337-81 ; annexe II c)"
    )

    if manquantes:
        trace.append(f"notes manquantes : {', '.join(manquantes)} → pas de moyenne calculable")
        if motifs:
            trace.append(motif_non_delivrable)
            decision = Decision.NON_DELIVRABLE
        else:
            trace.append("dossier incomplet : délibération impossible")
            decision = Decision.INCOMPLET
        return Resultat(
            remarques=dossier.remarques,
            decision=decision,
            mention=None,
            points=None,
            total_coefficients=None,
            moyenne=None,
            moyenne_professionnelle=None,
            controle_passe=False,
            trace=tuple(trace),
            unites_manquantes=manquantes,
        )

    # Premier groupe
    points_unites, total = points_obligatoires(unites)
    if total == 0:
        raise ValueError("toutes les unités obligatoires sont dispensées : aucune moyenne n'est calculable")
    trace.append(f"unités obligatoires : {_nombre(points_unites)} points pour {_nombre(total)} coefficients")

    bonus_fac, lignes_fac = bonus_facultatives(dossier.facultatives)
    trace.extend(lignes_fac)
    bonus_cdo = Decimal(0)
    if dossier.chef_oeuvre is not None and regles.chef_oeuvre_actif:
        bonus_cdo = bonus_chef_oeuvre(dossier.chef_oeuvre, regles)
        trace.append(
            f"chef-d'œuvre : {_nombre(regles.coefficient_chef_oeuvre)} × ({_nombre(dossier.chef_oeuvre)} − 10) = "
            f"{_nombre(bonus_cdo)} point(s), dénominateur inchangé (arrêté du 20/10/2020 art. 4 ; [U] §1.7)"
        )
    if dossier.points_jury:
        trace.append(f"points du jury : +{_nombre(dossier.points_jury)}, dénominateur inchangé (D337-88)")

    points1 = _somme((points_unites, bonus_fac, bonus_cdo, dossier.points_jury))
    moyenne1 = Fraction(points1) / Fraction(total)
    trace.append(f"moyenne générale : {_nombre(points1)} / {_nombre(total)} = {_nombre(moyenne1)}")

    pro = moyenne_professionnelle(unites)
    moyenne_pro: Fraction | None = None
    if pro is None:
        trace.append("moyenne professionnelle : toutes les unités professionnelles sont dispensées")
    else:
        moyenne_pro = Fraction(pro[0]) / Fraction(pro[1])
        codes_pro = ", ".join(u.unite for u in unites if u.professionnelle and u.etat is not Etat.DIS)
        trace.append(
            f"moyenne professionnelle ({codes_pro}) : {_nombre(pro[0])} / {_nombre(pro[1])} = {_nombre(moyenne_pro)}"
        )

    communs: dict[str, Any] = {
        "total_coefficients": total,
        "moyenne_professionnelle": moyenne_pro,
        "points_groupe1": points1,
        "moyenne_groupe1": moyenne1,
        "bonus_facultatives": bonus_fac,
        "bonus_chef_oeuvre": bonus_cdo,
        "points_jury": dossier.points_jury,
    }
    reexaminees = _unites_reexaminees(unites)

    if motifs:
        trace.append(motif_non_delivrable)
        if reexaminees:
            trace.append("notes de l'épreuve de contrôle ignorées : diplôme non délivrable")
        return Resultat(
            remarques=dossier.remarques,
            decision=Decision.NON_DELIVRABLE,
            mention=None,
            points=points1,
            moyenne=moyenne1,
            controle_passe=False,
            trace=tuple(trace),
            **communs,
        )

    decision1, regle = decision_premier_groupe(moyenne1, moyenne_pro, regles)
    trace.append(regle)
    decision, mention, points, moyenne, controle_passe = decision1, None, points1, moyenne1, False

    if reexaminees and decision1 is not Decision.CONTROLE:
        trace.append(
            f"notes de contrôle ignorées ({', '.join(u.unite for u in reexaminees)}) : la décision du premier "
            f"groupe est « {decision1.libelle.lower()} », pas « épreuve de contrôle »"
        )
    if decision1 is Decision.ADMIS:
        mention = _attribuer_mention(moyenne1, unites, regles, trace)
    elif decision1 is Decision.CONTROLE and reexaminees:
        # Second groupe : meilleure des deux notes pour chaque unité réexaminée (arrêté du 25/11/2021 art. 2)
        ecarts = []
        for u in reexaminees:
            assert u.note_controle is not None
            avant = u.note_retenue_groupe1
            retenue = max(avant, u.note_controle)
            ecart = _produit(u.coefficient, retenue - avant)
            ecarts.append(ecart)
            trace.append(
                f"contrôle {u.unite} : {_nombre(avant)} au premier groupe, {_nombre(u.note_controle)} au contrôle → "
                f"{_nombre(retenue)} retenue (meilleure note), {_nombre(u.coefficient)} × "
                f"({_nombre(retenue)} − {_nombre(avant)}) = +{_nombre(ecart)} (arrêté du 25/11/2021 art. 2)"
            )
        points = _somme((points1, *ecarts))
        moyenne = Fraction(points) / Fraction(total)
        controle_passe = True
        admission = Fraction(regles.seuil_admission)
        if moyenne >= admission:
            decision = Decision.ADMIS
            trace.append(
                f"moyenne après contrôle : {_nombre(points)} / {_nombre(total)} = {_nombre(moyenne)} ≥ "
                f"{_nombre(admission)} → admis ({SOURCE_CONTROLE})"
            )
            if regles.mention_apres_controle:
                mention = _attribuer_mention(moyenne, unites, regles, trace)
            else:
                trace.append("pas de mention après l'épreuve de contrôle : premier groupe seulement (D337-86) [S]")
        else:
            decision = Decision.AJOURNE
            trace.append(
                f"moyenne après contrôle : {_nombre(points)} / {_nombre(total)} = {_nombre(moyenne)} < "
                f"{_nombre(admission)} → ajourné ({SOURCE_CONTROLE})"
            )

    # Absences justifiées : épreuve de remplacement si le candidat n'est pas admis (D337-81, D337-92)
    abj = [u for u in unites if u.etat is Etat.ABJ]
    a_remplacer = tuple(u.unite for u in abj if u.remplacable)
    non_remplacables = [u.unite for u in abj if not u.remplacable]
    if non_remplacables:
        trace.append(f"{', '.join(non_remplacables)} : pas d'épreuve de remplacement (D337-92), le 0 reste compté")
    if a_remplacer:
        if decision is Decision.ADMIS:
            trace.append(f"{', '.join(a_remplacer)} : absence justifiée, candidat admis sans épreuve de remplacement")
        else:
            trace.append(
                f"{', '.join(a_remplacer)} : absence justifiée et candidat non admis ({decision.libelle.lower()}) → "
                "épreuve(s) de remplacement (D337-81, D337-92)"
            )
            decision = Decision.REMPLACEMENT

    return Resultat(
        remarques=dossier.remarques,
        decision=decision,
        mention=mention,
        points=points,
        moyenne=moyenne,
        controle_passe=controle_passe,
        trace=tuple(trace),
        decision_groupe1=decision1,
        unites_controle=tuple(u.unite for u in reexaminees) if controle_passe else (),
        unites_a_remplacer=a_remplacer if decision is Decision.REMPLACEMENT else (),
        **communs,
    )


# --------------------------------------------------------------------------------------------------
# Délibération en entiers : la passe d'une session entière (issue #23)
# --------------------------------------------------------------------------------------------------
# `calculer` explique (trace) ; `decider` tranche les mêmes dossiers en nombres entiers, sans objet par note, pour
# les 25 000 candidats d'une session : notes en millièmes, coefficients en centièmes, points en cent-millièmes.
# Mêmes règles, dans le même ordre que `_calculer` (D337-78, D337-80, D337-81, D337-86, annexe II b et c, arrêtés
# du 20/10/2020 et du 25/11/2021) ; chaque seuil est comparé exactement, en multipliant en croix (p / (1000 × t) ≥
# a / b  ⟺  p × b ≥ a × 1000 × t). Tout ce que `decider` ne sait pas trancher (donnée incohérente, valeur hors de
# l'échelle entière) rend None : l'appelant passe alors par `calculer`, qui dit pourquoi.
# tests/examens/test_regles_entieres.py compare les deux sur des dossiers tirés au hasard.

ECHELLE_NOTE = 1000  # une note (numeric(5, 3)) en millièmes
ECHELLE_COEFFICIENT = 100  # un coefficient, des points du jury (numeric(4, 2)) en centièmes
ECHELLE_POINTS = ECHELLE_NOTE * ECHELLE_COEFFICIENT  # des points (note × coefficient) en cent-millièmes
_NOTE_MAX_ENTIERE = 20 * ECHELLE_NOTE
_DIX = 10 * ECHELLE_NOTE


def en_entier(valeur: Decimal, echelle: int) -> int | None:
    """`valeur × echelle` si c'est un entier, None sinon (la passe en entiers cède alors la place à `calculer`)."""
    mise_a_l_echelle = valeur * echelle
    entier = int(mise_a_l_echelle)
    return entier if entier == mise_a_l_echelle else None


def _rapport(seuil: Decimal) -> tuple[int, int]:
    fraction = Fraction(seuil)
    return fraction.numerator, fraction.denominator


@dataclass(frozen=True)
class Bareme:
    """Les règles d'une version du règlement, mises à l'échelle entière une fois pour toute la session.

    `unites` : (code, coefficient en centièmes, professionnelle, groupe de contrôle, remplaçable) des unités
    obligatoires, dans l'ordre du règlement ; seuils en rapports d'entiers (numérateur, dénominateur).
    """

    unites: tuple[tuple[str, int, bool, str | None, bool], ...]
    codes: frozenset[str]
    admission: tuple[int, int]
    controle: tuple[int, int]
    professionnel: tuple[int, int]
    mentions: tuple[tuple[Mention, int, int], ...]  # du plus haut au plus bas, comme Regles.seuils_mentions
    chef_oeuvre: int | None  # coefficient du chef-d'œuvre en centièmes, None si le règlement ne le compte pas
    max_facultatives: int
    controle_actif: bool
    mention_apres_controle: bool
    mention_avec_notes_conservees: bool


def bareme(unites: Iterable[tuple[str, Decimal, bool, str | None, bool]], regles: Regles) -> Bareme | None:
    """Le barème entier d'un règlement ; None si un coefficient n'y entre pas (la session passe par `calculer`)."""
    entieres = []
    for code, coefficient, professionnelle, groupe, remplacable in unites:
        if not isinstance(coefficient, Decimal | int) or coefficient <= 0:
            return None
        k = en_entier(Decimal(coefficient), ECHELLE_COEFFICIENT)
        if k is None:
            return None
        entieres.append((code, k, professionnelle, groupe, remplacable))
    chef_oeuvre = None
    if regles.chef_oeuvre_actif:
        chef_oeuvre = en_entier(regles.coefficient_chef_oeuvre, ECHELLE_COEFFICIENT)
        if chef_oeuvre is None:
            return None
    return Bareme(
        unites=tuple(entieres),
        codes=frozenset(u[0] for u in entieres),
        admission=_rapport(regles.seuil_admission),
        controle=_rapport(regles.seuil_controle),
        professionnel=_rapport(regles.seuil_professionnel),
        mentions=tuple((m, *_rapport(s)) for m, s in regles.seuils_mentions),
        chef_oeuvre=chef_oeuvre,
        max_facultatives=regles.max_facultatives,
        controle_actif=regles.controle_actif,
        mention_apres_controle=regles.mention_apres_controle,
        mention_avec_notes_conservees=regles.mention_avec_notes_conservees,
    )


# (décision, mention, points, total des coefficients, points professionnels, coefficients professionnels,
#  contrôle passé) : points en cent-millièmes, coefficients en centièmes ; moyenne = points / (1000 × total).
# points et total valent None quand une note manque ; les points professionnels None si toutes ces unités sont
# dispensées.
Decide = tuple[Decision, Mention | None, int | None, int | None, int | None, int | None, bool]


def decider(  # noqa: C901 — l'ordre des règles de `_calculer`, pas à pas
    b: Bareme,
    notes: Mapping[str, tuple[str, int | None]],
    controles: Mapping[str, int],
    facultatives: Iterable[tuple[str, int | None]],
    chef_oeuvre: int | None,
    points_jury: int,
    bloque: bool,
    conservees: bool,
) -> Decide | None:
    """La décision de `calculer` sur un dossier en entiers, sans trace ; None si le dossier est incohérent.

    - `notes` : code d'unité obligatoire → (état, note en millièmes ou None) ; une unité absente est manquante ;
    - `controles` : code → note de l'épreuve de contrôle en millièmes (unités d'un groupe de contrôle seulement) ;
    - `facultatives` : (état, note en millièmes) des unités facultatives qui comptent (« manquante » si non saisie) ;
    - `chef_oeuvre` : note en millièmes ou None ; `points_jury` en cent-millièmes (ECHELLE_POINTS) ;
    - `bloque` : un blocage extérieur (PFMP) ; `conservees` : une note obligatoire conservée (D337-69).
    """
    facultatives = tuple(facultatives)
    if len(facultatives) > b.max_facultatives or points_jury < 0:
        return None
    if chef_oeuvre is not None and not 0 <= chef_oeuvre <= _NOTE_MAX_ENTIERE:
        return None
    manque = bloque_absence = False
    points = total = points_pro = total_pro = 0
    pro_present = False
    abj_remplacable = False
    reexaminees = []
    groupes: set[str] = set()
    for code, k, professionnelle, groupe, remplacable in b.unites:
        etat, note = notes.get(code, ("manquante", None))
        controle = controles.get(code) if groupe else None  # hors d'un groupe de contrôle, ignorée comme au dossier
        if etat == "note":
            if note is None or not 0 <= note <= _NOTE_MAX_ENTIERE:
                return None
        elif note is not None or etat not in ("ABJ", "ABS", "NV", "DIS", "manquante"):
            return None
        if controle is not None:
            if etat not in ("note", "ABJ") or not 0 <= controle <= _NOTE_MAX_ENTIERE:
                return None
            if groupe in groupes:
                return None  # au plus une unité réexaminée par groupe (arrêté du 25/11/2021)
            groupes.add(groupe)
            reexaminees.append((k, note or 0, controle))
        if etat == "manquante":
            manque = True
        elif etat != "DIS":
            if etat == "ABS" or etat == "NV":
                bloque_absence = True
            elif etat == "ABJ" and remplacable:
                abj_remplacable = True
            produit = k * note if note else 0
            points += produit
            total += k
            if professionnelle:
                pro_present = True
                points_pro += produit
                total_pro += k
    bonus = 0
    for etat, note in facultatives:
        if etat == "note":
            if note is None or not 0 <= note <= _NOTE_MAX_ENTIERE:
                return None
            bonus += max(0, note - _DIX)
        elif note is not None:
            return None
        elif etat == "manquante":
            manque = True
    non_delivrable = bloque or bloque_absence
    if manque:
        return (Decision.NON_DELIVRABLE if non_delivrable else Decision.INCOMPLET, None, None, None, None, None, False)
    if total == 0:
        return None  # toutes les unités dispensées : `calculer` le dit
    points1 = points + bonus * ECHELLE_COEFFICIENT + points_jury
    if chef_oeuvre is not None and b.chef_oeuvre is not None:
        points1 += b.chef_oeuvre * (chef_oeuvre - _DIX)
    pro = (points_pro, total_pro) if pro_present else (None, None)
    if non_delivrable:
        return (Decision.NON_DELIVRABLE, None, points1, total, *pro, False)

    def atteint(p: int, t: int, seuil: tuple[int, int]) -> bool:
        return p * seuil[1] >= seuil[0] * ECHELLE_NOTE * t

    def mention(p: int) -> Mention | None:
        for m, a, d in b.mentions:
            if p * d >= a * ECHELLE_NOTE * total:
                return None if conservees and not b.mention_avec_notes_conservees else m
        return None

    if atteint(points1, total, b.admission):
        decision, choix = Decision.ADMIS, mention(points1)
        return (decision, choix, points1, total, *pro, False)
    if not b.controle_actif or not atteint(points1, total, b.controle):
        decision = Decision.AJOURNE
    elif pro_present and not atteint(points_pro, total_pro, b.professionnel):
        decision = Decision.AJOURNE
    else:
        decision = Decision.CONTROLE
    points_final, choix, controle_passe = points1, None, False
    if decision is Decision.CONTROLE and reexaminees:
        points_final += sum(k * (max(avant, apres) - avant) for k, avant, apres in reexaminees)
        controle_passe = True
        if atteint(points_final, total, b.admission):
            decision = Decision.ADMIS
            choix = mention(points_final) if b.mention_apres_controle else None
        else:
            decision = Decision.AJOURNE
    if abj_remplacable and decision is not Decision.ADMIS:
        decision = Decision.REMPLACEMENT
    return (decision, choix, points_final, total, *pro, controle_passe)


# --------------------------------------------------------------------------------------------------
# Salle du jury : raisons, écarts aux seuils, simulateur (issue #17, partie 4)
# --------------------------------------------------------------------------------------------------
# Tout ce qui suit lit le moteur (`calculer`, ses résultats) et ne refait aucune moyenne : une simulation est un
# dossier modifié passé à `calculer`, et chaque chiffre proposé est vérifié par le moteur lui-même.

CENTIEME = Decimal("0.01")


def _texte_exact(valeur: Nombre) -> str:
    """« 9,995 », « 0,42 », « 10 » : exact jusqu'à 6 décimales, sinon tronqué suivi de « … » (comme la trace)."""
    return _nombre_exact(valeur)


def _texte_ecart(valeur: Fraction) -> str:
    """« 1,60 », « 0,005 », « 2,00 » : deux décimales au moins (une colonne d'écarts se lit alignée avec les
    moyennes), exact jusqu'à 6 décimales, sinon tronqué à 4 suivi de « … »."""
    for decimales in range(2, 7):
        if (valeur * 10**decimales).denominator == 1:
            return format_fr(valeur, decimales)
    return format_fr(valeur, 4) + "…"


def _moyenne_fr(moyenne: Fraction) -> str:
    # Tronquée comme partout à l'affichage : 9,995 s'écrit « 9,99 », jamais « 10,00 » (regles-examen §1.11).
    return format_fr(moyenne)


NBSP = "\u00a0"  # espace insécable : avant « : » et autour de « ≥ », « < » (la comparaison ne se coupe pas)


def _comparaison(moyenne: Fraction, seuil: Decimal) -> str:
    """« 9,99 < 10 », « 12,00 ≥ 10 » : la moyenne tronquée, comparée sur sa valeur exacte."""
    signe = "≥" if moyenne >= Fraction(seuil) else "<"
    return f"{_moyenne_fr(moyenne)}{NBSP}{signe}{NBSP}{_texte_exact(seuil)}"


def seuils_du_jury(regles: Regles = Regles()) -> tuple[tuple[Decimal, str], ...]:  # noqa: B008
    """(seuil, libellé) du plus bas au plus haut : contrôle 8, admission 10, mentions 12, 14, 16 (D337-78, D337-86)."""
    seuils = [(regles.seuil_controle, "contrôle")] if regles.controle_actif else []
    seuils.append((regles.seuil_admission, "admission"))
    seuils += [(s, f"mention {m.libelle.lower()}") for m, s in regles.seuils_mentions]
    return tuple(sorted(seuils, key=lambda s: s[0]))


@dataclass(frozen=True)
class Ecart:
    """Distance exacte d'une moyenne à un seuil : `ecart` = moyenne − seuil (positif ou nul : seuil atteint)."""

    seuil: Decimal
    libelle: str
    ecart: Fraction

    @property
    def atteint(self) -> bool:
        return self.ecart >= 0

    @functools.cached_property
    def texte(self) -> str:
        """« +0,42 / 10 », « −0,005 / 10 » : exact (une moyenne sur 25 a au plus 5 décimales), signe explicite.
        Calculé une fois (15 µs) : les écarts de la salle du jury sont gardés entre les pages (selectors.LigneJury)."""
        signe = "+" if self.ecart >= 0 else "−"
        return f"{signe}{_texte_ecart(abs(self.ecart))}\u202f/\u202f{_texte_exact(self.seuil)}"


def ecarts_aux_seuils(moyenne: Fraction, regles: Regles = Regles()) -> tuple[Ecart, ...]:  # noqa: B008
    """Écart exact de la moyenne à chaque seuil du jury (8, 10, 12, 14, 16), du plus bas au plus haut.

    Comparaison sur la valeur exacte, bornes incluses comme pour la décision (exemple §7.7) : une moyenne de
    1999/200 est à −1/200 de 10 (« −0,005 »), pas à 0.
    """
    return tuple(Ecart(seuil, libelle, moyenne - Fraction(seuil)) for seuil, libelle in seuils_du_jury(regles))


def prochain_seuil(moyenne: Fraction, regles: Regles = Regles()) -> Ecart | None:  # noqa: B008
    """Le premier seuil que la moyenne n'atteint pas encore, None au-dessus de 16."""
    return next((e for e in ecarts_aux_seuils(moyenne, regles) if not e.atteint), None)


def raisons(dossier: Dossier, resultat: Resultat, regles: Regles = Regles()) -> tuple[str, ...]:  # noqa: B008, C901
    """La décision en mots, pour la colonne « Raison » du jury : « U2 absente (ABS) », « moyenne 9,99 < 10 »…

    Lit le dossier (absences, « non valide », blocages : la trace les noie parmi les lignes de calcul) et le résultat
    du moteur (décision, moyennes exactes) ; aucune règle n'est rejugée ici, l'ordre suit `calculer` :
    non délivrable (D337-81 ; annexe II c), incomplet, premier groupe (D337-78), contrôle (arrêté du 25/11/2021),
    remplacement (D337-81, D337-92), mention (D337-86). Les remarques du dossier (mobilité non recevable) suivent.
    """
    sortie: list[str] = []
    decision = resultat.decision
    if decision is Decision.NON_DELIVRABLE:
        for u in dossier.unites:
            if u.etat is Etat.ABS:
                sortie.append(f"{u.unite} absente (ABS)")
            elif u.etat is Etat.NV:
                sortie.append(f"{u.unite} « non valide » (NV)")
        sortie += [b[:1].upper() + b[1:] for b in dossier.blocages]
    elif decision is Decision.INCOMPLET:
        if resultat.unites_manquantes:
            pluriel = "s" if len(resultat.unites_manquantes) > 1 else ""
            sortie.append(f"note{pluriel} manquante{pluriel}{NBSP}: {', '.join(resultat.unites_manquantes)}")
        else:  # dossier incohérent (ex. deux unités de contrôle du même groupe) : la trace dit lequel
            sortie.extend(resultat.trace[:1])
    elif resultat.moyenne_groupe1 is not None:
        m1 = resultat.moyenne_groupe1
        admission, controle = regles.seuil_admission, regles.seuil_controle
        if resultat.decision_groupe1 is Decision.ADMIS:
            sortie.append(f"moyenne {_comparaison(m1, admission)}")
        elif m1 < controle or not regles.controle_actif:
            sortie.append(f"moyenne {_comparaison(m1, controle if regles.controle_actif else admission)}")
        else:
            sortie.append(f"moyenne {_comparaison(m1, admission)}")
            pro = resultat.moyenne_professionnelle
            if pro is None:
                sortie.append(f"unités professionnelles toutes dispensées{NBSP}: épreuve de contrôle ouverte")
            else:
                suite = "épreuve de contrôle" if pro >= regles.seuil_professionnel else "pas d'épreuve de contrôle"
                sortie.append(f"moyenne professionnelle {_comparaison(pro, regles.seuil_professionnel)}{NBSP}: {suite}")
        if resultat.controle_passe and resultat.moyenne is not None:
            unites = ", ".join(resultat.unites_controle)
            sortie.append(f"après contrôle ({unites}){NBSP}: moyenne {_comparaison(resultat.moyenne, admission)}")
        if decision is Decision.REMPLACEMENT:
            for code in resultat.unites_a_remplacer:
                sortie.append(f"{code} absente avec justification (ABJ){NBSP}: épreuve de remplacement")
        if resultat.mention is not None:
            sortie.append(f"mention {resultat.mention.libelle.lower()}")
        elif decision is Decision.ADMIS and resultat.controle_passe:
            sortie.append("pas de mention après l'épreuve de contrôle")
    sortie += list(dossier.remarques)
    return tuple(sortie)


def _avec_points_jury(dossier: Dossier, points: Decimal) -> Dossier:
    return replace(dossier, points_jury=points)


def _centiemes_vers_le_haut(valeur: Fraction) -> Decimal:
    """Le plus petit multiple de 0,01 supérieur ou égal à `valeur` (exact)."""
    return Decimal(math.ceil(valeur * 100)) / 100


def points_jury_pour(
    dossier: Dossier,
    seuil: Decimal,
    regles: Regles = Regles(),  # noqa: B008
    resultat: Resultat | None = None,
) -> Decimal | None:
    """Points du jury à ajouter (au centième, comme le champ du candidat) pour que la moyenne du premier groupe
    atteigne `seuil` ; 0 s'il est déjà atteint, None s'ils ne changent rien (non délivrable, incomplet).

    Points du jury : ajoutés aux points, dénominateur inchangé, jamais négatifs (D337-88 ; `Dossier.points_jury`).
    Le besoin se lit sur le résultat du moteur : seuil × Σ coefficients − points du premier groupe, arrondi au
    centième supérieur ; le moteur recalcule ensuite le dossier avec ces points pour le vérifier (assertion).
    `resultat` : celui du dossier, s'il est déjà calculé (une page de délibération en a des milliers).
    """
    resultat = resultat or calculer(dossier, regles, avec_trace=False)
    if resultat.decision in (Decision.NON_DELIVRABLE, Decision.INCOMPLET) or resultat.points_groupe1 is None:
        return None
    assert resultat.total_coefficients is not None
    manque = Fraction(seuil) * Fraction(resultat.total_coefficients) - Fraction(resultat.points_groupe1)
    if manque <= 0:
        return Decimal(0)
    ajout = _centiemes_vers_le_haut(manque)
    verifie = calculer(_avec_points_jury(dossier, dossier.points_jury + ajout), regles, avec_trace=False)
    assert verifie.moyenne_groupe1 is not None and verifie.moyenne_groupe1 >= Fraction(seuil)
    return ajout


@dataclass(frozen=True)
class PaireControle:
    """Ce qu'il faut à l'épreuve de contrôle sur une paire d'unités (une par sous-groupe) pour être admis.

    - ``note_commune`` : la plus petite note, au centième, qui, obtenue sur les deux unités, donne l'admission ;
      None si même 20 sur les deux ne suffit pas.
    - ``note_premiere_si_20`` / ``note_seconde_si_20`` : la plus petite note sur une unité quand l'autre obtient 20
      (0 : l'admission ne dépend alors pas de cette unité) ; None si 20 et 20 ne suffisent pas.
    Seule la meilleure des deux notes compte pour chaque unité (arrêté du 25/11/2021 art. 2) : une note de contrôle
    inférieure à celle du premier groupe ne change rien.
    """

    premiere: str
    seconde: str
    note_commune: Decimal | None
    note_premiere_si_20: Decimal | None
    note_seconde_si_20: Decimal | None


def _avec_controle(dossier: Dossier, notes: Mapping[str, Decimal]) -> Dossier:
    """Le dossier avec ces seules notes de contrôle (les autres effacées : une unité par sous-groupe)."""
    unites = tuple(replace(u, note_controle=notes.get(u.unite)) for u in dossier.unites)
    return replace(dossier, unites=unites)


def admis_apres_controle(dossier: Dossier, notes: Mapping[str, Decimal], regles: Regles = Regles()) -> bool:  # noqa: B008
    """Le moteur dit-il « admis » avec ces notes de contrôle ? (la seule question que pose le simulateur)"""
    return calculer(_avec_controle(dossier, notes), regles, avec_trace=False).decision is Decision.ADMIS


def _plus_petite_note(admis) -> Decimal | None:
    """La plus petite note au centième n (0 ≤ n ≤ 20) telle que admis(n) ; None si admis(20) est faux.

    Recherche par dichotomie sur les 2 001 centièmes : `admis` est croissant en n, car seule la meilleure des deux
    notes compte (une note plus haute ne retire jamais de points).
    """
    bas, haut = 0, 2000
    if not admis(Decimal(haut) / 100):
        return None
    while bas < haut:
        milieu = (bas + haut) // 2
        if admis(Decimal(milieu) / 100):
            haut = milieu
        else:
            bas = milieu + 1
    return Decimal(bas) / 100


def paires_controle(dossier: Dossier) -> tuple[tuple[str, str], ...]:
    """Paires d'unités permises à l'épreuve de contrôle : une du sous-groupe « scientifique » (U11, U12, U33) et
    une du sous-groupe « français, histoire-géographie » (U51, U52), hors unités dispensées (arrêté du 25/11/2021 ;
    regles-examen §1.4)."""
    groupes: dict[str, list[str]] = {}
    for u in dossier.unites:
        if u.groupe_controle and u.etat in (Etat.NOTE, Etat.ABJ):
            groupes.setdefault(u.groupe_controle, []).append(u.unite)
    if len(groupes) < 2:
        return ()
    # Dans l'ordre du règlement : l'unité scientifique (U11…) d'abord, comme dans la liste des épreuves.
    (_, premieres), (_, secondes) = list(groupes.items())[:2]
    return tuple((a, b) for a in premieres for b in secondes)


def simuler_controle(dossier: Dossier, regles: Regles = Regles()) -> tuple[PaireControle, ...]:  # noqa: B008
    """« Quelle note faut-il ? » pour chaque paire d'unités permise, chez un candidat admis à l'épreuve de contrôle.

    Chaque note proposée vient du moteur (`admis_apres_controle`, dichotomie) : avec elle le candidat est admis, avec
    un centième de moins il ne l'est pas (tests/examens/test_salle_jury.py le vérifie). Vide si la décision du premier
    groupe n'est pas « épreuve de contrôle ».
    """
    if calculer(dossier, regles, avec_trace=False).decision_groupe1 is not Decision.CONTROLE:
        return ()
    sortie = []
    vingt = NOTE_MAX
    for a, b in paires_controle(dossier):
        sortie.append(
            PaireControle(
                premiere=a,
                seconde=b,
                note_commune=_plus_petite_note(lambda n, a=a, b=b: admis_apres_controle(dossier, {a: n, b: n}, regles)),
                note_premiere_si_20=_plus_petite_note(
                    lambda n, a=a, b=b: admis_apres_controle(dossier, {a: n, b: vingt}, regles)
                ),
                note_seconde_si_20=_plus_petite_note(
                    lambda n, a=a, b=b: admis_apres_controle(dossier, {a: vingt, b: n}, regles)
                ),
            )
        )
    return tuple(sortie)
