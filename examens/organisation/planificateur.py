"""Planificateur des passages d'une division : un modèle CP-SAT (OR-Tools), sans lecture de la base.

Chaque candidat reçoit un créneau d'un seul tenant (sa durée, aménagements compris) dans une des journées
proposées, hors pause déjeuner, hors de ses indisponibilités (PFMP…), dans une salle permise. Tous les
membres de la commission siègent à chaque passage : les passages de la commission ne se chevauchent donc
jamais, pause entre deux candidats comprise, ni les occupations des membres ailleurs (autres commissions).
Une salle, un lecteur ou un secrétaire désigné ne servent qu'une fois à la fois.

Le temps est compté en minutes absolues (jour × 1440 + minute du jour), de 5 en 5 : le solveur raisonne sur
des entiers. Quand aucun planning n'existe, `Resultat.explication` dit pourquoi en français, d'abord par des
vérifications simples (journées bloquées, créneau trop long, capacité), puis en résolvant sans les
occupations extérieures pour savoir si ce sont elles qui bloquent.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from agora.format import date_fr
from examens.organisation.durees import texte_duree

JOUR = 1440
PAS = 5


def heure(minutes: int) -> str:
    return f"{minutes // 60} h {minutes % 60:02d}"


@dataclass(frozen=True)
class Indisponibilite:
    debut: datetime.date
    fin: datetime.date
    motif: str  # « PFMP »…


@dataclass(frozen=True)
class CandidatAPlacer:
    cle: int
    nom: str
    duree: int  # minutes, aménagements compris
    salle: str = ""  # salle imposée par un aménagement
    accompagnant: str = ""  # lecteur ou secrétaire désigné
    amenage: bool = False
    indisponibilites: tuple[Indisponibilite, ...] = ()


@dataclass(frozen=True)
class Occupation:
    """Une ressource déjà prise : « membre », « salle », « accompagnant » ou « candidat » (avec sa clé)."""

    genre: str
    ressource: str
    jour: datetime.date
    debut: int
    fin: int
    libelle: str = ""


@dataclass
class Demande:
    jours: list[datetime.date]
    debut: int  # minute du jour : 8 h → 480
    fin: int
    candidats: list[CandidatAPlacer]
    salles: list[str]
    dejeuner: tuple[int, int] | None = (12 * 60, 13 * 60 + 30)
    pause: int = 5
    occupations: list[Occupation] = field(default_factory=list)
    limite_secondes: float = 10.0


@dataclass(frozen=True)
class Creneau:
    cle: int
    jour: datetime.date
    debut: int
    duree: int
    salle: str

    @property
    def fin(self) -> int:
        return self.debut + self.duree


@dataclass
class Resultat:
    creneaux: list[Creneau] | None
    explication: str = ""

    @property
    def trouve(self) -> bool:
        return self.creneaux is not None


def _fenetres(demande: Demande) -> list[tuple[int, int]]:
    """Les demi-journées : [(début, fin)] en minutes du jour."""
    if demande.dejeuner and demande.debut < demande.dejeuner[0] and demande.dejeuner[1] < demande.fin:
        return [(demande.debut, demande.dejeuner[0]), (demande.dejeuner[1], demande.fin)]
    return [(demande.debut, demande.fin)]


def _jours_permis(c: CandidatAPlacer, jours: list[datetime.date]) -> list[int]:
    return [i for i, j in enumerate(jours) if not any(x.debut <= j <= x.fin for x in c.indisponibilites)]


def _pas_haut(m: int) -> int:
    return -(-m // PAS) * PAS


def _verifier(demande: Demande) -> str:
    """Les causes d'échec lisibles sans solveur ; « » si rien ne saute aux yeux."""
    if not demande.jours:
        return "Indiquez au moins une journée pour les passages."
    if demande.fin <= demande.debut:
        return f"L'heure de fin ({heure(demande.fin)}) doit suivre l'heure de début ({heure(demande.debut)})."
    if not demande.salles and any(not c.salle for c in demande.candidats):
        return "Indiquez au moins une salle."
    fenetres = _fenetres(demande)
    plus_longue = max(f - d for d, f in fenetres)
    texte_fenetres = " puis ".join(f"{heure(d)}–{heure(f)}" for d, f in fenetres)
    for c in demande.candidats:
        if not _jours_permis(c, demande.jours):
            periodes = ", ".join(f"{x.motif} du {date_fr(x.debut)} au {date_fr(x.fin)}" for x in c.indisponibilites)
            return f"{c.nom} est indisponible toutes les journées proposées ({periodes}) : ajoutez une autre journée."
        if c.duree > plus_longue:
            pourquoi = " avec ses aménagements" if c.amenage else ""
            return (
                f"Le passage de {c.nom} dure {texte_duree(c.duree)}{pourquoi} : il ne tient dans aucune "
                f"demi-journée ({texte_fenetres}). Allongez les horaires ou supprimez la pause déjeuner."
            )
    besoin = sum(c.duree + demande.pause for c in demande.candidats)
    offert = len(demande.jours) * sum(f - d + demande.pause for d, f in fenetres)
    if besoin > offert:
        offrent = "offrent" if len(demande.jours) > 1 else "offre"
        return (
            f"Il faut {texte_duree(besoin)} de passages (pauses comprises) pour {len(demande.candidats)} "
            f"candidats, mais {len(demande.jours)} journée{'s' if len(demande.jours) > 1 else ''} de "
            f"{texte_fenetres} n'en {offrent} que {texte_duree(offert)} : ajoutez une journée, allongez les "
            "horaires ou raccourcissez la pause entre deux candidats."
        )
    return ""


def _fusionner(intervalles: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """[(0, 10), (5, 20), (30, 40)] → [(0, 20), (30, 40)]."""
    fusion: list[list[int]] = []
    for debut, fin in sorted(intervalles):
        if fusion and debut < fusion[-1][1]:
            fusion[-1][1] = max(fusion[-1][1], fin)
        else:
            fusion.append([debut, fin])
    return [(d, f) for d, f in fusion]


def _resoudre(demande: Demande, avec_occupations: bool):
    from ortools.sat.python import cp_model

    modele = cp_model.CpModel()
    fenetres = _fenetres(demande)
    index_jour = {j: i for i, j in enumerate(demande.jours)}
    salles = list(dict.fromkeys([*demande.salles, *(c.salle for c in demande.candidats if c.salle)]))
    commission, par_salle, par_accompagnant, par_candidat = [], {s: [] for s in salles}, {}, {}
    debuts, choix_salles = {}, {}

    def fixe(debut: int, fin: int):
        return modele.new_fixed_size_interval_var(debut, max(fin - debut, 1), "")

    for c in demande.candidats:
        permis = []
        for i in _jours_permis(c, demande.jours):
            for d, f in fenetres:
                if f - d >= c.duree:
                    permis.append([i * JOUR + _pas_haut(d), i * JOUR + f - c.duree])
        domaine = cp_model.Domain.from_intervals(permis)
        # Débuts de 5 en 5 : on compte en pas de 5 minutes puis on multiplie.
        pas = modele.new_int_var_from_domain(
            cp_model.Domain.from_intervals([[-(-a // PAS), b // PAS] for a, b in permis if -(-a // PAS) <= b // PAS]),
            f"pas_{c.cle}",
        )
        debut = modele.new_int_var_from_domain(domaine, f"debut_{c.cle}")
        modele.add(debut == pas * PAS)
        debuts[c.cle] = debut
        commission.append(modele.new_interval_var(debut, c.duree + demande.pause, debut + c.duree + demande.pause, ""))
        seul = modele.new_interval_var(debut, c.duree, debut + c.duree, "")
        par_candidat[c.cle] = [seul]
        if c.accompagnant:
            par_accompagnant.setdefault(c.accompagnant, []).append(seul)
        permises = [c.salle] if c.salle else list(demande.salles)
        choix = {}
        for s in permises:
            b = modele.new_bool_var(f"salle_{c.cle}_{s}")
            choix[s] = b
            par_salle[s].append(modele.new_optional_interval_var(debut, c.duree, debut + c.duree, b, ""))
        modele.add_exactly_one(choix.values())
        choix_salles[c.cle] = choix

    if avec_occupations:
        # Les occupations d'une même ressource sont fusionnées d'abord : deux membres pris à la même heure
        # donnent deux intervalles fixes qui se chevauchent, ce qu'un NoOverlap refuserait à lui seul.
        fixes: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for o in demande.occupations:
            if o.jour not in index_jour:
                continue
            cle = ("commission", "") if o.genre == "membre" else (o.genre, o.ressource)
            i = index_jour[o.jour]
            fixes.setdefault(cle, []).append((i * JOUR + o.debut, i * JOUR + o.fin))
        for (genre, ressource), intervalles in fixes.items():
            groupe = {
                "commission": commission,
                "salle": par_salle.get(ressource),
                "accompagnant": par_accompagnant.get(ressource),
                "candidat": par_candidat.get(int(ressource)) if genre == "candidat" and ressource.isdecimal() else None,
            }.get(genre)
            if groupe is None:
                continue
            for debut, fin in _fusionner(intervalles):
                groupe.append(fixe(debut, fin))
    for groupe in [commission, *par_salle.values(), *par_accompagnant.values(), *par_candidat.values()]:
        if len(groupe) > 1:
            modele.add_no_overlap(groupe)

    # Candidats interchangeables (même durée, mêmes contraintes) : dans l'ordre de la liste (alphabétique).
    groupes = {}
    for c in demande.candidats:
        groupes.setdefault((c.duree, c.salle, c.accompagnant, c.indisponibilites), []).append(c.cle)
    for cles in groupes.values():
        for a, b in zip(cles, cles[1:], strict=False):
            modele.add(debuts[a] < debuts[b])
    # Au plus tôt, et dans la première salle de la liste quand le choix est libre.
    rangs = {s: r for r, s in enumerate(demande.salles)}
    modele.minimize(
        10 * sum(debuts.values())
        + sum(rangs.get(s, 0) * b for choix in choix_salles.values() for s, b in choix.items())
    )

    solveur = cp_model.CpSolver()
    solveur.parameters.max_time_in_seconds = demande.limite_secondes
    solveur.parameters.num_workers = 1  # déterministe, et la machine est partagée
    solveur.parameters.random_seed = 0
    etat = solveur.solve(modele)
    if etat not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, etat == cp_model.INFEASIBLE
    creneaux = []
    for c in demande.candidats:
        t = solveur.value(debuts[c.cle])
        salle = next(s for s, b in choix_salles[c.cle].items() if solveur.value(b))
        creneaux.append(Creneau(c.cle, demande.jours[t // JOUR], t % JOUR, c.duree, salle))
    creneaux.sort(key=lambda x: (x.jour, x.debut, x.salle))
    return creneaux, True


def planifier(demande: Demande) -> Resultat:
    demande.jours = sorted(set(demande.jours))
    if not demande.candidats:
        return Resultat([], "")
    if explication := _verifier(demande):
        return Resultat(None, explication)
    creneaux, prouve = _resoudre(demande, avec_occupations=True)
    if creneaux is not None:
        return Resultat(creneaux)
    if not prouve:
        return Resultat(
            None,
            f"Aucun planning trouvé en {demande.limite_secondes:g} secondes : ajoutez une journée ou une salle, "
            "ou planifiez la division en deux fois.",
        )
    sans, _ = _resoudre(demande, avec_occupations=False)
    if sans is not None:
        occupees = sorted(
            {
                f"{o.libelle or o.ressource} le {date_fr(o.jour)} de {heure(o.debut)} à {heure(o.fin)}"
                for o in demande.occupations
                if o.jour in demande.jours
            }
        )
        return Resultat(
            None,
            "Les membres, les salles ou les candidats sont déjà pris ailleurs sur ces journées ("
            + " ; ".join(occupees[:4])
            + (" ; …" if len(occupees) > 4 else "")
            + ") : il ne reste pas assez de place. Ajoutez une journée ou une salle.",
        )
    return Resultat(
        None,
        "Les passages ne s'emboîtent pas dans les demi-journées proposées (un créneau ne se coupe pas à la pause "
        "déjeuner) : ajoutez une journée, allongez les horaires ou raccourcissez la pause entre deux candidats.",
    )
