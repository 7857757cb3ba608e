"""Pages d'erreur en français dans le gabarit du site, icône, rubrique courante du menu, onglets de session."""

import pytest
from django.test import RequestFactory
from django.views import defaults

from tests import fabriques

pytestmark = pytest.mark.django_db


def test_403_en_francais_dans_le_gabarit_avec_un_chemin_de_retour(comptes):
    reponse = comptes.client(comptes.enseignant).get("/examens/sessions/")
    assert reponse.status_code == 403
    page = reponse.content.decode()
    assert '<html lang="fr">' in page and "Forbidden" not in page
    assert "Accès refusé" in page and "n'a pas le droit" in page
    assert 'href="/">Retour à l\'accueil' in page
    assert 'aria-label="Navigation principale"' in page and "Se déconnecter" in page  # le menu du site reste là


def test_404_en_francais_dans_le_gabarit(comptes):
    reponse = comptes.client(comptes.gestionnaire).get("/examens/candidats/999999999/")
    assert reponse.status_code == 404
    page = reponse.content.decode()
    assert "Page introuvable" in page and "Not Found" not in page and "Retour à l'accueil" in page


def test_400_et_500_en_francais_sans_base_ni_contexte(django_assert_num_queries):
    requete = RequestFactory().get("/")
    with django_assert_num_queries(0):
        erreur = defaults.server_error(requete)
    assert erreur.status_code == 500
    page = erreur.content.decode()
    assert "Erreur du serveur" in page and 'lang="fr"' in page and 'href="/">Retour à l\'accueil' in page
    assert "favicon.svg" in page
    mauvaise = defaults.bad_request(requete, Exception("x"))
    assert mauvaise.status_code == 400 and "Requête invalide" in mauvaise.content.decode()


def test_formulaire_expire_en_francais(comptes):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(comptes.gestionnaire)
    reponse = client.post("/deconnexion/")
    assert reponse.status_code == 403 and "Ce formulaire a expiré" in reponse.content.decode()


def test_favicon_liee_et_servie_sans_connexion(comptes, client):
    page = comptes.client(comptes.gestionnaire).get("/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    reponse = client.get("/favicon.ico")
    assert reponse.status_code == 301 and reponse["Location"] == "/static/favicon.svg"


@pytest.mark.parametrize(
    "adresse, rubrique",
    [
        ("/", "Accueil"),
        ("/referentiel/", "Référentiel"),
        ("/examens/sessions/2026/candidats/", "Sessions"),
        ("/examens/grilles/commissions/", "Grilles CCF"),
        ("/pfmp/", "PFMP"),
    ],
)
def test_la_rubrique_courante_est_marquee_dans_le_menu(comptes, adresse, rubrique):
    fabriques.session()
    page = comptes.client(comptes.administrateur).get(adresse, follow=True).content.decode()
    assert page.count('aria-current="page"') >= 1
    courante = page.split('aria-current="page"', 1)[1].split("</a>", 1)[0]
    assert courante.rsplit(">", 1)[1] == rubrique


def test_la_page_d_import_garde_les_onglets_de_la_session(comptes):
    fabriques.session()
    page = comptes.client(comptes.academie).get("/examens/sessions/2026/importer/").content.decode()
    assert "Tableau de bord" in page and "Délibération" in page
    assert 'class="nav-link active" aria-current="page" href="/examens/sessions/2026/importer/">Importer' in page
    # l'import peut créer sa session : sans elle, la page reste utilisable, sans onglets
    page = comptes.client(comptes.gestionnaire).get("/examens/sessions/2031/importer/").content.decode()
    assert "Tableau de bord" not in page and "Importer des candidats ou des notes" in page


@pytest.mark.parametrize("langue", ["en", "de-DE,de;q=0.9,en;q=0.8", "fr-FR,fr;q=0.9"])
def test_en_francais_quelle_que_soit_la_langue_du_navigateur(client, langue):
    """Les messages de Django (ici le refus de connexion) et les formats (virgule décimale) restent français pour
    un navigateur réglé dans une autre langue."""
    from django.template import Context, Template

    page = client.post(
        "/connexion/", {"username": "personne", "password": "rien"}, HTTP_ACCEPT_LANGUAGE=langue
    ).content.decode()
    assert "Saisissez un nom d’utilisateur et un mot de passe valides" in page and "Please enter" not in page
    assert "Content-Language" not in client.get("/connexion/", HTTP_ACCEPT_LANGUAGE=langue).headers
    assert Template("{{ n|floatformat:2 }}").render(Context({"n": 14.5})) == "14,50"
