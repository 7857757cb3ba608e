"""Dans Chromium : la page de délibération dit pourquoi (« U33 absente (ABS) ») et montre la trace qu'on déplie, et
le simulateur d'un candidat à l'épreuve de contrôle propose la note du moteur (issue #17, partie 4)."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from examens import services
from tests import fabriques
from tests.examens.outils import UNITES
from tests.navigateur.test_connexion import se_connecter

pytestmark = [pytest.mark.navigateur, pytest.mark.django_db(transaction=True)]


def _noter(candidat, valeurs):
    saisies = []
    for unite, valeur in zip(UNITES, valeurs, strict=True):
        etat = "ABS" if valeur == "ABS" else "note"
        saisies.append(
            services.SaisieNote(
                candidat=candidat, unite=unite, etat=etat, valeur=None if etat == "ABS" else Decimal(valeur)
            )
        )
    services.ecrire_notes(saisies=saisies, source="test")


def test_la_deliberation_montre_la_raison_et_ouvre_le_simulateur(page: Page, live_server):
    comptes = fabriques.comptes()
    absent = fabriques.candidat(division=comptes.division_a, nom="ABSENT", numero="J001")
    _noter(absent, ["12", "11", "13", "14", "12", "ABS", "11", "9", "10", "12", "13", "15"])
    controle = fabriques.candidat(division=comptes.division_a, nom="CONTROLE", numero="J002")
    _noter(controle, ["8", "6", "11", "12", "10", "8", "9", "7", "7", "8", "10", "12"])  # 9,42 : contrôle

    se_connecter(page, live_server, comptes.academie.username)
    page.goto(f"{live_server.url}/examens/sessions/2026/deliberation/")
    page.locator("details:has([data-testid=decision-non_delivrable]) > summary").click()  # liste repliée
    expect(page.get_by_test_id("decision-non_delivrable").get_by_test_id("raison")).to_have_text("U33 absente (ABS)")
    # La trace n'est pas dans la page : déplier « trace » la demande au serveur (issue #23).
    tableau = page.get_by_test_id("decision-non_delivrable")
    expect(tableau.get_by_test_id("trace")).to_have_count(0)
    tableau.locator("summary", has_text="trace").click()
    expect(tableau.get_by_test_id("trace")).to_contain_text("moyenne générale")
    expect(page.get_by_test_id("taux-reussite")).to_contain_text("Lycée Jean Jaurès")

    page.get_by_test_id("a-examiner").get_by_role("link", name="Quelle note faut-il ? pour CONTROLE Léa").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("Quelle note faut-il")
    ligne = page.get_by_test_id("paires").get_by_role("row").filter(has_text="U12 et U51")
    expect(ligne.get_by_test_id("note-commune")).to_have_text("10,86")
