"""Dans Chromium, aucune page ne déclenche de violation de la Content-Security-Policy (scripts ou styles en ligne
injectés par une bibliothèque compris : le test HTML de test_durcissement.py ne les voit pas)."""

import pytest
from playwright.sync_api import Page

from tests import fabriques

pytestmark = [pytest.mark.navigateur, pytest.mark.django_db(transaction=True)]


def violations(page: Page) -> list[str]:
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text) if "Content Security Policy" in m.text else None)
    return messages


@pytest.mark.parametrize("compte", [None, "enseignant", "gestionnaire", "administrateur"])
def test_aucune_violation_csp_sur_la_connexion_et_les_accueils(page: Page, live_server, compte):
    comptes = fabriques.comptes()
    messages = violations(page)
    page.goto(f"{live_server.url}/connexion/")
    if compte:
        page.get_by_label("Nom d’utilisateur").fill(getattr(comptes, compte).username)
        page.get_by_label("Mot de passe").fill(fabriques.MOT_DE_PASSE)
        page.get_by_role("button", name="Se connecter").click()
        page.get_by_test_id("titre-accueil").wait_for()
    assert messages == []
