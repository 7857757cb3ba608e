"""Pages principales sous charge (make bench) : liste d'une division, grille, enregistrement automatique d'une
grille, délibération d'une division, tableau de saisie des notes ponctuelles. Chaque utilisateur simulé reprend une
session ouverte par bench/preparer_web.py (la connexion est mesurée à part), puis enchaîne les pages ; l'enseignant
simulé tient sa propre grille (pas de conflit de version).

`Utilisateur` : le mélange des pages (partie `web`). `Enregistreur` : l'enregistrement automatique seul, chacun sa
grille, une pause courte (`BENCH_PAUSE`, 0,25 s) : le débit que tiennent 2 cœurs pendant un pic de saisie des CCF
(partie `enregistrement`, cible de l'issue #23 : ≥ 150 requêtes/s, p95 < 50 ms, 50 utilisateurs)."""

import itertools
import json
import os
import random
import re
from http.cookiejar import Cookie
from urllib.parse import urlsplit

from locust import FastHttpUser, HttpUser, between, constant, task

CIBLE = json.loads(os.environ["BENCH_CIBLE"])
RANG = itertools.count()
# Deux nœuds web (ou plus) : chaque utilisateur simulé passe de l'un à l'autre à chaque requête (tourniquet), et
# chaque page est comptée par nœud (« … (nœud 2) »). Sans BENCH_HOTES : le seul hôte de --host, noms inchangés.
HOTES = [h for h in os.environ.get("BENCH_HOTES", "").split(",") if h]


class _Banc:
    """Le parcours commun ; le client HTTP vient de la classe d'utilisateur de locust (HttpUser ou FastHttpUser)."""

    def on_start(self):
        self.rang = next(RANG)
        self.enseignant = self.rang % 2 == 0  # comme dans preparer_web.py
        self.poser_session(CIBLE["sessions"][self.rang % len(CIBLE["sessions"])])
        self.candidat = CIBLE["candidats"][self.rang % len(CIBLE["candidats"])]
        self.version = None
        self.tour = itertools.cycle(range(len(HOTES))) if HOTES else None
        if self.tour and self.rang % 2:  # la moitié des utilisateurs commence par le second nœud
            next(self.tour)

    def vers(self, chemin: str, nom: str) -> tuple[str, str]:
        """(adresse, nom de la mesure) de la prochaine requête : le nœud suivant du tourniquet."""
        if not HOTES:
            return chemin, nom
        n = next(self.tour)
        return HOTES[n] + chemin, f"{nom} (nœud {n + 1})"

    def poser_session(self, cle: str):
        self.client.cookies.set("sessionid", cle)

    def csrf(self):
        return self.client.cookies.get("csrftoken", "")

    @property
    def url_grille(self):
        return f"/examens/grilles/commissions/{CIBLE['commission']}/candidats/{self.candidat}/situations/1/"

    def ouvrir_grille(self):
        url, nom = self.vers(self.url_grille, "page de grille")
        page = self.client.get(url, name=nom)
        trouve = re.search(r'data-version="(\d+)"', page.text)
        self.version = int(trouve.group(1)) if trouve else None

    def enregistrer(self):
        if self.version is None:
            self.ouvrir_grille()
            if self.version is None:
                return
        url, nom = self.vers(self.url_grille + "enregistrer/", "enregistrement automatique de grille")
        with self.client.post(
            url,
            {
                "version": self.version,
                "champ": "niveau",
                "cle": random.choice(CIBLE["lignes"]),
                "valeur": random.choice(CIBLE["niveaux"]),
            },
            headers={
                "X-CSRFToken": self.csrf(),
                "Referer": (url if HOTES else self.client.base_url + url).removesuffix("enregistrer/"),
            },
            name=nom,
            catch_response=True,
        ) as reponse:
            if reponse.status_code == 200:
                self.version = reponse.json()["version"]
                reponse.success()
            else:
                reponse.failure(f"{reponse.status_code} {reponse.text[:120]}")
                self.version = None


class Utilisateur(_Banc, HttpUser):
    """Le mélange des pages : un utilisateur sur deux enseignant (sa grille), l'autre gestionnaire."""

    wait_time = between(0.5, 1.5)

    @task(3)
    def liste_division(self):
        url, nom = self.vers(
            f"/examens/sessions/{CIBLE['annee']}/candidats/?division={CIBLE['division']}",
            "liste des candidats d'une division",
        )
        self.client.get(url, name=nom)

    @task(3)
    def grille(self):
        if self.enseignant:
            self.ouvrir_grille()

    @task(6)
    def enregistrement_grille(self):
        if self.enseignant:
            self.enregistrer()

    @task(2)
    def deliberation_division(self):
        if self.enseignant:
            return
        url, nom = self.vers(
            f"/examens/sessions/{CIBLE['annee']}/deliberation/?division={CIBLE['division']}",
            "délibération d'une division",
        )
        self.client.get(url, name=nom)

    @task(2)
    def saisie_ponctuelle(self):
        if self.enseignant:
            return
        url, nom = self.vers(
            f"/examens/sessions/{CIBLE['annee']}/notes/U51/?division={CIBLE['division']}",
            "tableau de saisie des notes ponctuelles",
        )
        self.client.get(url, name=nom)


class Enregistreur(_Banc, FastHttpUser):
    """L'enregistrement automatique seul : chaque utilisateur simulé est un enseignant qui tient sa grille (les
    sessions paires de preparer_web.py sont celles de l'enseignant ; lancer avec deux fois plus de sessions que
    d'utilisateurs), et enregistre un niveau après une pause courte.

    Client FastHttpUser (geventhttpclient) : le générateur de charge tourne sur les mêmes 2 cœurs que le serveur, et
    le client de requests lui coûtait plusieurs fois plus de processeur par requête ; ce qui reste est au serveur."""

    wait_time = constant(float(os.environ.get("BENCH_PAUSE", "0.25")))

    def on_start(self):
        super().on_start()
        self.enseignant = True
        self.poser_session(CIBLE["sessions"][(2 * self.rang) % len(CIBLE["sessions"])])
        self.candidat = CIBLE["candidats"][self.rang % len(CIBLE["candidats"])]

    def _cookie(self, nom: str, valeur: str) -> Cookie:
        hote = urlsplit(self.host).hostname
        return Cookie(0, nom, valeur, None, False, hote, False, False, "/", True, False, None, False, None, None, {})

    def poser_session(self, cle: str):
        self.client.cookiejar.set_cookie(self._cookie("sessionid", cle))

    def csrf(self):
        return next((c.value for c in self.client.cookiejar if c.name == "csrftoken"), "")

    @task
    def enregistrement_grille(self):
        self.enregistrer()
