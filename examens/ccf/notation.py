"""Les calculs purs d'une grille CCF : échelle, conversion en note, arrondi, couverture, composition, moyenne.

Arrêté du 18 février 2020, annexe II c : la commission évalue les compétences du bloc à partir des
indicateurs du référentiel, remplit la grille et propose une note /20 (jamais communiquée au candidat) ;
le jury arrête la note. E2 en CCF : deux situations de poids égal, la note de l'unité est leur moyenne.
Sans base de données : testés seuls (tests/examens/test_grilles_calcul.py).
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from agora.format import nombre
from examens import regles
from examens.models import (
    GabaritGrille,
    texte_note,
)
from examens.services import (
    OperationRefusee,
)

VINGT = Decimal(20)

# ---------------------------------------------------------------------------------------------------
# Calculs purs : échelle, conversion en note, arrondi, composition, moyenne des situations
# ---------------------------------------------------------------------------------------------------


class ParametresInvalides(Exception):
    """Gabarit incohérent ; args[0] : la liste des messages."""


@dataclass(frozen=True)
class Niveau:
    code: str
    libelle: str
    points: Decimal | None  # None : « non évalué », la ligne sort des deux sommes
    touche: str

    @property
    def evalue(self) -> bool:
        return self.points is not None


@dataclass(frozen=True)
class Echelle:
    niveaux: tuple[Niveau, ...]

    @classmethod
    def depuis_donnees(cls, donnees) -> Echelle:
        """Lit l'échelle d'un gabarit (liste de {code, libelle, points, touche}) ; refuse toute incohérence."""
        erreurs = []
        if not isinstance(donnees, list) or not donnees:
            raise ParametresInvalides(["echelle : une liste de niveaux est attendue"])
        niveaux = []
        for i, d in enumerate(donnees, start=1):
            if not isinstance(d, dict):
                erreurs.append(f"echelle, niveau {i} : un objet {{code, libelle, points, touche}} est attendu")
                continue
            code, libelle, touche = (str(d.get(k, "")).strip() for k in ("code", "libelle", "touche"))
            if not re.fullmatch(r"[A-Za-z0-9_]{1,10}", code):
                erreurs.append(f"echelle, niveau {i} : code {code!r} invalide (1 à 10 lettres ou chiffres)")
            if not libelle:
                erreurs.append(f"echelle, niveau {i} : libellé manquant")
            if len(touche) != 1 or not touche.isalnum():
                erreurs.append(f"echelle, niveau {i} : la touche doit être un seul caractère (chiffre ou lettre)")
            points = d.get("points")
            if points is not None:
                try:
                    points = Decimal(str(points))
                except InvalidOperation:
                    points = None
                    erreurs.append(f"echelle, niveau {i} : points {d.get('points')!r} non numériques")
                else:
                    if not points.is_finite() or points < 0:
                        erreurs.append(f"echelle, niveau {i} : les points doivent être positifs ou nuls")
            niveaux.append(Niveau(code, libelle, points, touche.lower()))
        for attribut, nom in (("code", "code"), ("touche", "touche")):
            valeurs = [getattr(n, attribut) for n in niveaux]
            if doublons := sorted({v for v in valeurs if valeurs.count(v) > 1}):
                erreurs.append(f"echelle : {nom} en double ({', '.join(doublons)})")
        evalues = [n for n in niveaux if n.evalue]
        if len(evalues) < 2:
            erreurs.append("echelle : au moins deux niveaux avec des points sont nécessaires")
        elif max(n.points for n in evalues) <= 0:
            erreurs.append("echelle : le niveau le plus haut doit valoir plus de 0 point")
        if len(niveaux) - len(evalues) > 1:
            erreurs.append("echelle : un seul niveau « non évalué » (points null) est admis")
        if erreurs:
            raise ParametresInvalides(erreurs)
        return cls(tuple(niveaux))

    @property
    def maximum(self) -> Decimal:
        return max(n.points for n in self.niveaux if n.evalue)

    def niveau(self, code: str) -> Niveau | None:
        return next((n for n in self.niveaux if n.code == code), None)


ARRONDIS = {
    GabaritGrille.Arrondi.DEMI_POINT: (Fraction(1, 2), "proche"),
    GabaritGrille.Arrondi.DEMI_POINT_SUPERIEUR: (Fraction(1, 2), "superieur"),
    GabaritGrille.Arrondi.POINT: (Fraction(1), "proche"),
    GabaritGrille.Arrondi.CENTIEME: (Fraction(1, 100), "proche"),
}


def arrondir(valeur: Fraction, arrondi: str) -> Decimal:
    """Arrondit une note exacte au pas du gabarit ; « proche » : la moitié monte (12,25 → 12,5 au demi-point)."""
    pas, sens = ARRONDIS[arrondi]
    unites = valeur / pas
    entier = math.ceil(unites) if sens == "superieur" else math.floor(unites + Fraction(1, 2))
    resultat = entier * pas
    return (Decimal(resultat.numerator) / Decimal(resultat.denominator)).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Calcul:
    """Le calcul de la note suggérée, tel qu'on le montre à la commission."""

    obtenus: Decimal  # somme des points des lignes évaluées
    possibles: Decimal  # points du niveau le plus haut × lignes évaluées
    evaluees: int
    non_evaluees: int  # lignes « non évalué » : hors des deux sommes
    a_saisir: int  # lignes sans niveau choisi
    exacte: Fraction | None
    note: Decimal | None
    arrondi: str
    a_completer: tuple[str, ...] = ()  # ce que la règle de couverture demande encore (alors pas de note)

    @property
    def complet(self) -> bool:
        return self.a_saisir == 0


@dataclass(frozen=True)
class Couverture:
    """Règle de couverture d'un gabarit : ce qu'une grille doit évaluer avant de proposer une note.

    Annexe II c : la commission évalue « les acquis [du candidat] sur la base des compétences et des critères définis
    dans le bloc de compétences » (E31 : bloc 1, activités 1.1 à 1.3 ; E32 : les trois dimensions du pôle 3, activités
    3.1 à 3.3). Une ligne « non évalué » sortant des sommes, une seule compétence évaluée donnerait une note /20 : la
    règle nommée, configurable par gabarit (clé « couverture » du fichier), exige par défaut au moins une compétence
    évaluée par activité du bloc et au moins les deux tiers des compétences [lecture retenue, non confirmée].
    E2 (deux situations) vérifie la couverture des activités sur l'ensemble des deux situations, à la transmission.
    """

    par_activite: int = 1
    part_minimale: Fraction = Fraction(2, 3)

    @classmethod
    def du_gabarit(cls, gabarit: GabaritGrille) -> Couverture:
        donnees = gabarit.couverture or {}
        if not donnees and gabarit.situations > 1:
            return cls(0, Fraction(0))
        return cls(int(donnees.get("par_activite", 1)), Fraction(str(donnees.get("part_minimale", "2/3"))))


def a_completer(activites: list[str], niveaux: list[str], echelle: Echelle, regle: Couverture) -> tuple[str, ...]:
    """Ce qui manque pour respecter la règle de couverture : « activité 1.2 : aucune compétence évaluée »…"""
    evaluees_par_activite: dict[str, int] = {a: 0 for a in activites}
    evaluees = 0
    for activite, code in zip(activites, niveaux, strict=True):
        niveau = echelle.niveau(code) if code else None
        if niveau is not None and niveau.evalue:
            evaluees_par_activite[activite] += 1
            evaluees += 1
    manques = [
        f"activité {a} : {regle.par_activite - n} compétence{'s' if regle.par_activite - n > 1 else ''} à évaluer"
        for a, n in evaluees_par_activite.items()
        if n < regle.par_activite
    ]
    minimum = math.ceil(regle.part_minimale * len(activites))
    if evaluees < minimum:
        reste = minimum - evaluees
        manques.append(
            f"{reste} compétence{'s' if reste > 1 else ''} de plus à évaluer ({minimum} sur {len(activites)} au moins)"
        )
    return tuple(manques)


def suggerer_note(
    niveaux: Iterable[str],
    echelle: Echelle,
    arrondi: str,
    activites: list[str] | None = None,
    couverture: Couverture | None = None,
) -> Calcul:
    """Note /20 suggérée = 20 × Σ points des lignes évaluées / (points maximum × lignes évaluées), arrondie.

    Une ligne « non évalué » sort des deux sommes ; une ligne sans niveau aussi (elle reste à saisir).
    Aucune ligne évaluée, ou une couverture insuffisante (`couverture`, avec l'activité de chaque ligne) : pas de
    note suggérée, et `a_completer` dit ce qui manque.
    """
    niveaux = list(niveaux)
    obtenus, evaluees, non_evaluees, a_saisir = Decimal(0), 0, 0, 0
    for code in niveaux:
        niveau = echelle.niveau(code) if code else None
        if niveau is None:
            a_saisir += 1
        elif not niveau.evalue:
            non_evaluees += 1
        else:
            obtenus += niveau.points
            evaluees += 1
    manques = a_completer(activites, niveaux, echelle, couverture) if couverture and activites is not None else ()
    possibles = echelle.maximum * evaluees
    exacte = Fraction(VINGT) * Fraction(obtenus) / Fraction(possibles) if evaluees and not manques else None
    note = arrondir(exacte, arrondi) if exacte is not None else None
    return Calcul(obtenus, possibles, evaluees, non_evaluees, a_saisir, exacte, note, arrondi, manques)


def texte_fraction(valeur: Fraction) -> str:
    """« = 15 » si la valeur tient en trois décimales, sinon « ≈ 13,889 »."""
    milliemes = valeur * 1000
    if milliemes.denominator == 1:
        return "= " + nombre(Decimal(milliemes.numerator) / 1000)
    approche = Decimal(valeur.numerator) / Decimal(valeur.denominator)
    return "≈ " + f"{approche:.3f}".replace(".", ",")


def expliquer(calcul: Calcul) -> str:
    """« 20 × 27 / 36 = 15 → arrondi au demi-point le plus proche : 15,00 » (avec le détail des lignes)."""
    if calcul.a_completer:
        return "Pas encore de note suggérée — à compléter : " + " ; ".join(calcul.a_completer) + "."
    if calcul.exacte is None:
        return "Aucune compétence évaluée : pas de note suggérée."
    lignes = (
        f"{calcul.evaluees} compétence{'s' if calcul.evaluees > 1 else ''} évaluée{'s' if calcul.evaluees > 1 else ''}"
    )
    if calcul.non_evaluees:
        lignes += f", {calcul.non_evaluees} non évaluée{'s' if calcul.non_evaluees > 1 else ''} (hors calcul)"
    if calcul.a_saisir:
        lignes += f", {calcul.a_saisir} à saisir"
    libelle = GabaritGrille.Arrondi(calcul.arrondi).label
    return (
        f"{lignes} : {nombre(calcul.obtenus)} points sur {nombre(calcul.possibles)} ; "
        f"20 × {nombre(calcul.obtenus)} / {nombre(calcul.possibles)} {texte_fraction(calcul.exacte)} "
        f"→ arrondi {libelle} : {texte_note('note', calcul.note)}"
    )


def composition_admise(qualites: Iterable[str], compositions: list[list[str]]) -> bool:
    """Les qualités des membres (« enseignant », « professionnel ») forment-elles une composition admise ?"""
    return sorted(qualites) in [sorted(c) for c in compositions]


def moyenne_situations(notes: list[Decimal]) -> Decimal:
    """E2 en CCF : deux situations de poids égal, la note de l'unité est leur moyenne exacte (10 et 10,25 → 10,125)."""
    return (sum(notes, Decimal(0)) / len(notes)).quantize(Decimal("0.001"))


def lire_note(texte: str) -> Decimal | None:
    """Note proposée ou arrêtée : « 12 », « 12,5 », « 12.75 » ; vide → None. Lève OperationRefusee."""
    if not texte.strip():
        return None
    try:
        etat, valeur = regles.parser_note(texte)
    except regles.NoteInvalide as e:
        raise OperationRefusee(str(e)) from None
    if etat != regles.Etat.NOTE:
        raise OperationRefusee(
            f"{texte.strip()} : saisir une note de 0 à 20 (ex. 12,5) ; « non valide » se déclare avec la case "
            "« justificatifs manquants »"
        )
    return valeur


def lire_date(texte: str) -> datetime.date | None:
    """« 2026-03-15 » (champ date) ou « 15/03/2026 » ; vide → None."""
    brut = texte.strip()
    if not brut:
        return None
    for format_ in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(brut, format_).date()
        except ValueError:
            continue
    raise OperationRefusee(f"{brut} : date non reconnue (JJ/MM/AAAA)")
