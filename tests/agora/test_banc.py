"""Le banc d'essai compte le processeur de chaque groupe de processus (bench/lancer.py, partie `enregistrement`) :
un travail fait par PostgreSQL apparaît dans le groupe « postgresql », pas ailleurs."""

import sys
from pathlib import Path

import pytest
from django.db import connection

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from lancer import processeur_par_groupe  # noqa: E402

pytestmark = pytest.mark.django_db


def test_le_processeur_de_postgresql_est_compte_dans_son_groupe():
    avant = processeur_par_groupe()
    with connection.cursor() as curseur:  # ≈ 0,2 à 0,5 s de calcul dans le processus serveur de cette connexion
        curseur.execute("SELECT count(*) FROM generate_series(1, 4000000) AS g WHERE g % 7 = 0")
        assert curseur.fetchone()[0] == 571428
    apres = processeur_par_groupe()
    assert set(apres) >= {"postgresql", "autres"} and all(isinstance(v, int) for v in apres.values())
    assert apres["postgresql"] - avant.get("postgresql", 0) >= 5  # au moins 5 tops d'horloge (50 ms)
