"""Dans Chromium : une note changée après la délibération se voit aussitôt partout, et le verrouillage montre puis
fait confirmer tout résultat qui changerait (issue « Results that are always true »)."""

from decimal import Decimal

import pytest
from django.db import connection
from playwright.sync_api import Page, expect

from examens import services
from examens.models import Resultat
from tests import fabriques
from tests.examens.outils import UNITES
from tests.navigateur.test_connexion import se_connecter

pytestmark = [pytest.mark.navigateur, pytest.mark.django_db(transaction=True)]


def _noter(candidat, valeur):
    services.ecrire_notes(
        saisies=[services.SaisieNote(candidat=candidat, unite=u, etat="note", valeur=Decimal(valeur)) for u in UNITES],
        source="test",
    )


def test_une_note_changee_au_tableau_se_voit_sur_la_fiche_et_le_releve(page: Page, live_server):
    comptes = fabriques.comptes()
    c = fabriques.candidat(division=comptes.division_a, numero="R001")
    _noter(c, "12")
    se_connecter(page, live_server, comptes.gestionnaire.username)
    page.goto(f"{live_server.url}/examens/sessions/2026/notes/U11/")
    champ = page.locator("input.saisie-note").first
    champ.fill("4,5")
    with page.expect_response(lambda r: r.url.endswith(f"/candidats/{c.pk}/notes/U11/")) as reponse:
        champ.press("Enter")
    assert reponse.value.ok
    # Sans aucun « Calculer » : la fiche et le relevé disent la même chose que les notes.
    page.goto(f"{live_server.url}/examens/candidats/{c.pk}/")
    expect(page.get_by_test_id("moyenne")).to_have_text("11,70")
    page.goto(f"{live_server.url}/examens/candidats/{c.pk}/releve/")
    expect(page.locator("article.releve")).to_contain_text("4,50")
    expect(page.locator("article.releve")).to_contain_text("Total des points : 292,50 — moyenne : 11,70")


def test_le_verrouillage_fait_confirmer_les_resultats_qui_changent(page: Page, live_server):
    comptes = fabriques.comptes()
    c = fabriques.candidat(division=comptes.division_a, numero="R002")
    _noter(c, "12")
    with connection.cursor() as curseur:  # une note changée hors de toute porte : le résultat est périmé
        curseur.execute("UPDATE examens_note SET valeur = 0 WHERE candidat_id = %s AND unite = 'U2'", [c.pk])
    se_connecter(page, live_server, comptes.administrateur.username)
    page.goto(f"{live_server.url}/examens/sessions/2026/deliberation/")
    page.once("dialog", lambda dialogue: dialogue.accept())
    page.get_by_test_id("bouton-verrouiller").click()
    expect(page.get_by_test_id("resultats-a-changer")).to_contain_text("1 résultat change au recalcul")
    expect(page.get_by_test_id("differences")).to_contain_text("10,08")
    assert not type(c.session).objects.get(pk=c.session_id).verrouillee
    page.get_by_test_id("confirmer-verrouillage").click()
    expect(page.get_by_text("Délibération de la session 2026 verrouillée")).to_be_visible()
    assert Resultat.objects.get(candidat=c).moyenne == Decimal("10.08")
    page.goto(f"{live_server.url}/examens/candidats/{c.pk}/releve/")
    expect(page.locator("article.releve")).to_contain_text("moyenne : 10,08")
    expect(page.get_by_test_id("decision")).to_have_text("Admis")
