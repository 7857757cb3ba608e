"""Connexions (blocage après 5 échecs), mots de passe, expiration de session, en-têtes, réglages de production."""

import datetime
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agora.models import SessionCompte as SessionDjango
from agora.securite import adresse_client
from agora.sessions import SessionStore
from tests import fabriques

pytestmark = pytest.mark.django_db
RACINE = Path(__file__).resolve().parents[2]


def connecter(identifiant: str, mot_de_passe: str, adresse: str = "192.0.2.10", client: Client | None = None):
    return (client or Client()).post(
        reverse("login"), {"username": identifiant, "password": mot_de_passe}, REMOTE_ADDR=adresse
    )


def echouer(identifiant: str, fois: int, adresse: str = "192.0.2.10"):
    for _ in range(fois):
        reponse = connecter(identifiant, "pas-le-bon-mot-de-passe", adresse)
    return reponse


# ---------------------------------------------------------------------------------------------------
# Blocage des connexions (django-axes)
# ---------------------------------------------------------------------------------------------------


def test_quatre_echecs_ne_bloquent_pas_le_compte(comptes):
    reponse = echouer("prof", 4)
    assert reponse.status_code == 200 and "Saisissez un nom d’utilisateur et un mot de passe valides" in (
        reponse.content.decode()
    )
    assert connecter("prof", fabriques.MOT_DE_PASSE).status_code == 302


def test_un_identifiant_de_300_caracteres_est_refuse_sans_erreur_500(comptes):
    # axes enregistre l'identifiant de chaque échec dans une colonne de 255 caractères : tronqué, plus de 500.
    reponse = connecter("x" * 300, "pas-le-bon-mot-de-passe")
    assert reponse.status_code == 200
    from axes.models import AccessAttempt

    assert AccessAttempt.objects.get().username == "x" * 150


def test_cinq_echecs_bloquent_le_couple_identifiant_adresse_avec_une_page_en_francais(comptes):
    reponse = echouer("prof", 5)
    assert reponse.status_code == 429
    assert "registration/bloque.html" in [t.name for t in reponse.templates]
    page = reponse.content.decode()
    assert "Trop de tentatives de connexion échouées" in page and "Réessayez dans 15 minutes" in page
    # Même le bon mot de passe est refusé pendant le blocage, depuis cette adresse.
    bloque = connecter("prof", fabriques.MOT_DE_PASSE)
    assert bloque.status_code == 429 and "_auth_user_id" not in bloque.wsgi_request.session


def test_le_blocage_ne_touche_ni_une_autre_adresse_ni_un_autre_compte(comptes):
    echouer("prof", 5, adresse="192.0.2.10")
    assert connecter("prof", fabriques.MOT_DE_PASSE, adresse="198.51.100.7").status_code == 302
    assert connecter("gest", fabriques.MOT_DE_PASSE, adresse="192.0.2.10").status_code == 302


def test_un_identifiant_inconnu_est_bloque_de_la_meme_facon(comptes):
    """Même réponse pour un compte qui n'existe pas : le blocage ne dit pas quels identifiants existent."""
    assert echouer("personne", 5).status_code == echouer("prof", 5).status_code == 429


def test_le_blocage_se_leve_apres_quinze_minutes(comptes):
    echouer("prof", 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    assert connecter("prof", fabriques.MOT_DE_PASSE).status_code == 302


def test_une_connexion_reussie_remet_le_compteur_a_zero(comptes):
    echouer("prof", 4)
    assert connecter("prof", fabriques.MOT_DE_PASSE).status_code == 302
    assert echouer("prof", 4).status_code == 200


@pytest.mark.parametrize(
    "mandataires, transmis, attendu",
    [
        (0, "203.0.113.5", "10.0.0.1"),  # sans mandataire déclaré, X-Forwarded-For est ignoré (falsifiable)
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "6.6.6.6, 203.0.113.5", "203.0.113.5"),  # l'adresse inventée par le client (à gauche) est ignorée
        (2, "6.6.6.6, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
        (1, "", "10.0.0.1"),
    ],
)
def test_adresse_client_derriere_les_mandataires_de_confiance(settings, mandataires, transmis, attendu):
    settings.NOMBRE_MANDATAIRES = mandataires
    requete = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=transmis)
    assert adresse_client(requete) == attendu


def test_changer_d_adresse_x_forwarded_for_ne_contourne_pas_le_blocage(comptes):
    for i in range(5):
        connecter("prof", "mauvais", client=Client(HTTP_X_FORWARDED_FOR=f"10.9.9.{i}"))
    assert connecter("prof", fabriques.MOT_DE_PASSE).status_code == 429


# ---------------------------------------------------------------------------------------------------
# Mots de passe et session
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mot_de_passe, message",
    [
        ("Court-1", "Ce mot de passe est trop court. Il doit contenir au minimum 10 caractères."),
        ("2718281828459", "Ce mot de passe est entièrement numérique."),
        ("azertyuiop", "Ce mot de passe est trop courant."),
        ("dupont.martine", "Le mot de passe est trop semblable au champ «\xa0nom d’utilisateur\xa0»."),
    ],
)
def test_les_mots_de_passe_faibles_sont_refuses_en_francais(mot_de_passe, message):
    compte = User(username="dupont.martine", first_name="Martine", last_name="Dupont")
    with pytest.raises(ValidationError) as refus:
        password_validation.validate_password(mot_de_passe, compte)
    assert message in refus.value.messages


def test_un_mot_de_passe_solide_est_accepte():
    password_validation.validate_password("cheval-agrafe-pile-correcte", User(username="dupont"))


def test_la_session_expire_apres_une_heure_d_inactivite_et_a_la_fermeture_du_navigateur(comptes):
    assert settings.SESSION_COOKIE_AGE == 3600 and not settings.SESSION_SAVE_EVERY_REQUEST
    client = Client()
    reponse = connecter("prof", fabriques.MOT_DE_PASSE, client=client)
    cookie = reponse.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == "" and cookie["expires"] == ""  # cookie de session : effacé à la fermeture
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert client.get("/").status_code == 200
    # L'échéance glisse : repoussée d'une heure au plus une fois par minute…
    session = SessionDjango.objects.get()
    assert session.expire_date > timezone.now() + datetime.timedelta(minutes=59)
    SessionDjango.objects.update(expire_date=timezone.now() + datetime.timedelta(minutes=30))
    with CaptureQueriesContext(connection) as requetes:
        assert client.get("/").status_code == 200
    assert not any(q["sql"].startswith("UPDATE") for q in requetes.captured_queries)  # moins d'une minute : rien
    donnees = SessionDjango.objects.get().get_decoded()
    donnees["_prolongee"] -= 61
    SessionDjango.objects.update(session_data=SessionStore().encode(donnees))
    assert client.get("/").status_code == 200
    assert SessionDjango.objects.get().expire_date > timezone.now() + datetime.timedelta(minutes=59)
    # … et une heure sans rien faire renvoie à la page de connexion.
    SessionDjango.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    reponse = client.get("/")
    assert reponse.status_code == 302 and reponse["Location"].startswith("/connexion/?next=/")


# ---------------------------------------------------------------------------------------------------
# En-têtes et CSP
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("compte", ["enseignant", "gestionnaire", "administrateur", None])
def test_chaque_page_porte_la_csp_et_les_en_tetes_de_securite(comptes, compte):
    client = comptes.client(getattr(comptes, compte) if compte else None)
    reponse = client.get("/" if compte else reverse("login"))
    assert reponse.status_code == 200
    csp = reponse["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["default-src"] == "'self'"
    # Django n'ajoute le nonce à l'en-tête que si la page s'en sert : « 'self' » seul est plus strict encore.
    nonce = re.fullmatch(r"'self'(?: 'nonce-([\w+/=-]+)')?", directives["script-src"]).group(1)
    assert re.fullmatch(r"'self'(?: 'nonce-[\w+/=-]+')?", directives["style-src"])
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert directives["form-action"] == "'self'" and directives["base-uri"] == "'self'"
    assert reponse["X-Content-Type-Options"] == "nosniff"
    assert reponse["Referrer-Policy"] == "same-origin"
    assert reponse["X-Frame-Options"] == "DENY"
    assert reponse["Cross-Origin-Opener-Policy"] == "same-origin"
    # Ce que la CSP bloquerait : script ou style en ligne sans le nonce de la réponse, attribut style, on*=.
    page = reponse.content.decode()
    for balise in re.findall(r"<(?:script|style)\b[^>]*>", page):
        assert "src=" in balise or f'nonce="{nonce}"' in balise, balise
    assert not re.search(r"<[^>]+\sstyle=", page)
    assert not re.search(r"<[^>]+\son[a-z]+=", page)


# ---------------------------------------------------------------------------------------------------
# Réglages de production
# ---------------------------------------------------------------------------------------------------


def manage(*arguments: str, **env: str) -> subprocess.CompletedProcess:
    # DJANGO_ALLOW_ASYNC_UNSAFE vient de tests/conftest.py (Playwright), jamais d'une production.
    retires = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    environnement = {k: v for k, v in os.environ.items() if k not in retires}
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=RACINE,
        env={**environnement, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_ne_signale_rien_en_production():
    sortie = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="example.org",
    )
    assert sortie.returncode == 0, sortie.stderr
    assert "System check identified no issues (0 silenced)." in sortie.stdout


def test_sans_secret_key_la_production_refuse_de_demarrer():
    sortie = manage("check", DEBUG="0", ALLOWED_HOSTS="example.org")
    assert sortie.returncode != 0
    assert "SECRET_KEY est obligatoire quand DEBUG est désactivé." in sortie.stderr


def test_en_production_https_et_cookies_securises_sont_imposes():
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_PROXY_SSL_HEADER)"
    )
    sortie = manage("shell", "-c", code, DEBUG="0", SECRET_KEY=secrets.token_urlsafe(64), ALLOWED_HOSTS="example.org")
    assert sortie.returncode == 0, sortie.stderr
    assert sortie.stdout.strip().endswith("True True True 31536000 ('HTTP_X_FORWARDED_PROTO', 'https')")
