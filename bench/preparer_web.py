"""Comptes et commission pour les pages sous charge : une division synthétique de la session de banc d'essai.

Affiche en JSON ce que locust doit viser : identifiants, division, commission, candidats de la commission.
"""

import json
import os

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402

from agora.roles import ENSEIGNANT, GESTIONNAIRE, creer_roles  # noqa: E402
from examens import grilles  # noqa: E402
from examens.models import Candidat, Commission, Division, MembreCommission, Session  # noqa: E402

MOT_DE_PASSE = "bench-agora-2026"
annee = int(os.environ.get("BENCH_SESSION", "2026"))
session = Session.objects.get(annee=annee)
roles = creer_roles()
division = Division.objects.filter(session=session, etablissement__nom__startswith="Lycée synthétique").order_by("pk")[
    0
]
etablissement = division.etablissement
comptes = {}
for identifiant, role in (("bench-enseignant", ENSEIGNANT), ("bench-gestionnaire", GESTIONNAIRE)):
    user, cree = User.objects.get_or_create(username=identifiant)
    user.set_password(MOT_DE_PASSE)
    user.save()
    user.groups.set([roles[role]])
    comptes[role] = identifiant
etablissement.gestionnaires.add(User.objects.get(username="bench-gestionnaire"))
divisions = list(Division.objects.filter(session=session, etablissement=etablissement))
gabarit = grilles.gabarits_actifs(session.reglement.referentiel)["E31"]
commission = Commission.objects.filter(session=session, etablissement=etablissement, gabarit=gabarit).first()
if commission is None:
    commission = Commission.objects.create(session=session, etablissement=etablissement, gabarit=gabarit, nom="banc")
    commission.divisions.set(divisions)
    MembreCommission.objects.create(
        commission=commission, utilisateur=User.objects.get(username="bench-enseignant"), qualite="enseignant"
    )
candidats = list(
    Candidat.objects.filter(division__in=divisions, statut__in=["scolaire_public", "scolaire_prive_sous_contrat"])
    .order_by("numero")
    .values_list("pk", flat=True)
)
lignes = list(gabarit.lignes.order_by("ordre").values_list("pk", flat=True))
niveaux = [n["code"] for n in gabarit.echelle if n.get("points") is not None]
print(
    json.dumps(
        {
            "mot_de_passe": MOT_DE_PASSE,
            "enseignant": comptes[ENSEIGNANT],
            "gestionnaire": comptes[GESTIONNAIRE],
            "annee": annee,
            "division": division.pk,
            "commission": commission.pk,
            "candidats": candidats,
            "lignes": lignes,
            "niveaux": niveaux,
            "taille_division": Candidat.objects.filter(division=division).count(),
        }
    )
)
