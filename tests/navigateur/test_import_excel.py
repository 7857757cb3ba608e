"""Dans Chromium : un CSV enregistré par Excel sous Windows (Windows-1252, virgules) s'importe, et l'aperçu signale
la division qu'il créerait (une faute de frappe se voit avant d'être enregistrée)."""

import pytest
from playwright.sync_api import Page, expect

from examens.models import Candidat
from tests import fabriques
from tests.examens.outils import ENTETE_CANDIDATS, ligne_candidat
from tests.navigateur.test_connexion import se_connecter

pytestmark = [pytest.mark.navigateur, pytest.mark.django_db(transaction=True)]


def test_un_csv_windows_1252_a_virgules_s_importe_et_signale_la_nouvelle_division(page: Page, live_server, tmp_path):
    comptes = fabriques.comptes()
    fabriques.session()
    se_connecter(page, live_server, comptes.gestionnaire.username)
    fichier = tmp_path / "eleves.csv"
    entete = ENTETE_CANDIDATS + ";division"
    ligne = ligne_candidat("X001", nom="ÉTIENNE", prenom="Zoé") + ";TAGO3"
    fichier.write_bytes("\r\n".join([entete, ligne]).replace(";", ",").encode("cp1252"))
    page.goto(f"{live_server.url}/examens/sessions/2026/importer/")
    page.get_by_label("Contenu du fichier").select_option("candidats")
    page.get_by_label("Fichier CSV").set_input_files(str(fichier))
    page.get_by_role("button", name="Vérifier le fichier").click()
    expect(page.get_by_test_id("format-fichier")).to_contain_text("Windows-1252 (Excel), séparateur virgule")
    expect(page.get_by_test_id("division-nouvelle")).to_contain_text("nouvelle division TAGO3")
    assert not Candidat.objects.filter(numero="X001").exists()  # l'aperçu n'écrit rien
    page.get_by_test_id("confirmer-import").click()
    expect(page.get_by_test_id("total-candidats")).to_be_visible()
    assert Candidat.objects.get(numero="X001").prenom == "Zoé"


def test_l_apercu_d_un_import_de_notes_montre_avant_apres_et_n_ecrit_rien(page: Page, live_server, tmp_path):
    from decimal import Decimal

    from examens.models import Note

    comptes = fabriques.comptes()
    candidat = fabriques.candidat(division=comptes.division_a, numero="N001", nom="LEROY", prenom="Théo")
    Note.objects.create(candidat=candidat, unite="U2", valeur=Decimal("9"))
    fichier = tmp_path / "notes.csv"
    fichier.write_text("numero_candidat;unite;note\r\nN001;U2;10\r\nN001;U31;12\r\n", encoding="utf-8")
    se_connecter(page, live_server, comptes.gestionnaire.username)
    page.goto(f"{live_server.url}/examens/sessions/2026/importer/")
    page.get_by_label("Contenu du fichier").select_option("notes")
    page.get_by_label("Fichier CSV").set_input_files(str(fichier))
    page.get_by_role("button", name="Vérifier le fichier").click()
    modifiee = page.get_by_test_id("apercu-ligne-2")
    # à l'écran « 9,00 → 10,00 » (l'ancienne barrée) ; « modifiée » et « devient » sont pour les lecteurs d'écran
    expect(modifiee).to_contain_text("modification")
    expect(modifiee.get_by_test_id("cellule-changee")).to_have_text("✎ modifiée : 9,00 → devient 10,00")
    expect(page.get_by_test_id("apercu-ligne-3")).to_contain_text("création")
    assert Note.objects.get(candidat=candidat, unite="U2").valeur == Decimal("9")  # rien d'écrit avant confirmation
    assert not Note.objects.filter(candidat=candidat, unite="U31").exists()
    page.get_by_test_id("confirmer-import").click()
    expect(page.get_by_text("1 créé, 1 modifié")).to_be_visible()
    assert Note.objects.get(candidat=candidat, unite="U2").valeur == Decimal("10")
