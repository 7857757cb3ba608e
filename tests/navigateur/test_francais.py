"""Dans Chromium : la page 403 en français, une liste triée à la française, une décision du jury refusée qui garde
ce qui a été tapé (issue 20)."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from examens.models import Note
from tests import fabriques
from tests.examens.outils import UNITES
from tests.navigateur.test_connexion import se_connecter

pytestmark = [pytest.mark.navigateur, pytest.mark.django_db(transaction=True)]


def test_la_page_403_est_en_francais_avec_un_chemin_de_retour(page: Page, live_server):
    comptes = fabriques.comptes()
    se_connecter(page, live_server, comptes.enseignant.username)
    reponse = page.goto(f"{live_server.url}/examens/sessions/")
    assert reponse.status == 403
    expect(page).to_have_title("Accès refusé · AGOrA Examens")
    expect(page.get_by_role("heading", level=1)).to_have_text("Accès refusé")
    expect(page.get_by_test_id("page-erreur")).to_contain_text("n'a pas le droit d'ouvrir cette page")
    expect(page.get_by_text("Forbidden")).to_have_count(0)
    expect(page.get_by_role("navigation", name="Navigation principale")).to_be_visible()  # le menu du site
    page.get_by_role("link", name="Retour à l'accueil").click()
    expect(page.get_by_test_id("titre-accueil")).to_have_text("Mes divisions")
    expect(page.get_by_role("link", name="Accueil", exact=True)).to_have_attribute("aria-current", "page")


def test_la_liste_des_candidats_trie_etienne_avant_vincent(page: Page, live_server):
    comptes = fabriques.comptes()
    for nom in ["VINCENT", "ZOLA", "ÉTIENNE", "DUPONT", "ÉMERY"]:
        fabriques.candidat(division=comptes.division_a, nom=nom)
    se_connecter(page, live_server, comptes.gestionnaire.username)
    page.goto(f"{live_server.url}/examens/sessions/2026/candidats/")
    page.get_by_role("link", name="Nom", exact=True).click()
    expect(page.get_by_role("columnheader", name="Nom", exact=True)).to_have_attribute("aria-sort", "ascending")
    noms = page.get_by_test_id("liste-candidats").locator("tbody tr td:nth-child(2)")
    expect(noms).to_have_text(["DUPONT", "ÉMERY", "ÉTIENNE", "VINCENT", "ZOLA"])
    page.get_by_role("link", name="Nom", exact=True).click()
    expect(noms).to_have_text(["ZOLA", "VINCENT", "ÉTIENNE", "ÉMERY", "DUPONT"])


def test_une_note_du_jury_refusee_garde_unite_note_et_motif(page: Page, live_server):
    comptes = fabriques.comptes()
    c = fabriques.candidat(division=comptes.division_a)
    for unite in UNITES:
        Note.objects.create(candidat=c, unite=unite, valeur=Decimal("12"))
    se_connecter(page, live_server, comptes.academie.username)
    page.goto(f"{live_server.url}/examens/candidats/{c.pk}/")
    formulaire = page.get_by_test_id("form-jury-note")
    formulaire.get_by_label("Unité").select_option("U31")
    formulaire.get_by_label("Nouvelle note").fill("25")
    formulaire.get_by_label("Motif (obligatoire)").fill("Erreur de report de la copie")
    formulaire.get_by_role("button", name="Enregistrer la décision du jury").click()

    formulaire = page.get_by_test_id("form-jury-note")
    expect(page.get_by_test_id("erreur-jury-note")).to_contain_text("la note doit être comprise entre 0 et 20")
    expect(formulaire.get_by_label("Nouvelle note")).to_have_value("25")
    expect(formulaire.get_by_label("Nouvelle note")).to_have_attribute("aria-invalid", "true")
    expect(formulaire.get_by_label("Unité")).to_have_value("U31")
    expect(formulaire.get_by_label("Motif (obligatoire)")).to_have_value("Erreur de report de la copie")
    expect(page.get_by_role("alert")).to_have_count(0)  # pas de message en haut de la page
    expect(page.get_by_test_id("note-U31")).to_have_text("12,00")

    # Sans motif : pas de bulle du navigateur, le message du serveur en français sous le champ
    formulaire.get_by_label("Nouvelle note").fill("14")
    formulaire.get_by_label("Motif (obligatoire)").fill("")
    formulaire.get_by_role("button", name="Enregistrer la décision du jury").click()
    expect(page.get_by_test_id("erreur-jury-motif")).to_have_text(
        "Indiquez le motif : toute décision du jury est motivée."
    )
    expect(page.get_by_test_id("form-jury-note").get_by_label("Nouvelle note")).to_have_value("14")

    # Corrigée, la décision s'enregistre et la page revient par redirection
    page.get_by_test_id("form-jury-note").get_by_label("Motif (obligatoire)").fill("Copie revue")
    page.get_by_role("button", name="Enregistrer la décision du jury").click()
    expect(page).to_have_url(f"{live_server.url}/examens/candidats/{c.pk}/")
    expect(page.get_by_test_id("note-U31")).to_have_text("14,00")
