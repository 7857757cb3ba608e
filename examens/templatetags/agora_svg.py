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
                "x": x,
                "y": round(110 - h, 1),
                "largeur": round(pas - 2, 1),
                "hauteur": h,
                "n": n,
                "tranche": tranche,
                "xc": round(x + (pas - 2) / 2, 1),
                "y_texte": round(106 - h, 1),
                "admis": i >= len(barres) // 2,
            }
        )
    graduations = [{"x": round(10 + i * pas, 1), "texte": str(i)} for i in range(0, len(barres) + 1, 2)]
    return {"barres": sortie, "graduations": graduations}
