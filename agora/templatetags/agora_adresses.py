"""`{% adresse 'examens:grille' commission.pk candidat.pk situation %}` : le `{% url %}` des pages chaudes, résolu
une fois par processus quand ses arguments sont des entiers (agora.lignes.adresse), reverse() sinon."""

from django import template

from agora.lignes import adresse as _adresse

register = template.Library()


@register.simple_tag
def adresse(nom: str, *args) -> str:
    return _adresse(nom, *args)
