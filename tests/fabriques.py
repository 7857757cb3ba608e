"""Fabriques de test : des objets valides par défaut, que chaque test surcharge."""

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.test import Client

from agora.roles import ACADEMIE, ADMINISTRATEUR, ENSEIGNANT, GESTIONNAIRE, JURY, creer_roles
from examens import resultats
from examens.identifiants import uai_avec_cle
from examens.models import Candidat, Division, Etablissement, Session
from examens.services import reglement_pour

MOT_DE_PASSE = "mot-de-passe-de-test-1"


uai = uai_avec_cle


def session(annee: int = 2026) -> Session:
    # Comme l'application (import, génération) : la version du règlement qui couvre l'année.
    return Session.objects.get_or_create(annee=annee, defaults={"reglement": reglement_pour(annee)})[0]


def etablissement(code: str = "0750001", **champs) -> Etablissement:
    return Etablissement.objects.get_or_create(uai=uai(code), defaults={"nom": f"Lycée {code}", **champs})[0]


def division(nom: str = "TAGO1", etab: Etablissement | None = None, sess: Session | None = None) -> Division:
    return Division.objects.get_or_create(session=sess or session(), etablissement=etab or etablissement(), nom=nom)[0]


_compteur = iter(range(1, 10**6))


def candidat(**champs) -> Candidat:
    div = champs.pop("division", None) or division()
    valeurs = {
        "session": div.session,
        "numero": f"T{next(_compteur):07d}",
        "nom": "DURAND",
        "prenom": "Léa",
        "date_naissance": datetime.date(2008, 3, 14),
        "etablissement": div.etablissement,
        "division": div,
        "statut": "scolaire_public",
        "lv1": "en",
        "lv2": "es",
    }
    valeurs.update(champs)
    cree = Candidat.objects.create(**valeurs)
    # Comme à l'import et au formulaire : un candidat a un résultat dès qu'il existe (« incomplet »).
    resultats.recalculer([cree.pk])
    return cree


def utilisateur(identifiant: str, role: str | None) -> User:
    user = User.objects.create_user(identifiant, password=MOT_DE_PASSE, first_name=identifiant.capitalize())
    if role:
        user.groups.add(creer_roles()[role])
    return user


@dataclass
class Comptes:
    """La distribution : qui a accès à quoi (dans l'esprit d'alice/bob/charlie de healthchecks)."""

    enseignant: User  # enseigne en division A (lycée 1)
    enseignant_autre: User  # enseigne en division C (lycée 2) : ne doit rien voir de la division A
    gestionnaire: User  # gère le lycée 1 seulement
    gestionnaire_autre: User  # gère le lycée 2 seulement
    administrateur: User
    academie: User  # gestionnaire académique de l'académie du lycée 1 (division des examens) : délibère, verrouille
    division_a: Division
    division_c: Division

    def client(self, user: User | None) -> Client:
        c = Client()
        if user:
            c.force_login(user)
        return c


def comptes() -> Comptes:
    creer_roles()
    lycee1, lycee2 = (
        etablissement("0750001", nom="Lycée Jean Jaurès"),
        etablissement("0930122", nom="Lycée Marie Curie"),
    )
    div_a, div_c = division("TAGO1", lycee1), division("TAGORA", lycee2)
    c = Comptes(
        enseignant=utilisateur("prof", ENSEIGNANT),
        enseignant_autre=utilisateur("prof2", ENSEIGNANT),
        gestionnaire=utilisateur("gest", GESTIONNAIRE),
        gestionnaire_autre=utilisateur("gest2", GESTIONNAIRE),
        administrateur=utilisateur("admin", ADMINISTRATEUR),
        academie=utilisateur("dec", ACADEMIE),
        division_a=div_a,
        division_c=div_c,
    )
    div_a.enseignants.add(c.enseignant)
    div_c.enseignants.add(c.enseignant_autre)
    lycee1.gestionnaires.add(c.gestionnaire)
    lycee2.gestionnaires.add(c.gestionnaire_autre)
    from examens.models import Academie

    academie = Academie.objects.get_or_create(code="PARIS", defaults={"nom": "Paris"})[0]
    academie.gestionnaires.add(c.academie)
    lycee1.academie = academie
    lycee1.save(update_fields=["academie"])
    return c


@dataclass
class Jures:
    academie: User  # gestionnaire académique de l'académie du lycée
    president: User
    membre: User
    jury: object


def jury_de(
    etab: Etablissement, sess: Session | None = None, nom: str = "Paris", code_academie: str = "PARIS"
) -> Jures:
    """Une académie (avec son gestionnaire académique) et un jury (président, un membre) pour `etab`."""
    from examens.models import Academie, EtablissementJury, Jury

    sess = sess or session()
    academie = Academie.objects.get_or_create(code=code_academie, defaults={"nom": code_academie.title()})[0]
    etab.academie = academie
    etab.save(update_fields=["academie"])
    j = Jures(
        academie=utilisateur(f"dec-{code_academie.lower()}", ACADEMIE),
        president=utilisateur(f"president-{nom.lower()}", JURY),
        membre=utilisateur(f"jure-{nom.lower()}", JURY),
        jury=None,
    )
    academie.gestionnaires.add(j.academie)
    j.jury = Jury.objects.create(session=sess, nom=nom, president=j.president)
    j.jury.membres.add(j.membre)
    EtablissementJury.objects.create(jury=j.jury, etablissement=etab, session=sess)
    return j
