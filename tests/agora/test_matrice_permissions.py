"""Chaque URL de l'application, visitée par chaque rôle : la réponse doit être celle de la matrice.

Une URL ajoutée sans entrée dans MATRICE fait échouer le test : toute nouvelle page déclare qui la voit.
La même matrice est recopiée dans README.md (section « Matrice des permissions »).
"""

import io
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from tests import fabriques

ROLES = (
    "anonyme",
    "enseignant_autre",
    "enseignant",
    "gestionnaire",
    "gestionnaire_autre",
    "administrateur",
    "academie",
    "president",
    "jure",
)

# Ce que désigne <int:pk> selon la page (les autres paramètres portent le nom de leur valeur).
PK = {
    "referentiel:competence": "competence",
    "examens:division": "division",
    "examens:export": "export",
    "examens:export-zip": "export",
    "examens:export-fusion": "export",
    "examens:export-relancer": "export",
    "examens:document-pdf": "document",
    "pfmp:attestation": "attestation",
    "pfmp:signature-pdf": "attestation",
    "pfmp:lien-revoquer": "lien",
    "pfmp:certificat-supprimer": "certificat",
}
PK_PAR_PREFIXE = {
    "examens:jury-": "jury",
    "comptes:": "compte",
    "examens:commission": "commission",
    "examens:organisation": "commission",
    "examens:grille": "commission",
    "pfmp:periode-ajouter": "candidat",
    "pfmp:periode": "periode",
    "pfmp:attestation-saisir": "periode",
    "pfmp:lien-tuteur": "periode",
    "pfmp:convention": "periode",
    "pfmp:evaluation": "periode",
    "examens:echeance": "echeance",
    "examens:reouverture": "reouverture",
    "examens:proposition": "proposition",
}

# nom d'URL → codes attendus dans l'ordre de ROLES ; GET seulement.
# 302 : vers la connexion (anonyme) ou redirection métier ; 403 : rôle sans le droit ; 404 : objet hors périmètre ;
# 405 : action qui n'accepte que POST.
MATRICE = {
    "accueil": (302, 200, 200, 200, 200, 200, 200, 200, 200),
    "comptes:activer": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "comptes:compte": (302, 403, 403, 403, 403, 200, 403, 403, 403),
    "comptes:creer": (302, 403, 403, 403, 403, 200, 403, 403, 403),
    "comptes:lien": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "comptes:liste": (302, 403, 403, 403, 403, 200, 403, 403, 403),
    "comptes:modifier": (302, 403, 403, 403, 403, 200, 403, 403, 403),
    "comptes:mot-de-passe": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "comptes:reinitialiser": (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "examens:calendrier-ccf": (302, 200, 200, 200, 200, 200, 200, 200, 200),
    "examens:calendrier-ccf-ics": (302, 200, 200, 200, 200, 200, 200, 200, 200),
    "examens:candidat": (302, 404, 200, 200, 404, 200, 200, 200, 200),
    "examens:candidat-creer": (302, 403, 403, 200, 200, 200, 200, 403, 403),
    "examens:candidat-modifier": (302, 403, 403, 200, 404, 200, 200, 403, 403),
    "examens:candidats": (302, 200, 200, 200, 200, 200, 200, 200, 200),
    "examens:commission": (302, 404, 200, 200, 404, 200, 200, 404, 404),
    "examens:commission-creer": (302, 403, 403, 200, 200, 200, 200, 403, 403),
    "examens:commission-modifier": (302, 403, 403, 200, 404, 200, 200, 403, 403),
    "examens:commissions": (302, 200, 200, 200, 200, 200, 200, 200, 200),
    "examens:controle-choix": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "examens:deliberation": (302, 403, 403, 403, 403, 200, 200, 200, 200),
    "examens:deliberer": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "examens:deverrouiller": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "examens:division": (302, 404, 302, 302, 404, 302, 302, 302, 302),
    "examens:document-pdf": (302, 403, 403, 404, 404, 404, 404, 404, 404),
    "examens:echeance-creer": (302, 403, 403, 403, 403, 200, 200, 403, 403),
    "examens:echeance-modifier": (302, 403, 403, 403, 403, 200, 200, 403, 403),
    "examens:echeances": (302, 403, 403, 200, 200, 200, 200, 403, 403),
    "examens:export": (302, 403, 403, 200, 404, 200, 404, 404, 404),
    "examens:export-fusion": (302, 403, 403, 404, 404, 404, 404, 404, 404),
    "examens:export-relancer": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "examens:export-resultats": (302, 403, 403, 200, 200, 200, 200, 200, 200),
    "examens:export-zip": (302, 403, 403, 404, 404, 404, 404, 404, 404),
    "examens:exports": (302, 403, 403, 200, 200, 200, 200, 200, 200),
    "examens:grille": (302, 404, 200, 200, 404, 200, 200, 404, 404),
    "examens:grille-arreter": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "examens:grille-confirmer": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "examens:grille-enregistrer": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "examens:grille-pdf": (302, 404, 200, 200, 404, 200, 200, 404, 404),
    "examens:grille-renvoyer": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "examens:grille-rouvrir": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "examens:grille-suivante": (302, 404, 302, 302, 404, 302, 302, 404, 404),
    "examens:grille-transmettre": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "examens:harmonisation": (302, 403, 403, 403, 403, 200, 200, 200, 200),
    "examens:importer": (302, 403, 403, 200, 200, 200, 200, 403, 403),
    "examens:importer-confirmer": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "examens:importer-modele": (302, 403, 403, 200, 200, 200, 200, 403, 403),
    "examens:journal": (302, 403, 403, 200, 200, 200, 200, 200, 200),
    "examens:jury-creer": (302, 403, 403, 403, 403, 200, 200, 403, 403),
    "examens:jury-deverrouiller": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "examens:jury-lever-nv": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "examens:jury-modifier": (302, 403, 403, 403, 403, 200, 200, 403, 403),
    "examens:jury-note": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "examens:jury-points": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "examens:jury-valider-pv": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "examens:jury-verrouiller": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "examens:jurys": (302, 403, 403, 403, 403, 200, 200, 200, 200),
    "examens:note-enregistrer": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "examens:organisation": (302, 404, 200, 200, 404, 200, 200, 404, 404),
    "examens:organisation-amenagement": (302, 404, 200, 200, 404, 200, 200, 404, 404),
    "examens:organisation-conformite": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "examens:organisation-convocation": (302, 404, 200, 200, 404, 200, 200, 404, 404),
    "examens:organisation-convocations": (302, 404, 302, 302, 404, 302, 302, 404, 404),
    "examens:organisation-deplacer": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "examens:organisation-emargement": (302, 404, 200, 200, 404, 200, 200, 404, 404),
    "examens:organisation-planifier": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "examens:organisation-presence": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "examens:organisation-production": (302, 404, 200, 200, 404, 200, 200, 404, 404),
    "examens:organisation-production-deposer": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "examens:organisation-tableau": (302, 200, 200, 200, 200, 200, 200, 200, 200),
    "examens:proces-verbal": (302, 403, 403, 200, 200, 200, 200, 200, 200),
    "examens:proces-verbal-documents": (302, 403, 403, 200, 200, 200, 200, 200, 200),
    "examens:proces-verbal-pdf": (302, 403, 403, 200, 200, 200, 200, 200, 200),
    "examens:proposition-refuser": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "examens:proposition-valider": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "examens:propositions": (302, 403, 403, 403, 403, 200, 200, 403, 403),
    "examens:releve": (302, 404, 404, 200, 404, 200, 200, 200, 200),
    "examens:releve-documents": (302, 403, 403, 200, 404, 200, 200, 200, 200),
    "examens:releve-pdf": (302, 403, 403, 200, 404, 200, 200, 200, 200),
    "examens:reouverture-creer": (302, 403, 403, 403, 403, 200, 200, 403, 403),
    "examens:reouverture-modifier": (302, 403, 403, 403, 403, 200, 200, 403, 403),
    "examens:saisie-notes": (302, 403, 403, 200, 200, 200, 200, 403, 403),
    "examens:session": (302, 403, 403, 200, 200, 200, 200, 200, 200),
    "examens:sessions": (302, 403, 403, 200, 200, 200, 200, 200, 200),
    "examens:simulateur": (302, 403, 403, 403, 403, 200, 200, 200, 200),
    "examens:trace": (302, 403, 403, 403, 403, 200, 200, 200, 200),
    "examens:verrouiller": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "login": (200, 302, 302, 302, 302, 302, 302, 302, 302),
    "logout": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "mot-de-passe": (302, 200, 200, 200, 200, 200, 200, 200, 200),
    "pfmp:attestation": (302, 404, 200, 200, 404, 200, 200, 403, 403),
    "pfmp:attestation-saisir": (302, 404, 200, 200, 404, 200, 200, 403, 403),
    "pfmp:candidat": (302, 404, 200, 200, 404, 200, 200, 403, 403),
    "pfmp:certificat-ajouter": (302, 403, 403, 200, 404, 200, 200, 403, 403),
    "pfmp:certificat-supprimer": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "pfmp:convention": (302, 404, 200, 200, 404, 200, 200, 403, 403),
    "pfmp:document-liaison": (302, 404, 200, 200, 404, 200, 200, 403, 403),
    "pfmp:dossier": (302, 403, 403, 200, 404, 200, 200, 403, 403),
    "pfmp:evaluation": (302, 404, 200, 200, 404, 200, 200, 403, 403),
    "pfmp:evaluation-imprimer": (302, 404, 200, 200, 404, 200, 200, 403, 403),
    "pfmp:index": (302, 302, 302, 302, 200, 302, 302, 403, 403),
    "pfmp:lien-revoquer": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "pfmp:lien-tuteur": (302, 404, 200, 200, 404, 200, 200, 403, 403),
    "pfmp:organisation-ajouter": (302, 200, 200, 200, 200, 200, 200, 403, 403),
    "pfmp:organisations": (302, 200, 200, 200, 200, 200, 200, 403, 403),
    "pfmp:periode-ajouter": (302, 404, 200, 200, 404, 200, 200, 403, 403),
    "pfmp:periode-supprimer": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "pfmp:signature-pdf": (302, 404, 404, 404, 404, 404, 404, 403, 403),
    "pfmp:synchroniser": (302, 405, 405, 405, 405, 405, 405, 405, 405),
    "pfmp:tableau": (302, 200, 200, 200, 200, 200, 200, 403, 403),
    "pfmp:tuteur": (404, 404, 404, 404, 404, 404, 404, 404, 404),
    "referentiel:activite": (302, 200, 200, 200, 200, 200, 200, 200, 200),
    "referentiel:blocs": (302, 200, 200, 200, 200, 200, 200, 200, 200),
    "referentiel:competence": (302, 200, 200, 200, 200, 200, 200, 200, 200),
    "referentiel:export-json": (302, 200, 200, 200, 200, 200, 200, 200, 200),
    "referentiel:index": (302, 302, 302, 302, 302, 302, 302, 302, 302),
    "referentiel:poles": (302, 200, 200, 200, 200, 200, 200, 200, 200),
    "referentiel:recherche": (302, 200, 200, 200, 200, 200, 200, 200, 200),
}


def motifs(resolver=None, prefixe="", convertisseurs=()):
    """(nom, noms des paramètres) de chaque URL nommée, l'administration Django exceptée."""
    for motif in (resolver or get_resolver()).url_patterns:
        if isinstance(motif, URLResolver):
            if motif.namespace == "admin":
                continue
            yield from motifs(
                motif,
                prefixe + (motif.namespace + ":" if motif.namespace else ""),
                (*convertisseurs, *motif.pattern.converters),
            )
        elif isinstance(motif, URLPattern) and motif.name:
            yield prefixe + motif.name, (*convertisseurs, *motif.pattern.converters)


def valeur_de_pk(nom: str) -> str:
    if nom in PK:
        return PK[nom]
    for prefixe, cle in sorted(PK_PAR_PREFIXE.items(), key=lambda p: -len(p[0])):
        if nom.startswith(prefixe):
            return cle
    return "candidat"


def cle_de_parametre(nom: str, parametre: str) -> str:
    """La clé de `valeurs` d'un paramètre d'URL. <situation> est le numéro de la situation d'une grille (1), mais la
    clé primaire d'une situation planifiée dans l'organisation du CCF (elle dépend de l'ordre des tests)."""
    if parametre == "pk":
        return valeur_de_pk(nom)
    if parametre == "situation" and nom.startswith("examens:organisation"):
        return "situation_planifiee"
    return parametre


@pytest.fixture
def contexte(db, settings):
    settings.DEBUG = True
    call_command("charger_demo", verbosity=0)
    settings.DEBUG = False
    from django.contrib.auth.models import User

    from examens.models import Commission, Division, ExportLot, Jury
    from pfmp.models import Attestation, CertificatTravail, Periode
    from referentiel.models import Competence

    division = Division.objects.get(nom="TAGO1")
    commission = Commission.objects.filter(divisions=division, gabarit__epreuve="E31").first()
    candidat = commission.divisions.first().candidats.filter(statut="scolaire_public").order_by("numero").first()
    periode = Periode.objects.filter(convention__candidat__division=division).first()
    gestionnaire_autre = fabriques.utilisateur("gestionnaire-ailleurs", "gestionnaire")
    fabriques.etablissement("0130001").gestionnaires.add(gestionnaire_autre)
    lot = ExportLot.objects.create(
        session=candidat.session,
        type="releves",
        division=division,
        demande_par=User.objects.get(username="gestionnaire"),
    )
    # Une situation de CCF planifiée, un passage et une production écrite, pour les pages de l'organisation du CCF.
    from examens.organisation.models import Passage, ProductionEcrite, Situation

    situation = Situation.objects.create(commission=commission)
    passage = Passage.objects.create(situation=situation, candidat=candidat, duree=60)
    production = ProductionEcrite.objects.create(
        passage=passage, nom="copie.pdf", type_mime="application/pdf", contenu=b"%PDF-1.4", taille=8, sha256="0" * 64
    )
    # Une échéance, une réouverture et une proposition, pour les pages des échéances de saisie.
    import datetime

    from django.utils import timezone

    from examens.models import Echeance, PropositionNote, Reouverture

    plus_tard = timezone.now() + datetime.timedelta(days=30)
    echeance = Echeance.objects.create(session=candidat.session, unite="U31", fermee_le=plus_tard)
    reouverture = Reouverture.objects.create(session=candidat.session, unite="U31", fin=plus_tard, motif="essai")
    proposition = PropositionNote.objects.create(candidat=candidat, unite="U2", texte="12")
    valeurs = {
        "annee": 2026,
        "code": "AGORA-2020",
        "activite": "1.1",
        "jeton": "0" * 32,
        "format": "csv",
        "sorte": "notes",
        "extension": "csv",
        "unite": "U51",
        "situation": 1,
        "situation_planifiee": situation.pk,
        "candidat": candidat.pk,
        "commission": commission.pk,
        "division": division.pk,
        "competence": Competence.objects.first().pk,
        "periode": periode.pk if periode else 0,
        "attestation": Attestation.objects.filter(periode__convention__candidat__division=division)
        .values_list("pk", flat=True)
        .first()
        or 0,
        "certificat": CertificatTravail.objects.values_list("pk", flat=True).first() or 0,
        "export": lot.pk if lot else 0,
        "lien": 0,
        "jury": Jury.objects.get(nom="Paris").pk,
        "document": 0,
        "passage": passage.pk,
        "production": production.pk,
        "echeance": echeance.pk,
        "reouverture": reouverture.pk,
        "proposition": proposition.pk,
        # Un compte à part : les POST hostiles aux pages des comptes (désactiver…) ne touchent pas les six rôles.
        "compte": fabriques.utilisateur("compte-essai", "enseignant").pk,
        # Le lien pour choisir son mot de passe : un jeton faux donne la page « ce lien n'est plus valable ».
        "uidb64": "MQ",
        "token": "jeton-faux",
    }
    utilisateurs = {
        "anonyme": None,
        "enseignant_autre": User.objects.get(username="enseignant2"),
        "enseignant": User.objects.get(username="enseignant"),
        "gestionnaire": User.objects.get(username="gestionnaire"),
        "gestionnaire_autre": gestionnaire_autre,
        "administrateur": User.objects.get(username="administrateur"),
        # la division des examens des deux académies, le président et un membre du jury du lycée de TAGO1
        "academie": User.objects.get(username="academie"),
        "president": User.objects.get(username="president"),
        "jure": User.objects.get(username="jure"),
    }
    return valeurs, utilisateurs


def visiter(contexte) -> dict[str, tuple[int, ...]]:
    valeurs, utilisateurs = contexte
    clients = {}
    for role, user in utilisateurs.items():
        clients[role] = Client()
        if user:
            clients[role].force_login(user)
    observe = {}
    for nom, parametres in sorted(set(motifs())):
        kwargs = {p: valeurs[cle_de_parametre(nom, p)] for p in parametres}
        chemin = reverse(nom, kwargs=kwargs)
        observe[nom] = tuple(clients[role].get(chemin).status_code for role in ROLES)
    if os.environ.get("MATRICE_AFFICHER"):
        print("\nMATRICE = {")
        for nom, codes in observe.items():
            print(f"    {nom!r}: {codes},")
        print("}")
    return observe


def test_chaque_url_est_dans_la_matrice():
    manquantes = sorted({nom for nom, _ in motifs()} - set(MATRICE))
    assert not manquantes, f"URL sans entrée dans la matrice des permissions : {manquantes}"


def test_chaque_role_recoit_la_reponse_de_la_matrice(contexte):
    observe = visiter(contexte)
    ecarts = {nom: (MATRICE.get(nom), codes) for nom, codes in observe.items() if MATRICE.get(nom) != codes}
    assert not ecarts, "attendu → observé : " + "; ".join(f"{n} {a} → {o}" for n, (a, o) in ecarts.items())


def test_aucune_requete_malformee_ne_provoque_d_erreur_500(contexte, sans_journal_des_requetes):
    """Paramètres absurdes, objets inexistants, POST vides ou hostiles : 4xx ou redirection, jamais 500."""
    valeurs, utilisateurs = contexte
    client = Client(raise_request_exception=False)
    client.force_login(utilisateurs["gestionnaire"])
    admin = Client(raise_request_exception=False)
    admin.force_login(utilisateurs["administrateur"])
    hostiles = {
        "q": "' OR 1=1 --",
        "page": "-1",
        "tri": "__class__",
        "division": "abc",
        "etablissement": "9" * 30,
        "decision": "<script>",
        "groupe": "x",
        "format": "exe",
        "note": "1e9",
        "motif": "x" * 10000,
        "version": "-5",
        "champ": "niveau",
        "valeur": "\x00",
        "cle": "999999999",
    }
    for nom, parametres in sorted(set(motifs())):
        for remplacement in (None, 999_999):
            kwargs = {}
            for p in parametres:
                cle = cle_de_parametre(nom, p)
                kwargs[p] = remplacement if (remplacement and p in ("pk", "candidat")) else valeurs[cle]
            chemin = reverse(nom, kwargs=kwargs)
            for c in (client, admin):
                for reponse in (c.get(chemin, hostiles), c.post(chemin, hostiles), c.post(chemin, {})):
                    assert reponse.status_code < 500, f"{nom} {chemin} → {reponse.status_code}"


# ---------------------------------------------------------------------------------------------------
# Matrice des écritures : chaque porte d'écriture × chaque rôle × un objet dans / hors du périmètre
# ---------------------------------------------------------------------------------------------------
#
# Deux lycées : le lycée 1 (géré par « gestionnaire », division enseignée par « enseignant ») et le lycée 2
# (« gestionnaire_autre », « enseignant_autre »). Chaque porte est essayée par chaque rôle sur un objet de chacun
# des deux lycées. Attendu : l'écriture a lieu exactement quand la règle de `examens.perimetre` (et la permission
# du rôle) le permet ; sinon un refus (connexion pour l'anonyme, 403, 404, ou le message « hors de votre
# périmètre » / « seul un administrateur ») et la base strictement identique avant et après, table par table.
# Chaque cas tourne dans un point de sauvegarde annulé : tous partent du même état.

CIBLES = ("lycee1", "lycee2")
REFUS_TEXTES = ("hors de votre périmètre", "seul un administrateur crée un établissement")


@dataclass
class Essai:
    """Ce qu'une porte a répondu : un code HTTP (ou « commande »), et le texte à lire."""

    code: int | str
    texte: str


def _essai(reponse) -> Essai:
    if reponse.status_code in (301, 302):
        return Essai(reponse.status_code, reponse["Location"])
    return Essai(reponse.status_code, reponse.content.decode("utf-8", "replace"))


@dataclass
class MondeEcriture:
    comptes: object
    utilisateurs: dict
    candidats: dict
    uai: dict
    autre: dict
    commissions: dict
    periodes: dict
    organisation: object
    activite: object
    lignes_grille: dict


@pytest.fixture
def monde_ecriture(db, tmp_path, settings):
    from examens.ccf import gabarits, saisie
    from examens.models import MembreCommission
    from referentiel.models import Activite, Referentiel
    from tests.pfmp.outils import TERMINALE, organisation, periode

    settings.MEDIA_ROOT = str(tmp_path)
    c = fabriques.comptes()
    candidats = {
        "lycee1": fabriques.candidat(division=c.division_a, numero="P1000001", nom="UN"),
        "lycee2": fabriques.candidat(division=c.division_c, numero="P2000001", nom="DEUX"),
    }
    gabarit = gabarits.gabarits_actifs(Referentiel.objects.get(code="AGORA-2020"))["E31"]
    ens = MembreCommission.Qualite.ENSEIGNANT
    # E31 : deux enseignants ; le second, hors des six rôles essayés, complète la commission.
    collegues = [fabriques.utilisateur(f"collegue{i}", "enseignant") for i in (1, 2)]
    commissions = {
        "lycee1": saisie.enregistrer_commission(
            gabarit=gabarit,
            divisions=[c.division_a],
            membres=[(c.enseignant, ens), (collegues[0], ens)],
            auteur=c.gestionnaire,
        ),
        "lycee2": saisie.enregistrer_commission(
            gabarit=gabarit,
            divisions=[c.division_c],
            membres=[(c.enseignant_autre, ens), (collegues[1], ens)],
            auteur=c.gestionnaire_autre,
        ),
    }
    org = organisation()
    jures = fabriques.jury_de(c.division_a.etablissement, c.division_a.session)  # académie et jury du lycée 1
    return MondeEcriture(
        comptes=c,
        utilisateurs={
            "anonyme": None,
            "enseignant_autre": c.enseignant_autre,
            "enseignant": c.enseignant,
            "gestionnaire": c.gestionnaire,
            "gestionnaire_autre": c.gestionnaire_autre,
            "administrateur": c.administrateur,
            "academie": jures.academie,
            "president": jures.president,
            "jure": jures.membre,
        },
        candidats=candidats,
        uai={"lycee1": c.division_a.etablissement.uai, "lycee2": c.division_c.etablissement.uai},
        autre={"lycee1": "lycee2", "lycee2": "lycee1"},
        commissions=commissions,
        periodes={cible: periode(cand, *TERMINALE) for cible, cand in candidats.items()},
        organisation=org,
        activite=Activite.objects.get(code="1.1"),
        lignes_grille={cible: commissions[cible].gabarit.lignes.order_by("ordre").first() for cible in CIBLES},
    )


def _etat_de_la_base() -> dict:
    """Toutes les lignes de toutes les tables qu'une porte d'écriture peut toucher."""
    from examens.models import (
        Blocage,
        Candidat,
        Commission,
        Division,
        Etablissement,
        EvaluationCompetence,
        Grille,
        HistoriqueNote,
        Journal,
        Note,
        Resultat,
        Session,
    )
    from pfmp.models import Attestation, Convention, Organisation, Periode, Tuteur

    modeles = (
        Session,
        Etablissement,
        Division,
        Candidat,
        Note,
        HistoriqueNote,
        Resultat,
        Blocage,
        Commission,
        Grille,
        EvaluationCompetence,
        Journal,
        Organisation,
        Tuteur,
        Convention,
        Periode,
        Attestation,
    )
    return {m.__name__: list(m.objects.order_by("pk").values()) for m in modeles}


def _fiche_candidat(m, cible, **surcharges) -> dict:
    cand = m.candidats[cible]
    return {
        "numero_candidat": cand.numero,
        "nom": cand.nom,
        "prenom": cand.prenom,
        "date_naissance": cand.date_naissance.strftime("%d/%m/%Y"),
        "uai": m.uai[cible],
        "statut": cand.statut,
        "forme": cand.forme,
        "lv1": cand.lv1,
        "lv2": cand.lv2,
        "duree_cycle": "3",
        **surcharges,
    }


def _importer_par_la_page(client, type_, contenu: bytes, confirmer: bool) -> Essai:
    fichier = SimpleUploadedFile(f"{type_}.csv", contenu)
    reponse = client.post("/examens/sessions/2026/importer/", {"type": type_, "fichier": fichier})
    if reponse.status_code != 200 or not confirmer or not reponse.context or "jeton" not in reponse.context:
        return _essai(reponse)
    return _essai(client.post(f"/examens/sessions/2026/importer/{reponse.context['jeton']}/confirmer/", follow=True))


def _commande(nom, m, role, contenu: bytes, tmp) -> Essai:
    fichier = tmp / f"{nom}.csv"
    fichier.write_bytes(contenu)
    identifiant = m.utilisateurs[role].username if m.utilisateurs[role] else "personne"
    erreurs, sortie = io.StringIO(), io.StringIO()
    try:
        call_command(
            nom, "--session", "2026", str(fichier), "--utilisateur", identifiant, stdout=sortie, stderr=erreurs
        )
    except CommandError as e:
        return Essai("refus", f"{e}\n{erreurs.getvalue()}")
    return Essai("ok", sortie.getvalue())


def _csv(entete: str, *lignes: str) -> bytes:
    return ("\n".join([entete, *lignes]) + "\n").encode()


ENTETE_CANDIDATS = "numero_candidat;nom;prenom;date_naissance;uai;statut;forme;lv1;lv2;facultatives"
ENTETE_PFMP = "numero_candidat;siret;organisation;pays;date_debut;date_fin;semaines;attestation_signee"


def _ligne_candidat(numero, uai) -> str:
    return f"{numero};NOUVEAU;Léa;14/03/2008;{uai};scolaire_public;globale;en;es;"


def _uai_inconnu(cible) -> str:
    return fabriques.uai("0590001" if cible == "lycee1" else "0590002")


# Chaque porte : (action, qui écrit). `action(client, m, cible, role, tmp)` → Essai ; `qui(role, cible)` → bool.
def _bureau(role, cible):
    """Le bureau des examens : l'administrateur partout, chaque gestionnaire dans son lycée, la division des
    examens dans son académie (celle du lycée 1)."""
    return role == "administrateur" or (role, cible) in {
        ("gestionnaire", "lycee1"),
        ("gestionnaire_autre", "lycee2"),
        ("academie", "lycee1"),
    }


def _jury(role, cible):
    """Les actes du jury : l'administrateur partout ; la division des examens, le président et le membre du jury
    du lycée 1 pour ses candidats. Le gestionnaire d'un lycée ne délibère pas."""
    return role == "administrateur" or (role, cible) in {
        ("academie", "lycee1"),
        ("president", "lycee1"),
        ("jure", "lycee1"),
    }


def _administrateur(role, cible):
    return role == "administrateur"


def _enseignant_du_lycee(role, cible):
    return (role, cible) in {("enseignant", "lycee1"), ("enseignant_autre", "lycee2")}


def _pfmp(role, cible):
    """Dossier PFMP : le bureau des examens et l'enseignant de la division (référent)."""
    return _bureau(role, cible) or _enseignant_du_lycee(role, cible)


def _grille(role, cible):
    """Une grille en brouillon : les membres de la commission et l'administrateur."""
    return role == "administrateur" or _enseignant_du_lycee(role, cible)


PORTES = {
    "candidat-creer": (
        lambda cl, m, cible, role, tmp: _essai(
            cl.post("/examens/sessions/2026/candidats/nouveau/", _fiche_candidat(m, cible, numero_candidat="NEUF1"))
        ),
        _bureau,
    ),
    "candidat-creer-uai-inconnu": (
        lambda cl, m, cible, role, tmp: _essai(
            cl.post(
                "/examens/sessions/2026/candidats/nouveau/",
                _fiche_candidat(m, cible, numero_candidat="NEUF2", uai=_uai_inconnu(cible)),
            )
        ),
        _administrateur,
    ),
    "candidat-modifier": (
        lambda cl, m, cible, role, tmp: _essai(
            cl.post(f"/examens/candidats/{m.candidats[cible].pk}/modifier/", _fiche_candidat(m, cible, nom="CHANGE"))
        ),
        _bureau,
    ),
    "candidat-deplacer": (
        lambda cl, m, cible, role, tmp: _essai(
            cl.post(
                f"/examens/candidats/{m.candidats[cible].pk}/modifier/",
                _fiche_candidat(m, cible, uai=m.uai[m.autre[cible]]),
            )
        ),
        _administrateur,  # nul ne gère les deux lycées
    ),
    "note-enregistrer": (
        lambda cl, m, cible, role, tmp: _essai(
            cl.post(f"/examens/candidats/{m.candidats[cible].pk}/notes/U31/", {"note": "15"})
        ),
        _bureau,
    ),
    "jury-note": (
        lambda cl, m, cible, role, tmp: _essai(
            cl.post(
                f"/examens/candidats/{m.candidats[cible].pk}/jury/note/",
                {"unite": "U31", "note": "16", "groupe": "1", "motif": "harmonisation"},
            )
        ),
        _jury,
    ),
    "jury-points": (
        lambda cl, m, cible, role, tmp: _essai(
            cl.post(f"/examens/candidats/{m.candidats[cible].pk}/jury/points/", {"points": "2", "motif": "assiduité"})
        ),
        _jury,
    ),
    "controle-choix": (
        lambda cl, m, cible, role, tmp: _essai(
            cl.post(
                f"/examens/candidats/{m.candidats[cible].pk}/controle/",
                {"controle_scientifique": "U11", "controle_francais_hg": "U52"},
            )
        ),
        _jury,
    ),
    "import-candidats-page": (
        lambda cl, m, cible, role, tmp: _importer_par_la_page(
            cl, "candidats", _csv(ENTETE_CANDIDATS, _ligne_candidat("NEUF3", m.uai[cible])), confirmer=True
        ),
        _bureau,
    ),
    "import-candidats-uai-inconnu-page": (
        lambda cl, m, cible, role, tmp: _importer_par_la_page(
            cl, "candidats", _csv(ENTETE_CANDIDATS, _ligne_candidat("NEUF4", _uai_inconnu(cible))), confirmer=True
        ),
        _administrateur,
    ),
    "import-notes-apercu": (
        lambda cl, m, cible, role, tmp: _importer_par_la_page(
            cl, "notes", _csv("numero_candidat;unite;note", f"{m.candidats[cible].numero};U31;15"), confirmer=False
        ),
        _bureau,
    ),
    "import-notes-confirme": (
        lambda cl, m, cible, role, tmp: _importer_par_la_page(
            cl, "notes", _csv("numero_candidat;unite;note", f"{m.candidats[cible].numero};U31;15"), confirmer=True
        ),
        _bureau,
    ),
    "commande-importer_candidats": (
        lambda cl, m, cible, role, tmp: _commande(
            "importer_candidats", m, role, _csv(ENTETE_CANDIDATS, _ligne_candidat("NEUF5", m.uai[cible])), tmp
        ),
        _bureau,
    ),
    "commande-importer_notes": (
        lambda cl, m, cible, role, tmp: _commande(
            "importer_notes", m, role, _csv("numero_candidat;unite;note", f"{m.candidats[cible].numero};U31;15"), tmp
        ),
        _bureau,
    ),
    "commande-importer_pfmp": (
        lambda cl, m, cible, role, tmp: _commande(
            "importer_pfmp",
            m,
            role,
            _csv(ENTETE_PFMP, f"{m.candidats[cible].numero};;Oficina;ES;06/01/2025;28/02/2025;8;oui"),
            tmp,
        ),
        _bureau,  # permission pfmp.importer : le bureau des examens seul
    ),
    "pfmp-periode-ajouter": (
        lambda cl, m, cible, role, tmp: _essai(
            cl.post(
                f"/pfmp/candidats/{m.candidats[cible].pk}/periodes/ajouter/",
                {
                    "organisation": m.organisation.pk,
                    "date_debut": "2025-01-06",
                    "date_fin": "2025-02-28",
                    "semaines": "8",
                    "pays": "",
                    "referent": "",
                    "etat_convention": "signee",
                    "date_signature": "2024-12-15",
                },
            )
        ),
        _pfmp,
    ),
    "pfmp-attestation-saisir": (
        lambda cl, m, cible, role, tmp: _essai(
            cl.post(
                f"/pfmp/periodes/{m.periodes[cible].pk}/attestation/",
                {
                    "date_debut": "2025-11-03",
                    "date_fin": "2025-12-26",
                    "semaines": "8",
                    "activites": [m.activite.pk],
                    "signataire": "Sophie Bernard",
                    "signee": "on",
                    "date_signature": "2025-12-26",
                    "observations": "",
                },
            )
        ),
        _pfmp,
    ),
    "pfmp-convention": (
        lambda cl, m, cible, role, tmp: _essai(
            cl.post(
                f"/pfmp/periodes/{m.periodes[cible].pk}/convention/", {"etat": "signee", "date_signature": "2025-10-15"}
            )
        ),
        _pfmp,
    ),
    "pfmp-periode-supprimer": (
        lambda cl, m, cible, role, tmp: _essai(cl.post(f"/pfmp/periodes/{m.periodes[cible].pk}/supprimer/")),
        _bureau,  # permission pfmp.delete_convention : le bureau des examens seul
    ),
    "grille-enregistrer": (
        lambda cl, m, cible, role, tmp: _essai(
            cl.post(
                reverse("examens:grille-enregistrer", args=[m.commissions[cible].pk, m.candidats[cible].pk, 1]),
                {"version": "0", "champ": "niveau", "valeur": "S", "cle": str(m.lignes_grille[cible].pk)},
            )
        ),
        _grille,
    ),
}


def _refus_conforme(role: str, essai: Essai) -> bool:
    """Un refus se voit : connexion (anonyme), 403, 404, 422, ou le message du périmètre."""
    if essai.code == "refus":
        return True
    if role == "anonyme":
        return essai.code == 302 and essai.texte.startswith("/connexion/")
    return essai.code in (403, 404, 422) or any(t in essai.texte for t in REFUS_TEXTES)


def test_chaque_porte_d_ecriture_respecte_le_perimetre_de_chaque_role(monde_ecriture, tmp_path):
    m = monde_ecriture
    cas, ecarts = 0, []
    for nom, (action, qui) in PORTES.items():
        for role in ROLES:
            for cible in CIBLES:
                cas += 1
                with transaction.atomic():
                    client = Client()
                    if m.utilisateurs[role]:
                        client.force_login(m.utilisateurs[role])
                    avant = _etat_de_la_base()
                    essai = action(client, m, cible, role, tmp_path)
                    apres = _etat_de_la_base()
                    transaction.set_rollback(True)
                change = avant != apres
                if nom == "import-notes-apercu":  # un aperçu n'écrit jamais : il montre ce qui changerait
                    attendu_ecrit, ecrit = False, change
                    accepte = "Aperçu" in str(essai.texte) and essai.code == 200
                else:
                    attendu_ecrit, ecrit = qui(role, cible), change
                    accepte = ecrit
                if qui(role, cible):
                    if not accepte or ecrit != attendu_ecrit:
                        ecarts.append(f"{nom} × {role} × {cible} : écriture attendue, obtenu {essai.code}")
                elif change or not _refus_conforme(role, essai):
                    ecarts.append(
                        f"{nom} × {role} × {cible} : refus attendu, obtenu {essai.code}"
                        + (" et la base a changé" if change else " sans message de refus")
                    )
    assert cas == len(PORTES) * len(ROLES) * len(CIBLES) == NOMBRE_DE_CAS_ECRITURE
    assert not ecarts, "\n".join(ecarts)


NOMBRE_DE_CAS_ECRITURE = 360


def test_le_readme_annonce_le_nombre_de_cas_de_la_matrice_des_ecritures():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert f"soit **{NOMBRE_DE_CAS_ECRITURE} cas**" in readme
    assert f"{len(PORTES)} portes d'écriture" in readme


# Charges hostiles de la promenade : le caractère nul (PostgreSQL le refuse), une demi-paire UTF-16 isolée
# (U+D800 encodé comme en CESU-8, %ED%A0%80), des chaînes de 100 Ko, en chiffres (conversions en entier)
# et en lettres accentuées (filtres, recherches, champs de texte), et un chiffre en exposant.
CHARGES = {
    "nul": "a%00b",
    "demi_paire": "a%ED%A0%80b",
    "chiffres_100_ko": "9" * 100_000,
    "texte_100_ko": "%C3%A9" * 50_000,
    "exposant": "%C2%B2",  # « ² » : str.isdigit() l'accepte, int() le refuse
}
NOMS_DE_CHAMPS = re.compile(r'name="([A-Za-z_][\w-]*)"')
CLES_HOSTILES = (
    "q", "page", "tri", "division", "etablissement", "decision", "groupe", "format", "note", "motif", "version",
    "champ", "valeur", "cle", "unite", "statut", "session", "candidat", "commission", "code", "activite",
)  # fmt: skip


# Un compte par jeu de permissions : les « autres » (enseignant d'une autre division, gestionnaire d'un autre lycée,
# membre du jury) passent par les mêmes vues et les mêmes formulaires que leur homologue ; les garder doublait la
# promenade (plus de 30 minutes) sans ouvrir un chemin de plus. La matrice des réponses les essaie tous.
ROLES_PROMENADE = ("anonyme", "enseignant", "gestionnaire", "administrateur", "academie", "president")


@pytest.fixture
def sans_journal_des_requetes():
    """Chaque 4xx est journalisée par `django.request` et par les enfants de `django.security`
    (`django.security.RequestDataTooBig`…), avec la requête en `extra` et sa pile d'appels ; la capture des journaux
    de pytest garde ces enregistrements jusqu'à la fin du test, donc chaque requête et ses charges de 100 Ko : des
    Go sur la promenade entière (désactiver `django.security` ne suffit pas, ses enfants ont chacun leur logger).
    Le test ne lit que les codes de réponse : toute la journalisation est coupée le temps de la promenade."""
    logging.disable(logging.CRITICAL)
    yield
    logging.disable(logging.NOTSET)


def test_caracteres_interdits_et_chaines_geantes_jamais_de_500(contexte, sans_journal_des_requetes):
    """Chaque URL × chaque rôle × chaque charge : dans l'adresse (paramètres texte du chemin), dans chaque
    paramètre GET et dans chaque champ POST (ceux des formulaires de la page, plus les filtres connus).
    Aucune réponse 500 ; les caractères interdits reçoivent la page 400 en français."""
    valeurs, utilisateurs = contexte
    clients = {}
    for role, user in utilisateurs.items():
        clients[role] = Client(raise_request_exception=False)
        if user:
            clients[role].force_login(user)
    requetes = 0
    urls = sorted(set(motifs()))
    for nom, parametres in urls:
        kwargs = {p: valeurs[cle_de_parametre(nom, p)] for p in parametres}
        chemin = reverse(nom, kwargs=kwargs)
        champs = set(CLES_HOSTILES)
        for role in ("gestionnaire", "administrateur", "enseignant"):
            champs |= set(NOMS_DE_CHAMPS.findall(clients[role].get(chemin).content.decode(errors="replace")))
        champs -= {"csrfmiddlewaretoken"}
        textes = [p for p in parametres if p not in ("pk", "candidat", "annee")]
        for charge_nom, charge in CHARGES.items():
            requete = "&".join(f"{champ}={charge}" for champ in sorted(champs))
            chemins = [chemin]
            for p in textes:  # la charge à la place d'un paramètre texte du chemin (<str:…>)
                try:
                    chemins.append(reverse(nom, kwargs={**kwargs, p: "CHARGE"}).replace("CHARGE", charge[:2000]))
                except NoReverseMatch:  # paramètre entier
                    continue
            for role in ROLES_PROMENADE:
                c = clients[role]
                for ch in chemins:
                    reponses = [c.get(f"{ch}?{requete}")]
                    if nom != "logout":  # la déconnexion viderait la session du client pour la suite
                        reponses.append(c.post(ch, requete, content_type="application/x-www-form-urlencoded"))
                    for reponse in reponses:
                        requetes += 1
                        assert reponse.status_code < 500, f"{nom} {role} {charge_nom} → {reponse.status_code}"
                        if charge_nom == "nul" and reponse.status_code == 400:
                            assert "caractère invalide" in reponse.content.decode()
    print(
        f"\npromenade hostile : {len(urls)} URL × {len(ROLES_PROMENADE)} rôles × {len(CHARGES)} charges, "
        f"{requetes} requêtes"
    )
