"""Résultats toujours vrais : des lignes de la base au moteur pur, et retour, dans la transaction de l'écriture.

Toute écriture qui peut changer un résultat (notes de toute origine, options et statut d'un candidat, choix du
contrôle, points du jury, blocages et mobilité posés par la PFMP) passe par les services d'examens, qui appellent
`recalculer` avec les candidats touchés avant de rendre la main : aucun instant ne voit un résultat enregistré
différent du calcul de ses données. `deliberer` et `verrouiller` refont la session entière ; `differences` compare
sans rien écrire (commande `verifier_resultats`).

Chaque résultat garde l'empreinte SHA-256 des données dont il vient (règlement et sa version, options du candidat,
notes avec état et origine, blocages) : un document émis la recopie et l'émission est refusée si elle ne
correspond plus.
"""

import functools
import hashlib
import json
import multiprocessing
import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from agora.copie import inserer_ou_remplacer
from examens import regles
from examens.models import Blocage, Candidat, Epreuve, ModaliteEpreuve, Note, ReglementExamen, Resultat, Session

# ---------------------------------------------------------------------------------------------------
# Le règlement lu une fois par version (il est immuable : une modification est une nouvelle version)
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UniteReglement:
    code: str
    coefficient: Decimal | None
    professionnelle: bool
    groupe_controle: str | None
    remplacable: bool
    facultative: bool
    epreuve: str


@dataclass(frozen=True)
class Reglement:
    """Ce que le calcul lit du règlement d'une session : unités, règles, et l'identité de la version."""

    pk: int
    code: str
    empreinte: str
    unites: tuple[UniteReglement, ...]
    regles: regles.Regles
    modes: dict[tuple[str, str], str]  # (statut, code d'unité) → mode du règlement (« ccf », « ponctuel_oral »…)

    @property
    def obligatoires(self) -> tuple[UniteReglement, ...]:
        return tuple(u for u in self.unites if not u.facultative)

    def unites_controle(self, groupe: str) -> list[str]:
        return [u.code for u in self.unites if u.groupe_controle == groupe]


@functools.lru_cache(maxsize=16)
def _reglement(pk: int, empreinte: str) -> Reglement:
    # L'empreinte fait partie de la clé : un règlement rechargé sous le même identifiant n'est jamais servi périmé.
    reglement = ReglementExamen.objects.get(pk=pk)
    unites = tuple(
        UniteReglement(
            e.unite.code,
            e.coefficient,
            e.professionnelle,
            e.groupe_controle or None,
            e.remplacable,
            e.facultative,
            e.code,
        )
        for e in Epreuve.objects.filter(reglement_id=pk, unite__isnull=False).select_related("unite").order_by("ordre")
    )
    modes = {
        (statut, m.epreuve.unite.code): m.mode
        for m in ModaliteEpreuve.objects.filter(epreuve__reglement_id=pk, epreuve__unite__isnull=False).select_related(
            "epreuve__unite", "categorie"
        )
        for statut in m.categorie.statuts
    }
    return Reglement(
        pk, reglement.code, reglement.empreinte, unites, regles.Regles.depuis_dict(reglement.regles), modes
    )


def reglement_de(reglement: ReglementExamen) -> Reglement:
    return _reglement(reglement.pk, reglement.empreinte)


def unites_de_saisie(
    candidat: Candidat, reglement: Reglement, non_valides: Iterable[str] = ()
) -> dict[str, regles.UniteSaisie]:
    """Code d'unité → ce qu'il faut pour juger une saisie (regles.valider_saisie), pour ce candidat.

    `non_valides` : les unités dont la note enregistrée (premier groupe) est déjà « NV ».
    """
    choix = {"UF1": candidat.facultative1, "UF2": candidat.facultative2}
    controle = {candidat.controle_scientifique, candidat.controle_francais_hg} - {""}
    non_valides = set(non_valides)
    dispensables = regles.unites_dispensables(candidat.titre_dispense, candidat.statut)
    return {
        u.code: regles.UniteSaisie(
            code=u.code,
            facultative=u.facultative,
            choisie=bool(choix.get(u.code)) if u.facultative else True,
            groupe_controle=u.groupe_controle,
            choisie_controle=u.code in controle,
            forme_progressive=candidat.forme == Candidat.Forme.PROGRESSIVE,
            non_valide_possible=u.epreuve in regles.EPREUVES_NON_VALIDE
            and reglement.modes.get((candidat.statut, u.code), "").startswith("ponctuel"),
            non_valide_prononce=u.code in non_valides,
            dispensable=u.code in dispensables,
        )
        for u in reglement.unites
    }


# ---------------------------------------------------------------------------------------------------
# Des lignes au dossier du moteur, et l'empreinte des données
# ---------------------------------------------------------------------------------------------------

CHAMPS_NOTE = ("candidat_id", "unite", "groupe", "etat", "valeur", "origine", "session_origine")
CHAMPS_CANDIDAT = (
    "pk",
    "numero",
    "session_id",
    "statut",
    "forme",
    "facultative1",
    "facultative2",
    "chef_oeuvre",
    "points_jury",
    "mobilite_eligible",
    "controle_scientifique",
    "controle_francais_hg",
    "titre_dispense",
)


@dataclass(frozen=True, slots=True)
class NoteLue:
    """Une note lue pour le calcul : un tuple plutôt qu'une instance de modèle (25 000 candidats)."""

    candidat_id: int
    unite: str
    groupe: int
    etat: str
    valeur: Decimal | None
    origine: str
    session_origine: int | None


def construire_dossier(candidat, unites: Iterable[UniteReglement], notes: list[NoteLue], blocages: list[str]):
    """Traduit les lignes de la base en un dossier du moteur pur (aucune requête ici)."""
    par_cle = {(n.unite, n.groupe): n for n in notes}
    lignes = []
    for u in unites:
        if u.facultative:
            continue
        note = par_cle.get((u.code, 1))
        controle = par_cle.get((u.code, 2))
        etat = regles.Etat(note.etat) if note else regles.Etat.MANQUANTE
        origine = ""
        if note and note.origine in (Note.Origine.CONSERVEE_AGORA, Note.Origine.CONSERVEE_GA):
            diplome = "GA" if note.origine == Note.Origine.CONSERVEE_GA else "AGOrA"
            origine = f"conservée {diplome} {note.session_origine}"
        lignes.append(
            regles.NoteUnite(
                unite=u.code,
                coefficient=u.coefficient,
                etat=etat,
                note=note.valeur if note else None,
                professionnelle=u.professionnelle,
                groupe_controle=u.groupe_controle,
                remplacable=u.remplacable,
                origine=origine,
                note_controle=controle.valeur
                if controle and controle.etat == Note.Etat.NOTE and u.groupe_controle
                else None,
            )
        )
    facultatives, remarques = [], []
    for code, choix in (("UF1", candidat.facultative1), ("UF2", candidat.facultative2)):
        if choix == "MOBILITE" and (
            motif := regles.mobilite_non_recevable(candidat.statut, candidat.mobilite_eligible)
        ):
            remarques.append(f"{code} mobilité non recevable : {motif} ; la note ne compte pas")
            continue
        if choix:
            n = par_cle.get((code, 1))
            facultatives.append(
                regles.NoteFacultative(
                    code, regles.Etat(n.etat) if n else regles.Etat.MANQUANTE, n.valeur if n else None
                )
            )
    return regles.Dossier(
        unites=tuple(lignes),
        facultatives=tuple(facultatives),
        chef_oeuvre=candidat.chef_oeuvre,
        points_jury=candidat.points_jury,
        blocages=tuple(blocages),
        remarques=tuple(remarques),
    )


def empreinte(reglement: Reglement, candidat, notes: list[NoteLue], blocages: list[str]) -> str:
    """SHA-256 de tout ce dont dépend le résultat : même données → même empreinte, dans n'importe quel ordre."""
    parties = [
        f"R {reglement.code} {reglement.empreinte}",
        "C " + "|".join(str(getattr(candidat, c)) for c in CHAMPS_CANDIDAT[3:]),
        *sorted(f"N {n.unite} {n.groupe} {n.etat} {n.valeur} {n.origine} {n.session_origine}" for n in notes),
        *sorted(f"B {b}" for b in blocages),
    ]
    return hashlib.sha256("\n".join(parties).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Calcule:
    """Un résultat du moteur avec son empreinte, prêt à comparer ou à écrire."""

    candidat: object
    resultat: regles.Resultat
    empreinte: str

    def ligne(self) -> tuple:
        """Les colonnes comparées et écrites (sans la date), dans l'ordre de COLONNES."""
        r = self.resultat
        return (
            r.decision.value,
            r.mention.value if r.mention else "",
            r.points,
            _tronquee(r.moyenne),
            f"{r.moyenne.numerator}/{r.moyenne.denominator}" if r.moyenne is not None else "",
            _tronquee(r.moyenne_professionnelle),
            r.points_jury,
            r.controle_passe,
            list(r.trace),
            self.empreinte,
            list(r.remarques),
        )


COLONNES = (
    "decision",
    "mention",
    "points",
    "moyenne",
    "moyenne_exacte",
    "moyenne_professionnelle",
    "points_jury",
    "controle_passe",
    "trace",
    "empreinte",
    "remarques",
)


def _tronquee(valeur) -> Decimal | None:
    return None if valeur is None else regles.tronquer(valeur)


def _resultat_incoherent(erreur: Exception) -> regles.Resultat:
    return regles.Resultat(
        decision=regles.Decision.INCOMPLET,
        mention=None,
        points=None,
        total_coefficients=None,
        moyenne=None,
        moyenne_professionnelle=None,
        controle_passe=False,
        trace=(f"Dossier incohérent : {erreur}",),
    )


def calculer_un(
    reglement: Reglement, candidat, notes: list[NoteLue], blocages: list[str], avec_trace: bool = True
) -> Calcule:
    try:
        dossier = construire_dossier(candidat, reglement.unites, notes, blocages)
        resultat = regles.calculer(dossier, reglement.regles, avec_trace=avec_trace)
    except ValueError as e:  # donnée incohérente (ex. deux unités de contrôle du même groupe)
        resultat = _resultat_incoherent(e)
    return Calcule(candidat, resultat, empreinte(reglement, candidat, notes, blocages))


# ---------------------------------------------------------------------------------------------------
# Calcul d'un ensemble de candidats : 3 requêtes quel que soit leur nombre
# ---------------------------------------------------------------------------------------------------


def _parcourir(qs, nombre: int):
    """Un curseur serveur pour une session entière, une lecture simple pour quelques candidats : le curseur
    (DECLARE … WITH HOLD, puis FETCH) coûte trois allers-retours de plus, l'essentiel d'un recalcul après une saisie."""
    return qs.iterator(chunk_size=20000) if nombre > 1000 else qs


def _lire(candidats: list, session: Session | None = None) -> tuple[dict, dict]:
    """Notes et blocages des candidats. Pour toute une session (`session`), une sous-requête sur la session plutôt
    que 25 000 identifiants en paramètres, et un curseur psycopg brut plutôt que l'ORM : la lecture des 300 000
    notes d'une session nationale passe ainsi au plus près de son plancher."""
    notes: dict[int, list[NoteLue]] = defaultdict(list)
    blocages: dict[int, list[str]] = defaultdict(list)
    if session is None:
        ids = [c.pk for c in candidats]
        for ligne in _parcourir(Note.objects.filter(candidat_id__in=ids).values_list(*CHAMPS_NOTE), len(ids)):
            notes[ligne[0]].append(NoteLue(*ligne))
        for candidat_id, motif in Blocage.objects.filter(candidat_id__in=ids).values_list("candidat_id", "motif"):
            blocages[candidat_id].append(motif)
        return notes, blocages
    de_la_session = "candidat_id IN (SELECT id FROM examens_candidat WHERE session_id = %s)"
    with connection.cursor() as curseur:
        curseur.execute(f"SELECT {', '.join(CHAMPS_NOTE)} FROM examens_note WHERE {de_la_session}", [session.pk])
        for ligne in curseur.fetchall():
            notes[ligne[0]].append(NoteLue(*ligne))
        curseur.execute(f"SELECT candidat_id, motif FROM examens_blocage WHERE {de_la_session}", [session.pk])
        for candidat_id, motif in curseur.fetchall():
            blocages[candidat_id].append(motif)
    return notes, blocages


def calculer(session: Session, candidats=None) -> list[Calcule]:
    """Calcule (sans rien écrire) le résultat de chaque candidat de la session, ou de `candidats` (queryset)."""
    reglement = reglement_de(session.reglement)
    qs = candidats if candidats is not None else Candidat.objects.filter(session=session)
    liste = list(qs.order_by("numero").only(*CHAMPS_CANDIDAT))
    notes, blocages = _lire(liste, session if candidats is None else None)
    parties = _repartir((reglement, liste, notes, blocages), len(liste), _calculer_tranche)
    resultats = [r for partie in parties for r in partie]
    # Les processus fils renvoient des copies : on rattache chaque résultat à l'objet candidat du parent.
    return [Calcule(c, r.resultat, r.empreinte) for c, r in zip(liste, resultats, strict=True)]


SEUIL_PARALLELE = 4000
_TRAVAIL = None  # (travail, fonction) hérités par les processus fils créés par fork


def _repartir(travail, nombre: int, fonction) -> list:
    """`fonction(travail, debut, fin)` sur des tranches de `nombre` candidats, un processus par cœur au-delà de
    SEUIL_PARALLELE. Le calcul (Python pur) occupe un cœur : les processus fils, créés par fork, héritent des données
    déjà lues et ne touchent pas à la base ; seul ce que renvoie `fonction` revient."""
    if nombre < SEUIL_PARALLELE or (os.cpu_count() or 1) < 2:
        return [fonction(travail, 0, nombre)]
    global _TRAVAIL
    _TRAVAIL = (travail, fonction)
    try:
        processus = os.cpu_count() or 2
        taille = -(-nombre // processus)
        tranches = [(i, min(i + taille, nombre)) for i in range(0, nombre, taille)]
        with multiprocessing.get_context("fork").Pool(processus) as pool:
            return pool.starmap(_tranche_heritee, tranches)
    finally:
        _TRAVAIL = None


def _tranche_heritee(debut: int, fin: int):
    travail, fonction = _TRAVAIL
    partie = fonction(travail, debut, fin)
    if fonction is _calculer_tranche:  # les candidats restent au parent : on ne renvoie que les résultats
        return [Calcule(None, c.resultat, c.empreinte) for c in partie]
    return partie


def _calculer_tranche(travail, debut: int, fin: int) -> list[Calcule]:
    reglement, candidats, notes, blocages = travail
    return [calculer_un(reglement, c, notes[c.pk], blocages[c.pk]) for c in candidats[debut:fin]]


# ---------------------------------------------------------------------------------------------------
# Comparer à ce qui est enregistré, écrire ce qui change
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """Un résultat enregistré qui ne correspond pas au calcul de ses données."""

    numero: str
    champ: str
    enregistre: str
    calcule: str

    def __str__(self) -> str:
        return f"{self.numero} : {self.champ} {self.enregistre or '∅'} → {self.calcule or '∅'}"


_LIBELLES_CHAMPS = {"decision": "décision", "mention": "mention", "moyenne_exacte": "moyenne exacte"}


# Colonnes comparées : tout le résultat sauf la trace, qui se déduit des mêmes données (empreinte) et que l'on
# réécrit avec le reste ; la relire et la décoder pour 25 000 candidats coûtait plus que le calcul lui-même.
COMPAREES = tuple(c for c in COLONNES if c != "trace")
_INDICES_COMPARES = tuple(COLONNES.index(c) for c in COMPAREES)


def _enregistres(ids: list[int], session: Session | None = None) -> dict[int, tuple]:
    """Les colonnes comparées des résultats enregistrés ; pour toute une session, filtrées par la session."""
    if session is not None:
        qs = Resultat.objects.filter(candidat__session=session).values_list("candidat_id", *COMPAREES)
        return {ligne[0]: ligne[1:] for ligne in qs.iterator(chunk_size=20000)}
    qs = Resultat.objects.filter(candidat_id__in=ids).values_list("candidat_id", *COMPAREES)
    return {ligne[0]: ligne[1:] for ligne in _parcourir(qs, len(ids))}


def comparer(calcules: list[Calcule], enregistres: dict | None = None) -> tuple[list[Calcule], list[Difference]]:
    """(résultats à écrire, différences lisibles) : un résultat absent ou dont une colonne diffère est à écrire.

    Les différences listent ce qu'un jury doit voir : décision, mention, moyenne (les autres colonnes — trace,
    empreinte — changent aussi quand une donnée change sans changer la décision).
    """
    if enregistres is None:
        enregistres = _enregistres([c.candidat.pk for c in calcules])
    a_ecrire, differences = [], []
    for c in calcules:
        avant = enregistres.get(c.candidat.pk)
        ligne = c.ligne()
        apres = tuple(ligne[i] for i in _INDICES_COMPARES)
        if avant is not None and tuple(avant) == apres:
            continue
        a_ecrire.append(c)
        if avant is None:
            differences.append(Difference(c.candidat.numero, "résultat", "", c.resultat.decision.libelle))
            continue
        for i, champ in enumerate(COMPAREES):
            if champ in _LIBELLES_CHAMPS and avant[i] != apres[i]:
                differences.append(
                    Difference(
                        c.candidat.numero, _LIBELLES_CHAMPS[champ], _texte(champ, avant[i]), _texte(champ, apres[i])
                    )
                )
    return a_ecrire, differences


def _texte(champ: str, valeur) -> str:
    if champ == "decision" and valeur:
        return regles.Decision(valeur).libelle
    if champ == "mention" and valeur:
        return regles.Mention(valeur).libelle
    if champ == "moyenne_exacte" and valeur:
        num, den = (int(x) for x in valeur.split("/"))
        return regles.format_fr(regles.Fraction(num, den))
    return str(valeur or "")


def ecrire(calcules: list[Calcule]) -> None:
    """Écrit (création ou remplacement) les résultats donnés, avec la date du calcul."""
    maintenant = timezone.now()
    lignes = []
    for c in calcules:
        ligne = list(c.ligne())
        for colonne in ("trace", "remarques"):
            ligne[COLONNES.index(colonne)] = json.dumps(ligne[COLONNES.index(colonne)], ensure_ascii=False)
        lignes.append((c.candidat.pk, *ligne, maintenant))
    inserer_ou_remplacer(
        "examens_resultat",
        ("candidat_id", *COLONNES, "calcule_le"),
        lignes,
        conflit="(candidat_id)",
        remplacer=(*COLONNES, "calcule_le"),
    )


# ---------------------------------------------------------------------------------------------------
# Les trois usages : après une écriture, toute la session, vérifier sans écrire
# ---------------------------------------------------------------------------------------------------


def recalculer(candidats: Iterable[int | Candidat]) -> int:
    """Recalcule et écrit les résultats des candidats touchés par une écriture ; renvoie le nombre de changés.

    À appeler dans la transaction de l'écriture, après elle : 5 requêtes quel que soit le nombre de candidats
    (candidats, notes, blocages, résultats enregistrés, écriture).
    """
    ids = sorted({c if isinstance(c, int) else c.pk for c in candidats})
    if not ids:
        return 0
    par_reglement: dict[int, list] = defaultdict(list)
    reglements = {}
    for c in (
        Candidat.objects.filter(pk__in=ids)
        .select_related("session__reglement")
        .only(*CHAMPS_CANDIDAT, "session__reglement__empreinte", "session__reglement__code")
    ):
        par_reglement[c.session.reglement_id].append(c)
        reglements[c.session.reglement_id] = c.session.reglement
    changes = 0
    for reglement_id, liste in par_reglement.items():
        reglement = reglement_de(reglements[reglement_id])
        notes, blocages = _lire(liste)
        calcules = [calculer_un(reglement, c, notes[c.pk], blocages[c.pk], avec_trace=False) for c in liste]
        a_ecrire, _ = comparer(calcules)
        ecrire([calculer_un(reglement, c.candidat, notes[c.candidat.pk], blocages[c.candidat.pk]) for c in a_ecrire])
        changes += len(a_ecrire)
    return changes


@dataclass
class Verification:
    """Le recalcul d'une session comparé à ce qui est enregistré, sans rien écrire."""

    a_ecrire: list[Calcule]
    differences: list[Difference]
    total: int
    par_decision: dict[str, int]


def verifier(session: Session, candidats=None) -> Verification:
    """Recalcule la session (ou `candidats`) et la compare aux résultats enregistrés : 4 requêtes.

    Réparti entre un processus par cœur comme `calculer`, mais chaque processus compare lui-même ses candidats
    aux résultats enregistrés (lus avant le fork) et ne renvoie que ceux qui changent : à l'état normal (aucun
    écart), presque rien ne repasse d'un processus à l'autre, là où 25 000 résultats et leurs traces repassaient.
    """
    reglement = reglement_de(session.reglement)
    qs = candidats if candidats is not None else Candidat.objects.filter(session=session)
    liste = list(qs.order_by("numero").only(*CHAMPS_CANDIDAT))
    notes, blocages = _lire(liste, session if candidats is None else None)
    enregistres = _enregistres([c.pk for c in liste], session if candidats is None else None)
    parties = _repartir((reglement, liste, notes, blocages, enregistres), len(liste), _verifier_tranche)
    a_ecrire, differences, par_decision = [], [], defaultdict(int)
    for changes, ecarts, decisions in parties:
        a_ecrire += [Calcule(liste[i], resultat, empreinte) for i, resultat, empreinte in changes]
        differences += ecarts
        for decision, n in decisions.items():
            par_decision[decision] += n
    return Verification(a_ecrire, differences, len(liste), dict(par_decision))


def _verifier_tranche(travail, debut: int, fin: int):
    reglement, candidats, notes, blocages, enregistres = travail
    # Sans trace pour comparer ; la trace n'est refaite que pour les résultats qui changent (ils seront écrits).
    calcules = [calculer_un(reglement, c, notes[c.pk], blocages[c.pk], avec_trace=False) for c in candidats[debut:fin]]
    a_ecrire, differences = comparer(calcules, enregistres)
    a_ecrire = [calculer_un(reglement, c.candidat, notes[c.candidat.pk], blocages[c.candidat.pk]) for c in a_ecrire]
    rang = {c.pk: debut + i for i, c in enumerate(candidats[debut:fin])}
    decisions: dict[str, int] = defaultdict(int)
    for c in calcules:
        decisions[c.resultat.decision.value] += 1
    return [(rang[c.candidat.pk], c.resultat, c.empreinte) for c in a_ecrire], differences, dict(decisions)


def differences(session: Session, candidats=None) -> tuple[list[Calcule], list[Difference]]:
    """Recalcule la session (ou `candidats`) sans rien écrire : (résultats à réécrire, différences lisibles)."""
    v = verifier(session, candidats)
    return v.a_ecrire, v.differences


def recalculer_session(session: Session) -> int:
    """Toute la session en un nombre constant de requêtes (données écrites en masse : démo, génération)."""
    a_ecrire, _ = differences(session)
    ecrire(a_ecrire)
    return len(a_ecrire)


def dossiers(
    session: Session, candidats
) -> tuple[Reglement, list[tuple[Candidat, regles.Dossier | None, regles.Resultat]]]:
    """(candidat, dossier du moteur, résultat sans trace) pour chaque candidat du queryset, dans l'ordre des numéros.

    Pour les pages qui expliquent un résultat (salle du jury, simulateur) : le résultat enregistré ne garde pas le
    dossier (absences, blocages) dont viennent ses raisons. Trois requêtes quel que soit le nombre de candidats
    (candidats, notes, blocages), plus le règlement lu une fois par version. `candidats` peut porter ses propres
    select_related : la page y lit l'établissement et la division.
    """
    reglement = reglement_de(session.reglement)
    liste = list(candidats.order_by("numero"))
    notes, blocages = _lire(liste)
    sortie = []
    for c in liste:
        try:
            dossier = construire_dossier(c, reglement.unites, notes[c.pk], blocages[c.pk])
            resultat = regles.calculer(dossier, reglement.regles, avec_trace=False)
        except ValueError as e:  # donnée incohérente : le résultat le dit, comme `calculer_un`
            dossier, resultat = None, _resultat_incoherent(e)
        sortie.append((c, dossier, resultat))
    return reglement, sortie
