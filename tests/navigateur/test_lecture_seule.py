"""Dans Chromium : le formulaire d'attestation d'un candidat dont le jury est verrouillé s'affiche en lecture seule,
avec la raison en français et sans bouton d'envoi ; le jury rouvert, il redevient saisissable."""

import pytest
from playwright.sync_api import Page, expect

from examens.jurys import services as jurys_services
from tests import fabriques
from tests.navigateur.test_connexion import se_connecter
from tests.pfmp.outils import TERMINALE, periode

pytestmark = [pytest.mark.navigateur, pytest.mark.django_db(transaction=True)]


def test_l_attestation_d_un_jury_verrouille_est_en_lecture_seule_avec_la_raison(page: Page, live_server):
    comptes = fabriques.comptes()
    candidat = fabriques.candidat(division=comptes.division_a)
    p = periode(candidat, *TERMINALE)
    jures = fabriques.jury_de(comptes.division_a.etablissement, comptes.division_a.session)
    jurys_services.verrouiller_jury(jury=jures.jury, auteur=jures.academie)
    se_connecter(page, live_server, comptes.gestionnaire.username)
    page.goto(f"{live_server.url}/pfmp/periodes/{p.pk}/attestation/")
    expect(page.get_by_test_id("verrou")).to_contain_text(
        "La délibération du jury Paris est verrouillée : la saisie des PFMP de ses candidats est fermée"
    )
    expect(page.get_by_label("Semaines effectuées")).to_be_disabled()
    expect(page.get_by_role("button", name="Enregistrer l'attestation")).to_have_count(0)
    expect(page.get_by_role("link", name="Retour au dossier")).to_be_visible()

    jurys_services.deverrouiller_jury(jury=jures.jury, auteur=jures.academie, motif="erreur de report")
    page.reload()
    expect(page.get_by_test_id("verrou")).to_have_count(0)
    expect(page.get_by_label("Semaines effectuées")).to_be_enabled()
    expect(page.get_by_role("button", name="Enregistrer l'attestation")).to_be_visible()
