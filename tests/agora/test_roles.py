import pytest
from django.contrib.auth.models import Group

from agora.roles import creer_roles, role_de
from examens.models import Candidat
from tests import fabriques

pytestmark = pytest.mark.django_db


def test_les_roles_existent_apres_migration_et_creer_roles_est_idempotent():
    avant = {g.name: set(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()}
    creer_roles()
    creer_roles()
    apres = {g.name: set(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()}
    assert set(apres) == {
        "enseignant",
        "commission_externe",
        "gestionnaire",
        "gestionnaire_academique",
        "jury",
        "administrateur",
    }
    assert avant == apres
    assert "deverrouiller" in apres["administrateur"] and "deverrouiller" not in apres["gestionnaire"]
    # Le gestionnaire d'un lycée prépare ; la division des examens et le jury délibèrent.
    assert "deliberer" not in apres["gestionnaire"] and "deliberer" not in apres["enseignant"]
    assert "deliberer" in apres["gestionnaire_academique"] and "deliberer" in apres["jury"]
    assert "gerer_jurys" in apres["gestionnaire_academique"] and "gerer_jurys" not in apres["jury"]
    assert apres["commission_externe"] == {"view_candidat"}


def test_role_de_chaque_compte(comptes):
    assert role_de(comptes.enseignant) == "enseignant"
    assert role_de(comptes.gestionnaire) == "gestionnaire"
    assert role_de(comptes.administrateur) == "administrateur"
    assert role_de(comptes.academie) == "gestionnaire_academique"


def test_un_enseignant_ne_voit_que_les_candidats_de_ses_divisions(comptes):
    a = fabriques.candidat(division=comptes.division_a)
    c = fabriques.candidat(division=comptes.division_c)
    assert list(Candidat.objects.visibles_par(comptes.enseignant)) == [a]
    assert list(Candidat.objects.visibles_par(comptes.enseignant_autre)) == [c]
    assert list(Candidat.objects.visibles_par(comptes.gestionnaire)) == [a]
    assert set(Candidat.objects.visibles_par(comptes.administrateur)) == {a, c}


def test_la_page_de_division_d_un_autre_enseignant_repond_404(comptes):
    fabriques.candidat(division=comptes.division_a)
    fabriques.candidat(division=comptes.division_c)
    reponse = comptes.client(comptes.enseignant).get(f"/examens/divisions/{comptes.division_a.pk}/", follow=True)
    assert reponse.status_code == 200 and reponse.redirect_chain[-1][0].endswith(f"?division={comptes.division_a.pk}")
    assert (
        comptes.client(comptes.enseignant_autre).get(f"/examens/divisions/{comptes.division_a.pk}/").status_code == 404
    )


def test_toute_page_exige_une_connexion(client):
    reponse = client.get("/")
    assert reponse.status_code == 302 and reponse["Location"].startswith("/connexion/")


def test_demo_refusee_sans_debug(settings):
    from django.core.management import CommandError, call_command

    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("charger_demo")
