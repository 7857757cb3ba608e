"""Les planchers de la partie `enregistrement` du banc (issue #23) : le même travail de base de données que
l'enregistrement automatique d'une grille, fait de la façon la plus simple, chargé par le même utilisateur simulé
de locust (`Enregistreur` : même cookie de session, même corps) et servi par le même gunicorn, mêmes workers.

Le travail (`ecrire`) : dans une transaction, verrouiller la grille, écrire le niveau de la ligne, incrémenter la
version de la grille, ajouter sa ligne d'historique — les écritures de saisie.enregistrer_champ, sans contrôle de
droits, sans calcul de note. Deux planchers le font :

- `application` (ici) : une application WSGI nue, psycopg en requêtes préparées sur une connexion par worker, qui
  lit la session par sa clé. Ce qui reste du processeur par requête est celui de gunicorn, de PostgreSQL et de
  locust sur les cœurs de la machine : si ce plancher ne tient pas une cible, aucune application ne la tient ici.
- bench/plancher_django.py : Django avec nos intergiciels (session, compte et permissions, CSRF, axes…), une vue
  qui fait `ecrire` par le curseur de Django. L'écart entre lui et AGOrA est ce que coûtent nos lectures (périmètre,
  membres, échéances, jury), l'ORM et le calcul de la note ; l'écart entre lui et le plancher nu, Django lui-même.

    gunicorn --workers 5 --bind 127.0.0.1:8320 bench.plancher_enregistrement:application   (avec DATABASE_URL)
"""

import json
import os
import re
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

import psycopg

CHEMIN = re.compile(r"^/examens/grilles/commissions/(\d+)/candidats/(\d+)/situations/(\d+)/(enregistrer/)?$")
_CORPS_MAX = 10_000
_connexion = None  # une par worker, ouverte à la première requête


def ecrire(curseur, *, commission: int, candidat: int, situation: int, cle: str, valeur: str) -> int | None:
    """Les écritures d'un enregistrement automatique (curseur DB-API de psycopg ou de Django, dans une
    transaction) ; la nouvelle version de la grille, None si la grille n'existe pas."""
    curseur.execute(
        "SELECT id FROM examens_grille WHERE candidat_id = %s AND commission_id = %s AND situation = %s FOR UPDATE",
        (candidat, commission, situation),
    )
    grille = curseur.fetchone()
    if grille is None:
        return None
    curseur.execute(
        "UPDATE examens_evaluationcompetence SET niveau = %s WHERE grille_id = %s AND ligne_id = %s",
        (valeur, grille[0], int(cle) if cle.isdigit() else 0),
    )
    curseur.execute(
        "UPDATE examens_grille SET version = version + 1, modifiee_le = now() WHERE id = %s RETURNING version",
        (grille[0],),
    )
    (version,) = curseur.fetchone()
    curseur.execute(
        "INSERT INTO examens_historiquegrille (grille_id, date, auteur, auteur_nom, action, objet, avant, apres, "
        "motif) VALUES (%s, now(), 'plancher', 'plancher', 'niveau', %s, '', %s, '')",
        (grille[0], f"compétence {cle}", valeur),
    )
    return version


PAGE = b'<div data-version="0"></div>'  # la page de grille, ouverte une fois pour lire la version (non contrôlée)


def _base():
    global _connexion
    if _connexion is None or _connexion.closed:
        _connexion = psycopg.connect(os.environ["DATABASE_URL"], prepare_threshold=0)
    return _connexion


def _json(start_response, statut: str, corps: dict):
    donnees = json.dumps(corps).encode()
    start_response(statut, [("Content-Type", "application/json"), ("Content-Length", str(len(donnees)))])
    return [donnees]


def application(environ, start_response):
    trouve = CHEMIN.match(environ.get("PATH_INFO", ""))
    if not trouve:
        return _json(start_response, "404 Not Found", {"erreur": "inconnu"})
    if not trouve.group(4):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [PAGE]
    commission, candidat, situation = map(int, trouve.groups()[:3])
    longueur = min(int(environ.get("CONTENT_LENGTH") or 0), _CORPS_MAX)
    corps = {k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(longueur).decode()).items()}
    cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
    base = _base()
    with base.transaction(), base.cursor() as curseur:
        curseur.execute(
            "SELECT 1 FROM agora_sessioncompte WHERE session_key = %s AND expire_date > now()",
            (cookie["sessionid"].value if "sessionid" in cookie else "",),
        )
        if curseur.fetchone() is None:
            return _json(start_response, "403 Forbidden", {"erreur": "session"})
        version = ecrire(
            curseur,
            commission=commission,
            candidat=candidat,
            situation=situation,
            cle=corps.get("cle", ""),
            valeur=corps.get("valeur", ""),
        )
    if version is None:
        return _json(start_response, "404 Not Found", {"erreur": "grille"})
    return _json(start_response, "200 OK", {"version": version})
