"""Résultats toujours vrais : des lignes de la base au moteur pur, et retour, dans la transaction de l'écriture.

Toute écriture qui peut changer un résultat (notes de toute origine, options et statut d'un candidat, choix du
contrôle, points du jury, blocages et mobilité posés par la PFMP) passe par les services d'examens, qui appellent
`recalculer` avec les candidats touchés avant de rendre la main : aucun instant ne voit un résultat enregistré
différent du calcul de ses données. `deliberer` et `verrouiller` refont la session entière ; `differences` compare
sans rien écrire (commande `verifier_resultats`).

Chaque résultat garde l'empreinte SHA-256 des données dont il vient (règlement et sa version, options du candidat,
notes avec état et origine, blocages) : un document émis la recopie et l'émission est refusée si elle ne
correspond plus.

Longueur : le recalcul d'un candidat, la passe d'une session (une requête, des processus fils) et leur
vérification partagent la même lecture des données ; les séparer dupliquerait cette lecture.
"""

import functools
import hashlib
import json
import math
import multiprocessing
import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

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
    bareme: regles.Bareme | None = None  # les mêmes règles en entiers, pour la passe d'une session (regles.decider)

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
    lues = regles.Regles.depuis_dict(reglement.regles)
    obligatoires = [(u.code, u.coefficient, u.professionnelle, u.groupe_controle, u.remplacable) for u in unites]
    bareme = regles.bareme([o for o, u in zip(obligatoires, unites, strict=True) if not u.facultative], lues)
    return Reglement(pk, reglement.code, reglement.empreinte, unites, lues, modes, bareme)


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


def facultatives_comptees(facultative1: str, facultative2: str, statut: str, mobilite_eligible) -> tuple[list, list]:
    """(codes des unités facultatives choisies qui comptent, remarques sur celles qui ne comptent pas)."""
    codes, remarques = [], []
    for code, choix in (("UF1", facultative1), ("UF2", facultative2)):
        if choix == "MOBILITE" and (motif := regles.mobilite_non_recevable(statut, mobilite_eligible)):
            remarques.append(f"{code} mobilité non recevable : {motif} ; la note ne compte pas")
        elif choix:
            codes.append(code)
    return codes, remarques


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
    facultatives = []
    codes, remarques = facultatives_comptees(
        candidat.facultative1, candidat.facultative2, candidat.statut, candidat.mobilite_eligible
    )
    for code in codes:
        n = par_cle.get((code, 1))
        facultatives.append(
            regles.NoteFacultative(code, regles.Etat(n.etat) if n else regles.Etat.MANQUANTE, n.valeur if n else None)
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
        differences += _ecarts(c.candidat.numero, avant, apres)
    return a_ecrire, differences


def _ecarts(numero: str, avant: tuple | None, apres: tuple) -> list[Difference]:
    """Ce qu'un jury doit voir entre le résultat enregistré et le calcul (colonnes COMPAREES)."""
    if avant is None:
        return [Difference(numero, "résultat", "", regles.Decision(apres[0]).libelle)]
    return [
        Difference(numero, _LIBELLES_CHAMPS[champ], _texte(champ, avant[i]), _texte(champ, apres[i]))
        for i, champ in enumerate(COMPAREES)
        if champ in _LIBELLES_CHAMPS and avant[i] != apres[i]
    ]


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

    À appeler dans la transaction de l'écriture, après elle : une requête lit tout (candidats, règlement, notes,
    blocages, résultats enregistrés : `_lire_lignes`), une seconde écrit ce qui change. Chaque candidat est tranché en
    entiers ; un résultat qui change est refait par le chemin exact, avec sa trace, pour être écrit.
    """
    ids = sorted({c if isinstance(c, int) else c.pk for c in candidats})
    if not ids:
        return 0
    a_ecrire = []
    for ligne in _lire_lignes(ids=ids):
        candidat, bloc, blocages = ligne[:_N], ligne[_N + 3] or "", ligne[_N + 4] or []
        reglement = _reglement(ligne[_N], ligne[_N + 2])
        if _enregistre(ligne) != _comparees(reglement, candidat, bloc, blocages):
            a_ecrire.append(calculer_brut(reglement, candidat, bloc, blocages))
    if a_ecrire:
        ecrire(a_ecrire)
    return len(a_ecrire)


@dataclass
class Verification:
    """Le recalcul d'une session comparé à ce qui est enregistré, sans rien écrire."""

    a_ecrire: list[Calcule]
    differences: list[Difference]
    total: int
    par_decision: dict[str, int]


def verifier(session: Session, candidats=None) -> Verification:
    """Recalcule la session (ou `candidats`) et la compare aux résultats enregistrés : 2 requêtes (3 si des résultats
    changent : leurs candidats relus en objets, dans l'ordre des numéros).

    Une requête lit, par candidat, ses champs, ses notes (en un bloc de lignes, celles de l'empreinte), ses
    blocages et son résultat enregistré : 25 000 lignes plutôt que 300 000 notes. Chaque candidat est tranché en
    entiers (regles.decider), sans dossier ni trace ; un dossier que `decider` ne sait pas trancher (incohérent)
    passe par `regles.calculer`, comme chaque résultat qui change, refait avec sa trace pour être écrit. Réparti
    entre un processus par cœur : chacun compare lui-même ses candidats et ne renvoie que ceux qui changent.
    """
    reglement = reglement_de(session.reglement)
    if candidats is None:
        lignes = _lire_lignes(session=session)
    else:
        lignes = _lire_lignes(ids=list(candidats.values_list("pk", flat=True)))
    parties = _repartir((reglement, lignes), len(lignes), _verifier_tranche)
    changes, differences, par_decision = [], [], defaultdict(int)
    for partie, ecarts, decisions in parties:
        changes += partie
        differences += ecarts
        for decision, n in decisions.items():
            par_decision[decision] += n
    # Les lignes arrivent dans l'ordre de la base ; ce qui change se relit en objets, dans l'ordre des numéros (celui
    # des pages et du jeton de confirmation), sans trier 25 000 lignes larges.
    objets = list(
        Candidat.objects.filter(pk__in=[pk for pk, _, _ in changes]).order_by("numero").only(*CHAMPS_CANDIDAT)
        if changes
        else ()
    )
    rang = {c.pk: i for i, c in enumerate(objets)}
    par_pk = {pk: (resultat, empreinte) for pk, resultat, empreinte in changes}
    a_ecrire = [Calcule(c, *par_pk[c.pk]) for c in objets]
    differences.sort(key=lambda d: rang[d[0]])
    return Verification(a_ecrire, [d for _, d in differences], len(lignes), dict(par_decision))


# Une note en ligne d'empreinte (« N U31 1 note 14.000 session None »), écrite par PostgreSQL comme `empreinte`
# l'écrit en Python : la valeur numeric(5, 3) en texte est celle de str() sur son Decimal. Les lignes d'un candidat
# arrivent jointes dans un ordre quelconque ; `_lignes_triees` les trie comme `empreinte` (sorted sur des chaînes).
_LIGNE_NOTE = (
    "'N ' || n.unite || ' ' || n.groupe || ' ' || n.etat || ' ' || COALESCE(n.valeur::text, 'None') || ' ' || "
    "n.origine || ' ' || COALESCE(n.session_origine::text, 'None')"
)
_LECTURE = f"""
SELECT {", ".join("c.id" if champ == "pk" else f"c.{champ}" for champ in CHAMPS_CANDIDAT)},
       s.reglement_id, g.code, g.empreinte, n.bloc, b.motifs,
       r.candidat_id, {", ".join(f"r.{champ}" for champ in COMPAREES)}
FROM examens_candidat c
JOIN examens_session s ON s.id = c.session_id
JOIN examens_reglementexamen g ON g.id = s.reglement_id
LEFT JOIN (SELECT n.candidat_id, string_agg({_LIGNE_NOTE}, E'\\n') AS bloc
           FROM examens_note n WHERE n.candidat_id {{candidats}} GROUP BY n.candidat_id) n ON n.candidat_id = c.id
LEFT JOIN (SELECT candidat_id, array_agg(motif) AS motifs
           FROM examens_blocage WHERE candidat_id {{candidats}} GROUP BY candidat_id) b ON b.candidat_id = c.id
LEFT JOIN examens_resultat r ON r.candidat_id = c.id
WHERE c.id {{candidats}}
"""
_DE_LA_SESSION = _LECTURE.format(candidats="IN (SELECT id FROM examens_candidat WHERE session_id = %(session)s)")
_PARMI = _LECTURE.format(candidats="= ANY(%(ids)s)")
_N = len(CHAMPS_CANDIDAT)


def _lire_lignes(*, session: Session | None = None, ids: list[int] | None = None) -> list[tuple]:
    """Par candidat (dans l'ordre de la base) : CHAMPS_CANDIDAT, règlement (id, code, empreinte), bloc des notes (lignes
    d'empreinte triées, None sans note), blocages (None sans blocage), puis candidat_id et COMPAREES du résultat
    enregistré (None sans résultat)."""
    with connection.cursor() as curseur:
        if session is not None:
            curseur.execute(_DE_LA_SESSION, {"session": session.pk})
        else:
            curseur.execute(_PARMI, {"ids": ids})
        return curseur.fetchall()


def _enregistre(ligne: tuple) -> tuple | None:
    """Les COMPAREES enregistrées d'une ligne de `_lire_lignes`, None si le candidat n'a pas de résultat."""
    if ligne[_N + 5] is None:
        return None
    avant = ligne[_N + 6 :]
    if isinstance(avant[-1], str):  # remarques : jsonb lu en texte
        avant = (*avant[:-1], [] if avant[-1] == "[]" else json.loads(avant[-1]))
    return avant


def bloc_notes(notes: Iterable[tuple]) -> str:
    """Le bloc de `_lire_lignes` en Python, depuis des lignes dans l'ordre de CHAMPS_NOTE (valeur en texte)."""
    return "\n".join(f"N {n[1]} {n[2]} {n[3]} {n[4]} {n[5]} {n[6]}" for n in notes)


def _lignes_triees(bloc: str) -> list[str]:
    """Les lignes d'empreinte d'un bloc de notes, dans l'ordre de `empreinte`."""
    return sorted(bloc.split("\n")) if bloc else []


def _notes_du_bloc(pk: int, bloc: str) -> list[tuple]:
    """Les notes d'un bloc, en lignes dans l'ordre de CHAMPS_NOTE (valeur en texte), pour le chemin exact."""
    notes = []
    for ligne in _lignes_triees(bloc):
        _, unite, groupe, etat, valeur, origine, session_origine = ligne.split(" ")
        notes.append(
            (
                pk,
                unite,
                int(groupe),
                etat,
                None if valeur == "None" else valeur,
                origine,
                None if session_origine == "None" else int(session_origine),
            )
        )
    return notes


_MILLIEMES: dict[str, int | None] = {}  # texte d'une note → millièmes (au plus 20 001 valeurs distinctes)
_CONSERVEES = frozenset({Note.Origine.CONSERVEE_AGORA.value, Note.Origine.CONSERVEE_GA.value})


def _milliemes(texte: str) -> int | None:
    try:
        return _MILLIEMES[texte]
    except KeyError:
        valeur = _MILLIEMES[texte] = regles.en_entier(Decimal(texte), regles.ECHELLE_NOTE)
        return valeur


class _HorsEchelle(Exception):
    pass


def _entier(valeur: Decimal | None, echelle: int) -> int | None:
    if valeur is None:
        return None
    entier = regles.en_entier(valeur, echelle)
    if entier is None:
        raise _HorsEchelle
    return entier


def empreinte_brute(reglement: Reglement, candidat: tuple, lignes: list[str], blocages: list[str]) -> str:
    """`empreinte` sur une ligne brute : candidat dans l'ordre de CHAMPS_CANDIDAT, notes en lignes triées."""
    parties = [
        f"R {reglement.code} {reglement.empreinte}",
        "C " + "|".join(map(str, candidat[3:])),
        *lignes,
        *sorted(f"B {b}" for b in blocages),
    ]
    return hashlib.sha256("\n".join(parties).encode()).hexdigest()


def comparees_rapides(reglement: Reglement, candidat: tuple, bloc: str, blocages: list[str]) -> tuple | None:
    """Les colonnes COMPAREES du résultat d'un candidat, par regles.decider ; None si `decider` ne tranche pas
    (l'appelant passe alors par `calculer_brut`). Mêmes valeurs que `Calcule.ligne()` (test_regles_entieres.py)."""
    b = reglement.bareme
    if b is None:
        return None
    _, _, _, statut, _, facultative1, facultative2, chef_oeuvre, points_jury, mobilite, *_ = candidat
    premiers, controles, conservees = {}, {}, False
    try:
        lignes = _lignes_triees(bloc)
        champs = bloc.split()  # sept champs par ligne, sans espace dans aucun : sinon le chemin exact
        if len(champs) != 7 * len(lignes):
            return None
        for unite, groupe, etat, valeur, origine in zip(
            champs[1::7], champs[2::7], champs[3::7], champs[4::7], champs[5::7], strict=True
        ):
            if valeur == "None":
                milliemes = None
            elif (milliemes := _MILLIEMES.get(valeur)) is None and (milliemes := _milliemes(valeur)) is None:
                return None
            if groupe == "1":
                premiers[unite] = (etat, milliemes)
                if origine in _CONSERVEES and unite in b.codes:  # conservée sur une unité obligatoire
                    conservees = True
            elif groupe == "2" and etat == "note" and milliemes is not None:
                controles[unite] = milliemes
        codes, remarques = facultatives_comptees(facultative1, facultative2, statut, mobilite)
        facultatives = [premiers.get(code, ("manquante", None)) for code in codes]
        decide = regles.decider(
            b,
            premiers,
            controles,
            facultatives,
            _entier(chef_oeuvre, regles.ECHELLE_NOTE),
            _entier(points_jury, regles.ECHELLE_POINTS),
            bool(blocages),
            conservees,
        )
    except _HorsEchelle:
        return None
    if decide is None:
        return None
    decision, mention, points, total, points_pro, total_pro, controle_passe = decide
    empreinte_ = empreinte_brute(reglement, candidat, lignes, blocages)
    if points is None:
        return (decision.value, "", None, None, "", None, Decimal(0), False, empreinte_, remarques)
    denominateur = regles.ECHELLE_NOTE * total
    pgcd = math.gcd(points, denominateur)
    return (
        decision.value,
        mention.value if mention else "",
        Decimal(points).scaleb(-5),
        _centiemes(points, 10 * total),
        f"{points // pgcd}/{denominateur // pgcd}",
        None if points_pro is None else _centiemes(points_pro, 10 * total_pro),
        points_jury,
        controle_passe,
        empreinte_,
        remarques,
    )


def _centiemes(numerateur: int, denominateur: int) -> Decimal:
    """numerateur / denominateur centièmes, tronqué vers zéro (regles.tronquer à deux décimales)."""
    entier = numerateur // denominateur if numerateur >= 0 else -(-numerateur // denominateur)
    return Decimal(entier).scaleb(-2)


def _objet(candidat: tuple):
    return SimpleNamespace(**dict(zip(CHAMPS_CANDIDAT, candidat, strict=True)))


def calculer_brut(reglement: Reglement, candidat: tuple, bloc: str, blocages: list[str], avec_trace=True) -> Calcule:
    """`calculer_un` sur une ligne brute (le chemin exact, avec sa trace)."""
    notes = [
        NoteLue(*n[:4], None if n[4] is None else Decimal(n[4]), *n[5:]) for n in _notes_du_bloc(candidat[0], bloc)
    ]
    return calculer_un(reglement, _objet(candidat), notes, blocages, avec_trace=avec_trace)


def _comparees(reglement: Reglement, candidat: tuple, bloc: str, blocages: list[str]) -> tuple:
    apres = comparees_rapides(reglement, candidat, bloc, blocages)
    if apres is None:
        ligne = calculer_brut(reglement, candidat, bloc, blocages, avec_trace=False).ligne()
        apres = tuple(ligne[n] for n in _INDICES_COMPARES)
    return apres


def _verifier_tranche(travail, debut: int, fin: int):
    reglement, lignes = travail
    changes, differences = [], []
    decisions: dict[str, int] = defaultdict(int)
    for ligne in lignes[debut:fin]:
        candidat, bloc, blocages = ligne[:_N], ligne[_N + 3] or "", ligne[_N + 4] or []
        apres = _comparees(reglement, candidat, bloc, blocages)
        decisions[apres[0]] += 1
        avant = _enregistre(ligne)
        if avant == apres:
            continue
        # Un résultat qui change : refait par le chemin exact, avec sa trace, pour être écrit.
        calcule = calculer_brut(reglement, candidat, bloc, blocages)
        changes.append((candidat[0], calcule.resultat, calcule.empreinte))
        differences += [(candidat[0], d) for d in _ecarts(candidat[1], avant, apres)]
    return changes, differences, dict(decisions)


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
    session: Session, candidats, deja_expliques=frozenset()
) -> tuple[Reglement, list[tuple[Candidat, regles.Dossier | None, regles.Resultat | None, str | None]]]:
    """(candidat, dossier du moteur, résultat sans trace, empreinte des données) pour chaque candidat du queryset,
    dans l'ordre des numéros.

    Pour les pages qui expliquent un résultat (salle du jury, simulateur) : le résultat enregistré ne garde pas le
    dossier (absences, blocages) dont viennent ses raisons. Trois requêtes quel que soit le nombre de candidats
    (candidats, notes, blocages), plus le règlement lu une fois par version. `candidats` peut porter ses propres
    select_related : la page y lit l'établissement et la division ; ou une liste déjà lue dans l'ordre des numéros.
    Les candidats de `deja_expliques` (des clés), dont la page a déjà l'explication, viennent sans dossier ni calcul
    (None, None, None) et sans lire leurs notes.
    """
    reglement = reglement_de(session.reglement)
    liste = candidats if isinstance(candidats, list) else list(candidats.order_by("numero"))
    a_lire = [c for c in liste if c.pk not in deja_expliques]
    notes, blocages = _lire(a_lire) if a_lire else ({}, {})
    sortie = []
    for c in liste:
        if c.pk in deja_expliques:
            sortie.append((c, None, None, None))
            continue
        try:
            dossier = construire_dossier(c, reglement.unites, notes[c.pk], blocages[c.pk])
            resultat = regles.calculer(dossier, reglement.regles, avec_trace=False)
        except ValueError as e:  # donnée incohérente : le résultat le dit, comme `calculer_un`
            dossier, resultat = None, _resultat_incoherent(e)
        sortie.append((c, dossier, resultat, empreinte(reglement, c, notes[c.pk], blocages[c.pk])))
    return reglement, sortie
