"""Grilles CCF dans Chromium : saisie au clavier, rechargement, 404, grille figée, conflit, note suggérée."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from examens.ccf import circuit, gabarits, notation
from examens.models import Grille, texte_note
from tests import fabriques
from tests.examens.test_grilles import grille_e31_complete, monde, remplir, valider

pytestmark = [pytest.mark.navigateur, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _hachage_rapide(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def se_connecter(page: Page, live_server, identifiant: str):
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Nom d’utilisateur").fill(identifiant)
    page.get_by_label("Mot de passe").fill(fabriques.MOT_DE_PASSE)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_test_id("utilisateur")).to_be_visible()


def url_grille(live_server, m, candidat=None) -> str:
    return live_server.url + reverse("examens:grille", args=[m.e31.pk, (candidat or m.candidat).pk, 1])


def tabuler_jusqu_a(page: Page, predicat: str, maximum: int = 60) -> None:
    """Tab jusqu'à ce que l'élément actif vérifie le prédicat JavaScript (el) => booléen."""
    for _ in range(maximum):
        page.keyboard.press("Tab")
        if page.evaluate(f"(el => {predicat})(document.activeElement)"):
            return
    raise AssertionError(f"aucun élément atteint au clavier pour : {predicat}")


def attendre_enregistrement(page: Page) -> None:
    expect(page.locator("#etat-enregistrement")).to_have_text(re.compile(r"^Enregistré à \d\d:\d\d:\d\d$"))


def test_un_enseignant_remplit_toute_une_grille_e31_au_clavier_et_la_retrouve_apres_rechargement(
    page: Page, live_server
):
    m = monde()
    se_connecter(page, live_server, m.comptes.enseignant.username)
    page.goto(url_grille(live_server, m))

    tabuler_jusqu_a(page, "el.id === 'date_situation'")
    page.keyboard.type("12/03/2026")
    tabuler_jusqu_a(page, "el.id === 'piece-etat_recapitulatif'")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # comptes rendus des PFMP
    tabuler_jusqu_a(page, "el.type === 'radio'")
    touches = "432143210443"  # 4 TS, 3 S, 2 I, 1 TI, 0 non évalué
    page.keyboard.press(touches[0])  # choisit le niveau et passe à la compétence 2
    page.keyboard.press("Shift+Tab")  # revient à l'observation de la compétence 1
    page.keyboard.type("Accueil téléphonique soigné.")
    page.keyboard.press("Tab")
    for touche in touches[1:]:
        page.keyboard.press(touche)
    expect(page.locator("#appreciation")).to_be_focused()  # après la dernière compétence
    page.keyboard.type("Candidat autonome, à l'aise à l'oral.")
    page.keyboard.press("Tab")
    page.keyboard.type("15,5")  # note proposée différente de la suggestion…
    page.keyboard.press("Tab")
    page.keyboard.type("Dossier d'une qualité remarquable.")  # … donc justifiée
    page.keyboard.press("Tab")
    attendre_enregistrement(page)

    # 3+2+1+0+3+2+1+0+3+3+2 = 20 points sur 11 × 3 = 33 (une ligne non évaluée) → 20 × 20 / 33 ≈ 12,12 → 12
    expect(page.get_by_test_id("note-suggeree")).to_have_text("12,00")
    expect(page.get_by_test_id("note-retenue")).to_have_text("15,50")
    page.reload()
    attendus = {"4": "TS", "3": "S", "2": "I", "1": "TI", "0": "NE"}
    for i, touche in enumerate(touches):
        expect(page.locator("fieldset.competence").nth(i).locator("input:checked")).to_have_value(attendus[touche])
    expect(page.locator("fieldset.competence").first.locator("textarea")).to_have_value("Accueil téléphonique soigné.")
    expect(page.locator("#date_situation")).to_have_value("12/03/2026")
    expect(page.locator("#piece-etat_recapitulatif")).to_be_checked()
    expect(page.locator("#piece-rapports_pfmp")).to_be_checked()
    expect(page.locator("#appreciation")).to_have_value("Candidat autonome, à l'aise à l'oral.")
    expect(page.locator("#note_proposee")).to_have_value("15,50")
    expect(page.locator("#justification")).to_have_value("Dossier d'une qualité remarquable.")
    expect(page.get_by_test_id("historique")).to_contain_text("Accueil téléphonique soigné.")
    grille = Grille.objects.get(candidat=m.candidat, epreuve="E31")
    assert grille.evaluations.exclude(niveau="").count() == 12 and str(grille.note_proposee) == "15.50"


def test_un_enseignant_d_une_autre_division_recoit_une_404(page: Page, live_server):
    m = monde()
    remplir(m.e31, m.candidat, m.comptes.enseignant, ["S"])
    se_connecter(page, live_server, m.comptes.enseignant_autre.username)
    reponse = page.goto(url_grille(live_server, m))
    assert reponse.status == 404
    assert page.goto(live_server.url + reverse("examens:commission", args=[m.e31.pk])).status == 404


def test_une_grille_transmise_ne_peut_plus_etre_modifiee(page: Page, live_server):
    m = monde()
    g = valider(m, grille_e31_complete(m))
    circuit.transmettre_grille(grille=g, version=g.version, auteur=m.comptes.enseignant)
    se_connecter(page, live_server, m.comptes.enseignant.username)
    page.goto(url_grille(live_server, m))
    expect(page.get_by_test_id("etat-grille")).to_have_text("transmise au jury")
    expect(page.get_by_test_id("lecture-seule")).to_contain_text("n'est plus modifiable par la commission")
    expect(page.locator("#grille input[type=radio]:enabled")).to_have_count(0)
    expect(page.locator("#appreciation")).to_be_disabled()
    expect(page.get_by_role("button", name=re.compile("Je confirme"))).to_have_count(0)
    # Même en contournant la page, le serveur refuse.
    statut = page.evaluate(
        """async () => {
            const f = document.getElementById('grille');
            const corps = new URLSearchParams({version: f.dataset.version, champ: 'appreciation', valeur: 'x'});
            const csrf = f.querySelector('input[name=csrfmiddlewaretoken]').value;
            const r = await fetch(f.dataset.url, {method: 'POST', body: corps, headers: {'X-CSRFToken': csrf}});
            return r.status;
        }"""
    )
    assert statut == 403
    assert Grille.objects.get(pk=g.pk).appreciation == ""


def test_une_modification_concurrente_d_un_autre_champ_est_fusionnee(
    page: Page, live_server, browser, browser_context_args
):
    """Deux membres, deux champs : la grille a changé entre-temps, mais pas ce champ — les deux sont gardés.
    (Le même champ changé des deux côtés : tests/navigateur/test_commission.py.)"""
    m = monde()
    remplir(m.e31, m.candidat, m.comptes.enseignant, ["S"])
    se_connecter(page, live_server, m.comptes.enseignant.username)
    page.goto(url_grille(live_server, m))
    autre = browser.new_context(**browser_context_args).new_page()
    se_connecter(autre, live_server, m.collegue.username)
    autre.goto(url_grille(live_server, m))

    page.locator("fieldset.competence").nth(1).locator("label[for$='-TS']").click()  # enregistré : version 2
    attendre_enregistrement(page)
    autre.locator("#appreciation").fill("Texte de la collègue")
    autre.locator("#appreciation").blur()

    expect(autre.locator("#etat-enregistrement")).to_contain_text("Enregistré")
    expect(autre.get_by_test_id("alerte-grille")).to_be_hidden()
    grille = Grille.objects.get(candidat=m.candidat, epreuve="E31")
    assert (grille.version, grille.appreciation) == (3, "Texte de la collègue")
    niveaux = dict(grille.evaluations.values_list("ligne__ordre", "niveau"))
    assert (niveaux[1], niveaux[2]) == ("S", "TS")
    autre.context.close()


def test_la_note_suggeree_correspond_a_la_conversion_du_gabarit(page: Page, live_server):
    m = monde()
    se_connecter(page, live_server, m.comptes.enseignant.username)
    page.goto(url_grille(live_server, m))
    choix = ["TS", "TS", "S", "I", "NE", "S", "TI", "TS", "S", "S"]  # deux compétences restent à saisir
    for i, code in enumerate(choix):
        page.locator("fieldset.competence").nth(i).locator(f"label[for$='-{code}']").click()
    attendre_enregistrement(page)
    calcul = notation.suggerer_note(choix + ["", ""], gabarits.echelle_de(m.e31.gabarit), m.e31.gabarit.arrondi)
    assert calcul.note == Decimal("13.50")  # 18 points sur 9 × 3 = 27 → 20 × 18 / 27 ≈ 13,33 → 13,5
    expect(page.get_by_test_id("note-suggeree")).to_have_text(texte_note("note", calcul.note))
    expect(page.get_by_test_id("calcul")).to_have_text(notation.expliquer(calcul))
    expect(page.get_by_test_id("a-saisir")).to_have_text("2 compétences à saisir")
    page.reload()
    expect(page.get_by_test_id("note-suggeree")).to_have_text("13,50")


def test_une_modification_non_enregistree_previent_avant_de_quitter(page: Page, live_server):
    m = monde()
    se_connecter(page, live_server, m.comptes.enseignant.username)
    page.goto(url_grille(live_server, m))
    page.route("**/enregistrer/", lambda route: route.abort())
    page.locator("fieldset.competence").first.locator("label[for$='-TS']").click()
    expect(page.locator("#etat-enregistrement")).to_contain_text("connexion perdue")
    dialogues = []
    page.on("dialog", lambda d: (dialogues.append(d.type), d.dismiss()))
    page.close(run_before_unload=True)
    page.wait_for_timeout(500)
    assert dialogues == ["beforeunload"]
    assert not Grille.objects.exists()
