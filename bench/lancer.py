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
import threading
import time
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent
PY = str(RACINE / ".venv" / "bin" / "python")
PORT_PG = os.environ.get("PGPORT_AGORA", "55432")  # le PostgreSQL du projet (scripts/pg.sh lit la même variable)
BASE = f"postgresql://postgres@127.0.0.1:{PORT_PG}/agora_bench"
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
            PORT_PG,
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
            ["psql", "-h", "127.0.0.1", "-p", PORT_PG, "-U", "postgres", "-qc", "CREATE DATABASE agora_bench"],
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
from collections import defaultdict
from decimal import Decimal
from django.db import connection
from django.test.utils import CaptureQueriesContext
from examens import resultats, services
from examens.models import Session
session = Session.objects.select_related("reglement").get(annee={session})
coefficients = {{u.code: u.coefficient for u in resultats.reglement_de(session.reglement).unites if not u.facultative}}
def plancher():
    # Le plancher (issue #23) : une lecture psycopg des notes de la session et leurs sommes pondérées en Decimal.
    debut = time.perf_counter()
    with connection.cursor() as curseur:
        curseur.execute("SELECT candidat_id, unite, groupe, etat, valeur FROM examens_note WHERE candidat_id IN "
                        "(SELECT id FROM examens_candidat WHERE session_id = %s)", [session.pk])
        lignes = curseur.fetchall()
    points, total = defaultdict(Decimal), defaultdict(Decimal)
    for candidat, unite, groupe, etat, valeur in lignes:
        k = coefficients.get(unite)
        if k is not None and groupe == 1:
            total[candidat] += k
            if valeur is not None:
                points[candidat] += valeur * k
    return time.perf_counter() - debut
avant = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
planchers, durees = [], []
for _ in range(3):  # alternés dans le même processus : le plancher voit la même machine que le moteur
    planchers.append(plancher())
    debut = time.perf_counter()
    with CaptureQueriesContext(connection) as requetes:
        resultats_ = services.deliberer(session=session)
    durees.append(time.perf_counter() - debut)
pointe = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"secondes": sorted(durees)[1], "plancher_secondes": sorted(planchers)[1],
                  "requetes": len(requetes), "candidats": len(resultats_), "changes": resultats_.changes,
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
    """`deliberer` sur toute la session, à côté de son plancher mesuré dans le même processus (3 fois alternés,
    médiane) ; la requête SQL brute (GROUP BY) reste en référence. Chaque exécution note l'étalon processeur."""
    mesures, etalons = [], []
    for _ in range(repetitions):
        etalons.append(etalon_cpu())
        mesures.append(script(DELIBERATION.format(session=SESSION)))
    brut = [script(SQL_BRUT.format(session=SESSION)) for _ in range(repetitions)]
    mediane = statistics.median(m["secondes"] for m in mesures)
    plancher = statistics.median(m["plancher_secondes"] for m in mesures)
    mediane_sql = statistics.median(m["secondes"] for m in brut)
    return {
        "candidats": mesures[0]["candidats"],
        "secondes_mediane": round(mediane, 2),
        "secondes": [round(m["secondes"], 2) for m in mesures],
        "plancher_secondes_mediane": round(plancher, 3),
        "plancher_secondes": [round(m["plancher_secondes"], 3) for m in mesures],
        "ratio_plancher": round(mediane / plancher, 2),
        "resultats_changes": sorted({m["changes"] for m in mesures}),
        "requetes": sorted({m["requetes"] for m in mesures}),
        "memoire_pointe_mo": round(statistics.median(m["memoire_pointe_mo"] for m in mesures), 1),
        "sql_brut_secondes_mediane": round(mediane_sql, 3),
        "ratio_moteur_sql_brut": round(mediane / mediane_sql, 1),
        "etalon_cpu_ms": etalons,
        "charge_avant": round(os.getloadavg()[0], 2),
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


TABLEAU_DE_BORD = """
import django, json
django.setup()
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from bench.mesure_page import mesurer_page
from agora.roles import ADMINISTRATEUR, creer_roles
settings.ALLOWED_HOSTS.append("testserver")
mesures = {{}}
with transaction.atomic():
    admin = User.objects.create_user("bench-bord-admin")
    admin.groups.add(creer_roles()[ADMINISTRATEUR])
    client = Client()
    client.force_login(admin)
    for cle, url in (("tableau_de_bord", "/examens/sessions/{session}/"), ("accueil", "/")):
        mesures[cle] = mesurer_page(client, url)
    transaction.set_rollback(True)
print(json.dumps(mesures))
"""


def bench_tableau_de_bord(repetitions: int) -> dict:
    """Tableau de bord de la session entière et page d'accueil, vus par un administrateur (client de test, sans
    réseau) : médiane de 7 affichages par exécution, requêtes, et le plancher (les mêmes SELECT rejoués nus)."""
    mesures, etalons = [], []
    for _ in range(repetitions):
        etalons.append(etalon_cpu())
        mesures.append(script(TABLEAU_DE_BORD.format(session=SESSION)))
    sortie = {"etalon_cpu_ms": etalons, "charge_avant": round(os.getloadavg()[0], 2)}
    for page in ("tableau_de_bord", "accueil"):
        sortie[page] = {
            "ms_mediane": round(statistics.median(m[page]["ms"] for m in mesures), 1),
            "ms": [round(m[page]["ms"], 1) for m in mesures],
            "plancher_ms_mediane": round(statistics.median(m[page]["plancher_ms"] for m in mesures), 1),
            "requetes": sorted({m[page]["requetes"] for m in mesures}),
        }
    return sortie


PAGES_ACADEMIE = """
import django, json
django.setup()
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from bench.mesure_page import mesurer_page
from agora.roles import ACADEMIE, ADMINISTRATEUR, creer_roles
from examens.models import Academie, Etablissement, EtablissementJury, Jury, Session
settings.ALLOWED_HOSTS.append("testserver")
session = Session.objects.get(annee={session})
mesures = {{}}
with transaction.atomic():
    # Une académie qui couvre toute la session générée (le cas le plus lourd d'un gestionnaire académique) et
    # {jurys} jurys qui s'en partagent les établissements ; tout est annulé à la fin.
    roles = creer_roles()
    academie = Academie.objects.create(code="BENCH", nom="Banc d'essai")
    etablissements = list(Etablissement.objects.filter(candidats__session=session).distinct().order_by("pk")
                          .values_list("pk", flat=True))
    Etablissement.objects.filter(pk__in=etablissements).update(academie=academie)
    for i in range({jurys}):
        jury = Jury.objects.create(session=session, nom=f"Banc {{i + 1:02d}}")
        EtablissementJury.objects.bulk_create(EtablissementJury(jury=jury, etablissement_id=e, session=session)
                                              for e in etablissements[i::{jurys}])
    jury = Jury.objects.filter(session=session).order_by("nom").first()
    clients = {{}}
    for role in (ACADEMIE, ADMINISTRATEUR):
        utilisateur = User.objects.create_user(f"bench-academie-{{role}}")
        utilisateur.groups.add(roles[role])
        if role == ACADEMIE:
            academie.gestionnaires.add(utilisateur)
        clients[role] = Client()
        clients[role].force_login(utilisateur)
    pv = "/examens/sessions/{session}/proces-verbal/"
    pages = (
        ("pv_session_academie", ACADEMIE, pv),
        ("pv_session_page_50_academie", ACADEMIE, pv + "?page=50"),
        ("pv_jury_academie", ACADEMIE, pv + f"?jury={{jury.pk}}"),
        ("pv_session_administrateur", ADMINISTRATEUR, pv),
        ("commissions_academie", ACADEMIE, "/examens/grilles/commissions/"),
        ("commissions_administrateur", ADMINISTRATEUR, "/examens/grilles/commissions/"),
    )
    for cle, role, url in pages:
        client = clients[role]
        mesures[cle] = mesurer_page(client, url)
    mesures["candidats_par_jury"] = round(session.candidats.count() / {jurys})
    transaction.set_rollback(True)
print(json.dumps(mesures))
"""

PAGES_ACADEMIE_LIBELLES = {
    "pv_session_academie": "procès-verbal de toute la session, 1re page (gestionnaire académique)",
    "pv_session_page_50_academie": "procès-verbal de toute la session, page 50",
    "pv_jury_academie": "procès-verbal d'un jury, 1re page",
    "pv_session_administrateur": "procès-verbal de toute la session, 1re page (administrateur)",
    "commissions_academie": "liste des commissions, 1re page (gestionnaire académique)",
    "commissions_administrateur": "liste des commissions, 1re page (administrateur)",
}


def bench_pages_academie(repetitions: int, jurys: int = 30) -> dict:
    """Pages d'une session entière pour l'académie (issue #23, cible 5 : < 300 ms) : procès-verbal (toute la
    session, une page lointaine, un jury) et liste des commissions, vus par un gestionnaire académique dont
    l'académie couvre toute la session et par un administrateur ; client de test dans un processus chauffé,
    médiane de 7 affichages par exécution, requêtes, octets, et le plancher (ses SELECT rejoués nus)."""
    mesures, etalons = [], []
    for _ in range(repetitions):
        etalons.append(etalon_cpu())
        mesures.append(script(PAGES_ACADEMIE.format(session=SESSION, jurys=jurys)))
    sortie = {
        "etalon_cpu_ms": etalons,
        "charge_avant": round(os.getloadavg()[0], 2),
        "jurys": jurys,
        "candidats_par_jury": mesures[0]["candidats_par_jury"],
        "pages": {},
    }
    for page in PAGES_ACADEMIE_LIBELLES:
        sortie["pages"][page] = {
            "ms_mediane": round(statistics.median(m[page]["ms"] for m in mesures), 1),
            "ms": [round(m[page]["ms"], 1) for m in mesures],
            "plancher_ms_mediane": round(statistics.median(m[page]["plancher_ms"] for m in mesures), 1),
            "requetes": sorted({m[page]["requetes"] for m in mesures}),
            "octets": mesures[0][page]["octets"],
        }
    return sortie


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


def etalon_cpu(repetitions: int = 5, horloge=time.perf_counter) -> float:
    """Vitesse du processeur à cet instant : ms (médiane) d'un calcul Python fixe. Ces machines virtuelles
    partagent leur hôte ; d'une heure à l'autre le même code y va jusqu'à 1,5 fois moins vite. Noté à côté de
    chaque mesure, il dit si un écart vient du code ou de la machine. `horloge=time.process_time` pour le
    comparer à des temps processeur (bench/profiler_pages.py)."""
    durees = []
    for _ in range(repetitions):
        debut = horloge()
        total = 0
        for i in range(1_000_000):
            total += i * i % 7
        durees.append((horloge() - debut) * 1000)
    return round(statistics.median(durees))


class Client:
    """Un navigateur minimal en bibliothèque standard (ni requests ni locust dans l'environnement du banc) : une
    connexion HTTP gardée ouverte par nœud, les cookies (tous les nœuds partagent l'hôte 127.0.0.1, donc les cookies),
    le formulaire multipart d'un téléversement."""

    def __init__(self, cookies: dict | None = None):
        self.cookies = dict(cookies or {})
        self.connexions = {}

    def requete(self, methode: str, url: str, donnees: dict | None = None, fichier=None, entetes=None):
        import http.client
        import urllib.parse
        import uuid

        adresse = urllib.parse.urlsplit(url)
        cle = adresse.netloc
        entetes = dict(entetes or {})
        corps = None
        if fichier is not None:
            frontiere = uuid.uuid4().hex
            parties = [
                f'--{frontiere}\r\nContent-Disposition: form-data; name="{nom}"\r\n\r\n{valeur}\r\n'.encode()
                for nom, valeur in (donnees or {}).items()
            ]
            champ, nom_fichier, contenu, type_ = fichier
            parties.append(
                f'--{frontiere}\r\nContent-Disposition: form-data; name="{champ}"; filename="{nom_fichier}"\r\n'
                f"Content-Type: {type_}\r\n\r\n".encode()
                + contenu
                + b"\r\n"
            )
            corps = b"".join(parties) + f"--{frontiere}--\r\n".encode()
            entetes["Content-Type"] = f"multipart/form-data; boundary={frontiere}"
        elif donnees is not None:
            corps = urllib.parse.urlencode(donnees).encode()
            entetes["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            entetes["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        chemin = adresse.path + (f"?{adresse.query}" if adresse.query else "")
        for essai in range(2):  # une connexion gardée ouverte que le serveur a fermée : on la rouvre une fois
            connexion = self.connexions.get(cle) or http.client.HTTPConnection(cle, timeout=60)
            self.connexions[cle] = connexion
            try:
                connexion.request(methode, chemin, body=corps, headers=entetes)
                reponse = connexion.getresponse()
                contenu = reponse.read()
                break
            except (http.client.HTTPException, OSError):
                connexion.close()
                self.connexions.pop(cle, None)
                if essai:
                    raise
        for entete, valeur in reponse.getheaders():
            if entete.lower() == "set-cookie":
                nom, _, reste = valeur.partition("=")
                self.cookies[nom.strip()] = reste.split(";", 1)[0]
        return reponse.status, dict(reponse.getheaders()), contenu.decode("utf-8", "replace")


def charge_tourniquet(hotes: list[str], cible: dict, utilisateurs: int, duree: int) -> dict:
    """La charge de bench/locustfile.py sans locust : `utilisateurs` fils d'exécution (un enseignant sur deux, qui tient
    sa grille ; l'autre gestionnaire), mêmes pages et mêmes poids, pause de 0,5 à 1,5 s, et chaque requête sur le
    nœud suivant du tourniquet. Montée en charge sur 5 s, non comptée. Par page et par nœud : nombre, erreurs, p50,
    p95, p99, requêtes par seconde."""
    import random
    import re
    import threading

    annee, division = cible["annee"], cible["division"]
    temps: dict[tuple[str, int], list[float]] = {}
    erreurs: dict[tuple[str, int], int] = {}
    verrou = threading.Lock()
    debut_mesure = time.monotonic() + 5
    fin = debut_mesure + duree
    taches = ["liste"] * 3 + ["grille"] * 3 + ["enregistrement"] * 6 + ["deliberation"] * 2 + ["saisie"] * 2

    def utilisateur(rang: int) -> None:
        hasard = random.Random(rang)
        time.sleep(rang * 5 / utilisateurs)
        enseignant = rang % 2 == 0
        client = Client({"sessionid": cible["sessions"][rang % len(cible["sessions"])]})
        candidat = cible["candidats"][rang % len(cible["candidats"])]
        grille = f"/examens/grilles/commissions/{cible['commission']}/candidats/{candidat}/situations/1/"
        tour = iter(range(rang % 2, 10**9))
        version = None

        def page(nom: str, methode: str, chemin: str, **options):
            n = next(tour) % len(hotes)
            debut = time.perf_counter()
            try:
                statut, _, texte = client.requete(methode, hotes[n] + chemin, **options)
            except OSError:
                statut, texte = 0, ""
            duree_ms = (time.perf_counter() - debut) * 1000
            if time.monotonic() >= debut_mesure:
                with verrou:
                    temps.setdefault((nom, n + 1), []).append(duree_ms)
                    if statut != 200:
                        erreurs[(nom, n + 1)] = erreurs.get((nom, n + 1), 0) + 1
            return texte if statut == 200 else None

        while time.monotonic() < fin:
            tache = hasard.choice(taches)
            if tache == "liste":
                page(
                    "liste des candidats d'une division",
                    "GET",
                    f"/examens/sessions/{annee}/candidats/?division={division}",
                )
            elif tache in ("grille", "enregistrement") and enseignant:
                if tache == "grille" or version is None:
                    texte = page("page de grille", "GET", grille)
                    trouve = re.search(r'data-version="(\d+)"', texte or "")
                    version = int(trouve.group(1)) if trouve else None
                if tache == "enregistrement" and version is not None:
                    texte = page(
                        "enregistrement automatique de grille",
                        "POST",
                        grille + "enregistrer/",
                        donnees={
                            "version": version,
                            "champ": "niveau",
                            "cle": hasard.choice(cible["lignes"]),
                            "valeur": hasard.choice(cible["niveaux"]),
                        },
                        entetes={"X-CSRFToken": client.cookies.get("csrftoken", "")},
                    )
                    version = json.loads(texte)["version"] if texte else None
            elif tache == "deliberation" and not enseignant:
                page(
                    "délibération d'une division", "GET", f"/examens/sessions/{annee}/deliberation/?division={division}"
                )
            elif tache == "saisie" and not enseignant:
                page(
                    "tableau de saisie des notes ponctuelles",
                    "GET",
                    f"/examens/sessions/{annee}/notes/U51/?division={division}",
                )
            time.sleep(hasard.uniform(0.5, 1.5))

    fils = [threading.Thread(target=utilisateur, args=(rang,)) for rang in range(utilisateurs)]
    for f in fils:
        f.start()
    for f in fils:
        f.join()

    def centile(valeurs: list[float], p: float) -> float:
        valeurs = sorted(valeurs)
        return round(valeurs[min(len(valeurs) - 1, int(p * len(valeurs)))], 1) if valeurs else 0.0

    pages: dict[str, tuple[list[float], int]] = {}
    agreges: dict[str, tuple[list[float], int]] = {}
    for (nom, noeud), valeurs in sorted(temps.items()):
        suffixe = "" if len(hotes) == 1 else f" (nœud {noeud})"
        nombre_erreurs = erreurs.get((nom, noeud), 0)
        pages[nom + suffixe] = (valeurs, nombre_erreurs)
        cumul, cumul_erreurs = agreges.get("Aggregated" + suffixe, ([], 0))
        agreges["Aggregated" + suffixe] = (cumul + valeurs, cumul_erreurs + nombre_erreurs)
    pages.update(agreges)
    return {
        cle: {
            "requetes": len(valeurs),
            "erreurs": nombre_erreurs,
            "p50_ms": centile(valeurs, 0.50),
            "p95_ms": centile(valeurs, 0.95),
            "p99_ms": centile(valeurs, 0.99),
            "requetes_par_seconde": round(len(valeurs) / duree, 1),
        }
        for cle, (valeurs, nombre_erreurs) in pages.items()
    }


def mesurer_connexions(hote: str, cible: dict, nombre: int = 5) -> float:
    """Connexions une à une (page, puis POST du formulaire) : ms, médiane. Hors de la charge."""
    import re

    durees = []
    for _ in range(nombre):
        client = Client()
        debut = time.perf_counter()
        _, _, page = client.requete("GET", f"{hote}/connexion/")
        jeton = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        statut, _, _ = client.requete(
            "POST",
            f"{hote}/connexion/",
            {"username": cible["gestionnaire"], "password": cible["mot_de_passe"], "csrfmiddlewaretoken": jeton},
        )
        durees.append((time.perf_counter() - debut) * 1000)
        if statut != 302:
            raise RuntimeError(f"connexion refusée ({statut})")
    return round(statistics.median(durees))


def parcours_import(hotes: list[str], cible: dict) -> dict:
    """Import de notes par l'interface, d'un nœud à l'autre : connexion et aperçu sur le nœud 1, confirmation sur le
    nœud 2, page de la session (et son message) sur le nœud 1, puis un second clic sur « Confirmer » au nœud 1, qui
    doit être refusé proprement. Rien n'est sur le disque d'un nœud : session, aperçu et message passent par la base
    (ou le cookie). Renvoie chaque étape, le nœud qui l'a servie, son statut et sa durée."""
    import re

    premier, second = hotes[0], hotes[-1]
    annee = cible["annee"]
    etapes: dict = {}
    client = Client()

    def jeton_csrf(texte: str) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', texte).group(1)

    def etape(nom: str, hote: str, methode: str, chemin: str, **options):
        debut = time.perf_counter()
        statut, entetes, texte = client.requete(methode, hote + chemin, **options)
        etapes[nom] = {
            "noeud": hotes.index(hote) + 1,
            "statut": statut,
            "ms": round((time.perf_counter() - debut) * 1000),
            "vers": entetes.get("Location", ""),
        }
        return texte

    page = etape("page de connexion", premier, "GET", "/connexion/")
    etape(
        "connexion",
        premier,
        "POST",
        "/connexion/",
        donnees={
            "username": cible["gestionnaire"],
            "password": cible["mot_de_passe"],
            "csrfmiddlewaretoken": jeton_csrf(page),
        },
    )
    formulaire = etape("formulaire d'import", second, "GET", f"/examens/sessions/{annee}/importer/")
    contenu = "numero_candidat;unite;note\n" + "".join(
        f"{numero};U51;{10 + i % 7},5\n" for i, numero in enumerate(cible["numeros"][:5])
    )
    apercu = etape(
        "aperçu",
        premier,
        "POST",
        f"/examens/sessions/{annee}/importer/",
        donnees={"type": "notes", "csrfmiddlewaretoken": jeton_csrf(formulaire)},
        fichier=("fichier", "notes-banc.csv", contenu.encode(), "text/csv"),
    )
    trouve = re.search(r"/importer/([0-9a-f]{32})/confirmer/", apercu)
    if trouve is None:
        etapes["erreur"] = "pas d'aperçu : " + re.sub(r"\s+", " ", apercu)[-300:]
        etapes["reussi"] = False
        return etapes
    confirmer = f"/examens/sessions/{annee}/importer/{trouve.group(1)}/confirmer/"
    csrf = jeton_csrf(apercu)
    etape("confirmation", second, "POST", confirmer, donnees={"csrfmiddlewaretoken": csrf})
    session = etape("page de la session", premier, "GET", f"/examens/sessions/{annee}/")
    etapes["page de la session"]["message"] = "Import de notes-banc.csv terminé" in session
    etape("second clic", premier, "POST", confirmer, donnees={"csrfmiddlewaretoken": csrf})
    etapes["reussi"] = (
        etapes["connexion"]["statut"] == 302
        and etapes["aperçu"]["statut"] == 200
        and etapes["confirmation"]["statut"] == 302
        and etapes["confirmation"]["vers"].endswith(f"/sessions/{annee}/")
        and etapes["page de la session"]["message"]
        and etapes["second clic"]["vers"].endswith("/importer/")
    )
    return etapes


def preparer_web(env: dict, utilisateurs: int) -> str:
    """Comptes, commission et candidats du banc web (bench/preparer_web.py) : la cible en JSON, sa dernière ligne."""
    sortie = subprocess.run(
        [PY, "bench/preparer_web.py"],
        cwd=RACINE,
        env={**env, "BENCH_SESSION": str(SESSION), "BENCH_UTILISATEURS": str(utilisateurs)},
        check=True,
        text=True,
        stdout=subprocess.PIPE,
    )
    return sortie.stdout.strip().splitlines()[-1]


def processeur_par_groupe() -> dict[str, int]:
    """Temps processeur cumulé (utilisateur + système, en tops d'horloge) des processus vivants, par groupe : les
    workers gunicorn, PostgreSQL, locust, le reste. Deux relevés encadrent une mesure ; un processus né ou mort
    entre les deux n'y est compté que pour sa part visible (les workers et les connexions durent toute la charge)."""
    groupes: dict[str, int] = {}
    for dossier in Path("/proc").iterdir():
        if not dossier.name.isdigit():
            continue
        try:
            stat = (dossier / "stat").read_text()
            commande = (dossier / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        nom, champs = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
        groupe = (
            "workers"
            if "gunicorn" in commande
            else "postgresql"
            if nom.startswith("postgres") or "postgres:" in commande
            else "locust"
            if "locust" in commande
            else "autres"
        )
        groupes[groupe] = groupes.get(groupe, 0) + int(champs[11]) + int(champs[12])  # utime + stime
    return groupes


def _releve_pendant(duree_s: float, attente_s: float, releves: list) -> None:
    """Deux relevés de processeur_par_groupe, à attente_s puis attente_s + duree_s (dans un fil, pendant locust)."""
    time.sleep(attente_s)
    releves.append((time.monotonic(), processeur_par_groupe()))
    time.sleep(duree_s)
    releves.append((time.monotonic(), processeur_par_groupe()))


def _charge_locust(classe: str, hotes: list[str], prefixe: Path, duree: int, utilisateurs: int, env: dict) -> tuple:
    """Une exécution de locust sans interface contre `hotes` : (mesures par page de lire_locust, processeur par
    requête de chaque groupe de processus pendant la charge établie, en ms — {} si le relevé a manqué)."""
    # Le processeur de chaque groupe pendant la charge établie (après la montée de 5 s, avant la fin) : où passe
    # le temps de la machine par requête, et la capacité des 2 cœurs qu'il laisse attendre.
    releves = []
    fil = threading.Thread(target=_releve_pendant, args=(max(duree - 12, 1), 8, releves), daemon=True)
    fil.start()
    subprocess.run(
        [
            str(RACINE / ".venv" / "bin" / "locust"),
            "-f",
            str(RACINE / "bench" / "locustfile.py"),
            classe,
            "--headless",
            "-u",
            str(utilisateurs),
            "-r",
            "10",  # 5 s de montée en charge, qui chauffe aussi les workers (gabarits compilés)…
            "--reset-stats",  # … puis on ne mesure que la charge établie
            "-t",
            f"{duree}s",
            "--host",
            hotes[0],
            "--csv",
            str(prefixe),
            "--only-summary",
            "--stop-timeout",
            "5",
        ],
        cwd=RACINE,
        env={**env, "BENCH_HOTES": ",".join(hotes) if len(hotes) > 1 else ""},
        check=False,
        timeout=duree + 120,
    )
    mesures = lire_locust(f"{prefixe}_stats.csv")
    fil.join()
    debit = sum(m["requetes_par_seconde"] for nom, m in mesures.items() if nom != "Aggregated")
    if len(releves) != 2 or not debit:
        return mesures, {}
    (t0, avant), (t1, apres) = releves
    tops = os.sysconf("SC_CLK_TCK")
    return mesures, {
        g: round((apres.get(g, 0) - avant.get(g, 0)) * 1000 / tops / ((t1 - t0) * debit), 2) for g in sorted(apres)
    }


def _synthese(executions: list[dict], processeur: list[dict], duree: int) -> dict:
    """Par page, la médiane des exécutions (débit, p50/p95/p99) et le p95 de chacune ; le processeur par requête
    de chaque groupe et de la machine, et la capacité des cœurs à saturation qu'il implique."""
    pages = {}
    for nom in executions[0]:
        mesures = [e[nom] for e in executions if nom in e]
        pages[nom] = {
            "requetes": sum(m["requetes"] for m in mesures),
            "erreurs": sum(m["erreurs"] for m in mesures),
            "requetes_par_seconde": round(
                statistics.median(m.get("requetes_par_seconde", m["requetes"] / duree) for m in mesures), 1
            ),
            **{c: statistics.median(m[c] for m in mesures) for c in ("p50_ms", "p95_ms", "p99_ms")},
            "p95_par_execution_ms": [m["p95_ms"] for m in mesures],
        }
    resultat = {"pages": pages}
    if processeur and all(processeur):
        groupes = sorted({g for p in processeur for g in p})
        par_groupe = {g: round(statistics.median(p.get(g, 0) for p in processeur), 2) for g in groupes}
        machine = round(statistics.median(sum(p.values()) for p in processeur), 2)
        resultat["processeur_par_requete_ms"] = {**par_groupe, "machine": machine}
        resultat["processeur_par_requete_ms_par_execution"] = processeur
        # Ce que les cœurs tiendraient s'ils ne faisaient que ce travail-là, à saturation : pas une mesure de
        # débit, l'ordre de grandeur qui dit si une cible de débit est à portée de cette machine.
        resultat["capacite_a_saturation_req_s"] = round((os.cpu_count() or 1) * 1000 / machine, 1) if machine else None
        # Le serveur (workers et PostgreSQL) en « requêtes de locust » : locust fait le même travail par requête
        # quelle que soit l'application, et son coût suit la vitesse du moment de la machine (l'étalon varie du
        # simple au double d'une heure à l'autre). Ce rapport compare deux exécutions à des heures différentes.
        rapports = [(p.get("workers", 0) + p.get("postgresql", 0)) / p["locust"] for p in processeur if p.get("locust")]
        resultat["serveur_en_requetes_locust"] = round(statistics.median(rapports), 2) if rapports else None
    return resultat


# Les planchers de la partie `enregistrement` (bench/plancher_enregistrement.py) : (module WSGI, réglages Django).
PLANCHERS_ENREGISTREMENT = {
    "plancher Django (nos intergiciels, les mêmes écritures en SQL)": ("agora.wsgi", "bench.plancher_django"),
    "plancher nu (WSGI et psycopg, les mêmes écritures)": ("bench.plancher_enregistrement:application", None),
}


def bench_web(duree: int, utilisateurs: int, repetitions: int, noeuds: int = 1, classe: str = "Utilisateur") -> dict:
    """gunicorn sur 127.0.0.1 et locust sans interface, borné en durée, plusieurs fois de suite ; pour chaque page,
    la médiane des p50/p95/p99 des exécutions (et le p95 de chacune), le total des requêtes et des erreurs.

    `noeuds` = 2 : deux gunicorn sur deux ports (les workers partagés entre eux), chaque utilisateur simulé passe de
    l'un à l'autre à chaque requête et chaque page est comptée par nœud ; avant la charge, un import de notes
    traverse les deux nœuds (aperçu sur l'un, confirmation sur l'autre : `parcours_import`).

    `classe` : l'utilisateur simulé de bench/locustfile.py ; `Enregistreur` (partie `enregistrement`) ne fait que
    l'enregistrement automatique, chacun sa grille, et demande deux sessions par utilisateur. Chaque exécution est
    suivie, à la même charge, de celle des deux planchers (PLANCHERS_ENREGISTREMENT), chacun son gunicorn et le même
    nombre de workers : la même machine, le même générateur de charge, le même travail en base fait simplement."""
    ports = [8310 + i for i in range(noeuds)]
    workers = int(os.environ.get("BENCH_WORKERS", 2 * (os.cpu_count() or 2) + 1))
    par_noeud = max(2, workers // noeuds)
    env = {
        **ENV,
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "COOKIES_HTTPS": "0",
    }
    manage("collectstatic", "--noinput", "-v", "0", env=env)
    cible = preparer_web(env, utilisateurs * (2 if classe == "Enregistreur" else 1))
    if classe == "Enregistreur" and len(json.loads(cible)["candidats"]) < utilisateurs:
        # Deux enseignants simulés sur la même grille se feraient des conflits de version (409), pas une mesure.
        raise SystemExit("Pas assez de candidats en CCF dans la commission du banc : un par enseignant simulé.")
    env["BENCH_CIBLE"] = cible
    hotes = [f"http://127.0.0.1:{port}" for port in ports]
    planchers = PLANCHERS_ENREGISTREMENT if classe == "Enregistreur" else {}
    lancements = [("agora.wsgi", None, port) for port in ports] + [
        (module, reglages, 8320 + 10 * i) for i, (module, reglages) in enumerate(planchers.values())
    ]

    def gunicorn(module, reglages, port):
        env_serveur = {**env, "DJANGO_SETTINGS_MODULE": reglages} if reglages else env
        commande = [str(RACINE / ".venv" / "bin" / "gunicorn"), module, "--bind", f"127.0.0.1:{port}"]
        commande += ["--workers", str(par_noeud), "--log-level", "warning"]
        return subprocess.Popen(commande, cwd=RACINE, env=env_serveur)

    serveurs = [gunicorn(*lancement) for lancement in lancements]
    executions = []
    processeur = []  # par exécution : ms de processeur par requête, par groupe de processus
    des_planchers = {nom: ([], []) for nom in planchers}  # (exécutions, processeur) de chaque plancher
    parcours = None
    try:
        time.sleep(3)
        connexion = mesurer_connexions(hotes[0], json.loads(cible))
        if noeuds > 1:
            parcours = parcours_import(hotes, json.loads(cible))
        etalons = []
        for n in range(repetitions):
            etalons.append(etalon_cpu())
            if not shutil.which(str(RACINE / ".venv" / "bin" / "locust")) and classe == "Utilisateur":
                executions.append(charge_tourniquet(hotes, json.loads(cible), utilisateurs, duree))
                continue
            prefixe = RACINE / ".local" / "bench" / f"locust-{classe}-{noeuds}-{n + 1}"
            mesures, cpu = _charge_locust(classe, hotes, prefixe, duree, utilisateurs, env)
            executions.append(mesures)
            processeur.append(cpu)
            # Les planchers après l'application : leurs grilles sont celles que l'application vient d'écrire.
            for i, nom in enumerate(planchers):
                hote = f"http://127.0.0.1:{8320 + 10 * i}"
                mesures, cpu = _charge_locust(
                    classe, [hote], Path(f"{prefixe}-plancher{i + 1}"), duree, utilisateurs, env
                )
                des_planchers[nom][0].append(mesures)
                des_planchers[nom][1].append(cpu)
    finally:
        for serveur in serveurs:
            serveur.terminate()
        for serveur in serveurs:
            serveur.wait(timeout=30)
    synthese = _synthese(executions, processeur, duree)
    resultat = {
        "noeuds": noeuds,
        "utilisateurs": utilisateurs,
        "utilisateur_simule": classe,
        "duree_s": duree,
        "executions": repetitions,
        "workers_gunicorn": par_noeud * noeuds,
        "workers_par_noeud": par_noeud,
        "taille_division": json.loads(cible)["taille_division"],
        "connexion_ms_mediane": connexion,
        "etalon_cpu_ms_par_execution": etalons,
        "charge_avant": round(os.getloadavg()[0], 2),
        "charge": "locust" if shutil.which(str(RACINE / ".venv" / "bin" / "locust")) else "tourniquet (fils Python)",
        **synthese,
    }
    if planchers:
        resultat["planchers"] = {nom: _synthese(e, p, duree) for nom, (e, p) in des_planchers.items()}
    if parcours is not None:
        resultat["parcours_import"] = parcours
    return resultat


def bench_pages_cpu(utilisateurs: int = 4) -> dict:
    """Processeur du serveur par page (issue #23, cible 3 : ≤ 10 ms médiane) : bench/profiler_pages.py rejoue les
    cinq pages du banc de charge et l'enregistrement automatique dans un seul processus chauffé (client de test de
    Django, sans réseau), à tour de rôle (une requête de chaque page par tour, trente tours), trois fois ; par page,
    la médiane des médianes de temps processeur, et ses requêtes SQL."""
    env = {**ENV, "DEBUG": "0", "SECRET_KEY": "bench-" + "x" * 50, "SECURE_SSL_REDIRECT": "0", "COOKIES_HTTPS": "0"}
    cible = preparer_web(env, utilisateurs)
    executions = []
    for _ in range(3):
        sortie = subprocess.run(
            [PY, "bench/profiler_pages.py", cible], cwd=RACINE, env=env, check=True, text=True, stdout=subprocess.PIPE
        )
        executions.append(json.loads(sortie.stdout.strip().splitlines()[-1]))
    pages = {}
    for nom in executions[0]["pages"]:
        mesures = [e["pages"][nom] for e in executions]
        pages[nom] = {
            "cpu_ms_mediane": round(statistics.median(m["cpu_ms_mediane"] for m in mesures), 1),
            "cpu_ms_par_execution": [m["cpu_ms_mediane"] for m in mesures],
            "requetes_sql": mesures[0]["requetes_sql"],
        }
    return {
        "pages": pages,
        "etalon_cpu_ms_par_execution": [e["etalon_cpu_ms"] for e in executions],
        "charge_par_execution": [e["charge"] for e in executions],
    }


def lire_locust(fichier: str) -> dict:
    import csv

    with open(fichier, encoding="utf-8") as f:
        return {
            ligne["Name"]: {
                "requetes": int(ligne["Request Count"]),
                "erreurs": int(ligne["Failure Count"]),
                # Le débit que calcule locust : les requêtes sur la durée mesurée (après --reset-stats, donc sans
                # la montée en charge), pas sur toute la durée de l'exécution.
                "requetes_par_seconde": float(ligne["Requests/s"]),
                "p50_ms": float(ligne["50%"]),
                "p95_ms": float(ligne["95%"]),
                "p99_ms": float(ligne["99%"]),
            }
            for ligne in csv.DictReader(f)
        }


def bench_pdf(documents: int, repetitions: int) -> dict:
    """Pages par seconde pour `documents` grilles, avec 1 puis 2 processus : médiane de `repetitions` rendus,
    la charge de la machine (moyenne sur 1 min) notée avant chaque série. Chaque exécution mesure aussi, sur le
    même HTML produit d'avance, le plancher de l'issue #23 (un groupe multiprocessing nu qui n'appelle que
    WeasyPrint) et ce plancher avec notre réglage du ramasse-miettes ; l'ordre alterne d'une exécution à l'autre."""
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
                    "--plancher",
                    *(["--plancher-d-abord"] if i % 2 else []),
                    capture=True,
                )
                .strip()
                .splitlines()[-1]
            )
            for i in range(repetitions)
        ]
        resultats[f"{workers}_worker{'s' if workers > 1 else ''}"] = {
            "documents": mesures[0]["documents"],
            "pages": mesures[0]["pages"],
            "workers": workers,
            "pages_par_seconde": statistics.median(m["pages_par_seconde"] for m in mesures),
            "pages_par_seconde_par_execution": [m["pages_par_seconde"] for m in mesures],
            "charge_avant": charge,
            **{
                f"{cle}_pages_par_seconde": statistics.median(m[f"{cle}_pages_par_seconde"] for m in mesures)
                for cle in ("plancher", "plancher_gc")
            },
            # Médiane des rapports de chaque exécution (nous et le plancher côte à côte, à la même charge).
            **{
                f"rapport_{cle}": statistics.median(m[f"rapport_{cle}"] for m in mesures)
                for cle in ("plancher", "plancher_gc")
            },
            "rapport_plancher_par_execution": [m["rapport_plancher"] for m in mesures],
        }
    return resultats


PV_MEMOIRE = """
import django, json, resource, time
django.setup()
from agora import pdf
from examens.documents import impression
from examens.models import Candidat, Session
pdf.mode_lots()  # comme un worker procrastinate (examens/tasks.py)
session = Session.objects.get(annee={session})
ids = list(Candidat.objects.de_session(session).filter(resultat__isnull=False).order_by("numero")
           .values_list("pk", flat=True)[:{lignes}])
perimetre = impression.PerimetrePV("bench", "banc d'essai", Candidat.objects.filter(pk__in=ids))
debut = time.perf_counter()
donnees = impression.donnees_pv(session, perimetre)
lecture = time.perf_counter() - debut
avant = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
debut = time.perf_counter()
if "{mode}" == "parties":
    rendu = pdf.rendre_document("pv", donnees)  # le seul chemin de l'application (page, émission, workers)
else:
    rendu = pdf.rendre(pdf.GABARITS["pv"], {{"d": donnees}})  # l'ancien rendu : un seul document WeasyPrint
rendu_s = time.perf_counter() - debut
print(json.dumps({{"lignes_par_partie": pdf.PV_LIGNES_PAR_PARTIE,
                  "lignes": donnees["nombre"], "pages": rendu.pages, "octets": len(rendu.contenu),
                  "lecture_s": lecture, "rendu_s": rendu_s,
                  "memoire_avant_rendu_mo": avant / 1024,
                  "memoire_pointe_mo": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def bench_pv_memoire(repetitions: int, tailles: tuple[int, ...] = (2000, 8000)) -> dict:
    """Le procès-verbal de `tailles` lignes (les premiers candidats de la session, par numéro) rendu dans un
    processus neuf, comme un worker : mémoire de pointe du processus (ru_maxrss) et durée, médianes de
    `repetitions` ; par parties (agora.pdf.rendre_pv) à chaque taille, et l'ancien rendu d'un seul tenant à la
    plus petite, pour référence. Les mesures sont alternées (chaque répétition les fait toutes, étalon processeur
    en tête) : la durée varie de 1,5 × d'une minute à l'autre sur ces machines. La pointe ne doit pas croître
    avec la taille."""
    a_mesurer = [("parties", n) for n in tailles] + [("un_seul_document", min(tailles))]
    mesures = {cle: [] for cle in a_mesurer}
    etalons, charges = [], []
    for _ in range(repetitions):
        etalons.append(etalon_cpu())
        charges.append(round(os.getloadavg()[0], 2))
        for mode, lignes in a_mesurer:
            mesures[(mode, lignes)].append(script(PV_MEMOIRE.format(session=SESSION, lignes=lignes, mode=mode)))
    resultats = {"etalon_cpu_ms": etalons, "charge_avant": charges}
    for (mode, lignes), liste in mesures.items():
        resultats["lignes_par_partie"] = liste[0]["lignes_par_partie"]
        resultats[f"{mode}_{lignes}"] = {
            "mode": mode,
            "lignes": liste[0]["lignes"],
            "pages": liste[0]["pages"],
            "octets": liste[0]["octets"],
            "rendu_s_mediane": round(statistics.median(m["rendu_s"] for m in liste), 1),
            "rendu_s_par_execution": [round(m["rendu_s"], 1) for m in liste],
            "memoire_pointe_mo_mediane": round(statistics.median(m["memoire_pointe_mo"] for m in liste)),
            "memoire_pointe_mo_par_execution": [round(m["memoire_pointe_mo"]) for m in liste],
            "memoire_avant_rendu_mo": round(statistics.median(m["memoire_avant_rendu_mo"] for m in liste)),
            "lecture_s_mediane": round(statistics.median(m["lecture_s"] for m in liste), 2),
        }
    return resultats


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--candidats", type=int, default=25000)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--duree-web", type=int, default=60)
    parser.add_argument("--utilisateurs", type=int, default=50)
    parties = [
        "deliberation",
        "recalcul",
        "tableau_de_bord",
        "imports",
        "pfmp",
        "pages_cpu",
        "web",
        "enregistrement",
        "web2",
        "pdf",
        "pv_memoire",
    ]
    parties.append("pages_academie")
    parser.add_argument("--seulement", nargs="*", default=parties)
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
    if "tableau_de_bord" in args.seulement:
        resultats["tableau_de_bord"] = bench_tableau_de_bord(args.repetitions)
        print("tableau de bord", resultats["tableau_de_bord"], flush=True)
    if "pages_academie" in args.seulement:
        resultats["pages_academie"] = bench_pages_academie(args.repetitions)
        print("pages_academie", json.dumps(resultats["pages_academie"], ensure_ascii=False), flush=True)
    if "imports" in args.seulement:
        resultats["imports"] = bench_imports(args.repetitions, args.candidats)
        print("imports", resultats["imports"], flush=True)
    if "pfmp" in args.seulement:
        resultats["pfmp"] = bench_pfmp(args.repetitions)
        print("pfmp", resultats["pfmp"], flush=True)
    if "pages_cpu" in args.seulement:
        resultats["pages_cpu"] = bench_pages_cpu()
        print("pages_cpu", json.dumps(resultats["pages_cpu"], ensure_ascii=False), flush=True)
    if "web" in args.seulement:
        resultats["web"] = bench_web(args.duree_web, args.utilisateurs, args.repetitions)
        print("web", json.dumps(resultats["web"], ensure_ascii=False), flush=True)
    if "enregistrement" in args.seulement:
        resultats["enregistrement"] = bench_web(
            args.duree_web, args.utilisateurs, args.repetitions, classe="Enregistreur"
        )
        print("enregistrement", json.dumps(resultats["enregistrement"], ensure_ascii=False), flush=True)
    if "web2" in args.seulement:
        resultats["web2"] = bench_web(args.duree_web, args.utilisateurs, args.repetitions, noeuds=2)
        print("web2", json.dumps(resultats["web2"], ensure_ascii=False), flush=True)
    if "pdf" in args.seulement:
        resultats["pdf"] = bench_pdf(200, args.repetitions)
        print("pdf", resultats["pdf"], flush=True)
    if "pv_memoire" in args.seulement:
        resultats["pv_memoire"] = bench_pv_memoire(args.repetitions)
        print("pv_memoire", json.dumps(resultats["pv_memoire"], ensure_ascii=False), flush=True)
    resultats["duree_totale_s"] = round(time.monotonic() - debut)
    # Une partie relancée seule (--seulement) remplace la sienne et garde les autres, chacune avec sa date.
    fichier = RACINE / "bench" / "resultats.json"
    anciens = json.loads(fichier.read_text()) if fichier.exists() else {}
    for partie in parties:
        if partie in resultats:
            resultats[partie]["date"] = resultats["date"]
        elif partie in anciens:
            resultats[partie] = anciens[partie]
    fichier.write_text(json.dumps(resultats, ensure_ascii=False, indent=1) + "\n")
    afficher(resultats)


def afficher(r: dict) -> None:
    """Le tableau : chaque mesure, son plancher mesuré dans la même exécution quand il y en a un, et sa cible."""
    lignes = [("mesure", "valeur", "cible")]
    if "etalon_cpu_ms" in r.get("machine", {}):
        charge = " / ".join(map(str, r["machine"].get("charge_au_debut", [])))
        lignes.append(
            ("étalon processeur (calcul Python fixe)", f"{r['machine']['etalon_cpu_ms']} ms (charge {charge})", "")
        )
    if d := r.get("deliberation"):
        plancher = d.get("plancher_secondes_mediane")
        lignes += [
            (f"délibération de {d['candidats']} candidats (médiane)", f"{d['secondes_mediane']} s", "< 10 s"),
        ]
        if plancher:
            lignes += [
                ("  plancher : lire les notes (psycopg) et sommer en Decimal", f"{plancher} s", ""),
                ("  rapport au plancher", f"{d['ratio_plancher']} ×", "≤ 3 ×"),
                ("  étalon processeur avant chaque exécution", " / ".join(map(str, d["etalon_cpu_ms"])) + " ms", ""),
            ]
        lignes += [
            ("  requêtes SQL", ", ".join(map(str, d["requetes"])), "constant"),
            ("  mémoire de pointe du processus", f"{d['memoire_pointe_mo']} Mo", "< 500 Mo"),
            ("  référence SQL brut (GROUP BY)", f"{d['sql_brut_secondes_mediane']} s", ""),
            ("  rapport moteur / SQL brut", f"{d['ratio_moteur_sql_brut']}", ""),
        ]
    if rc := r.get("recalcul"):
        lignes += [
            ("recalcul d'un candidat dans une écriture (médiane)", f"{rc['recalcul_ms_mediane']} ms", "< 2 ms"),
            ("  plancher : lire ses notes et sommer", f"{rc['plancher_ms_mediane']} ms", ""),
            ("  saisie complète d'une note (recalcul compris)", f"{rc['saisie_complete_ms_mediane']} ms", ""),
        ]
    if tb := r.get("tableau_de_bord"):
        for page, libelle, cible in (
            ("tableau_de_bord", "tableau de bord de la session entière (administrateur)", "< 100 ms"),
            ("accueil", "page d'accueil de l'administrateur", ""),
        ):
            m = tb[page]
            requetes = ", ".join(map(str, m["requetes"]))
            lignes += [
                (libelle, f"{m['ms_mediane']} ms, {requetes} requêtes", cible),
                ("  plancher : ses SELECT rejoués nus", f"{m['plancher_ms_mediane']} ms", ""),
            ]
        lignes.append(
            ("  étalon processeur avant chaque exécution", " / ".join(map(str, tb["etalon_cpu_ms"])) + " ms", "")
        )
    if pa := r.get("pages_academie"):
        for page, libelle in PAGES_ACADEMIE_LIBELLES.items():
            m = pa["pages"][page]
            lignes += [
                (
                    libelle,
                    f"{m['ms_mediane']} ms, {', '.join(map(str, m['requetes']))} requêtes, {m['octets'] // 1000} ko",
                    "< 300 ms",
                ),
                ("  plancher : ses SELECT rejoués nus", f"{m['plancher_ms_mediane']} ms", ""),
            ]
        lignes.append(
            (
                f"  ({pa['jurys']} jurys d'environ {pa['candidats_par_jury']} candidats) étalon processeur",
                " / ".join(map(str, pa["etalon_cpu_ms"])) + " ms",
                "",
            )
        )
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
    if pc := r.get("pages_cpu"):
        for nom, p in pc["pages"].items():
            plancher = nom.startswith("plancher")
            lignes.append(
                (
                    f"processeur serveur : {nom}",
                    f"{p['cpu_ms_mediane']} ms ({' / '.join(map(str, p['cpu_ms_par_execution']))}), "
                    f"{p['requetes_sql']} requêtes",
                    "" if plancher else "≤ 10 ms",
                )
            )
        lignes.append(
            (
                "  étalon processeur / charge avant chaque exécution",
                " / ".join(map(str, pc["etalon_cpu_ms_par_execution"]))
                + " ms, charge "
                + " / ".join(map(str, pc["charge_par_execution"])),
                "",
            )
        )
    for partie in ("web", "enregistrement", "web2"):
        if not (w := r.get(partie)):
            continue
        noeuds = w.get("noeuds", 1)
        prefixe = "web" if noeuds == 1 else f"web {noeuds} nœuds"
        seul = partie == "enregistrement"
        if seul:
            prefixe = f"enregistrement seul, {w['utilisateurs']} enseignants"
        for nom, p in w["pages"].items():
            cible = "p95 < 100 ms" if nom.startswith("enregistrement") else "p95 < 150 ms"
            cible = "" if nom == "Aggregated" else cible
            if seul:  # cible 3 de l'issue #23 : le débit d'un pic de saisie
                cible = "" if nom == "Aggregated" else "≥ 150 req/s, p95 < 50 ms"
            debit = f", {p['requetes_par_seconde']} req/s" if "requetes_par_seconde" in p else ""
            lignes.append(
                (
                    f"{prefixe} {nom}",
                    f"p50 {p['p50_ms']:.0f} / p95 {p['p95_ms']:.0f} / p99 {p['p99_ms']:.0f} ms, "
                    f"{p['erreurs']} erreur(s) sur {p['requetes']}{debit}",
                    cible + ", 0 erreur" if cible else "",
                )
            )
        if "connexion_ms_mediane" in w:
            lignes.append((f"{prefixe} connexion, une à la fois (PBKDF2)", f"{w['connexion_ms_mediane']} ms", ""))
        if "etalon_cpu_ms_par_execution" in w:
            etalons = " / ".join(map(str, w["etalon_cpu_ms_par_execution"]))
            lignes.append((f"{prefixe} étalon processeur avant chaque exécution", f"{etalons} ms", ""))
        if pr := w.get("processeur_par_requete_ms"):
            detail = ", ".join(f"{g} {v}" for g, v in pr.items() if g != "machine")
            lignes.append(
                (
                    f"{prefixe} processeur par requête (médiane)",
                    f"{pr['machine']} ms ({detail}) ; {w.get('capacite_a_saturation_req_s')} req/s à saturation ; "
                    f"serveur = {w.get('serveur_en_requetes_locust')} × locust",
                    "",
                )
            )
        for nom_plancher, pl in w.get("planchers", {}).items():
            for nom, p in pl["pages"].items():
                if not nom.startswith("enregistrement"):  # la page de grille n'y est qu'un prétexte à la version
                    continue
                cpu = pl.get("processeur_par_requete_ms", {})
                processeur = (
                    f" ; processeur {cpu['machine']} ms par requête, serveur = {pl.get('serveur_en_requetes_locust')}"
                    " × locust"
                    if cpu
                    else ""
                )
                lignes.append(
                    (
                        f"  {nom_plancher}",
                        f"p50 {p['p50_ms']:.0f} / p95 {p['p95_ms']:.0f} ms, {p['requetes_par_seconde']} req/s, "
                        f"{p['erreurs']} erreur(s) sur {p['requetes']}{processeur}",
                        "",
                    )
                )
        if parcours := w.get("parcours_import"):
            etapes = ", ".join(
                f"{nom} nœud {e['noeud']} ({e['statut']}, {e['ms']} ms)"
                for nom, e in parcours.items()
                if isinstance(e, dict)
            )
            lignes.append(
                (f"{prefixe} import aperçu → confirmation", "réussi" if parcours.get("reussi") else "ÉCHEC", "réussi")
            )
            lignes.append(("  étapes", etapes, ""))
    if p := r.get("pdf"):
        for workers, m in p.items():
            if not isinstance(m, dict):  # la date
                continue
            if "rapport_plancher" not in m:  # mesure d'avant le plancher
                lignes.append(
                    (f"PDF, {workers}", f"{m['pages_par_seconde']} pages/s ({m['pages']} pages)", "≥ 15 avec 2")
                )
                continue
            processus = f"{m['workers']} processus"
            lignes += [
                (
                    f"PDF, {processus}",
                    f"{m['pages_par_seconde']} pages/s ({m['rapport_plancher']:.0%} du plancher)".replace("%", " %"),
                    "≥ 90 % du plancher" if m["workers"] == 2 else "",
                ),
                (
                    "  plancher : WeasyPrint nu, même HTML (groupe multiprocessing)",
                    f"{m['plancher_pages_par_seconde']} pages/s ({m['pages']} pages)",
                    "",
                ),
                (
                    "  plancher avec notre réglage du ramasse-miettes",
                    f"{m['plancher_gc_pages_par_seconde']} pages/s (nous : {m['rapport_plancher_gc']:.0%})".replace(
                        "%", " %"
                    ),
                    "",
                ),
            ]
    if pv := r.get("pv_memoire"):
        for m in pv.values():
            if not isinstance(m, dict):  # l'étalon, la date, la taille des parties
                continue
            maniere = "par parties" if m["mode"] == "parties" else "d'un seul tenant (ancien rendu)"
            lignes.append(
                (
                    f"procès-verbal de {m['lignes']} lignes, {maniere}",
                    f"{m['memoire_pointe_mo_mediane']} Mo de pointe, {m['rendu_s_mediane']} s "
                    f"({' / '.join(map(str, m['rendu_s_par_execution']))}), {m['pages']} pages",
                    "pointe constante" if m["mode"] == "parties" else "",
                )
            )
        lignes.append(
            (
                "  lignes par partie ; étalon processeur / charge avant chaque répétition",
                f"{pv['lignes_par_partie']} ; {' / '.join(map(str, pv['etalon_cpu_ms']))} ms, "
                f"charge {' / '.join(map(str, pv['charge_avant']))}",
                "",
            )
        )
    largeur = max(len(a) for a, _, _ in lignes)
    for a, b, c in lignes:
        print(f"{a:<{largeur}}  {b:<40} {c}")


if __name__ == "__main__":
    sys.exit(main())
