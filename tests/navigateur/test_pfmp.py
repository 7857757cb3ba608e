"""PFMP dans Chromium : l'enseignant référent saisit une période puis l'attestation signée, et voit le candidat
devenir conforme ; une saisie interrompue survit au rechargement de la page."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from examens.models import Blocage
from pfmp import services
from tests import fabriques
from tests.navigateur.test_connexion import se_connecter

pytestmark = [pytest.mark.navigateur, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def dossier():
    comptes = fabriques.comptes()
    candidat = fabriques.candidat(division=comptes.division_a, duree_cycle=2, nom="MARTIN", prenom="Inès")  # 16 sem.
    organisation = services.creer_organisation(nom="Imprimerie Nouvelle", siret="55210055400013", ville="Paris")
    premiere = services.enregistrer_periode(
        candidat=candidat,
        organisation=organisation,
        date_debut=datetime.date(2025, 1, 6),
        date_fin=datetime.date(2025, 2, 28),
        semaines=Decimal(8),
        auteur=None,
    )
    services.enregistrer_attestation(
        periode=premiere, semaines=Decimal(8), signee=True, date_signature=datetime.date(2025, 2, 28), auteur=None
    )
    return comptes, candidat


def test_une_periode_puis_son_attestation_signee_rendent_le_candidat_conforme(page: Page, live_server, dossier):
    comptes, candidat = dossier
    se_connecter(page, live_server, comptes.enseignant.username)
    page.get_by_role("link", name="PFMP", exact=True).click()
    expect(page.get_by_test_id(f"ligne-{candidat.numero}")).to_contain_text("à risque")
    page.get_by_role("link", name="MARTIN Inès").click()
    expect(page.get_by_test_id("etat-candidat")).to_have_text("à risque")
    expect(page.get_by_test_id("semaines")).to_contain_text("8 semaines attestées sur 16 requises")

    page.get_by_role("link", name="Ajouter une période").click()
    page.get_by_label("Organisation d'accueil").select_option(label="Imprimerie Nouvelle (55210055400013)")
    page.get_by_label("Début").fill("2025-11-03")
    page.get_by_label("Fin").fill("2025-12-26")
    page.get_by_label("Semaines prévues").fill("8")
    page.get_by_label("Nom du tuteur", exact=True).fill("Bernard")
    page.get_by_label("Prénom du tuteur").fill("Sophie")
    page.get_by_role("button", name="Enregistrer la période").click()
    expect(page.get_by_role("alert").first).to_contain_text("Période du 03/11/2025 au 26/12/2025 enregistrée.")
    expect(page.get_by_test_id("periodes")).to_contain_text("03/11/2025 – 26/12/2025")

    page.get_by_role("link", name="Saisir l'attestation").click()
    expect(page.get_by_label("Semaines effectuées")).to_have_value("8")
    page.get_by_label("2.1 Suivi administratif de l'activité de production").check()
    page.get_by_label("L'attestation est signée par le tuteur").check()
    page.get_by_label("Signée le").fill("2025-12-26")
    page.get_by_role("button", name="Enregistrer l'attestation").click()

    expect(page.get_by_test_id("etat-candidat")).to_have_text("conforme")
    expect(
        page.get_by_text("Inès MARTIN est conforme : 16 semaines de PFMP attestées sur le cycle de 2 ans.")
    ).to_be_visible()
    expect(page.get_by_test_id("semaines")).to_contain_text("16 semaines attestées sur 16 requises")
    assert not Blocage.objects.filter(candidat=candidat).exists()

    page.get_by_role("link", name="PFMP 2026").click()
    expect(page.get_by_test_id(f"ligne-{candidat.numero}")).to_contain_text("conforme")


def test_une_saisie_non_envoyee_est_restauree_apres_rechargement(page: Page, live_server, dossier):
    comptes, candidat = dossier
    se_connecter(page, live_server, comptes.enseignant.username)
    page.goto(f"{live_server.url}/pfmp/candidats/{candidat.pk}/periodes/ajouter/")
    page.get_by_label("Nom du tuteur", exact=True).fill("Lemoine")
    page.get_by_label("Début").fill("2026-03-02")
    page.reload()
    expect(page.get_by_role("status")).to_contain_text("Saisie non envoyée restaurée")
    expect(page.get_by_label("Nom du tuteur", exact=True)).to_have_value("Lemoine")
    expect(page.get_by_label("Début")).to_have_value("2026-03-02")
    # Une erreur s'affiche à côté du champ, la saisie reste.
    page.get_by_role("button", name="Enregistrer la période").click()
    expect(page.locator("#id_organisation + .invalid-feedback, #id_organisation ~ .invalid-feedback")).to_contain_text(
        "Ce champ est obligatoire"
    )
    expect(page.get_by_label("Nom du tuteur", exact=True)).to_have_value("Lemoine")
