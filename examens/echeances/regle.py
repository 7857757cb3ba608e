"""La règle des échéances de saisie, en Python pur (aucun import de Django) : la saisie est-elle ouverte ?

Entrées : l'unité (« U31 »), sa nature pour ce candidat (« ccf » ou « ponctuel »), l'établissement et le candidat
visés, l'utilisateur qui écrit, l'instant, les échéances de la session et les réouvertures de cet utilisateur.

- Aucune échéance ne couvre la saisie : ouverte.
- Sinon l'échéance la plus précise décide. Précision : une échéance propre à l'établissement l'emporte sur une
  échéance de toute l'académie (c'est une exception voulue pour ce lycée) ; à établissement égal, l'unité l'emporte
  sur la nature (CCF, ponctuel), qui l'emporte sur « toutes les unités ».
- Avant sa date de fermeture : ouverte. À partir de cette date : close, sauf réouverture.
- Une réouverture ne vaut que pour les personnes qu'elle nomme, dans sa portée, jusqu'à sa fin (exclue). Une
  réouverture « proposition seulement » ne rouvre pas l'écriture : ce que la personne saisit devient une proposition
  que la division des examens valide ou refuse. Si plusieurs réouvertures s'appliquent, une réouverture pleine
  l'emporte sur une proposition.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

OUVERTE = "ouverte"
CLOSE = "close"
PROPOSITION = "proposition"

CCF = "ccf"
PONCTUEL = "ponctuel"


def nature_du_mode(mode: str) -> str:
    """« ccf » → « ccf » ; « ponctuel_oral »… → « ponctuel » ; inconnu → « »."""
    if mode == CCF:
        return CCF
    return PONCTUEL if mode.startswith(PONCTUEL) else ""


@dataclass(frozen=True)
class Portee:
    """Ce que vise une échéance ou une réouverture : une unité OU une nature OU tout (les deux vides) ;
    un établissement ou tous (None) ; une réouverture peut viser un seul candidat."""

    unite: str = ""
    nature: str = ""
    etablissement_id: int | None = None
    candidat_id: int | None = None

    def couvre(self, unite: str, nature: str, etablissement_id: int | None, candidat_id: int | None) -> bool:
        return (
            (not self.unite or self.unite == unite)
            and (not self.nature or self.nature == nature)
            and (self.etablissement_id is None or self.etablissement_id == etablissement_id)
            and (self.candidat_id is None or self.candidat_id == candidat_id)
        )

    @property
    def precision(self) -> tuple[int, int]:
        return (self.etablissement_id is not None, 2 if self.unite else 1 if self.nature else 0)


@dataclass(frozen=True)
class Echeance:
    ident: int
    portee: Portee
    fermee_le: datetime.datetime


@dataclass(frozen=True)
class Reouverture:
    ident: int
    portee: Portee
    beneficiaires: frozenset[int]
    fin: datetime.datetime
    proposition_seulement: bool = False


@dataclass(frozen=True)
class Decision:
    etat: str
    echeance: Echeance | None = None  # celle qui décide (close, ou ouverte avant sa date)
    reouverture: Reouverture | None = None  # celle qui rouvre (ouverte ou proposition)

    @property
    def ouverte(self) -> bool:
        return self.etat == OUVERTE


def echeance_applicable(
    echeances, unite: str, nature: str, etablissement_id: int | None, candidat_id: int | None = None
) -> Echeance | None:
    """La plus précise des échéances qui couvrent la saisie ; à précision égale, la plus tardive (la plus
    favorable : deux échéances de même portée n'existent pas, la base l'interdit)."""
    couvrantes = [e for e in echeances if e.portee.couvre(unite, nature, etablissement_id, candidat_id)]
    if not couvrantes:
        return None
    return max(couvrantes, key=lambda e: (e.portee.precision, e.fermee_le))


def etat_saisie(
    *,
    unite: str,
    nature: str,
    etablissement_id: int | None,
    candidat_id: int | None,
    utilisateur_id: int | None,
    instant: datetime.datetime,
    echeances,
    reouvertures=(),
) -> Decision:
    """Ouverte, close ou « proposition seulement » pour cette saisie, à cet instant, pour cet utilisateur."""
    echeance = echeance_applicable(echeances, unite, nature, etablissement_id, candidat_id)
    if echeance is None or instant < echeance.fermee_le:
        return Decision(OUVERTE, echeance)
    actives = [
        r
        for r in reouvertures
        if utilisateur_id in r.beneficiaires
        and instant < r.fin
        and r.portee.couvre(unite, nature, etablissement_id, candidat_id)
    ]
    pleine = next((r for r in actives if not r.proposition_seulement), None)
    if pleine is not None:
        return Decision(OUVERTE, echeance, pleine)
    if actives:
        return Decision(PROPOSITION, echeance, actives[0])
    return Decision(CLOSE, echeance)
