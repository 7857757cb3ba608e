"""Démonstration des grilles CCF : commissions E31, E32 et E2 du lycée Jean Jaurès et quelques grilles.

Appelé à la fin de `demo.donnees_examens.charger_demo` ; idempotent (rien n'est refait si les commissions existent).
Tout passe par les services, pour que l'historique et le journal de démonstration soient ceux de l'application.
"""

import datetime
import random

from django.contrib.auth.models import User

from agora.roles import COMMISSION, ENSEIGNANT, creer_roles
from examens.ccf import circuit, gabarits, lectures, saisie
from examens.models import Candidat, Commission, Division, Grille, MembreCommission, Session, Statut

# Comptes de plus que ceux de charger_demo : le second enseignant des commissions et le professionnel RH (E32).
COMPTES = {
    "enseignant3": ("Claire", "Collègue"),
    "professionnel": ("Paul", "Professionnel RH"),
}
ENS, PRO = MembreCommission.Qualite.ENSEIGNANT, MembreCommission.Qualite.PROFESSIONNEL


def _compte(identifiant: str, prenom: str, nom: str) -> User:
    from demo.donnees_examens import MOT_DE_PASSE  # demo.donnees_examens appelle ce module : import tardif

    user, cree = User.objects.get_or_create(username=identifiant, defaults={"first_name": prenom, "last_name": nom})
    if cree:
        user.set_password(MOT_DE_PASSE)
        user.save()
    # Le professionnel RH n'est pas enseignant : membre de commission externe, il ne voit que ses grilles.
    user.groups.set([creer_roles()[COMMISSION if identifiant == "professionnel" else ENSEIGNANT]])
    return user


def _remplir(
    commission: Commission,
    candidat: Candidat,
    auteur: User,
    niveaux: dict[int, str],
    situation: int = 1,
    **champs: str,
) -> Grille | None:
    """Remplit une grille comme le ferait la page : un changement à la fois, avec la version courante."""
    grille, version = None, 0
    lignes = {ligne.ordre: ligne.pk for ligne in commission.gabarit.lignes.all()}
    changements = [("niveau", lignes[ordre], code) for ordre, code in sorted(niveaux.items())]
    changements += [(champ, "", valeur) for champ, valeur in champs.items()]
    for champ, cle, valeur in changements:
        enr = saisie.enregistrer_champ(
            commission=commission,
            candidat=candidat,
            situation=situation,
            version=version,
            champ=champ,
            valeur=valeur,
            cle=str(cle),
            auteur=auteur,
        )
        grille, version = enr.grille, enr.grille.version
    return grille


def charger_demo_grilles() -> None:
    session = Session.objects.filter(annee=2026).first()
    if session is None:
        return
    division = Division.objects.select_related("etablissement").filter(session=session, nom="TAGO1").first()
    if division is None or Commission.objects.filter(session=session, etablissement=division.etablissement).exists():
        return
    enseignant = User.objects.get(username="enseignant")
    gestionnaire = User.objects.get(username="gestionnaire")
    collegue, professionnel = (_compte(i, *noms) for i, noms in COMPTES.items())

    # Deux candidats de formation continue en établissement public habilité (colonne 3 : E2 en CCF).
    for numero, nom, prenom in (("026000061", "GARNIER", "Julie"), ("026000062", "CHEVALIER", "Malik")):
        Candidat.objects.get_or_create(
            session=session,
            numero=numero,
            defaults={
                "nom": nom,
                "prenom": prenom,
                "date_naissance": datetime.date(1995, 5, 12),
                "etablissement": division.etablissement,
                "division": division,
                "statut": Statut.FPC_PUBLIC_HABILITE,
                "lv1": "en",
                "lv2": "es",
            },
        )

    actifs = gabarits.gabarits_actifs(session.reglement.referentiel)
    e31, e32, e2 = (
        saisie.enregistrer_commission(
            gabarit=actifs[epreuve], divisions=[division], membres=membres, nom="TAGO1", auteur=gestionnaire
        )
        for epreuve, membres in (
            ("E31", [(enseignant, ENS), (collegue, ENS)]),
            ("E32", [(enseignant, ENS), (professionnel, PRO)]),
            ("E2", [(enseignant, ENS), (collegue, ENS)]),
        )
    )

    hasard = random.Random(2026)
    niveaux = ["I", "S", "S", "TS", "TS", "S"]
    candidats = list(lectures.candidats_de_commission(e31).filter(statut=Statut.SCOLAIRE_PUBLIC).order_by("numero"))
    date = {"date_situation": "2026-03-12"}
    # 1 : grille transmise (sa note est dans la délibération) ; 2 : confirmée par un seul membre ; 3 : commencée.
    complet = {i: hasard.choice(niveaux) for i in range(1, 13)}
    g = _remplir(e31, candidats[0], enseignant, complet, appreciation="Bonne maîtrise de la relation client.", **date)
    g = circuit.confirmer_grille(grille=g, version=g.version, membre=enseignant)
    g = circuit.confirmer_grille(grille=g, version=g.version, membre=collegue)
    circuit.transmettre_grille(grille=g, version=g.version, auteur=enseignant)
    complet = {i: hasard.choice(niveaux) for i in range(1, 13)}
    g = _remplir(e31, candidats[1], collegue, complet, appreciation="Travail régulier.", **date)
    circuit.confirmer_grille(grille=g, version=g.version, membre=collegue)
    _remplir(e31, candidats[2], enseignant, {i: hasard.choice(niveaux) for i in range(1, 6)})
    _remplir(e32, candidats[0], professionnel, {i: hasard.choice(niveaux) for i in range(1, 5)})

    # E2 : deux situations qui couvrent ensemble les activités 2.1, 2.2 et 2.3 ; la note de U2 est leur moyenne.
    stagiaire = Candidat.objects.get(session=session, numero="026000061")
    lignes = {
        ligne.ordre: ligne.competence.activite.code
        for ligne in e2.gabarit.lignes.select_related("competence__activite")
    }
    for situation, activites, jour in ((1, {"2.1", "2.2"}, "2026-01-20"), (2, {"2.3"}, "2026-04-07")):
        choix = {o: hasard.choice(niveaux) if a in activites else "NE" for o, a in lignes.items()}
        g = _remplir(e2, stagiaire, enseignant, choix, situation=situation, date_situation=jour)
        g = circuit.confirmer_grille(grille=g, version=g.version, membre=enseignant)
        g = circuit.confirmer_grille(grille=g, version=g.version, membre=collegue)
        circuit.transmettre_grille(grille=g, version=g.version, auteur=collegue)
