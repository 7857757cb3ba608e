"""Frise chronologique des périodes d'un candidat, dessinée en SVG côté serveur.

Positions en attributs SVG (x, width) et couleurs en classes CSS : rien d'inline, la CSP reste stricte.
"""

import datetime
from dataclasses import dataclass

from agora.format import nombre
from pfmp import regles_pfmp

LARGEUR = 1000
MARGE = 10
MOIS = "SONDJFMAMJJA"  # de septembre à août


@dataclass
class Barre:
    x: float
    largeur: float
    classe: str
    titre: str
    etiquette: str
    url: str = ""


@dataclass
class Repere:
    x: float
    largeur: float = 0
    texte: str = ""
    pair: bool = False


def _rentree(annee: int) -> datetime.date:
    return datetime.date(annee, 9, 1)


def construire(*, session: int, duree_cycle: int, periodes: list, aujourd_hui: datetime.date) -> dict:
    """Années du cycle en bandes, mois en repères, une barre par période, l'examen et aujourd'hui en traits."""
    debut = _rentree(session - duree_cycle)
    fin = datetime.date(session, 7, 1)
    if periodes:
        premier = min(p.date_debut for p in periodes)
        while premier < debut:
            debut = _rentree(debut.year - 1)
        fin = max(fin, max(p.date_fin for p in periodes) + datetime.timedelta(days=1))
    total = (fin - debut).days
    utile = LARGEUR - 2 * MARGE

    def x(jour: datetime.date) -> float:
        jour = min(max(jour, debut), fin)
        return round(MARGE + utile * (jour - debut).days / total, 1)

    annees = []
    rentree = debut
    rang = 1 - (debut.year - (session - duree_cycle))
    while rentree < fin:
        suivante = _rentree(rentree.year + 1)
        dans_le_cycle = 1 <= rang <= duree_cycle
        texte = f"{rang}{'re' if rang == 1 else 'e'} année " if dans_le_cycle else ""
        annees.append(
            Repere(
                x(rentree),
                x(suivante) - x(rentree),
                f"{texte}{rentree.year}-{rentree.year + 1}",
                pair=rang % 2 == 0,
            )
        )
        rentree, rang = suivante, rang + 1
    mois = []
    jour = debut
    while jour < fin:
        mois.append(Repere(x(jour), texte=MOIS[(jour.month - 9) % 12]))
        jour = datetime.date(jour.year + (jour.month == 12), jour.month % 12 + 1, 1)
    barres = []
    for p in periodes:
        a = p.attestation
        if a is not None and a.signee:
            classe, etat = "frise-attestee", f"attestée : {nombre(a.semaines)} semaines"
        elif a is not None:
            classe, etat = "frise-non-signee", "attestation non signée"
        elif p.date_fin < aujourd_hui:
            classe, etat = "frise-manquante", "terminée, sans attestation"
        else:
            classe, etat = "frise-prevue", f"prévue : {nombre(p.semaines)} semaines"
        debut_barre, fin_barre = x(p.date_debut), x(p.date_fin + datetime.timedelta(days=1))
        barres.append(
            Barre(
                debut_barre,
                max(fin_barre - debut_barre, 4),
                classe + (" frise-etranger" if p.a_l_etranger else ""),
                f"{p.convention.organisation.nom} ({p.nom_pays}), du {p.date_debut:%d/%m/%Y} "
                f"au {p.date_fin:%d/%m/%Y} : {etat}",
                f"{nombre(a.semaines if a else p.semaines)} s." + (f" {p.pays}" if p.a_l_etranger else ""),
            )
        )
    examen = regles_pfmp.date_examen(session)
    return {
        "largeur": LARGEUR,
        "annees": annees,
        "mois": mois,
        "barres": barres,
        "examen": x(examen),
        "aujourd_hui": x(aujourd_hui) if debut <= aujourd_hui <= fin else None,
    }
