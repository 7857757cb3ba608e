"""Grilles d'évaluation CCF (E31, E32, E2) et des épreuves ponctuelles E31/E32 : de l'indicateur à la note.

Arrêté du 18 février 2020, annexe II c : la commission évalue les compétences du bloc à partir des
indicateurs du référentiel, remplit la grille et propose une note /20 (jamais communiquée au candidat) ;
le jury arrête la note. E2 en CCF : deux situations de poids égal, la note de l'unité est leur moyenne.
Ponctuel : un dossier non produit vaut 0, des justificatifs administratifs manquants « non valide ».

Trois parties : les calculs purs (sans base, testés seuls), le chargement des gabarits versionnés
(fixtures/grilles/*.json), puis les lectures et écritures (transactionnelles, tracées avant → après).
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from agora.format import nom_utilisateur
from examens import regles
from examens.models import (
    Candidat,
    Commission,
    Division,
    Epreuve,
    EvaluationCompetence,
    GabaritGrille,
    Grille,
    HistoriqueGrille,
    LigneGabarit,
    MembreCommission,
    ModaliteEpreuve,
    Mode,
    Note,
    Session,
    ValidationGrille,
    texte_note,
)
from examens.services import (
    OperationRefusee,
    SaisieNote,
    ecrire_notes,
    journaliser,
    jurys_verrouilles,
    supprimer_notes,
    verifier_session_ouverte,
)
from referentiel.chargement import VersionDifferente, empreinte
from referentiel.models import Competence, Indicateur, Referentiel, Unite

DOSSIER = Path(settings.BASE_DIR) / "fixtures" / "grilles"
VINGT = Decimal(20)

# ---------------------------------------------------------------------------------------------------
# Calculs purs : échelle, conversion en note, arrondi, composition, moyenne des situations
# ---------------------------------------------------------------------------------------------------


class ParametresInvalides(Exception):
    """Gabarit incohérent ; args[0] : la liste des messages."""


@dataclass(frozen=True)
class Niveau:
    code: str
    libelle: str
    points: Decimal | None  # None : « non évalué », la ligne sort des deux sommes
    touche: str

    @property
    def evalue(self) -> bool:
        return self.points is not None


@dataclass(frozen=True)
class Echelle:
    niveaux: tuple[Niveau, ...]

    @classmethod
    def depuis_donnees(cls, donnees) -> Echelle:
        """Lit l'échelle d'un gabarit (liste de {code, libelle, points, touche}) ; refuse toute incohérence."""
        erreurs = []
        if not isinstance(donnees, list) or not donnees:
            raise ParametresInvalides(["echelle : une liste de niveaux est attendue"])
        niveaux = []
        for i, d in enumerate(donnees, start=1):
            if not isinstance(d, dict):
                erreurs.append(f"echelle, niveau {i} : un objet {{code, libelle, points, touche}} est attendu")
                continue
            code, libelle, touche = (str(d.get(k, "")).strip() for k in ("code", "libelle", "touche"))
            if not re.fullmatch(r"[A-Za-z0-9_]{1,10}", code):
                erreurs.append(f"echelle, niveau {i} : code {code!r} invalide (1 à 10 lettres ou chiffres)")
            if not libelle:
                erreurs.append(f"echelle, niveau {i} : libellé manquant")
            if len(touche) != 1 or not touche.isalnum():
                erreurs.append(f"echelle, niveau {i} : la touche doit être un seul caractère (chiffre ou lettre)")
            points = d.get("points")
            if points is not None:
                try:
                    points = Decimal(str(points))
                except InvalidOperation:
                    points = None
                    erreurs.append(f"echelle, niveau {i} : points {d.get('points')!r} non numériques")
                else:
                    if not points.is_finite() or points < 0:
                        erreurs.append(f"echelle, niveau {i} : les points doivent être positifs ou nuls")
            niveaux.append(Niveau(code, libelle, points, touche.lower()))
        for attribut, nom in (("code", "code"), ("touche", "touche")):
            valeurs = [getattr(n, attribut) for n in niveaux]
            if doublons := sorted({v for v in valeurs if valeurs.count(v) > 1}):
                erreurs.append(f"echelle : {nom} en double ({', '.join(doublons)})")
        evalues = [n for n in niveaux if n.evalue]
        if len(evalues) < 2:
            erreurs.append("echelle : au moins deux niveaux avec des points sont nécessaires")
        elif max(n.points for n in evalues) <= 0:
            erreurs.append("echelle : le niveau le plus haut doit valoir plus de 0 point")
        if len(niveaux) - len(evalues) > 1:
            erreurs.append("echelle : un seul niveau « non évalué » (points null) est admis")
        if erreurs:
            raise ParametresInvalides(erreurs)
        return cls(tuple(niveaux))

    @property
    def maximum(self) -> Decimal:
        return max(n.points for n in self.niveaux if n.evalue)

    def niveau(self, code: str) -> Niveau | None:
        return next((n for n in self.niveaux if n.code == code), None)


ARRONDIS = {
    GabaritGrille.Arrondi.DEMI_POINT: (Fraction(1, 2), "proche"),
    GabaritGrille.Arrondi.DEMI_POINT_SUPERIEUR: (Fraction(1, 2), "superieur"),
    GabaritGrille.Arrondi.POINT: (Fraction(1), "proche"),
    GabaritGrille.Arrondi.CENTIEME: (Fraction(1, 100), "proche"),
}


def arrondir(valeur: Fraction, arrondi: str) -> Decimal:
    """Arrondit une note exacte au pas du gabarit ; « proche » : la moitié monte (12,25 → 12,5 au demi-point)."""
    pas, sens = ARRONDIS[arrondi]
    unites = valeur / pas
    entier = math.ceil(unites) if sens == "superieur" else math.floor(unites + Fraction(1, 2))
    resultat = entier * pas
    return (Decimal(resultat.numerator) / Decimal(resultat.denominator)).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Calcul:
    """Le calcul de la note suggérée, tel qu'on le montre à la commission."""

    obtenus: Decimal  # somme des points des lignes évaluées
    possibles: Decimal  # points du niveau le plus haut × lignes évaluées
    evaluees: int
    non_evaluees: int  # lignes « non évalué » : hors des deux sommes
    a_saisir: int  # lignes sans niveau choisi
    exacte: Fraction | None
    note: Decimal | None
    arrondi: str
    a_completer: tuple[str, ...] = ()  # ce que la règle de couverture demande encore (alors pas de note)

    @property
    def complet(self) -> bool:
        return self.a_saisir == 0


@dataclass(frozen=True)
class Couverture:
    """Règle de couverture d'un gabarit : ce qu'une grille doit évaluer avant de proposer une note.

    Annexe II c : la commission évalue « les acquis [du candidat] sur la base des compétences et des critères définis
    dans le bloc de compétences » (E31 : bloc 1, activités 1.1 à 1.3 ; E32 : les trois dimensions du pôle 3, activités
    3.1 à 3.3). Une ligne « non évalué » sortant des sommes, une seule compétence évaluée donnerait une note /20 : la
    règle nommée, configurable par gabarit (clé « couverture » du fichier), exige par défaut au moins une compétence
    évaluée par activité du bloc et au moins les deux tiers des compétences [lecture retenue, non confirmée].
    E2 (deux situations) vérifie la couverture des activités sur l'ensemble des deux situations, à la transmission.
    """

    par_activite: int = 1
    part_minimale: Fraction = Fraction(2, 3)

    @classmethod
    def du_gabarit(cls, gabarit: GabaritGrille) -> Couverture:
        donnees = gabarit.couverture or {}
        if not donnees and gabarit.situations > 1:
            return cls(0, Fraction(0))
        return cls(int(donnees.get("par_activite", 1)), Fraction(str(donnees.get("part_minimale", "2/3"))))


def a_completer(activites: list[str], niveaux: list[str], echelle: Echelle, regle: Couverture) -> tuple[str, ...]:
    """Ce qui manque pour respecter la règle de couverture : « activité 1.2 : aucune compétence évaluée »…"""
    evaluees_par_activite: dict[str, int] = {a: 0 for a in activites}
    evaluees = 0
    for activite, code in zip(activites, niveaux, strict=True):
        niveau = echelle.niveau(code) if code else None
        if niveau is not None and niveau.evalue:
            evaluees_par_activite[activite] += 1
            evaluees += 1
    manques = [
        f"activité {a} : {regle.par_activite - n} compétence{'s' if regle.par_activite - n > 1 else ''} à évaluer"
        for a, n in evaluees_par_activite.items()
        if n < regle.par_activite
    ]
    minimum = math.ceil(regle.part_minimale * len(activites))
    if evaluees < minimum:
        reste = minimum - evaluees
        manques.append(
            f"{reste} compétence{'s' if reste > 1 else ''} de plus à évaluer ({minimum} sur {len(activites)} au moins)"
        )
    return tuple(manques)


def suggerer_note(
    niveaux: Iterable[str],
    echelle: Echelle,
    arrondi: str,
    activites: list[str] | None = None,
    couverture: Couverture | None = None,
) -> Calcul:
    """Note /20 suggérée = 20 × Σ points des lignes évaluées / (points maximum × lignes évaluées), arrondie.

    Une ligne « non évalué » sort des deux sommes ; une ligne sans niveau aussi (elle reste à saisir).
    Aucune ligne évaluée, ou une couverture insuffisante (`couverture`, avec l'activité de chaque ligne) : pas de
    note suggérée, et `a_completer` dit ce qui manque.
    """
    niveaux = list(niveaux)
    obtenus, evaluees, non_evaluees, a_saisir = Decimal(0), 0, 0, 0
    for code in niveaux:
        niveau = echelle.niveau(code) if code else None
        if niveau is None:
            a_saisir += 1
        elif not niveau.evalue:
            non_evaluees += 1
        else:
            obtenus += niveau.points
            evaluees += 1
    manques = a_completer(activites, niveaux, echelle, couverture) if couverture and activites is not None else ()
    possibles = echelle.maximum * evaluees
    exacte = Fraction(VINGT) * Fraction(obtenus) / Fraction(possibles) if evaluees and not manques else None
    note = arrondir(exacte, arrondi) if exacte is not None else None
    return Calcul(obtenus, possibles, evaluees, non_evaluees, a_saisir, exacte, note, arrondi, manques)


def nombre(valeur: Decimal | int) -> str:
    """« 27 », « 13,5 » : sans zéros inutiles, virgule décimale."""
    texte = f"{Decimal(valeur).normalize():f}"
    return texte.replace(".", ",")


def texte_fraction(valeur: Fraction) -> str:
    """« = 15 » si la valeur tient en trois décimales, sinon « ≈ 13,889 »."""
    milliemes = valeur * 1000
    if milliemes.denominator == 1:
        return "= " + nombre(Decimal(milliemes.numerator) / 1000)
    approche = Decimal(valeur.numerator) / Decimal(valeur.denominator)
    return "≈ " + f"{approche:.3f}".replace(".", ",")


def expliquer(calcul: Calcul) -> str:
    """« 20 × 27 / 36 = 15 → arrondi au demi-point le plus proche : 15,00 » (avec le détail des lignes)."""
    if calcul.a_completer:
        return "Pas encore de note suggérée — à compléter : " + " ; ".join(calcul.a_completer) + "."
    if calcul.exacte is None:
        return "Aucune compétence évaluée : pas de note suggérée."
    lignes = (
        f"{calcul.evaluees} compétence{'s' if calcul.evaluees > 1 else ''} évaluée{'s' if calcul.evaluees > 1 else ''}"
    )
    if calcul.non_evaluees:
        lignes += f", {calcul.non_evaluees} non évaluée{'s' if calcul.non_evaluees > 1 else ''} (hors calcul)"
    if calcul.a_saisir:
        lignes += f", {calcul.a_saisir} à saisir"
    libelle = GabaritGrille.Arrondi(calcul.arrondi).label
    return (
        f"{lignes} : {nombre(calcul.obtenus)} points sur {nombre(calcul.possibles)} ; "
        f"20 × {nombre(calcul.obtenus)} / {nombre(calcul.possibles)} {texte_fraction(calcul.exacte)} "
        f"→ arrondi {libelle} : {texte_note('note', calcul.note)}"
    )


def composition_admise(qualites: Iterable[str], compositions: list[list[str]]) -> bool:
    """Les qualités des membres (« enseignant », « professionnel ») forment-elles une composition admise ?"""
    return sorted(qualites) in [sorted(c) for c in compositions]


def moyenne_situations(notes: list[Decimal]) -> Decimal:
    """E2 en CCF : deux situations de poids égal, la note de l'unité est leur moyenne exacte (10 et 10,25 → 10,125)."""
    return (sum(notes, Decimal(0)) / len(notes)).quantize(Decimal("0.001"))


def lire_note(texte: str) -> Decimal | None:
    """Note proposée ou arrêtée : « 12 », « 12,5 », « 12.75 » ; vide → None. Lève OperationRefusee."""
    if not texte.strip():
        return None
    try:
        etat, valeur = regles.parser_note(texte)
    except regles.NoteInvalide as e:
        raise OperationRefusee(str(e)) from None
    if etat != regles.Etat.NOTE:
        raise OperationRefusee(
            f"{texte.strip()} : saisir une note de 0 à 20 (ex. 12,5) ; « non valide » se déclare avec la case "
            "« justificatifs manquants »"
        )
    return valeur


def lire_date(texte: str) -> datetime.date | None:
    """« 2026-03-15 » (champ date) ou « 15/03/2026 » ; vide → None."""
    brut = texte.strip()
    if not brut:
        return None
    for format_ in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(brut, format_).date()
        except ValueError:
            continue
    raise OperationRefusee(f"{brut} : date non reconnue (JJ/MM/AAAA)")


# ---------------------------------------------------------------------------------------------------
# Gabarits : fichiers fixtures/grilles/<code>-v<version>.json, lignes générées depuis le référentiel
# ---------------------------------------------------------------------------------------------------

CHAMPS_GABARIT = ("code", "version", "referentiel", "epreuve", "intitule", "echelle", "conversion", "arrondi")
QUALITES = set(MembreCommission.Qualite.values)


def lire_gabarit(donnees: dict) -> dict:
    """Contrôle le contenu d'un fichier de gabarit (sans base) ; lève ParametresInvalides avec tous les messages."""
    if not isinstance(donnees, dict):
        raise ParametresInvalides(["le fichier doit contenir un objet JSON"])
    erreurs = [f"{c} : champ obligatoire" for c in CHAMPS_GABARIT if c not in donnees]
    if erreurs:
        raise ParametresInvalides(erreurs)
    try:
        Echelle.depuis_donnees(donnees["echelle"])
    except ParametresInvalides as e:
        erreurs += e.args[0]
    if not isinstance(donnees["version"], int) or donnees["version"] < 1:
        erreurs.append("version : un entier ≥ 1 est attendu")
    if donnees["conversion"] not in GabaritGrille.Conversion.values:
        erreurs.append(
            f"conversion : {donnees['conversion']!r} inconnue ({', '.join(GabaritGrille.Conversion.values)})"
        )
    if donnees["arrondi"] not in GabaritGrille.Arrondi.values:
        erreurs.append(f"arrondi : {donnees['arrondi']!r} inconnu ({', '.join(GabaritGrille.Arrondi.values)})")
    if donnees.get("situations", 1) not in (1, 2):
        erreurs.append("situations : 1 ou 2")
    formes = donnees.get("formes", ["ccf"])
    if not formes or not set(formes) <= set(Grille.Forme.values):
        erreurs.append(f"formes : une liste parmi {', '.join(Grille.Forme.values)}")
    pieces = donnees.get("pieces", [])
    if not isinstance(pieces, list) or not all(
        isinstance(p, dict) and p.get("code") and p.get("libelle") for p in pieces
    ):
        erreurs.append("pieces : une liste de {code, libelle}")
    couverture = donnees.get("couverture", {})
    try:
        regle = Couverture(
            int(couverture.get("par_activite", 1)), Fraction(str(couverture.get("part_minimale", "2/3")))
        )
        if regle.par_activite < 0 or not 0 <= regle.part_minimale <= 1:
            raise ValueError
    except (AttributeError, TypeError, ValueError, ZeroDivisionError):
        erreurs.append("couverture : {par_activite: entier ≥ 0, part_minimale: fraction entre 0 et 1, ex. « 2/3 »}")
    compositions = donnees.get("compositions", [])
    if not compositions or not all(isinstance(c, list) and c and set(c) <= QUALITES for c in compositions):
        erreurs.append(f"compositions : une liste de listes de qualités parmi {', '.join(sorted(QUALITES))}")
    if erreurs:
        raise ParametresInvalides(erreurs)
    return donnees


@transaction.atomic
def charger_gabarit(chemin: Path) -> tuple[GabaritGrille, bool]:
    """Charge une version de gabarit ; même fichier → rien ne change ; autre contenu, même version → refusé."""
    try:
        donnees = lire_gabarit(json.loads(chemin.read_text(encoding="utf-8")))
    except json.JSONDecodeError as e:
        raise ParametresInvalides([f"{chemin.name} : JSON invalide ({e})"]) from None
    except ParametresInvalides as e:
        raise ParametresInvalides([f"{chemin.name} : {m}" for m in e.args[0]]) from None
    signature = empreinte(chemin)
    existant = GabaritGrille.objects.filter(code=donnees["code"], version=donnees["version"]).first()
    if existant:
        if existant.empreinte != signature:
            raise VersionDifferente(
                f"Le gabarit {existant.code} version {existant.version} déjà chargé diffère de {chemin.name} : "
                "une modification se charge sous un nouveau numéro de version."
            )
        return existant, False
    referentiel = Referentiel.objects.filter(code=donnees["referentiel"]).first()
    if referentiel is None:
        raise ParametresInvalides([f"{chemin.name} : référentiel {donnees['referentiel']} non chargé"])
    unite = Unite.objects.filter(referentiel=referentiel, epreuve=donnees["epreuve"]).first()
    competences = list(Competence.objects.filter(bloc__unites=unite).order_by("bloc__ordre", "ordre") if unite else [])
    if not competences:
        raise ParametresInvalides(
            [f"{chemin.name} : l'épreuve {donnees['epreuve']} n'a aucune compétence dans le référentiel"]
        )
    gabarit = GabaritGrille.objects.create(
        code=donnees["code"],
        version=donnees["version"],
        referentiel=referentiel,
        epreuve=donnees["epreuve"],
        intitule=donnees["intitule"],
        source=donnees.get("source", ""),
        situations=donnees.get("situations", 1),
        formes=donnees.get("formes", ["ccf"]),
        echelle=donnees["echelle"],
        conversion=donnees["conversion"],
        arrondi=donnees["arrondi"],
        pieces=donnees.get("pieces", []),
        compositions=donnees["compositions"],
        composition_texte=donnees.get("composition_texte", ""),
        couverture=donnees.get("couverture", {}),
        empreinte=signature,
    )
    LigneGabarit.objects.bulk_create(
        LigneGabarit(gabarit=gabarit, ordre=i, competence=c) for i, c in enumerate(competences, start=1)
    )
    return gabarit, True


def charger_gabarits(dossier: Path = DOSSIER) -> list[tuple[GabaritGrille, bool]]:
    """Charge tous les fichiers du dossier (idempotent) ; ceux dont le référentiel manque sont ignorés."""
    charges = []
    codes_referentiels = set(Referentiel.objects.values_list("code", flat=True))
    for chemin in sorted(dossier.glob("*.json")):
        donnees = json.loads(chemin.read_text(encoding="utf-8"))
        if isinstance(donnees, dict) and donnees.get("referentiel") not in codes_referentiels:
            continue
        charges.append(charger_gabarit(chemin))
    return charges


def gabarits_actifs(referentiel: Referentiel) -> dict[str, GabaritGrille]:
    """Épreuve → dernière version de son gabarit, chargée depuis les fichiers au premier besoin."""
    if not GabaritGrille.objects.filter(referentiel=referentiel).exists():
        charger_gabarits()
    actifs = {}
    for g in GabaritGrille.objects.filter(referentiel=referentiel).order_by("epreuve", "-version"):
        actifs.setdefault(g.epreuve, g)
    return actifs


def echelle_de(gabarit: GabaritGrille) -> Echelle:
    return Echelle.depuis_donnees(gabarit.echelle)


# ---------------------------------------------------------------------------------------------------
# Lectures : qui est évalué par quelle commission, sous quelle forme ; ce que voit chaque page
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormeCandidat:
    forme: str  # Grille.Forme
    modalite: ModaliteEpreuve


def formes_par_statut(commission: Commission) -> dict[str, FormeCandidat]:
    """Statut → forme de la grille, d'après le règlement : CCF ou ponctuel selon la catégorie du candidat.

    Seules les formes couvertes par le gabarit comptent (E2 : CCF seulement, pour la colonne 3).
    """
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


def candidats_de_commission(commission: Commission, formes: dict[str, FormeCandidat] | None = None):
    formes = formes_par_statut(commission) if formes is None else formes
    return Candidat.objects.filter(
        session_id=commission.session_id, division__commissions=commission, statut__in=list(formes)
    ).select_related("division")


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


def droits(
    user,
    *,
    session: Session,
    etablissement_id: int,
    membres: list[MembreCommission],
    grille: Grille | None,
    candidat: Candidat | None = None,
    epreuve: str = "",
) -> Droits:
    """Ce que l'utilisateur peut faire sur la grille (la visibilité est déjà acquise : sinon 404).

    `candidat` et `epreuve` : ceux de la grille pas encore commencée (grille None), pour l'échéance de saisie.
    """
    d = _droits_du_circuit(user, session=session, etablissement_id=etablissement_id, membres=membres, grille=grille)
    if not (d.modifier or d.confirmer or d.rouvrir or d.transmettre or d.renvoyer):
        return d
    # Échéance de saisie (examens/echeances) : après la date de fermeture, la grille est figée pour qui n'a pas de
    # réouverture ; l'arrêt par le jury reste possible. « Proposition seulement » : la commission peut encore
    # remplir, confirmer et rouvrir la grille, mais sa transmission (qui écrit la note) revient à la division des
    # examens, qui valide ainsi la proposition.
    from examens.echeances import regle as regle_echeance
    from examens.echeances import services as echeances

    if (grille is None and candidat is None) or echeances.exempte(user):
        return d
    regle_session = echeances.regle_de(session.pk, user)
    if not regle_session.echeances:  # une requête, et rien de plus tant que la session n'a pas d'échéance
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


def unite_de_epreuve(session: Session, epreuve: str) -> str:
    """« E31 » → « U31 » dans le règlement de la session."""
    return (
        Epreuve.objects.filter(reglement_id=session.reglement_id, code=epreuve)
        .values_list("unite__code", flat=True)
        .first()
        or epreuve
    )


def _droits_du_circuit(
    user, *, session: Session, etablissement_id: int, membres: list[MembreCommission], grille: Grille | None
) -> Droits:
    membre = est_membre(user, membres)
    admin = user.has_perm("examens.voir_tout")
    etat = grille.etat if grille else Grille.Etat.BROUILLON
    if session.verrouillee:
        return Droits(raison=f"La délibération de la session {session.annee} est verrouillée : la grille est figée.")
    if nom := jurys_verrouilles([session.pk], [etablissement_id]).get((session.pk, etablissement_id)):
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


def lignes_affichees(
    gabarit: GabaritGrille, evaluations: dict[int, EvaluationCompetence]
) -> tuple[list[LigneGabarit], list[list[LigneAffichee]]]:
    """Les lignes du gabarit groupées par activité, chacune avec les indicateurs de son activité (2 requêtes)."""
    lignes = list(gabarit.lignes.select_related("competence__activite").order_by("ordre"))
    activites = {ligne.competence.activite_id for ligne in lignes}
    indicateurs = defaultdict(list)
    for i in Indicateur.objects.filter(activite_id__in=activites).order_by("activite_id", "ordre"):
        indicateurs[i.activite_id].append(i)
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


def grille_existante(candidat: Candidat, epreuve: str, situation: int, verrou: bool = False) -> Grille | None:
    grilles = Grille.objects.filter(candidat=candidat, epreuve=epreuve, situation=situation)
    if verrou:  # la ligne de la grille seulement (modifiee_par est une jointure externe)
        grilles = grilles.select_for_update(of=("self",))
    return grilles.select_related("gabarit", "modifiee_par").prefetch_related("validations").first()


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


# ---------------------------------------------------------------------------------------------------
# Écritures : commissions, enregistrement champ par champ, circuit brouillon → validée → transmise → arrêtée
# ---------------------------------------------------------------------------------------------------


class ConflitVersion(OperationRefusee):
    """La grille a changé depuis que le navigateur l'a lue : rien n'est enregistré (HTTP 409)."""


class ConflitChamp(ConflitVersion):
    """Le même champ a été changé par quelqu'un d'autre (ou dans un autre onglet) : les deux valeurs, pour choisir."""

    def __init__(self, *, champ: str, cle: str, votre: str, enregistree: str, par: str, a: str):
        verbe = "avez" if par.startswith("vous") else "a"
        quand = f" à {a}" if a else ""
        super().__init__(
            f"{par[:1].upper()}{par[1:]} {verbe} changé ce champ{quand} depuis que vous l'avez ouvert : "
            "choisissez la valeur à garder."
        )
        self.champ, self.cle, self.votre, self.enregistree, self.par, self.a = champ, cle, votre, enregistree, par, a


class NonAutorise(OperationRefusee):
    """Action hors des droits de l'utilisateur sur cette grille (HTTP 403)."""


class SaisieInvalide(OperationRefusee):
    """Valeur refusée pour un champ (HTTP 400) ; le message s'affiche à côté du champ."""

    def __init__(self, message: str, champ: str = "", cle: str = ""):
        super().__init__(message)
        self.champ, self.cle = champ, cle


class GrilleIncomplete(OperationRefusee):
    def __init__(self, erreurs: list[tuple[str, str]]):
        super().__init__(" ".join(m for _, m in erreurs))
        self.erreurs = erreurs


_nom = nom_utilisateur


def _tracer(grille: Grille, auteur, action: str, objet: str = "", avant="", apres="", motif: str = "") -> None:
    HistoriqueGrille.objects.create(
        grille=grille,
        auteur=getattr(auteur, "username", "") or "",
        auteur_nom=_nom(auteur),
        action=action,
        objet=objet,
        avant="" if avant is None else str(avant),
        apres="" if apres is None else str(apres),
        motif=motif,
    )


def _journal(grille: Grille, auteur, action: str, avant=None, apres=None, motif: str = "") -> None:
    journaliser(
        action=f"grille.{action}",
        auteur=auteur,
        session=grille.commission.session,
        candidat=grille.candidat,
        objet=f"grille {grille.epreuve} situation {grille.situation}"[:100],
        avant=avant,
        apres=apres,
        motif=motif,
    )


@transaction.atomic
def enregistrer_commission(
    *,
    gabarit: GabaritGrille,
    divisions: list[Division],
    membres: list[tuple[object, str]],
    nom: str = "",
    auteur,
    commission: Commission | None = None,
) -> Commission:
    """Crée ou modifie une commission : divisions d'un même établissement et d'une même session, composition
    admise par le gabarit (E31 : deux enseignants ; E32 : un enseignant et un professionnel, ou deux enseignants).
    """
    if not divisions:
        raise OperationRefusee("Choisissez au moins une division.")
    if len({(d.session_id, d.etablissement_id) for d in divisions}) > 1:
        raise OperationRefusee("Les divisions d'une commission sont d'un même établissement et d'une même session.")
    utilisateurs = [u.pk for u, _ in membres]
    if len(set(utilisateurs)) != len(utilisateurs):
        raise OperationRefusee("Une même personne ne peut siéger qu'une fois, avec une seule qualité.")
    if not composition_admise([q for _, q in membres], gabarit.compositions):
        raise OperationRefusee(f"Composition refusée pour {gabarit.epreuve} : {gabarit.composition_texte}.")
    session = Session.objects.select_related("reglement").get(pk=divisions[0].session_id)
    if session.reglement.referentiel_id != gabarit.referentiel_id:
        raise OperationRefusee("Ce gabarit ne relève pas du référentiel de la session.")
    avant = None
    if commission is None:
        commission = Commission.objects.create(
            session=session, etablissement_id=divisions[0].etablissement_id, gabarit=gabarit, nom=nom.strip()
        )
    else:
        if commission.gabarit.epreuve != gabarit.epreuve or commission.session_id != session.pk:
            raise OperationRefusee("L'épreuve et la session d'une commission ne changent pas.")
        avant = decrire_commission(commission)
        commission.nom = nom.strip()
        commission.etablissement_id = divisions[0].etablissement_id
        commission.save(update_fields=["nom", "etablissement"])
        commission.membres_commission.all().delete()
    commission.divisions.set(divisions)
    MembreCommission.objects.bulk_create(
        MembreCommission(commission=commission, utilisateur=u, qualite=q) for u, q in membres
    )
    journaliser(
        action="commission.creation" if avant is None else "commission.modification",
        auteur=auteur,
        session=session,
        objet=f"commission {commission.pk} {gabarit.epreuve}"[:100],
        avant=avant,
        apres=decrire_commission(commission),
    )
    return commission


def decrire_commission(commission: Commission) -> dict:
    return {
        "epreuve": commission.gabarit.epreuve,
        "nom": commission.nom,
        "divisions": sorted(d.nom for d in commission.divisions.all()),
        "membres": sorted(
            f"{m.utilisateur.username} ({m.qualite})"
            for m in commission.membres_commission.select_related("utilisateur")
        ),
    }


@dataclass
class Enregistrement:
    grille: Grille
    calcul: Calcul
    modifie: bool
    confirmations_annulees: bool = False


CHAMPS_TEXTE = {"appreciation": 5000, "justification": 2000}
CHAMPS_CASE = ("dossier_non_produit", "justificatifs_manquants")


def _case(valeur: str, champ: str) -> bool:
    if valeur not in ("0", "1", "true", "false"):
        raise SaisieInvalide("Valeur attendue : cochée ou non.", champ)
    return valeur in ("1", "true")


def _affichage(champ: str, valeur) -> str:
    if isinstance(valeur, bool):
        return "oui" if valeur else "non"
    if isinstance(valeur, Decimal):
        return texte_note("note", valeur)
    if isinstance(valeur, datetime.date):
        return valeur.strftime("%d/%m/%Y")
    return "" if valeur is None else str(valeur)


@dataclass
class Saisie:
    """Un changement demandé par la page, avec ce qu'il faut pour le juger (lu une fois par enregistrement)."""

    grille: Grille
    champ: str
    valeur: str
    cle: str
    lignes: list[LigneGabarit]
    evaluations: dict[int, EvaluationCompetence]
    echelle: Echelle


# Chaque gestionnaire de champ valide la valeur (SaisieInvalide, à côté du champ), l'applique à la grille (ou à
# l'évaluation de la ligne) et rend (objet de la trace, avant, après). Aucun n'enregistre la grille elle-même.


def _ligne(s: Saisie) -> tuple[LigneGabarit, EvaluationCompetence]:
    ligne = next((x for x in s.lignes if str(x.pk) == str(s.cle)), None)
    if ligne is None:
        raise SaisieInvalide("Compétence inconnue dans cette grille.", s.champ, s.cle)
    return ligne, s.evaluations.get(ligne.pk) or EvaluationCompetence(grille=s.grille, ligne=ligne)


def _sur_la_ligne(s: Saisie, attribut: str, valeur: str) -> tuple[str, str, str]:
    ligne, evaluation = _ligne(s)
    avant = getattr(evaluation, attribut)
    if avant != valeur:
        setattr(evaluation, attribut, valeur)
        evaluation.save()
        s.evaluations[ligne.pk] = evaluation
    return f"compétence {ligne.ordre}", avant, valeur


def _niveau(s: Saisie):
    if s.valeur and s.echelle.niveau(s.valeur) is None:
        _ligne(s)  # une compétence inconnue se signale d'abord
        raise SaisieInvalide(f"Niveau inconnu : {s.valeur}.", s.champ, s.cle)
    return _sur_la_ligne(s, "niveau", s.valeur)


def _observation(s: Saisie):
    if len(s.valeur) > 2000:
        raise SaisieInvalide("L'observation dépasse 2 000 caractères.", s.champ, s.cle)
    return _sur_la_ligne(s, "observation", s.valeur)


def _piece(s: Saisie):
    codes = {p["code"]: p["libelle"] for p in s.grille.gabarit.pieces}
    if s.cle not in codes:
        raise SaisieInvalide("Pièce inconnue pour ce dossier.", s.champ, s.cle)
    avant, apres = bool(s.grille.pieces.get(s.cle)), _case(s.valeur, s.champ)
    s.grille.pieces = {**s.grille.pieces, s.cle: apres}
    return codes[s.cle], avant, apres


def _case_ponctuel(s: Saisie):
    if s.grille.forme != Grille.Forme.PONCTUEL:
        raise SaisieInvalide("Cette case ne concerne que l'épreuve ponctuelle.", s.champ)
    apres = _case(s.valeur, s.champ)
    autre = next(c for c in CHAMPS_CASE if c != s.champ)
    if apres and getattr(s.grille, autre):
        raise SaisieInvalide(
            "« Dossier non produit » (note 0) et « justificatifs manquants » (non valide) s'excluent : "
            "décochez l'autre case d'abord.",
            s.champ,
        )
    avant = getattr(s.grille, s.champ)
    setattr(s.grille, s.champ, apres)
    return "", avant, apres


def _date_situation(s: Saisie):
    try:
        apres = lire_date(s.valeur)
    except OperationRefusee as e:
        raise SaisieInvalide(str(e), s.champ) from None
    annee = s.grille.commission.session.annee
    if apres and not datetime.date(annee - 3, 1, 1) <= apres <= datetime.date(annee, 12, 31):
        raise SaisieInvalide(f"La date doit se situer entre {annee - 3} et {annee}.", s.champ)
    avant, s.grille.date_situation = s.grille.date_situation, apres
    return "", avant, apres


def _note_proposee(s: Saisie):
    try:
        apres = lire_note(s.valeur)
    except OperationRefusee as e:
        raise SaisieInvalide(str(e), s.champ) from None
    avant, s.grille.note_proposee = s.grille.note_proposee, apres
    return "", avant, apres


def _texte(s: Saisie):
    if len(s.valeur) > CHAMPS_TEXTE[s.champ]:
        raise SaisieInvalide(f"Texte trop long ({CHAMPS_TEXTE[s.champ]} caractères au plus).", s.champ)
    avant = getattr(s.grille, s.champ)
    setattr(s.grille, s.champ, s.valeur)
    return "", avant, s.valeur


def valeur_du_champ(s: Saisie) -> str:
    """La valeur enregistrée d'un champ, sous la forme où la page l'envoie (pour la comparer à `origine`)."""
    if s.champ in ("niveau", "observation"):
        ligne = next((x for x in s.lignes if str(x.pk) == str(s.cle)), None)
        evaluation = s.evaluations.get(ligne.pk) if ligne else None
        return getattr(evaluation, s.champ) if evaluation else ""
    if s.champ == "piece":
        return "1" if s.grille.pieces.get(s.cle) else "0"
    if s.champ in CHAMPS_CASE:
        return "1" if getattr(s.grille, s.champ) else "0"
    if s.champ == "date_situation":
        return s.grille.date_situation.strftime("%d/%m/%Y") if s.grille.date_situation else ""
    if s.champ == "note_proposee":
        return texte_note("note", s.grille.note_proposee) if s.grille.note_proposee is not None else ""
    return getattr(s.grille, s.champ)


def forme_canonique(champ: str, texte: str | None) -> str:
    """« 12,5 » et « 12.50 », « 2026-03-12 » et « 12/03/2026 », « true » et « 1 » : la même valeur."""
    texte = texte or ""
    try:
        if champ == "note_proposee":
            note = lire_note(texte)
            return texte_note("note", note) if note is not None else ""
        if champ == "date_situation":
            jour = lire_date(texte)
            return jour.strftime("%d/%m/%Y") if jour else ""
    except OperationRefusee:
        return texte
    if champ == "piece" or champ in CHAMPS_CASE:
        return "1" if texte in ("1", "true") else "0"
    return texte


def _dernier_auteur(s: Saisie, user) -> dict:
    """Qui a changé ce champ en dernier, et quand : « vous, dans un autre onglet » si c'est l'utilisateur."""
    traces = HistoriqueGrille.objects.filter(grille=s.grille, action=s.champ)
    if s.champ in ("niveau", "observation"):
        ligne = next((x for x in s.lignes if str(x.pk) == str(s.cle)), None)
        traces = traces.filter(objet=f"compétence {ligne.ordre}" if ligne else "")
    derniere = traces.order_by("-date", "-id").first()
    if derniere is None:
        return {"par": "un autre membre", "a": ""}
    par = "vous, dans un autre onglet" if derniere.auteur == getattr(user, "username", None) else derniere.auteur_nom
    return {"par": par or "un autre membre", "a": timezone.localtime(derniere.date).strftime("%H:%M")}


GESTIONNAIRES_CHAMPS = {
    "niveau": _niveau,
    "observation": _observation,
    "piece": _piece,
    "date_situation": _date_situation,
    "note_proposee": _note_proposee,
    **dict.fromkeys(CHAMPS_TEXTE, _texte),
    **dict.fromkeys(CHAMPS_CASE, _case_ponctuel),
}
CHAMPS = tuple(GESTIONNAIRES_CHAMPS)


@transaction.atomic
def enregistrer_champ(
    *,
    commission: Commission,
    candidat: Candidat,
    situation: int,
    version: int,
    champ: str,
    valeur: str,
    cle: str = "",
    auteur,
    origine: str | None = None,
) -> Enregistrement:
    """Enregistre un seul changement (un niveau, une observation, la date…) tel qu'il est fait dans la page.

    Contrôle de concurrence champ par champ : `version` est celle que le navigateur a modifiée et `origine` la
    valeur que le champ avait quand il l'a lue. Si la grille a changé depuis mais pas ce champ, le changement est
    enregistré (deux membres peuvent remplir des lignes différentes en même temps) ; si ce champ a changé, rien
    n'est écrit et ConflitChamp porte les deux valeurs. Sans `origine`, toute autre version est un conflit.
    """
    if champ not in CHAMPS:
        raise SaisieInvalide(f"Champ inconnu : {champ}.", champ)
    # Le verrou sur le candidat sérialise aussi la création de sa grille (version 0 → 1).
    Candidat.objects.select_for_update(no_key=True).filter(pk=candidat.pk).first()
    gabarit = commission.gabarit
    if not 1 <= situation <= gabarit.situations:
        raise SaisieInvalide("Situation inconnue pour cette épreuve.", champ)
    # Verrou aussi sur la grille : une confirmation ou une transmission en cours ne peut pas être écrasée.
    grille = grille_existante(candidat, gabarit.epreuve, situation, verrou=True)
    if grille is not None and grille.commission_id != commission.pk:
        raise NonAutorise("Cette grille est tenue par une autre commission.")
    actuelle = grille.version if grille else 0
    if version != actuelle and (origine is None or grille is None):
        raise ConflitVersion(
            f"{_nom(grille.modifiee_par) if grille and grille.modifiee_par else 'Un autre membre'} a modifié cette "
            f"grille{' à ' + grille.modifiee_le.astimezone().strftime('%H:%M') if grille else ''} depuis que vous "
            "l'avez ouverte : votre dernière modification n'a pas été enregistrée. Rechargez la page pour voir "
            "la grille à jour, puis refaites votre modification."
        )
    membres = list(commission.membres_commission.all())
    d = droits(
        auteur,
        session=commission.session,
        etablissement_id=commission.etablissement_id,
        membres=membres,
        grille=grille,
        candidat=candidat,
        epreuve=gabarit.epreuve,
    )
    if not d.modifier:
        raise NonAutorise(d.raison or "Vous ne pouvez pas modifier cette grille.")
    if grille is None:
        forme = formes_par_statut(commission).get(candidat.statut)
        if forme is None:
            raise NonAutorise("Ce candidat n'est pas évalué par cette commission.")
        grille = Grille.objects.create(
            commission=commission,
            candidat=candidat,
            gabarit=gabarit,
            epreuve=gabarit.epreuve,
            situation=situation,
            forme=forme.forme,
            modifiee_par=auteur,
        )
        grille = grille_existante(candidat, gabarit.epreuve, situation)
    grille.commission = commission

    # Lignes et évaluations lues une fois : elles servent au champ modifié puis au calcul de la note.
    lignes = list(grille.gabarit.lignes.select_related("competence__activite").order_by("ordre"))
    evaluations = {e.ligne_id: e for e in grille.evaluations.all()}
    saisie = Saisie(grille, champ, valeur, cle, lignes, evaluations, echelle_de(grille.gabarit))
    if version != actuelle:
        # Fusion champ par champ : la grille a changé depuis la version du navigateur, mais si ce champ-ci vaut
        # encore ce que le navigateur y avait lu (`origine`), personne d'autre ne l'a touché : on enregistre.
        enregistree = valeur_du_champ(saisie)
        if enregistree != forme_canonique(champ, origine):
            raise ConflitChamp(
                champ=champ, cle=cle, votre=valeur, enregistree=enregistree, **_dernier_auteur(saisie, auteur)
            )
    objet, avant, apres = GESTIONNAIRES_CHAMPS[champ](saisie)

    calcul = calcul_de(grille, lignes, evaluations)
    modifie = avant != apres
    annulees = False
    if modifie:
        grille.note_suggeree = calcul.note
        grille.version += 1
        grille.modifiee_par = auteur
        grille.save()
        _tracer(grille, auteur, champ, objet, _affichage(champ, avant), _affichage(champ, apres))
        # Les confirmations ont été lues avec la grille (grille_existante) : rien à relire s'il n'y en a pas.
        confirmes = [v.membre for v in grille.validations.select_related("membre")] if grille.validations.all() else []
        if confirmes:
            # Une confirmation vaut pour le contenu confirmé : toute modification l'annule.
            grille.validations.all().delete()
            annulees = True
            _tracer(
                grille,
                auteur,
                "confirmations",
                "confirmations annulées par la modification",
                ", ".join(_nom(u) for u in confirmes),
                "",
            )
    return Enregistrement(grille, calcul, modifie, annulees)


def _verrouiller_grille(grille: Grille, version: int | None) -> Grille:
    # Seule la ligne de la grille est verrouillée : l'enregistrement champ par champ verrouille le candidat
    # puis la grille, jamais l'inverse, donc pas d'interblocage.
    verrouillee = (
        Grille.objects.select_for_update(of=("self",))
        .select_related("gabarit", "commission__session", "candidat", "modifiee_par")
        .get(pk=grille.pk)
    )
    if version is not None and verrouillee.version != version:
        raise ConflitVersion(
            f"{_nom(verrouillee.modifiee_par) if verrouillee.modifiee_par else 'Quelqu’un'} a modifié la grille "
            "depuis que vous l'avez ouverte : vérifiez-la dans la page rechargée, puis recommencez."
        )
    return verrouillee


def _calcul_courant(grille: Grille) -> Calcul:
    lignes = list(grille.gabarit.lignes.select_related("competence__activite").order_by("ordre"))
    return calcul_de(grille, lignes, {e.ligne_id: e for e in grille.evaluations.all()})


# ---------------------------------------------------------------------------------------------------
# Le circuit d'une grille, en une machine à états : brouillon → validée → transmise → arrêtée, avec la
# réouverture (validée → brouillon) et le renvoi (transmise → brouillon). Chaque transition passe par
# `changer_etat` : verrou (session s'il le faut, puis grille), droit, version, enregistrement, une trace.
# ---------------------------------------------------------------------------------------------------

E = Grille.Etat


@dataclass(frozen=True)
class Transition:
    nom: str  # action du journal : « grille.<nom> »
    depuis: tuple[str, ...]
    vers: str
    droit: str  # attribut de Droits qui l'autorise
    refus: str  # message si l'utilisateur n'a pas ce droit ou si la grille n'est pas dans un état de départ
    session: bool = False  # la note de l'unité change : la session est verrouillée en écriture et doit être ouverte
    motif_requis: str = ""  # message si le motif manque


TRANSITIONS = {
    t.nom: t
    for t in (
        # La validation suit la confirmation du dernier membre (confirmer_grille), qui a déjà vérifié ses droits.
        Transition("validation", (E.BROUILLON,), E.VALIDEE, "confirmer", "Tous les membres doivent confirmer."),
        Transition(
            "reouverture",
            (E.VALIDEE,),
            E.BROUILLON,
            "rouvrir",
            "Seule une grille validée peut être rouverte, par un membre de la commission.",
        ),
        Transition(
            "transmission",
            (E.VALIDEE,),
            E.TRANSMISE,
            "transmettre",
            "Seule une grille validée par toute la commission peut être transmise.",
            session=True,
        ),
        Transition(
            "renvoi",
            (E.TRANSMISE,),
            E.BROUILLON,
            "renvoyer",
            "Seule une grille transmise (et pas encore arrêtée) peut être renvoyée.",
            session=True,
            motif_requis="Le motif du renvoi est obligatoire.",
        ),
        Transition(
            "arret",
            (E.TRANSMISE, E.ARRETEE),
            E.ARRETEE,
            "arreter",
            "Seul le jury arrête la note d'une grille transmise.",
            session=True,
        ),
    )
}


@dataclass
class Trace:
    """Ce qu'une transition laisse dans l'historique de la grille et au journal (par défaut : l'état)."""

    action: str = "etat"
    objet: str = "grille"
    avant: str = ""
    apres: str = ""
    journal_avant: dict | None = None
    journal_apres: dict | None = None


def changer_etat(
    *,
    grille: Grille,
    transition: str,
    auteur,
    motif: str = "",
    version: int | None = None,
    preparer=None,
    conclure=None,
) -> Grille:
    """Applique une transition du circuit : le seul endroit qui change l'état d'une grille.

    `preparer(grille)` modifie la grille avant l'enregistrement et rend les champs à enregistrer en plus ;
    `conclure(grille, etat_avant)` agit après (la note de l'unité) et rend la Trace de la transition.
    """
    t = TRANSITIONS[transition]
    if t.motif_requis and not motif.strip():
        raise OperationRefusee(t.motif_requis)
    session = grille.commission.session
    if t.session:
        session = Session.objects.select_for_update().get(pk=grille.commission.session_id)
        verifier_session_ouverte(session)
    grille = _verrouiller_grille(grille, version)
    membres = list(grille.commission.membres_commission.all())
    if grille.etat not in t.depuis or not getattr(
        droits(
            auteur,
            session=session,
            etablissement_id=grille.commission.etablissement_id,
            membres=membres,
            grille=grille,
        ),
        t.droit,
    ):
        raise NonAutorise(t.refus)
    return _appliquer(grille, t, auteur, motif.strip(), preparer, conclure)


def _appliquer(grille: Grille, t: Transition, auteur, motif: str, preparer=None, conclure=None) -> Grille:
    etat_avant = grille.etat
    champs = preparer(grille) if preparer else []
    grille.etat = t.vers
    grille.version += 1
    grille.modifiee_par = auteur
    grille.save(update_fields=["etat", "version", "modifiee_par", "modifiee_le", *champs])
    trace = (conclure(grille, etat_avant) if conclure else None) or Trace()
    _tracer(
        grille,
        auteur,
        trace.action,
        trace.objet,
        trace.avant or E(etat_avant).label,
        trace.apres or E(t.vers).label,
        motif,
    )
    _journal(
        grille,
        auteur,
        t.nom,
        avant=trace.journal_avant or {"etat": etat_avant},
        apres=trace.journal_apres or {"etat": t.vers},
        motif=motif,
    )
    return grille


@transaction.atomic
def confirmer_grille(*, grille: Grille, version: int, membre) -> Grille:
    """Un membre de la commission confirme la grille avec son propre compte ; tous → validée."""
    grille = _verrouiller_grille(grille, version)
    membres = list(grille.commission.membres_commission.select_related("utilisateur"))
    d = droits(
        membre,
        session=grille.commission.session,
        etablissement_id=grille.commission.etablissement_id,
        membres=membres,
        grille=grille,
    )
    if not d.confirmer:
        if not est_membre(membre, membres):
            raise NonAutorise("Seuls les membres de la commission confirment la grille, chacun avec son compte.")
        raise NonAutorise(d.raison or "Vous avez déjà confirmé cette grille.")
    calcul = _calcul_courant(grille)
    if erreurs := problemes(grille, calcul):
        raise GrilleIncomplete(erreurs)
    ValidationGrille.objects.create(grille=grille, membre=membre)
    _tracer(grille, membre, "confirmation", "grille", "", f"confirmée par {_nom(membre)}")
    _journal(grille, membre, "confirmation", apres={"membre": membre.username, "note": texte_retenu(grille)})
    confirmes = set(grille.validations.values_list("membre_id", flat=True))
    if {m.utilisateur_id for m in membres} <= confirmes:
        return _appliquer(grille, TRANSITIONS["validation"], membre, "")
    grille.version += 1
    grille.modifiee_par = membre
    grille.save(update_fields=["version", "modifiee_par", "modifiee_le"])
    return grille


@transaction.atomic
def rouvrir_grille(*, grille: Grille, version: int, auteur) -> Grille:
    """Une grille validée repasse en brouillon (les confirmations sont annulées)."""

    def preparer(g: Grille) -> list[str]:
        g.validations.all().delete()
        return []

    return changer_etat(grille=grille, transition="reouverture", auteur=auteur, version=version, preparer=preparer)


def _unite_de(grille: Grille) -> str:
    epreuve = Epreuve.objects.select_related("unite").get(
        reglement_id=grille.commission.session.reglement_id, code=grille.epreuve
    )
    return epreuve.unite.code


def _resultat_situation(g: Grille) -> tuple[str, Decimal | None, bool]:
    """(état, valeur, modifiée par le jury ?) d'une situation transmise ou arrêtée."""
    if g.etat == Grille.Etat.ARRETEE and g.note_jury is not None:
        change = g.justificatifs_manquants or g.note_jury != g.note_commission
        return Note.Etat.NOTE, g.note_jury, change
    if g.justificatifs_manquants:
        return Note.Etat.NV, None, False
    return Note.Etat.NOTE, g.note_commission, False


def _couverture_manquante(grilles: list[Grille]) -> list[str]:
    """E2 : activités (sous-blocs 2.1, 2.2, 2.3) qu'aucune des deux situations n'évalue."""
    evaluees = set(
        EvaluationCompetence.objects.filter(grille__in=grilles)
        .exclude(niveau="")
        .exclude(niveau__in=[n.code for n in echelle_de(grilles[0].gabarit).niveaux if not n.evalue])
        .values_list("ligne__competence__activite__code", flat=True)
    )
    toutes = grilles[0].gabarit.lignes.values_list("competence__activite__code", flat=True).distinct()
    return sorted(set(toutes) - evaluees)


def _ecrire_note_unite(grille: Grille, auteur, motif: str = "") -> str | None:
    """Reporte la note de l'unité dans la délibération (origine CCF, ou JURY si le jury l'a changée).

    E2 : seulement quand les deux situations sont transmises ; la note est leur moyenne.
    """
    gabarit = grille.gabarit
    grilles = list(
        Grille.objects.filter(
            candidat_id=grille.candidat_id,
            epreuve=grille.epreuve,
            etat__in=[Grille.Etat.TRANSMISE, Grille.Etat.ARRETEE],
        ).select_related("gabarit")
    )
    if len(grilles) < gabarit.situations:
        return None
    resultats = [_resultat_situation(g) for g in grilles]
    par_jury = any(change for _, _, change in resultats)
    if any(etat == Note.Etat.NV for etat, _, _ in resultats):
        etat, valeur = Note.Etat.NV, None
    else:
        etat, valeur = Note.Etat.NOTE, moyenne_situations([v for _, v, _ in resultats])
    unite = _unite_de(grille)
    ecrire_notes(
        saisies=[
            SaisieNote(
                candidat=Candidat.objects.select_related("session__reglement").get(pk=grille.candidat_id),
                unite=unite,
                etat=etat,
                valeur=valeur,
                origine=Note.Origine.JURY if par_jury else Note.Origine.CCF,
            )
        ],
        auteur=auteur,
        source="jury" if par_jury else "ccf",
        motif=motif,
    )
    return f"{unite} : {texte_note(etat, valeur)}"


@transaction.atomic
def transmettre_grille(*, grille: Grille, version: int, auteur) -> Grille:
    """Grille validée → transmise : figée pour la commission, sa note devient la note proposée de l'unité."""

    def preparer(g: Grille) -> list[str]:
        if g.gabarit.situations > 1:
            autres = list(
                Grille.objects.filter(
                    candidat_id=g.candidat_id, epreuve=g.epreuve, etat__in=[E.TRANSMISE, E.ARRETEE]
                ).exclude(pk=g.pk)
            )
            if len(autres) + 1 == g.gabarit.situations and (manque := _couverture_manquante([g, *autres])):
                raise OperationRefusee(
                    f"Les situations de {g.epreuve} doivent couvrir ensemble toutes les activités du bloc : "
                    f"{', '.join(manque)} n'{'est' if len(manque) == 1 else 'sont'} "
                    f"évaluée{'s' if len(manque) > 1 else ''} dans aucune situation."
                )
        g.note_commission = note_retenue(g)
        return ["note_commission"]

    def conclure(g: Grille, etat_avant: str) -> Trace:
        texte = texte_retenu(g)
        note_unite = _ecrire_note_unite(g, auteur)
        return Trace(
            apres=f"{E.TRANSMISE.label} ({texte})",
            journal_apres={
                "etat": "transmise",
                "note": texte,
                "unite": note_unite or "en attente de l'autre situation",
            },
        )

    return changer_etat(
        grille=grille, transition="transmission", auteur=auteur, version=version, preparer=preparer, conclure=conclure
    )


@transaction.atomic
def renvoyer_grille(*, grille: Grille, motif: str, auteur) -> Grille:
    """Le bureau des examens renvoie une grille transmise à la commission ; la note CCF sort de la délibération."""

    def preparer(g: Grille) -> list[str]:
        supprimer_notes(
            candidat=g.candidat,
            unite=_unite_de(g),
            groupe=1,
            origine=Note.Origine.CCF,
            auteur=auteur,
            source="ccf",
            motif=f"grille renvoyée à la commission : {motif.strip()}",
        )
        g.validations.all().delete()
        g.note_commission = None
        return ["note_commission"]

    return changer_etat(grille=grille, transition="renvoi", auteur=auteur, motif=motif, preparer=preparer)


@transaction.atomic
def arreter_grille(*, grille: Grille, note: str, motif: str, auteur) -> Grille:
    """Le jury arrête la note (D337-88, jury souverain) ; s'il la change, le motif est obligatoire."""
    valeur = lire_note(note)
    textes = {}

    def preparer(g: Grille) -> list[str]:
        if g.justificatifs_manquants:
            # Annexe II c : « le diplôme ne peut pas lui être délivré » ; le jury ne remplace pas NV par une note.
            raise OperationRefusee(
                "Grille « non valide » : le jury ne remplace pas le « non valide » par une note. Si les justificatifs "
                "administratifs sont produits, renvoyez la grille à la commission avec ce motif : elle décoche "
                "« justificatifs manquants » et transmet à nouveau."
            )
        arretee = g.note_commission if valeur is None else valeur
        if arretee != g.note_commission and not motif.strip():
            raise OperationRefusee("Le jury modifie la note proposée : le motif est obligatoire.")
        textes["avant"] = texte_retenu(g)
        g.note_jury = arretee
        g.motif_jury = motif.strip()
        return ["note_jury", "motif_jury"]

    def conclure(g: Grille, etat_avant: str) -> Trace:
        apres = texte_retenu(g)
        return Trace(
            action="arret",
            objet="note arrêtée par le jury",
            avant=textes["avant"],
            apres=apres,
            journal_avant={"etat": etat_avant, "note": textes["avant"]},
            journal_apres={
                "etat": "arretee",
                "note": apres,
                "unite": _ecrire_note_unite(g, auteur, motif=motif.strip()),
            },
        )

    return changer_etat(
        grille=grille, transition="arret", auteur=auteur, motif=motif, preparer=preparer, conclure=conclure
    )
