"""Parcours principal du gestionnaire, dans Chromium : de l'import aux résultats verrouillés, sans ligne de commande."""

import pytest
from playwright.sync_api import Page, expect

from examens import services
from examens.models import Candidat, Note, Resultat
from tests import fabriques
from tests.examens.outils import ENTETE_CANDIDATS, csv_bytes, ligne_candidat
from tests.navigateur.test_connexion import se_connecter

pytestmark = [pytest.mark.navigateur, pytest.mark.django_db(transaction=True)]

NUMEROS = ["P001", "P002", "P003"]


def test_de_l_import_au_verrouillage(page: Page, live_server, tmp_path):
    comptes = fabriques.comptes()
    se_connecter(page, live_server, comptes.administrateur.username)
    base = f"{live_server.url}/examens/sessions/2026"

    # 1. importer les candidats par la page : aperçu, puis confirmation
    fichier = tmp_path / "candidats.csv"
    fichier.write_bytes(csv_bytes(ENTETE_CANDIDATS, *(ligne_candidat(n, nom=f"NOM{n}") for n in NUMEROS)))
    page.goto(f"{base}/importer/")
    page.get_by_label("Contenu du fichier").select_option("candidats")
    page.get_by_label("Fichier CSV").set_input_files(str(fichier))
    page.get_by_role("button", name="Vérifier le fichier").click()
    expect(page.get_by_test_id("apercu-import")).to_contain_text("3 candidats créés")
    page.get_by_test_id("confirmer-import").click()
    expect(page.get_by_test_id("total-candidats")).to_have_text("3")

    # les autres notes arrivent par import ; U51 se saisit au clavier
    services.ecrire_notes(
        saisies=[
            services.SaisieNote(candidat=c, unite=unite, etat="note", valeur=12)
            for c in Candidat.objects.filter(numero__in=NUMEROS)
            for unite in ["U11", "U12", "U2", "U31", "U32", "U33", "U41", "U42", "U52", "U6", "U7"]
        ],
        source="import",
    )

    # 2. une colonne de notes au clavier seulement : taper, Entrée, taper…
    page.goto(f"{base}/notes/U51/")
    page.locator("input.saisie-note").first.focus()
    for valeur in ["12,5", "25", "9"]:
        page.keyboard.type(valeur)
        page.keyboard.press("Enter")
    expect(page.locator("#resume-saisie")).to_contain_text("2 notes enregistrées sur 3 — 1 à corriger")
    champ_faux = page.locator("input.saisie-note").nth(1)
    expect(champ_faux).to_have_class("form-control form-control-sm saisie-note is-invalid")
    expect(page.locator("td").filter(has_text="la note doit être comprise entre 0 et 20")).to_be_visible()
    champ_faux.fill("8")
    champ_faux.press("Enter")
    expect(page.locator("#resume-saisie")).to_have_text("3 notes enregistrées sur 3")
    page.reload()
    expect(page.locator("input.saisie-note").first).to_have_value("12,50")

    # 3. délibérer : les résultats sont déjà à jour, le recalcul complet le vérifie
    page.goto(f"{base}/deliberation/")
    page.get_by_test_id("bouton-deliberer").click()
    expect(page.get_by_text("Session recalculée : 3 candidats, aucun résultat n'a changé")).to_be_visible()

    # 4. le jury change une note, avec un motif
    p002 = Candidat.objects.get(numero="P002")
    page.goto(f"{live_server.url}/examens/candidats/{p002.pk}/")
    page.get_by_label("Unité").select_option("U51")
    page.get_by_label("Nouvelle note").fill("10")
    page.get_by_label("Motif (obligatoire)").first.fill("Erreur de report de la copie")
    page.get_by_role("button", name="Enregistrer la décision du jury").click()
    expect(page.get_by_test_id("note-U51")).to_have_text("10,00")
    expect(page.get_by_test_id("journal-candidat")).to_contain_text("Erreur de report de la copie")

    # 5. verrouiller (confirmation du navigateur acceptée)
    page.goto(f"{base}/deliberation/")
    page.get_by_test_id("bouton-deliberer").click()
    page.once("dialog", lambda dialogue: dialogue.accept())
    page.get_by_test_id("bouton-verrouiller").click()
    expect(page.get_by_text("plus aucune note ne peut changer")).to_be_visible()
    assert Resultat.objects.filter(candidat__numero__in=NUMEROS).count() == 3

    # 6. une note verrouillée ne peut plus changer, ni au clavier ni par le jury
    page.goto(f"{base}/notes/U51/")
    expect(page.locator("input.saisie-note").first).to_be_disabled()
    reponse = page.request.post(
        f"{live_server.url}/examens/candidats/{p002.pk}/notes/U51/",
        form={"note": "20"},
        headers={"X-CSRFToken": next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")},
    )
    assert reponse.status == 422 and "verrouillée" in reponse.json()["erreur"]
    assert Note.objects.get(candidat=p002, unite="U51").valeur == 10
