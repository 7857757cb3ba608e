"""Échéances de saisie dans Chromium : l'académie fixe une échéance, le lycée est refusé après, une réouverture
laisse un enseignant nommé modifier une grille jusqu'à sa fin, puis il est refusé."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from examens.models import Echeance, Grille, Reouverture
from tests.examens.test_echeances import academie
from tests.examens.test_grilles import grille_e31_complete, monde
from tests.navigateur.test_grilles import attendre_enregistrement, se_connecter

pytestmark = [pytest.mark.navigateur, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _hachage_rapide(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def nouvelle_page(browser, browser_context_args):
    """Une page dans un contexte à soi (une autre personne connectée), fermé à la fin : sans quoi ses connexions
    gardées ouvertes retiennent celles du serveur de test à la base."""
    contextes = []

    def ouvrir() -> Page:
        contextes.append(browser.new_context(**browser_context_args))
        return contextes[-1].new_page()

    yield ouvrir
    for contexte in contextes:
        contexte.close()


def test_echeance_refus_reouverture_nominative_puis_fin(page: Page, live_server, nouvelle_page):
    m = monde()
    grille_e31_complete(m)
    lycee = m.candidat.etablissement
    agent = academie()
    base = f"{live_server.url}/examens/sessions/2026"
    hier = timezone.localdate() - datetime.timedelta(days=1)

    # 1. L'académie fixe l'échéance de U31 pour le lycée : hier à 18 h 00.
    se_connecter(page, live_server, agent.username)
    page.goto(f"{base}/echeances/")
    page.get_by_role("link", name="Fixer une échéance").click()
    page.get_by_label("Portée").select_option("unite:U31")
    page.get_by_label("Établissement").select_option(str(lycee.pk))
    page.get_by_label("Saisie close le (JJ/MM/AAAA)").fill(hier.strftime("%d/%m/%Y"))
    page.get_by_label("à (hh:mm)").fill("18:00")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_test_id("echeances")).to_contain_text(f"U31 ({lycee.nom}) : saisie close le {hier:%d/%m}")
    assert Echeance.objects.get().etablissement == lycee

    # 2. Le gestionnaire du lycée est refusé : le tableau est en lecture seule, et le serveur refuse quand même.
    lycee_page = nouvelle_page()
    se_connecter(lycee_page, live_server, m.comptes.gestionnaire.username)
    lycee_page.goto(f"{base}/notes/U31/")
    expect(lycee_page.get_by_test_id("saisie-close")).to_contain_text(
        f"Saisie de U31 close depuis le {hier:%d/%m/%Y} à 18 h 00 pour {lycee.nom} ; demandez une réouverture"
    )
    expect(lycee_page.locator(f"#note-{m.candidat.pk}")).to_be_disabled()
    reponse = lycee_page.evaluate(
        """async (url) => {
            const csrf = document.cookie.split('; ').find((c) => c.startsWith('csrftoken=')).split('=')[1];
            const r = await fetch(url, {method: 'POST', body: new URLSearchParams({note: '12'}),
                                        headers: {'X-CSRFToken': csrf}});
            return [r.status, (await r.json()).erreur];
        }""",
        reverse("examens:note-enregistrer", args=[m.candidat.pk, "U31"]),
    )
    assert reponse[0] == 422 and "close depuis le" in reponse[1]

    # 3. L'académie rouvre pour un seul enseignant, un seul candidat, jusqu'à demain 12 h 00.
    demain = timezone.localdate() + datetime.timedelta(days=1)
    page.goto(f"{base}/echeances/")
    page.get_by_role("link", name="Rouvrir la saisie").click()
    page.get_by_label("Portée").select_option("unite:U31")
    page.get_by_label("Établissement").select_option(str(lycee.pk))
    page.get_by_label("Un seul candidat (numéro, facultatif)").fill(m.candidat.numero)
    page.get_by_label("Personnes nommées").select_option(str(m.comptes.enseignant.pk))
    page.get_by_label("Jusqu'au (JJ/MM/AAAA)").fill(demain.strftime("%d/%m/%Y"))
    page.get_by_label("à (hh:mm)").fill("12:00")
    page.get_by_label("Motif").fill("Commission du 11/05 reportée : enseignant malade")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_test_id("reouvertures")).to_contain_text("Commission du 11/05 reportée")
    expect(page.get_by_test_id("echeances")).to_contain_text("1 réouverture")

    # 4. L'enseignant nommé modifie la grille ; l'autre membre de la commission reste en lecture seule.
    prof = nouvelle_page()
    se_connecter(prof, live_server, m.comptes.enseignant.username)
    url_grille = live_server.url + reverse("examens:grille", args=[m.e31.pk, m.candidat.pk, 1])
    prof.goto(url_grille)
    prof.locator("#appreciation").fill("Revue après la commission reportée.")
    prof.locator("#appreciation").press("Tab")
    attendre_enregistrement(prof)
    assert Grille.objects.get(candidat=m.candidat, epreuve="E31").appreciation == "Revue après la commission reportée."
    collegue = nouvelle_page()
    se_connecter(collegue, live_server, m.collegue.username)
    collegue.goto(url_grille)
    expect(collegue.get_by_test_id("lecture-seule")).to_contain_text("Saisie de U31 close depuis le")

    # 5. La fin de la réouverture passe (l'horloge avance d'un jour) : le même enseignant est refusé.
    Reouverture.objects.update(fin=timezone.now() - datetime.timedelta(seconds=1))
    prof.locator("#appreciation").fill("Encore une retouche.")
    prof.locator("#appreciation").press("Tab")
    expect(prof.locator("#alerte-texte")).to_contain_text("Saisie de U31 close depuis le")
    prof.reload()
    expect(prof.get_by_test_id("lecture-seule")).to_contain_text(
        re.compile(r"Saisie de U31 close depuis le .* 18 h 00")
    )
    expect(prof.locator("#appreciation")).to_be_disabled()
    assert Grille.objects.get(candidat=m.candidat, epreuve="E31").appreciation == "Revue après la commission reportée."
