"""La commission au travail, dans Chromium, sur tablette (820 × 1180) et sur poste (1366 × 900) : deux membres sur
la même grille, un texte jamais perdu, la connexion qui revient, cinq grilles enchaînées avec « Candidat suivant »."""

import datetime
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from examens.ccf import saisie
from examens.models import Grille, ValidationGrille
from tests import fabriques
from tests.examens.test_grilles import monde
from tests.navigateur.test_connexion import se_connecter

pytestmark = [pytest.mark.navigateur, pytest.mark.django_db(transaction=True)]

TABLETTE = {"width": 820, "height": 1180}
POSTE = {"width": 1366, "height": 900}
CAPTURES = Path(__file__).resolve().parents[2] / "docs" / "captures"


def _url(live_server, m, candidat, situation=1):
    return f"{live_server.url}/examens/grilles/commissions/{m.e31.pk}/candidats/{candidat.pk}/situations/{situation}/"


@pytest.fixture
def _contextes():
    """Les contextes ouverts par un test, fermés à la fin (sinon leurs connexions retiennent la base de test)."""
    ouverts = []
    yield ouverts
    for contexte in ouverts:
        contexte.close()


@pytest.fixture
def ouvrir(browser: Browser, live_server, _contextes):
    def _ouvrir(identifiant: str, viewport: dict) -> Page:
        contexte = browser.new_context(viewport=viewport, locale="fr-FR", timezone_id="Europe/Paris")
        _contextes.append(contexte)
        page = contexte.new_page()
        se_connecter(page, live_server, identifiant)
        return page

    return _ouvrir


def _niveau(page: Page, ordre: int, code: str):
    page.locator("fieldset.competence").nth(ordre - 1).locator(f"label[for$='-{code}']").click()


def _grille(m, candidat):
    return Grille.objects.get(candidat=candidat, epreuve="E31")


@pytest.mark.parametrize("viewport", [TABLETTE, POSTE], ids=["tablette", "poste"])
def test_deux_membres_sur_la_meme_grille(ouvrir, live_server, viewport):
    m = monde()
    url = _url(live_server, m, m.candidat)
    prof = ouvrir(m.comptes.enseignant.username, viewport)
    collegue = ouvrir(m.collegue.username, viewport)
    prof.goto(url)
    collegue.goto(url)

    # Champs différents : les deux sont gardés, sans conflit.
    with prof.expect_response(re.compile(r"/enregistrer/$")):
        _niveau(prof, 1, "S")
    with collegue.expect_response(re.compile(r"/enregistrer/$")) as reponse:
        _niveau(collegue, 2, "TS")
    assert reponse.value.status == 200
    niveaux = dict(_grille(m, m.candidat).evaluations.values_list("ligne__ordre", "niveau"))
    assert niveaux == {1: "S", 2: "TS"}

    # Même champ des deux côtés : le second voit les deux valeurs et choisit.
    prof.locator("#appreciation").fill("Très bonne maîtrise des outils")
    prof.locator("#appreciation").blur()
    expect(prof.locator("#etat-enregistrement")).to_contain_text("Enregistré")
    collegue.locator("#appreciation").fill("Oral hésitant")
    collegue.locator("#appreciation").blur()
    conflit = collegue.get_by_test_id("conflit-champ")
    expect(conflit).to_be_visible()
    expect(collegue.get_by_test_id("conflit-votre")).to_have_text("Oral hésitant")
    expect(collegue.get_by_test_id("conflit-autre")).to_have_text("Très bonne maîtrise des outils")
    expect(conflit).to_contain_text("Prof")
    if viewport is TABLETTE:
        CAPTURES.mkdir(parents=True, exist_ok=True)
        collegue.screenshot(path=str(CAPTURES / "grille-conflit-tablette.png"))
    collegue.get_by_role("button", name="Garder ma valeur").click()
    expect(conflit).to_be_hidden()
    expect(collegue.locator("#etat-enregistrement")).to_contain_text("Enregistré")
    assert _grille(m, m.candidat).appreciation == "Oral hésitant"


def test_un_texte_non_enregistre_revient_apres_un_rechargement(ouvrir, live_server):
    m = monde()
    page = ouvrir(m.comptes.enseignant.username, TABLETTE)
    page.goto(_url(live_server, m, m.candidat))
    with page.expect_response(re.compile(r"/enregistrer/$")):
        _niveau(page, 1, "S")
    # Le serveur ne répond plus (panne) : le texte tapé n'est pas enregistré…
    page.route(re.compile(r"/enregistrer/$"), lambda route: route.abort())
    page.locator("#appreciation").fill("Présentation claire, scénario réussi")
    page.locator("#appreciation").blur()
    expect(page.locator("#etat-enregistrement")).to_contain_text("connexion perdue")
    page.unroute(re.compile(r"/enregistrer/$"))
    page.on("dialog", lambda dialogue: dialogue.accept())
    page.reload()
    # … mais il revient, proposé à l'enregistrement.
    expect(page.get_by_test_id("brouillon-local")).to_contain_text("Texte non enregistré retrouvé")
    with page.expect_response(re.compile(r"/enregistrer/$")):
        page.get_by_role("button", name="Rétablir et enregistrer").click()
    expect(page.locator("#appreciation")).to_have_value("Présentation claire, scénario réussi")
    assert _grille(m, m.candidat).appreciation == "Présentation claire, scénario réussi"


def test_hors_ligne_les_changements_attendent_puis_partent(ouvrir, live_server):
    m = monde()
    page = ouvrir(m.comptes.enseignant.username, TABLETTE)
    page.goto(_url(live_server, m, m.candidat))
    page.context.set_offline(True)
    _niveau(page, 1, "TS")
    _niveau(page, 2, "S")
    expect(page.get_by_test_id("hors-ligne")).to_contain_text("Hors ligne")
    page.context.set_offline(False)
    expect(page.get_by_test_id("hors-ligne")).to_be_hidden(timeout=15000)
    expect(page.locator("#etat-enregistrement")).to_contain_text("Enregistré", timeout=15000)
    niveaux = dict(_grille(m, m.candidat).evaluations.values_list("ligne__ordre", "niveau"))
    assert niveaux == {1: "TS", 2: "S"}


@pytest.mark.parametrize("viewport", [TABLETTE, POSTE], ids=["tablette", "poste"])
def test_le_second_membre_enchaine_cinq_grilles_avec_candidat_suivant(ouvrir, live_server, viewport):
    m = monde()
    candidats = [fabriques.candidat(division=m.comptes.division_a, nom=f"ELEVE{i}") for i in range(5)]
    m.candidat.delete(), m.ponctuel.delete(), m.stagiaire.delete()  # la classe : les cinq élèves ci-dessus
    for c in candidats:  # le premier membre a rempli les grilles ; le second les confirme
        lignes = list(m.e31.gabarit.lignes.order_by("ordre"))
        version = 0
        for ligne in lignes:
            version = saisie.enregistrer_champ(
                commission=m.e31,
                candidat=c,
                situation=1,
                version=version,
                champ="niveau",
                valeur="S",
                cle=str(ligne.pk),
                auteur=m.comptes.enseignant,
            ).grille.version
        saisie.enregistrer_champ(
            commission=m.e31,
            candidat=c,
            situation=1,
            version=version,
            champ="date_situation",
            valeur=datetime.date(2026, 3, 12).isoformat(),
            auteur=m.comptes.enseignant,
        )
    page = ouvrir(m.collegue.username, viewport)
    page.goto(f"{live_server.url}/")
    liste = page.get_by_test_id("commission-E31")
    expect(liste.get_by_test_id("etape-a_confirmer")).to_have_text("À confirmer par moi : 5")
    if viewport is TABLETTE:
        CAPTURES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(CAPTURES / "liste-de-travail-tablette.png"), full_page=True)
    liste.get_by_test_id("reprendre").click()
    for rang in range(5):
        expect(page.get_by_test_id("titre-grille")).to_contain_text("ELEVE")
        page.get_by_role("button", name=re.compile("Je confirme la grille")).click()
        expect(page.locator(".alert-success, [role=alert]").first).to_be_visible()
        if rang == 0 and viewport is TABLETTE:
            page.screenshot(path=str(CAPTURES / "grille-tablette.png"))
        page.get_by_test_id("candidat-suivant").click()
    expect(page.get_by_text("Plus aucune grille ne vous attend dans cette commission.")).to_be_visible()
    assert ValidationGrille.objects.filter(membre=m.collegue).count() == 5
