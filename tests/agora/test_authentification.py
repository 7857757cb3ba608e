"""Les permissions lues en une requête (agora/authentification.py) : les mêmes que celles de ModelBackend."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agora.authentification import PermissionsEnUneRequete
from agora.requetes import sql_lisible

pytestmark = pytest.mark.django_db


def _permission(code):
    app, codename = code.split(".")
    return Permission.objects.get(content_type__app_label=app, codename=codename)


def _neuf(user):
    return User.objects.get(pk=user.pk)  # sans cache de permissions


def test_comptes_et_groupes_donnent_les_permissions_de_django_en_une_requete():
    groupe = Group.objects.create(name="g-test")
    groupe.permissions.add(_permission("examens.view_candidat"), _permission("examens.change_note"))
    autre = Group.objects.create(name="g-autre")
    autre.permissions.add(_permission("examens.deliberer"))
    user = User.objects.create_user("perm-test")
    user.groups.add(groupe)
    user.user_permissions.add(_permission("examens.exporter"), _permission("examens.view_candidat"))
    User.objects.create_user("voisin").groups.add(autre)  # les permissions d'un autre compte ne comptent pas

    attendu = ModelBackend().get_all_permissions(_neuf(user))
    assert attendu == {"examens.view_candidat", "examens.change_note", "examens.exporter"}
    u = _neuf(user)
    with CaptureQueriesContext(connection) as requetes:
        assert PermissionsEnUneRequete().get_all_permissions(u) == attendu
        assert u.has_perm("examens.change_note") and not u.has_perm("examens.deliberer")
    assert len(requetes) == 1


def test_superutilisateur_inactif_et_anonyme():
    admin = User.objects.create_superuser("perm-admin", password="x-Admin-2026")
    assert PermissionsEnUneRequete().get_all_permissions(_neuf(admin)) == ModelBackend().get_all_permissions(
        _neuf(admin)
    )
    assert "examens.deliberer" in PermissionsEnUneRequete().get_all_permissions(_neuf(admin))
    inactif = User.objects.create_user("perm-inactif", is_active=False)
    inactif.user_permissions.add(_permission("examens.exporter"))
    assert PermissionsEnUneRequete().get_all_permissions(_neuf(inactif)) == set()
    from django.contrib.auth.models import AnonymousUser

    assert PermissionsEnUneRequete().get_all_permissions(AnonymousUser()) == set()


def test_un_droit_retire_vaut_des_la_requete_suivante(client):
    """Rien n'est gardé entre deux requêtes : le groupe retiré, la page suivante est refusée."""
    from agora.roles import GESTIONNAIRE, creer_roles

    creer_roles()
    user = User.objects.create_user("perm-retire")
    user.groups.add(Group.objects.get(name=GESTIONNAIRE))
    client.force_login(user)
    assert client.get(reverse("examens:sessions")).status_code != 403
    user.groups.clear()
    assert client.get(reverse("examens:sessions")).status_code == 403


def test_le_compte_de_la_session_est_celui_de_model_backend():
    """get_user lit le compte par une requête compilée une fois : même compte que ModelBackend, aucun pour un compte
    désactivé ou supprimé."""
    actif = User.objects.create_user("actif", password="x", first_name="Aline")
    inactif = User.objects.create_user("inactif", password="x", is_active=False)
    nous, django = PermissionsEnUneRequete(), ModelBackend()
    for pk in (actif.pk, inactif.pk, actif.pk + inactif.pk + 1000):
        attendu = django.get_user(pk)
        lu = nous.get_user(pk)
        assert (
            (lu.pk, lu.username, lu.first_name) == (attendu.pk, attendu.username, attendu.first_name)
            if attendu
            else lu is None
        )
    assert nous.get_user(actif.pk).username == "actif" and nous.get_user(inactif.pk) is None
    assert nous.get_user(str(actif.pk)).username == "actif"  # une clé en texte passe par ModelBackend


def test_le_compte_de_la_session_vient_avec_ses_permissions_en_une_requete():
    """get_user lit le compte et ses permissions (du compte et de ses groupes) dans la même requête : les
    permissions de ModelBackend, sans autre requête ensuite ; celles d'un autre compte n'y entrent pas."""
    groupe = Group.objects.create(name="g-session")
    groupe.permissions.add(_permission("examens.view_candidat"), _permission("examens.deliberer"))
    user = User.objects.create_user("perm-session")
    user.groups.add(groupe)
    user.user_permissions.add(_permission("examens.exporter"))
    User.objects.create_user("perm-voisin").user_permissions.add(_permission("examens.verrouiller"))
    attendu = ModelBackend().get_all_permissions(_neuf(user))
    with CaptureQueriesContext(connection) as requetes:
        lu = PermissionsEnUneRequete().get_user(user.pk)
        assert lu.has_perm("examens.deliberer") and lu.has_perm("examens.exporter")
        assert not lu.has_perm("examens.verrouiller")
        assert lu.get_all_permissions() == attendu
    assert len(requetes) == 1 and "auth_permission" in sql_lisible(requetes.captured_queries[0]["sql"])
    admin = User.objects.create_superuser("perm-session-admin", password="x-Admin-2026")
    assert PermissionsEnUneRequete().get_user(admin.pk).has_perm("examens.verrouiller")
