"""Une page mesurée dans un processus Django déjà démarré, à côté de son plancher : ses propres SELECT rejoués nus
(sans ORM, ni gabarit, ni intergiciel). Pour les parties `tableau_de_bord` et `pages_academie` de bench/lancer.py,
dont les scripts l'importent (`from bench.mesure_page import mesurer_page`)."""

import statistics
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext


def mesurer_page(client, url: str, repetitions: int = 7) -> dict:
    client.get(url)  # échauffement
    temps, planchers = [], []
    for _ in range(repetitions):
        debut = time.perf_counter()
        with CaptureQueriesContext(connection) as requetes:
            reponse = client.get(url)
        temps.append(time.perf_counter() - debut)
        assert reponse.status_code == 200, (url, reponse.status_code)
        debut = time.perf_counter()
        with connection.cursor() as curseur:
            for requete in requetes.captured_queries:
                if requete["sql"].lstrip().upper().startswith(("SELECT", "EXECUTE")):  # EXECUTE : une requête figée
                    curseur.execute(requete["sql"])
                    curseur.fetchall()
        planchers.append(time.perf_counter() - debut)
    return {
        "ms": statistics.median(temps) * 1000,
        "plancher_ms": statistics.median(planchers) * 1000,
        "requetes": len(requetes),
        "octets": len(reponse.content),
    }
