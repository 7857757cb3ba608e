"""Ce que lisent les pages des commissions et des grilles : qui est évalué par quelle commission, sous quelle forme,
qui a le droit de faire quoi, la liste de travail de chaque membre.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db.models import Count, Exists, Func, JSONField, OuterRef, Q, Subquery, prefetch_related_objects
from django.db.models.functions import JSONObject

from agora.requetes import RequeteFigee
from examens.ccf.gabarits import echelle_de
from examens.ccf.notation import Calcul, Couverture, moyenne_situations, suggerer_note
from examens.models import (
    Candidat,
    Commission,
    Echeance,
    Epreuve,
    EvaluationCompetence,
    GabaritGrille,
    Grille,
    LigneGabarit,
    MembreCommission,
    ModaliteEpreuve,
    Mode,
    Session,
    ValidationGrille,
    texte_note,
)
from examens.services import liens_jury_verrouille
from referentiel.models import Indicateur

# ---------------------------------------------------------------------------------------------------
# Lectures : qui est évalué par quelle commission, sous quelle forme ; ce que voit chaque page
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormeCandidat:
    forme: str  # Grille.Forme
    modalite: ModaliteEpreuve


# Un règlement chargé est immuable (examens/chargement.py), un gabarit aussi (gabarits.py) : leurs formes par statut
# se lisent une fois par processus. Une session rattachée à un autre règlement change de clé.
_FORMES: dict[tuple, dict[str, FormeCandidat]] = {}


def formes_par_statut(commission: Commission) -> dict[str, FormeCandidat]:
    """Statut → forme de la grille, d'après le règlement : CCF ou ponctuel selon la catégorie du candidat.

    Seules les formes couvertes par le gabarit comptent (E2 : CCF seulement, pour la colonne 3).
    """
    gabarit = commission.gabarit
    cle = (commission.session.reglement_id, gabarit.pk, gabarit.empreinte)
    if (lues := _FORMES.get(cle)) is None:
        lues = _FORMES[cle] = _formes_par_statut(commission)
    return dict(lues)


def _formes_par_statut(commission: Commission) -> dict[str, FormeCandidat]:
    gabarit = commission.gabarit
    resultat = {}
    for m in ModaliteEpreuve.objects.filter(
        epreuve__reglement_id=commission.session.reglement_id, epreuve__code=gabarit.epreuve
    ).select_related("categorie"):
        forme = Grille.Forme.CCF if m.mode == Mode.CCF else Grille.Forme.PONCTUEL
        if forme in gabarit.formes:
            for statut in m.categorie.statuts:
                resultat[statut] = FormeCandidat(forme, m)
    return resultat


def _candidats_des_divisions(session_id: int, commission_id: int):
    """Les candidats de la session dans les divisions de la commission (sans la règle des statuts)."""
    return Candidat.objects.filter(session_id=session_id, division__commissions=commission_id)


def candidats_de_commission(commission: Commission, formes: dict[str, FormeCandidat] | None = None):
    formes = formes_par_statut(commission) if formes is None else formes
    return (
        _candidats_des_divisions(commission.session_id, commission.pk)
        .filter(statut__in=list(formes))
        .select_related("division")
    )


# Les lectures de chaque page de grille et de chaque enregistrement automatique : compilées une fois par processus
# (agora/requetes.py ; le périmètre reste celui d'examens.perimetre).
def _commission_lue(utilisateur, pk):
    """La commission `pk` si l'utilisateur la voit, avec ce que lisent ses pages (session, règlement, établissement,
    gabarit) : la lecture de commission_visible et de commission_et_candidat."""
    return (
        Commission.objects.visibles_par(utilisateur)
        .select_related("session__reglement", "etablissement", "gabarit")
        .filter(pk=pk)
    )


_COMMISSION_VISIBLE = RequeteFigee(_commission_lue)
_CANDIDAT_DE_COMMISSION = RequeteFigee(
    lambda session, commission, pk: (
        _candidats_des_divisions(session, commission).filter(pk=pk).select_related("division", "etablissement")
    )
)


# L'enregistrement automatique d'une grille lit la commission et le candidat en une requête (une de moins à chaque
# clic), avec les mêmes périmètres : la commission visible par l'utilisateur, le candidat dans ses divisions. Le
# candidat vient en JSON, ses seules colonnes que JSON rend telles quelles (textes, entiers, clés, booléens) ; ses
# dates et ses décimaux sont différés, lus par Django si on y touche (aucun enregistrement n'y touche).
_TYPES_JSON = {
    "AutoField",
    "BigAutoField",
    "BooleanField",
    "CharField",
    "ForeignKey",
    "IntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}
_COLONNES_CANDIDAT = [f.attname for f in Candidat._meta.concrete_fields if f.get_internal_type() in _TYPES_JSON]
_COMMISSION_ET_CANDIDAT = RequeteFigee(
    lambda utilisateur, pk, candidat: _commission_lue(utilisateur, pk).annotate(
        _candidat=Subquery(
            _candidats_des_divisions(OuterRef("session_id"), OuterRef("pk"))
            .filter(pk=candidat)
            .order_by()
            .values(j=JSONObject(**{c: c for c in _COLONNES_CANDIDAT}))[:1]
        )
    )
)


def commission_et_candidat(user, pk: int, candidat_pk: int) -> tuple[Commission | None, Candidat | None]:
    """commission_visible et candidat_de_commission en une lecture : (None, None) si la commission n'est pas
    visible, (commission, None) si le candidat n'est pas évalué par elle. Le candidat n'a que ses colonnes de texte,
    d'entiers et de clés ; les autres sont différées (lues par Django à la demande)."""
    trouvees = _COMMISSION_ET_CANDIDAT(utilisateur=user, pk=pk, candidat=candidat_pk)
    if not trouvees:
        return None, None
    commission = trouvees[0]
    lu = commission.__dict__.pop("_candidat")
    if lu is None or lu["statut"] not in formes_par_statut(commission):
        return commission, None
    return commission, Candidat.from_db("default", _COLONNES_CANDIDAT, [lu[c] for c in _COLONNES_CANDIDAT])


def commission_visible(user, pk: int) -> Commission | None:
    """La commission `pk` si `user` la voit (examens.perimetre.commissions_visibles), avec sa session, son
    règlement, son établissement et son gabarit ; None sinon."""
    trouvees = _COMMISSION_VISIBLE(utilisateur=user, pk=pk)
    return trouvees[0] if trouvees else None


def candidat_de_commission(
    commission: Commission, pk: int, formes: dict[str, FormeCandidat] | None = None
) -> Candidat | None:
    """Le candidat `pk` s'il est évalué par la commission (candidats_de_commission), avec sa division et son
    établissement ; None sinon. Le statut est vérifié ici, pas dans le SQL : la liste des statuts dépend de la
    commission et la requête compilée doit rester la même pour toutes."""
    formes = formes_par_statut(commission) if formes is None else formes
    trouves = _CANDIDAT_DE_COMMISSION(session=commission.session_id, commission=commission.pk, pk=pk)
    return trouves[0] if trouves and trouves[0].statut in formes else None


# Avec leur compte (nom affiché par la page) : une jointure de plus pour l'enregistrement, une requête de moins.
_MEMBRES = RequeteFigee(
    lambda commission: MembreCommission.objects.filter(commission_id=commission).select_related("utilisateur")
)


def membres_de(commission: Commission) -> list[MembreCommission]:
    """Les membres de la commission avec leur compte (commission.membres_commission, compilé une fois)."""
    return _MEMBRES(commission=commission.pk)


def est_membre(user, membres: Iterable[MembreCommission]) -> bool:
    return any(m.utilisateur_id == user.pk for m in membres)


@dataclass(frozen=True)
class Droits:
    modifier: bool = False
    confirmer: bool = False
    rouvrir: bool = False
    transmettre: bool = False
    renvoyer: bool = False
    arreter: bool = False
    raison: str = ""  # pourquoi la grille est en lecture seule
    echeance: str = ""  # l'échéance de saisie qui ferme (ou ne rouvre qu'en proposition) la grille pour lui


def droits_et_evaluations(
    user,
    *,
    session: Session,
    etablissement_id: int,
    commission_id: int,
    grille: Grille | None,
    candidat: Candidat | None = None,
    epreuve: str = "",
    contexte: _Contexte | None = None,
) -> tuple[Droits, dict[int, EvaluationCompetence]]:
    """Ce que l'utilisateur peut faire sur la grille (la visibilité est déjà acquise : sinon 404), et les évaluations
    de la grille (ligne du gabarit → évaluation), lues par la même requête : la page de grille et chaque
    enregistrement automatique ont besoin des deux.

    `candidat` et `epreuve` : ceux de la grille pas encore commencée (grille None), pour l'échéance de saisie.
    `contexte` : celui que grille_verrouillee a lu avec le verrou, s'il est à jour ; sinon il est lu ici, après le
    verrou de la grille, donc à jour jusqu'à la fin de la transaction.
    """
    if contexte is None:
        contexte = _contexte_des_droits(user, session.pk, etablissement_id, commission_id, grille)
    return _droits(user, session, contexte, grille, candidat, epreuve), _evaluations(contexte, grille)


def droits(user, *, session, etablissement_id, commission_id, grille, candidat=None, epreuve="") -> Droits:
    """Les droits seuls (mêmes arguments que droits_et_evaluations) : les actions du circuit de la grille. La
    requête lit aussi les évaluations ; elles ne deviennent pas des objets."""
    contexte = _contexte_des_droits(user, session.pk, etablissement_id, commission_id, grille)
    return _droits(user, session, contexte, grille, candidat, epreuve)


def _evaluations(contexte: _Contexte, grille: Grille | None) -> dict[int, EvaluationCompetence]:
    """Les évaluations lues avec le contexte, en objets : ligne du gabarit → évaluation."""
    evaluations = {}
    for lue in contexte.evaluations:
        # from_db attend les valeurs dans l'ordre des colonnes du modèle ; la grille est celle qu'on a déjà.
        e = EvaluationCompetence.from_db(
            "default",
            _COLONNES_EVALUATION,
            [grille.pk if colonne == "grille_id" else lue[colonne] for colonne in _COLONNES_EVALUATION],
        )
        e.grille = grille  # comme grille.evaluations.all() : pas de relecture de la grille
        evaluations[e.ligne_id] = e
    return evaluations


def _droits(user, session, contexte: _Contexte, grille, candidat, epreuve) -> Droits:
    d = _droits_du_circuit(user, session=session, contexte=contexte, grille=grille)
    if not (d.modifier or d.confirmer or d.rouvrir or d.transmettre or d.renvoyer):
        return d
    # Échéance de saisie (examens/echeances) : après la date de fermeture, la grille est figée pour qui n'a pas de
    # réouverture ; l'arrêt par le jury reste possible. « Proposition seulement » : la commission peut encore
    # remplir, confirmer et rouvrir la grille, mais sa transmission (qui écrit la note) revient à la division des
    # examens, qui valide ainsi la proposition.
    from examens.echeances import regle as regle_echeance
    from examens.echeances import services as echeances

    if (grille is None and candidat is None) or not contexte.echeances or echeances.exempte(user):
        return d
    regle_session = echeances.regle_de(session.pk, user)
    if not regle_session.echeances:
        return d
    candidat = grille.candidat if grille is not None else candidat
    unite = unite_de_epreuve(session, grille.epreuve if grille is not None else epreuve)
    decision = echeances.decision_pour(user, candidat, unite, regle_session)
    if decision.ouverte:
        return d
    texte = echeances.message(decision, unite, candidat.etablissement.nom)
    if decision.etat == regle_echeance.PROPOSITION:
        return replace(d, transmettre=False, echeance=texte)
    return Droits(arreter=d.arreter, raison=texte, echeance=texte)


@dataclass(frozen=True)
class _Contexte:
    membre: bool  # l'utilisateur est membre de la commission
    jury_verrouille: str | None  # le nom du jury verrouillé qui couvre l'établissement dans la session
    echeances: bool  # la session a des échéances de saisie (sinon rien de plus à lire)
    evaluations: list[dict]  # les évaluations de la grille : {colonne: valeur}, sans la grille


# Les colonnes d'EvaluationCompetence dans l'ordre du modèle : une colonne ajoutée au modèle est lue ici aussi.
# Elles passent par JSON (texte, nombres, booléens) : une colonne de date ou de décimal y demanderait sa
# conversion (champ.to_python) avant from_db.
_COLONNES_EVALUATION = [f.attname for f in EvaluationCompetence._meta.concrete_fields]


def _annotations_du_contexte(session, etablissement, commission, utilisateur, grille) -> dict:
    """Trois questions et les évaluations de la grille, en annotations : les échéances sont celles
    d'examens.echeances.services.regle_de, lues seulement s'il y en a. `session` et `grille` : des valeurs ou des
    OuterRef, selon la ligne annotée (la session pour _CONTEXTE, la grille pour _GRILLE_VERROUILLEE)."""
    return {
        "_membre": Exists(MembreCommission.objects.filter(commission_id=commission, utilisateur_id=utilisateur)),
        "_jury_verrouille": Subquery(liens_jury_verrouille(session, etablissement).values("jury__nom")[:1]),
        "_echeances": Exists(Echeance.objects.filter(session_id=session)),
        # Un seul tableau JSON (jsonb_agg), décodé d'un coup : un tableau de PostgreSQL d'objets JSON l'était objet
        # par objet, une vingtaine de fois par grille. Sans ligne, jsonb_agg rend NULL.
        "_evaluations": Subquery(
            EvaluationCompetence.objects.filter(grille_id=grille)
            .order_by()
            .values(
                j=Func(
                    JSONObject(**{c: c for c in _COLONNES_EVALUATION if c != "grille_id"}),
                    function="jsonb_agg",
                    output_field=JSONField(),
                )
            )
        ),
    }


# Les droits et les évaluations d'une grille ouverte (chaque page de grille les lit), ou d'une grille pas encore
# créée (clé 0 : aucune évaluation).
_CONTEXTE = RequeteFigee(
    lambda session, etablissement, commission, utilisateur, grille: (
        Session.objects.filter(pk=session)
        .only("pk")
        .annotate(**_annotations_du_contexte(OuterRef("pk"), etablissement, commission, utilisateur, grille))
    )
)


def _contexte_lu(ligne) -> _Contexte:
    return _Contexte(
        membre=ligne._membre,
        jury_verrouille=ligne._jury_verrouille,
        echeances=ligne._echeances,
        evaluations=ligne._evaluations or [],
    )


def _contexte_des_droits(
    user, session_id: int, etablissement_id: int, commission_id: int, grille: Grille | None
) -> _Contexte:
    trouvee = _CONTEXTE(
        session=session_id,
        etablissement=etablissement_id,
        commission=commission_id,
        utilisateur=user.pk or 0,
        grille=grille.pk if grille is not None else 0,
    )
    if not trouvee:  # la session a disparu entre-temps : rien de permis
        return _Contexte(membre=False, jury_verrouille=None, echeances=False, evaluations=[])
    return _contexte_lu(trouvee[0])


def unite_de_epreuve(session: Session, epreuve: str) -> str:
    """« E31 » → « U31 » dans le règlement de la session."""
    return (
        Epreuve.objects.filter(reglement_id=session.reglement_id, code=epreuve)
        .values_list("unite__code", flat=True)
        .first()
        or epreuve
    )


def _droits_du_circuit(user, *, session: Session, contexte: _Contexte, grille: Grille | None) -> Droits:
    membre = contexte.membre
    admin = user.has_perm("examens.voir_tout")
    etat = grille.etat if grille else Grille.Etat.BROUILLON
    if session.verrouillee:
        return Droits(raison=f"La délibération de la session {session.annee} est verrouillée : la grille est figée.")
    if nom := contexte.jury_verrouille:
        return Droits(raison=f"La délibération du jury {nom} est verrouillée : la grille est figée.")
    confirme = grille is not None and any(v.membre_id == user.pk for v in grille.validations.all())
    raisons = {
        Grille.Etat.VALIDEE: "La grille est validée par la commission : rouvrez-la pour la modifier.",
        Grille.Etat.TRANSMISE: "La grille est transmise au jury : elle n'est plus modifiable par la commission.",
        Grille.Etat.ARRETEE: "La note a été arrêtée par le jury : la grille est définitive.",
    }
    raison = raisons.get(etat, "")
    if etat == Grille.Etat.BROUILLON and not (membre or admin):
        raison = "Seuls les membres de la commission remplissent cette grille."
    return Droits(
        modifier=etat == Grille.Etat.BROUILLON and (membre or admin),
        confirmer=etat == Grille.Etat.BROUILLON and membre and not confirme,
        rouvrir=etat == Grille.Etat.VALIDEE and (membre or admin),
        transmettre=etat == Grille.Etat.VALIDEE and (membre or user.has_perm("examens.change_note")),
        renvoyer=etat == Grille.Etat.TRANSMISE and user.has_perm("examens.change_note"),
        arreter=etat in (Grille.Etat.TRANSMISE, Grille.Etat.ARRETEE) and user.has_perm("examens.deliberer"),
        raison=raison,
    )


def note_retenue(grille: Grille) -> Decimal | None:
    """La note que propose la commission : 0 si dossier non produit, sinon la note saisie ou à défaut suggérée."""
    if grille.justificatifs_manquants:
        return None
    if grille.dossier_non_produit:
        return Decimal(0)
    return grille.note_proposee if grille.note_proposee is not None else grille.note_suggeree


def texte_retenu(grille: Grille) -> str:
    """Ce qui part au jury, lisible : « 14,50 », « 0,00 (dossier non produit) », « NV »."""
    if grille.etat == Grille.Etat.ARRETEE and grille.note_jury is not None:
        return texte_note("note", grille.note_jury)
    if grille.justificatifs_manquants:
        return "NV"
    note = grille.note_commission if grille.note_commission is not None else note_retenue(grille)
    return texte_note("note", note) if note is not None else ""


def calcul_de(grille: Grille, lignes: list[LigneGabarit], evaluations: dict[int, EvaluationCompetence]) -> Calcul:
    """Le calcul d'une grille ; `lignes` avec leur compétence et son activité (select_related)."""
    gabarit = grille.gabarit
    niveaux = [evaluations[ligne.pk].niveau if ligne.pk in evaluations else "" for ligne in lignes]
    activites = [ligne.competence.activite.code for ligne in lignes]
    return suggerer_note(niveaux, echelle_de(gabarit), gabarit.arrondi, activites, Couverture.du_gabarit(gabarit))


def problemes(grille: Grille, calcul: Calcul) -> list[tuple[str, str]]:
    """Ce qui empêche de confirmer la grille : (champ, message), affichés à côté des champs."""
    erreurs = []
    if grille.date_situation is None:
        erreurs.append(("date_situation", "Indiquez la date de la situation d'évaluation."))
    if grille.dossier_non_produit or grille.justificatifs_manquants:
        return erreurs  # note 0 ou NV : la grille n'a pas à être remplie
    if calcul.a_saisir:
        erreurs.append(
            (
                "lignes",
                f"{calcul.a_saisir} compétence{'s' if calcul.a_saisir > 1 else ''} sans niveau : "
                "choisissez un niveau ou « non évalué ».",
            )
        )
    elif calcul.a_completer:
        erreurs.append(
            (
                "lignes",
                "Couverture du bloc insuffisante pour proposer une note : " + " ; ".join(calcul.a_completer) + ".",
            )
        )
    elif calcul.note is None:
        erreurs.append(("lignes", "Au moins une compétence doit être évaluée pour proposer une note."))
    if grille.note_proposee is not None and grille.note_proposee != calcul.note and not grille.justification.strip():
        erreurs.append(
            (
                "justification",
                f"La note proposée ({texte_note('note', grille.note_proposee)}) diffère de la note suggérée "
                f"({texte_note('note', calcul.note) if calcul.note is not None else 'aucune'}) : justifiez l'écart.",
            )
        )
    return erreurs


def avertissements(grille: Grille) -> list[str]:
    """Ce qui mérite l'attention sans bloquer : pièces du dossier non cochées en CCF."""
    if grille.forme != Grille.Forme.CCF:
        return []
    manquantes = [p["libelle"] for p in grille.gabarit.pieces if not grille.pieces.get(p["code"])]
    return [f"Pièce du dossier non cochée : {p}." for p in manquantes]


@dataclass
class LigneAffichee:
    ligne: LigneGabarit
    evaluation: EvaluationCompetence | None
    premiere_de_activite: bool
    indicateurs: list[Indicateur]
    nb_lignes_activite: int

    @property
    def niveau(self) -> str:
        return self.evaluation.niveau if self.evaluation else ""

    @property
    def observation(self) -> str:
        return self.evaluation.observation if self.evaluation else ""


# Les lignes d'un gabarit et les indicateurs de leurs activités ne changent jamais : un gabarit modifié est une
# nouvelle version, chargée comme donnée (gabarits.py), et le référentiel est en lecture seule (referentiel/admin.py).
# Lus une fois par processus et par gabarit : deux requêtes de moins par page de grille, une par enregistrement
# automatique. La clé porte l'empreinte du fichier et le référentiel, pas seulement le numéro du gabarit. Les objets
# gardés ne sont que lus (les pages et le calcul de la note n'y écrivent rien) ; chaque appel reçoit sa propre liste.
_LIGNES: dict[tuple, tuple[list[LigneGabarit], dict[int, list[Indicateur]]]] = {}


def _lignes_et_indicateurs(gabarit: GabaritGrille) -> tuple[list[LigneGabarit], dict[int, list[Indicateur]]]:
    cle = (gabarit.pk, gabarit.empreinte, gabarit.referentiel_id)
    if (lu := _LIGNES.get(cle)) is None:
        lignes = list(
            LigneGabarit.objects.filter(gabarit_id=gabarit.pk).select_related("competence__activite").order_by("ordre")
        )
        activites = {ligne.competence.activite_id for ligne in lignes}
        indicateurs = defaultdict(list)
        for i in Indicateur.objects.filter(activite_id__in=activites).order_by("activite_id", "ordre"):
            indicateurs[i.activite_id].append(i)
        lu = _LIGNES[cle] = (lignes, dict(indicateurs))
    return lu


def lignes_du_gabarit(gabarit: GabaritGrille) -> list[LigneGabarit]:
    """Les lignes du gabarit dans leur ordre, avec compétence et activité (aucune requête après la première)."""
    return list(_lignes_et_indicateurs(gabarit)[0])


def lignes_affichees(
    gabarit: GabaritGrille, evaluations: dict[int, EvaluationCompetence]
) -> tuple[list[LigneGabarit], list[list[LigneAffichee]]]:
    """Les lignes du gabarit groupées par activité, chacune avec les indicateurs de son activité."""
    lignes_lues, indicateurs_lus = _lignes_et_indicateurs(gabarit)
    lignes = list(lignes_lues)
    indicateurs = defaultdict(list, {a: list(liste) for a, liste in indicateurs_lus.items()})
    groupes: list[list[LigneAffichee]] = []
    for ligne in lignes:
        activite_id = ligne.competence.activite_id
        nouvelle = not groupes or groupes[-1][0].ligne.competence.activite_id != activite_id
        if nouvelle:
            groupes.append([])
        groupes[-1].append(LigneAffichee(ligne, evaluations.get(ligne.pk), nouvelle, indicateurs[activite_id], 0))
    for groupe in groupes:
        for la in groupe:
            la.nb_lignes_activite = len(groupe)
    return lignes, groupes


def avec_comptes_de_grilles(commissions: list[Commission]) -> list[Commission]:
    """Pose sur chaque commission `nb_grilles` et `nb_transmises` (transmises ou arrêtées), en une requête groupée.

    Pour les seules commissions d'une page : compter celles des 1 248 commissions d'une session nationale (jointure
    sur 44 280 grilles) avant d'en garder 50 faisait l'essentiel du temps de la liste."""
    comptes = {
        c["commission_id"]: c
        for c in Grille.objects.filter(commission__in=commissions)
        .values("commission_id")
        .annotate(
            nb_grilles=Count("pk"),
            nb_transmises=Count("pk", filter=Q(etat__in=[Grille.Etat.TRANSMISE, Grille.Etat.ARRETEE])),
        )
        .order_by()
    }
    for c in commissions:
        c.nb_grilles = comptes.get(c.pk, {}).get("nb_grilles", 0)
        c.nb_transmises = comptes.get(c.pk, {}).get("nb_transmises", 0)
    return commissions


def _grilles_du_candidat(candidat, epreuve, situation):
    """Sa grille (une au plus : contrainte grille_unique), sans tri (qui joindrait le candidat), et si elle a des
    confirmations : la lecture de grille_existante et de grille_verrouillee."""
    return (
        Grille.objects.filter(candidat_id=candidat, epreuve=epreuve, situation=situation)
        .annotate(a_des_validations=Exists(ValidationGrille.objects.filter(grille=OuterRef("pk"))))
        .order_by()
    )


_GRILLE = RequeteFigee(
    lambda candidat, epreuve, situation: _grilles_du_candidat(candidat, epreuve, situation).select_related(
        "gabarit", "modifiee_par"
    )
)

# Pour l'enregistrement : la ligne de la grille seule, sans jointure (le gabarit est celui de la commission, le
# dernier auteur n'est lu que pour un message de conflit), avec le contexte de ses droits et ses évaluations.
_GRILLE_VERROUILLEE = RequeteFigee(
    lambda candidat, epreuve, situation, session, etablissement, commission, utilisateur: (
        _grilles_du_candidat(candidat, epreuve, situation)
        .annotate(
            # La version de la grille dans l'instantané de la requête (voir grille_verrouillee) ; sans tri, qui
            # joindrait le candidat et sa session.
            _version_instantane=Subquery(Grille.objects.filter(pk=OuterRef("pk")).order_by().values("version")),
            **_annotations_du_contexte(session, etablissement, commission, utilisateur, OuterRef("pk")),
        )
        .select_for_update()
    )
)


def grille_existante(candidat: Candidat, epreuve: str, situation: int) -> Grille | None:
    """La grille du candidat pour cette épreuve et cette situation, avec son gabarit, son dernier auteur et ses
    confirmations. Les confirmations ne sont lues que s'il y en a (le plus souvent, un brouillon n'en a pas)."""
    trouvees = _GRILLE(candidat=candidat.pk, epreuve=epreuve, situation=situation)
    return _avec_confirmations(trouvees[0]) if trouvees else None


def grille_verrouillee(
    user, candidat: Candidat, commission: Commission, situation: int
) -> tuple[Grille | None, _Contexte | None]:
    """SELECT … FOR UPDATE de la grille du candidat dans l'épreuve de la commission, et le contexte de ses droits
    avec ses évaluations, lus par la même requête (une de moins à chaque enregistrement automatique). La grille
    reçoit le gabarit de la commission s'il est le sien (un gabarit ne change jamais : une modification est une
    nouvelle version) ; sinon elle lit le sien.

    Le contexte est None quand il faut le relire après le verrou (droits_et_evaluations). Une requête qui attend un
    verrou garde l'instantané d'avant l'attente : si une autre écriture de la grille a été validée pendant ce temps,
    la ligne verrouillée est la nouvelle, mais les évaluations lues sont celles d'avant. Toute écriture d'une
    évaluation change la version de sa grille, dans la même transaction (saisie.enregistrer_champ) : la version de
    la grille dans l'instantané, égale à celle de la ligne verrouillée, dit que rien n'a été validé entre les deux.
    """
    gabarit = commission.gabarit
    trouvees = _GRILLE_VERROUILLEE(
        candidat=candidat.pk,
        epreuve=gabarit.epreuve,
        situation=situation,
        session=commission.session_id,
        etablissement=commission.etablissement_id,
        commission=commission.pk,
        utilisateur=user.pk or 0,
    )
    if not trouvees:
        return None, None
    grille = _avec_confirmations(trouvees[0])
    if grille.gabarit_id == gabarit.pk:
        grille.gabarit = gabarit
    return grille, _contexte_lu(grille) if grille._version_instantane == grille.version else None


def _avec_confirmations(grille: Grille) -> Grille:
    if grille.a_des_validations:
        prefetch_related_objects([grille], "validations")
    else:
        # Comme un prefetch_related vide : le résultat déjà là. Un none() sans résultat passait encore, à chaque
        # parcours, par le compilateur de Django (un vingtième du processeur d'un enregistrement).
        aucune = ValidationGrille.objects.none()
        aucune._result_cache, aucune._prefetch_done = [], True
        grille._prefetched_objects_cache = {"validations": aucune}
    return grille


@dataclass
class LigneTableau:
    candidat: Candidat
    forme: FormeCandidat
    grilles: list[Grille | None]  # une par situation
    note_unite: str


def tableau_commission(commission: Commission, user=None) -> tuple[list[LigneTableau], dict[str, int], int]:
    """La vue de classe : tous les candidats de la commission, l'état de chaque grille, les notes proposées.

    Quatre requêtes quel que soit le nombre de candidats (modalités, candidats, grilles annotées, lignes). Avec
    `user`, chaque grille dit aussi s'il l'a confirmée (liste de travail du membre, sans requête de plus).
    """
    formes = formes_par_statut(commission)
    candidats = list(candidats_de_commission(commission, formes).order_by("nom", "prenom", "numero"))
    gabarit = commission.gabarit
    annotations = {
        "nb_evaluees": Count("evaluations", filter=~Q(evaluations__niveau=""), distinct=True),
        "nb_confirmations": Count("validations", distinct=True),
    }
    if user is not None:
        annotations["confirme_par_moi"] = Exists(
            ValidationGrille.objects.filter(grille=OuterRef("pk"), membre_id=user.pk)
        )
    grilles = {
        (g.candidat_id, g.situation): g
        for g in Grille.objects.filter(candidat__in=[c.pk for c in candidats], epreuve=gabarit.epreuve).annotate(
            **annotations
        )
    }
    nb_lignes = gabarit.lignes.count()
    lignes, compte = [], defaultdict(int)
    for c in candidats:
        par_situation = [grilles.get((c.pk, s)) for s in range(1, gabarit.situations + 1)]
        for g in par_situation:
            compte[g.etat if g else "a_commencer"] += 1
        notes = [texte_retenu(g) for g in par_situation if g and g.etat in (Grille.Etat.TRANSMISE, Grille.Etat.ARRETEE)]
        note_unite = ""
        if len(notes) == gabarit.situations:
            if gabarit.situations == 1:
                note_unite = notes[0]
            elif "NV" not in notes and all(notes):
                note_unite = texte_note("note", moyenne_situations([Decimal(n.replace(",", ".")) for n in notes]))
        lignes.append(LigneTableau(c, formes[c.statut], par_situation, note_unite))
    return lignes, dict(compte), nb_lignes


# Liste de travail d'un membre : où en est chaque grille pour lui, et la suivante à traiter.
ETAPES_TRAVAIL = {
    "a_commencer": "À commencer",
    "en_cours": "En cours",
    "a_confirmer": "À confirmer par moi",
    "confirmees": "Confirmées",
    "transmises": "Transmises",
}
A_TRAITER = ("a_commencer", "en_cours", "a_confirmer")


@dataclass(frozen=True)
class Travail:
    candidat: Candidat
    situation: int
    etape: str

    @property
    def libelle(self) -> str:
        return ETAPES_TRAVAIL[self.etape]


def etape(grille: Grille | None, nb_lignes: int) -> str:
    """L'étape d'une grille pour le membre qui la regarde (`confirme_par_moi` annoté par liste_de_travail)."""
    if grille is None:
        return "a_commencer"
    if grille.etat in (Grille.Etat.TRANSMISE, Grille.Etat.ARRETEE):
        return "transmises"
    if grille.etat == Grille.Etat.VALIDEE or grille.confirme_par_moi:
        return "confirmees"
    cases = grille.dossier_non_produit or grille.justificatifs_manquants
    complete = grille.date_situation is not None and (cases or grille.nb_evaluees == nb_lignes)
    return "a_confirmer" if complete else "en_cours"


def travaux(lignes: list[LigneTableau], nb_lignes: int) -> tuple[list[Travail], dict[str, int]]:
    """Chaque grille (candidat × situation) du tableau de classe lu avec `user`, son étape, et les comptes."""
    liste = [
        Travail(ligne.candidat, s, etape(g, nb_lignes)) for ligne in lignes for s, g in enumerate(ligne.grilles, 1)
    ]
    compte = dict.fromkeys(ETAPES_TRAVAIL, 0)
    for t in liste:
        compte[t.etape] += 1
    return liste, compte


def liste_de_travail(commission: Commission, user) -> tuple[list[Travail], dict[str, int]]:
    """La liste de travail de `user` dans la commission, dans l'ordre de la classe : quatre requêtes."""
    lignes, _, nb_lignes = tableau_commission(commission, user)
    return travaux(lignes, nb_lignes)


def grille_suivante(commission: Commission, user, candidat_id: int, situation: int) -> Travail | None:
    """La prochaine grille qui attend ce membre après (candidat, situation), en reprenant au début de la classe."""
    travaux, _ = liste_de_travail(commission, user)
    position = next((i for i, t in enumerate(travaux) if (t.candidat.pk, t.situation) == (candidat_id, situation)), -1)
    ordre = travaux[position + 1 :] + travaux[: position + 1]
    return next(
        (t for t in ordre if t.etape in A_TRAITER and (t.candidat.pk, t.situation) != (candidat_id, situation)), None
    )
