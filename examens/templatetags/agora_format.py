"""Filtres d'affichage : libellés des décisions et mentions, virgule décimale."""

from django import template

from agora.format import capitales_accentuees
from examens.models import texte_decimal
from examens.selectors import DECISIONS, MENTIONS

register = template.Library()

COULEURS = {
    "admis": "success",
    "controle": "warning",
    "ajourne": "secondary",
    "remplacement": "info",
    "non_delivrable": "danger",
    "incomplet": "light",
}


@register.filter
def decision(code: str) -> str:
    return DECISIONS.get(code, code or "")


@register.filter
def couleur_decision(code: str) -> str:
    return COULEURS.get(code, "light")


@register.filter
def mention(code: str) -> str:
    return MENTIONS.get(code, "")


@register.filter
def milliers(valeur) -> str:
    """25000 → « 25 000 » (espace fine insécable, comme en typographie française)."""
    return f"{valeur:,}".replace(",", "\u202f") if isinstance(valeur, int) else str(valeur or "")


@register.filter
def virgule(valeur) -> str:
    """« 12.50 » → « 12,50 » (les moyennes sont stockées tronquées, en texte)."""
    return "" if valeur in (None, "") else str(valeur).replace(".", ",")


@register.filter
def exact(valeur) -> str:
    """Un Decimal exact, deux décimales au moins, virgule décimale : 249.875 → « 249,875 », 250.000 → « 250,00 »."""
    return texte_decimal(valeur)


@register.filter
def capitales(texte) -> str:
    """Intitulé de l'arrêté avec ses capitales accentuées (agora.format.capitales_accentuees)."""
    return capitales_accentuees(str(texte or ""))
