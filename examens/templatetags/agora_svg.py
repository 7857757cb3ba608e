"""Graphiques SVG rendus côté serveur (aucune bibliothèque JavaScript, aucun CDN)."""

import math

from django import template

from examens.regles import format_fr

register = template.Library()

# Géométrie de l'histogramme, en unités du viewBox : proche de sa taille affichée (760 px au plus), pour que
# les libellés restent lisibles (12 px) sans agrandir la page.
LARGEUR, HAUTEUR = 720, 300
GAUCHE, DROITE, HAUT, BAS = 56, 18, 40, 62
SEUIL = 10  # la barre des 10/20 : sous elle, pas d'admission


def _nb(valeur: float) -> str:
    # Texte avec un point : la localisation française mettrait une virgule, invalide en SVG.
    return f"{valeur:.1f}"


def _pas_vertical(maximum: int) -> int:
    """Un pas « rond » (1, 2, 5, 10, 20, 50…) qui donne au plus cinq graduations au-dessus de zéro."""
    brut = max(maximum / 5, 1)
    puissance = 10 ** math.floor(math.log10(brut))
    return next(p * puissance for p in (1, 2, 5, 10) if p * puissance >= brut)


@register.simple_tag
def histogramme_svg(barres: list[tuple[str, int]]) -> dict:
    """Barres, axes gradués, seuil de 10 et légende d'un histogramme d'effectifs par tranche d'un point."""
    largeur_trace, hauteur_trace = LARGEUR - GAUCHE - DROITE, HAUTEUR - HAUT - BAS
    bas_trace = HAUT + hauteur_trace
    pas_y = _pas_vertical(max((n for _, n in barres), default=0))
    sommet = max(pas_y, math.ceil(max((n for _, n in barres), default=0) / pas_y) * pas_y)
    pas_x = largeur_trace / max(len(barres), 1)
    total = sum(n for _, n in barres) or 1
    sortie = []
    for i, (_, n) in enumerate(barres):
        # « de 9 à moins de 10 » : une tranche lue à voix haute, sans tiret ambigu ; 20 compte dans la dernière.
        tranche = f"de {i} à {i + 1}" if i == len(barres) - 1 else f"de {i} à moins de {i + 1}"
        h = hauteur_trace * n / sommet
        x = GAUCHE + i * pas_x
        sortie.append(
            {
                "x": _nb(x + 2),
                "y": _nb(bas_trace - h),
                "largeur": _nb(pas_x - 4),
                "hauteur": _nb(h),
                "n": n,
                "part": round(100 * n / total),
                "tranche": tranche,
                "xc": _nb(x + pas_x / 2),
                "y_texte": _nb(bas_trace - h - 5),
                "admis": i >= SEUIL,
            }
        )
    graduations_x = [{"x": _nb(GAUCHE + i * pas_x), "texte": str(i)} for i in range(len(barres) + 1)]
    graduations_y = [
        {"y": _nb(bas_trace - hauteur_trace * v / sommet), "y_texte": _nb(bas_trace - hauteur_trace * v / sommet + 4),
         "texte": str(v)}
        for v in range(0, sommet + 1, pas_y)
    ]  # fmt: skip
    return {
        "barres": sortie,
        "total": sum(n for _, n in barres),
        "sous_seuil": sum(n for _, n in barres[:SEUIL]),
        "au_dessus": sum(n for _, n in barres[SEUIL:]),
        "graduations_x": graduations_x,
        "graduations_y": graduations_y,
        "largeur": LARGEUR,
        "hauteur": HAUTEUR,
        "gauche": GAUCHE,
        "droite": LARGEUR - DROITE,
        "haut": HAUT,
        "bas": _nb(bas_trace),
        "y_graduation_x": _nb(bas_trace + 18),
        "y_titre_x": _nb(HAUTEUR - 12),
        "x_titre_y": _nb(GAUCHE - 40),
        "y_titre_y": _nb(HAUT + hauteur_trace / 2),
        "x_seuil": _nb(GAUCHE + SEUIL * pas_x),
        "x_centre": _nb(GAUCHE + largeur_trace / 2),
    }


# Boîtes à moustaches de l'harmonisation : une ligne par groupe, axe des notes de 0 à 20 en bas.
BOITES_LARGEUR = 760
BOITES_GAUCHE, BOITES_DROITE, BOITES_HAUT, BOITES_BAS = 300, 24, 44, 44
BOITES_LIGNE = 30
LIBELLE_MAX = 36  # caractères : au-delà, le libellé est coupé (le tableau qui suit le donne en entier)


def _libelle_court(texte: str) -> str:
    return texte if len(texte) <= LIBELLE_MAX else texte[: LIBELLE_MAX - 1] + "…"


@register.simple_tag
def boites_svg(boites: list) -> dict:
    """Géométrie des boîtes à moustaches (minimum, quartiles, médiane, maximum) d'une unité, notes sur 20.

    `boites` : les `selectors.Boite` de l'unité, références (session en CCF, en ponctuel) d'abord. Les nombres des
    infobulles sont en français (virgule décimale, tronqués à deux décimales comme à l'affichage des moyennes).
    """
    largeur_trace = BOITES_LARGEUR - BOITES_GAUCHE - BOITES_DROITE
    hauteur = BOITES_HAUT + BOITES_LIGNE * len(boites) + BOITES_BAS

    def x(note) -> str:
        return _nb(BOITES_GAUCHE + largeur_trace * float(note) / 20)

    lignes = []
    for i, b in enumerate(boites):
        yc = BOITES_HAUT + BOITES_LIGNE * i + BOITES_LIGNE / 2
        infobulle = (
            f"{b.libelle}\u00a0: {b.n} note{'s' if b.n > 1 else ''}, médiane {format_fr(b.mediane)}, quartiles "
            f"{format_fr(b.q1)} et {format_fr(b.q3)}, de {format_fr(b.minimum)} à {format_fr(b.maximum)}"
        )
        if b.signale:
            infobulle += f" ; médiane à {format_fr(abs(b.ecart_autres))} point(s) de celle des autres notes"
        lignes.append(
            {
                "b": b,
                "libelle": _libelle_court(f"{'⚠ ' if b.signale else ''}{b.libelle} ({b.n})"),
                "infobulle": infobulle,
                "y_texte": _nb(yc + 4),
                "y_haut": _nb(yc - 8),
                "y_bas": _nb(yc + 8),
                "yc": _nb(yc),
                "x_min": x(b.minimum),
                "x_max": x(b.maximum),
                "x_q1": x(b.q1),
                "x_q3": x(b.q3),
                "x_med": x(b.mediane),
                "largeur": _nb(max(largeur_trace * float(b.q3 - b.q1) / 20, 1)),
                "sorte": b.sorte,
            }
        )
    bas_trace = BOITES_HAUT + BOITES_LIGNE * len(boites)
    return {
        "lignes": lignes,
        "largeur": BOITES_LARGEUR,
        "hauteur": hauteur,
        "gauche": BOITES_GAUCHE,
        "droite": BOITES_LARGEUR - BOITES_DROITE,
        "haut": BOITES_HAUT,
        "bas": bas_trace,
        "x_seuil": x(10),
        "graduations": [{"x": x(v), "texte": str(v)} for v in range(0, 21, 2)],
        "y_graduation": bas_trace + 18,
        "y_titre": hauteur - 6,
        "x_centre": _nb(BOITES_GAUCHE + largeur_trace / 2),
    }
