"""Instructions du processeur par enregistrement automatique de grille, comptées par valgrind (callgrind) : une
mesure qui ne dépend pas de la vitesse du moment de la machine (issue #23, cible 3).

Sur ces machines, la vitesse change d'un tiers d'une minute à l'autre : le même code a coûté 9,2 puis 12,8 ms de
processeur par requête sous charge à dix minutes d'écart. Un changement de 5 % ne se voit donc pas au chronomètre.
Le nombre d'instructions exécutées, lui, est le même d'une exécution à l'autre à 0,5 % près.

Chaque code mesuré (dossier de l'application, `--racines`) est lancé deux fois sous callgrind dans un processus
Django (client de test, comme bench/profiler_pages.py : sans gunicorn ni réseau, donc le processeur du worker seul,
pas celui de PostgreSQL) : une fois sans enregistrement, une fois avec N ; la différence divisée par N est le coût
d'un enregistrement. Chaque exécution prend son propre candidat de la cible (aucun conflit de version quand elles
tournent en même temps). Les niveaux enregistrés suivent un tirage à graine fixe.

  python bench/instructions_enregistrement.py '<JSON de preparer_web>' [--racines /ancien/code /work/main] [-n 200]
      [--page liste|grille|deliberation|notes]

`--page` compte de même les instructions d'une des pages du banc (bench/profiler_pages.py), lue N fois.

À lancer avec DJANGO_SETTINGS_MODULE, DATABASE_URL et la SECRET_KEY de bench/preparer_web.py ; valgrind installé.
"""

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent


def enregistrer(cible: dict, candidat: int, nombre: int) -> None:
    """Dans le processus mesuré : 30 enregistrements de chauffe (compilations, connexion), puis `nombre`."""
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    client = Client(enforce_csrf_checks=False)
    client.cookies[settings.SESSION_COOKIE_NAME] = cible["sessions"][0]
    url = f"/examens/grilles/commissions/{cible['commission']}/candidats/{cible['candidats'][candidat]}/situations/1/"
    version = int(re.search(rb'data-version="(\d+)"', client.get(url).content).group(1))
    tirage = random.Random(7)
    for _ in range(30 + nombre):
        reponse = client.post(
            url + "enregistrer/",
            {
                "version": version,
                "champ": "niveau",
                "cle": tirage.choice(cible["lignes"]),
                "valeur": tirage.choice(cible["niveaux"]),
            },
            headers={"X-Requested-With": "fetch"},
        )
        if reponse.status_code != 200:
            raise SystemExit(f"Enregistrement refusé ({reponse.status_code}) : {reponse.content[:200]!r}")
        version = reponse.json()["version"]


# Les pages du banc : leur rang dans bench/profiler_pages.pages(), qui donne leur rôle et leur adresse.
PAGES = {"liste": 0, "grille": 1, "deliberation": 3, "notes": 4}


def visiter(cible: dict, nombre: int, page: str) -> None:
    """Dans le processus mesuré : 30 lectures de chauffe de la page, puis `nombre`."""
    from django.conf import settings
    from django.test import Client
    from profiler_pages import pages  # même dossier bench/ ; prépare Django

    settings.ALLOWED_HOSTS = ["*"]
    _, role, _, url = pages(cible)[PAGES[page]]
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = cible["sessions"][0 if role == "enseignant" else 1]
    for _ in range(30 + nombre):
        reponse = client.get(url)
        if reponse.status_code != 200:
            raise SystemExit(f"{url} : {reponse.status_code}")


def instructions(racine: str, cible: str, candidat: int, nombre: int, page: str = "") -> int:
    """Les instructions d'un processus qui fait `nombre` enregistrements (ou lectures de `page`) après sa chauffe,
    code de `racine`."""
    commande = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--dedans",
        str(candidat),
        str(nombre),
        cible,
        page,
    ]
    env = {**os.environ, "PYTHONPATH": racine}
    sortie = subprocess.run(commande, cwd=racine, env=env, capture_output=True, text=True, check=True).stderr
    return int(re.search(r"Collected : (\d+)", sortie).group(1))


def mesurer(cible: str, racines: list[str], nombre: int, page: str = "") -> dict[str, int]:
    """Instructions par enregistrement (ou par page), pour chaque racine ; les exécutions tournent deux par deux
    (deux cœurs)."""
    travaux = [(racine, n, 10 + 2 * i + (n > 0)) for i, racine in enumerate(racines) for n in (0, nombre)]
    with ThreadPoolExecutor(2) as groupe:
        comptes = list(groupe.map(lambda t: instructions(t[0], cible, t[2], t[1], page), travaux))
    resultats = {}
    for i, racine in enumerate(racines):
        sans, avec = comptes[2 * i], comptes[2 * i + 1]
        resultats[racine] = round((avec - sans) / nombre)
    return resultats


if __name__ == "__main__":
    if sys.argv[1:2] == ["--dedans"]:
        candidat, nombre, texte, page = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
        lue = json.loads(open(texte).read() if os.path.exists(texte) else texte)
        if page:
            visiter(lue, nombre, page)
        else:
            enregistrer(lue, candidat, nombre)
        sys.exit(0)
    parser = argparse.ArgumentParser()
    parser.add_argument("cible")
    parser.add_argument("--racines", nargs="+", default=[str(RACINE)])
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--page", choices=sorted(PAGES), default="")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind introuvable : apt-get install valgrind")
    quoi = f"lecture de la page {args.page}" if args.page else "enregistrement automatique"
    for racine, compte in mesurer(args.cible, args.racines, args.n, args.page).items():
        print(f"{racine} : {compte / 1e6:.2f} millions d'instructions par {quoi}")
