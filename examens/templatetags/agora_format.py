"""Filtres d'affichage : libellés des décisions et mentions, virgule décimale."""

from django import template

from agora.format import capitales_accentuees, texte_decimal
from examens.regles import format_fr
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


@register.filter
def fraction_fr(valeur) -> str:
    """Une valeur exacte (Fraction du moteur) tronquée à deux décimales, virgule décimale : 1999/200 → « 9,99 »."""
    return "" if valeur is None else format_fr(valeur)


@register.filter
def ecart_fr(valeur) -> str:
    """Écart signé, tronqué à deux décimales : « +3,50 », « −2,25 » (signe moins typographique)."""
    if valeur is None:
        return ""
    return ("+" if valeur >= 0 else "−") + format_fr(abs(valeur))
