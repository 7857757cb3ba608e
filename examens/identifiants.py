"""Identifiants nationaux : UAI (ex-RNE) avec sa lettre clé."""

import re

from django.core.exceptions import ValidationError

# Lettre clé de l'UAI : alphabet privé de I, O et Q, indexé par (7 chiffres) mod 23 (regles-examen.md §5).
ALPHABET_UAI = "ABCDEFGHJKLMNPRSTUVWXYZ"
FORME_UAI = re.compile(r"^[0-9]{7}[A-Z]$")


def lettre_cle(sept_chiffres: str) -> str:
    return ALPHABET_UAI[int(sept_chiffres) % 23]


def uai_avec_cle(sept_chiffres: str) -> str:
    """« 0750001 » → « 0750001U » : l'UAI complet, lettre clé calculée."""
    return sept_chiffres + lettre_cle(sept_chiffres)


def erreur_uai(uai: str) -> str | None:
    """Le message d'erreur en français, ou None si l'UAI est valide."""
    if not FORME_UAI.match(uai or ""):
        return f"UAI « {uai} » : 7 chiffres suivis d'une lettre majuscule attendus"
    attendue = lettre_cle(uai[:7])
    if uai[7] != attendue:
        return f"UAI « {uai} » : lettre clé incorrecte (attendue : {attendue})"
    return None


def valider_uai(uai: str) -> None:
    if message := erreur_uai(uai):
        raise ValidationError(message)
