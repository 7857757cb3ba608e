"""Processeur du serveur par page (issue #23, cible 3 : ≤ 10 ms médiane) : les cinq pages du banc de charge et
l'enregistrement automatique d'une grille, rejoués dans un seul processus par le client de test de Django, sans
réseau ni gunicorn, à tour de rôle (une requête de chaque page par tour, trente tours). Pour chacune : la médiane
du temps processeur (time.process_time, qui ignore l'attente de PostgreSQL et ce que font les autres processus de
la machine) et du temps écoulé, et le nombre de requêtes SQL.
Le plancher : une requête HTTP minimale (la redirection de /favicon.ico, sans session) dans le même processus.

À lancer après bench/preparer_web.py (mêmes comptes, même commission), avec DJANGO_SETTINGS_MODULE et DATABASE_URL :
  python bench/profiler_pages.py '<JSON de preparer_web>' [--profil N] [--repetitions R]
--profil N affiche les N fonctions les plus coûteuses (cProfile, temps cumulé) de chaque page.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import statistics
import sys
import time
from urllib.parse import urlencode

import django

django.setup()

RACINE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from lancer import etalon_cpu  # noqa: E402 (même dossier bench/)

from agora.requetes import sql_lisible  # noqa: E402


def pages(cible: dict) -> list[tuple[str, str, str, str]]:
    """(nom, rôle, méthode, adresse) : les requêtes de bench/locustfile.py."""
    annee, division = cible["annee"], cible["division"]
    grille = f"/examens/grilles/commissions/{cible['commission']}/candidats/{cible['candidats'][0]}/situations/1/"
    return [
        (
            "liste des candidats d'une division",
            "enseignant",
            "GET",
            f"/examens/sessions/{annee}/candidats/?division={division}",
        ),
        ("page de grille", "enseignant", "GET", grille),
        ("enregistrement automatique de grille", "enseignant", "POST", grille + "enregistrer/"),
        (
            "délibération d'une division",
            "gestionnaire",
            "GET",
            f"/examens/sessions/{annee}/deliberation/?division={division}",
        ),
        (
            "tableau de saisie des notes ponctuelles",
            "gestionnaire",
            "GET",
            f"/examens/sessions/{annee}/notes/U51/?division={division}",
        ),
    ]


def mesurer(cible: dict, repetitions: int, profil: int, requetes_affichees: bool = False) -> dict:
    settings.ALLOWED_HOSTS = ["*"]
    clients = {}
    for role, i in (("enseignant", 0), ("gestionnaire", 1)):
        c = Client(enforce_csrf_checks=False)
        c.cookies[settings.SESSION_COOKIE_NAME] = cible["sessions"][i]
        clients[role] = c
    version = {"v": None}
    grille_url = pages(cible)[1][3]

    def faire(role, methode, url):
        c = clients[role]
        if methode == "GET":
            r = c.get(url)
            if url == grille_url:
                import re

                trouve = re.search(rb'data-version="(\d+)"', r.content)
                version["v"] = int(trouve.group(1)) if trouve else None
            return r
        if version["v"] is None:
            faire(role, "GET", grille_url)
        # Encodé comme le fait la page (URLSearchParams de static/js/grille.js), pas en multipart.
        r = c.post(
            url,
            urlencode(
                {
                    "version": version["v"],
                    "champ": "niveau",
                    "cle": random.choice(cible["lignes"]),
                    "valeur": random.choice(cible["niveaux"]),
                }
            ),
            content_type="application/x-www-form-urlencoded",
            headers={"X-Requested-With": "fetch"},
        )
        if r.status_code == 200:
            version["v"] = r.json()["version"]
        return r

    def plancher():
        return Client().get("/favicon.ico")

    resultats = {}
    liste = [("plancher : redirection de /favicon.ico, sans session", "-", "GET", "/favicon.ico")] + pages(cible)
    appels = {}
    for nom, role, methode, url in liste:
        appel = plancher if role == "-" else (lambda role=role, methode=methode, url=url: faire(role, methode, url))
        for _ in range(5):  # chauffe : gabarits compilés, connexions ouvertes, caches remplis
            r = appel()
        assert r.status_code in (200, 301), (nom, r.status_code, r.content[:300])
        appels[nom] = appel
    # Les pages à tour de rôle, une requête chacune par tour, comme un worker les sert : les mesures de chaque page
    # s'étalent sur toute l'exécution au lieu d'une fenêtre d'un tiers de seconde, où un voisin bruyant de la
    # machine virtuelle suffisait à décaler sa médiane de moitié (session 17 : 7,0 à 10,5 ms pour la délibération,
    # d'une exécution à la suivante, même code, même étalon).
    cpu = {nom: [] for nom in appels}
    ecoule = {nom: [] for nom in appels}
    derniers = {}
    for _ in range(repetitions):
        for nom, appel in appels.items():
            with CaptureQueriesContext(connection) as requetes:
                d0, c0 = time.perf_counter(), time.process_time()
                r = appel()
                c1, d1 = time.process_time(), time.perf_counter()
            cpu[nom].append((c1 - c0) * 1000)
            ecoule[nom].append((d1 - d0) * 1000)
            derniers[nom] = (requetes, r)
    for nom, appel in appels.items():
        requetes, r = derniers[nom]
        resultats[nom] = {
            "cpu_ms_mediane": round(statistics.median(cpu[nom]), 2),
            "ecoule_ms_mediane": round(statistics.median(ecoule[nom]), 2),
            "requetes_sql": len(requetes),
            "octets": len(r.content),
        }
        if requetes_affichees:
            print(f"===== {nom} : {len(requetes)} requêtes", file=sys.stderr)
            for q in requetes.captured_queries:
                print(f"  {q['time']} s  {sql_lisible(q['sql'])[:400]}", file=sys.stderr)
        if profil:
            p = cProfile.Profile(time.process_time)
            p.enable()
            for _ in range(10):
                appel()
            p.disable()
            s = io.StringIO()
            stats = pstats.Stats(p, stream=s)
            stats.sort_stats(os.environ.get("TRI", "tottime")).print_stats(profil)
            familles = {}
            for (fichier, _, _), (_, _, tottime, _, _) in stats.stats.items():
                famille = famille_de(fichier)
                familles[famille] = familles.get(famille, 0) + tottime
            total = sum(familles.values()) or 1
            s.write(
                "par famille (temps propre) : "
                + ", ".join(
                    f"{f} {100 * t / total:.0f} %" for f, t in sorted(familles.items(), key=lambda x: -x[1])[:10]
                )
                + "\n"
            )
            print(f"===== {nom}", file=sys.stderr)
            print(s.getvalue(), file=sys.stderr)
    return resultats


def famille_de(fichier: str) -> str:
    """Regroupe le temps propre d'une fonction par bibliothèque : django.db, django.template, psycopg, examens…"""
    if "site-packages/" in fichier:
        morceaux = fichier.split("site-packages/")[1].split("/")
        return ".".join(morceaux[:2]) if morceaux[0] == "django" else morceaux[0]
    if fichier.startswith("~") or "python3." in fichier:
        return "python"
    return os.path.relpath(fichier, RACINE).split(os.sep)[0]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("cible")
    parser.add_argument("--repetitions", type=int, default=30)
    parser.add_argument("--profil", type=int, default=0)
    parser.add_argument("--requetes", action="store_true", help="le SQL de la dernière répétition")
    args = parser.parse_args()
    import os

    cible = json.loads(open(args.cible).read() if os.path.exists(args.cible) else args.cible)
    etalon = etalon_cpu(horloge=time.process_time)
    r = mesurer(cible, args.repetitions, args.profil, args.requetes)
    print(json.dumps({"etalon_cpu_ms": etalon, "charge": round(os.getloadavg()[0], 2), "pages": r}, ensure_ascii=False))
