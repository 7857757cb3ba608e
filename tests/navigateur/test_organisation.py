"""Organiser le CCF dans Chromium : planifier les E31 d'une division, convocation, absence, rattrapage, comptes."""

import datetime
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from examens.ccf import saisie
from examens.models import Grille, Note
from examens.organisation.models import Amenagement, Passage, Situation
from tests import fabriques
from tests.examens.test_grilles import monde
from tests.examens.test_organisation_vues import lignes_pdf, texte_pdf

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


def _ligne(page: Page, candidat):
    return page.locator(f"tr[data-candidat='{candidat.numero}']").first


def _glisser(page: Page, candidat, zone):
    """Glisse le candidat (sa poignée ⠿) sur un créneau libre, par le glisser-déposer HTML5 de Chromium."""
    _ligne(page, candidat).locator("th.ccf-glissable").drag_to(zone)


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

    # Glisser-déposer : ELEVE3 sur le dernier créneau libre de la journée (après le dernier passage) ; le
    # déplacement est enregistré (il tient au rechargement) par le même service que le formulaire au clavier.
    # Une fenêtre assez haute pour voir le candidat et le créneau sans défiler pendant le geste.
    page.set_viewport_size({"width": POSTE["width"], "height": 2400})
    zone = page.get_by_test_id("creneau-libre").last
    date, debut, salle = (zone.get_attribute(f"data-{x}") for x in ("date", "debut", "salle"))
    _glisser(page, eleves[3], zone)
    expect(page.get_by_text("Passage de ELEVE3 Zoé déplacé.")).to_be_visible()
    page.reload()
    expect(_ligne(page, eleves[3])).to_contain_text(f"{debut}–")
    deplace = Passage.objects.select_related("situation").get(candidat=eleves[3])
    assert (deplace.situation.date.strftime("%d/%m/%Y"), f"{deplace.debut:%H:%M}", deplace.situation.salle) == (
        date,
        debut,
        salle,
    )

    # Déposé là où un membre siège ailleurs (E32) : refusé, en français, à côté du créneau visé ; rien ne bouge.
    zone = page.get_by_test_id("creneau-libre").last
    date, debut = zone.get_attribute("data-date"), zone.get_attribute("data-debut")
    e32 = Situation.objects.create(
        commission=m.e32, date=datetime.datetime.strptime(date, "%d/%m/%Y").date(), salle="C01"
    )
    e32.membres.add(m.comptes.enseignant)
    Passage.objects.create(situation=e32, candidat=m.ponctuel, debut=datetime.time.fromisoformat(debut), duree=30)
    avant = Passage.objects.get(candidat=eleves[2]).debut
    _glisser(page, eleves[2], zone)
    refus = page.locator(f"[data-cible='{zone.get_attribute('data-cible')}'] [data-erreur-deplacement]")
    expect(refus).to_contain_text("Déplacement de ELEVE2 Zoé refusé. Ce créneau est impossible :")
    expect(refus).to_contain_text("(E32)")
    assert Passage.objects.get(candidat=eleves[2]).debut == avant
    e32.delete()
    page.set_viewport_size(POSTE)
    page.goto(f"{live_server.url}/examens/grilles/commissions/{m.e31.pk}/organisation/")
    CAPTURES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(CAPTURES / "planificateur.png"), full_page=True)

    # Les PDF lus par pdftotext : le candidat, la date et l'heure, la salle, les aménagements.
    passage = Passage.objects.select_related("situation").get(candidat=m.candidat)
    quand = f"{passage.situation.date:%d/%m/%Y} Heure {passage.debut.hour} h {passage.debut.minute:02d}"
    with page.expect_download() as telechargement:
        _ligne(page, m.candidat).get_by_role("link", name="PDF").click()
    texte = texte_pdf(Path(telechargement.value.path()).read_bytes())
    assert f"Candidat MARTIN Léa · n° {m.candidat.numero}" in texte
    assert quand in texte and "Salle B01 (RDC)" in texte
    assert "Aménagements accordés : tiers-temps, lecteur" in texte

    with page.expect_download() as telechargement:
        page.locator("[data-testid=situation]", has=_ligne(page, m.candidat)).get_by_role(
            "link", name="Feuille d'émargement (PDF)"
        ).click()
    lignes = lignes_pdf(Path(telechargement.value.path()).read_bytes())
    assert lignes[0].startswith(f"Feuille d'émargement E31 · jeudi {passage.situation.date:%d/%m/%Y}")
    assert any(ligne.endswith("Salle B01 (RDC)") for ligne in lignes)
    heure = f"{passage.debut.hour} h {passage.debut.minute:02d}"
    # La ligne du candidat : heure, durée majorée, aménagements (la salle imposée passe à la ligne), présence.
    i = next(i for i, ligne in enumerate(lignes) if ligne.startswith(f"{heure} (1 h 20) MARTIN Léa"))
    assert lignes[i] == f"{heure} (1 h 20) MARTIN Léa tiers-temps, lecteur, ☐ présent ☐ absent"
    assert lignes[i + 1] == f"n° {m.candidat.numero} · TAGO1 salle : B01 (RDC)"

    # Absence non justifiée : ABS sur U31 ; absence justifiée : un rattrapage à planifier.
    ligne = _ligne(page, eleves[0])
    ligne.get_by_label(re.compile("Présence de")).select_option("absent_non_justifie")
    ligne.get_by_role("button", name="Marquer").click()
    expect(page.get_by_text("ELEVE0 Zoé : absent (non justifié).")).to_be_visible()
    assert Note.objects.get(candidat=eleves[0], unite="U31").etat == "ABS"

    # ELEVE1 avait une grille commencée à la date de sa situation : elle suivra le rattrapage.
    saisie.enregistrer_champ(
        commission=m.e31,
        candidat=eleves[1],
        situation=1,
        version=0,
        champ="date_situation",
        valeur=f"{Passage.objects.get(candidat=eleves[1]).situation.date:%d/%m/%Y}",
        auteur=m.comptes.enseignant,
    )
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
    expect(page.get_by_text("La grille de ELEVE1 Zoé prend la date du rattrapage (20/03/2026).")).to_be_visible()
    assert Grille.objects.get(candidat=eleves[1], epreuve="E31").date_situation == datetime.date(2026, 3, 20)
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
    tablette.screenshot(path=str(CAPTURES / "planificateur-tablette.png"), full_page=True)
