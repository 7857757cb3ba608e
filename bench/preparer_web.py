"""Comptes et commission pour les pages sous charge : une division synthétique de la session de banc d'essai.

Affiche en JSON ce que locust doit viser : identifiants, sessions déjà ouvertes, division, commission, candidats.
Les sessions sont ouvertes ici, pas pendant la mesure : une connexion coûte un hachage PBKDF2 (≈ 0,4 s de
processeur), et 50 connexions simultanées occuperaient les 2 cœurs pendant une dizaine de secondes, devant les pages
mesurées. La connexion est mesurée à part (bench/lancer.py). À lancer avec la SECRET_KEY du serveur mesuré.
"""

import json
import os

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402

from agora.roles import ACADEMIE, ENSEIGNANT, GESTIONNAIRE, creer_roles  # noqa: E402
from agora.sessions import SessionStore  # noqa: E402
from examens.ccf import gabarits  # noqa: E402
from examens.ccf.lectures import formes_par_statut  # noqa: E402
from examens.models import Candidat, Commission, Division, Grille, MembreCommission, Session  # noqa: E402

MOT_DE_PASSE = "bench-agora-2026"
annee = int(os.environ.get("BENCH_SESSION", "2026"))
utilisateurs = int(os.environ.get("BENCH_UTILISATEURS", "50"))
session = Session.objects.get(annee=annee)
roles = creer_roles()
division = Division.objects.filter(session=session, etablissement__nom__startswith="Lycée synthétique").order_by("pk")[
    0
]
etablissement = division.etablissement
comptes = {}
# Le second compte gère l'établissement et porte aussi le rôle académie : depuis ba55ccd la page de délibération
# (examens.deliberer) est celle de l'académie et de l'administrateur, plus celle d'un gestionnaire d'établissement.
for identifiant, role, groupes in (
    ("bench-enseignant", ENSEIGNANT, [ENSEIGNANT]),
    ("bench-gestionnaire", GESTIONNAIRE, [GESTIONNAIRE, ACADEMIE]),
):
    user, cree = User.objects.get_or_create(username=identifiant)
    user.set_password(MOT_DE_PASSE)
    user.save()
    user.groups.set([roles[g] for g in groupes])
    comptes[role] = identifiant
etablissement.gestionnaires.add(User.objects.get(username="bench-gestionnaire"))
divisions = list(Division.objects.filter(session=session, etablissement=etablissement))
gabarit = gabarits.gabarits_actifs(session.reglement.referentiel)["E31"]
commission = Commission.objects.filter(session=session, etablissement=etablissement, gabarit=gabarit).first()
if commission is None:
    commission = Commission.objects.create(session=session, etablissement=etablissement, gabarit=gabarit, nom="banc")
    commission.divisions.set(divisions)
# La commission générée (generer_donnees) a ses jurys : l'enseignant du banc y siège en plus.
MembreCommission.objects.get_or_create(
    commission=commission, utilisateur=User.objects.get(username="bench-enseignant"), defaults={"qualite": "enseignant"}
)
# Un candidat par enseignant simulé (pas de conflit de version entre eux), dont la grille E31 repart de zéro :
# une grille générée déjà transmise refuserait toute modification.
# Les candidats évalués en CCF par la commission (scolaires, apprentis de CFA habilités, formation continue publique).
en_ccf = [statut for statut, f in formes_par_statut(commission).items() if f.forme == Grille.Forme.CCF]
candidats = list(
    Candidat.objects.filter(division__in=divisions, statut__in=en_ccf)
    .order_by("numero")
    .values_list("pk", flat=True)[: (utilisateurs + 1) // 2]
)
Grille.objects.filter(candidat__in=candidats, epreuve=gabarit.epreuve).delete()


def session_ouverte(user: User) -> str:
    """Ce que ferait django.contrib.auth.login, sans le hachage du mot de passe."""
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


# Un utilisateur simulé sur deux est enseignant (il tient une grille), l'autre gestionnaire.
ouvertes = [
    session_ouverte(User.objects.get(username=comptes[ENSEIGNANT if i % 2 == 0 else GESTIONNAIRE]))
    for i in range(utilisateurs)
]
lignes = list(gabarit.lignes.order_by("ordre").values_list("pk", flat=True))
niveaux = [n["code"] for n in gabarit.echelle if n.get("points") is not None]
print(
    json.dumps(
        {
            "mot_de_passe": MOT_DE_PASSE,
            "enseignant": comptes[ENSEIGNANT],
            "gestionnaire": comptes[GESTIONNAIRE],
            "sessions": ouvertes,
            "annee": annee,
            "division": division.pk,
            "commission": commission.pk,
            "candidats": candidats,
            "numeros": list(
                Candidat.objects.filter(pk__in=candidats).order_by("numero").values_list("numero", flat=True)
            ),
            "lignes": lignes,
            "niveaux": niveaux,
            "taille_division": Candidat.objects.filter(division=division).count(),
        }
    )
)
