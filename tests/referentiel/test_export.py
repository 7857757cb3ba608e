"""Export JSON du référentiel : la commande `exporter_referentiel` et /referentiel/<code>.json disent la même chose."""

import json
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from referentiel import selectors
from referentiel.models import Referentiel

pytestmark = pytest.mark.django_db


def exporter(*args, **options) -> str:
    sortie = StringIO()
    call_command("exporter_referentiel", *args, stdout=sortie, **options)
    return sortie.getvalue()


def test_la_commande_ecrit_le_document_du_referentiel():
    texte = exporter("--version", "AGORA-2020")
    document = json.loads(texte)
    assert document == selectors.document(Referentiel.objects.get(code="AGORA-2020"))
    assert document["code"] == "AGORA-2020"
    # Le texte de l'arrêté tel quel : accents et guillemets, pas de \u00e9.
    assert "« Assistance à la gestion des organisations et de leurs activités »" in texte
    assert "\\u00" not in texte


def test_sans_version_la_commande_exporte_la_version_courante():
    assert exporter() == exporter(version="AGORA-2020")


def test_une_version_inconnue_est_une_erreur():
    with pytest.raises(CommandError, match="AGORA-1999"):
        exporter("--version", "AGORA-1999")


@pytest.fixture
def client_connecte(client):
    client.force_login(User.objects.create(username="lecteur"))
    return client


def test_l_adresse_json_sert_le_meme_document_que_la_commande(client_connecte):
    reponse = client_connecte.get("/referentiel/AGORA-2020.json")
    assert reponse.status_code == 200
    assert reponse["Content-Type"] == "application/json"
    assert reponse.content.decode() == exporter(version="AGORA-2020").removesuffix("\n")
    assert reponse.json()["poles"][1]["activites"][1]["code"] == "2.2"


def test_l_adresse_json_d_une_version_inconnue_repond_404(client_connecte):
    assert client_connecte.get("/referentiel/AGORA-1999.json").status_code == 404


def test_l_adresse_json_demande_une_connexion(client):
    reponse = client.get("/referentiel/AGORA-2020.json")
    assert reponse.status_code == 302
    assert reponse["Location"].startswith("/connexion/")
