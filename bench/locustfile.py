"""Pages principales sous charge (make bench) : liste d'une division, grille, enregistrement automatique d'une
grille, délibération d'une division, tableau de saisie des notes ponctuelles. Chaque utilisateur simulé reprend une
session ouverte par bench/preparer_web.py (la connexion est mesurée à part), puis enchaîne les pages ; l'enseignant
simulé tient sa propre grille (pas de conflit de version)."""

import itertools
import json
import os
import random
import re

from locust import HttpUser, between, task

CIBLE = json.loads(os.environ["BENCH_CIBLE"])
RANG = itertools.count()


class Utilisateur(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self):
        self.rang = next(RANG)
        self.enseignant = self.rang % 2 == 0  # comme dans preparer_web.py
        self.client.cookies.set("sessionid", CIBLE["sessions"][self.rang % len(CIBLE["sessions"])])
        self.candidat = CIBLE["candidats"][self.rang % len(CIBLE["candidats"])]
        self.version = None

    def csrf(self):
        return self.client.cookies.get("csrftoken", "")

    @property
    def url_grille(self):
        return f"/examens/grilles/commissions/{CIBLE['commission']}/candidats/{self.candidat}/situations/1/"

    @task(3)
    def liste_division(self):
        self.client.get(
            f"/examens/sessions/{CIBLE['annee']}/candidats/?division={CIBLE['division']}",
            name="liste des candidats d'une division",
        )

    @task(3)
    def grille(self):
        if not self.enseignant:
            return
        page = self.client.get(self.url_grille, name="page de grille")
        trouve = re.search(r'data-version="(\d+)"', page.text)
        self.version = int(trouve.group(1)) if trouve else None

    @task(6)
    def enregistrement_grille(self):
        if not self.enseignant:
            return
        if self.version is None:
            self.grille()
            if self.version is None:
                return
        with self.client.post(
            self.url_grille + "enregistrer/",
            {
                "version": self.version,
                "champ": "niveau",
                "cle": random.choice(CIBLE["lignes"]),
                "valeur": random.choice(CIBLE["niveaux"]),
            },
            headers={"X-CSRFToken": self.csrf(), "Referer": self.client.base_url + self.url_grille},
            name="enregistrement automatique de grille",
            catch_response=True,
        ) as reponse:
            if reponse.status_code == 200:
                self.version = reponse.json()["version"]
                reponse.success()
            else:
                reponse.failure(f"{reponse.status_code} {reponse.text[:120]}")
                self.version = None

    @task(2)
    def deliberation_division(self):
        if self.enseignant:
            return
        self.client.get(
            f"/examens/sessions/{CIBLE['annee']}/deliberation/?division={CIBLE['division']}",
            name="délibération d'une division",
        )

    @task(2)
    def saisie_ponctuelle(self):
        if self.enseignant:
            return
        self.client.get(
            f"/examens/sessions/{CIBLE['annee']}/notes/U51/?division={CIBLE['division']}",
            name="tableau de saisie des notes ponctuelles",
        )
