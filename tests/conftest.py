import os

import pytest
from django.core.management import call_command

from tests import fabriques

# Playwright (synchrone) et le serveur de test de Django dans le même processus.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Une base de test par processus : plusieurs suites peuvent tourner en même temps sur le même serveur."""
    from django.conf import settings

    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"test_agora_{os.getpid()}"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("charger_referentiel", verbosity=0)


@pytest.fixture(scope="session", autouse=True)
def _hachage_rapide():
    """PBKDF2 coûte ~0,4 s par compte créé : MD5 suffit pour des mots de passe de test."""
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session", autouse=True)
def _requetes_figees_verifiees():
    """Chaque lecture compilée une fois (agora/requetes.py) est refaite par l'ORM et comparée, dans tous les tests."""
    from django.test.utils import override_settings

    with override_settings(REQUETES_FIGEES_VERIFIEES=True):
        yield


@pytest.fixture(scope="session", autouse=True)
def _vidage_des_tests():
    """Les tests transactionnels vident la base par TRUNCATE, que des déclencheurs refusent (migration 0014).

    Les tests se connectent en superutilisateur : eux seuls peuvent suspendre les déclencheurs le temps du
    vidage (`session_replication_role`, réservé aux superutilisateurs), comme le ferait une restauration pg_dump.
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    origine = DatabaseOperations.execute_sql_flush

    def vider(self, sql_list):
        with self.connection.cursor() as curseur:
            curseur.execute("SET session_replication_role = replica")
        try:
            origine(self, sql_list)
        finally:
            with self.connection.cursor() as curseur:
                curseur.execute("RESET session_replication_role")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(DatabaseOperations, "execute_sql_flush", vider)
        yield


@pytest.fixture(autouse=True)
def _referentiel_charge(request):
    """Les tests transactionnels vident la base à la fin : on recharge le référentiel si besoin. Un test l'est par
    la fixture `transactional_db`, par `live_server` ou par la marque `django_db(transaction=True)`."""
    marque = request.node.get_closest_marker("django_db")
    par_marque = marque is not None and bool(marque.kwargs.get("transaction", marque.args[0] if marque.args else False))
    if par_marque or "transactional_db" in request.fixturenames or "live_server" in request.fixturenames:
        request.getfixturevalue("transactional_db")
        call_command("charger_referentiel", verbosity=0)


@pytest.fixture
def comptes(db):
    return fabriques.comptes()


@pytest.fixture
def session_demo(db):
    return fabriques.session()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "fr-FR", "timezone_id": "Europe/Paris"}
