"""Un administrateur crée un compte d'enseignant dans Chromium, lui donne une division ; l'enseignant reçoit le lien
(lu dans la boîte de test de Django), choisit son mot de passe sur tablette et se connecte à sa division."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Browser, Page, expect

from tests import fabriques
from tests.navigateur.test_connexion import se_connecter
from tests.securite.test_csp_navigateur import violations

pytestmark = [pytest.mark.navigateur, pytest.mark.django_db(transaction=True)]


def test_l_administrateur_cree_un_enseignant_qui_choisit_son_mot_de_passe_et_se_connecte(
    page: Page, browser: Browser, live_server
):
    fabriques.comptes()
    mail.outbox.clear()
    page.set_viewport_size({"width": 1366, "height": 900})
    csp = violations(page)
    se_connecter(page, live_server, "admin")
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Comptes").click()
    expect(page.get_by_role("heading", name="Comptes")).to_be_visible()
    expect(page.get_by_test_id("liste-comptes")).to_contain_text("1 établissement géré")
    page.get_by_role("link", name="Nouveau compte").click()

    # Un identifiant déjà pris : le message du serveur sous le champ, rien de tapé n'est perdu.
    page.locator("#id_identifiant").fill("prof")
    page.locator("#id_prenom").fill("Claire")
    page.locator("#id_nom").fill("Lemoine")
    page.locator("#id_email").fill("claire.lemoine@example.org")
    page.get_by_label("Enseignant", exact=True).check()
    page.get_by_test_id("perimetre-divisions").get_by_text("Session 2026 — Lycée Jean Jaurès").click()
    page.get_by_label("TAGO1").check()
    page.get_by_role("button", name="Créer le compte").click()
    expect(page.get_by_text("L'identifiant « prof » est déjà pris")).to_be_visible()
    expect(page.locator("#id_identifiant")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_prenom")).to_have_value("Claire")
    expect(page.get_by_label("TAGO1")).to_be_checked()
    expect(page.get_by_label("Enseignant", exact=True)).to_be_checked()

    page.locator("#id_identifiant").fill("clemoine")
    page.get_by_role("button", name="Créer le compte").click()
    expect(page.get_by_text("Compte « clemoine » créé.")).to_be_visible()
    expect(page.get_by_test_id("fiche-compte")).to_contain_text("TAGO1 (Lycée Jean Jaurès, session 2026)")
    expect(page.get_by_test_id("historique-compte")).to_contain_text("Compte créé : Claire Lemoine (clemoine)")
    expect(page.get_by_test_id("historique-compte")).to_contain_text("Lien pour choisir le mot de passe envoyé")
    assert csp == []

    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["claire.lemoine@example.org"]
    lien = re.search(r"(http://\S+/comptes/mot-de-passe/\S+/)", mail.outbox[0].body).group(1)

    # L'enseignante, sur sa tablette, sans session : elle choisit son mot de passe puis se connecte.
    tablette = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": 820, "height": 1180})
    onglet = tablette.new_page()
    onglet.goto(lien)
    onglet.get_by_label(re.compile("Nouveau mot de passe")).fill("clemoine2026")
    onglet.get_by_label("Confirmation du nouveau mot de passe").fill("clemoine2026")
    onglet.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(onglet.get_by_text("contient votre identifiant")).to_be_visible()
    onglet.get_by_label(re.compile("Nouveau mot de passe")).fill("Ornithorynque-bleu-42")
    onglet.get_by_label("Confirmation du nouveau mot de passe").fill("Ornithorynque-bleu-42")
    onglet.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(onglet.get_by_text("Votre mot de passe est enregistré : connectez-vous.")).to_be_visible()
    se_connecter(onglet, live_server, "clemoine", "Ornithorynque-bleu-42")
    expect(onglet.get_by_test_id("titre-accueil")).to_have_text("Mes divisions")
    expect(onglet.get_by_text("TAGO1").first).to_be_visible()
    tablette.close()

    # L'administrateur voit le mot de passe choisi dans l'historique.
    page.reload()
    expect(page.get_by_test_id("historique-compte")).to_contain_text("Mot de passe choisi par son titulaire")
