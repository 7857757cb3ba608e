"""Lectures de l'application examens : ce que voit chaque page, en un nombre borné de requêtes."""

import functools
import math
import threading
import unicodedata
from collections import Counter, OrderedDict, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, Func, Prefetch, Q, Window

from agora.requetes import RequeteFigee
from examens import perimetre, regles, resultats
from examens.models import (
    Candidat,
    CategorieCandidat,
    DecisionResultat,
    Division,
    Epreuve,
    Etablissement,
    Grille,
    HistoriqueNote,
    Journal,
    MentionResultat,
    ModaliteEpreuve,
    Mode,
    Note,
    Resultat,
    Session,
    Statut,
)

# Une seule table de libellés, celle du moteur (regles.Decision, regles.Mention), portée par le modèle.
DECISIONS = dict(DecisionResultat.choices)
MENTIONS = dict(MentionResultat.choices)
SEUILS_A_EXAMINER = (Decimal(8), Decimal(10), Decimal(12), Decimal(14), Decimal(16))


# Les données d'un règlement, lues par chaque page du bureau des examens : compilées une fois (RequeteFigee).
_CATEGORIES = RequeteFigee(lambda reglement_id: CategorieCandidat.objects.filter(reglement_id=reglement_id))
_EPREUVES_NOTEES = RequeteFigee(
    lambda reglement_id: (
        Epreuve.objects.filter(reglement_id=reglement_id, unite__isnull=False).select_related("unite").order_by("ordre")
    )
)
_MODALITES = RequeteFigee(
    lambda reglement_id: ModaliteEpreuve.objects.filter(
        epreuve__reglement_id=reglement_id, epreuve__unite__isnull=False
    ).select_related("epreuve__unite", "categorie")
)


@dataclass(frozen=True)
class DonneesReglement:
    categories: tuple[CategorieCandidat, ...]
    epreuves_notees: tuple[Epreuve, ...]
    modalites: tuple[ModaliteEpreuve, ...]


@functools.lru_cache(maxsize=16)
def _donnees_reglement(pk: int, empreinte: str) -> DonneesReglement:
    """Lues une fois par processus (issue #23 : trois lectures par page du bureau des examens, 1,5 ms). Ces lignes
    ne changent jamais : examens.chargement les crée avec le règlement, dans la même transaction, et refuse de
    recharger un code sous une autre empreinte ; aucune page ni l'admin ne les modifie. L'empreinte du fichier fait
    partie de la clé, comme pour resultats._reglement. Des n-uplets : un appelant ne peut pas modifier la liste
    partagée (il reçoit une liste neuve)."""
    return DonneesReglement(
        tuple(_CATEGORIES(reglement_id=pk)),
        tuple(_EPREUVES_NOTEES(reglement_id=pk)),
        tuple(_MODALITES(reglement_id=pk)),
    )


def donnees_reglement(reglement) -> DonneesReglement:
    return _donnees_reglement(reglement.pk, reglement.empreinte)


def categories(reglement) -> list[CategorieCandidat]:
    """Les catégories de candidats du règlement, dans l'ordre de leurs codes."""
    return list(donnees_reglement(reglement).categories)


def categories_par_statut(reglement) -> dict[str, CategorieCandidat]:
    return {statut: c for c in donnees_reglement(reglement).categories for statut in c.statuts}


def epreuves_notees(reglement) -> list[Epreuve]:
    """Épreuves qui portent une unité (sous-épreuves et épreuves sans sous-épreuve), dans l'ordre du règlement."""
    return list(donnees_reglement(reglement).epreuves_notees)


def modalites(reglement) -> dict[tuple[str, str], ModaliteEpreuve]:
    """(code unité, code catégorie) → modalité : le mode d'un candidat se lit ici, il n'est jamais saisi."""
    return {(m.epreuve.unite.code, m.categorie.code): m for m in donnees_reglement(reglement).modalites}


def modalites_de_l_unite(reglement, unite: str) -> dict[str, ModaliteEpreuve]:
    """Code de catégorie → modalité de l'unité (le tableau de saisie d'une unité n'a besoin que de celles-là)."""
    return {m.categorie.code: m for m in donnees_reglement(reglement).modalites if m.epreuve.unite.code == unite}


@dataclass
class LigneEpreuve:
    epreuve: Epreuve
    modalite: ModaliteEpreuve | None
    note: Note | None
    controle: Note | None
    historique: list[HistoriqueNote]
    libelle_facultative: str = ""


def libelle_facultative(choix: str) -> str:
    if choix.startswith("LV:"):
        return f"Langue vivante ({choix[3:]})"
    return {"MOBILITE": "Mobilité", "EPS": "Éducation physique et sportive"}.get(choix, choix)


def fiche_candidat(candidat: Candidat) -> dict:
    reglement = candidat.session.reglement
    categorie = categories_par_statut(reglement).get(candidat.statut)
    mods = modalites(reglement)
    notes = {(n.unite, n.groupe): n for n in candidat.notes.all()}
    historique = defaultdict(list)
    for h in candidat.historique_notes.select_related("auteur").order_by("date", "id"):
        historique[h.unite].append(h)
    choix = {"UF1": candidat.facultative1, "UF2": candidat.facultative2}
    lignes = []
    for e in epreuves_notees(reglement):
        code = e.unite.code
        if e.facultative and not choix.get(code):
            continue
        lignes.append(
            LigneEpreuve(
                epreuve=e,
                modalite=mods.get((code, categorie.code)) if categorie else None,
                note=notes.get((code, 1)),
                controle=notes.get((code, 2)),
                historique=historique[code],
                libelle_facultative=libelle_facultative(choix.get(code, "")) if e.facultative else "",
            )
        )
    return {"categorie": categorie, "lignes": lignes}


# Au-delà, les pages d'une ligne par candidat (délibération, saisie des notes, tableau PFMP) demandent d'abord un
# établissement ou une division : toute une session nationale (25 000 lignes) y ferait 17 à 31 Mo de HTML en 5 à 6 s,
# et le dossier PFMP de 25 000 candidats se lit en 30 s, plus que le délai d'une requête.
PLAFOND_LIGNES = 3000


def lire_filtres(params) -> tuple[dict, dict]:
    """Les filtres de la liste des candidats lus des paramètres GET et vérifiés : (valeurs, filtres actifs tels que
    saisis). Une valeur invalide est ignorée, comme si le filtre n'était pas donné."""
    valeurs, actifs = {}, {}
    for cle in ("etablissement", "division"):
        valeur = params.get(cle, "")
        if valeur.isdecimal():  # pas isdigit : « ² » en est un, et int() le refuse
            valeurs[cle] = int(valeur)
            actifs[cle] = valeur
    if (statut := params.get("statut", "")) and statut in dict(Candidat._meta.get_field("statut").choices):
        valeurs["statut"] = actifs["statut"] = statut
    if categorie := params.get("categorie", ""):
        valeurs["categorie"] = actifs["categorie"] = categorie
    if (decision := params.get("decision", "")) in DECISIONS:
        valeurs["decision"] = actifs["decision"] = decision
    elif decision == "sans":
        valeurs["sans_resultat"] = 1
        actifs["decision"] = decision
    if (unite := params.get("note_manquante", "")) and len(unite) <= 5:
        valeurs["note_manquante"] = actifs["note_manquante"] = unite
    if q := params.get("q", "").strip()[:100]:
        valeurs["q"] = actifs["q"] = q
    return valeurs, actifs


def appliquer_filtres(qs, **valeurs):
    """Les filtres lus par `lire_filtres` sur un queryset de candidats. Chaque filtre ne dépend de sa valeur que
    par les paramètres du SQL (les filtres de la première page de la liste sont compilés une fois : RequeteFigee)."""
    if "etablissement" in valeurs:
        qs = qs.filter(etablissement_id=valeurs["etablissement"])
    if "division" in valeurs:
        qs = qs.filter(division_id=valeurs["division"])
    if "statut" in valeurs:
        qs = qs.filter(statut=valeurs["statut"])
    if "categorie" in valeurs:
        statuts = next((c.statuts for c in CategorieCandidat.objects.filter(code=valeurs["categorie"])), [])
        qs = qs.filter(statut__in=statuts)
    if "decision" in valeurs:
        qs = qs.filter(resultat__decision=valeurs["decision"])
    if "sans_resultat" in valeurs:
        qs = qs.filter(resultat__isnull=True)
    if "note_manquante" in valeurs:
        qs = qs.exclude(notes__unite=valeurs["note_manquante"], notes__groupe=1)
    if "q" in valeurs:
        q = valeurs["q"]
        qs = qs.filter(Q(nom__icontains=q) | Q(prenom__icontains=q) | Q(numero__icontains=q))
    return qs


def filtrer_candidats(qs, params) -> tuple:
    """Filtres de la liste des candidats (paramètres GET) ; renvoie (queryset, filtres actifs)."""
    valeurs, actifs = lire_filtres(params)
    return appliquer_filtres(qs, **valeurs), actifs


# Ce que montre une ligne de la liste des candidats (examens/templatetags/agora_lignes.lignes_candidats).
COLONNES_LISTE = (
    "numero",
    "nom",
    "prenom",
    "statut",
    "etablissement__nom",
    "division__nom",
    "resultat__decision",
    "resultat__mention",
    "resultat__moyenne",
)

# Ce que lit une ligne du tableau de saisie des notes (agora_lignes.lignes_notes, et l'échéance de saisie de la
# ligne : session, statut, établissement).
COLONNES_SAISIE = ("session", "numero", "nom", "prenom", "statut", "etablissement__nom", "division__nom")

TRIS = {
    "numero": "numero",
    "-numero": "-numero",
    "nom": "nom",
    "-nom": "-nom",
    "division": "division__nom",
    "-division": "-division__nom",
    "statut": "statut",
    "-statut": "-statut",
    "decision": "resultat__decision",
    "-decision": "-resultat__decision",
}


LIGNES_PAR_PAGE = 50
# Les filtres des lectures compilées une fois (RequeteFigee) ; la catégorie (lue dans la base), la recherche (un
# motif LIKE), la note manquante et « pas encore délibéré » passent par l'ORM, comme les pages suivantes.
FILTRES_FIGES = frozenset({"etablissement", "division", "statut", "decision"})


def se_compile(filtres, *, lieu_choisi: bool) -> bool:
    """Une sélection lue par une requête compilée : ses filtres (des noms) sont tous de FILTRES_FIGES ; avec
    `lieu_choisi`, une division ou un établissement en fait partie (sans eux, la page compte d'abord la sélection
    pour son plafond, par l'ORM)."""
    filtres = set(filtres)
    return filtres <= FILTRES_FIGES and (not lieu_choisi or bool(filtres & {"etablissement", "division"}))


def candidats_filtres(*, utilisateur, session_id: int, **filtres):
    """Les candidats que l'utilisateur voit dans la session, filtrés (`lire_filtres`)."""
    return appliquer_filtres(Candidat.objects.visibles_par(utilisateur).filter(session_id=session_id), **filtres)


def liste_candidats(tri: str, **valeurs):
    """Les candidats de la liste : `candidats_filtres`, le tri (une clé de TRIS, puis le numéro), les seules
    colonnes des lignes (sans elles, chaque ligne décodait aussi la trace du résultat, en JSON)."""
    qs = candidats_filtres(**valeurs)
    return (
        qs.select_related("etablissement", "division", "resultat")
        .only(*COLONNES_LISTE)
        .order_by(TRIS.get(tri, "numero"), "numero")
    )


def _premiere_page(tri: str, **valeurs):
    # Le nombre de lignes de toute la sélection, compté par PostgreSQL avant la limite : la même requête le donne.
    return liste_candidats(tri, **valeurs).annotate(total_selection=Window(Count("pk")))[:LIGNES_PAR_PAGE]


_PREMIERE_PAGE = RequeteFigee(_premiere_page)


# ------------------------------------------------------------------------------- page de délibération


def candidats_de_la_salle(candidats):
    """Les candidats de la délibération dans l'ordre des numéros, chacun avec son établissement, sa division et son
    résultat enregistré (une seule lecture pour les tableaux de résultats et pour la salle du jury), sans sa trace :
    la page la demande quand le jury la déplie (`trace_lue`)."""
    return candidats.select_related("etablissement", "division", "resultat").defer("resultat__trace").order_by("numero")


def trace_lue(candidat: Candidat) -> list[str] | None:
    """La trace du calcul du résultat enregistré du candidat ; None s'il n'a pas encore de résultat."""
    return Resultat.objects.filter(candidat=candidat).values_list("trace", flat=True).first()


def resultat_joint(candidat: Candidat) -> Resultat | None:
    """Le résultat lu avec le candidat (select_related), None s'il n'en a pas encore."""
    try:
        return candidat.resultat
    except Resultat.DoesNotExist:
        return None


def resultats_lus(candidats: list[Candidat]) -> list[Resultat]:
    """Les résultats enregistrés des candidats lus par `candidats_de_la_salle`, dans leur ordre ; chaque résultat
    connaît son candidat (select_related le pose des deux côtés). Un candidat sans résultat compte dans la salle du
    jury, pas aux tableaux."""
    return [r for r in map(resultat_joint, candidats) if r is not None]


_SALLE_FILTREE = RequeteFigee(lambda **valeurs: candidats_de_la_salle(candidats_filtres(**valeurs)))


def deliberation_figee(utilisateur, session: Session, filtres: dict) -> list[Candidat] | None:
    """Les candidats de la délibération d'une division ou d'un établissement choisi (`candidats_de_la_salle`), en une
    requête compilée une fois ; None pour les autres sélections (l'ORM, avec le plafond)."""
    if not se_compile(filtres, lieu_choisi=True):
        return None
    return _SALLE_FILTREE(utilisateur=utilisateur, session_id=session.pk, **filtres)


# ------------------------------------------------------------------------- tableau de saisie des notes


def forme_a_noter(epreuve: Epreuve, groupe: int) -> tuple[int, str]:
    """(groupe, choix facultatif dont l'unité dépend) : ce qui change la forme de la requête du tableau."""
    if groupe == 2 or not epreuve.facultative:
        return groupe, ""
    return groupe, "facultative1" if epreuve.unite.code == "UF1" else "facultative2"


def candidats_a_noter(groupe: int, facultative: str, *, utilisateur, session_id: int, unite: str, **filtres):
    """Les candidats du tableau de saisie d'une unité : ceux que l'utilisateur peut noter (pas tous ceux qu'il
    voit), filtrés ; au groupe 2, ceux qui ont choisi l'unité pour l'épreuve de contrôle ; pour une unité
    facultative, ceux qui l'ont choisie."""
    qs = perimetre.candidats_ecrivables(utilisateur, Candidat.objects.filter(session_id=session_id))
    qs = appliquer_filtres(qs, **filtres)
    if groupe == 2:
        return qs.filter(Q(controle_scientifique=unite) | Q(controle_francais_hg=unite))
    if facultative:
        return qs.exclude(**{facultative: ""})
    return qs


def ordre_de_saisie(qs):
    """Les lignes du tableau dans l'ordre de la saisie (division, nom, prénom), avec les seules colonnes lues."""
    return (
        qs.select_related("division", "etablissement").only(*COLONNES_SAISIE).order_by("division__nom", "nom", "prenom")
    )


def avec_notes(qs, unite: str, groupe: int) -> list[Candidat]:
    """Les candidats, chacun avec sa note de l'unité au groupe donné (`note_unite`, liste vide ou d'une note)."""
    return list(
        qs.prefetch_related(Prefetch("notes", Note.objects.filter(unite=unite, groupe=groupe), to_attr="note_unite"))
    )


_LIGNES_A_NOTER = RequeteFigee(
    lambda groupe, facultative, **valeurs: ordre_de_saisie(candidats_a_noter(groupe, facultative, **valeurs))
)
_NOTES_A_NOTER = RequeteFigee(
    lambda groupe, facultative, **valeurs: Note.objects.filter(
        candidat__in=candidats_a_noter(groupe, facultative, **valeurs), unite=valeurs["unite"], groupe=groupe
    )
)


def lignes_a_noter(forme: tuple[int, str], valeurs: dict) -> list[Candidat] | None:
    """Les lignes du tableau et leurs notes en deux requêtes compilées une fois par forme, quand une division ou un
    établissement est choisi et que les filtres sont de ceux qui se compilent ; sinon None (l'ORM, avec le plafond)."""
    if not se_compile(valeurs.keys() - {"utilisateur", "session_id", "unite"}, lieu_choisi=True):
        return None
    lignes = _LIGNES_A_NOTER(*forme, **valeurs)
    notes = defaultdict(list)
    for note in _NOTES_A_NOTER(*forme, **valeurs):
        notes[note.candidat_id].append(note)
    for c in lignes:
        c.note_unite = notes[c.pk]
    return lignes


def premiere_page_candidats(utilisateur, session: Session, tri: str, filtres: dict) -> tuple[list, int] | None:
    """(lignes, nombre de candidats de la sélection) de la première page de la liste en une requête compilée une
    fois par tri ; None quand un filtre n'est pas de ceux-là (la vue passe alors par le Paginator de l'ORM)."""
    if not se_compile(filtres, lieu_choisi=False):
        return None
    lignes = _PREMIERE_PAGE(tri if tri in TRIS else "numero", utilisateur=utilisateur, session_id=session.pk, **filtres)
    return lignes, (lignes[0].total_selection if lignes else 0)


def tableau_de_bord(session: Session, candidats) -> dict:
    """Comptes de la session sur les candidats visibles ; chaque compte mène à la liste correspondante."""
    reglement = session.reglement
    par_statut = dict(candidats.values_list("statut").annotate(n=Count("id")).order_by())
    categories = list(CategorieCandidat.objects.filter(reglement=reglement))
    par_categorie = [(c, sum(par_statut.get(s, 0) for s in c.statuts)) for c in categories]
    # Décisions et histogramme des moyennes en une lecture des résultats : (décision, tranche d'un point, nombre).
    par_decision: Counter = Counter()
    par_tranche: Counter = Counter()
    par_tranche_nulle = 0  # résultats sans moyenne
    for decision, tranche, n in (
        Resultat.objects.filter(candidat__in=candidats)
        .annotate(tranche=Func("moyenne", function="TRUNC"))  # vers zéro, comme Decimal // 1
        .values_list("decision", "tranche")
        .annotate(n=Count("*"))
        .order_by()
    ):
        par_decision[decision] += n
        if tranche is not None:
            par_tranche[int(tranche)] += n
        else:
            par_tranche_nulle += n
    total = sum(par_statut.values())
    sans_resultat = total - sum(par_decision.values())
    # Notes manquantes par unité obligatoire. Un résultat est toujours celui de ses données (examens.resultats) : un
    # candidat dont la moyenne est calculée a toutes ses notes obligatoires. Seuls comptent donc les candidats sans
    # résultat ou sans moyenne (note manquante, dossier incohérent) : on ne compte que leurs notes, pas les 300 000
    # d'une session.
    sans_moyenne = sans_resultat + par_tranche_nulle
    a_completer = candidats.filter(Q(resultat__isnull=True) | Q(resultat__moyenne__isnull=True))
    presentes = (
        dict(
            Note.objects.filter(candidat__in=a_completer, groupe=1)
            .values_list("unite")
            .annotate(n=Count("*"))
            .order_by()
        )
        if sans_moyenne
        else {}
    )
    manquantes = [
        (e, sans_moyenne - presentes.get(e.unite.code, 0)) for e in epreuves_notees(reglement) if not e.facultative
    ]
    return {
        "total": total,
        "par_statut": [(code, libelle, par_statut[code]) for code, libelle in Statut.choices if code in par_statut],
        "par_categorie": par_categorie,
        "par_decision": [(code, libelle, par_decision.get(code, 0)) for code, libelle in DECISIONS.items()],
        "sans_resultat": sans_resultat,
        "manquantes": manquantes,
        "histogramme": histogramme_des_tranches(par_tranche) if par_tranche else None,
    }


def a_examiner(resultats: list[Resultat]) -> list[Resultat]:
    """Moyennes à moins d'un demi-point de 8, 10, 12, 14 ou 16, et candidats au contrôle (liste du jury)."""
    retenus = []
    for r in resultats:
        if r.decision == "controle":
            retenus.append(r)
            continue
        if not r.moyenne_exacte:
            continue
        num, den = (int(x) for x in r.moyenne_exacte.split("/"))
        moyenne = Decimal(num) / Decimal(den)
        if any(abs(moyenne - seuil) < Decimal("0.5") for seuil in SEUILS_A_EXAMINER):
            retenus.append(r)
    return retenus


def histogramme(valeurs: list[Decimal], largeur: int = 1) -> list[tuple[str, int]]:
    """Effectifs par tranche d'un point de 0 à 20 (la dernière tranche inclut 20)."""
    return histogramme_des_tranches(Counter(int(v // largeur) for v in valeurs))


def histogramme_des_tranches(par_tranche: Counter) -> list[tuple[str, int]]:
    """`histogramme` depuis les effectifs par partie entière (tronquée vers zéro, comptée par la base)."""
    tranches = [0] * 20
    for tranche, n in par_tranche.items():
        tranches[min(tranche, 19)] += n
    return [(f"{i}–{i + 1}", n) for i, n in enumerate(tranches)]


def divisions_visibles(user, session: Session):
    """Les divisions de la session que l'utilisateur peut filtrer (règle : `examens.perimetre`)."""
    return perimetre.divisions_visibles(user, Division.objects.filter(session=session))


# Le filtre de division des pages de session (liste, notes, délibération), à chaque page : compilé une fois
# (agora/requetes.py), avec le périmètre d'examens.perimetre.
_DIVISIONS_FILTRABLES = RequeteFigee(
    lambda utilisateur, session: perimetre.divisions_visibles(
        utilisateur, Division.objects.filter(session_id=session)
    ).select_related("etablissement")
)


def divisions_filtrables(user, session: Session) -> list[Division]:
    """divisions_visibles, lues avec leur établissement, dans l'ordre des divisions (établissement, nom)."""
    return _DIVISIONS_FILTRABLES(utilisateur=user, session=session.pk)


def etablissements_visibles(user, session: Session):
    return Etablissement.objects.filter(pk__in=divisions_visibles(user, session).values("etablissement_id"))


# Actions sur toute la session qui ne nomment ni un établissement, ni une division, ni un candidat.
ACTIONS_DE_SESSION = ("deliberation.verrouillage", "deliberation.deverrouillage")


def journal_visible(user, session: Session, candidats):
    """Les entrées du journal de la session que l'utilisateur peut lire.

    Sans le droit de tout voir (un gestionnaire), seulement : les entrées sur un candidat de son périmètre
    (`candidats`), ses propres actions, et le verrouillage ou le déverrouillage de la session. Les autres
    entrées sans candidat (imports, délibérations, exports, commissions, synchronisation PFMP…) viennent des
    actions d'autres établissements et en disent les nombres, les divisions ou les fichiers : elles restent
    cachées, même quand leur auteur est un administrateur (son import peut viser un autre lycée).
    """
    entrees = Journal.objects.filter(session_annee=session.annee)
    if user.has_perm("examens.voir_tout"):
        return entrees
    # Les actes sur les jurys qu'il voit (composition, verrouillage, validation du PV) : « jury <nom> ».
    jurys = [
        f"jury {nom}" for nom in perimetre.jurys_visibles(user).filter(session=session).values_list("nom", flat=True)
    ]
    return entrees.filter(
        Q(candidat_numero__in=candidats.values("numero"))
        | Q(auteur=user.get_username())
        | Q(candidat_numero="", action__in=ACTIONS_DE_SESSION)
        | Q(candidat_numero="", action__startswith="jury.", objet__in=jurys)
    )


# ------------------------------------------------------------------------------------------ salle du jury
# Issue #17, partie 4. Chaque fonction prend un queryset de candidats (la session, une sélection filtrée ou, demain,
# les candidats d'un jury) et lit en un nombre borné de requêtes ; les chiffres viennent du moteur (examens.regles).


def cle_francaise(texte: str) -> str:
    """Clé de tri sans accents ni casse : « École » se range avec les E, pas après Z."""
    return "".join(c for c in unicodedata.normalize("NFD", texte) if not unicodedata.combining(c)).casefold()


@dataclass
class LigneJury:
    """Ce que le jury lit d'un candidat : la décision en mots, l'écart aux seuils, les points qui la changent.

    Une fonction des seules données du calcul (règlement et sa version, options, notes, blocages) : gardée entre
    les pages sous leur empreinte (`_EXPLICATIONS`), avec les points du jury une fois calculés."""

    resultat: regles.Resultat
    raisons: tuple[str, ...]
    dossier: regles.Dossier | None
    regles_session: regles.Regles

    @functools.cached_property
    def ecart_admission(self) -> regles.Ecart | None:
        """Écart à 10 (admission), None sans moyenne."""
        if self.resultat.moyenne_groupe1 is None:
            return None
        ecarts = regles.ecarts_aux_seuils(self.resultat.moyenne_groupe1, self.regles_session)
        return next(e for e in ecarts if e.seuil == self.regles_session.seuil_admission)

    @functools.cached_property
    def prochain(self) -> regles.Ecart | None:
        """Premier seuil non atteint (8, 10, 12, 14 ou 16) ; None au-dessus de 16 ou sans moyenne."""
        if self.resultat.moyenne_groupe1 is None:
            return None
        return regles.prochain_seuil(self.resultat.moyenne_groupe1, self.regles_session)

    @functools.cached_property
    def points_pour_prochain(self) -> Decimal | None:
        """Points du jury qui atteignent le prochain seuil ; None s'ils n'y changent rien. Calculés à la lecture :
        la page ne les montre que pour les candidats à examiner (un calcul du moteur chacun, qui les vérifie)."""
        if self.prochain is None or self.dossier is None:
            return None
        return regles.points_jury_pour(self.dossier, self.prochain.seuil, self.regles_session, self.resultat)

    @property
    def simulable(self) -> bool:
        """Épreuve de contrôle au premier groupe : le simulateur a des paires d'unités à proposer."""
        return self.resultat.decision_groupe1 is regles.Decision.CONTROLE


@dataclass
class TauxGroupe:
    """Décisions d'un établissement ou d'une division ; taux de réussite = admis / délibérés (hors « incomplet »)."""

    libelle: str
    total: int = 0
    par_decision: Counter = field(default_factory=Counter)

    @property
    def colonnes(self) -> list[int]:
        """Effectifs par décision, dans l'ordre de DECISIONS (les colonnes du tableau)."""
        return [self.par_decision[code] for code in DECISIONS]

    @property
    def deliberes(self) -> int:
        return self.total - self.par_decision[regles.Decision.INCOMPLET.value]

    @property
    def taux(self) -> Decimal | None:
        """Part des admis parmi les délibérés, en pour cent, tronquée au dixième (affichage)."""
        if not self.deliberes:
            return None
        return regles.tronquer(Fraction(100 * self.par_decision[regles.Decision.ADMIS.value], self.deliberes), 1)


def _ligne_jury(dossier, resultat, regles_session) -> LigneJury:
    raisons = regles.raisons(dossier, resultat, regles_session) if dossier else tuple(resultat.trace[:1])
    return LigneJury(resultat, raisons, dossier, regles_session)


class _Explications:
    """Les lignes du jury déjà calculées, par empreinte des données dont elles viennent (resultats.empreinte),
    dans la mémoire du processus, les plus anciennes lues oubliées au-delà de `taille`.

    Le jury relit la même division pendant toute la délibération : sans elles, chaque affichage refait le calcul
    de chaque candidat (ses raisons), puis, pour les candidats à examiner, les points du jury qui atteignent le
    prochain seuil (plusieurs calculs chacun) ; c'était le tiers du processeur de la page. La clé est l'empreinte
    des données (règlement et sa version compris) : une donnée changée change l'empreinte, l'ancienne ligne n'est
    plus jamais lue. Lue sous l'empreinte du résultat enregistré, la ligne explique ce résultat-là, calculé des
    mêmes données. Une nouvelle version du code redémarre les processus, donc vide la mémoire."""

    def __init__(self, taille: int):
        self.taille = taille
        self._lignes: OrderedDict[str, LigneJury] = OrderedDict()
        self._verrou = threading.Lock()

    def lire(self, empreinte: str) -> LigneJury | None:
        with self._verrou:
            ligne = self._lignes.get(empreinte)
            if ligne is not None:
                self._lignes.move_to_end(empreinte)
            return ligne

    def retenir(self, empreinte: str, ligne: LigneJury) -> None:
        with self._verrou:
            self._lignes[empreinte] = ligne
            while len(self._lignes) > self.taille:
                self._lignes.popitem(last=False)

    def vider(self) -> None:
        with self._verrou:
            self._lignes.clear()


# Quelques divisions de jury par processus ; chaque ligne garde le dossier du candidat (quelques Ko).
_EXPLICATIONS = _Explications(4096)


def salle_du_jury(candidats, session: Session, empreintes: dict[int, str] | None = None) -> dict:
    """Lignes du jury par candidat (clé : pk) et décisions par établissement et par division.

    Quatre requêtes quel que soit le nombre de candidats (candidats avec établissement et division, notes, blocages ;
    le règlement est lu une fois par version) : tests/examens/test_salle_jury_vues.py le vérifie. `candidats` : un
    queryset, ou la liste déjà lue par `candidats_de_la_salle`. `empreintes`
    (pk → empreinte des résultats enregistrés) : les candidats dont la ligne est déjà connue sous cette empreinte
    ne sont ni relus ni recalculés (deux requêtes quand toutes le sont).
    """
    connues = {}
    for pk, empreinte in (empreintes or {}).items():
        ligne = _EXPLICATIONS.lire(empreinte) if empreinte else None
        if ligne is not None:
            connues[pk] = ligne
    liste = candidats if isinstance(candidats, list) else list(candidats_de_la_salle(candidats))
    reglement, calcules = resultats.dossiers(session, liste, deja_expliques=connues.keys())
    lignes = {}
    par_etablissement: dict[int, TauxGroupe] = {}
    par_division: dict[int | None, TauxGroupe] = {}
    total = TauxGroupe("Sélection")
    for candidat, dossier, resultat, empreinte in calcules:
        ligne = connues.get(candidat.pk)
        if ligne is None:
            ligne = _ligne_jury(dossier, resultat, reglement.regles)
            _EXPLICATIONS.retenir(empreinte, ligne)
        lignes[candidat.pk] = ligne
        etablissement = candidat.etablissement
        division = candidat.division
        groupes = (
            par_etablissement.setdefault(etablissement.pk, TauxGroupe(etablissement.nom)),
            par_division.setdefault(
                division.pk if division else None,
                TauxGroupe(f"{division.nom} ({etablissement.nom})" if division else "Sans division"),
            ),
            total,
        )
        for groupe in groupes:
            groupe.total += 1
            groupe.par_decision[ligne.resultat.decision.value] += 1
    return {
        "lignes": lignes,
        "groupes": [
            ("Par établissement", sorted(par_etablissement.values(), key=lambda g: cle_francaise(g.libelle))),
            ("Par division", sorted(par_division.values(), key=lambda g: cle_francaise(g.libelle))),
        ],
        "total": total,
    }


def simulation(candidat: Candidat, session: Session) -> dict:
    """Le simulateur d'un candidat : raisons, écarts et points du jury pour chaque seuil, paires du contrôle."""
    reglement, [(_, dossier, resultat, _)] = resultats.dossiers(session, Candidat.objects.filter(pk=candidat.pk))
    regles_session = reglement.regles
    ligne = _ligne_jury(dossier, resultat, regles_session)
    seuils = []
    if dossier is not None and resultat.moyenne_groupe1 is not None:
        for ecart in regles.ecarts_aux_seuils(resultat.moyenne_groupe1, regles_session):
            points = None if ecart.atteint else regles.points_jury_pour(dossier, ecart.seuil, regles_session, resultat)
            seuils.append((ecart, points))
    notes_groupe1 = {u.unite: u for u in dossier.unites} if dossier else {}
    paires = [
        (p, notes_groupe1[p.premiere], notes_groupe1[p.seconde])
        for p in (regles.simuler_controle(dossier, regles_session) if dossier else ())
    ]
    return {"ligne": ligne, "seuils": seuils, "paires": paires, "points_jury": dossier.points_jury if dossier else 0}


# ------------------------------------------------------------------------------------------ harmonisation

# Un groupe (établissement ou commission) est signalé quand la médiane de ses notes s'écarte de plus de 2 points de
# la médiane de toutes les autres notes de la même unité en CCF : 2 points, c'est l'écart que la moyenne d'un
# candidat ressent sur une unité de coefficient 4 (8 points sur 25, soit 0,32 de moyenne) et la demi-largeur
# habituelle d'une boîte (écart interquartile de 3 à 5 points). Sous 5 notes, une médiane ne dit rien : pas de
# signalement.
ECART_SIGNALE = Decimal(2)
MIN_NOTES_SIGNALEMENT = 5


def quantile(triees: list[Decimal], p: Fraction) -> Fraction:
    """Quantile exact par interpolation linéaire entre rangs (méthode « inclusive », celle des tableurs)."""
    position = p * (len(triees) - 1)
    bas = math.floor(position)
    haut = min(bas + 1, len(triees) - 1)
    return Fraction(triees[bas]) + (position - bas) * (Fraction(triees[haut]) - Fraction(triees[bas]))


@dataclass
class Boite:
    """Résumé d'une distribution de notes sur 20 : effectif, extrêmes, quartiles, et l'écart au reste s'il y a lieu."""

    libelle: str
    sorte: str  # « session », « ponctuel », « etablissement », « commission »
    n: int
    minimum: Fraction
    q1: Fraction
    mediane: Fraction
    q3: Fraction
    maximum: Fraction
    ecart_autres: Fraction | None = None  # médiane du groupe − médiane des autres notes CCF de l'unité
    signale: bool = False


def boite(libelle: str, sorte: str, valeurs: list[Decimal]) -> Boite | None:
    if not valeurs:
        return None
    t = sorted(valeurs)
    quart = Fraction(1, 4)
    quartiles = [quantile(t, k * quart) for k in (1, 2, 3)]
    return Boite(libelle, sorte, len(t), Fraction(t[0]), *quartiles, Fraction(t[-1]))


def _signaler(b: Boite, notes_du_groupe: list[Decimal], toutes: list[Decimal]) -> None:
    """Écart de la médiane du groupe à celle de toutes les autres notes CCF de l'unité (ECART_SIGNALE)."""
    autres = list(toutes)
    for note in notes_du_groupe:
        autres.remove(note)
    if len(notes_du_groupe) < MIN_NOTES_SIGNALEMENT or len(autres) < MIN_NOTES_SIGNALEMENT:
        return
    b.ecart_autres = b.mediane - quantile(sorted(autres), Fraction(1, 2))
    b.signale = abs(b.ecart_autres) > ECART_SIGNALE


def harmonisation(candidats, session: Session) -> list[dict]:
    """Pour chaque unité passée en CCF : la distribution des notes CCF de la session, par établissement et par
    commission, et celle des notes en ponctuel de la même unité ; groupes qui s'écartent signalés (ECART_SIGNALE).

    Notes chiffrées du premier groupe seulement (ni ABS, ni DIS, ni contrôle). Le mode d'une note est celui que le
    règlement fixe pour le statut du candidat ; la commission, celle de sa grille de la sous-épreuve (situation 1 si
    l'épreuve en a deux). Quatre requêtes (+ le règlement, lu une fois) quel que soit le nombre de candidats.
    """
    reglement = resultats.reglement_de(session.reglement)
    codes_ccf = {code for (_, code), mode in reglement.modes.items() if mode == Mode.CCF}
    unites_ccf = [u for u in reglement.obligatoires if u.code in codes_ccf]
    if not unites_ccf:
        return []
    intitules = dict(
        Epreuve.objects.filter(reglement=session.reglement, unite__isnull=False).values_list("unite__code", "intitule")
    )
    statuts = {}
    etablissements = {}
    for pk, statut, nom in candidats.values_list("pk", "statut", "etablissement__nom"):
        statuts[pk], etablissements[pk] = statut, nom
    commissions: dict[tuple[int, str], str] = {}
    for candidat_id, epreuve, commission_id, nom, lycee in (
        Grille.objects.filter(candidat__in=candidats, epreuve__in=[u.epreuve for u in unites_ccf])
        .order_by("-situation")  # la situation 1 écrase la 2
        .values_list("candidat_id", "epreuve", "commission_id", "commission__nom", "commission__etablissement__nom")
    ):
        commissions[candidat_id, epreuve] = f"{nom or f'Commission {commission_id}'} ({lycee})"
    notes: dict[str, list[tuple[int, Decimal]]] = defaultdict(list)
    for candidat_id, unite, valeur in Note.objects.filter(
        candidat__in=candidats, groupe=1, etat=Note.Etat.NOTE, unite__in=[u.code for u in unites_ccf]
    ).values_list("candidat_id", "unite", "valeur"):
        notes[unite].append((candidat_id, valeur))
    sortie = []
    for u in unites_ccf:
        ccf, ponctuel = [], []
        par_etablissement, par_commission = defaultdict(list), defaultdict(list)
        for candidat_id, valeur in notes[u.code]:
            mode = reglement.modes.get((statuts.get(candidat_id, ""), u.code), "")
            if mode == Mode.CCF:
                ccf.append(valeur)
                par_etablissement[etablissements[candidat_id]].append(valeur)
                if commission := commissions.get((candidat_id, u.epreuve)):
                    par_commission[commission].append(valeur)
            elif mode.startswith("ponctuel"):
                ponctuel.append(valeur)
        groupes = []
        for sorte, par_groupe in (("etablissement", par_etablissement), ("commission", par_commission)):
            for libelle in sorted(par_groupe, key=cle_francaise):
                b = boite(libelle, sorte, par_groupe[libelle])
                _signaler(b, par_groupe[libelle], ccf)
                groupes.append(b)
        references = [boite("Session, en CCF", "session", ccf), boite("Session, en ponctuel", "ponctuel", ponctuel)]
        references = [b for b in references if b is not None]
        if not ccf:  # aucune note de CCF de l'unité dans la sélection : rien à harmoniser
            continue
        sortie.append(
            {
                "unite": u.code,
                "intitule": intitules.get(u.code, ""),
                "boites": references + groupes,
                "signalees": [b for b in groupes if b.signale],
            }
        )
    return sortie
