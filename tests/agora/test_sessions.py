"""Les sessions (agora/sessions.py) : celles de Django en base, relues par une requête compilée une fois."""

import datetime

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agora.models import SessionCompte as Session
from agora.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_une_session_ouverte_est_relue_une_session_expiree_ou_inconnue_ne_l_est_pas():
    assert settings.SESSION_ENGINE == "agora.sessions"
    s = SessionStore()
    s["cle"] = "valeur"
    s.create()
    assert SessionStore(s.session_key)["cle"] == "valeur"
    Session.objects.filter(session_key=s.session_key).update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    expiree = SessionStore(s.session_key)
    assert "cle" not in expiree and expiree.session_key is None
    inconnue = SessionStore("x" * 32)
    assert "cle" not in inconnue and inconnue.session_key is None
    assert "cle" not in SessionStore(None)


def test_connexion_page_et_deconnexion_par_le_navigateur_de_test():
    User.objects.create_user("lea", password="mot-de-passe-long-2026")
    c = Client()
    r = c.post(reverse("login"), {"username": "lea", "password": "mot-de-passe-long-2026"})
    assert r.status_code == 302
    cle = c.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=cle).exists()
    page = c.get(reverse("mot-de-passe"))
    assert page.status_code == 200 and page.wsgi_request.user.username == "lea"
    c.post(reverse("logout"))
    assert not Session.objects.filter(session_key=cle).exists()
    assert SessionStore(cle).get("_auth_user_id") is None


def _page_connectee(client, user, nom="mot-de-passe"):
    """Une page authentifiée, et ses requêtes SQL (lisibles)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from agora.requetes import sql_lisible

    with CaptureQueriesContext(connection) as requetes:
        page = client.get(reverse(nom))
    return page, [sql_lisible(q["sql"]) for q in requetes.captured_queries]


def test_la_session_et_son_compte_avec_ses_permissions_sont_lus_en_une_requete(client):
    from django.contrib.auth.models import Group, Permission

    groupe = Group.objects.create(name="g-session-compte")
    groupe.permissions.add(Permission.objects.get(codename="deliberer"))
    user = User.objects.create_user("lea", password="mot-de-passe-long-2026", first_name="Léa")
    user.groups.add(groupe)
    client.force_login(user)
    assert Session.objects.get().compte_id == user.pk  # écrit avec la session
    page, requetes = _page_connectee(client, user)
    assert page.status_code == 200 and page.wsgi_request.user.first_name == "Léa"
    assert page.wsgi_request.user.has_perm("examens.deliberer")
    lectures = [q for q in requetes if q.startswith("SELECT") and ("agora_sessioncompte" in q or '"auth_user"' in q)]
    assert len(lectures) == 1 and "auth_permission" in lectures[0] and '"auth_user"' in lectures[0]


def test_un_compte_desactive_supprime_ou_au_mot_de_passe_change_ne_garde_pas_sa_session(client):
    """Le compte joint à la session passe par les mêmes contrôles que celui que Django relit : actif, et
    l'empreinte de son mot de passe égale à celle de la session."""
    for changement in ("desactive", "mot_de_passe", "supprime"):
        user = User.objects.create_user(f"lea-{changement}", password="mot-de-passe-long-2026")
        client.force_login(user)
        assert _page_connectee(client, user)[0].status_code == 200
        if changement == "desactive":
            User.objects.filter(pk=user.pk).update(is_active=False)
        elif changement == "mot_de_passe":
            user.set_password("un-autre-mot-de-passe-2026")
            user.save()
        else:
            user.delete()
        page = _page_connectee(client, user)[0]
        assert page.status_code == 302 and page["Location"].startswith(reverse("login")), changement


def test_le_compte_d_une_requete_ne_passe_pas_a_la_suivante():
    """Deux navigateurs servis tour à tour par le même processus : chacun son compte, et une requête sans session
    n'hérite pas du compte lu par la précédente."""
    from agora.sessions import reprendre_compte

    lea, marc = (User.objects.create_user(n, password="mot-de-passe-long-2026") for n in ("lea", "marc"))
    navigateurs = {lea.pk: Client(), marc.pk: Client()}
    for pk, navigateur in navigateurs.items():
        navigateur.force_login(User.objects.get(pk=pk))
    for _ in range(2):
        for pk, navigateur in navigateurs.items():
            assert navigateur.get(reverse("mot-de-passe")).wsgi_request.user.pk == pk
    SessionStore(next(iter(navigateurs.values())).cookies[settings.SESSION_COOKIE_NAME].value).load()
    SessionStore()  # la requête suivante crée sa session : le compte lu par la précédente est oublié
    assert reprendre_compte(lea.pk) is None
    anonyme = Client().get(reverse("mot-de-passe"))
    assert anonyme.status_code == 302 and not anonyme.wsgi_request.user.is_authenticated
