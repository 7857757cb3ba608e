"""Gardes de la base (migration 0015_gardes_sans_trous) : aucun chemin SQL ne contourne le verrou ni l'ajout seul."""

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction

from examens import services
from examens.models import Candidat, HistoriqueNote, Note, Session
from tests import fabriques

pytestmark = pytest.mark.django_db


def sql(requete: str, parametres=()) -> None:
    with transaction.atomic(), connection.cursor() as curseur:
        curseur.execute(requete, parametres)


@pytest.fixture
def deux_sessions(comptes):
    """Un candidat noté dans une session verrouillée (2026), un autre dans une session ouverte (2025)."""
    ferme = fabriques.candidat(division=fabriques.division("TAGO1", sess=fabriques.session(2026)))
    ouvert = fabriques.candidat(division=fabriques.division("TAGO9", sess=fabriques.session(2025)))
    for c in (ferme, ouvert):
        services.saisir_note(candidat=c, unite="U11", texte="12", auteur=comptes.administrateur)
    Session.objects.filter(annee=2026).update(verrouillee=True)
    return ferme, ouvert


@pytest.mark.parametrize(
    "table",
    [
        "examens_journal",
        "examens_note",
        "examens_historiquenote",
        "examens_historiquegrille",
        "examens_documentemis",
        "examens_session CASCADE",  # la cascade atteint les notes et leur historique : refusée aussi
    ],
)
def test_truncate_est_refuse_sur_les_tables_protegees(deux_sessions, table):
    avant = (Note.objects.count(), HistoriqueNote.objects.count())
    sql("SET CONSTRAINTS ALL IMMEDIATE")  # sinon PostgreSQL refuse TRUNCATE pour les contrôles différés en attente
    with pytest.raises(DatabaseError, match="TRUNCATE refusé"):
        sql(f"TRUNCATE {table}")
    assert (Note.objects.count(), HistoriqueNote.objects.count()) == avant


def test_une_note_ne_sort_pas_d_une_session_verrouillee_en_changeant_de_candidat(deux_sessions):
    ferme, ouvert = deux_sessions
    note = Note.objects.get(candidat=ferme)
    autre = fabriques.candidat(division=ouvert.division)
    with pytest.raises(DatabaseError, match="Session verrouillée"):
        sql("UPDATE examens_note SET candidat_id = %s WHERE id = %s", [autre.pk, note.pk])
    # Et dans l'autre sens : on ne fait pas entrer une note dans une session verrouillée.
    entrant = fabriques.candidat(division=ferme.division)
    with pytest.raises(DatabaseError, match="Session verrouillée"), transaction.atomic():
        Note.objects.filter(candidat=ouvert).update(candidat=entrant)
    assert Note.objects.get(pk=note.pk).candidat_id == ferme.pk
    # Une session ouverte reste modifiable.
    Note.objects.filter(candidat=ouvert).update(valeur=Decimal(15))


def test_un_candidat_ne_change_pas_de_session_si_l_une_est_verrouillee(deux_sessions):
    ferme, ouvert = deux_sessions
    with pytest.raises(DatabaseError, match="ne change pas de session"):
        sql("UPDATE examens_candidat SET session_id = %s WHERE id = %s", [ouvert.session_id, ferme.pk])
    with pytest.raises(DatabaseError, match="ne change pas de session"):
        sql("UPDATE examens_candidat SET session_id = %s WHERE id = %s", [ferme.session_id, ouvert.pk])
    Candidat.objects.filter(pk=ferme.pk).update(nom="RECTIFIÉ")  # le reste d'une fiche se corrige


def test_l_historique_des_notes_est_en_ajout_seul(deux_sessions):
    ferme, ouvert = deux_sessions
    for candidat in (ferme, ouvert):
        with pytest.raises(DatabaseError, match="ajout seul"):
            sql("UPDATE examens_historiquenote SET apres = '20' WHERE candidat_id = %s", [candidat.pk])
    with pytest.raises(DatabaseError, match="historique des notes non supprimable"):
        sql("DELETE FROM examens_historiquenote WHERE candidat_id = %s", [ferme.pk])
    assert HistoriqueNote.objects.get(candidat=ferme).apres == "12,00"
    # La purge d'une session ouverte (suppression de ses candidats) reste possible.
    ouvert.delete()
    assert not HistoriqueNote.objects.filter(candidat_id=ouvert.pk).exists()


# ---------------------------------------------------------------------------------------------------
# Deux rôles (scripts/roles.sql, créés par make db) : l'application ne peut pas lever les gardes
# ---------------------------------------------------------------------------------------------------

RACINE = Path(__file__).resolve().parents[2]


@pytest.fixture
def base_a_deux_roles():
    """Une base neuve préparée comme `make db` puis `make migrer` : rôles, migrations en propriétaire."""
    reglages = connection.settings_dict
    nom = f"{reglages['NAME']}_roles_{os.getpid()}"
    hote = f"{reglages['HOST']}:{reglages['PORT']}"
    admin = psycopg.connect(
        host=reglages["HOST"], port=reglages["PORT"], user=reglages["USER"], dbname="postgres", autocommit=True
    )
    admin.execute(f'DROP DATABASE IF EXISTS "{nom}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{nom}"')
    try:
        with psycopg.connect(
            host=reglages["HOST"], port=reglages["PORT"], user=reglages["USER"], dbname=nom, autocommit=True
        ) as superutilisateur:
            superutilisateur.execute((RACINE / "scripts" / "roles.sql").read_text())
        for role, commande in (("agora_proprietaire", "migrate"), ("agora_app", "charger_referentiel")):
            sortie = subprocess.run(
                [sys.executable, "manage.py", commande, "-v0"],
                cwd=RACINE,
                env={**os.environ, "DATABASE_URL": f"postgresql://{role}@{hote}/{nom}", "DEBUG": "1"},
                capture_output=True,
                text=True,
            )
            assert sortie.returncode == 0, sortie.stderr
        yield lambda role: psycopg.connect(
            host=reglages["HOST"], port=reglages["PORT"], user=role, dbname=nom, autocommit=True
        )
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{nom}" WITH (FORCE)')
        admin.close()


def test_le_role_de_l_application_ne_peut_ni_suspendre_ni_modifier_les_gardes(base_a_deux_roles):
    with base_a_deux_roles("agora_proprietaire") as proprietaire:
        # Tout appartient au propriétaire ; l'application ne possède rien.
        assert proprietaire.execute(
            "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace "
            "AND relowner <> 'agora_proprietaire'::regrole AND relkind IN ('r', 'S', 'v')"
        ).fetchone() == (0,)
    with base_a_deux_roles("agora_app") as app:
        assert app.execute("SELECT rolsuper, rolcreatedb FROM pg_roles WHERE rolname = current_user").fetchone() == (
            False,
            False,
        )
        assert app.execute("SELECT count(*) FROM pg_class WHERE relowner = 'agora_app'::regrole").fetchone() == (0,)
        for requete in (
            "SET session_replication_role = replica",
            "ALTER TABLE examens_note DISABLE TRIGGER note_session_ouverte",
            "ALTER TABLE examens_journal DISABLE TRIGGER ALL",
            "DROP TRIGGER journal_immuable ON examens_journal",
            "CREATE OR REPLACE FUNCTION examens_journal_immuable() RETURNS trigger AS 'BEGIN RETURN OLD; END' "
            "LANGUAGE plpgsql",
            "TRUNCATE examens_journal",
            "CREATE TABLE intruse (id int)",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute(requete)
        # Les lignes, oui : l'application écrit, et la garde s'applique à elle.
        app.execute(
            "INSERT INTO examens_journal (date, auteur, action, objet, motif, candidat_numero) "
            "VALUES (now(), 'app', 'essai', '', '', '')"
        )
        with pytest.raises(psycopg.errors.RaiseException, match="ajout seul"):
            app.execute("DELETE FROM examens_journal")
    with base_a_deux_roles("agora_proprietaire") as proprietaire, proprietaire.transaction():
        proprietaire.execute("ALTER TABLE examens_journal DISABLE TRIGGER journal_immuable")  # lui seul le peut
        proprietaire.execute("ALTER TABLE examens_journal ENABLE TRIGGER journal_immuable")
