"""Bancs d'essai d'AGOrA Examens (make bench) : délibération, imports, pages sous charge, PDF.

Chaque chiffre est la médiane de plusieurs mesures. Le tableau s'affiche et bench/resultats.json est écrit.
Tout tourne sur une base à part (agora_bench) du PostgreSQL du projet : la base de développement n'est pas touchée.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent
PY = str(RACINE / ".venv" / "bin" / "python")
BASE = "postgresql://postgres@127.0.0.1:55432/agora_bench"
ENV = {
    **os.environ,
    "DATABASE_URL": BASE,
    "DJANGO_SETTINGS_MODULE": "agora.settings",
    "PYTHONPATH": str(RACINE),
    "DEBUG": "1",
}
SESSION = 2026


def manage(*args, capture=False, env=None) -> str:
    sortie = subprocess.run(
        [PY, "manage.py", *args],
        cwd=RACINE,
        env=env or ENV,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return sortie.stdout if capture else ""


def script(code: str, env=None) -> dict:
    """Exécute un morceau de Python dans un processus neuf (mémoire de pointe mesurable) ; renvoie son JSON."""
    sortie = subprocess.run([PY, "-c", code], cwd=RACINE, env=env or ENV, check=True, text=True, stdout=subprocess.PIPE)
    return json.loads(sortie.stdout.strip().splitlines()[-1])


def preparer(candidats: int) -> None:
    subprocess.run(["bash", "scripts/pg.sh", "start"], cwd=RACINE, check=True)
    existe = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            "55432",
            "-U",
            "postgres",
            "-tAc",
            "SELECT 1 FROM pg_database WHERE datname='agora_bench'",
        ],
        capture_output=True,
        text=True,
    )
    if "1" not in existe.stdout:
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", "55432", "-U", "postgres", "-qc", "CREATE DATABASE agora_bench"],
            check=True,
        )
    manage("migrate", "--noinput", "-v", "0")
    manage("charger_referentiel")
    nombre = script(
        "import django; django.setup(); import json; from examens.models import Candidat;"
        f"print(json.dumps({{'n': Candidat.objects.filter(session__annee={SESSION}).count()}}))"
    )["n"]
    if nombre != candidats:
        manage("generer_donnees", "--session", str(SESSION), "--candidats", str(candidats), "--remplacer")


DELIBERATION = """
import django, json, resource, time
django.setup()
from django.db import connection
from django.test.utils import CaptureQueriesContext
from examens import services
from examens.models import Session
session = Session.objects.get(annee={session})
avant = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
debut = time.perf_counter()
with CaptureQueriesContext(connection) as requetes:
    resultats = services.deliberer(session=session)
duree = time.perf_counter() - debut
pointe = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"secondes": duree, "requetes": len(requetes), "candidats": len(resultats),
                  "memoire_pointe_mo": pointe / 1024, "memoire_ajoutee_mo": (pointe - avant) / 1024}}))
"""

SQL_BRUT = """
import django, json, time
django.setup()
from django.db import connection
requete = '''
SELECT n.candidat_id, SUM(n.valeur * e.coefficient) AS points, SUM(e.coefficient) AS coefficients
FROM examens_note n
JOIN examens_candidat c ON c.id = n.candidat_id
JOIN examens_session s ON s.id = c.session_id
JOIN referentiel_unite u ON u.code = n.unite
JOIN examens_epreuve e ON e.unite_id = u.id AND e.reglement_id = s.reglement_id AND NOT e.facultative
WHERE s.annee = %s AND n.groupe = 1 AND n.etat = 'note'
GROUP BY n.candidat_id
'''
debut = time.perf_counter()
with connection.cursor() as curseur:
    curseur.execute(requete, [{session}])
    lignes = curseur.fetchall()
print(json.dumps({{"secondes": time.perf_counter() - debut, "candidats": len(lignes)}}))
"""


def bench_deliberation(repetitions: int) -> dict:
    mesures = [script(DELIBERATION.format(session=SESSION)) for _ in range(repetitions)]
    brut = [script(SQL_BRUT.format(session=SESSION)) for _ in range(repetitions)]
    mediane = statistics.median(m["secondes"] for m in mesures)
    mediane_sql = statistics.median(m["secondes"] for m in brut)
    return {
        "candidats": mesures[0]["candidats"],
        "secondes_mediane": round(mediane, 2),
        "secondes": [round(m["secondes"], 2) for m in mesures],
        "requetes": sorted({m["requetes"] for m in mesures}),
        "memoire_pointe_mo": round(statistics.median(m["memoire_pointe_mo"] for m in mesures), 1),
        "sql_brut_secondes_mediane": round(mediane_sql, 3),
        "ratio_moteur_sql_brut": round(mediane / mediane_sql, 1),
    }


RECALCUL = """
import django, json, statistics, time
django.setup()
from decimal import Decimal
from django.db import connection, transaction
from examens import resultats, services
from examens.models import Candidat, Session
session = Session.objects.select_related("reglement").get(annee={session})
ids = list(Candidat.objects.filter(session=session).order_by("?").values_list("pk", flat=True)[:{nombre}])
recalcul, saisie, plancher = [], [], []
for pk in ids:
    c = Candidat.objects.select_related("session__reglement").get(pk=pk)
    with transaction.atomic():
        # Le surcoût de l'écriture : recalculer un candidat (lecture, moteur, comparaison, écriture si changé).
        debut = time.perf_counter()
        resultats.recalculer([pk])
        recalcul.append(time.perf_counter() - debut)
        # Plancher du même travail : lire ses notes en tuples et faire la somme pondérée, rien d'autre.
        debut = time.perf_counter()
        with connection.cursor() as curseur:
            curseur.execute("SELECT unite, valeur FROM examens_note WHERE candidat_id = %s AND groupe = 1", [pk])
            sum((v or 0) * 2 for _, v in curseur.fetchall())
        plancher.append(time.perf_counter() - debut)
        # Une saisie complète au tableau (validation, écriture, historique, recalcul, journal), annulée ensuite.
        debut = time.perf_counter()
        try:
            services.saisir_note(candidat=c, unite="U11", texte="13,5", auteur=None)
        except services.OperationRefusee:
            pass
        saisie.append(time.perf_counter() - debut)
        transaction.set_rollback(True)
print(json.dumps({{"recalcul_ms": statistics.median(recalcul) * 1000, "saisie_ms": statistics.median(saisie) * 1000,
                  "plancher_ms": statistics.median(plancher) * 1000, "candidats": len(ids)}}))
"""


def bench_recalcul(repetitions: int, nombre: int = 200) -> dict:
    """Recalcul d'un candidat dans une écriture : médiane sur `nombre` candidats tirés au hasard, par exécution."""
    mesures = [script(RECALCUL.format(session=SESSION, nombre=nombre)) for _ in range(repetitions)]
    return {
        "candidats_par_execution": nombre,
        "recalcul_ms_mediane": round(statistics.median(m["recalcul_ms"] for m in mesures), 2),
        "recalcul_ms": [round(m["recalcul_ms"], 2) for m in mesures],
        "saisie_complete_ms_mediane": round(statistics.median(m["saisie_ms"] for m in mesures), 2),
        "plancher_ms_mediane": round(statistics.median(m["plancher_ms"] for m in mesures), 2),
    }


PFMP = """
import django, json, time
django.setup()
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from agora.roles import ADMINISTRATEUR, creer_roles
from django.contrib.auth.models import User
from examens.models import Candidat, Session
from pfmp import selectors, services
session = Session.objects.get(annee={session})
candidats = Candidat.objects.filter(session=session)
mesures = {{}}
debut = time.perf_counter()
evalues = selectors.conformites(candidats)
mesures["conformite_secondes"] = time.perf_counter() - debut
mesures["candidats"] = len(evalues)
with transaction.atomic():
    debut = time.perf_counter()
    with CaptureQueriesContext(connection) as requetes:
        compte = services.synchroniser_session(session=session)
    mesures["synchronisation_secondes"] = time.perf_counter() - debut
    mesures["synchronisation_requetes"] = len(requetes)
    mesures["blocages_changes"] = compte["blocages_changes"]
    # Le tableau PFMP d'un administrateur : résumé national (par établissement et par niveau) et première page.
    settings.ALLOWED_HOSTS.append("testserver")
    admin = User.objects.create_user("bench-pfmp-admin")
    admin.groups.add(creer_roles()[ADMINISTRATEUR])
    client = Client()
    client.force_login(admin)
    for cle, url in (("national", "/pfmp/sessions/{session}/"), ("national_a_risque_page_2",
                     "/pfmp/sessions/{session}/?etat=a_risque&page=2")):
        client.get(url)  # échauffement (gabarits, règlement en cache)
        temps = []
        for _ in range(5):
            debut = time.perf_counter()
            reponse = client.get(url)
            temps.append(time.perf_counter() - debut)
            assert reponse.status_code == 200 and b"resume-etablissements" in reponse.content
        mesures[cle + "_ms"] = sorted(temps)[2] * 1000
    transaction.set_rollback(True)
import io
from django.core.management import call_command
debut = time.perf_counter()
call_command("bilan_pfmp", "--session", "{session}", "--format", "json", stdout=io.StringIO())
mesures["bilan_en_processus_secondes"] = time.perf_counter() - debut
if {ancien}:
    debut = time.perf_counter()
    selectors.tableau(candidats)
    mesures["ancien_chemin_secondes"] = time.perf_counter() - debut
print(json.dumps(mesures))
"""


def bench_pfmp(repetitions: int) -> dict:
    """Conformité PFMP d'une session nationale en masse, contrôle des blocages, page nationale, bilan_pfmp json ;
    l'ancien chemin (candidat par candidat, objets de l'ORM) est mesuré une fois pour comparaison."""
    mesures = [script(PFMP.format(session=SESSION, ancien=rang == 0)) for rang in range(repetitions)]
    bilan = []
    for _ in range(repetitions):
        debut = time.perf_counter()
        subprocess.run(
            [PY, "manage.py", "bilan_pfmp", "--session", str(SESSION), "--format", "json"],
            cwd=RACINE,
            env=ENV,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        bilan.append(time.perf_counter() - debut)

    def mediane(cle):
        return round(statistics.median(m[cle] for m in mesures), 3)

    return {
        "candidats": mesures[0]["candidats"],
        "conformite_secondes_mediane": mediane("conformite_secondes"),
        "conformite_secondes": [round(m["conformite_secondes"], 2) for m in mesures],
        "synchronisation_secondes_mediane": mediane("synchronisation_secondes"),
        "synchronisation_requetes": sorted({m["synchronisation_requetes"] for m in mesures}),
        "national_ms_mediane": round(statistics.median(m["national_ms"] for m in mesures)),
        "national_a_risque_page_2_ms_mediane": round(
            statistics.median(m["national_a_risque_page_2_ms"] for m in mesures)
        ),
        "bilan_json_secondes_mediane": round(statistics.median(bilan), 2),
        "bilan_json_secondes": [round(b, 2) for b in bilan],
        "bilan_json_en_processus_secondes_mediane": mediane("bilan_en_processus_secondes"),
        "ancien_chemin_secondes": round(mesures[0]["ancien_chemin_secondes"], 1),
    }


IMPORTS = """
import django, json, time
django.setup()
from pathlib import Path
from examens.imports import importer_candidats, importer_notes
from examens.models import Session
from agora.tableaux import TAILLE_MAX_COMMANDE
Session.objects.filter(annee={annee}).delete()
candidats = Path("{dossier}/candidats.csv").read_bytes()
notes = Path("{dossier}/notes.csv").read_bytes()
debut = time.perf_counter()
importer_candidats(contenu=candidats, nom_fichier="candidats.csv", annee={annee}, taille_max=TAILLE_MAX_COMMANDE)
milieu = time.perf_counter()
bilan = importer_notes(contenu=notes, nom_fichier="notes.csv", annee={annee}, taille_max=TAILLE_MAX_COMMANDE)
fin = time.perf_counter()
Session.objects.filter(annee={annee}).delete()
print(json.dumps({{"candidats_secondes": milieu - debut, "notes_secondes": fin - milieu, "notes": bilan.crees}}))
"""


def fichiers_import(dossier: Path, nombre: int) -> None:
    """Un fichier de candidats et un fichier de notes (12 unités par candidat), comme ceux des gestionnaires."""
    import random

    sys.path.insert(0, str(RACINE))
    from examens.identifiants import uai_avec_cle  # utilisable sans réglages Django

    hasard = random.Random(7)
    statuts = ["scolaire_public"] * 8 + ["apprenti_cfa_habilite", "fpc_public_habilite"]
    lignes = ["numero_candidat;nom;prenom;date_naissance;uai;statut;forme;lv1;lv2;facultatives;division"]
    notes = ["numero_candidat;unite;note"]
    uais = [uai_avec_cle(f"{800000 + i:07d}") for i in range(nombre // 60 + 1)]
    for i in range(nombre):
        numero = f"B{i:08d}"
        lignes.append(
            f"{numero};NOM{i};Prénom;{1 + i % 28:02d}/{1 + i % 12:02d}/2008;{uais[i // 60]};"
            f"{statuts[i % 10]};globale;en;es;{'EPS' if i % 4 == 0 else ''};TAGO{1 + i % 2}"
        )
        for unite in ["U11", "U12", "U2", "U31", "U32", "U33", "U41", "U42", "U51", "U52", "U6", "U7"]:
            notes.append(f"{numero};{unite};{hasard.randint(0, 40) / 2:.1f}".replace(".", ","))
    (dossier / "candidats.csv").write_text("\n".join(lignes) + "\n", encoding="utf-8")
    (dossier / "notes.csv").write_text("\n".join(notes) + "\n", encoding="utf-8")


def bench_imports(repetitions: int, nombre: int) -> dict:
    dossier = RACINE / ".local" / "bench"
    dossier.mkdir(parents=True, exist_ok=True)
    fichiers_import(dossier, nombre)
    mesures = [script(IMPORTS.format(annee=2040, dossier=dossier)) for _ in range(repetitions)]
    return {
        "lignes_candidats": nombre,
        "lignes_notes": mesures[0]["notes"],
        "candidats_secondes_mediane": round(statistics.median(m["candidats_secondes"] for m in mesures), 2),
        "notes_secondes_mediane": round(statistics.median(m["notes_secondes"] for m in mesures), 2),
    }


def etalon_cpu(repetitions: int = 5) -> float:
    """Vitesse du processeur à cet instant : ms (médiane) d'un calcul Python fixe. Ces machines virtuelles
    partagent leur hôte ; d'une heure à l'autre le même code y va jusqu'à 1,5 fois moins vite. Noté à côté de
    chaque mesure, il dit si un écart vient du code ou de la machine."""
    durees = []
    for _ in range(repetitions):
        debut = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i * i % 7
        durees.append((time.perf_counter() - debut) * 1000)
    return round(statistics.median(durees))


def mesurer_connexions(hote: str, cible: dict, nombre: int = 5) -> float:
    """Connexions une à une (page, puis POST du formulaire) : ms, médiane. Hors de la charge de locust."""
    import re

    import requests

    durees = []
    for _ in range(nombre):
        with requests.Session() as client:
            debut = time.perf_counter()
            page = client.get(f"{hote}/connexion/")
            jeton = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
            reponse = client.post(
                f"{hote}/connexion/",
                {"username": cible["gestionnaire"], "password": cible["mot_de_passe"], "csrfmiddlewaretoken": jeton},
                headers={"Referer": f"{hote}/connexion/"},
                allow_redirects=False,
            )
            durees.append((time.perf_counter() - debut) * 1000)
            if reponse.status_code != 302:
                raise RuntimeError(f"connexion refusée ({reponse.status_code})")
    return round(statistics.median(durees))


def bench_web(duree: int, utilisateurs: int, repetitions: int) -> dict:
    """gunicorn sur 127.0.0.1 et locust sans interface, borné en durée, plusieurs fois de suite ; pour chaque page,
    la médiane des p50/p95/p99 des exécutions (et le p95 de chacune), le total des requêtes et des erreurs."""
    port = 8310
    workers = int(os.environ.get("BENCH_WORKERS", 2 * (os.cpu_count() or 2) + 1))
    env = {
        **ENV,
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "COOKIES_HTTPS": "0",
    }
    manage("collectstatic", "--noinput", "-v", "0", env=env)
    cible = (
        subprocess.run(
            [PY, "bench/preparer_web.py"],
            cwd=RACINE,
            env={**env, "BENCH_SESSION": str(SESSION), "BENCH_UTILISATEURS": str(utilisateurs)},
            check=True,
            text=True,
            stdout=subprocess.PIPE,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    serveur = subprocess.Popen(
        [
            str(RACINE / ".venv" / "bin" / "gunicorn"),
            "agora.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=RACINE,
        env=env,
    )
    executions = []
    try:
        time.sleep(3)
        connexion = mesurer_connexions(f"http://127.0.0.1:{port}", json.loads(cible))
        etalons = []
        for n in range(repetitions):
            etalons.append(etalon_cpu())
            prefixe = RACINE / ".local" / "bench" / f"locust-{n + 1}"
            subprocess.run(
                [
                    str(RACINE / ".venv" / "bin" / "locust"),
                    "-f",
                    str(RACINE / "bench" / "locustfile.py"),
                    "--headless",
                    "-u",
                    str(utilisateurs),
                    "-r",
                    "10",  # 5 s de montée en charge, qui chauffe aussi les workers (gabarits compilés)…
                    "--reset-stats",  # … puis on ne mesure que la charge établie
                    "-t",
                    f"{duree}s",
                    "--host",
                    f"http://127.0.0.1:{port}",
                    "--csv",
                    str(prefixe),
                    "--only-summary",
                    "--stop-timeout",
                    "5",
                ],
                cwd=RACINE,
                env={**env, "BENCH_CIBLE": cible},
                check=False,
                timeout=duree + 120,
            )
            executions.append(lire_locust(f"{prefixe}_stats.csv"))
    finally:
        serveur.terminate()
        serveur.wait(timeout=30)
    pages = {}
    for nom in executions[0]:
        mesures = [e[nom] for e in executions if nom in e]
        pages[nom] = {
            "requetes": sum(m["requetes"] for m in mesures),
            "erreurs": sum(m["erreurs"] for m in mesures),
            **{c: statistics.median(m[c] for m in mesures) for c in ("p50_ms", "p95_ms", "p99_ms")},
            "p95_par_execution_ms": [m["p95_ms"] for m in mesures],
        }
    return {
        "utilisateurs": utilisateurs,
        "duree_s": duree,
        "executions": repetitions,
        "workers_gunicorn": workers,
        "taille_division": json.loads(cible)["taille_division"],
        "connexion_ms_mediane": connexion,
        "etalon_cpu_ms_par_execution": etalons,
        "pages": pages,
    }


def lire_locust(fichier: str) -> dict:
    import csv

    with open(fichier, encoding="utf-8") as f:
        return {
            ligne["Name"]: {
                "requetes": int(ligne["Request Count"]),
                "erreurs": int(ligne["Failure Count"]),
                "p50_ms": float(ligne["50%"]),
                "p95_ms": float(ligne["95%"]),
                "p99_ms": float(ligne["99%"]),
            }
            for ligne in csv.DictReader(f)
        }


def bench_pdf(documents: int, repetitions: int) -> dict:
    """Pages par seconde pour `documents` grilles, avec 1 puis 2 processus : médiane de `repetitions` rendus,
    la charge de la machine (moyenne sur 1 min) notée avant chaque série."""
    resultats = {}
    for workers in (1, 2):
        charge = round(os.getloadavg()[0], 2)
        mesures = [
            json.loads(
                manage(
                    "bench_pdf",
                    "--session",
                    str(SESSION),
                    "--documents",
                    str(documents),
                    "--workers",
                    str(workers),
                    capture=True,
                )
                .strip()
                .splitlines()[-1]
            )
            for _ in range(repetitions)
        ]
        resultats[f"{workers}_worker{'s' if workers > 1 else ''}"] = {
            "documents": mesures[0]["documents"],
            "pages": mesures[0]["pages"],
            "workers": workers,
            "pages_par_seconde": statistics.median(m["pages_par_seconde"] for m in mesures),
            "pages_par_seconde_par_execution": [m["pages_par_seconde"] for m in mesures],
            "charge_avant": charge,
        }
    return resultats


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--candidats", type=int, default=25000)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--duree-web", type=int, default=60)
    parser.add_argument("--utilisateurs", type=int, default=50)
    parser.add_argument("--seulement", nargs="*", default=["deliberation", "recalcul", "imports", "pfmp", "web", "pdf"])
    args = parser.parse_args()
    debut = time.monotonic()
    preparer(args.candidats)
    resultats = {
        "machine": {
            "processeurs": os.cpu_count(),
            "systeme": platform.platform(),
            "python": platform.python_version(),
            "postgresql": subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip(),
            "charge_au_debut": [round(x, 2) for x in os.getloadavg()],  # 1, 5, 15 min : la machine était-elle libre ?
            "etalon_cpu_ms": etalon_cpu(),
        },
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    if "deliberation" in args.seulement:
        resultats["deliberation"] = bench_deliberation(args.repetitions)
        print("délibération", resultats["deliberation"], flush=True)
    if "recalcul" in args.seulement:
        resultats["recalcul"] = bench_recalcul(args.repetitions)
        print("recalcul", resultats["recalcul"], flush=True)
    if "imports" in args.seulement:
        resultats["imports"] = bench_imports(args.repetitions, args.candidats)
        print("imports", resultats["imports"], flush=True)
    if "pfmp" in args.seulement:
        resultats["pfmp"] = bench_pfmp(args.repetitions)
        print("pfmp", resultats["pfmp"], flush=True)
    if "web" in args.seulement and shutil.which(str(RACINE / ".venv" / "bin" / "locust")):
        resultats["web"] = bench_web(args.duree_web, args.utilisateurs, args.repetitions)
        print("web", json.dumps(resultats["web"], ensure_ascii=False), flush=True)
    if "pdf" in args.seulement:
        resultats["pdf"] = bench_pdf(200, args.repetitions)
        print("pdf", resultats["pdf"], flush=True)
    resultats["duree_totale_s"] = round(time.monotonic() - debut)
    # Une partie relancée seule (--seulement) remplace la sienne et garde les autres, chacune avec sa date.
    fichier = RACINE / "bench" / "resultats.json"
    anciens = json.loads(fichier.read_text()) if fichier.exists() else {}
    for partie in ("deliberation", "recalcul", "imports", "pfmp", "web", "pdf"):
        if partie in resultats:
            resultats[partie]["date"] = resultats["date"]
        elif partie in anciens:
            resultats[partie] = anciens[partie]
    fichier.write_text(json.dumps(resultats, ensure_ascii=False, indent=1) + "\n")
    afficher(resultats)


def afficher(r: dict) -> None:
    lignes = [("mesure", "valeur", "cible")]
    if "etalon_cpu_ms" in r.get("machine", {}):
        lignes.append(("étalon processeur (calcul Python fixe)", f"{r['machine']['etalon_cpu_ms']} ms", ""))
    if d := r.get("deliberation"):
        lignes += [
            (f"délibération de {d['candidats']} candidats (médiane)", f"{d['secondes_mediane']} s", "< 10 s"),
            ("  requêtes SQL", ", ".join(map(str, d["requetes"])), "constant"),
            ("  mémoire de pointe du processus", f"{d['memoire_pointe_mo']} Mo", "< 500 Mo"),
            ("  référence SQL brut (GROUP BY)", f"{d['sql_brut_secondes_mediane']} s", ""),
            ("  rapport moteur / SQL brut", f"{d['ratio_moteur_sql_brut']}", ""),
        ]
    if rc := r.get("recalcul"):
        lignes += [
            ("recalcul d'un candidat dans une écriture (médiane)", f"{rc['recalcul_ms_mediane']} ms", "< 5 ms"),
            ("  plancher : lire ses notes et sommer", f"{rc['plancher_ms_mediane']} ms", ""),
            ("  saisie complète d'une note (recalcul compris)", f"{rc['saisie_complete_ms_mediane']} ms", ""),
        ]
    if i := r.get("imports"):
        lignes += [
            (f"import de {i['lignes_candidats']} candidats", f"{i['candidats_secondes_mediane']} s", "< 30 s"),
            (f"import de {i['lignes_notes']} notes", f"{i['notes_secondes_mediane']} s", "< 30 s"),
        ]
    if pf := r.get("pfmp"):
        lignes += [
            (
                f"conformité PFMP de {pf['candidats']} candidats (médiane)",
                f"{pf['conformite_secondes_mediane']} s",
                "< 3 s",
            ),
            ("  ancien chemin (objets de l'ORM, une mesure)", f"{pf['ancien_chemin_secondes']} s", ""),
            ("  contrôle des blocages de la session", f"{pf['synchronisation_secondes_mediane']} s", ""),
            ("  tableau PFMP national (résumé + 1re page)", f"{pf['national_ms_mediane']} ms", "< 300 ms"),
            ("  candidats à risque, page 2", f"{pf['national_a_risque_page_2_ms_mediane']} ms", "< 300 ms"),
            ("  bilan_pfmp --format json (processus complet)", f"{pf['bilan_json_secondes_mediane']} s", "< 5 s"),
            (
                "  bilan_pfmp --format json (sans le démarrage)",
                f"{pf['bilan_json_en_processus_secondes_mediane']} s",
                "",
            ),
        ]
    if w := r.get("web"):
        for nom, p in w["pages"].items():
            cible = "p95 < 100 ms" if nom.startswith("enregistrement") else "p95 < 150 ms"
            cible = "" if nom == "Aggregated" else cible
            lignes.append(
                (
                    f"web {nom}",
                    f"p50 {p['p50_ms']:.0f} / p95 {p['p95_ms']:.0f} / p99 {p['p99_ms']:.0f} ms, "
                    f"{p['erreurs']} erreur(s) sur {p['requetes']}",
                    cible + ", 0 erreur" if cible else "",
                )
            )
        if "connexion_ms_mediane" in w:
            lignes.append(("web connexion, une à la fois (PBKDF2)", f"{w['connexion_ms_mediane']} ms", ""))
        if "etalon_cpu_ms_par_execution" in w:
            etalons = " / ".join(map(str, w["etalon_cpu_ms_par_execution"]))
            lignes.append(("web étalon processeur avant chaque exécution", f"{etalons} ms", ""))
    if p := r.get("pdf"):
        for workers, m in p.items():
            if not isinstance(m, dict):  # la date
                continue
            lignes.append((f"PDF, {workers}", f"{m['pages_par_seconde']} pages/s ({m['pages']} pages)", "≥ 15 avec 2"))
    largeur = max(len(a) for a, _, _ in lignes)
    for a, b, c in lignes:
        print(f"{a:<{largeur}}  {b:<40} {c}")


if __name__ == "__main__":
    sys.exit(main())
