import re

import pytest
from playwright.sync_api import Page, expect

from tests import fabriques

pytestmark = [pytest.mark.navigateur, pytest.mark.django_db(transaction=True)]


def se_connecter(page: Page, live_server, identifiant: str, mot_de_passe: str = fabriques.MOT_DE_PASSE):
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Nom d’utilisateur").fill(identifiant)
    page.get_by_label("Mot de passe").fill(mot_de_passe)
    page.get_by_role("button", name="Se connecter").click()


@pytest.mark.parametrize(
    "compte, titre",
    [
        ("enseignant", "Mes divisions"),
        ("gestionnaire", "Gestion des examens"),
        ("administrateur", "Administration des examens"),
    ],
)
def test_chaque_role_arrive_sur_sa_page_d_accueil(page: Page, live_server, compte, titre):
    comptes = fabriques.comptes()
    se_connecter(page, live_server, getattr(comptes, compte).username)
    expect(page.get_by_test_id("titre-accueil")).to_have_text(titre)
    expect(page.get_by_test_id("utilisateur")).to_contain_text(compte)


def test_un_mauvais_mot_de_passe_est_refuse_avec_un_message(page: Page, live_server):
    fabriques.comptes()
    se_connecter(page, live_server, "prof", "pas-le-bon")
    expect(page.get_by_test_id("erreur-connexion")).to_contain_text(
        "Saisissez un nom d’utilisateur et un mot de passe valides"
    )
    expect(page).to_have_url(f"{live_server.url}/connexion/")


def test_chacun_change_son_mot_de_passe_depuis_le_menu(page: Page, live_server):
    fabriques.comptes()
    se_connecter(page, live_server, "prof")
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Mot de passe").click()
    expect(page.get_by_role("heading", name="Changer mon mot de passe")).to_be_visible()
    page.get_by_label("Ancien mot de passe").fill(fabriques.MOT_DE_PASSE)
    page.get_by_label(re.compile("Nouveau mot de passe")).fill("prof-2026-secret")
    page.get_by_label("Confirmation du nouveau mot de passe").fill("prof-2026-secret")
    page.get_by_role("button", name="Changer le mot de passe").click()
    expect(page.get_by_text("contient votre identifiant")).to_be_visible()
    page.get_by_label("Ancien mot de passe").fill(fabriques.MOT_DE_PASSE)
    page.get_by_label(re.compile("Nouveau mot de passe")).fill("Ornithorynque-bleu-42")
    page.get_by_label("Confirmation du nouveau mot de passe").fill("Ornithorynque-bleu-42")
    page.get_by_role("button", name="Changer le mot de passe").click()
    expect(page.get_by_text("Votre mot de passe a été changé.")).to_be_visible()
    expect(page.get_by_test_id("titre-accueil")).to_have_text("Mes divisions")
