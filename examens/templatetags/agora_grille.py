"""Les lignes d'une grille (activités, compétences, boutons de niveau, observations), construites en Python.

C'est la boucle la plus chaude des pages : 12 compétences × 5 niveaux, une vingtaine de variables par bouton.
Rendue par le moteur de gabarits, elle coûtait près du tiers du temps de la page de grille (les boutons), puis,
les boutons faits ici, encore 3 ms sur 4,5 (les sections, fieldsets et observations autour) ; ici, un modèle
rempli par élément (`agora.lignes.ligne`, qui échappe chaque valeur comme `format_html`), mesuré avec
bench/profiler_pages.py.
"""

from django import template
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from agora.lignes import echapper, ligne

register = template.Library()

BOUTON = (
    '<input type="radio" class="btn-check" name="niveau-{pk}" id="niveau-{pk}-{code}" value="{code}" '
    'data-champ="niveau" data-cle="{pk}" data-touche="{touche}" data-libelle="{libelle}" autocomplete="off"'
    "{coche}{inactif}>"
    '<label class="btn btn-niveau {ton}" for="niveau-{pk}-{code}" title="{libelle} (touche {touche})">'
    '<span class="touche" aria-hidden="true">{touche}</span>{code}'
    '<span class="visually-hidden"> : {libelle}</span></label>\n'
)


def _niveaux_echappes(niveaux) -> list[tuple]:
    """Chaque niveau de l'échelle échappé une fois pour toute la page (code, touche, libellé, ton), et son code brut
    pour savoir lequel est coché : les boutons sont ensuite assemblés sans rien échapper de plus."""
    return [(escape(n.code), escape(n.touche), escape(n.libelle), escape(ton), n.code) for n, ton in niveaux]


def _boutons(pk: int, choisi: str, echappes: list[tuple], inactif: str) -> str:
    """Un bouton radio par niveau, celui de la ligne coché ; `pk` est un entier, le reste est déjà échappé."""
    return "".join(
        BOUTON.format(
            pk=int(pk),
            code=code,
            touche=touche,
            libelle=libelle,
            ton=ton,
            coche=" checked" if choisi == brut else "",
            inactif=inactif,
        )
        for code, touche, libelle, ton, brut in echappes
    )


ACTIVITE = (
    '<section class="activite" aria-labelledby="activite-{pk}">\n'
    '  <h2 class="h6 activite-titre" id="activite-{pk}">Activité {code} · {intitule}</h2>\n'
    '  <div class="activite-corps">\n'
    '    <div class="competences">\n'
    "{competences}"
    "    </div>\n"
    '    <details class="indicateurs" id="indicateurs-{pk}" open>\n'
    "      <summary class=\"h6\">Indicateurs d'évaluation de l'activité {code}</summary>\n"
    "      <ul>{indicateurs}</ul>\n"
    "    </details>\n"
    "  </div>\n"
    "</section>\n"
)
COMPETENCE = (
    '      <fieldset class="competence" data-ligne="{pk}" aria-describedby="indicateurs-{activite}">\n'
    '        <legend class="competence-intitule"><span class="numero">{ordre}</span> {intitule}</legend>\n'
    '        <div class="competence-saisie">\n'
    '          <div class="niveaux">\n'
    "          {boutons}\n"
    "          </div>\n"
    '          <label class="visually-hidden" for="observation-{pk}">Observation sur la compétence {ordre}</label>\n'
    '          <textarea class="form-control form-control-sm observation" id="observation-{pk}" rows="1" '
    'maxlength="2000"\n'
    '                    placeholder="Observation (facultative)" data-champ="observation" data-cle="{pk}"{inactif}>'
    "{observation}</textarea>\n"
    "        </div>\n"
    '        <div class="erreur-champ" data-erreur="niveau|{pk}"></div>\n'
    '        <div class="erreur-champ" data-erreur="observation|{pk}"></div>\n'
    "      </fieldset>\n"
)


@register.simple_tag
def lignes_de_grille(groupes, niveaux, modifiable: bool):
    """Une section par activité, un fieldset par compétence (boutons de niveau, observation), les indicateurs de
    l'activité ; `groupes` : lectures.lignes_affichees."""
    inactif = "" if modifiable else " disabled"
    echappes = _niveaux_echappes(niveaux)
    sections = []
    for groupe in groupes:
        activite = groupe[0].ligne.competence.activite
        competences = mark_safe(  # noqa: S308 (chaque morceau vient de `ligne`, qui a tout échappé)
            "".join(
                ligne(
                    COMPETENCE,
                    pk=la.ligne.pk,
                    activite=activite.pk,
                    ordre=la.ligne.ordre,
                    intitule=la.ligne.competence.intitule,
                    boutons=mark_safe(_boutons(la.ligne.pk, la.niveau, echappes, inactif)),  # noqa: S308
                    inactif=inactif,
                    observation=la.observation,
                )
                for la in groupe
            )
        )
        sections.append(
            ligne(
                ACTIVITE,
                pk=activite.pk,
                code=activite.code,
                intitule=activite.intitule,
                competences=competences,
                indicateurs=mark_safe(  # noqa: S308 (chaque intitulé échappé)
                    "".join(f"<li>{echapper(i.intitule)}</li>" for i in groupe[0].indicateurs)
                ),
            )
        )
    return mark_safe("".join(sections))  # noqa: S308 (idem)


def _coupe(texte: str) -> str:
    """Le filtre truncatechars:80 ; Truncator (et sa traduction de « … ») seulement pour un texte plus long, rare
    (un niveau, une note ou une date tiennent en quelques caractères)."""
    return texte if len(texte) <= 80 else Truncator(texte).chars(80)


LIGNE_HISTORIQUE = (
    '\n      <tr><td class="text-nowrap">{date}</td><td>{auteur}</td><td>{action}{objet}</td>\n'
    "        <td>{avant}</td><td>{apres}</td><td>{motif}</td></tr>\n    "
)


@register.simple_tag
def lignes_historique(historique):
    """Les derniers changements de la grille, une ligne chacun : quand (heure locale, à la seconde), qui, quoi,
    avant et après (∅ pour rien, coupés à 80 caractères comme par le filtre truncatechars), motif."""
    return mark_safe(  # noqa: S308 (chaque ligne vient de agora.lignes.ligne, qui a tout échappé)
        "".join(
            ligne(
                LIGNE_HISTORIQUE,
                date=timezone.localtime(h.date).strftime("%d/%m/%Y %H:%M:%S"),
                auteur=h.auteur_nom or h.auteur,
                action=h.libelle_action,
                objet=f" · {h.objet}" if h.objet else "",
                avant=_coupe(h.avant or "∅"),
                apres=_coupe(h.apres or "∅"),
                motif=h.motif,
            )
            for h in historique
        )
    )
