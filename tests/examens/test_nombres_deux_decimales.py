"""Procès-verbal, relevé et exports : points et moyennes toujours avec deux décimales (« 233,00 », « 257,50 »)."""

from decimal import Decimal

import pytest

from agora.format import texte_decimal
from examens import exports, services
from examens.documents import impression
from examens.models import Candidat, Note
from tests import fabriques
from tests.examens.outils import UNITES

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "valeur, texte",
    [
        (Decimal("233"), "233,00"),
        (Decimal("233.000"), "233,00"),
        (Decimal("257.5"), "257,50"),
        (Decimal("249.875"), "249,875"),  # exact : jamais tronqué
        (Decimal("0"), "0,00"),
        (Decimal("12.50"), "12,50"),
        (None, ""),
        ("", ""),
    ],
)
def test_texte_decimal(valeur, texte):
    assert texte_decimal(valeur) == texte


def _session_233_et_257_5(comptes):
    """Deux candidats : 9,32 × 25 = 233 points et 10,30 × 25 = 257,5 points."""
    for nom, note in (("ENTIER", "9.32"), ("DEMI", "10.3")):
        c = fabriques.candidat(division=comptes.division_a, nom=nom)
        for unite in UNITES:
            Note.objects.create(candidat=c, unite=unite, valeur=Decimal(note))
    session = fabriques.session()
    services.deliberer(session=session)
    return session


def test_le_proces_verbal_aligne_ses_points_sur_deux_decimales(comptes):
    session = _session_233_et_257_5(comptes)
    page = comptes.client(comptes.gestionnaire).get("/examens/sessions/2026/proces-verbal/").content.decode()
    assert ">233,00</td>" in page and ">257,50</td>" in page and ">9,32</td>" in page and ">10,30</td>" in page
    perimetre = impression.perimetre_pv(comptes.administrateur, session)
    colonnes = {
        ligne[1].split()[0]: (ligne[3], ligne[4]) for ligne in impression.donnees_pv(session, perimetre)["lignes"]
    }
    assert colonnes == {"ENTIER": ("233,00", "9,32"), "DEMI": ("257,50", "10,30")}


def test_le_releve_et_l_export_aussi(comptes):
    session = _session_233_et_257_5(comptes)
    entier = Candidat.objects.get(nom="ENTIER")
    assert impression.donnees_releve(entier)["resultat"]["points"] == "233,00"
    entete, lignes = exports.resultats(session, Candidat.objects.filter(session=session))
    par_nom = {ligne[1]: dict(zip(entete, ligne, strict=True)) for ligne in lignes}
    assert par_nom["ENTIER"]["points"] == "233,00" and par_nom["DEMI"]["points"] == "257,50"
    assert par_nom["ENTIER"]["moyenne"] == "9,32" and par_nom["ENTIER"]["U2"] == "9,32"
    assert par_nom["DEMI"]["U2"] == "10,30"
