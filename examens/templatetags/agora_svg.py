"""Graphiques SVG rendus côté serveur (aucune bibliothèque JavaScript, aucun CDN)."""

from django import template

register = template.Library()


def _nb(valeur: float) -> str:
    # Texte avec un point : la localisation française mettrait une virgule, invalide en SVG.
    return f"{valeur:.1f}"


@register.simple_tag
def histogramme_svg(barres: list[tuple[str, int]], largeur: int = 400, hauteur: int = 100) -> dict:
    maximum = max((n for _, n in barres), default=0) or 1
    pas = largeur / max(len(barres), 1)
    sortie = []
    for i, (tranche, n) in enumerate(barres):
        h = round(hauteur * n / maximum, 1)
        x = round(10 + i * pas + 1, 1)
        sortie.append(
            {
                "x": _nb(x),
                "y": _nb(110 - h),
                "largeur": _nb(pas - 2),
                "hauteur": _nb(h),
                "n": n,
                "tranche": tranche,
                "xc": _nb(x + (pas - 2) / 2),
                "y_texte": _nb(106 - h),
                "admis": i >= len(barres) // 2,
            }
        )
    graduations = [{"x": _nb(10 + i * pas), "texte": str(i)} for i in range(0, len(barres) + 1, 2)]
    return {"barres": sortie, "graduations": graduations}
