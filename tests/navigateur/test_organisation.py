"""Organiser le CCF dans Chromium : planifier les E31 d'une division, convocation, absence, rattrapage, comptes."""

import io
import re
from pathlib import Path

import pypdf
import pytest
from playwright.sync_api import Browser, Page, expect

from examens.models import Note
from examens.organisation.models import Amenagement, Passage
from tests import fabriques
from tests.examens.test_grilles import monde

pytestmark = [pytest.mark.navigateur, pytest.mark.django_db(transaction=True)]

POSTE = {"width": 1366, "height": 900}
TABLETTE = {"width": 820, "height": 1180}
CAPTURES = Path(__file__).resolve().parents[2] / "docs" / "captures"


@pytest.fixture
def ouvrir(browser: Browser, live_server):
    ouverts = []

    def _ouvrir(identifiant: str, viewport: dict) -> Page:
        contexte = browser.new_context(
            viewport=viewport, locale="fr-FR", timezone_id="Europe/Paris", accept_downloads=True
        )
        ouverts.append(contexte)
        page = contexte.new_page()
        page.goto(f"{live_server.url}/connexion/")
        page.get_by_label("Nom d’utilisateur").fill(identifiant)
        page.get_by_label("Mot de passe").fill(fabriques.MOT_DE_PASSE)
        page.get_by_role("button", name="Se connecter").click()
        expect(page.get_by_test_id("utilisateur")).to_be_attached()
        return page

    yield _ouvrir
    for contexte in ouverts:
        contexte.close()


def _texte_pdf(contenu: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(contenu)).pages))


def _ligne(page: Page, candidat):
    return page.locator(f"tr[data-candidat='{candidat.numero}']").first


def test_planifier_les_e31_d_une_division_convoquer_marquer_une_absence_et_rattraper(ouvrir, live_server):
    m = monde()
    eleves = [fabriques.candidat(division=m.comptes.division_a, nom=f"ELEVE{i}", prenom="Zoé") for i in range(4)]
    Amenagement.objects.create(
        candidat=m.candidat, temps_majore=33, lecteur=True, salle="B01 (RDC)", decision=Amenagement.Decision.ACCORDEE
    )
    page = ouvrir(m.comptes.enseignant.username, POSTE)
    page.goto(f"{live_server.url}/examens/grilles/commissions/{m.e31.pk}/")
    page.get_by_role("link", name="Organiser le CCF").click()
    page.get_by_label("Journées").fill("12/03/2026, 13/03/2026")
    page.get_by_label("Salles").fill("B12, B14")
    page.get_by_role("button", name="Proposer et enregistrer le planning").click()
    expect(page.get_by_text(re.compile(r"Planning enregistré : \d+ passages pour TAGO1"))).to_be_visible()

    # L'aménagé : 80 min (tiers-temps) dans sa salle ; les autres 60 min ; jamais deux passages à la fois.
    expect(_ligne(page, m.candidat)).to_contain_text("(80 min)")
    expect(_ligne(page, m.candidat)).to_contain_text("tiers-temps, lecteur")
    expect(_ligne(page, eleves[0])).to_contain_text("(60 min)")
    passages = list(Passage.objects.select_related("situation"))
    assert Passage.objects.get(candidat=m.candidat).situation.salle == "B01 (RDC)"
    for i, a in enumerate(passages):
        for b in passages[i + 1 :]:
            if a.situation.date == b.situation.date:
                assert a.fin <= b.debut or b.fin <= a.debut
    CAPTURES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(CAPTURES / "planificateur.png"), full_page=True)

    with page.expect_download() as telechargement:
        _ligne(page, m.candidat).get_by_role("link", name="PDF").click()
    texte = _texte_pdf(Path(telechargement.value.path()).read_bytes())
    assert "MARTIN Léa" in texte and "tiers-temps, lecteur" in texte

    with page.expect_download() as telechargement:
        page.locator("[data-testid=situation]", has=_ligne(page, m.candidat)).get_by_role(
            "link", name="Feuille d'émargement (PDF)"
        ).click()
    texte = _texte_pdf(Path(telechargement.value.path()).read_bytes())
    assert "Feuille d'émargement" in texte and "MARTIN Léa" in texte and "B01 (RDC)" in texte

    # Absence non justifiée : ABS sur U31 ; absence justifiée : un rattrapage à planifier.
    ligne = _ligne(page, eleves[0])
    ligne.get_by_label(re.compile("Présence de")).select_option("absent_non_justifie")
    ligne.get_by_role("button", name="Marquer").click()
    expect(page.get_by_text("ELEVE0 Zoé : absent (non justifié).")).to_be_visible()
    assert Note.objects.get(candidat=eleves[0], unite="U31").etat == "ABS"

    ligne = _ligne(page, eleves[1])
    ligne.get_by_label(re.compile("Présence de")).select_option("absent_justifie")
    ligne.get_by_label(re.compile("Justificatif de")).fill("certificat médical")
    ligne.get_by_role("button", name="Marquer").click()
    comptes = page.get_by_test_id("comptes-ccf")
    expect(comptes).to_contain_text("1 à rattraper")
    expect(comptes).to_contain_text("2 absences")

    # Le rattrapage se planifie au clavier : date, heure, salle.
    rattrapage = page.locator("[data-testid=situation]", has_text="Rattrapage").locator(
        f"tr[data-candidat='{eleves[1].numero}']"
    )
    rattrapage.get_by_label(re.compile("Date du passage")).fill("20/03/2026")
    rattrapage.get_by_label(re.compile("Heure du passage")).fill("09:00")
    rattrapage.get_by_label(re.compile("Salle du passage")).fill("B12")
    rattrapage.get_by_label(re.compile("Salle du passage")).press("Enter")
    expect(page.get_by_text("Passage de ELEVE1 Zoé déplacé.")).to_be_visible()
    expect(page.get_by_test_id("comptes-ccf")).to_contain_text("1 à rattraper")

    page.goto(f"{live_server.url}/examens/grilles/commissions/{m.e31.pk}/")
    expect(page.get_by_test_id("comptes-ccf")).to_contain_text("2 absences")
    page.goto(f"{live_server.url}/examens/grilles/commissions/")
    page.get_by_role("link", name=re.compile("Organisation du CCF")).click()
    ligne = page.get_by_test_id("tableau-organisation").get_by_role("row", name=re.compile("^E31"))
    # 7 passages dont 2 absents, plus le rattrapage daté : 6 planifiés, 0 tenu, 1 à rattraper, 2 absences.
    expect(ligne).to_have_text(re.compile(r"E31\s*2026\s*6\s*0\s*1\s*2"))
    expect(page.get_by_test_id("tableau-organisation")).to_contain_text("Lycée Jean Jaurès")

    tablette = ouvrir(m.comptes.enseignant.username, TABLETTE)
    tablette.goto(f"{live_server.url}/examens/grilles/commissions/{m.e31.pk}/organisation/")
    tablette.screenshot(path="/tmp/planificateur-tablette.png", full_page=True)
