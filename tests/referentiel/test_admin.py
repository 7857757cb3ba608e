"""L'admin Django montre le référentiel sans permettre d'y toucher : une modification est une nouvelle version."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.urls import reverse

from agora.roles import ADMINISTRATEUR, creer_roles
from referentiel.models import Activite, Bloc, Competence, Indicateur, Pole, Referentiel, Savoir, Tache, Unite

pytestmark = pytest.mark.django_db

MODELES = [Referentiel, Pole, Activite, Tache, Bloc, Competence, Indicateur, Savoir, Unite]


@pytest.fixture
def client_admin(client):
    """Un administrateur (groupe et donc toutes les permissions de l'application), membre de l'équipe."""
    admin_ = User.objects.create(username="admin", is_staff=True)  # sans mot de passe : pas de hachage, rapide
    admin_.groups.add(creer_roles()[ADMINISTRATEUR])
    client.force_login(admin_)
    return client


def test_l_administrateur_des_fabriques_a_toutes_les_permissions_mais_lit_seulement(comptes):
    comptes.administrateur.is_staff = True
    comptes.administrateur.save(update_fields=["is_staff"])
    assert comptes.administrateur.has_perm("referentiel.change_competence")  # le rôle la donne…
    client = comptes.client(comptes.administrateur)
    assert client.get(url(Competence, "changelist")).status_code == 200
    assert client.get(url(Competence, "add")).status_code == 403  # … l'admin la refuse
    competence = Competence.objects.order_by("pk").first()
    assert client.post(url(Competence, "change", competence.pk), {"intitule": "x"}).status_code == 403
    assert Competence.objects.get(pk=competence.pk).intitule == competence.intitule


def url(modele, vue: str, *args) -> str:
    return reverse(f"admin:referentiel_{modele._meta.model_name}_{vue}", args=args)


def test_tout_le_referentiel_est_dans_l_admin():
    assert all(admin.site.is_registered(m) for m in MODELES)


@pytest.mark.parametrize("modele", MODELES, ids=lambda m: m.__name__)
def test_l_administrateur_consulte_listes_et_fiches(client_admin, modele):
    reponse = client_admin.get(url(modele, "changelist"))
    assert reponse.status_code == 200
    assert reponse.context["cl"].result_count == modele.objects.count()
    objet = modele.objects.order_by("pk").first()
    fiche = client_admin.get(url(modele, "change", objet.pk))
    assert fiche.status_code == 200
    # Fiche en lecture seule : aucun bouton d'enregistrement, aucune suppression.
    assert not fiche.context["has_change_permission"]
    assert b'name="_save"' not in fiche.content
    assert b"deletelink" not in fiche.content


@pytest.mark.parametrize("modele", MODELES, ids=lambda m: m.__name__)
def test_ajouter_est_interdit(client_admin, modele):
    assert client_admin.get(url(modele, "add")).status_code == 403
    avant = modele.objects.count()
    assert client_admin.post(url(modele, "add"), {"intitule": "Nouveau"}).status_code == 403
    assert modele.objects.count() == avant


def test_modifier_est_interdit(client_admin):
    competence = Competence.objects.get(intitule__endswith="déclaration de TVA")
    reponse = client_admin.post(
        url(Competence, "change", competence.pk),
        {"bloc": competence.bloc_id, "activite": competence.activite_id, "ordre": competence.ordre, "intitule": "x"},
    )
    assert reponse.status_code == 403
    competence.refresh_from_db()
    assert competence.intitule == "Déterminer les éléments nécessaires à l'élaboration de la déclaration de TVA"

    ref = Referentiel.objects.get(code="AGORA-2020")
    reponse = client_admin.post(url(Referentiel, "change", ref.pk), {"code": "AGORA-2020", "intitule": "x"})
    assert reponse.status_code == 403
    ref.refresh_from_db()
    assert ref.intitule.startswith("Baccalauréat professionnel")


def test_supprimer_est_interdit(client_admin):
    ref = Referentiel.objects.get(code="AGORA-2020")
    assert client_admin.get(url(Referentiel, "delete", ref.pk)).status_code == 403
    assert client_admin.post(url(Referentiel, "delete", ref.pk), {"post": "yes"}).status_code == 403
    # Ni par l'action groupée de la liste.
    reponse = client_admin.post(
        url(Unite, "changelist"), {"action": "delete_selected", "_selected_action": [ref.unites.first().pk]}
    )
    assert Unite.objects.filter(referentiel=ref).count() == 14
    assert reponse.status_code in (200, 302)
    assert Referentiel.objects.filter(code="AGORA-2020").exists()


def test_un_enseignant_n_entre_pas_dans_l_admin(comptes):
    reponse = comptes.client(comptes.enseignant).get(url(Competence, "changelist"))
    assert reponse.status_code == 302
    assert "/admin/login/" in reponse["Location"]
