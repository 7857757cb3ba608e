"""Export par lots dans Chromium : formulaire, rendu par un vrai worker procrastinate, barre d'avancement, ZIP."""

import os
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from examens import services
from examens.models import Note
from tests import fabriques
from tests.examens.outils import UNITES
from tests.navigateur.test_connexion import se_connecter

pytestmark = [pytest.mark.navigateur, pytest.mark.django_db(transaction=True)]

RACINE = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker():
    """`manage.py procrastinate worker` dans un processus à part, sur la base de test (comme make run)."""
    base = settings.DATABASES["default"]
    identite = base["USER"] + (f":{quote(base['PASSWORD'])}" if base.get("PASSWORD") else "")
    url = f"postgresql://{identite}@{base['HOST']}:{base['PORT']}/{base['NAME']}"
    processus = subprocess.Popen(
        [sys.executable, "manage.py", "procrastinate", "worker", "--queues", "pdf"],
        cwd=RACINE,
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield processus
    processus.terminate()
    processus.wait(timeout=30)


def test_le_gestionnaire_exporte_les_releves_et_suit_l_avancement(page: Page, live_server, worker, tmp_path):
    comptes = fabriques.comptes()
    for i in range(3):
        c = fabriques.candidat(division=comptes.division_a, nom=f"NOM{i}")
        for unite in UNITES:
            Note.objects.create(candidat=c, unite=unite, valeur=Decimal(10 + i))
    services.deliberer(session=fabriques.session())
    se_connecter(page, live_server, comptes.academie.username)

    page.goto(f"{live_server.url}/examens/sessions/2026/deliberation/")
    page.get_by_role("link", name="Documents PDF et exports").click()
    expect(page.get_by_label("Épreuve")).to_be_visible()  # grilles cochées par défaut
    page.get_by_label("Relevés de notes").check()
    expect(page.get_by_label("Épreuve")).to_be_hidden()  # une épreuve ne concerne que les grilles
    page.get_by_label("Division").select_option(label="TAGO1 · Lycée Jean Jaurès")
    page.get_by_label("Aussi un PDF unique").check()
    page.get_by_test_id("lancer-export").click()

    expect(page.get_by_test_id("titre-export")).to_contain_text("relevés de notes")
    # La barre avance au fil des sondages (htmx) : le worker rend les trois relevés.
    expect(page.get_by_test_id("avancement")).to_contain_text("3 / 3 documents", timeout=60_000)
    expect(page.get_by_test_id("etat")).to_have_text("terminé", timeout=60_000)
    assert page.locator("progress").get_attribute("value") == "3"

    with page.expect_download() as telechargement:
        page.get_by_test_id("zip").click()
    chemin = tmp_path / "export.zip"
    telechargement.value.save_as(chemin)
    noms = zipfile.ZipFile(chemin).namelist()
    assert len(noms) == 3 and all(n.startswith("TAGO1/releve-") for n in noms)
    expect(page.get_by_test_id("fusion")).to_be_visible()

    # Rechargée, la page montre le même état (rien n'est perdu).
    page.reload()
    expect(page.get_by_test_id("avancement")).to_contain_text("3 / 3 documents")


def test_un_membre_telecharge_la_grille_depuis_sa_page(page: Page, live_server):
    from tests.examens.test_grilles import monde, remplir

    m = monde()
    remplir(m.e31, m.candidat, m.comptes.enseignant, "S", date_situation="2026-03-12")
    se_connecter(page, live_server, m.comptes.enseignant.username)
    page.goto(f"{live_server.url}/examens/grilles/commissions/{m.e31.pk}/candidats/{m.candidat.pk}/situations/1/")
    with page.expect_download() as telechargement:
        page.get_by_test_id("grille-pdf").click()
    assert telechargement.value.suggested_filename == f"grille-E31-{m.candidat.numero}-MARTIN.pdf"
