"""Dans Chromium : deux jurys délibèrent et verrouillent chacun de leur côté, puis le président valide le
procès-verbal de son jury (issue « Juries and the académie »)."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from examens import services
from examens.models import Jury, Note
from tests import fabriques
from tests.examens.outils import UNITES
from tests.navigateur.test_connexion import se_connecter

pytestmark = [pytest.mark.navigateur, pytest.mark.django_db(transaction=True)]


def _noter(candidat, valeur):
    services.ecrire_notes(
        saisies=[services.SaisieNote(candidat=candidat, unite=u, etat="note", valeur=Decimal(valeur)) for u in UNITES],
        source="test",
    )


def _verrouiller(page: Page):
    page.once("dialog", lambda dialogue: dialogue.accept())
    page.get_by_test_id("verrouiller-jury").click()


def test_deux_jurys_verrouillent_independamment_et_le_president_valide_le_pv(page: Page, live_server):
    c = fabriques.comptes()
    paris = fabriques.jury_de(c.division_a.etablissement, c.division_a.session, "Paris", "PARIS")
    creteil = fabriques.jury_de(c.division_c.etablissement, c.division_c.session, "Créteil", "CRETEIL")
    un = fabriques.candidat(division=c.division_a, numero="J1000001", nom="UN")
    deux = fabriques.candidat(division=c.division_c, numero="J2000001", nom="DEUX")
    _noter(un, "12")
    _noter(deux, "9")

    # Le président de Paris arrive directement dans la salle de son jury, et la verrouille.
    se_connecter(page, live_server, paris.president.username)
    page.goto(f"{live_server.url}/examens/sessions/2026/deliberation/")
    expect(page.get_by_test_id("panneau-jury")).to_contain_text("Jury Paris")
    expect(page.locator("body")).not_to_contain_text("DEUX")
    _verrouiller(page)
    expect(page.get_by_text("Délibération du jury Paris verrouillée")).to_be_visible()
    expect(page.get_by_test_id("jury-etat")).to_contain_text("délibération verrouillée le")

    # Le gestionnaire du lycée 2 saisit toujours : le verrou de Paris ne le concerne pas.
    page.context.clear_cookies()
    se_connecter(page, live_server, c.gestionnaire_autre.username)
    page.goto(f"{live_server.url}/examens/sessions/2026/notes/U2/")
    champ = page.locator("input.saisie-note").first
    champ.fill("11")
    with page.expect_response(lambda r: r.url.endswith(f"/candidats/{deux.pk}/notes/U2/")) as reponse:
        champ.press("Enter")
    assert reponse.value.ok
    assert Note.objects.get(candidat=deux, unite="U2").valeur == Decimal("11")

    # Celui du lycée 1 voit la saisie fermée, avec la raison ; un envoi forcé est refusé avec elle.
    page.context.clear_cookies()
    se_connecter(page, live_server, c.gestionnaire.username)
    page.goto(f"{live_server.url}/examens/sessions/2026/notes/U2/")
    expect(page.get_by_test_id("verrou")).to_contain_text("La délibération du jury Paris est verrouillée")
    expect(page.locator(f"#note-{un.pk}")).to_be_disabled()
    reponse = page.request.post(
        f"{live_server.url}/examens/candidats/{un.pk}/notes/U2/",
        form={"note": "15"},
        headers={"X-CSRFToken": next(k["value"] for k in page.context.cookies() if k["name"] == "csrftoken")},
    )
    assert reponse.status == 422 and "jury Paris est verrouillée" in reponse.json()["erreur"]
    assert Note.objects.get(candidat=un, unite="U2").valeur == Decimal("12")

    # Le jury de Créteil délibère et verrouille à son tour, par son président.
    page.context.clear_cookies()
    se_connecter(page, live_server, creteil.president.username)
    page.goto(f"{live_server.url}/examens/sessions/2026/deliberation/")
    expect(page.get_by_test_id("panneau-jury")).to_contain_text("Jury Créteil")
    _verrouiller(page)
    expect(page.get_by_text("Délibération du jury Créteil verrouillée")).to_be_visible()
    assert list(Jury.objects.order_by("nom").values_list("nom", "verrouille")) == [("Créteil", True), ("Paris", True)]

    # Le membre de Paris ne valide pas le PV ; son président, si : nom, date et heure sur le PV.
    page.context.clear_cookies()
    se_connecter(page, live_server, paris.membre.username)
    page.goto(f"{live_server.url}/examens/sessions/2026/proces-verbal/?jury={paris.jury.pk}")
    expect(page.get_by_test_id("valider-pv")).to_have_count(0)
    expect(page.locator("body")).to_contain_text("en attente de la validation du président")
    page.context.clear_cookies()
    se_connecter(page, live_server, paris.president.username)
    page.goto(f"{live_server.url}/examens/sessions/2026/proces-verbal/?jury={paris.jury.pk}")
    page.once("dialog", lambda dialogue: dialogue.accept())
    page.get_by_test_id("valider-pv").click()
    expect(page.get_by_text("Procès-verbal du jury Paris validé.")).to_be_visible()
    expect(page.get_by_test_id("validation-pv")).to_contain_text(paris.president.get_full_name())
    expect(page.get_by_test_id("pv")).to_contain_text("J1000001")
    expect(page.get_by_test_id("pv")).not_to_contain_text("J2000001")
