"""Données de démonstration : idempotentes, déterministes, jamais en production (DEBUG requis)."""

import datetime
import random
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction

from agora.roles import ACADEMIE, ADMINISTRATEUR, ENSEIGNANT, GESTIONNAIRE, JURY, creer_roles
from demo.donnees_grilles import charger_demo_grilles
from examens.identifiants import uai_avec_cle
from examens.imports import valider_candidat
from examens.models import (
    Academie,
    Candidat,
    Division,
    Etablissement,
    EtablissementJury,
    Jury,
    Note,
    ReglementExamen,
    Session,
    Statut,
)
from examens.services import enregistrer_candidat

MOT_DE_PASSE = "agora-demo-2026"
COMPTES = {
    ENSEIGNANT: "enseignant",
    GESTIONNAIRE: "gestionnaire",
    ADMINISTRATEUR: "administrateur",
    "enseignant (autre division)": "enseignant2",
    ACADEMIE: "academie",
    f"{JURY} (président, Paris)": "president",
    f"{JURY} (membre, Paris)": "jure",
    f"{JURY} (président, Créteil)": "president2",
}
# Des noms de personnes pour les comptes qui signent (le procès-verbal imprime le nom du président).
NOMS_COMPTES = {
    "academie": ("Sophie", "Marchand"),
    "president": ("Claire", "Dubois"),
    "jure": ("Marc", "Lefèvre"),
    "president2": ("Nadia", "Benali"),
}
NOMS = [
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefèvre",
    "Leroy",
    "Roux",
    "David",
    "Bertrand",
    "Morel",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Muller",
    "Lefebvre",
    "Faure",
    "André",
]
PRENOMS = [
    "Léa",
    "Hugo",
    "Chloé",
    "Lucas",
    "Emma",
    "Nathan",
    "Inès",
    "Enzo",
    "Jade",
    "Louis",
    "Manon",
    "Yanis",
    "Camille",
    "Théo",
    "Sarah",
    "Noah",
    "Zoé",
    "Adam",
    "Lina",
    "Rayan",
    "Anaïs",
    "Mathis",
    "Éloïse",
    "Karim",
]


uai = uai_avec_cle


@transaction.atomic
def charger_demo() -> dict[str, tuple[str, str]]:
    groupes = creer_roles()
    reglement = ReglementExamen.objects.get(code="AGORA-2020")
    session, _ = Session.objects.get_or_create(annee=2026, defaults={"reglement": reglement})

    utilisateurs = {}
    for role, identifiant in COMPTES.items():
        prenom, nom = NOMS_COMPTES.get(identifiant, (identifiant.capitalize(), "Démo"))
        user, cree = User.objects.get_or_create(username=identifiant, defaults={"first_name": prenom, "last_name": nom})
        if cree:
            user.set_password(MOT_DE_PASSE)
            user.save()
        user.groups.set([groupes[role.split(" ")[0]]])
        utilisateurs[role] = user
    admin = utilisateurs[ADMINISTRATEUR]
    if not admin.is_staff:
        admin.is_staff = True
        admin.save(update_fields=["is_staff"])

    lycee_a, _ = Etablissement.objects.get_or_create(
        uai=uai("0750001"), defaults={"nom": "Lycée professionnel Jean Jaurès", "ville": "Paris"}
    )
    lycee_b, _ = Etablissement.objects.get_or_create(
        uai=uai("0930122"), defaults={"nom": "Lycée des métiers Marie Curie", "ville": "Saint-Denis"}
    )
    lycee_a.gestionnaires.add(utilisateurs[GESTIONNAIRE])
    lycee_b.gestionnaires.add(utilisateurs[GESTIONNAIRE])
    # Le service interacadémique des examens et concours (SIEC) organise le bac pro de Paris et de Créteil : le
    # gestionnaire académique de démonstration gère les deux académies ; chaque académie a son jury.
    paris = Academie.objects.get_or_create(code="PARIS", defaults={"nom": "Paris"})[0]
    creteil = Academie.objects.get_or_create(code="CRETEIL", defaults={"nom": "Créteil"})[0]
    for academie, lycee in ((paris, lycee_a), (creteil, lycee_b)):
        academie.gestionnaires.add(utilisateurs[ACADEMIE])
        if lycee.academie_id is None:
            lycee.academie = academie
            lycee.save(update_fields=["academie"])
    divisions = [
        Division.objects.get_or_create(session=session, etablissement=lycee_a, nom="TAGO1")[0],
        Division.objects.get_or_create(session=session, etablissement=lycee_a, nom="TAGO2")[0],
        Division.objects.get_or_create(session=session, etablissement=lycee_b, nom="TAGORA")[0],
    ]
    divisions[0].enseignants.add(utilisateurs[ENSEIGNANT])
    divisions[2].enseignants.add(utilisateurs["enseignant (autre division)"])

    # Par la porte des candidats (imports.valider_candidat puis services.enregistrer_candidat), comme un import :
    # 60 candidats, c'est rapide, et leurs résultats et leur conformité PFMP sont tenus à jour dès la création.
    hasard = random.Random(2026)
    statuts = list(Statut.values)
    existants = set(Candidat.objects.filter(session=session).values_list("numero", flat=True))
    for i in range(60):
        division = divisions[i % 3]
        statut = statuts[(i // 2) % len(statuts)] if i % 2 else Statut.SCOLAIRE_PUBLIC
        lv2 = hasard.choice(["es", "de", "it"])
        numero = f"0260{i + 1:05d}"
        if numero in existants:
            continue
        ligne = {
            "numero_candidat": numero,
            "nom": NOMS[i % len(NOMS)].upper(),
            "prenom": PRENOMS[(i * 7) % len(PRENOMS)],
            "date_naissance": datetime.date(2007 + i % 3, 1 + i % 12, 1 + (i * 3) % 28).strftime("%d/%m/%Y"),
            "uai": division.etablissement.uai,
            "division": division.nom,
            "statut": statut,
            "forme": Candidat.Forme.PROGRESSIVE
            if statut in ("fpc_prive", "experience_3_ans") and i % 4 == 1
            else Candidat.Forme.GLOBALE,
            "lv1": "en",
            "lv2": lv2,
            "facultatives": "EPS" if i % 5 == 0 else ("LV:pt" if i % 7 == 0 else ""),
            # les candidats à expérience professionnelle sont dispensés des unités générales (bac déjà obtenu)
            "titre_dispense": "bac" if statut == Statut.EXPERIENCE_3_ANS else "",
        }
        propre, erreurs = valider_candidat(ligne, session.annee)
        if erreurs:
            raise ValueError(f"démonstration : candidat {numero} refusé : {erreurs}")
        enregistrer_candidat(session=session, propre=propre, auteur=utilisateurs[ADMINISTRATEUR])
    for nom, lycee, president, membres in (
        ("Paris", lycee_a, "president", ["jure"]),
        ("Créteil", lycee_b, "president2", []),
    ):
        jury, cree = Jury.objects.get_or_create(
            session=session, nom=nom, defaults={"president": User.objects.get(username=president)}
        )
        if cree:
            jury.membres.set(User.objects.filter(username__in=membres))
            EtablissementJury.objects.create(jury=jury, etablissement=lycee, session=session)
    charger_notes_demo(session, utilisateurs[GESTIONNAIRE])
    charger_demo_grilles()
    return {role: (identifiant, MOT_DE_PASSE) for role, identifiant in COMPTES.items()}


UNITES_DEMO = ["U11", "U12", "U2", "U31", "U32", "U33", "U41", "U42", "U51", "U52", "U6", "U7"]


def charger_notes_demo(session: Session, auteur) -> None:
    """Des notes plausibles pour voir la délibération : quelques absences, dispenses et notes manquantes."""
    from examens.services import SaisieNote, ecrire_notes

    if Note.objects.filter(candidat__session=session).exists():
        return
    hasard = random.Random(60)
    saisies = []
    for rang, c in enumerate(Candidat.objects.filter(session=session).select_related("division").order_by("numero")):
        niveau = Decimal(hasard.choice([7, 8.5, 9, 9.5, 10, 11, 12, 13, 14.5, 16]))
        for unite in UNITES_DEMO:
            if c.division and c.division.nom == "TAGO1" and rang < 15 and unite in ("U31", "U32"):
                continue  # évaluées en CCF par la commission : grilles à remplir par l'enseignant
            if rang % 20 == 19 and unite in ("U51", "U52"):
                continue  # notes ponctuelles pas encore saisies
            etat, valeur = "note", (niveau + Decimal(hasard.randint(-6, 6)) / 2).quantize(Decimal("0.5"))
            valeur = min(max(valeur, Decimal(0)), Decimal(20))
            if c.statut == "experience_3_ans" and unite in ("U41", "U42", "U51", "U52", "U6", "U7"):
                etat, valeur = "DIS", None
            elif rang == 7 and unite == "U33":
                etat, valeur = "ABJ", None
            elif rang == 13 and unite == "U6":
                etat, valeur = "ABS", None
            saisies.append(SaisieNote(candidat=c, unite=unite, etat=etat, valeur=valeur))
        for uf, choix in (("UF1", c.facultative1), ("UF2", c.facultative2)):
            if choix:
                saisies.append(
                    SaisieNote(candidat=c, unite=uf, etat="note", valeur=Decimal(hasard.randint(16, 36)) / 2)
                )
    ecrire_notes(saisies=saisies, auteur=auteur, source="demo")
