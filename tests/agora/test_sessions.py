"""Les sessions (agora/sessions.py) : celles de Django en base, relues par une requête compilée une fois."""

import datetime

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

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
