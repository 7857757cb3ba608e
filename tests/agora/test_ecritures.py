"""Plusieurs écritures de l'ORM en une requête (agora/ecritures.py), sur PostgreSQL."""

import pytest
from django.contrib.auth.models import Group, User
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from agora.ecritures import Ecritures

pytestmark = pytest.mark.django_db


def test_creations_et_modifications_en_une_requete_avec_les_valeurs_par_defaut_de_django():
    lea = User.objects.create_user("lea", first_name="Léa", last_name="Martin")
    ecritures = Ecritures()
    lea.first_name = "Léna"
    lea.last_name = "ne doit pas changer"
    ecritures.modifier(lea, ["first_name"])
    nouveau = User(username="paul", email="paul@example.fr")
    ecritures.creer(nouveau)
    groupe = Group(name="Jury 1")
    ecritures.creer(groupe)
    with CaptureQueriesContext(connection) as requetes:
        ecritures.executer()
    assert len(requetes) == 1 and requetes[0]["sql"].startswith("WITH e0 AS (UPDATE")
    lue = User.objects.get(pk=lea.pk)
    assert (lue.first_name, lue.last_name) == ("Léna", "Martin")  # la seule colonne nommée
    assert User.objects.get(pk=nouveau.pk).email == "paul@example.fr"
    assert User.objects.get(pk=nouveau.pk).date_joined is not None  # la valeur par défaut du modèle
    assert not nouveau._state.adding and Group.objects.get(pk=groupe.pk).name == "Jury 1"
    with CaptureQueriesContext(connection) as requetes:
        ecritures.executer()  # plus rien à écrire
    assert len(requetes) == 0


def test_une_modification_sans_ligne_leve_une_erreur_et_n_ecrit_rien():
    disparu = User.objects.create_user("disparu")
    User.objects.filter(pk=disparu.pk).delete()
    ecritures = Ecritures()
    ecritures.creer(Group(name="Ne doit pas rester"))
    disparu.first_name = "X"
    ecritures.modifier(disparu, ["first_name"])
    with pytest.raises(DatabaseError, match="0 ligne"), transaction.atomic():
        ecritures.executer()
    assert not Group.objects.filter(name="Ne doit pas rester").exists()


def test_les_demandes_absurdes_sont_refusees_avant_toute_requete():
    ecritures = Ecritures()
    with pytest.raises(ValueError):
        ecritures.modifier(User(username="jamais-enregistre"), ["first_name"])
    with pytest.raises(ValueError):
        ecritures.creer(User.objects.create_user("deja-la"))
    with pytest.raises(ValueError):
        ecritures.modifier(User.objects.get(username="deja-la"), ["champ_inconnu"])
