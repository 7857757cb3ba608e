"""L'histogramme du tableau de bord : axes gradués et titrés, légende, seuil, et les mêmes chiffres en tableau."""

import re
from decimal import Decimal

import pytest

from examens import services
from examens.models import Note
from examens.templatetags.agora_svg import _pas_vertical, histogramme_svg
from tests import fabriques
from tests.examens.outils import UNITES

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("maximum, pas", [(0, 1), (3, 1), (7, 2), (18, 5), (40, 10), (95, 20), (2400, 500)])
def test_graduations_verticales_rondes(maximum, pas):
    assert _pas_vertical(maximum) == pas


def test_geometrie_de_l_histogramme():
    barres = [(f"{i}–{i + 1}", 0) for i in range(20)]
    barres[9], barres[10], barres[19] = ("9–10", 3), ("10–11", 18), ("19–20", 1)
    svg = histogramme_svg(barres)
    assert [g["texte"] for g in svg["graduations_y"]] == ["0", "5", "10", "15", "20"]
    assert [g["texte"] for g in svg["graduations_x"]] == [str(i) for i in range(21)]
    assert (svg["total"], svg["sous_seuil"], svg["au_dessus"]) == (22, 3, 19)
    assert svg["barres"][9]["tranche"] == "de 9 à moins de 10" and svg["barres"][19]["tranche"] == "de 19 à 20"
    assert [b["admis"] for b in svg["barres"]] == [False] * 10 + [True] * 10
    # la plus haute barre atteint 18/20 de la hauteur tracée ; tout nombre s'écrit avec un point (SVG)
    assert float(svg["barres"][10]["hauteur"]) == pytest.approx(198 * 18 / 20, abs=0.1)
    assert all("," not in b["x"] + b["y"] + b["hauteur"] for b in svg["barres"])


def test_le_tableau_de_bord_montre_axes_legende_et_tableau(comptes):
    for i, note in enumerate(["9.5", "12", "12.5", "15"]):
        c = fabriques.candidat(division=comptes.division_a, nom=f"NOM{i}")
        for unite in UNITES:
            Note.objects.create(candidat=c, unite=unite, valeur=Decimal(note))
    services.deliberer(session=fabriques.session())
    page = comptes.client(comptes.gestionnaire).get("/examens/sessions/2026/").content.decode()
    svg = page.split('<svg class="histogramme"', 1)[1].split("</svg>", 1)[0]
    assert 'role="img" aria-labelledby="histo-titre histo-resume"' in svg
    assert "4 candidats avec une moyenne : 1 sous 10, 3 à 10 ou plus." in svg  # <desc>
    assert ">moyenne sous 10<" in svg and ">moyenne de 10 ou plus<" in svg and ">seuil de 10/20<" in svg
    assert ">Candidats<" in svg and "Moyenne sur 20 (tranches d'un point" in svg
    assert "<title>Moyenne de 12 à moins de 13 : 2 candidats</title>" in svg
    tableau = page.split('data-testid="histogramme-tableau"', 1)[1].split("</details>", 1)[0]
    lignes = re.findall(r'<th scope="row" class="fw-normal">([^<]+)</th><td class="nombre">(\d+)</td>', tableau)
    assert len(lignes) == 20
    assert dict(lignes)["de 12 à moins de 13"] == "2" and dict(lignes)["de 9 à moins de 10"] == "1"
    assert "<summary>Les effectifs en tableau</summary>" in tableau and "50 %" in tableau
