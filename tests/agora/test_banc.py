"""Le banc d'essai compte le processeur de chaque groupe de processus (bench/lancer.py, partie `enregistrement`) :
un travail fait par PostgreSQL apparaît dans le groupe « postgresql », pas ailleurs."""

import json
import sys
from pathlib import Path

import pytest
from django.db import connection

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from lancer import _synthese, processeur_par_groupe  # noqa: E402

pytestmark = pytest.mark.django_db


def test_le_processeur_de_postgresql_est_compte_dans_son_groupe():
    avant = processeur_par_groupe()
    with connection.cursor() as curseur:  # ≈ 0,2 à 0,5 s de calcul dans le processus serveur de cette connexion
        curseur.execute("SELECT count(*) FROM generate_series(1, 4000000) AS g WHERE g % 7 = 0")
        assert curseur.fetchone()[0] == 571428
    apres = processeur_par_groupe()
    assert set(apres) >= {"postgresql", "autres"} and all(isinstance(v, int) for v in apres.values())
    assert apres["postgresql"] - avant.get("postgresql", 0) >= 5  # au moins 5 tops d'horloge (50 ms)


def test_le_serveur_est_aussi_compte_en_requetes_de_locust():
    """Le rapport (workers + PostgreSQL) / locust de chaque exécution, puis sa médiane : 9 / 1, 12 / 1,5, 8 / 1."""
    page = {"requetes": 100, "erreurs": 0, "requetes_par_seconde": 150.0, "p50_ms": 9, "p95_ms": 20, "p99_ms": 30}
    processeur = [
        {"workers": 7.0, "postgresql": 2.0, "locust": 1.0, "autres": 0.1},
        {"workers": 9.0, "postgresql": 3.0, "locust": 1.5, "autres": 0.1},
        {"workers": 6.0, "postgresql": 2.0, "locust": 1.0, "autres": 0.1},
    ]
    synthese = _synthese([{"enregistrement": page}] * 3, processeur, 60)
    assert synthese["serveur_en_requetes_locust"] == 8.0
    assert synthese["processeur_par_requete_ms"]["machine"] == 10.1


# ---------------------------------------------------------------------------------------------------
# Les planchers de la partie `enregistrement` : ils font bien le travail en base d'un enregistrement automatique
# (sinon le débit qu'ils mesurent ne serait le plancher de rien).
# ---------------------------------------------------------------------------------------------------


@pytest.fixture
def grille_remplie(settings):
    from examens.models import HistoriqueGrille
    from tests.examens.test_grilles import monde, remplir

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    m = monde()
    grille = remplir(m.e31, m.candidat, m.comptes.enseignant, "S")
    ligne = grille.gabarit.lignes.order_by("ordre").first()
    adresse = f"/examens/grilles/commissions/{m.e31.pk}/candidats/{m.candidat.pk}/situations/1/enregistrer/"
    return m, grille, ligne, adresse, HistoriqueGrille.objects.filter(grille=grille).count()


def _appeler(application, adresse: str, corps: dict, cookie: str) -> tuple[str, dict]:
    import io
    from urllib.parse import urlencode

    donnees = urlencode(corps).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": adresse,
        "CONTENT_LENGTH": str(len(donnees)),
        "wsgi.input": io.BytesIO(donnees),
        "HTTP_COOKIE": cookie,
    }
    statut = []
    reponse = b"".join(application(environ, lambda s, entetes: statut.append(s)))
    return statut[0], json.loads(reponse)


def test_le_plancher_nu_ecrit_le_niveau_la_version_et_l_historique(client, grille_remplie):
    import plancher_enregistrement as nu

    from examens.models import EvaluationCompetence, HistoriqueGrille

    m, grille, ligne, adresse, historique = grille_remplie
    client.force_login(m.comptes.enseignant)
    connection.ensure_connection()
    nu._connexion = connection.connection  # la connexion du test : ses écritures restent dans sa transaction
    try:
        refus = _appeler(nu.application, adresse, {"cle": ligne.pk, "valeur": "TI"}, "sessionid=inconnue")
        statut, corps = _appeler(
            nu.application, adresse, {"cle": ligne.pk, "valeur": "TI"}, f"sessionid={client.cookies['sessionid'].value}"
        )
    finally:
        nu._connexion = None
    assert refus[0].startswith("403")
    assert statut.startswith("200") and corps == {"version": grille.version + 1}
    assert EvaluationCompetence.objects.get(grille=grille, ligne=ligne).niveau == "TI"
    assert HistoriqueGrille.objects.filter(grille=grille).count() == historique + 1


def test_le_plancher_django_passe_par_nos_intergiciels_et_fait_les_memes_ecritures(client, settings, grille_remplie):
    from examens.models import EvaluationCompetence, HistoriqueGrille

    settings.ROOT_URLCONF = "bench.plancher_django"
    m, grille, ligne, adresse, historique = grille_remplie
    assert client.post(adresse, {"cle": ligne.pk, "valeur": "TI"}).status_code == 302  # pas de session : connexion
    client.force_login(m.comptes.enseignant)
    reponse = client.post(adresse, {"cle": ligne.pk, "valeur": "TI"})
    assert reponse.status_code == 200 and reponse.json() == {"version": grille.version + 1}
    assert EvaluationCompetence.objects.get(grille=grille, ligne=ligne).niveau == "TI"
    assert HistoriqueGrille.objects.filter(grille=grille).count() == historique + 1
