"""Le tuteur dans Chromium, sans compte : le lycée envoie le lien (lu dans la boîte de test de Django), le tuteur
l'ouvre dans un contexte neuf, remplit et signe ; le lycée voit l'attestation signée, le candidat conforme et son
résultat changé. Un lien déjà utilisé, révoqué ou expiré donne une page claire et ne change rien."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from examens.models import Resultat
from pfmp import services
from pfmp.models import Attestation, LienTuteur
from tests import fabriques
from tests.examens.test_resultats_a_jour import noter
from tests.navigateur.test_connexion import se_connecter
from tests.securite.test_csp_navigateur import violations

pytestmark = [pytest.mark.navigateur, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def dossier():
    comptes = fabriques.comptes()
    candidat = fabriques.candidat(division=comptes.division_a, duree_cycle=2, nom="MARTIN", prenom="Inès")  # 16 sem.
    noter(candidat, "12")
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
    terminale = services.enregistrer_periode(
        candidat=candidat,
        organisation=organisation,
        date_debut=datetime.date(2025, 11, 3),
        date_fin=datetime.date(2025, 12, 26),
        semaines=Decimal(8),
        auteur=None,
        tuteur_nom="Bernard",
        tuteur_prenom="Sophie",
        tuteur_fonction="Responsable administrative",
        tuteur_email="s.bernard@example.org",
    )
    return comptes, candidat, terminale


def envoyer_lien(page: Page, live_server, candidat) -> str:
    """Le gestionnaire envoie le lien depuis le dossier PFMP ; renvoie l'adresse lue dans le courriel."""
    mail.outbox.clear()
    page.goto(f"{live_server.url}/pfmp/candidats/{candidat.pk}/")
    page.get_by_role("link", name="Lien au tuteur").last.click()
    expect(page.get_by_label("Courriel du tuteur")).to_have_value("s.bernard@example.org")
    page.get_by_role("button", name="Envoyer le lien").click()
    expect(page.get_by_role("alert").first).to_contain_text("Lien envoyé à s.bernard@example.org")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["s.bernard@example.org"]
    return re.search(r"(http://\S+/pfmp/tuteur/\S+/)", mail.outbox[0].body).group(1)


def test_le_tuteur_signe_en_ligne_et_le_lycee_voit_le_candidat_conforme_et_admis(
    page: Page, browser: Browser, live_server, dossier
):
    comptes, candidat, terminale = dossier
    assert Resultat.objects.get(candidat=candidat).decision == "non_delivrable"
    se_connecter(page, live_server, comptes.gestionnaire.username)
    lien = envoyer_lien(page, live_server, candidat)

    tuteur = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": 820, "height": 1180})
    onglet = tuteur.new_page()  # aucun cookie, aucune session : le tuteur n'a pas de compte
    csp = violations(onglet)
    onglet.goto(lien)
    expect(onglet.get_by_test_id("periode-tuteur")).to_contain_text("Inès MARTIN")
    expect(onglet.get_by_test_id("periode-tuteur")).to_contain_text("du 03/11/2025 au 26/12/2025")
    expect(onglet.get_by_label("Semaines effectuées")).to_have_value("8")
    onglet.get_by_label("Absences").fill("aucune")
    onglet.get_by_label("2.1 Suivi administratif de l'activité de production").check()
    onglet.get_by_test_id("competences").get_by_role("radio", name="très satisfaisant").first.check()
    expect(onglet.get_by_label("Vos nom et prénom")).to_have_value("Sophie Bernard")
    expect(onglet.get_by_label("Votre qualité")).to_have_value("Responsable administrative")
    onglet.get_by_role("button", name="Signer l'attestation").click()
    expect(onglet.get_by_text("Cochez cette case pour signer.")).to_be_visible()  # rien n'est signé sans consentement
    onglet.get_by_label("Je certifie exactes les informations ci-dessus").check()
    onglet.get_by_role("button", name="Signer l'attestation").click()
    expect(onglet.get_by_test_id("attestation-signee")).to_contain_text("est signée et transmise au lycée")
    assert csp == []  # ni script ni style en ligne sur les pages du tuteur

    # Le lycée, dans sa propre session : attestation signée en ligne, candidat conforme, résultat changé.
    page.goto(f"{live_server.url}/pfmp/candidats/{candidat.pk}/")
    expect(page.get_by_test_id("signee-en-ligne")).to_be_visible()
    expect(page.get_by_test_id("etat-candidat")).to_have_text("conforme")
    page.goto(f"{live_server.url}/examens/candidats/{candidat.pk}/")
    expect(page.get_by_test_id("decision")).to_have_text("Admis")
    assert Resultat.objects.get(candidat=candidat).decision == "admis"
    signee = Attestation.objects.get(periode=terminale, en_vigueur=True)
    assert signee.signature_tuteur.sha256

    # Le même lien une seconde fois : page claire, rien ne change.
    onglet.goto(lien)
    expect(onglet.get_by_test_id("lien-invalide")).to_contain_text("a déjà été signée avec ce lien")
    assert Attestation.objects.count() == 2
    tuteur.close()


def test_un_lien_revoque_ou_expire_donne_une_page_claire_et_ne_change_rien(
    page: Page, browser: Browser, live_server, dossier
):
    comptes, candidat, terminale = dossier
    se_connecter(page, live_server, comptes.gestionnaire.username)
    revoque = envoyer_lien(page, live_server, candidat)
    page.get_by_role("button", name="Révoquer").click()
    expect(page.get_by_role("alert").first).to_contain_text("révoqué : il ne permet plus de signer")
    expire = envoyer_lien(page, live_server, candidat)
    LienTuteur.objects.filter(revoque_le__isnull=True).update(expire_le=timezone.now() - datetime.timedelta(days=1))

    tuteur = browser.new_context(locale="fr-FR")
    onglet = tuteur.new_page()
    for lien, message in ((revoque, "Ce lien a été révoqué par le lycée."), (expire, "Ce lien a expiré.")):
        onglet.goto(lien)
        expect(onglet.get_by_test_id("lien-invalide")).to_contain_text(message)
        expect(onglet.get_by_role("button", name="Signer l'attestation")).to_have_count(0)
    assert Attestation.objects.filter(periode=terminale).count() == 0
    assert Resultat.objects.get(candidat=candidat).decision == "non_delivrable"
    tuteur.close()
