"""Lectures de l'application examens : ce que voit chaque page, en un nombre borné de requêtes."""

from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q

from examens import perimetre
from examens.models import (
    Candidat,
    CategorieCandidat,
    DecisionResultat,
    Division,
    Epreuve,
    Etablissement,
    HistoriqueNote,
    Journal,
    MentionResultat,
    ModaliteEpreuve,
    Note,
    Resultat,
    Session,
    Statut,
)

# Une seule table de libellés, celle du moteur (regles.Decision, regles.Mention), portée par le modèle.
DECISIONS = dict(DecisionResultat.choices)
MENTIONS = dict(MentionResultat.choices)
SEUILS_A_EXAMINER = (Decimal(8), Decimal(10), Decimal(12), Decimal(14), Decimal(16))


def categories_par_statut(reglement) -> dict[str, CategorieCandidat]:
    return {statut: c for c in CategorieCandidat.objects.filter(reglement=reglement) for statut in c.statuts}


def epreuves_notees(reglement) -> list[Epreuve]:
    """Épreuves qui portent une unité (sous-épreuves et épreuves sans sous-épreuve), dans l'ordre du règlement."""
    return list(
        Epreuve.objects.filter(reglement=reglement, unite__isnull=False).select_related("unite").order_by("ordre")
    )


def modalites(reglement) -> dict[tuple[str, str], ModaliteEpreuve]:
    """(code unité, code catégorie) → modalité : le mode d'un candidat se lit ici, il n'est jamais saisi."""
    return {
        (m.epreuve.unite.code, m.categorie.code): m
        for m in ModaliteEpreuve.objects.filter(
            epreuve__reglement=reglement, epreuve__unite__isnull=False
        ).select_related("epreuve__unite", "categorie")
    }


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


def filtrer_candidats(qs, params) -> tuple:
    """Filtres de la liste des candidats (paramètres GET) ; renvoie (queryset, filtres actifs)."""
    actifs = {}
    for cle, champ in (("etablissement", "etablissement_id"), ("division", "division_id")):
        valeur = params.get(cle, "")
        if valeur.isdecimal():  # pas isdigit : « ² » en est un, et int() le refuse
            qs = qs.filter(**{champ: int(valeur)})
            actifs[cle] = valeur
    if (statut := params.get("statut", "")) and statut in dict(Candidat._meta.get_field("statut").choices):
        qs = qs.filter(statut=statut)
        actifs["statut"] = statut
    if categorie := params.get("categorie", ""):
        statuts = next((c.statuts for c in CategorieCandidat.objects.filter(code=categorie)), [])
        qs = qs.filter(statut__in=statuts)
        actifs["categorie"] = categorie
    if (decision := params.get("decision", "")) in DECISIONS:
        qs = qs.filter(resultat__decision=decision)
        actifs["decision"] = decision
    elif decision == "sans":
        qs = qs.filter(resultat__isnull=True)
        actifs["decision"] = decision
    if (unite := params.get("note_manquante", "")) and len(unite) <= 5:
        qs = qs.exclude(notes__unite=unite, notes__groupe=1)
        actifs["note_manquante"] = unite
    if q := params.get("q", "").strip()[:100]:
        qs = qs.filter(Q(nom__icontains=q) | Q(prenom__icontains=q) | Q(numero__icontains=q))
        actifs["q"] = q
    return qs, actifs


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


def tableau_de_bord(session: Session, candidats) -> dict:
    """Comptes de la session sur les candidats visibles ; chaque compte mène à la liste correspondante."""
    reglement = session.reglement
    par_statut = dict(candidats.values_list("statut").annotate(n=Count("id")).order_by())
    categories = list(CategorieCandidat.objects.filter(reglement=reglement))
    par_categorie = [(c, sum(par_statut.get(s, 0) for s in c.statuts)) for c in categories]
    par_decision = Counter(
        dict(Resultat.objects.filter(candidat__in=candidats).values_list("decision").annotate(n=Count("id")).order_by())
    )
    total = sum(par_statut.values())
    sans_resultat = total - sum(par_decision.values())
    # notes manquantes par unité : unités obligatoires moins les notes présentes du premier groupe
    presentes = dict(
        Note.objects.filter(candidat__in=candidats, groupe=1).values_list("unite").annotate(n=Count("id")).order_by()
    )
    manquantes = [(e, total - presentes.get(e.unite.code, 0)) for e in epreuves_notees(reglement) if not e.facultative]
    return {
        "total": total,
        "par_statut": [(code, libelle, par_statut[code]) for code, libelle in Statut.choices if code in par_statut],
        "par_categorie": par_categorie,
        "par_decision": [(code, libelle, par_decision.get(code, 0)) for code, libelle in DECISIONS.items()],
        "sans_resultat": sans_resultat,
        "manquantes": manquantes,
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
    tranches = [0] * 20
    for v in valeurs:
        tranches[min(int(v // largeur), 19)] += 1
    return [(f"{i}–{i + 1}", n) for i, n in enumerate(tranches)]


def divisions_visibles(user, session: Session):
    """Les divisions de la session que l'utilisateur peut filtrer (règle : `examens.perimetre`)."""
    return perimetre.divisions_visibles(user, Division.objects.filter(session=session))


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
