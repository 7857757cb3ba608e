"""Les comptes de l'organisation du CCF sur la page d'une commission (passages planifiés, tenus, à rattraper)."""

from django import template

from examens.organisation import services

register = template.Library()


@register.inclusion_tag("examens/organisation/_comptes.html")
def comptes_ccf(commission):
    return {"comptes": services.comptes(commission)}
