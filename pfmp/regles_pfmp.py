"""Formation en milieu professionnel (Annexe III de l'arrêté du 18 février 2020) : exigence et conformité.

Python pur : aucun import de Django, aucun flottant (semaines et mois en ``Decimal``). Les services
construisent les entrées depuis la base et appliquent le résultat (blocage « PFMP : 8 semaines manquantes »,
mobilité) ; tout ce qui décide est ici, avec sa source.

Ce que fixe l'Annexe III (II.1 à II.5) :

- voie scolaire (II.1) : 22 semaines en plusieurs périodes sur les trois années du cycle, attestées à l'issue
  de chaque période par le tuteur (période, structure, activités, nombre de semaines) ;
- cycle en deux ans (II.5, dernier alinéa) : 16 semaines ;
- positionnement par décision du recteur (II.5) : au moins 10 semaines (scolaires), 8 semaines (formation
  continue du II.3) ;
- apprentissage (II.2) : la formation se fait sous contrat d'apprentissage, aucune attestation de PFMP ;
- formation continue, première formation ou reconversion (II.3.1) : 22 semaines attestées ;
- formation continue, perfectionnement (II.3.2) : certificats de travail à la place des attestations, activités
  du référentiel en qualité de salarié, à temps plein six mois dans l'année précédant l'examen ou à temps
  partiel un an dans les deux années précédant l'examen ;
- trois années d'expérience professionnelle (II.4) : pas de stage, certificats de travail de trois années dans
  un emploi qualifié ;
- PFMP dans un pays de l'Union européenne, de l'EEE ou de l'AELE (II.1) : ouvre l'unité facultative de mobilité.

Lectures retenues là où l'Annexe III se tait (écrites aussi dans la docstring de chaque fonction) :

- enseignement à distance : l'Annexe III ne le nomme pas ; comme dans les arrêtés d'autres spécialités, le
  candidat relève selon sa situation de la voie scolaire ou de la formation continue. Voie scolaire par défaut,
  à préciser sur son dossier PFMP ;
- formation continue : la première formation ou reconversion (II.3.1) est la règle, le perfectionnement
  (II.3.2) une exception qui remplace les attestations : il se déclare sur le dossier PFMP du candidat ;
- le cycle de deux ans (16 semaines) renvoie à l'arrêté du 21 novembre 2018 sur la voie scolaire : il ne
  s'applique qu'à la voie scolaire ;
- le positionnement ne vaut que pour les voies à attestations (scolaire, II.3.1) : les certificats de travail
  du II.3.2 ne se comptent pas en semaines ;
- une décision de positionnement doit être datée pour justifier une durée réduite ;
- « l'année précédant l'examen » se compte jusqu'à la date de référence de l'examen (1er juin de la session) ;
  les mois se comptent en mois civils, le reste en trentièmes de mois ;
- trois années d'expérience : 36 mois cumulés, à temps plein ou partiel (le II.4 parle d'années d'expérience,
  pas d'heures) ;
- mobilité : une période hors de France, dans un pays de l'UE, de l'EEE ou de l'AELE, dont l'attestation est
  signée (l'unité s'évalue sur une période effectuée).

Longueur : l'Annexe III en entier (exigence, conformité, mobilité, positionnement), règle pure par règle pure.
"""

import calendar
import datetime
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from agora.format import nombre
from examens.regles import MINIMUM_POSITIONNEMENT_FPC, MINIMUM_POSITIONNEMENT_SCOLAIRE

__all__ = [
    "Certificat",
    "Conformite",
    "Exigence",
    "Justificatif",
    "Niveau",
    "Periode",
    "Voie",
    "annee_du_cycle",
    "date_examen",
    "duree_en_mois",
    "evaluer",
    "exigence",
    "minimum_positionnement",
    "mobilite_possible",
    "revoir_le",
    "semaines_calendaires",
    "voie_par_defaut",
    "voies_possibles",
]

SEMAINES_CYCLE = {3: Decimal(22), 2: Decimal(16)}  # II.1 et II.5
SEMAINES_FPC = Decimal(22)  # II.3.1
MOIS_TEMPS_PLEIN = Decimal(6)  # II.3.2
MOIS_TEMPS_PARTIEL = Decimal(12)  # II.3.2
MOIS_EXPERIENCE = Decimal(36)  # II.4

# UE (27), EEE (+ Islande, Liechtenstein, Norvège), AELE (+ Suisse) ; codes ISO 3166-1 alpha-2 (Grèce : GR).
PAYS_UE = frozenset("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split())
PAYS_MOBILITE = PAYS_UE | {"IS", "LI", "NO", "CH"}


class Voie(StrEnum):
    SCOLAIRE = "scolaire"
    APPRENTISSAGE = "apprentissage"
    FPC_PREMIERE_FORMATION = "fpc_premiere_formation"
    FPC_RECONVERSION = "fpc_reconversion"
    FPC_PERFECTIONNEMENT = "fpc_perfectionnement"
    EXPERIENCE = "experience"

    @property
    def libelle(self) -> str:
        return _LIBELLES_VOIE[self]


_LIBELLES_VOIE = {
    Voie.SCOLAIRE: "voie scolaire",
    Voie.APPRENTISSAGE: "apprentissage",
    Voie.FPC_PREMIERE_FORMATION: "formation continue, première formation",
    Voie.FPC_RECONVERSION: "formation continue, reconversion",
    Voie.FPC_PERFECTIONNEMENT: "formation continue, perfectionnement",
    Voie.EXPERIENCE: "trois années d'expérience professionnelle",
}


class Justificatif(StrEnum):
    ATTESTATIONS = "attestations"  # attestations de PFMP signées par le tuteur
    CERTIFICATS = "certificats"  # certificats de travail
    CONTRAT = "contrat"  # contrat d'apprentissage : rien à attester ici


class Niveau(StrEnum):
    CONFORME = "conforme"  # justificatifs complets : délivrable
    EN_COURS = "en_cours"  # incomplet, mais les périodes prévues avant l'examen suffiraient
    A_RISQUE = "a_risque"  # incomplet et rien de prévu ne suffit, ou une signature, une attestation manque

    @property
    def libelle(self) -> str:
        return {"conforme": "conforme", "en_cours": "en cours", "a_risque": "à risque"}[self.value]


# Statuts d'examens.models.Statut (chaînes recopiées : ce module n'importe pas Django).
_SCOLAIRES = ("scolaire_public", "scolaire_prive_sous_contrat", "scolaire_prive_hors_contrat")
_APPRENTIS = ("apprenti_cfa_habilite", "apprenti_cfa_non_habilite")
_FPC = ("fpc_public", "fpc_public_habilite", "fpc_prive")
_VOIES_FPC = (Voie.FPC_PREMIERE_FORMATION, Voie.FPC_RECONVERSION, Voie.FPC_PERFECTIONNEMENT)
VOIES_PAR_STATUT: dict[str, tuple[Voie, ...]] = {
    **{s: (Voie.SCOLAIRE,) for s in _SCOLAIRES},
    **{s: (Voie.APPRENTISSAGE,) for s in _APPRENTIS},
    **{s: _VOIES_FPC for s in _FPC},
    "experience_3_ans": (Voie.EXPERIENCE,),
    "enseignement_distance": (Voie.SCOLAIRE, *_VOIES_FPC),
}


def voies_possibles(statut: str) -> tuple[Voie, ...]:
    """Voies de l'Annexe III ouvertes à un statut ; la première est la voie par défaut."""
    try:
        return VOIES_PAR_STATUT[statut]
    except KeyError:
        raise ValueError(f"statut inconnu : {statut}") from None


def voie_par_defaut(statut: str) -> Voie:
    """Scolaire → II.1, apprenti → II.2, formation continue → II.3.1 (le perfectionnement du II.3.2 se
    déclare), expérience → II.4, enseignement à distance → voie scolaire (Annexe III muette, à préciser)."""
    return voies_possibles(statut)[0]


def minimum_positionnement(voie: Voie) -> Decimal | None:
    """II.5 : au moins 10 semaines (voie scolaire), 8 (formation continue du II.3 à attestations) ;
    None : le positionnement est sans objet pour cette voie."""
    if voie is Voie.SCOLAIRE:
        return MINIMUM_POSITIONNEMENT_SCOLAIRE
    if voie in (Voie.FPC_PREMIERE_FORMATION, Voie.FPC_RECONVERSION):
        return MINIMUM_POSITIONNEMENT_FPC
    return None


@dataclass(frozen=True)
class Exigence:
    """Ce que le candidat doit justifier, et pourquoi (``source`` : paragraphe de l'Annexe III)."""

    voie: Voie
    justificatif: Justificatif
    semaines: Decimal  # semaines de PFMP à attester ; 0 hors attestations
    source: str
    libelle: str
    anomalies: tuple[str, ...] = ()  # ce qui empêche de tenir l'exigence pour établie


def exigence(
    *,
    statut: str,
    voie: Voie | str | None = None,
    duree_cycle: int = 3,
    positionnement: Decimal | None = None,
    positionnement_date: datetime.date | None = None,
    durees: Mapping[str, object] | None = None,
) -> Exigence:
    """Exigence de PFMP d'un candidat d'après son statut, sa voie, la durée de son cycle et son positionnement.

    - Voie scolaire : 22 semaines sur trois ans (II.1), 16 sur deux ans (II.5) ; positionné : la durée
      fixée par la décision du recteur, jamais moins de 10 semaines (II.5).
    - Formation continue, première formation ou reconversion : 22 semaines attestées (II.3.1) ; positionné :
      la décision, jamais moins de 8 semaines (II.5). La durée du cycle ne joue pas (lecture : le cycle de
      deux ans renvoie à l'arrêté du 21/11/2018 sur la voie scolaire).
    - Perfectionnement (II.3.2), expérience (II.4) : certificats de travail, pas de semaines.
    - Apprentissage (II.2) : la formation se fait sous contrat, rien à attester.

    Une décision de positionnement non datée est une anomalie : la durée réduite n'est pas justifiée.

    `durees` : les semaines du règlement d'examen de la session (clés « scolaire_3_ans », « scolaire_2_ans »,
    « fpc »), quand une version ultérieure les redéfinit ; à défaut, celles de l'Annexe III ci-dessus.
    """
    durees = durees or {}
    semaines_cycle = {
        3: Decimal(str(durees.get("scolaire_3_ans", SEMAINES_CYCLE[3]))),
        2: Decimal(str(durees.get("scolaire_2_ans", SEMAINES_CYCLE[2]))),
    }
    semaines_fpc = Decimal(str(durees.get("fpc", SEMAINES_FPC)))
    voie = Voie(voie) if voie else voie_par_defaut(statut)
    if voie not in voies_possibles(statut):
        raise ValueError(f"voie {voie.libelle} impossible pour le statut {statut}")
    if voie is Voie.APPRENTISSAGE:
        return Exigence(
            voie,
            Justificatif.CONTRAT,
            Decimal(0),
            "Annexe III, II.2",
            "formation sous contrat d'apprentissage : pas d'attestation de PFMP",
        )
    if voie is Voie.FPC_PERFECTIONNEMENT:
        return Exigence(
            voie,
            Justificatif.CERTIFICATS,
            Decimal(0),
            "Annexe III, II.3.2",
            "certificats de travail : six mois à temps plein dans l'année précédant l'examen, "
            "ou un an à temps partiel dans les deux années précédant l'examen",
        )
    if voie is Voie.EXPERIENCE:
        return Exigence(
            voie,
            Justificatif.CERTIFICATS,
            Decimal(0),
            "Annexe III, II.4",
            "certificats de travail : trois années dans un emploi qualifié, pas de stage",
        )
    if voie is Voie.SCOLAIRE:
        if duree_cycle not in semaines_cycle:
            raise ValueError(f"durée de cycle {duree_cycle} : 2 ou 3 ans")
        semaines, source = semaines_cycle[duree_cycle], "Annexe III, II.1" if duree_cycle == 3 else "Annexe III, II.5"
        libelle = f"{nombre(semaines)} semaines de PFMP attestées sur le cycle de {duree_cycle} ans"
    else:
        semaines, source = semaines_fpc, "Annexe III, II.3.1"
        libelle = f"{nombre(semaines)} semaines de PFMP attestées"
    anomalies: tuple[str, ...] = ()
    if positionnement is not None:
        minimum = minimum_positionnement(voie)
        semaines = max(Decimal(positionnement), minimum)
        source = "Annexe III, II.5"
        libelle = (
            f"{nombre(semaines)} semaines de PFMP attestées, fixées par décision de positionnement "
            f"(au moins {nombre(minimum)})"
        )
        if positionnement_date is None:
            anomalies = ("décision de positionnement non datée : la durée réduite n'est pas justifiée",)
        else:
            libelle += f" du {positionnement_date:%d/%m/%Y}"
    return Exigence(voie, Justificatif.ATTESTATIONS, semaines, source, libelle, anomalies)


# --------------------------------------------------------------------------------------------------
# Dates : semaines, mois, année du cycle
# --------------------------------------------------------------------------------------------------


def date_examen(annee: int) -> datetime.date:
    """Date de référence de l'examen d'une session (lecture : 1er juin, début des épreuves ponctuelles)."""
    return datetime.date(annee, 6, 1)


def semaines_calendaires(debut: datetime.date, fin: datetime.date) -> Decimal:
    """Semaines civiles entamées de ``debut`` à ``fin`` inclus : du lundi au vendredi = 1 semaine, quatre
    semaines du lundi 3 au vendredi 28 (26 jours) = 4. Plafond du nombre de semaines qu'une période atteste."""
    if fin < debut:
        raise ValueError("la fin précède le début")
    return Decimal(math.ceil(((fin - debut).days + 1) / 7))


def annee_du_cycle(debut: datetime.date, *, session: int, duree_cycle: int) -> int | None:
    """Année du cycle (1 à ``duree_cycle``) d'une période : la dernière année est l'année scolaire qui finit
    avec la session (septembre à août). None hors du cycle."""
    annee_scolaire = debut.year if debut.month >= 9 else debut.year - 1  # année de la rentrée
    rang = duree_cycle - (session - 1 - annee_scolaire)
    return rang if 1 <= rang <= duree_cycle else None


def _ajouter_mois(jour: datetime.date, mois: int) -> datetime.date:
    annee, rang = divmod(jour.month - 1 + mois, 12)
    annee += jour.year
    return datetime.date(annee, rang + 1, min(jour.day, calendar.monthrange(annee, rang + 1)[1]))


def duree_en_mois(debut: datetime.date, fin: datetime.date) -> Decimal:
    """Durée de ``debut`` à ``fin`` inclus en mois civils entiers, plus les jours restants en trentièmes.

    Du 01/09/2024 au 28/02/2025 : 6 mois exactement ; du 15/01 au 14/02 : 1 mois ; du 01/03 au 15/03 : 15/30.
    """
    if fin < debut:
        return Decimal(0)
    apres = fin + datetime.timedelta(days=1)
    # Le plus grand nombre de mois entiers qui tient : celui du mois de ``apres``, ou le précédent si le jour de
    # ``debut`` n'y est pas encore atteint (une boucle mois par mois coûtait un tiers du calcul d'une session).
    mois = (apres.year - debut.year) * 12 + apres.month - debut.month
    if _ajouter_mois(debut, mois) > apres:
        mois -= 1
    reste = (apres - _ajouter_mois(debut, mois)).days
    return Decimal(mois) + Decimal(reste) / Decimal(30)


def _union(intervalles: Iterable[tuple[datetime.date, datetime.date]]) -> list[tuple[datetime.date, datetime.date]]:
    """Réunit des intervalles inclusifs qui se chevauchent ou se touchent (deux certificats qui se suivent
    comptent comme un seul emploi continu : on ne perd pas de mois au raccord)."""
    fusion: list[tuple[datetime.date, datetime.date]] = []
    for debut, fin in sorted(intervalles):
        if fusion and debut <= fusion[-1][1] + datetime.timedelta(days=1):
            fusion[-1] = (fusion[-1][0], max(fusion[-1][1], fin))
        else:
            fusion.append((debut, fin))
    return fusion


def mois_couverts(
    intervalles: Iterable[tuple[datetime.date, datetime.date]], *, depuis: datetime.date, avant: datetime.date
) -> Decimal:
    """Mois couverts par la réunion des intervalles, comptés dans la fenêtre [depuis, avant[."""
    coupes = [
        (max(d, depuis), min(f, avant - datetime.timedelta(days=1)))
        for d, f in intervalles
        if f >= depuis and d < avant
    ]
    return sum((duree_en_mois(d, f) for d, f in _union(coupes)), Decimal(0))


# --------------------------------------------------------------------------------------------------
# Conformité
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Periode:
    """Une période de PFMP et son attestation en vigueur (``semaines_attestees`` None : aucune saisie)."""

    debut: datetime.date
    fin: datetime.date
    semaines_prevues: Decimal
    semaines_attestees: Decimal | None = None
    attestation_signee: bool = False
    convention_signee: bool = True
    pays: str = "FR"
    libelle: str = ""  # « ACME du 03/11/2025 au 28/11/2025 », pour les motifs

    @property
    def attestee(self) -> bool:
        return self.semaines_attestees is not None and self.attestation_signee


@dataclass(frozen=True)
class Certificat:
    """Un certificat de travail : période d'emploi, quotité, nombre d'activités du référentiel attestées."""

    debut: datetime.date
    fin: datetime.date
    temps_plein: bool
    activites: int = 1
    libelle: str = ""


@dataclass(frozen=True)
class Conformite:
    exigence: Exigence
    niveau: Niveau
    semaines_attestees: Decimal = Decimal(0)  # attestations signées seulement
    semaines_prevues: Decimal = Decimal(0)  # périodes sans attestation qui finissent avant l'examen
    semaines_manquantes: Decimal = Decimal(0)
    signatures_manquantes: int = 0
    motifs: tuple[str, ...] = ()  # pourquoi le candidat n'est pas conforme
    avertissements: tuple[str, ...] = ()  # à regarder, sans effet sur la délivrance
    mobilite_eligible: bool = False
    mois_certifies: Decimal | None = None  # voies à certificats : mois retenus pour la règle la plus favorable
    details: dict = field(default_factory=dict)

    @property
    def conforme(self) -> bool:
        return self.niveau is Niveau.CONFORME


# Zone de l'unité facultative de mobilité, règle nommée. L'arrêté du 30 août 2019, que citent les annexes II a et
# II c, la définit par une période de formation « à l'étranger » : c'est la lecture retenue (« etranger »). L'annexe
# III, reprenant l'arrêté de 2014, parle d'une PFMP dans l'UE, l'EEE ou l'AELE : elle reste une option nommée
# (« ue_eee_aele », réglage AGORA_ZONE_MOBILITE), non confirmée pour les sessions AGOrA [U].
ZONES_MOBILITE = ("etranger", "ue_eee_aele")
ZONE_MOBILITE = "etranger"


def ouvre_la_mobilite(pays: str, zone: str = ZONE_MOBILITE) -> bool:
    """Une période dans ce pays peut-elle ouvrir l'unité de mobilité ? Jamais en France."""
    if zone not in ZONES_MOBILITE:
        raise ValueError(f"zone de mobilité inconnue : {zone} ({', '.join(ZONES_MOBILITE)})")
    return pays != "FR" and (zone == "etranger" or pays in PAYS_MOBILITE)


def mobilite_possible(periodes: Iterable[Periode], zone: str | None = None) -> bool:
    """Une période attestée (signée) hors de France ouvre l'unité facultative de mobilité ; avec la zone
    « ue_eee_aele », seulement dans un pays de l'UE, de l'EEE ou de l'AELE (voir ZONE_MOBILITE)."""
    zone = zone or ZONE_MOBILITE
    return any(p.attestee and ouvre_la_mobilite(p.pays, zone) for p in periodes)


def evaluer(
    exigence: Exigence,
    *,
    periodes: Iterable[Periode] = (),
    certificats: Iterable[Certificat] = (),
    aujourd_hui: datetime.date,
    examen: datetime.date,
) -> Conformite:
    """Conformité d'un candidat à son exigence, à la date ``aujourd_hui``, pour un examen à la date ``examen``.

    Attestations (II.1, II.3.1, II.5) : seules les attestations signées par le tuteur comptent. Conforme si
    les semaines attestées couvrent l'exigence ; « en cours » si les périodes sans attestation qui finissent
    avant l'examen la couvriraient et que rien d'autre ne manque ; « à risque » sinon (période terminée sans
    attestation, attestation non signée, semaines insuffisantes même prévues, examen passé).
    Certificats (II.3.2, II.4) : voir ``_evaluer_certificats``. Contrat (II.2) : toujours conforme.
    """
    periodes, certificats = list(periodes), list(certificats)
    mobilite = mobilite_possible(periodes)
    if exigence.justificatif is Justificatif.CONTRAT:
        return Conformite(exigence, Niveau.CONFORME, mobilite_eligible=mobilite)
    if exigence.justificatif is Justificatif.CERTIFICATS:
        return _evaluer_certificats(exigence, certificats, examen=examen, mobilite=mobilite)

    motifs: list[str] = list(exigence.anomalies)
    avertissements: list[str] = []
    attestees = sum((p.semaines_attestees for p in periodes if p.attestee), Decimal(0))
    prevues = Decimal(0)
    signatures = 0
    bloquant = bool(exigence.anomalies) or aujourd_hui >= examen
    for p in periodes:
        if p.semaines_attestees is not None and not p.attestation_signee:
            signatures += 1
            motifs.append(f"attestation non signée par le tuteur : {p.libelle}")
            bloquant = True
        elif p.semaines_attestees is None:
            if p.fin < aujourd_hui:
                motifs.append(f"période terminée sans attestation : {p.libelle}")
                bloquant = True
            elif p.fin < examen:
                prevues += p.semaines_prevues
            else:
                avertissements.append(f"période qui finit après l'examen, non comptée : {p.libelle}")
        if not p.convention_signee and p.debut <= aujourd_hui:
            avertissements.append(f"convention non signée : {p.libelle}")
    nombre_attestees = sum(1 for p in periodes if p.attestee)
    return _conclure(
        exigence, attestees, prevues, signatures, motifs, avertissements, bloquant, nombre_attestees, mobilite
    )


def evaluer_attestees(
    exigence: Exigence,
    *,
    semaines_attestees: Decimal,
    periodes_attestees: int,
    mobilite: bool,
    certificats: Iterable[Certificat] = (),
    aujourd_hui: datetime.date,
    examen: datetime.date,
) -> Conformite:
    """``evaluer`` pour le cas courant où chaque période a son attestation signée et sa convention signée : rien
    d'autre ne compte alors que la somme des semaines, le nombre de périodes et la mobilité, que la base agrège
    (voir ``pfmp.selectors.conformites``). Un test compare les deux sur des sessions variées."""
    if exigence.justificatif is Justificatif.CONTRAT:
        return Conformite(exigence, Niveau.CONFORME, mobilite_eligible=mobilite)
    if exigence.justificatif is Justificatif.CERTIFICATS:
        return _evaluer_certificats(exigence, list(certificats), examen=examen, mobilite=mobilite)
    bloquant = bool(exigence.anomalies) or aujourd_hui >= examen
    return _conclure(
        exigence,
        semaines_attestees,
        Decimal(0),
        0,
        list(exigence.anomalies),
        [],
        bloquant,
        periodes_attestees,
        mobilite,
    )


def _conclure(
    exigence: Exigence,
    attestees: Decimal,
    prevues: Decimal,
    signatures: int,
    motifs: list[str],
    avertissements: list[str],
    bloquant: bool,
    nombre_attestees: int,
    mobilite: bool,
) -> Conformite:
    manquantes = max(exigence.semaines - attestees, Decimal(0))
    if manquantes:
        motifs.insert(
            0,
            f"{_semaines(attestees)} attestée{'s' if attestees > 1 else ''} sur {nombre(exigence.semaines)} requises : "
            f"il manque {_semaines(manquantes)}",
        )
        if attestees + prevues < exigence.semaines:
            bloquant = True
            if prevues:
                motifs.append(f"les périodes prévues ({nombre(prevues)} semaines) ne suffisent pas")
    if not manquantes and not exigence.anomalies:
        niveau = Niveau.CONFORME
        motifs = []  # une attestation non signée en plus de l'exigence ne retient pas le diplôme
        if signatures:
            mots = "attestation non signée" if signatures < 2 else "attestations non signées"
            avertissements.append(f"{signatures} {mots} en plus des semaines requises")
    else:
        niveau = Niveau.A_RISQUE if bloquant else Niveau.EN_COURS
    if niveau is Niveau.CONFORME and exigence.voie is Voie.SCOLAIRE and nombre_attestees == 1:
        avertissements.append("une seule période : l'Annexe III (II.1) prévoit plusieurs périodes")
    return Conformite(
        exigence,
        niveau,
        semaines_attestees=attestees,
        semaines_prevues=prevues,
        semaines_manquantes=manquantes,
        signatures_manquantes=signatures,
        motifs=tuple(motifs),
        avertissements=tuple(avertissements),
        mobilite_eligible=mobilite,
    )


def revoir_le(
    exigence: Exigence, periodes: Iterable[Periode], *, aujourd_hui: datetime.date, examen: datetime.date
) -> datetime.date | None:
    """Premier jour où ``evaluer`` pourrait rendre un autre niveau pour les mêmes données ; None : jamais.

    Seules comptent, pour les voies à attestations, la fin d'une période sans attestation (elle devient « terminée
    sans attestation ») et la date de l'examen. La conformité elle-même (et donc le blocage) ne dépend pas de la
    date : une conformité calculée reste vraie tant que les données ne changent pas.
    """
    if exigence.justificatif is not Justificatif.ATTESTATIONS:
        return None
    dates = [examen] if aujourd_hui < examen else []
    dates += [
        p.fin + datetime.timedelta(days=1) for p in periodes if p.semaines_attestees is None and p.fin >= aujourd_hui
    ]
    return min(dates, default=None)


def _evaluer_certificats(
    exigence: Exigence, certificats: list[Certificat], *, examen: datetime.date, mobilite: bool
) -> Conformite:
    """II.3.2 : activités du référentiel en qualité de salarié, à temps plein six mois au cours de l'année
    précédant l'examen, ou à temps partiel un an au cours des deux années précédant l'examen (un temps plein
    compte aussi pour la seconde règle). II.4 : trois années (36 mois cumulés) dans un emploi qualifié.

    Un certificat qui n'atteste aucune activité du référentiel n'est pas retenu.
    """
    avertissements = [
        f"certificat sans activité du référentiel, non retenu : {c.libelle}" for c in certificats if c.activites <= 0
    ]
    retenus = [c for c in certificats if c.activites > 0]
    if exigence.voie is Voie.EXPERIENCE:
        mois = mois_couverts(((c.debut, c.fin) for c in retenus), depuis=datetime.date.min, avant=examen)
        motifs = [] if mois >= MOIS_EXPERIENCE else [f"{_mois(mois)} d'expérience certifiés sur 36 requis"]
        details = {"mois": mois}
    else:
        un_an, deux_ans = _ajouter_mois(examen, -12), _ajouter_mois(examen, -24)
        plein = mois_couverts(((c.debut, c.fin) for c in retenus if c.temps_plein), depuis=un_an, avant=examen)
        partiel = mois_couverts(((c.debut, c.fin) for c in retenus), depuis=deux_ans, avant=examen)
        mois = max(plein, partiel)
        details = {"mois_temps_plein_1_an": plein, "mois_2_ans": partiel}
        motifs = (
            []
            if plein >= MOIS_TEMPS_PLEIN or partiel >= MOIS_TEMPS_PARTIEL
            else [
                f"certificats insuffisants : {_mois(plein)} à temps plein depuis le {un_an:%d/%m/%Y} (6 requis), "
                f"{_mois(partiel)} depuis le {deux_ans:%d/%m/%Y} (12 requis à temps partiel)"
            ]
        )
    if not certificats:
        motifs = ["aucun certificat de travail"]
    return Conformite(
        exigence,
        Niveau.A_RISQUE if motifs else Niveau.CONFORME,
        motifs=tuple(motifs),
        avertissements=tuple(avertissements),
        mobilite_eligible=mobilite,
        mois_certifies=mois,
        details=details,
    )


def _semaines(semaines: Decimal) -> str:
    return f"{nombre(semaines)} semaine{'s' if semaines > 1 else ''}"


def _mois(mois: Decimal) -> str:
    arrondi = mois.quantize(Decimal("0.1"))
    return f"{nombre(arrondi)} mois"


MOTIF_PREFIXE = "PFMP : "


def motif_blocage(conformite: Conformite) -> str | None:
    """Le motif du blocage posé à l'examen quand le candidat n'est pas conforme, en mots que le jury lit sur la
    page de délibération : « PFMP : 8 semaines manquantes », « PFMP : 2 attestations non signées », ou les deux.
    Annexe III : la délivrance exige les attestations de toute la durée requise. None : conforme, pas de blocage.

    Le motif change avec les semaines attestées : le blocage est alors réécrit et le résultat recalculé (son
    empreinte couvre les blocages), ce qui garde la raison affichée vraie.
    """
    if conformite.conforme:
        return None
    parties = []
    if conformite.semaines_manquantes > 0:
        parties.append(
            f"{_semaines(conformite.semaines_manquantes)} manquante{'s' if conformite.semaines_manquantes > 1 else ''}"
        )
    if conformite.signatures_manquantes:
        n = conformite.signatures_manquantes
        parties.append(f"{n} attestation{'s' if n > 1 else ''} non signée{'s' if n > 1 else ''}")
    return MOTIF_PREFIXE + (", ".join(parties) if parties else "justificatifs manquants")
