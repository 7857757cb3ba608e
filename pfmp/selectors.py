"""Lectures PFMP : candidats avec tout ce qu'il faut pour juger leur conformité, en un nombre fixe de requêtes.

`conformite()` ne fait aucune requête : elle lit ce que `avec_pfmp()` a préchargé et appelle `regles_pfmp`.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from examens.models import Candidat, Division
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
            CertificatTravail.objects.annotate(nb_activites=Count("activites")).order_by("date_debut"),
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
    return regles_pfmp.exigence(
        statut=candidat.statut,
        voie=d.voie if d else None,
        duree_cycle=candidat.duree_cycle,
        positionnement=candidat.positionnement_semaines,
        # La date vient de l'import ou de la fiche du candidat ; à défaut, du dossier PFMP.
        positionnement_date=candidat.positionnement_date or (d.date_positionnement if d else None),
        durees=candidat.session.reglement.pfmp,  # semaines de la version du règlement de la session
    )


def _libelle(periode: Periode) -> str:
    return f"{periode.convention.organisation.nom}, du {periode.date_debut:%d/%m/%Y} au {periode.date_fin:%d/%m/%Y}"


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
            libelle=f"{c.employeur}, du {c.date_debut:%d/%m/%Y} au {c.date_fin:%d/%m/%Y}",
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


def par_division(lignes: list[Ligne]) -> list[ResumeDivision]:
    groupes: dict[int | None, ResumeDivision] = {}
    for ligne in lignes:
        cle = ligne.candidat.division_id
        if cle not in groupes:
            groupes[cle] = ResumeDivision(ligne.candidat.division, [])
        groupes[cle].lignes.append(ligne)
    return list(groupes.values())


def nombre(valeur: Decimal | None) -> str:
    """Décimal pour les exports (point décimal, sans zéros inutiles)."""
    if valeur is None:
        return ""
    return format(valeur.normalize(), "f") if valeur else "0"
