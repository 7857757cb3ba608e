"""Le référentiel dans Chromium : de la liste des pôles à une activité, puis recherche plein texte."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests import fabriques
from tests.navigateur.test_connexion import se_connecter

pytestmark = [pytest.mark.navigateur, pytest.mark.django_db(transaction=True)]

TVA = "Déterminer les éléments nécessaires à l'élaboration de la déclaration de TVA"


@pytest.fixture
def page_connectee(page: Page, live_server) -> Page:
    se_connecter(page, live_server, fabriques.comptes().enseignant.username)
    expect(page.get_by_test_id("titre-accueil")).to_be_visible()
    return page


def test_des_poles_a_une_activite(page_connectee: Page, live_server):
    page = page_connectee
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Référentiel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Référentiel AGORA-2020")
    expect(page.get_by_role("heading", name=re.compile(r"^Pôle \d"))).to_have_count(3)

    page.get_by_role("link", name="2.2 Suivi financier de l'activité de production").click()
    expect(page).to_have_url(f"{live_server.url}/referentiel/AGORA-2020/activites/2.2/")
    expect(page.get_by_test_id("titre-activite")).to_have_text("2.2 Suivi financier de l'activité de production")
    expect(page.get_by_role("columnheader")).to_have_text(
        ["Tâches", "Compétences", "Indicateurs d'évaluation des compétences"]
    )
    expect(page.get_by_test_id("taches").get_by_role("listitem")).to_have_text(
        [
            "Suivi des décaissements",
            "Suivi de la trésorerie et des relations avec les organismes et partenaires financiers",
            "Préparation de la déclaration de TVA",
        ]
    )
    expect(page.get_by_test_id("competences").get_by_role("listitem")).to_have_count(6)
    expect(page.get_by_test_id("competences")).to_contain_text(TVA)
    expect(page.get_by_test_id("indicateurs").get_by_role("listitem")).to_have_count(7)
    expect(page.get_by_test_id("indicateurs")).to_contain_text(
        "Pertinence et exactitude des éléments retenus pour la déclaration de TVA"
    )

    # De la compétence aux unités qui la certifient.
    page.get_by_test_id("competences").get_by_role("link", name=TVA).click()
    expect(page.get_by_test_id("titre-competence")).to_have_text(TVA)
    expect(page.get_by_test_id("unites-competence").get_by_role("listitem")).to_have_text(
        [
            "U2 Etude de situations professionnelles liées à l'organisation et au suivi de l'activité de production "
            "(épreuve E2)"
        ]
    )


def test_rechercher_tva(page_connectee: Page, live_server):
    page = page_connectee
    page.goto(f"{live_server.url}/referentiel/AGORA-2020/blocs/")
    page.get_by_role("searchbox", name="Rechercher").fill("TVA")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_test_id("titre-resultats")).to_have_text("Résultats pour « TVA »")
    resultats = page.get_by_test_id("resultats-competences")
    expect(resultats.get_by_role("listitem")).to_have_count(1)
    expect(resultats.get_by_role("link", name=TVA)).to_be_visible()
    expect(resultats.locator("mark")).to_have_text("TVA")

    resultats.get_by_role("link", name=TVA).click()
    expect(page.get_by_test_id("unites-competence")).to_contain_text("U2")


def test_la_recherche_ignore_les_accents(page_connectee: Page, live_server):
    page = page_connectee
    page.goto(f"{live_server.url}/referentiel/AGORA-2020/")
    page.get_by_role("searchbox", name="Rechercher").fill("ecrits")
    page.get_by_role("searchbox", name="Rechercher").press("Enter")
    expect(page.get_by_test_id("resultats-indicateurs")).to_contain_text(
        "Qualité de la rédaction des écrits commerciaux"
    )
    expect(page.get_by_test_id("resultats-competences")).to_contain_text(
        "Rédiger des écrits professionnels en lien avec l'activité sociale de l'organisation"
    )
    expect(page.get_by_test_id("resultats-indicateurs").locator("mark", has_text="écrits")).to_have_count(1)
