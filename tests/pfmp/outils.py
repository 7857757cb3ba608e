"""Fabriques PFMP pour les tests : des objets valides par défaut, écrits par les services."""

import datetime
from decimal import Decimal

from pfmp import services
from pfmp.models import Organisation

J = datetime.date
SIRET = "55210055400013"  # clés de Luhn du SIREN et du SIRET valides
SIRET_2 = "12345678200028"


def organisation(nom="Imprimerie Nouvelle", siret=SIRET, pays="FR", **champs) -> Organisation:
    existante = Organisation.objects.filter(siret=siret).first() if siret else None
    if existante:
        return existante
    return services.creer_organisation(nom=nom, siret=siret, pays=pays, ville=champs.pop("ville", "Paris"), **champs)


def etrangere(pays="ES", nom=None) -> Organisation:
    return Organisation.objects.get_or_create(nom=nom or f"Oficina {pays}", pays=pays, siret="")[0]


def periode(candidat, debut, fin, semaines, *, org=None, attestees=None, signee=True, auteur=None, **extra):
    """Une période ; avec `attestees`, son attestation (signée le dernier jour si `signee`)."""
    p = services.enregistrer_periode(
        candidat=candidat,
        organisation=org or organisation(),
        date_debut=debut,
        date_fin=fin,
        semaines=Decimal(semaines),
        auteur=auteur,
        **extra,
    )
    if attestees is not None:
        services.enregistrer_attestation(
            periode=p, semaines=Decimal(attestees), signee=signee, date_signature=fin if signee else None, auteur=auteur
        )
    return p


# Cycle de trois ans de la session 2026 : 6 + 8 + 8 = 22 semaines.
SECONDE = (J(2024, 1, 8), J(2024, 2, 16), "6")
PREMIERE = (J(2025, 1, 6), J(2025, 2, 28), "8")
TERMINALE = (J(2025, 11, 3), J(2025, 12, 26), "8")
