"""Gardes de la base (migration 0008) : aucun chemin SQL, même direct, ne contourne le verrou ni l'ajout seul."""

from decimal import Decimal

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
