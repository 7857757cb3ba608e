"""Lectures PFMP : candidats avec tout ce qu'il faut pour juger leur conformité, en un nombre fixe de requêtes.

`conformite()` ne fait aucune requête : elle lit ce que `avec_pfmp()` a préchargé et appelle `regles_pfmp`.
"""

import dataclasses
import datetime
import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Case, Count, F, FilteredRelation, Prefetch, Q, QuerySet, When
from django.utils import timezone

from examens.models import Candidat, Division, Etablissement, ReglementExamen
from pfmp import regles_pfmp
from pfmp.models import Attestation, CertificatTravail, Convention, Periode


def avec_pfmp(candidats: QuerySet[Candidat]) -> QuerySet[Candidat]:
    """Précharge conventions → périodes → attestation en vigueur (+ évaluation), certificats et dossier."""
    periodes = Periode.objects.prefetch_related(
        Prefetch("attestations", Attestation.objects.filter(en_vigueur=True), to_attr="attestations_en_vigueur")
    ).select_related("evaluation")
    return candidats.select_related("session__reglement", "etablissement", "division", "dossier_pfmp").prefetch_related(
        Prefetch(
            "pfmp_conventions",
            Convention.objects.select_related("organisation", "tuteur", "referent").prefetch_related(
                Prefetch("periodes", periodes)
            ),
        ),
        Prefetch(
            "pfmp_certificats",
            CertificatTravail.objects.annotate(nb_activites=Count("activites")).order_by("date_debut", "pk"),
        ),
    )


def dossier(candidat: Candidat):
    """Le DossierPfmp du candidat, ou None (la relation inverse lève une exception quand il manque)."""
    try:
        return candidat.dossier_pfmp
    except Candidat.dossier_pfmp.RelatedObjectDoesNotExist:
        return None


def periodes_de(candidat: Candidat) -> list[Periode]:
    """Périodes du candidat (préchargées), triées par date, chacune avec `.attestation` (en vigueur ou None)."""
    periodes = []
    for convention in candidat.pfmp_conventions.all():
        for periode in convention.periodes.all():
            periode.convention = convention  # évite de recharger la convention (et le candidat) depuis la période
            en_vigueur = getattr(periode, "attestations_en_vigueur", None)
            if en_vigueur is None:
                en_vigueur = list(periode.attestations.filter(en_vigueur=True))
            periode.attestation = en_vigueur[0] if en_vigueur else None
            periodes.append(periode)
    return sorted(periodes, key=lambda p: (p.date_debut, p.pk))


def exigence(candidat: Candidat) -> regles_pfmp.Exigence:
    d = dossier(candidat)
    return _exigence(
        candidat.statut,
        d.voie if d else "",
        candidat.duree_cycle,
        candidat.positionnement_semaines,
        # La date vient de l'import ou de la fiche du candidat ; à défaut, du dossier PFMP.
        candidat.positionnement_date or (d.date_positionnement if d else None),
        candidat.session.reglement.pfmp,  # semaines de la version du règlement de la session
    )


def _exigence(statut, voie, duree_cycle, positionnement, positionnement_date, durees=None) -> regles_pfmp.Exigence:
    """L'exigence du candidat ; une voie déclarée que son statut (modifié depuis) n'ouvre plus est une anomalie
    qui bloque, pas une erreur : l'exigence de la voie par défaut s'applique en attendant qu'on la corrige."""
    try:
        return regles_pfmp.exigence(
            statut=statut,
            voie=voie or None,
            duree_cycle=duree_cycle,
            positionnement=positionnement,
            positionnement_date=positionnement_date,
            durees=durees,
        )
    except ValueError:
        if not voie:
            raise
    defaut = regles_pfmp.exigence(
        statut=statut,
        duree_cycle=duree_cycle,
        positionnement=positionnement,
        positionnement_date=positionnement_date,
        durees=durees,
    )
    anomalie = f"voie « {regles_pfmp.Voie(voie).libelle} » du dossier PFMP impossible pour ce statut : à corriger"
    return dataclasses.replace(defaut, anomalies=(*defaut.anomalies, anomalie))


def _libelle(periode: Periode) -> str:
    return _libelle_periode(periode.convention.organisation.nom, periode.date_debut, periode.date_fin)


@functools.lru_cache(maxsize=4096)
def _jour(date: datetime.date) -> str:
    # Quelques centaines de dates distinctes pour 100 000 périodes : strftime coûtait une seconde sur 25 000 candidats.
    return f"{date:%d/%m/%Y}"


def _libelle_periode(organisation: str, debut: datetime.date, fin: datetime.date) -> str:
    return f"{organisation}, du {_jour(debut)} au {_jour(fin)}"


def _libelle_certificat(employeur: str, debut: datetime.date, fin: datetime.date) -> str:
    return f"{employeur}, du {_jour(debut)} au {_jour(fin)}"


def conformite(candidat: Candidat, aujourd_hui: datetime.date | None = None) -> regles_pfmp.Conformite:
    """Conformité du candidat (aucune requête si `avec_pfmp` l'a préchargé)."""
    periodes = []
    for p in periodes_de(candidat):
        if p.convention.etat == Convention.Etat.RESILIEE and p.attestation is None:
            continue  # convention résiliée avant toute attestation : la période n'a pas eu lieu
        a = p.attestation
        periodes.append(
            regles_pfmp.Periode(
                debut=a.date_debut if a else p.date_debut,
                fin=a.date_fin if a else p.date_fin,
                semaines_prevues=p.semaines,
                semaines_attestees=a.semaines if a else None,
                attestation_signee=bool(a and a.signee),
                convention_signee=p.convention.etat == Convention.Etat.SIGNEE,
                pays=p.pays,
                libelle=_libelle(p),
            )
        )
    certificats = [
        regles_pfmp.Certificat(
            debut=c.date_debut,
            fin=c.date_fin,
            temps_plein=c.quotite == CertificatTravail.Quotite.TEMPS_PLEIN,
            activites=c.nb_activites if hasattr(c, "nb_activites") else c.activites.count(),
            libelle=_libelle_certificat(c.employeur, c.date_debut, c.date_fin),
        )
        for c in candidat.pfmp_certificats.all()
    ]
    return regles_pfmp.evaluer(
        exigence(candidat),
        periodes=periodes,
        certificats=certificats,
        aujourd_hui=aujourd_hui or timezone.localdate(),
        examen=regles_pfmp.date_examen(candidat.session.annee),
    )


# ---------------------------------------------------------------------------------------------------
# Le même calcul pour toute une session : des tuples lus en trois requêtes, puis les règles pures
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evalue:
    """Conformité d'un candidat calculée en masse, avec ce qu'il faut pour l'appliquer sans relire la base."""

    conformite: regles_pfmp.Conformite
    mobilite_suivie: bool  # voir services._mobilite_suivie
    mobilite_eligible: bool | None  # valeur enregistrée sur le candidat
    revoir_le: datetime.date | None  # date à partir de laquelle le niveau peut changer (None : jamais)


AGREGATS = """
SELECT c.candidat_id,
       count(*),
       count(*) FILTER (WHERE NOT (c.etat = %s AND a.id IS NULL)),
       count(*) FILTER (WHERE a.signee AND c.etat = %s),
       count(*) FILTER (WHERE a.signee),
       coalesce(sum(a.semaines) FILTER (WHERE a.signee), 0),
       coalesce(bool_or(a.signee AND p.pays <> 'FR' AND (%s OR p.pays = ANY(%s))), false)
  FROM pfmp_periode p
  JOIN pfmp_convention c ON c.id = p.convention_id
  LEFT JOIN pfmp_attestation a ON a.periode_id = p.id AND a.en_vigueur
 WHERE c.candidat_id IN ({candidats})
 GROUP BY c.candidat_id
"""


def conformites(candidats: QuerySet[Candidat], aujourd_hui: datetime.date | None = None) -> dict[int, Evalue]:
    """Conformité de chaque candidat du queryset, par agrégats SQL puis les règles pures, sans instancier de modèle.

    1. Par candidat, la base compte ses périodes et additionne les semaines attestées et signées (une requête).
    2. Un candidat dont chaque période a son attestation signée et sa convention signée (le cas courant) se juge sur
       ces agrégats (`regles_pfmp.evaluer_attestees`) ; pour les autres seulement, les périodes sont lues une à une
       (libellés des motifs) et passent par `regles_pfmp.evaluer`.
    Même résultat que `conformite()` candidat par candidat (un test les compare) : 25 000 candidats en une à deux
    secondes au lieu de ≈ 30 (voir README, « Performances »).
    """
    aujourd_hui = aujourd_hui or timezone.localdate()
    lignes = list(
        candidats.order_by().values_list(
            "pk",
            "statut",
            "duree_cycle",
            "positionnement_semaines",
            "session__annee",
            "mobilite_eligible",
            "facultative1",
            "facultative2",
            "dossier_pfmp__voie",
            "dossier_pfmp__date_positionnement",
            "positionnement_date",
            "session__reglement_id",
        )
    )
    # Semaines de PFMP de chaque version du règlement en jeu (une ou deux) : celles de la session du candidat.
    durees = dict(ReglementExamen.objects.filter(pk__in={ligne[-1] for ligne in lignes}).values_list("pk", "pfmp"))
    ids = candidats.order_by().values("pk")
    sql_ids, parametres_ids = ids.query.sql_with_params()
    agregats: dict[int, tuple] = {}
    with connection.cursor() as curseur:
        # Paramètres dans l'ordre du texte : états de convention, pays de mobilité, puis ceux du sous-ensemble.
        curseur.execute(
            AGREGATS.format(candidats=sql_ids),
            [
                Convention.Etat.RESILIEE.value,
                Convention.Etat.SIGNEE.value,
                regles_pfmp.ZONE_MOBILITE == "etranger",  # tout pays hors de France ouvre la mobilité
                sorted(regles_pfmp.PAYS_MOBILITE),
                *parametres_ids,
            ],
        )
        for candidat_id, *valeurs in curseur.fetchall():
            agregats[candidat_id] = tuple(valeurs)
    # Candidats à lire période par période : une période sans attestation signée, ou convention non signée.
    a_detailler = [pk for pk, (_, retenues, simples, *_) in agregats.items() if retenues != simples]
    periodes: dict[int, list] = defaultdict(list)
    if a_detailler:
        for ligne in (
            Periode.objects.filter(convention__candidat_id__in=a_detailler)
            .annotate(en_vigueur=FilteredRelation("attestations", condition=Q(attestations__en_vigueur=True)))
            .order_by("date_debut", "pk")
            .values_list(
                "convention__candidat_id",
                "date_debut",
                "date_fin",
                "semaines",
                "pays",
                "convention__etat",
                "convention__organisation__nom",
                "en_vigueur__date_debut",
                "en_vigueur__date_fin",
                "en_vigueur__semaines",
                "en_vigueur__signee",
            )
        ):
            periodes[ligne[0]].append(ligne[1:])
    certificats: dict[int, list] = defaultdict(list)
    for candidat_id, debut, fin, quotite, employeur, nb in (
        CertificatTravail.objects.filter(candidat_id__in=ids)
        .annotate(nb=Count("activites"))
        .order_by("date_debut", "pk")
        .values_list("candidat_id", "date_debut", "date_fin", "quotite", "employeur", "nb")
    ):
        certificats[candidat_id].append(
            regles_pfmp.Certificat(
                debut=debut,
                fin=fin,
                temps_plein=quotite == CertificatTravail.Quotite.TEMPS_PLEIN,
                activites=nb,
                libelle=_libelle_certificat(employeur, debut, fin),
            )
        )
    exigences: dict[tuple, regles_pfmp.Exigence] = {}
    resultat = {}
    resiliee, signee, Periode_ = Convention.Etat.RESILIEE.value, Convention.Etat.SIGNEE.value, regles_pfmp.Periode
    sans_periode = (0, 0, 0, 0, Decimal(0), False)
    for pk, statut, duree, positionnement, annee, eligible, f1, f2, voie, date_dossier, date_pos, reglement in lignes:
        # La date vient de l'import ou de la fiche du candidat ; à défaut, du dossier PFMP (comme `exigence`).
        cle = (statut, voie or "", duree, positionnement, date_pos or date_dossier, reglement)
        if cle not in exigences:
            exigences[cle] = _exigence(*cle[:-1], durees[reglement])
        exigence_ = exigences[cle]
        examen = regles_pfmp.date_examen(annee)
        toutes, _, _, nombre_attestees, semaines, mobilite = agregats.get(pk, sans_periode)
        if pk not in periodes:
            conformite = regles_pfmp.evaluer_attestees(
                exigence_,
                semaines_attestees=semaines,
                periodes_attestees=nombre_attestees,
                mobilite=mobilite,
                certificats=certificats.get(pk, ()),
                aujourd_hui=aujourd_hui,
                examen=examen,
            )
            a_evaluer = ()
        else:
            a_evaluer = []
            for ligne in periodes[pk]:
                debut, fin, semaines_prevues, pays, etat, organisation, a_debut, a_fin, a_semaines, a_signee = ligne
                attestee = a_semaines is not None
                if etat == resiliee and not attestee:
                    continue  # convention résiliée avant toute attestation : la période n'a pas eu lieu
                a_evaluer.append(
                    Periode_(
                        debut=a_debut if attestee else debut,
                        fin=a_fin if attestee else fin,
                        semaines_prevues=semaines_prevues,
                        semaines_attestees=a_semaines,
                        attestation_signee=bool(attestee and a_signee),
                        convention_signee=etat == signee,
                        pays=pays,
                        libelle=_libelle_periode(organisation, debut, fin),
                    )
                )
            conformite = regles_pfmp.evaluer(
                exigence_,
                periodes=a_evaluer,
                certificats=certificats.get(pk, ()),
                aujourd_hui=aujourd_hui,
                examen=examen,
            )
        resultat[pk] = Evalue(
            conformite=conformite,
            mobilite_suivie=bool(toutes) or "MOBILITE" in (f1, f2) or eligible is not None,
            mobilite_eligible=eligible,
            revoir_le=regles_pfmp.revoir_le(conformite.exigence, a_evaluer, aujourd_hui=aujourd_hui, examen=examen),
        )
    return resultat


def conformites_de(ids: Iterable[int], aujourd_hui: datetime.date | None = None) -> dict[int, Evalue]:
    return conformites(Candidat.objects.filter(pk__in=list(ids)), aujourd_hui)


@dataclass
class Ligne:
    candidat: Candidat
    conformite: regles_pfmp.Conformite


@dataclass
class ResumeDivision:
    division: Division | None
    lignes: list[Ligne]

    def compte(self, niveau: str) -> int:
        return sum(1 for ligne in self.lignes if ligne.conformite.niveau == niveau)

    @property
    def conformes(self) -> int:
        return self.compte(regles_pfmp.Niveau.CONFORME)

    @property
    def en_cours(self) -> int:
        return self.compte(regles_pfmp.Niveau.EN_COURS)

    @property
    def a_risque(self) -> int:
        return self.compte(regles_pfmp.Niveau.A_RISQUE)


def tableau(candidats: QuerySet[Candidat], aujourd_hui: datetime.date | None = None) -> list[Ligne]:
    """Une ligne par candidat : 7 requêtes quel que soit leur nombre."""
    aujourd_hui = aujourd_hui or timezone.localdate()
    qs = avec_pfmp(candidats).order_by("division__nom", "nom", "prenom", "numero")
    return [Ligne(c, conformite(c, aujourd_hui)) for c in qs]


def lignes(candidats: QuerySet[Candidat], aujourd_hui: datetime.date | None = None) -> list[Ligne]:
    """Comme `tableau`, par le calcul en masse : les candidats (avec division et établissement) en une requête,
    leur conformité en trois."""
    evalues = conformites(candidats, aujourd_hui)
    qs = candidats.select_related("session", "etablissement", "division__etablissement").order_by(
        "division__nom", "nom", "prenom", "numero"
    )
    return [Ligne(c, evalues[c.pk].conformite) for c in qs]


# ---------------------------------------------------------------------------------------------------
# Vue nationale : les états enregistrés, comptés par SQL, et une page de candidats à la fois
# ---------------------------------------------------------------------------------------------------


def _frais(aujourd_hui: datetime.date, prefixe: str = "") -> Q:
    """États enregistrés dont le niveau vaut encore aujourd'hui (calculés pour une date passée, pas périmés)."""
    return Q(**{f"{prefixe}calcule_le__lte": aujourd_hui}) & (
        Q(**{f"{prefixe}revoir_le__isnull": True}) | Q(**{f"{prefixe}revoir_le__gt": aujourd_hui})
    )


def _perime(aujourd_hui: datetime.date) -> Q:
    """Candidats sans état enregistré, ou dont l'état ne vaut pas pour aujourd'hui (complément de `_frais`)."""
    return (
        Q(etat_pfmp__isnull=True) | Q(etat_pfmp__calcule_le__gt=aujourd_hui) | Q(etat_pfmp__revoir_le__lte=aujourd_hui)
    )


@dataclass
class ResumeEtablissement:
    pk: int
    uai: str
    nom: str
    conforme: int = 0
    en_cours: int = 0
    a_risque: int = 0

    @property
    def total(self) -> int:
        return self.conforme + self.en_cours + self.a_risque


@dataclass
class Resume:
    etablissements: list[ResumeEtablissement]
    total: dict[str, int]
    perimes: dict[int, str]  # candidat → niveau recalculé à l'instant (état périmé ou manquant)

    @property
    def candidats(self) -> int:
        return sum(self.total.values())


def resume(candidats: QuerySet[Candidat], aujourd_hui: datetime.date | None = None) -> Resume:
    """Comptes par établissement et par niveau : un GROUP BY sur les états enregistrés, plus le calcul à l'instant
    des seuls états périmés ou manquants (aucun d'ordinaire : chaque écriture et la tâche quotidienne les tiennent
    à jour). Rien n'est écrit."""
    aujourd_hui = aujourd_hui or timezone.localdate()
    par_etablissement: dict[int, ResumeEtablissement] = {}
    comptes = defaultdict(int)
    # Une seule lecture : les états qui valent aujourd'hui comptés par niveau, les autres (périmés ou manquants)
    # sous le niveau None, recalculés ensuite à l'instant s'il y en a.
    a_recalculer = False
    for etablissement_id, niveau, nombre in (
        candidats.annotate(
            niveau_frais=Case(When(_frais(aujourd_hui, "etat_pfmp__"), then=F("etat_pfmp__niveau")), default=None)
        )
        .order_by()
        .values_list("etablissement_id", "niveau_frais")
        .annotate(n=Count("pk"))
    ):
        if niveau is None:
            a_recalculer = True
        else:
            comptes[(etablissement_id, niveau)] += nombre
    perimes = {}
    if a_recalculer:
        perimes_ids = dict(candidats.filter(_perime(aujourd_hui)).order_by().values_list("pk", "etablissement_id"))
        perimes = {pk: e.conformite.niveau.value for pk, e in conformites_de(perimes_ids, aujourd_hui).items()}
        for pk, niveau in perimes.items():
            comptes[(perimes_ids[pk], niveau)] += 1
    for pk, uai, nom in Etablissement.objects.filter(pk__in={e for e, _ in comptes}).values_list("pk", "uai", "nom"):
        par_etablissement[pk] = ResumeEtablissement(pk, uai, nom)
    total = {n.value: 0 for n in regles_pfmp.Niveau}
    for (etablissement_id, niveau), nombre in comptes.items():
        ligne = par_etablissement[etablissement_id]
        setattr(ligne, niveau, getattr(ligne, niveau) + nombre)
        total[niveau] += nombre
    return Resume(sorted(par_etablissement.values(), key=lambda e: (e.nom, e.uai)), total, perimes)


def dans_l_etat(candidats: QuerySet[Candidat], etat: str, resume: Resume, aujourd_hui=None) -> QuerySet[Candidat]:
    """Les candidats à ce niveau : par l'état enregistré, ou par le calcul à l'instant du résumé s'il était périmé."""
    aujourd_hui = aujourd_hui or timezone.localdate()
    recalcules = [pk for pk, niveau in resume.perimes.items() if niveau == etat]
    return candidats.filter((_frais(aujourd_hui, "etat_pfmp__") & Q(etat_pfmp__niveau=etat)) | Q(pk__in=recalcules))


def par_division(lignes: list[Ligne]) -> list[ResumeDivision]:
    groupes: dict[int | None, ResumeDivision] = {}
    for ligne in lignes:
        cle = ligne.candidat.division_id
        if cle not in groupes:
            groupes[cle] = ResumeDivision(ligne.candidat.division, [])
        groupes[cle].lignes.append(ligne)
    return list(groupes.values())
