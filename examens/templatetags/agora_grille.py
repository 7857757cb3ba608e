"""Les boutons de niveau d'une ligne de grille, construits en Python.

C'est la boucle la plus chaude des pages : 12 compétences × 5 niveaux, une vingtaine de variables par bouton.
Rendue par le moteur de gabarits, elle coûtait près du tiers du temps de la page de grille ; ici, un seul
`format_html` par bouton (mesuré avec bench/lancer.py --seulement web).
"""

from django import template
from django.utils.html import format_html_join

register = template.Library()

BOUTON = (
    '<input type="radio" class="btn-check" name="niveau-{pk}" id="niveau-{pk}-{code}" value="{code}" '
    'data-champ="niveau" data-cle="{pk}" data-touche="{touche}" data-libelle="{libelle}" autocomplete="off"'
    "{coche}{inactif}>"
    '<label class="btn btn-niveau {ton}" for="niveau-{pk}-{code}" title="{libelle} (touche {touche})">'
    '<span class="touche" aria-hidden="true">{touche}</span>{code}'
    '<span class="visually-hidden"> : {libelle}</span></label>\n'
)


@register.simple_tag
def boutons_niveaux(ligne_affichee, niveaux, modifiable: bool):
    """Un bouton radio par niveau de l'échelle, celui de la ligne coché ; `niveaux` : [(Niveau, ton)]."""
    pk, choisi = ligne_affichee.ligne.pk, ligne_affichee.niveau
    inactif = "" if modifiable else " disabled"
    return format_html_join(
        "",
        BOUTON,
        (
            {
                "pk": pk,
                "code": n.code,
                "touche": n.touche,
                "libelle": n.libelle,
                "ton": ton,
                "coche": " checked" if choisi == n.code else "",
                "inactif": inactif,
            }
            for n, ton in niveaux
        ),
    )
