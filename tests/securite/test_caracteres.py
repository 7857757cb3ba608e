"""Caractère nul, demi-paires UTF-16 et paramètres géants : refusés à l'entrée (400 en français), jamais de 500.

La promenade de toutes les URL × tous les rôles est dans tests/agora/test_matrice_permissions.py ; ici, les pages
où l'erreur 500 a été observée, une à une, et ce que voit l'utilisateur.
"""

import pytest
from django.http import QueryDict
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils.datastructures import MultiValueDict

from agora.middleware import RefuserCaracteresInterdits
from examens.models import Journal, Note
from tests import fabriques
from tests.examens.test_grilles import monde

pytestmark = pytest.mark.django_db


def client_de(user) -> Client:
    c = Client(raise_request_exception=False)
    c.force_login(user)
    return c


@pytest.fixture
def gestionnaire(comptes):
    candidat = fabriques.candidat(division=comptes.division_a)
    return comptes, candidat, client_de(comptes.gestionnaire)


@pytest.mark.parametrize(
    "adresse",
    [
        "/examens/sessions/2026/candidats/?q=a%00b",
        "/examens/sessions/2026/candidats/?division=1%00",
        "/examens/sessions/2026/deliberation/?q=%00",
        "/examens/sessions/2026/notes/U2/?q=%00",
        "/pfmp/organisations/?q=%00",
        "/referentiel/recherche/?q=%00",
        "/referentiel/AGORA-2020%00/",
    ],
)
def test_un_caractere_nul_dans_l_adresse_donne_une_page_400_en_francais(gestionnaire, adresse):
    _, _, client = gestionnaire
    reponse = client.get(adresse)
    assert reponse.status_code == 400
    assert "caractère invalide" in reponse.content.decode() and "Rien n'a été enregistré" in reponse.content.decode()


def test_un_parametre_de_plus_de_1000_caracteres_est_refuse(gestionnaire):
    _, _, client = gestionnaire
    reponse = client.get("/examens/sessions/2026/candidats/?etablissement=" + "9" * 5000)
    assert reponse.status_code == 400 and "dépasse 1000 caractères" in reponse.content.decode()
    assert client.get("/examens/sessions/2026/candidats/?q=" + "é" * 1000).status_code == 200


def test_une_note_avec_un_caractere_nul_est_refusee_en_json_sans_rien_ecrire(gestionnaire):
    _, candidat, client = gestionnaire
    reponse = client.post(
        reverse("examens:note-enregistrer", args=[candidat.pk, "U2"]),
        "note=1%002",
        content_type="application/x-www-form-urlencoded",
        headers={"Sec-Fetch-Mode": "cors"},
    )
    assert reponse.status_code == 400
    assert reponse.json()["ok"] is False and "caractère invalide" in reponse.json()["erreur"]
    assert not Note.objects.filter(candidat=candidat).exists()


def test_un_champ_de_grille_avec_un_caractere_nul_est_refuse_en_json():
    m = monde()
    client = client_de(m.comptes.enseignant)
    adresse = reverse("examens:grille-enregistrer", args=[m.e31.pk, m.candidat.pk, 1])
    avant = Journal.objects.count()
    reponse = client.post(
        adresse, {"version": "0", "champ": "appreciation", "valeur": "bien\x00"}, headers={"X-Requested-With": "fetch"}
    )
    assert reponse.status_code == 400 and "caractère invalide" in reponse.json()["erreur"]
    assert Journal.objects.count() == avant
    # sans le caractère, le même enregistrement passe
    ok = client.post(adresse, {"version": "0", "champ": "appreciation", "valeur": "bien"})
    assert ok.status_code == 200


def test_la_connexion_avec_un_caractere_nul_est_refusee_sans_erreur(comptes):
    reponse = Client(raise_request_exception=False).post(
        "/connexion/", {"username": "gest\x00", "password": fabriques.MOT_DE_PASSE}
    )
    assert reponse.status_code == 400


def test_un_nom_de_fichier_avec_un_caractere_nul_est_refuse(gestionnaire):
    from django.core.files.uploadedfile import SimpleUploadedFile

    _, _, client = gestionnaire
    fichier = SimpleUploadedFile("a\x00.csv", b"numero;nom\n")
    reponse = client.post("/examens/sessions/2026/importer/", {"type": "candidats", "fichier": fichier})
    assert reponse.status_code in (200, 400)  # Django peut déjà nettoyer le nom ; jamais 500


@pytest.mark.parametrize("valeur", ["\ud800", "a\udfffb", "\x00"])
def test_les_demi_paires_isolees_sont_refusees_aussi(valeur):
    """Django remplace les octets UTF-8 invalides (%ED%A0%80 → U+FFFD) en lisant l'adresse ; l'intergiciel
    refuse quand même une demi-paire qui arriverait par un autre chemin (clé ou valeur, GET ou POST)."""
    for ou in ("GET", "POST"):
        for cle, val in ((valeur, "x"), ("x", valeur)):
            requete = RequestFactory().post("/")
            q = QueryDict(mutable=True)
            q[cle] = val
            requete._files = MultiValueDict()
            if ou == "GET":
                requete.GET = q
            else:
                requete.POST = q
            assert RefuserCaracteresInterdits.interdit(requete), (ou, cle, val)
