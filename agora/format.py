"""Mise en forme française, en un seul endroit : nombres à virgule décimale, dates JJ/MM/AAAA, accords, noms.

Outil de la couche du bas, en Python pur : il n'importe ni Django ni aucune application, si bien que les règles
pures (`examens/regles.py`, `pfmp/regles_pfmp.py`) peuvent s'en servir. Les troncatures qui sont des règles
(moyennes tronquées au centième, trace du calcul) restent dans `examens/regles.py`, à côté de la règle qu'elles
affichent.
"""

import datetime
import re
from decimal import Decimal

JOURS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def nombre(valeur) -> str:
    """Un nombre exact sans zéros inutiles, virgule décimale : 249.875 → « 249,875 », 2.00 → « 2 », 13.5 →
    « 13,5 », 100 → « 100 » ; "" pour une valeur absente. Points d'une grille, coefficients, semaines de PFMP."""
    if valeur is None or valeur == "":
        return ""
    return format(Decimal(valeur).normalize(), "f").replace(".", ",")


def texte_decimal(valeur) -> str:
    """« 233,00 », « 257,50 », « 249,875 » : deux décimales au moins (une colonne de points, de notes ou de moyennes
    se lit alignée), jamais tronqué (les valeurs stockées sont exactes, à trois décimales au plus)."""
    if valeur is None or valeur == "":
        return ""
    valeur = Decimal(valeur)
    exposant = valeur.normalize().as_tuple().exponent
    decimales = max(2, -exposant) if isinstance(exposant, int) else 2
    return f"{valeur:.{decimales}f}".replace(".", ",")


def nombre_json(valeur) -> str:
    """Pour une sortie lue par un programme (JSON) : point décimal, sans zéros inutiles ; "" pour une valeur absente."""
    if valeur is None or valeur == "":
        return ""
    return format(Decimal(valeur).normalize(), "f")


def date_fr(jour: datetime.date | None) -> str:
    """« 05/06/2026 » ; "" sans date."""
    return jour.strftime("%d/%m/%Y") if jour else ""


def lire_date(texte: str) -> datetime.date | None:
    """« 05/06/2026 » → la date ; None si le texte n'est pas une date JJ/MM/AAAA qui existe (« 31/02/2008 »)."""
    if not re.fullmatch(r"\d{2}/\d{2}/\d{4}", texte):
        return None
    try:
        return datetime.datetime.strptime(texte, "%d/%m/%Y").date()
    except ValueError:
        return None


def jour_fr(jour: datetime.date | None) -> str:
    """« vendredi 05/06/2026 » (convocations, feuilles d'émargement) ; "" sans date."""
    return f"{JOURS[jour.weekday()]} {date_fr(jour)}" if jour else ""


def nom_utilisateur(user) -> str:
    """Le nom d'un compte tel qu'on l'imprime : « Claire Dubois », sinon l'identifiant ; "" sans compte."""
    return (user.get_full_name() or user.username) if user else ""


def pluriel(nombre: int, singulier: str, pluriel: str | None = None) -> str:
    """« 1 note », « 3 notes », « 0 note » (le zéro s'accorde au singulier en français), « 2 chevaux » avec
    `pluriel`. Pour un groupe de mots, chaque mot variable s'écrit dans `singulier`/`pluriel` : « note créée »."""
    if abs(nombre) >= 2:
        mots = pluriel or " ".join(m + "s" if not m.endswith(("s", "x")) else m for m in singulier.split(" "))
    else:
        mots = singulier
    return f"{nombre} {mots}"


# Les intitulés de l'arrêté écrivent les capitales sans accent (« Economie-droit », « Epreuve ») : à l'écran et dans
# les documents, la typographie française les accentue. Les données restent celles du texte, mot pour mot.
_CAPITALES = {
    "Economie": "Économie",
    "Epreuve": "Épreuve",
    "Etude": "Étude",
    "Education": "Éducation",
    "Ecrit": "Écrit",
}


def capitales_accentuees(texte: str) -> str:
    """« Economie-droit » → « Économie-droit », « Epreuve de français » → « Épreuve de français »."""
    for sans, avec in _CAPITALES.items():
        if sans in texte:
            texte = re.sub(rf"\b{sans}", avec, texte)
    return texte
