"""Le moteur agora.postgresql : le contrôle de santé d'une connexion réutilisée ne fait pas d'aller-retour, et une
connexion fermée par le serveur est remplacée avant la requête HTTP suivante, sans erreur."""

import time

import psycopg
from django.contrib.auth.models import User
from django.db import close_old_connections, connection, transaction


def _autre_connexion():
    reglages = connection.settings_dict
    return psycopg.connect(
        host=reglages["HOST"],
        port=reglages["PORT"],
        user=reglages["USER"],
        password=reglages["PASSWORD"],
        dbname=reglages["NAME"],
        autocommit=True,
    )


def _derniere_requete(pid: int) -> str:
    with _autre_connexion() as autre:
        return autre.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()[0]


def test_une_connexion_au_repos_est_jugee_utilisable_sans_requete(transactional_db):
    assert connection.vendor == "postgresql" and connection.health_check_enabled
    with connection.cursor() as curseur:
        curseur.execute("SELECT 'marque-sante'")
    pid = connection.connection.info.backend_pid
    assert connection.is_usable()
    # Le serveur n'a rien reçu depuis : sa dernière requête est toujours la nôtre (Django aurait envoyé SELECT 1).
    assert _derniere_requete(pid) == "SELECT 'marque-sante'"


def test_une_connexion_fermee_par_le_serveur_est_remplacee_avant_la_page(transactional_db):
    connection.ensure_connection()
    ancienne = connection.connection.info.backend_pid
    assert connection.is_usable()
    with _autre_connexion() as autre:
        autre.execute("SELECT pg_terminate_backend(%s)", [ancienne])
    # pg_terminate_backend rend la main avant que le processus serveur n'ait écrit son message : on l'attend.
    limite = time.monotonic() + 5
    while connection.is_usable() and time.monotonic() < limite:
        time.sleep(0.01)
    assert not connection.is_usable()
    # Au début de la requête HTTP suivante (le signal request_started de Django, que le client de test coupe) :
    # la connexion perdue est refermée, et la première lecture en ouvre une autre, sans erreur.
    close_old_connections()
    assert User.objects.filter(username="personne").count() == 0
    assert connection.connection.info.backend_pid != ancienne


def test_une_connexion_en_transaction_est_controlee_comme_par_django(transactional_db):
    with transaction.atomic():
        with connection.cursor() as curseur:
            curseur.execute("SELECT 1")
        assert connection.is_usable()
