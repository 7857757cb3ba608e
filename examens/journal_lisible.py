"""Le journal d'audit en phrases : « U2 de LEROY Théo : 9,00 → 10,00 — motif : … — par Mme X, le 12/06/2026 à 14 h 03 ».

Lecture seule, pour la page du journal, la fiche du candidat et l'export CSV : les lignes du journal restent des
valeurs brutes (action, objet, avant, après), c'est ici qu'elles deviennent lisibles. Deux requêtes par page au plus
(les noms des candidats et des auteurs), quel que soit le nombre d'entrées.
"""

import datetime
import re
from dataclasses import dataclass

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from agora.format import texte_decimal
from examens.comptes.services import PERIMETRES
from examens.models import Candidat, Journal

# Libellé de chaque action (préfixe le plus long d'abord) : ce que la personne a fait.
ACTIONS = {
    "note.saisie": "Note saisie",
    "note.jury": "Note modifiée par le jury",
    "note.lever_nv": "« Non valide » levé par le jury",
    "import.notes": "Import de notes",
    "import.candidats": "Import de candidats",
    "import.pfmp": "Import de PFMP",
    "candidat.creation": "Candidat créé",
    "candidat.modification": "Candidat modifié",
    "jury.points": "Points du jury",
    "controle.choix": "Unités de l'épreuve de contrôle choisies",
    "deliberation.calcul": "Session recalculée",
    "deliberation.verrouillage": "Délibération verrouillée",
    "deliberation.deverrouillage": "Délibération déverrouillée",
    "jury.creation": "Jury constitué",
    "jury.modification": "Composition du jury modifiée",
    "jury.verrouillage": "Délibération du jury verrouillée",
    "jury.deverrouillage": "Délibération du jury déverrouillée",
    "jury.validation_pv": "Procès-verbal validé par le président du jury",
    "grille.confirmation": "Grille confirmée par un membre",
    "grille.validation": "Grille validée par la commission",
    "grille.reouverture": "Grille rouverte",
    "grille.transmission": "Grille transmise au jury",
    "grille.renvoi": "Grille renvoyée à la commission",
    "grille.arret": "Note arrêtée par le jury",
    "ccf.planification": "Situations de CCF planifiées",
    "ccf.passage.deplacement": "Passage de CCF déplacé",
    "ccf.presence": "Présence marquée à une situation de CCF",
    "ccf.grille.rattrapage": "Grille datée du rattrapage planifié",
    "ccf.conformite": "Conformité du dossier vérifiée",
    "ccf.amenagement": "Aménagements d'épreuves enregistrés",
    "ccf.production.depot": "Production écrite d'E2 déposée",
    "ccf.production.purge": "Production écrite d'E2 effacée",
    "echeance.creation": "Échéance de saisie fixée",
    "echeance.modification": "Échéance de saisie modifiée",
    "reouverture.creation": "Saisie rouverte à titre exceptionnel",
    "reouverture.modification": "Réouverture exceptionnelle modifiée",
    "proposition.creation": "Note proposée pendant une réouverture",
    "proposition.validation": "Proposition de note validée et écrite",
    "proposition.refus": "Proposition de note refusée",
    "commission.creation": "Commission créée",
    "commission.modification": "Commission modifiée",
    "document.emission": "Document émis",
    "document.correction": "Nouvelle version d'un document émis",
    "export.demande": "Export demandé",
    "export.relance": "Export relancé",
    "pfmp.periode.creation": "Période de PFMP ajoutée",
    "pfmp.periode.suppression": "Période de PFMP supprimée",
    "pfmp.convention.signature": "Convention de PFMP",
    "pfmp.attestation.creation": "Attestation de PFMP enregistrée",
    "pfmp.attestation.modification": "Attestation de PFMP corrigée",
    "pfmp.certificat.creation": "Certificat de travail ajouté",
    "pfmp.certificat.suppression": "Certificat de travail supprimé",
    "pfmp.dossier": "Dossier PFMP",
    "pfmp.evaluation.creation": "Évaluation du tuteur enregistrée",
    "pfmp.evaluation.modification": "Évaluation du tuteur modifiée",
    "pfmp.synchronisation": "Conformité PFMP recalculée",
    "reglement.rattachement": "Version du règlement appliquée",
    "sauvegarde.creation": "Sauvegarde de la session",
    "sauvegarde.restauration": "Restauration de la session",
    "donnees.generation": "Données synthétiques générées",
    "donnees.suppression": "Données synthétiques supprimées",
    "compte.creation": "Compte créé",
    "compte.modification": "Compte modifié",
    "compte.desactivation": "Compte désactivé",
    "compte.reactivation": "Compte réactivé",
    "compte.mot_de_passe": "Mot de passe défini par un administrateur",
    "compte.mot_de_passe_choisi": "Mot de passe choisi par son titulaire",
    "compte.lien": "Lien pour choisir le mot de passe envoyé",
}

# Les clés des valeurs avant → après, en mots.
CLES = {
    "note": "note",
    "points": "points",
    "scientifique": "unité scientifique",
    "francais_hg": "français ou histoire-géographie",
    "verrouillee": "verrouillée",
    "verrouille": "verrouillé",
    "pv_valide_le": "procès-verbal validé le",
    "etat": "état",
    "unite": "note de l'unité",
    "lignes": "lignes",
    "creees": "créées",
    "modifiees": "modifiées",
    "inchangees": "inchangées",
    "resultats_changes": "résultats modifiés",
    "etablissements_crees": "établissements créés",
    "membre": "membre",
    "reglement": "règlement",
    "statut": "statut",
    "forme": "forme",
    "facultative1": "unité facultative 1",
    "facultative2": "unité facultative 2",
    "positionnement_semaines": "semaines de positionnement",
    "positionnement_date": "date de positionnement",
    "titre_dispense": "titre de dispense",
    "chef_oeuvre": "chef-d'œuvre",
    "nom": "nom",
    "prenom": "prénom",
    "lv1": "LV1",
    "lv2": "LV2",
    "duree_cycle": "durée du cycle",
    "date_naissance": "date de naissance",
    "admis": "admis",
    "controle": "épreuve de contrôle",
    "ajourne": "ajournés",
    "remplacement": "remplacement",
    "non_delivrable": "non délivrables",
    "incomplet": "incomplets",
    "a_risque": "à risque",
    "en_cours": "en cours",
    "conforme": "conformes",
    "debut": "début",
    "fin": "fin",
    "numero": "numéro",
    "signee": "signée",
    "date_signature": "signée le",
    "activites": "activités",
    "annee_cycle": "année du cycle",
    "siret": "SIRET",
    "organisation": "organisation",
    "pays": "pays",
    "semaines": "semaines",
    "signataire": "signataire",
    "id": "n°",
    "sha256": "empreinte",
    "version": "version",
    "pages": "pages",
    "portee": "portée",
    "etablissement": "établissement",
    "fermee_le": "saisie close le",
    "beneficiaires": "personnes nommées",
    "proposition_seulement": "proposition seulement",
    "roles": "rôle",
    "actif": "actif",
    "email": "adresse électronique",
    "mot_de_passe": "mot de passe",
    "lien_envoye_a": "envoyé à",
}
# Les périmètres d'un compte sont journalisés sous le nom de leur relation (« divisions_enseignees ») : ce sont des
# ensembles, dont on écrit ce qui est ajouté et retiré plutôt que les deux listes complètes. Une sorte de périmètre
# ajoutée à PERIMETRES est donc lisible ici sans rien changer.
CLES.update({p.relation: p.libelle.lower() for p in PERIMETRES})
ENSEMBLES = {p.relation for p in PERIMETRES}
# Les seules valeurs écrites comme des nombres décimaux à la française : un code d'activité « 1.2 » reste « 1.2 ».
NUMERIQUES = {"note", "points", "semaines", "moyenne", "chef_oeuvre", "positionnement_semaines"}
VALEURS = {True: "oui", False: "non", None: "∅", "": "∅"}


def libelle_action(action: str) -> str:
    return ACTIONS.get(action, action.replace(".", " ").replace("_", " ").capitalize())


def _valeur(v, cle: str = "") -> str:
    if isinstance(v, bool) or v is None or v == "":
        return VALEURS[v]
    if isinstance(v, list):
        return ", ".join(_valeur(x) for x in v) or "∅"
    if isinstance(v, dict):
        return ", ".join(f"{CLES.get(k, k)} {_valeur(x, k)}" for k, x in v.items())
    texte = str(v)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", texte):
        return f"{texte[8:10]}/{texte[5:7]}/{texte[:4]}"
    # un instant ISO (« 2026-12-01T19:01:23.454266+00:00 ») : à l'heure de Paris, comme la colonne « Quand »
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}[^ ]*", texte):
        try:
            instant = datetime.datetime.fromisoformat(texte)
        except ValueError:
            return texte
        return quand(instant) if timezone.is_aware(instant) else f"{instant:%d/%m/%Y} à {instant.hour} h {instant:%M}"
    # « 2.5 » → « 2,50 » pour une note ou des points ; les entiers, codes et identifiants restent tels quels.
    if cle in NUMERIQUES and re.fullmatch(r"\d+\.\d+", texte):
        return texte_decimal(texte)
    return texte


def changements(avant, apres) -> str:
    """« note : 9,00 → 10,00 ; points : 0 → 2,5 », ou « lignes 12, créées 10 » pour un simple compte rendu."""
    if not isinstance(avant, dict) and not isinstance(apres, dict):
        if avant in (None, "") and apres in (None, ""):
            return ""
        return f"{_valeur(avant)} → {_valeur(apres)}" if avant not in (None, "") else _valeur(apres)
    avant = avant if isinstance(avant, dict) else {}
    apres = apres if isinstance(apres, dict) else {}
    if not avant:
        return ", ".join(f"{CLES.get(k, k)} : {_valeur(v, k)}" for k, v in apres.items())
    morceaux = []
    for k in dict.fromkeys([*avant, *apres]):
        a, b = avant.get(k), apres.get(k)
        if k in ENSEMBLES and isinstance(a, list) and isinstance(b, list):
            ajouts = [x for x in b if x not in a]
            retraits = [x for x in a if x not in b]
            detail = [f"+ {_valeur(x)}" for x in ajouts] + [f"− {_valeur(x)}" for x in retraits]
            if detail:
                morceaux.append(f"{CLES.get(k, k)} : {', '.join(detail)}")
        elif a != b:
            morceaux.append(f"{CLES.get(k, k)} : {_valeur(a, k)} → {_valeur(b, k)}")
    return " ; ".join(morceaux)


@dataclass
class EntreeLisible:
    entree: Journal
    quand: str
    qui: str
    quoi: str
    detail: str
    candidat: str

    @property
    def phrase(self) -> str:
        morceaux = [self.quoi + (f" — {self.detail}" if self.detail else "")]
        if self.entree.motif:
            morceaux.append(f"motif : {self.entree.motif}")
        return " — ".join(morceaux)


def quand(date) -> str:
    """« 12/06/2026 à 14 h 03 », à l'heure de Paris."""
    locale = timezone.localtime(date)
    return f"{locale:%d/%m/%Y} à {locale.hour} h {locale:%M}"


def lisibles(entrees: list[Journal], session_annee: int) -> list[EntreeLisible]:
    numeros = {e.candidat_numero for e in entrees if e.candidat_numero}
    candidats = {
        numero: f"{nom} {prenom} ({numero})"
        for numero, nom, prenom in Candidat.objects.filter(
            session__annee=session_annee, numero__in=numeros
        ).values_list("numero", "nom", "prenom")
    }
    # Les comptes décrits par les entrées « compte.… » (objet = identifiant) sont lus dans la même requête que les
    # auteurs.
    identifiants = {e.auteur for e in entrees if e.auteur} | {
        e.objet for e in entrees if e.action.startswith("compte.")
    }
    auteurs = {
        u.username: (u.get_full_name() or u.username)
        for u in get_user_model().objects.filter(username__in=identifiants)
    }
    resultat = []
    for e in entrees:
        candidat = candidats.get(e.candidat_numero, e.candidat_numero) if e.candidat_numero else ""
        quoi = libelle_action(e.action)
        objet = e.objet
        if e.action.startswith("compte.") and objet:
            nom = auteurs.get(objet, objet)
            objet = f"{nom} ({objet})" if nom != objet else objet
        if objet and candidat:
            quoi = f"{quoi} : {objet} de {candidat}"
        elif candidat:
            quoi = f"{quoi} : {candidat}"
        elif objet:
            quoi = f"{quoi} : {objet}"
        resultat.append(
            EntreeLisible(
                entree=e,
                quand=quand(e.date),
                qui=auteurs.get(e.auteur, e.auteur) or "le système",
                quoi=quoi,
                detail=changements(e.avant, e.apres),
                candidat=candidat,
            )
        )
    return resultat


FORMATS_DATE = ["%d/%m/%Y", "%Y-%m-%d"]


class FiltreJournal(django_filters.FilterSet):
    """Filtres de la page du journal : candidat, unité, auteur, action, période."""

    candidat = django_filters.CharFilter(label="Candidat (numéro)", field_name="candidat_numero", lookup_expr="iexact")
    unite = django_filters.CharFilter(label="Unité", field_name="objet", lookup_expr="istartswith")
    auteur = django_filters.CharFilter(label="Auteur (identifiant)", field_name="auteur", lookup_expr="iexact")
    # Les actions sur les comptes n'appartiennent à aucune session : elles se lisent sur la fiche du compte.
    action = django_filters.ChoiceFilter(
        label="Action",
        field_name="action",
        choices=sorted(((k, v) for k, v in ACTIONS.items() if not k.startswith("compte.")), key=lambda x: x[1]),
        empty_label="toutes",
    )
    du = django_filters.DateFilter(
        label="Du (JJ/MM/AAAA)",
        field_name="date",
        lookup_expr="date__gte",
        input_formats=FORMATS_DATE,
        widget=forms.TextInput(attrs={"placeholder": "JJ/MM/AAAA", "inputmode": "numeric"}),
    )
    au = django_filters.DateFilter(
        label="Au (JJ/MM/AAAA)",
        field_name="date",
        lookup_expr="date__lte",
        input_formats=FORMATS_DATE,
        widget=forms.TextInput(attrs={"placeholder": "JJ/MM/AAAA", "inputmode": "numeric"}),
    )

    class Meta:
        model = Journal
        fields = ["candidat", "unite", "auteur", "action", "du", "au"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for champ in self.form.fields.values():
            classe = "form-select" if isinstance(champ.widget, forms.Select) else "form-control"
            champ.widget.attrs["class"] = (
                f"{classe} form-control-sm" if classe == "form-control" else "form-select form-select-sm"
            )
