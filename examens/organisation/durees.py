"""Durée d'un passage : le règlement pour le ponctuel, une valeur par défaut nommée pour le CCF.

La colonne « durée » de l'Annexe II b est un texte libre (« 2 h 30 », « 20 min (dont 5 minutes de
préparation) ») : on en lit les heures et les minutes. L'arrêté détaille deux épreuves ponctuelles dont le
tableau ne donne que le temps devant la commission :
- E31 : 15 minutes de prise en main de l'environnement numérique, puis 20 minutes de présentation au plus et
  25 minutes de mise en situation (45 min au tableau) : 60 minutes réservées ;
- E32 : 5 minutes d'exposé et 25 minutes d'entretien : 30 minutes.
En CCF, aucune durée n'est fixée par le texte : l'établissement choisit. DUREES_CCF donne une valeur par défaut
par épreuve, que settings.AGORA_DUREES_CCF remplace (même forme) et que le planificateur laisse modifier.
"""

import math
import re

from django.conf import settings

DUREES_CCF = {"E31": 60, "E32": 30, "E2": 120}
DUREE_CCF_AUTRE = 60
# Temps réservé avant l'épreuve ponctuelle en plus de la durée du tableau (arrêté, définition de l'épreuve).
PREALABLES_PONCTUEL = {"E31": (15, "15 min de prise en main de l'environnement numérique")}

_HEURES = re.compile(r"(\d+)\s*h(?:\s*(\d+))?", re.IGNORECASE)
_MINUTES = re.compile(r"(\d+)\s*min", re.IGNORECASE)


def lire_duree(texte: str) -> int | None:
    """« 2 h 30 » → 150 ; « 45 min » → 45 ; « 20 min (dont 5 minutes de préparation) » → 20 ; « » → None."""
    texte = (texte or "").strip()
    if m := _HEURES.search(texte):
        return int(m.group(1)) * 60 + int(m.group(2) or 0)
    if m := _MINUTES.search(texte):
        return int(m.group(1))
    return None


def duree_ccf(epreuve: str) -> int:
    return {**DUREES_CCF, **getattr(settings, "AGORA_DUREES_CCF", {})}.get(epreuve, DUREE_CCF_AUTRE)


def duree_epreuve(epreuve: str, forme: str, duree_reglement: str = "") -> int:
    """Minutes à réserver pour un candidat sans aménagement (forme : « ccf » ou « ponctuel »)."""
    if forme == "ccf":
        return duree_ccf(epreuve)
    base = lire_duree(duree_reglement) or duree_ccf(epreuve)
    return base + PREALABLES_PONCTUEL.get(epreuve, (0, ""))[0]


def majorer(minutes: int, pourcentage: int) -> int:
    """Temps majoré arrondi aux 5 minutes supérieures (un tiers-temps sur 60 min : 80 min)."""
    if not pourcentage:
        return minutes
    return int(math.ceil(minutes * (100 + pourcentage) / 100 / 5) * 5)


def texte_duree(minutes: int) -> str:
    """90 → « 1 h 30 » ; 45 → « 45 min »."""
    h, m = divmod(int(minutes), 60)
    if not h:
        return f"{m} min"
    return f"{h} h {m:02d}" if m else f"{h} h"
