"""PFMP synthétiques pour `generer_donnees` (bancs d'essai, jamais en production).

Chaque candidat reçoit ce que l'Annexe III exige de sa voie (`regles_pfmp.exigence`), tel qu'une session se
présente au jury (date de référence de l'examen, `regles_pfmp.date_examen`) :

- voie scolaire (II.1) : 22 semaines en cinq ou six périodes de 3 à 6 semaines sur les trois années du cycle
  (automne, hiver-printemps), conventions signées avant chaque période, attestations signées par le tuteur à
  l'issue ; 4 % de cycles en deux ans (16 semaines, II.5), 2 % de positionnés par le recteur à l'entrée en
  deuxième année (10 à 16 semaines, décision datée sur le dossier PFMP) ;
- enseignement à distance : voie scolaire, un sur cinq déclaré en formation continue (première formation) ;
- formation continue : première formation (22 semaines en quatre périodes de 4 à 8 semaines l'année de
  l'examen), reconversion (dont des positionnements de 8 à 16 semaines) ou perfectionnement (II.3.2 :
  certificats de travail, six mois à temps plein dans l'année ou un an à temps partiel sur deux ans) ;
- trois années d'expérience (II.4) : certificats de travail couvrant trois à sept ans d'emploi ;
- apprentis (II.2) : rien à attester ; ceux qui ont choisi l'unité de mobilité ont souvent une période à
  l'étranger.

Environ 4 % des candidats soumis à une exigence ne la remplissent pas (attestation manquante ou non signée,
semaines d'absence, certificats trop courts) et seront bloqués. L'unité facultative de mobilité s'appuie sur
une période en Espagne, en Allemagne ou en Italie (85 % des candidats qui l'ont choisie), parfois au Royaume-Uni
(hors UE/EEE/AELE : l'unité ne compte pas). Quelques conventions résiliées (la période a eu lieu ailleurs) ou
restées « à signer », un quart des périodes avec leur document de liaison.

Quelques centaines d'organisations d'accueil (SIRET valides, clés de Luhn) pour 25 000 candidats, partagées par
les établissements voisins ; elles se retrouvent d'une génération à l'autre. Les lignes s'écrivent par COPY
(identifiants réservés d'avance dans les séquences), puis `services.synchroniser_session` pose les blocages et
la mobilité, évalués à la date de l'examen.

Longueur : un générateur par voie de l'Annexe III, côte à côte pour que les proportions se lisent ensemble.
"""

import datetime
import json
import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from demo.donnees_pfmp import siret
from demo.synthese_grilles import analyser, barre, copier
from examens.models import Candidat, Division, Etablissement, Session
from pfmp import regles_pfmp, services
from pfmp.models import (
    AppreciationCompetence,
    Attestation,
    CertificatTravail,
    Convention,
    DossierPfmp,
    Evaluation,
    Niveau,
    Organisation,
    Periode,
    Tuteur,
)
from referentiel.models import Activite, Competence

Voie = regles_pfmp.Voie
J = datetime.date

# Parts (sur les candidats concernés).
PART_ANOMALIES = 0.04  # exigence non remplie : le candidat sera bloqué
PART_CYCLE_DEUX_ANS = 0.04  # scolaires : 16 semaines (II.5)
PART_POSITIONNES = 0.02  # scolaires positionnés par le recteur en deuxième année (II.5)
PART_DISTANCE_FPC = 0.2  # enseignement à distance déclaré en formation continue
PART_MOBILITE_UE = 0.85  # unité de mobilité choisie : une période dans l'UE
PART_MOBILITE_HORS_UE = 0.05  # … ou au Royaume-Uni (l'unité ne compte pas)
PART_MOBILITE_SANS_UNITE = 0.01  # période dans l'UE sans avoir choisi l'unité
PART_MOBILITE_APPRENTIS = 0.6  # apprentis qui ont choisi l'unité : une période à l'étranger
PART_RESILIEES = 0.015  # une convention résiliée avant la période, remplacée par une autre organisation
PART_A_SIGNER = 0.005  # convention jamais revenue signée (simple avertissement)
PART_EVALUEES = 0.25  # périodes avec leur document de liaison
CANDIDATS_PAR_ORGANISATION = 70
ORGANISATIONS_PAR_ETABLISSEMENT = 8
PAYS_MOBILITE = ("ES", "DE", "IT")

VILLES = [
    ("Paris", "75011"),
    ("Saint-Denis", "93200"),
    ("Lyon", "69003"),
    ("Villeurbanne", "69100"),
    ("Marseille", "13008"),
    ("Toulouse", "31000"),
    ("Lille", "59000"),
    ("Roubaix", "59100"),
    ("Nantes", "44000"),
    ("Rennes", "35000"),
    ("Bordeaux", "33000"),
    ("Strasbourg", "67000"),
    ("Montpellier", "34000"),
    ("Nice", "06000"),
    ("Dijon", "21000"),
    ("Rouen", "76000"),
    ("Clermont-Ferrand", "63000"),
    ("Orléans", "45000"),
    ("Limoges", "87000"),
    ("Amiens", "80000"),
]
# Gabarit du nom, secteur, domaine d'activité.
TYPES_ORGANISATION = [
    ("Cabinet comptable {nom}", Organisation.Secteur.PRIVE, "expertise comptable"),
    ("Mairie de {ville}, services administratifs", Organisation.Secteur.PUBLIC, "collectivité territoriale"),
    ("{nom} Bureautique Services", Organisation.Secteur.PRIVE, "services aux entreprises"),
    ("Association {nom} Solidarité", Organisation.Secteur.ASSOCIATIF, "action sociale"),
    ("Transports {nom} et fils", Organisation.Secteur.PRIVE, "transport de marchandises"),
    ("Clinique {nom}, service administratif", Organisation.Secteur.PRIVE, "santé"),
    ("Agence immobilière {nom}", Organisation.Secteur.PRIVE, "immobilier"),
    ("Centre hospitalier de {ville}", Organisation.Secteur.PUBLIC, "santé"),
    ("Assurances {nom}", Organisation.Secteur.PRIVE, "assurance"),
    ("Office de tourisme de {ville}", Organisation.Secteur.PUBLIC, "tourisme"),
]
NOMS = ["MARTIN", "BERNARD", "DUBOIS", "LEROY", "MOREAU", "GARCIA", "ROUX", "FOURNIER", "GIRARD", "BONNET"]
NOMS += ["LAMBERT", "FONTAINE", "ROUSSEAU", "VINCENT", "MULLER", "LEFEVRE", "FAURE", "ANDRE", "MERCIER", "BLANC"]
PRENOMS = ["Sophie", "Paul", "Inès", "Marc", "Nadia", "Julien", "Claire", "Karim", "Isabelle", "Thomas", "Aïcha"]
FONCTIONS = ["assistante de direction", "responsable administratif", "gestionnaire RH", "comptable", "office manager"]
ETRANGERES = {
    "ES": ("Gestión Administrativa {ville} SL", ["Barcelona", "Valencia", "Sevilla", "Madrid", "Bilbao"]),
    "DE": ("Verwaltungsbüro {ville} GmbH", ["Berlin", "Köln", "Leipzig", "München", "Hamburg"]),
    "IT": ("Servizi Amministrativi {ville} Srl", ["Torino", "Bologna", "Milano", "Napoli", "Firenze"]),
    "GB": ("{ville} Office Services Ltd", ["London", "Manchester", "Bristol"]),
}
EMPLOIS = ["assistant administratif", "secrétaire", "agent d'accueil", "gestionnaire administratif", "employé"]
OBSERVATIONS = ["", "", "", "", "", "Stagiaire ponctuel et investi.", "Bonne intégration dans l'équipe."]
APPRECIATIONS = [
    "Élève ponctuel et investi ; à encourager dans la prise d'initiative.",
    "Travail soigné, communication avec la clientèle à développer.",
    "Bonne autonomie sur les outils bureautiques.",
    "Des progrès nets au fil de la période.",
]
NIVEAUX = [Niveau.S, Niveau.S, Niveau.S, Niveau.TS, Niveau.TS, Niveau.I, Niveau.TI]


@dataclass
class _Organisation:
    pk: int
    nom: str
    siret: str
    adresse: str  # adresse complète, recopiée sur les attestations
    pays: str
    tuteurs: list[tuple[int, str, str]] = field(default_factory=list)  # (pk, « Prénom NOM », fonction)


@dataclass(slots=True)
class _Periode:
    """Une période prévue, et ce qu'il advient de son attestation."""

    debut: datetime.date
    fin: datetime.date
    semaines: int
    organisation: _Organisation
    attestees: Decimal | None = None  # None : aucune attestation
    signee: bool = True


def siret_synthetique(rang: int) -> str:
    """SIRET valide, stable d'une génération à l'autre."""
    return siret(f"{90000000 + rang:08d}", "0001")


def _lundi(jour: datetime.date) -> datetime.date:
    """Le lundi qui suit (ou ce jour s'il en est un)."""
    return jour + datetime.timedelta(days=(7 - jour.weekday()) % 7)


def _fin(debut: datetime.date, semaines: int) -> datetime.date:
    """Le vendredi de la dernière semaine : `regles_pfmp.semaines_calendaires` donne exactement `semaines`."""
    return debut + datetime.timedelta(days=7 * semaines - 3)


def _mois_avant(jour: datetime.date, mois: int) -> datetime.date:
    annee, rang = divmod(jour.month - 1 - mois, 12)
    return J(jour.year + annee, rang + 1, min(jour.day, 28))


class _Identifiants:
    """Identifiants réservés par blocs dans la séquence de la table : les lignes s'écrivent ensuite par COPY."""

    BLOC = 5000

    def __init__(self, modele):
        self.table = modele._meta.db_table
        self.libres: list[int] = []

    def suivant(self) -> int:
        if not self.libres:
            with connection.cursor() as curseur:
                curseur.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [self.table, self.BLOC],
                )
                self.libres = [ligne[0] for ligne in reversed(curseur.fetchall())]
        return self.libres.pop()


# Colonnes des lignes écrites par COPY, dans l'ordre des tuples construits plus bas.
COLONNES_DOSSIER = ("candidat_id", "voie", "date_positionnement", "observations", "modifie_le")
COLONNES_CONVENTION = tuple(
    "id candidat_id organisation_id tuteur_id referent_id date_debut date_fin etat date_signature cree_le".split()
)
COLONNES_PERIODE = ("id", "convention_id", "date_debut", "date_fin", "annee_cycle", "semaines", "pays", "cree_le")
COLONNES_ATTESTATION = tuple(
    (
        "id periode_id remplace_id en_vigueur signee date_signature signataire candidat_numero candidat_nom "
        "candidat_prenom etablissement organisation_nom organisation_siret organisation_adresse pays tuteur "
        "tuteur_fonction date_debut date_fin semaines activites observations saisie_le saisie_par_id"
    ).split()
)
COLONNES_EVALUATION = ("id", "periode_id", "date_visite", "tuteur", "appreciation", "saisie_par_id", "modifiee_le")
COLONNES_CERTIFICAT = tuple(
    "id candidat_id employeur siret emploi quotite date_debut date_fin saisi_le saisi_par_id".split()
)


class _Generateur:
    def __init__(self, session: Session, candidats: list[Candidat], hasard: random.Random):
        self.annee, self.hasard = session.annee, hasard
        self.maintenant = timezone.now()
        referentiel = session.reglement.referentiel
        activites = list(Activite.objects.filter(pole__referentiel=referentiel).order_by("code"))
        self.activites = [a.pk for a in activites]
        # Activités recopiées sur les attestations : trois activités qui se suivent, en JSON prêt à écrire.
        self.activites_json = [
            json.dumps(
                [
                    {"code": a.code, "intitule": a.intitule}
                    for a in sorted((activites[(i + k) % len(activites)] for k in range(3)), key=lambda a: a.code)
                ],
                ensure_ascii=False,
            )
            for i in range(len(activites))
        ] or ["[]"]
        self.competences = list(
            Competence.objects.filter(bloc__referentiel=referentiel, bloc__type="professionnel")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        etablissements = sorted({c.etablissement_id for c in candidats})
        self.etablissements = {
            pk: f"{nom} ({uai})"
            for pk, nom, uai in Etablissement.objects.filter(pk__in=etablissements).values_list("pk", "nom", "uai")
        }
        self.referents: dict[int, int] = {}
        lien = Division.enseignants.through
        for division_id, user_id in (
            lien.objects.filter(division_id__in={c.division_id for c in candidats if c.division_id})
            .order_by("division_id", "user_id")
            .values_list("division_id", "user_id")
        ):
            self.referents.setdefault(division_id, user_id)
        nombre = max(ORGANISATIONS_PAR_ETABLISSEMENT, -(-len(candidats) // CANDIDATS_PAR_ORGANISATION))
        francaises = self._francaises(nombre)
        self.etrangeres = self._etrangeres(len(candidats))
        self.nb_organisations = len(francaises) + sum(len(v) for v in self.etrangeres.values())
        self._tuteurs(francaises + [o for v in self.etrangeres.values() for o in v])
        # Chaque établissement a ses organisations d'accueil, qui chevauchent celles de ses voisins.
        taille = min(ORGANISATIONS_PAR_ETABLISSEMENT, len(francaises))
        self.bassins = {
            e: [francaises[(j * len(francaises) // len(etablissements) + k) % len(francaises)] for k in range(taille)]
            for j, e in enumerate(etablissements)
        }
        self.ids = {m: _Identifiants(m) for m in (Convention, Periode, Attestation, Evaluation, CertificatTravail)}
        self.conventions: list[tuple] = []
        self.periodes: list[tuple] = []
        self.attestations: list[tuple] = []
        self.evaluations: list[tuple] = []
        self.activites_evaluees: list[tuple] = []
        self.appreciations: list[tuple] = []
        self.certificats: list[tuple] = []
        self.activites_certifiees: list[tuple] = []
        self.dossiers: list[tuple] = []
        self.cycles_deux_ans: list[int] = []
        self.positionnements: dict[Decimal, list[int]] = defaultdict(list)

    # --- Organisations et tuteurs (quelques centaines, retrouvées d'une génération à l'autre) -----------------

    def _francaises(self, nombre: int) -> list[_Organisation]:
        objets = []
        for i in range(nombre):
            gabarit, secteur, activite = TYPES_ORGANISATION[i % len(TYPES_ORGANISATION)]
            ville, code_postal = VILLES[(i // len(TYPES_ORGANISATION)) % len(VILLES)]
            nom = gabarit.format(nom=NOMS[(i * 7) % len(NOMS)].capitalize(), ville=ville)
            objets.append(
                Organisation(
                    nom=f"{nom} (synthétique {i + 1})",
                    siret=siret_synthetique(i + 1),
                    adresse=f"{1 + (i * 13) % 120} rue de la République",
                    code_postal=code_postal,
                    ville=ville,
                    pays="FR",
                    secteur=secteur,
                    activite=activite,
                )
            )
        Organisation.objects.bulk_create(objets, ignore_conflicts=True)  # déjà là : gardées telles quelles
        par_siret = {o.siret: o for o in Organisation.objects.filter(siret__in=[o.siret for o in objets])}
        return [self._organisation(par_siret[o.siret]) for o in objets]

    def _etrangeres(self, nb_candidats: int) -> dict[str, list[_Organisation]]:
        voulues = []
        for pays, (gabarit, villes) in ETRANGERES.items():
            nombre = max(1, nb_candidats // (12500 if pays == "GB" else 2500))
            for i in range(nombre):
                ville = villes[i % len(villes)]
                voulues.append(
                    Organisation(
                        nom=f"{gabarit.format(ville=ville)} {i + 1}", pays=pays, ville=ville, siret="", adresse=""
                    )
                )
        existantes = {
            (o.nom, o.pays): o
            for o in Organisation.objects.filter(siret="", nom__in=[o.nom for o in voulues]).order_by("pk")
        }
        Organisation.objects.bulk_create([o for o in voulues if (o.nom, o.pays) not in existantes])
        resultat = defaultdict(list)
        for o in voulues:
            resultat[o.pays].append(self._organisation(existantes.get((o.nom, o.pays), o)))
        return resultat

    @staticmethod
    def _organisation(o: Organisation) -> _Organisation:
        return _Organisation(o.pk, o.nom, o.siret, o.adresse_complete, o.pays)

    def _tuteurs(self, organisations: list[_Organisation]) -> None:
        existants = defaultdict(list)
        for t in Tuteur.objects.filter(organisation_id__in=[o.pk for o in organisations]).order_by("pk"):
            existants[t.organisation_id].append(t)
        nouveaux = [
            Tuteur(
                organisation_id=o.pk,
                nom=NOMS[(o.pk + 3 * k) % len(NOMS)],
                prenom=PRENOMS[(o.pk + k) % len(PRENOMS)],
                fonction=FONCTIONS[(o.pk + k) % len(FONCTIONS)],
            )
            for o in organisations
            if not existants[o.pk]
            for k in range(2)
        ]
        for t in Tuteur.objects.bulk_create(nouveaux):
            existants[t.organisation_id].append(t)
        for o in organisations:
            o.tuteurs = [(t.pk, str(t), t.fonction) for t in existants[o.pk]]

    # --- Candidats ----------------------------------------------------------------------------------------

    def candidat(self, c: Candidat) -> None:
        voies = regles_pfmp.voies_possibles(c.statut)
        if voies[0] is Voie.APPRENTISSAGE:
            self._apprenti(c)
        elif voies[0] is Voie.EXPERIENCE:
            self._experience(c)
        elif voies[0] is Voie.SCOLAIRE and not (
            c.statut == "enseignement_distance" and self.hasard.random() < PART_DISTANCE_FPC
        ):
            self._scolaire(c)
        else:
            self._formation_continue(c, voies)

    def _mobilite_choisie(self, c: Candidat) -> bool:
        return "MOBILITE" in (c.facultative1, c.facultative2)

    def _etrangere(self, *, hors_ue: bool = False) -> _Organisation:
        pays = "GB" if hors_ue else self.hasard.choice(PAYS_MOBILITE)
        return self.hasard.choice(self.etrangeres[pays])

    def _francaise(self, c: Candidat) -> _Organisation:
        return self.hasard.choice(self.bassins[c.etablissement_id])

    def _repartir(self, total: int, nombre: int, mini: int, maxi: int) -> list[int]:
        """`nombre` durées entre `mini` et `maxi` semaines, de somme `total`."""
        semaines = [mini] * nombre
        for _ in range(total - mini * nombre):
            semaines[self.hasard.choice([i for i, s in enumerate(semaines) if s < maxi])] += 1
        return semaines

    def _scolaire(self, c: Candidat) -> None:
        """II.1 : 22 semaines sur trois ans ; II.5 : 16 semaines sur deux ans, ou la durée du positionnement."""
        hasard = self.hasard
        duree, positionnement = c.duree_cycle, c.positionnement_semaines
        if duree == 3 and positionnement is None:
            tirage = hasard.random()
            if tirage < PART_CYCLE_DEUX_ANS:
                duree = c.duree_cycle = 2
                self.cycles_deux_ans.append(c.pk)
            elif tirage < PART_CYCLE_DEUX_ANS + PART_POSITIONNES:
                positionnement = c.positionnement_semaines = Decimal(hasard.choice([10, 12, 14, 16]))
                self.positionnements[positionnement].append(c.pk)
        if positionnement is not None:
            # Entré en deuxième année après un CAP : décision du recteur prise avant la rentrée.
            total = math.ceil(max(positionnement, regles_pfmp.minimum_positionnement(Voie.SCOLAIRE)))
            annees = list(range(max(1, duree - 1), duree + 1))
            rentree = self.annee - 1 - (duree - annees[0])
            self._dossier(c, "", J(rentree, 7, hasard.randint(1, 10)))
        else:
            total, annees = int(regles_pfmp.SEMAINES_CYCLE[duree]), list(range(1, duree + 1))
        places = 2 * len(annees)  # deux créneaux par année : automne, hiver-printemps
        plus = min(places, total // 3)
        nombre = hasard.randint(min(max(len(annees), -(-total // 5)), plus), plus)  # 5 ou 6 pour 22 semaines
        maxi = max(6, -(-total // nombre))
        par_annee = [2] * len(annees)
        for i in hasard.sample(range(len(annees)), places - nombre):
            par_annee[i] -= 1
        creneaux = []
        for annee, n in zip(annees, par_annee, strict=True):
            rentree = self.annee - 1 - (duree - annee)
            automne = _lundi(J(rentree, 10, 6)) + datetime.timedelta(weeks=hasard.randint(0, 4))
            hiver = _lundi(J(rentree + 1, 1, 5)) + datetime.timedelta(weeks=hasard.randint(0, 8))
            creneaux += [automne, hiver] if n == 2 else [hasard.choice([automne, hiver])]
        periodes = [
            _Periode(debut, _fin(debut, s), s, self._francaise(c))
            for debut, s in zip(creneaux, self._repartir(total, nombre, 3, maxi), strict=True)
        ]
        self._mobilite(c, periodes)
        self._attester(c, periodes)

    def _formation_continue(self, c: Candidat, voies: tuple[Voie, ...]) -> None:
        """II.3.1 : 22 semaines attestées (ou la durée du positionnement) ; II.3.2 : certificats de travail."""
        hasard = self.hasard
        tirage = hasard.random()
        if c.statut == "enseignement_distance" or tirage < 0.5:
            voie = Voie.FPC_PREMIERE_FORMATION  # la règle (II.3.1)
        elif tirage < 0.75:
            voie = Voie.FPC_RECONVERSION
        else:
            voie = Voie.FPC_PERFECTIONNEMENT  # l'exception (II.3.2), déclarée sur le dossier
        if voie is Voie.FPC_PERFECTIONNEMENT:
            self._dossier(c, voie.value, None)
            self._perfectionnement(c)
            return
        positionnement = c.positionnement_semaines
        if positionnement is None and voie is Voie.FPC_RECONVERSION and hasard.random() < 0.4:
            positionnement = c.positionnement_semaines = Decimal(hasard.choice([8, 10, 12, 16]))
            self.positionnements[positionnement].append(c.pk)
        if positionnement is not None:
            self._dossier(c, voie.value if voie is not voies[0] else "", J(self.annee - 1, 7, hasard.randint(1, 10)))
            total = math.ceil(max(positionnement, regles_pfmp.minimum_positionnement(voie)))
        else:
            total = int(regles_pfmp.SEMAINES_FPC)
            if voie is not voies[0]:
                self._dossier(c, voie.value, None)
        nombre = max(1, min(4, total // 4))
        debut = _lundi(J(self.annee - 1, 9, 8)) + datetime.timedelta(weeks=hasard.randint(0, 2))
        periodes = []
        for s in self._repartir(total, nombre, min(4, total // nombre), 8):
            periodes.append(_Periode(debut, _fin(debut, s), s, self._francaise(c)))
            debut += datetime.timedelta(weeks=s + hasard.randint(1, 3))  # retour en formation entre deux périodes
        self._mobilite(c, periodes)
        self._attester(c, periodes)

    def _apprenti(self, c: Candidat) -> None:
        """II.2 : formation sous contrat, rien à attester ; une mobilité pour une partie de ceux qui l'ont choisie."""
        if self._mobilite_choisie(c) and self.hasard.random() < PART_MOBILITE_APPRENTIS:
            debut = _lundi(J(self.annee, 1, 12)) + datetime.timedelta(weeks=self.hasard.randint(0, 8))
            semaines = self.hasard.choice([3, 4])
            self._ecrire(c, [_Periode(debut, _fin(debut, semaines), semaines, self._etrangere(), Decimal(semaines))])

    def _mobilite(self, c: Candidat, periodes: list[_Periode]) -> None:
        """Une période (des deux dernières années) dans l'UE pour l'unité de mobilité, parfois au Royaume-Uni."""
        tirage = self.hasard.random()
        if self._mobilite_choisie(c):
            if tirage >= PART_MOBILITE_UE + PART_MOBILITE_HORS_UE:
                return
            hors_ue = tirage >= PART_MOBILITE_UE
        elif tirage < PART_MOBILITE_SANS_UNITE:
            hors_ue = False
        else:
            return
        candidates = periodes[len(periodes) // 2 :] or periodes
        self.hasard.choice(candidates).organisation = self._etrangere(hors_ue=hors_ue)

    def _attester(self, c: Candidat, periodes: list[_Periode]) -> None:
        """Attestations signées, sauf pour les candidats tirés en anomalie (qui seront bloqués)."""
        for p in periodes:
            p.attestees = Decimal(p.semaines)
        if self.hasard.random() < PART_ANOMALIES:
            tirage = self.hasard.random()
            if tirage < 0.4:
                periodes[-1].attestees = None  # période terminée sans attestation
            elif tirage < 0.75:
                p = self.hasard.choice(periodes)  # absences : des semaines manquent
                p.attestees = Decimal(p.semaines) - self.hasard.choice([Decimal("0.5"), Decimal(1), Decimal(2)])
            else:
                periodes[-1].signee = False  # le tuteur n'a pas signé
        self._ecrire(c, periodes)

    # --- Certificats de travail ----------------------------------------------------------------------------

    def _perfectionnement(self, c: Candidat) -> None:
        """II.3.2 : six mois à temps plein dans l'année précédant l'examen, ou un an à temps partiel sur deux ans."""
        hasard = self.hasard
        tirage = hasard.random()
        if tirage < PART_ANOMALIES:
            fin = J(self.annee - 1, 12, hasard.randint(1, 28))
            self._certificats(c, _mois_avant(fin, hasard.randint(3, 5)), fin, temps_plein=True)
        elif tirage < 0.7:
            fin = J(self.annee, hasard.randint(2, 4), 28)
            self._certificats(c, _mois_avant(fin, hasard.randint(9, 30)), fin, temps_plein=True)
        else:
            fin = J(self.annee, hasard.randint(1, 4), 28)
            self._certificats(c, _mois_avant(fin, hasard.randint(15, 30)), fin, temps_plein=False)

    def _experience(self, c: Candidat) -> None:
        """II.4 : trois années (36 mois) dans un emploi qualifié ; trop peu pour les candidats en anomalie."""
        hasard = self.hasard
        fin = J(self.annee, hasard.randint(1, 5), 1) - datetime.timedelta(days=1)
        mois = hasard.randint(24, 34) if hasard.random() < PART_ANOMALIES else hasard.randint(38, 84)
        self._certificats(c, _mois_avant(fin, mois), fin, temps_plein=hasard.random() < 0.8)

    def _certificats(self, c: Candidat, debut: datetime.date, fin: datetime.date, *, temps_plein: bool) -> None:
        """Un à trois certificats qui se suivent (un employeur chacun) couvrent l'emploi de `debut` à `fin`."""
        hasard = self.hasard
        jours = (fin - debut).days
        quotite = CertificatTravail.Quotite.TEMPS_PLEIN if temps_plein else CertificatTravail.Quotite.TEMPS_PARTIEL
        coupures = sorted(hasard.sample(range(30, jours - 30), hasard.choice([0, 0, 1, 2]))) if jours > 120 else []
        bornes = [debut, *(debut + datetime.timedelta(days=j) for j in coupures), fin + datetime.timedelta(days=1)]
        for d, f in zip(bornes, bornes[1:], strict=False):
            employeur = self._francaise(c)
            pk = self.ids[CertificatTravail].suivant()
            self.certificats.append(
                (
                    pk,
                    c.pk,
                    employeur.nom,
                    employeur.siret,
                    hasard.choice(EMPLOIS),
                    quotite.value,
                    d,
                    f - datetime.timedelta(days=1),
                    self.maintenant,
                    None,
                )
            )
            self.activites_certifiees += [(pk, a) for a in hasard.sample(self.activites, min(3, len(self.activites)))]

    def _dossier(self, c: Candidat, voie: str, date_positionnement: datetime.date | None) -> None:
        self.dossiers.append((c.pk, voie, date_positionnement, "", self.maintenant))

    # --- Écriture des périodes -----------------------------------------------------------------------------

    def _ecrire(self, c: Candidat, periodes: list[_Periode]) -> None:
        hasard, maintenant = self.hasard, self.maintenant
        referent = self.referents.get(c.division_id)
        for p in periodes:
            organisation = p.organisation
            tuteur_id, tuteur, fonction = hasard.choice(organisation.tuteurs)
            if hasard.random() < PART_RESILIEES:
                # Une première convention résiliée avant le début : la période n'a pas eu lieu là.
                autre = self._francaise(c)
                self._convention(c, autre, autre.tuteurs[0][0], referent, p, Convention.Etat.RESILIEE.value, None)
            signature = p.debut - datetime.timedelta(days=hasard.randint(7, 35))
            a_signer = hasard.random() < PART_A_SIGNER
            etat = (Convention.Etat.A_SIGNER if a_signer else Convention.Etat.SIGNEE).value
            signature = None if a_signer else signature
            periode_id = self._convention(c, organisation, tuteur_id, referent, p, etat, signature)
            if p.attestees is None:
                continue
            # Aucune attestation remplacée (`remplace`) : la suppression d'une session par l'ORM (generer_donnees
            # --remplacer) bute sur cette clé protégée.
            self.attestations.append(
                (
                    self.ids[Attestation].suivant(),
                    periode_id,
                    None,
                    True,
                    p.signee,
                    p.fin + datetime.timedelta(days=hasard.randint(0, 6)) if p.signee else None,
                    tuteur,
                    c.numero,
                    c.nom,
                    c.prenom,
                    self.etablissements[c.etablissement_id],
                    organisation.nom,
                    organisation.siret,
                    organisation.adresse,
                    organisation.pays,
                    tuteur,
                    fonction,
                    p.debut,
                    p.fin,
                    p.attestees,
                    hasard.choice(self.activites_json),
                    hasard.choice(OBSERVATIONS),
                    maintenant,
                    referent,
                )
            )
            if hasard.random() < PART_EVALUEES:
                self._evaluation(periode_id, p, tuteur, referent)

    def _convention(self, c, organisation, tuteur_id, referent, p: _Periode, etat, signature) -> int:
        convention_id, periode_id = self.ids[Convention].suivant(), self.ids[Periode].suivant()
        self.conventions.append(
            (convention_id, c.pk, organisation.pk, tuteur_id, referent, p.debut, p.fin, etat, signature)
            + (self.maintenant,)
        )
        annee_cycle = regles_pfmp.annee_du_cycle(p.debut, session=self.annee, duree_cycle=c.duree_cycle)
        self.periodes.append(
            (periode_id, convention_id, p.debut, p.fin, annee_cycle, p.semaines, organisation.pays, self.maintenant)
        )
        return periode_id

    def _evaluation(self, periode_id: int, p: _Periode, tuteur: str, referent: int | None) -> None:
        hasard = self.hasard
        pk = self.ids[Evaluation].suivant()
        visite = max(p.debut, p.fin - datetime.timedelta(days=hasard.randint(3, 9)))
        appreciation = hasard.choice(APPRECIATIONS)
        self.evaluations.append((pk, periode_id, visite, tuteur, appreciation, referent, self.maintenant))
        self.activites_evaluees += [(pk, a) for a in hasard.sample(self.activites, min(3, len(self.activites)))]
        self.appreciations += [
            (pk, competence, hasard.choice(NIVEAUX).value)
            for competence in hasard.sample(self.competences, min(6, len(self.competences)))
        ]

    # --- Base ----------------------------------------------------------------------------------------------

    def enregistrer(self) -> None:
        if self.cycles_deux_ans:
            Candidat.objects.filter(pk__in=self.cycles_deux_ans).update(duree_cycle=2)
        for semaines, ids in sorted(self.positionnements.items()):
            Candidat.objects.filter(pk__in=ids).update(positionnement_semaines=semaines)
        copier(DossierPfmp, COLONNES_DOSSIER, self.dossiers)
        copier(Convention, COLONNES_CONVENTION, self.conventions)
        copier(Periode, COLONNES_PERIODE, self.periodes)
        copier(Attestation, COLONNES_ATTESTATION, self.attestations)
        copier(Evaluation, COLONNES_EVALUATION, self.evaluations)
        copier(Evaluation.activites.through, ("evaluation_id", "activite_id"), self.activites_evaluees)
        copier(AppreciationCompetence, ("evaluation_id", "competence_id", "niveau"), self.appreciations)
        copier(CertificatTravail, COLONNES_CERTIFICAT, self.certificats)
        copier(CertificatTravail.activites.through, ("certificattravail_id", "activite_id"), self.activites_certifiees)


def generer_donnees(*, session: Session, candidats: list[Candidat], hasard: random.Random, sortie=None) -> dict:
    """Organisations, conventions, périodes, attestations, certificats, dossiers et documents de liaison des
    candidats (déjà créés, sans PFMP), puis blocages et mobilité par `services.synchroniser_session`."""
    debut = time.monotonic()
    if not candidats:
        return {}
    with transaction.atomic():
        generateur = _Generateur(session, candidats, hasard)
        for rang, candidat in enumerate(candidats, start=1):
            generateur.candidat(candidat)
            if rang % 1000 == 0:
                barre(sortie, rang, len(candidats), debut, "pfmp")
        generateur.enregistrer()
        analyser(DossierPfmp, Convention, Periode, Attestation, Evaluation, CertificatTravail, Organisation, Tuteur)
        barre(sortie, len(candidats), len(candidats), debut, "pfmp", fin=True)
        # Blocages et mobilité évalués à la date de l'examen, comme le jury les trouvera.
        debut = time.monotonic()
        niveaux = services.synchroniser_session(session=session, aujourd_hui=regles_pfmp.date_examen(session.annee))
    barre(sortie, len(candidats), len(candidats), debut, "blocages", fin=True)
    compte = {
        "organisations": generateur.nb_organisations,
        "conventions": len(generateur.conventions),
        "periodes": len(generateur.periodes),
        "attestations": len(generateur.attestations),
        "evaluations": len(generateur.evaluations),
        "certificats": len(generateur.certificats),
        "dossiers": len(generateur.dossiers),
        **niveaux,
    }
    if sortie is not None:
        sortie.write(
            f"{compte['periodes']} périodes de PFMP, {compte['attestations']} attestations, "
            f"{compte['certificats']} certificats de travail ; {niveaux['conforme']} candidats conformes, "
            f"{niveaux['en_cours'] + niveaux['a_risque']} bloqués"
        )
    return compte
