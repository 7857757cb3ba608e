"""Imports des gestionnaires : candidats et notes, tout ou rien.

Chaque import valide toutes les lignes sous verrou de la session ; une seule ligne invalide et rien n'est
écrit : `ImportRefuse` porte alors la liste des lignes fautives (numéro et raison, en français).

Longueur : la validation d'une ligne, l'aperçu de ce qu'elle changera (avant → après) et les valeurs permises que
reprennent les modèles à télécharger se lisent ensemble ; les séparer ferait diverger l'aperçu de l'import.
"""

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import pycountry
from django.db import transaction

from agora.format import lire_date
from agora.tableaux import TAILLE_MAX, Erreur, FichierInvalide, ImportRefuse, Ligne, lire
from examens import perimetre, regles, resultats, services
from examens.echeances import services as echeances
from examens.identifiants import erreur_uai
from examens.models import (
    Candidat,
    CorrespondanceGA,
    Division,
    Epreuve,
    Etablissement,
    Note,
    Session,
    Statut,
    texte_note,
)

COLONNES_CANDIDATS = [
    "numero_candidat",
    "nom",
    "prenom",
    "date_naissance",
    "uai",
    "statut",
    "forme",
    "lv1",
    "lv2",
    "facultatives",
]
COLONNES_CANDIDATS_FACULTATIVES = [
    "duree_cycle",
    "positionnement_semaines",
    "positionnement_date",
    "titre_dispense",
    "division",
]
COLONNES_NOTES = ["numero_candidat", "unite", "note"]
COLONNES_NOTES_FACULTATIVES = ["groupe", "session_origine", "specialite_origine"]

# Valeurs permises, partagées par la validation et les modèles de fichiers à télécharger (listes déroulantes).
FACULTATIVES_SANS_LANGUE = ("MOBILITE", "EPS")
DUREES_CYCLE = ("2", "3")
GROUPES = ("1", "2")
SPECIALITES_ORIGINE = ("AGORA", "GA")

MOTIF_NUMERO = re.compile(r"^[A-Za-z0-9]{1,20}$")
# Forme globale pour scolaires et apprentis (D337-78) ; le choix de la forme progressive est ouvert aux autres.
STATUTS_FORME_GLOBALE = {
    Statut.SCOLAIRE_PUBLIC,
    Statut.SCOLAIRE_PRIVE_SOUS_CONTRAT,
    Statut.SCOLAIRE_PRIVE_HORS_CONTRAT,
    Statut.APPRENTI_CFA_HABILITE,
    Statut.APPRENTI_CFA_NON_HABILITE,
}


@dataclass
class Bilan:
    """Ce que l'import a fait (ou ferait, en aperçu)."""

    crees: int = 0
    modifies: int = 0
    inchanges: int = 0
    etablissements_crees: list[str] = field(default_factory=list)
    divisions_creees: list[str] = field(default_factory=list)  # « TAGO3 (0750001U) » : à vérifier dans l'aperçu
    session_creee: bool = False
    details: list[str] = field(default_factory=list)  # quelques lignes lisibles pour l'aperçu
    # L'aperçu en tableau : les en-têtes, puis les lignes créées ou modifiées (les inchangées sont seulement comptées).
    colonnes: list[str] = field(default_factory=list)
    lignes: list["LigneApercu"] = field(default_factory=list)

    @property
    def lignes_omises(self) -> int:
        return max(0, self.crees + self.modifies - len(self.lignes))


@dataclass(frozen=True)
class Cellule:
    """Une case de l'aperçu : sa valeur avant l'import (vide pour une création) et après ; `remarque` attire
    l'œil sur ce qui sera créé à côté (« nouvelle division »)."""

    avant: str
    apres: str
    remarque: str = ""

    @property
    def changee(self) -> bool:
        return self.avant != self.apres


@dataclass(frozen=True)
class LigneApercu:
    ligne: int  # numéro dans le fichier (l'en-tête est la ligne 1)
    action: str  # CREATION ou MODIFICATION (une ligne inchangée n'est que comptée)
    cellules: tuple[Cellule, ...]

    @property
    def changees(self) -> list[int]:
        """Rangs des cases qui changent (toutes, pour une création)."""
        return [i for i, c in enumerate(self.cellules) if c.changee]


CREATION, MODIFICATION = "creation", "modification"
APERCU_LIGNES_MAX = 500  # lignes montrées dans l'aperçu ; au-delà, un compte


class _Apercu(Exception):
    """Levée pour annuler la transaction d'un aperçu après avoir tout validé et calculé."""

    def __init__(self, bilan):
        self.bilan = bilan


class _Perime(_Apercu):
    pass


class ApercuPerime(Exception):
    """À la confirmation, l'import ne ferait plus ce que l'aperçu a montré (une note saisie, un autre import entre
    les deux) : rien n'est écrit, `bilan` est le nouvel aperçu à montrer."""

    def __init__(self, bilan: Bilan):
        super().__init__("les données ont changé depuis l'aperçu")
        self.bilan = bilan


def empreinte(bilan: Bilan) -> str:
    """L'empreinte de ce qu'un aperçu montre : comptes, créations d'établissements et de divisions, cases avant →
    après. La confirmation n'écrit que si elle retrouve la même."""
    donnees = [
        bilan.crees,
        bilan.modifies,
        bilan.inchanges,
        bilan.session_creee,
        bilan.etablissements_crees,
        bilan.divisions_creees,
        bilan.colonnes,
        [
            (ligne.ligne, ligne.action, [(c.avant, c.apres, c.remarque) for c in ligne.cellules])
            for ligne in bilan.lignes
        ],
    ]
    return hashlib.sha256(json.dumps(donnees, ensure_ascii=False).encode()).hexdigest()


def _dans_une_transaction(
    fonction, lignes: list[Ligne], annee: int, auteur, apercu: bool, attendu: str | None = None
) -> Bilan:
    """Tout ou rien ; en aperçu, tout est validé et calculé puis la transaction est annulée.

    `attendu` : l'empreinte de l'aperçu confirmé ; si l'import ferait autre chose, tout est annulé (ApercuPerime)."""
    try:
        with transaction.atomic():
            bilan = fonction(lignes, annee, auteur)
            if apercu:
                raise _Apercu(bilan)
            if attendu is not None and empreinte(bilan) != attendu:
                raise _Perime(bilan)
            return bilan
    except _Perime as p:
        raise ApercuPerime(p.bilan) from None
    except _Apercu as a:
        return a.bilan


def _lire(contenu: bytes, nom: str, obligatoires, facultatives, taille_max: int = TAILLE_MAX) -> list[Ligne]:
    try:
        return lire(contenu, nom, obligatoires, facultatives, taille_max)
    except FichierInvalide as e:
        raise ImportRefuse([Erreur(0, str(e))]) from None


def _session_verrouillee(annee: int, creer: bool) -> tuple[Session, bool]:
    """La session de l'année, verrouillée en écriture pour toute la transaction (imports concurrents en file)."""
    session = Session.objects.select_for_update().filter(annee=annee).first()
    if session:
        if session.verrouillee:
            raise ImportRefuse([Erreur(0, f"La délibération de la session {annee} est verrouillée : aucun import.")])
        return session, False
    if not creer:
        raise ImportRefuse([Erreur(0, f"La session {annee} n'existe pas : importez d'abord les candidats.")])
    reglement = services.reglement_pour(annee)
    if reglement is None:
        raise ImportRefuse([Erreur(0, f"Aucun règlement d'examen ne couvre la session {annee}.")])
    return Session.objects.create(annee=annee, reglement=reglement), True


def erreur_date(colonne: str, texte: str) -> str | None:
    """« 31/02/2008 » a le bon format mais n'existe pas : le message le dit, au lieu de redemander JJ/MM/AAAA."""
    if not re.fullmatch(r"\d{2}/\d{2}/\d{4}", texte):
        return f"{colonne} « {texte} » : date JJ/MM/AAAA attendue"
    if lire_date(texte) is None:
        return f"{colonne} « {texte} » : date inexistante"
    return None


def _langue(code: str) -> bool:
    return len(code) == 2 and code.isascii() and code.islower() and pycountry.languages.get(alpha_2=code) is not None


def langues() -> list[str]:
    """Les codes ISO 639-1 que `_langue` accepte, en ordre alphabétique."""
    return sorted(code for langue in pycountry.languages if _langue(code := getattr(langue, "alpha_2", "")))


def unites_du_reglement(reglement) -> dict[str, Epreuve]:
    """Les unités AGOrA d'un règlement (code → épreuve), dans l'ordre du règlement."""
    return {
        e.unite.code: e
        for e in Epreuve.objects.filter(reglement=reglement, unite__isnull=False).select_related("unite")
    }


# ---------------------------------------------------------------------------------------------------
# Candidats
# ---------------------------------------------------------------------------------------------------


def valider_candidat(v: dict[str, str], annee: int) -> tuple[dict, list[str]]:
    """Valide une ligne (ou un formulaire) de candidat ; renvoie (valeurs propres, messages d'erreur).

    Chaque message commence par le nom de la colonne concernée : le formulaire le place à côté du champ.
    """
    erreurs: list[str] = []
    propre: dict = {}
    numero = v.get("numero_candidat", "")
    if not MOTIF_NUMERO.match(numero):
        erreurs.append(f"numero_candidat « {numero} » : 1 à 20 lettres ou chiffres attendus")
    propre["numero"] = numero
    for champ in ("nom", "prenom"):
        valeur = v.get(champ, "")
        if not valeur:
            erreurs.append(f"{champ} obligatoire")
        elif len(valeur) > 100:
            erreurs.append(f"{champ} : 100 caractères au plus")
        elif valeur[0] in "=+-@\t\r":
            erreurs.append(f"{champ} « {valeur[:20]} » : ne peut pas commencer par {valeur[0]!r}")
        propre[champ] = valeur
    naissance = lire_date(v.get("date_naissance", ""))
    if naissance is None:
        erreurs.append(erreur_date("date_naissance", v.get("date_naissance", "")))
    elif not (annee - 80 <= naissance.year <= annee - 12):
        erreurs.append(f"date_naissance {v['date_naissance']} : improbable pour la session {annee}")
    propre["date_naissance"] = naissance
    uai = v.get("uai", "").upper()
    if message := erreur_uai(uai):
        erreurs.append(message)
    propre["uai"] = uai
    statut = v.get("statut", "")
    if statut not in Statut.values:
        erreurs.append(f"statut « {statut} » inconnu (attendu : {', '.join(Statut.values)})")
    propre["statut"] = statut
    forme = v.get("forme", "") or "globale"
    if forme not in Candidat.Forme.values:
        erreurs.append(f"forme « {forme} » : globale ou progressive")
    elif forme == "progressive" and statut in STATUTS_FORME_GLOBALE:
        erreurs.append("forme progressive impossible pour un scolaire ou un apprenti (D337-78 : forme globale)")
    propre["forme"] = forme
    lv1, lv2 = v.get("lv1", "").lower(), v.get("lv2", "").lower()
    for nom, code in (("lv1", lv1), ("lv2", lv2)):
        if not _langue(code):
            erreurs.append(f"{nom} « {code} » : code de langue ISO 639-1 attendu (ex. en, es, de)")
    if lv1 and lv1 == lv2:
        erreurs.append("lv1 et lv2 doivent être deux langues différentes")
    propre["lv1"], propre["lv2"] = lv1, lv2
    facultatives = [f.strip() for f in v.get("facultatives", "").split("|") if f.strip()]
    if len(facultatives) > 2:
        erreurs.append("facultatives : deux unités facultatives au plus")
    for f in facultatives:
        if f in FACULTATIVES_SANS_LANGUE:
            continue
        if f.startswith("LV:"):
            code = f[3:].lower()
            if not _langue(code):
                erreurs.append(f"facultatives « {f} » : code de langue ISO 639-1 attendu après LV:")
            elif code in (lv1, lv2):
                erreurs.append(
                    f"facultatives « {f} » : la langue facultative doit différer de LV1 et LV2 (Annexe II b)"
                )
            continue
        erreurs.append(f"facultatives « {f} » : LV:<code>, MOBILITE ou EPS attendu")
    if len(set(facultatives)) != len(facultatives):
        erreurs.append("facultatives : la même unité est choisie deux fois")
    if sum(f.startswith("LV:") for f in facultatives) > 1:
        erreurs.append("facultatives : une seule langue vivante facultative")
    propre["facultative1"] = facultatives[0] if facultatives else ""
    propre["facultative2"] = facultatives[1] if len(facultatives) > 1 else ""
    duree = v.get("duree_cycle", "") or "3"
    if duree not in DUREES_CYCLE:
        erreurs.append(f"duree_cycle « {duree} » : 2 ou 3 (années)")
    propre["duree_cycle"] = int(duree) if duree in DUREES_CYCLE else 3
    positionnement = v.get("positionnement_semaines", "")
    propre["positionnement_semaines"] = None
    if positionnement:
        try:
            semaines = Decimal(positionnement.replace(",", "."))
            if (
                not semaines.is_finite()
                or semaines < 0
                or semaines > 22
                or semaines != semaines.quantize(Decimal("0.1"))
            ):
                raise InvalidOperation
        except InvalidOperation:
            erreurs.append(f"positionnement_semaines « {positionnement} » : nombre de semaines entre 0 et 22 attendu")
        else:
            minimum = regles.minimum_positionnement_statut(statut)
            if minimum is None:
                erreurs.append(f"positionnement_semaines : sans objet pour le statut {statut} (Annexe III)")
            elif semaines < minimum:
                erreurs.append(
                    f"positionnement_semaines {positionnement} : au moins {minimum} semaines "
                    "pour ce statut (Annexe III)"
                )
            propre["positionnement_semaines"] = semaines
    titre = v.get("titre_dispense", "")
    titres = dict(Candidat._meta.get_field("titre_dispense").choices)
    if titre and titre not in titres:
        erreurs.append(f"titre_dispense « {titre} » inconnu (attendu : {', '.join(titres)})")
    propre["titre_dispense"] = titre if titre in titres else ""
    texte_date = v.get("positionnement_date", "")
    propre["positionnement_date"] = None
    if texte_date:
        if message := erreur_date("positionnement_date", texte_date):
            erreurs.append(message)
        elif not propre["positionnement_semaines"] and not positionnement:
            erreurs.append("positionnement_date : sans objet sans positionnement_semaines")
        else:
            propre["positionnement_date"] = lire_date(texte_date)
    division = v.get("division", "")
    if len(division) > 50:
        erreurs.append("division : 50 caractères au plus")
    propre["division"] = division
    return propre, erreurs


def importer_candidats(
    *,
    contenu: bytes,
    nom_fichier: str,
    annee: int,
    auteur=None,
    apercu: bool = False,
    taille_max: int = TAILLE_MAX,
    attendu: str | None = None,
) -> Bilan:
    lignes = _lire(contenu, nom_fichier, COLONNES_CANDIDATS, COLONNES_CANDIDATS_FACULTATIVES, taille_max)
    return _dans_une_transaction(_importer_candidats, lignes, annee, auteur, apercu, attendu)


def _importer_candidats(lignes: list[Ligne], annee: int, auteur) -> Bilan:
    session, session_creee = _session_verrouillee(annee, creer=True)
    existants = set(Candidat.objects.filter(session=session).values_list("numero", flat=True))
    erreurs, propres, vus = [], [], {}
    for ligne in lignes:
        propre, messages = valider_candidat(ligne.valeurs, annee)
        numero = propre["numero"]
        if numero in existants:
            messages.append(f"numero_candidat {numero} déjà inscrit à la session {annee}")
        elif numero in vus:
            messages.append(f"numero_candidat {numero} en double (déjà ligne {vus[numero]})")
        vus.setdefault(numero, ligne.numero)
        erreurs += [Erreur(ligne.numero, m) for m in messages]
        propres.append(propre)
    etablissements = {e.uai: e for e in Etablissement.objects.filter(uai__in={p["uai"] for p in propres})}
    erreurs += _hors_perimetre_candidats(lignes, propres, etablissements, auteur, session)
    if erreurs:
        raise ImportRefuse(sorted(erreurs, key=lambda e: e.ligne))

    bilan = Bilan(session_creee=session_creee)
    for uai in sorted({p["uai"] for p in propres} - set(etablissements)):
        etablissements[uai] = Etablissement.objects.create(uai=uai, nom=f"Établissement {uai}")
        bilan.etablissements_crees.append(uai)
    divisions = {(d.etablissement_id, d.nom): d for d in Division.objects.filter(session=session)}
    nouvelles_divisions: set[str] = set()
    for p in propres:
        cle = (etablissements[p["uai"]].pk, p["division"])
        if p["division"] and cle not in divisions:
            divisions[cle] = Division.objects.create(
                session=session, etablissement=etablissements[p["uai"]], nom=p["division"]
            )
            bilan.divisions_creees.append(f"{p['division']} ({p['uai']})")
            nouvelles_divisions.add(f"{p['division']}|{p['uai']}")
    bilan.colonnes = COLONNES_APERCU_CANDIDATS
    bilan.lignes = apercu_candidats(
        [ligne.numero for ligne in lignes],
        propres,
        set(bilan.etablissements_crees),
        nouvelles_divisions,
    )
    nouveaux = []
    for p in propres:
        etablissement = etablissements[p.pop("uai")]
        division = divisions.get((etablissement.pk, p.pop("division")))
        nouveaux.append(Candidat(session=session, etablissement=etablissement, division=division, **p))
    Candidat.objects.bulk_create(nouveaux, batch_size=2000)
    # La PFMP (conformité, blocage) dès l'import ; puis un candidat a un résultat dès qu'il existe (« incomplet » tant
    # que ses notes manquent) : ceux que le blocage a déjà fait recalculer ne le sont pas deux fois.
    deja = services.apres_ecriture_candidats([c.pk for c in nouveaux])
    resultats.recalculer(c.pk for c in nouveaux if c.pk not in deja)
    bilan.crees = len(propres)
    services.journaliser(
        action="import.candidats",
        auteur=auteur,
        session=session,
        apres={
            "lignes": len(propres),
            "etablissements_crees": bilan.etablissements_crees,
            **perimetre.mention_systeme(auteur),
        },
    )
    return bilan


COLONNES_APERCU_CANDIDATS = [
    "N° candidat",
    "Nom",
    "Prénom",
    "Naissance",
    "UAI",
    "Division",
    "Statut",
    "Forme",
    "LV1",
    "LV2",
    "Facultatives",
]


def apercu_candidats(
    numeros: list[int], propres: list[dict], etablissements_crees: set[str], divisions_creees: set[str]
) -> list[LigneApercu]:
    """Les lignes de l'aperçu d'un import de candidats : toutes des créations (un numéro déjà inscrit est refusé).

    `divisions_creees` : « NOM|UAI » des divisions que l'import créera, signalées sur chaque ligne concernée.
    """
    lignes = []
    for numero, p in zip(numeros[:APERCU_LIGNES_MAX], propres[:APERCU_LIGNES_MAX], strict=False):
        nouvelle_division = p["division"] and f"{p['division']}|{p['uai']}" in divisions_creees
        valeurs = [
            (p["numero"], ""),
            (p["nom"], ""),
            (p["prenom"], ""),
            (p["date_naissance"].strftime("%d/%m/%Y"), ""),
            (p["uai"], "nouvel établissement" if p["uai"] in etablissements_crees else ""),
            (p["division"], "nouvelle division" if nouvelle_division else ""),
            (Statut(p["statut"]).label, ""),
            (p["forme"], ""),
            (p["lv1"], ""),
            (p["lv2"], ""),
            (", ".join(f for f in (p["facultative1"], p["facultative2"]) if f), ""),
        ]
        lignes.append(LigneApercu(numero, CREATION, tuple(Cellule("", v, r) for v, r in valeurs)))
    return lignes


def _hors_perimetre_candidats(
    lignes: list[Ligne], propres: list[dict], etablissements: dict, auteur, session: Session
) -> list[Erreur]:
    """Une ligne par établissement hors du périmètre d'écriture ; un UAI inconnu n'est créé que par un
    administrateur (ou le système) ; un établissement dont le jury est verrouillé ne reçoit plus de candidat."""
    ecrivables = set(perimetre.etablissements_ecrivables(auteur).values_list("pk", flat=True))
    verrouilles = services.jurys_verrouilles([session.pk], [e.pk for e in etablissements.values()])
    erreurs = []
    for ligne, p in zip(lignes, propres, strict=True):
        if erreur_uai(p["uai"]):
            continue  # déjà signalé par valider_candidat
        etablissement = etablissements.get(p["uai"])
        if etablissement is None:
            if not perimetre.peut_creer_etablissement(auteur):
                erreurs.append(Erreur(ligne.numero, perimetre.message_etablissement_inconnu(p["uai"])))
        elif etablissement.pk not in ecrivables:
            erreurs.append(Erreur(ligne.numero, perimetre.message_etablissement_hors(p["uai"])))
        elif nom_jury := verrouilles.get((session.pk, etablissement.pk)):
            erreurs.append(Erreur(ligne.numero, f"UAI {p['uai']} : {services.message_jury_verrouille(nom_jury)}"))
    return erreurs


# ---------------------------------------------------------------------------------------------------
# Notes
# ---------------------------------------------------------------------------------------------------


def importer_notes(
    *,
    contenu: bytes,
    nom_fichier: str,
    annee: int,
    auteur=None,
    apercu: bool = False,
    taille_max: int = TAILLE_MAX,
    attendu: str | None = None,
) -> Bilan:
    lignes = _lire(contenu, nom_fichier, COLONNES_NOTES, COLONNES_NOTES_FACULTATIVES, taille_max)
    return _dans_une_transaction(_importer_notes, lignes, annee, auteur, apercu, attendu)


def _importer_notes(lignes: list[Ligne], annee: int, auteur) -> Bilan:
    session, _ = _session_verrouillee(annee, creer=False)
    reglement = session.reglement
    # Seuls les candidats que l'auteur peut écrire : un numéro d'un autre établissement est « inconnu ».
    candidats = {
        c.numero: c
        for c in perimetre.candidats_ecrivables(auteur).filter(session=session).select_related("session__reglement")
    }
    epreuves = unites_du_reglement(reglement)
    lu = resultats.reglement_de(reglement)
    contextes: dict[int, dict] = {}
    non_valides = services.non_valides_de(c.pk for c in candidats.values())
    correspondance_ga = {
        c.unite_ga: (c.unite.code if c.unite else None) for c in CorrespondanceGA.objects.filter(reglement=reglement)
    }
    validite = int(reglement.regles.get("validite_notes_conservees_sessions", 5))
    # Le jury verrouillé d'un établissement fige ses candidats : la ligne est refusée, numérotée comme les autres.
    verrouilles = services.jurys_verrouilles([session.pk], {c.etablissement_id for c in candidats.values()})
    premiere_agora = reglement.referentiel.premiere_session

    erreurs, saisies, vus = [], [], {}
    numeros: list[int] = []  # ligne du fichier de chaque saisie
    controle_par_groupe: dict[tuple[str, str], int] = {}
    for ligne in lignes:
        v, messages = ligne.valeurs, []
        numero = v["numero_candidat"]
        candidat = candidats.get(numero)
        if candidat is None:
            messages.append(perimetre.message_candidat_inconnu(numero, annee))
        elif nom_jury := verrouilles.get((session.pk, candidat.etablissement_id)):
            messages.append(f"{numero} : {services.message_jury_verrouille(nom_jury)}")
        groupe_texte = v.get("groupe", "") or "1"
        groupe = int(groupe_texte) if groupe_texte in GROUPES else None
        if groupe is None:
            messages.append(f"groupe « {groupe_texte} » : 1 (premier groupe) ou 2 (épreuve de contrôle)")
        specialite, session_texte = v.get("specialite_origine", "").upper(), v.get("session_origine", "")
        unite_fichier = v["unite"].upper().replace(" ", "")
        unite, origine, session_origine = unite_fichier, Note.Origine.SESSION, None
        if specialite or session_texte:
            if not (specialite and session_texte):
                messages.append("note conservée : session_origine et specialite_origine vont ensemble")
            elif specialite not in SPECIALITES_ORIGINE:
                messages.append(f"specialite_origine « {specialite} » : AGORA ou GA")
            elif not re.fullmatch(r"\d{4}", session_texte):
                messages.append(f"session_origine « {session_texte} » : année sur 4 chiffres attendue")
            else:
                session_origine = int(session_texte)
                if session_origine >= annee:
                    messages.append(
                        f"session_origine {session_origine} : une note conservée vient "
                        f"d'une session antérieure à {annee}"
                    )
                elif annee - session_origine > validite:
                    messages.append(
                        f"session_origine {session_origine} : note de plus de {validite} sessions, "
                        "plus conservable (D337-69)"
                    )
                if specialite == "GA":
                    origine = Note.Origine.CONSERVEE_GA
                    if session_origine > regles.DERNIERE_SESSION_GA:
                        messages.append(
                            f"session_origine {session_origine} : la dernière session Gestion-Administration a eu "
                            f"lieu en {regles.DERNIERE_SESSION_GA} (arrêté du 18 février 2020, article 9)"
                        )
                    if unite_fichier not in correspondance_ga:
                        messages.append(f"unite GA « {unite_fichier} » inconnue (Annexe IV)")
                    elif unite_fichier == "UF":
                        # Annexe IV : l'épreuve facultative de langue vivante de GA va sur l'unité facultative de
                        # langue vivante que le candidat a choisie (UF1 ou UF2).
                        choisie = (
                            regles.unite_langue_facultative(candidat.facultative1, candidat.facultative2)
                            if candidat
                            else None
                        )
                        if candidat and choisie is None:
                            messages.append(
                                "unite GA UF (langue vivante facultative) : le candidat n'a choisi aucune langue "
                                "vivante facultative (facultatives LV:<code>), la note n'a pas où être reportée"
                            )
                        unite = choisie or unite
                    elif correspondance_ga[unite_fichier] is None:
                        messages.append(
                            f"unite GA {unite_fichier} : sans équivalent en AGOrA (Annexe IV), non conservable"
                        )
                    else:
                        unite = correspondance_ga[unite_fichier]
                else:
                    origine = Note.Origine.CONSERVEE_AGORA
                    if session_origine < premiere_agora:
                        messages.append(
                            f"session_origine {session_origine} : la première session AGOrA est {premiere_agora}"
                        )
        if unite not in epreuves and not messages:
            messages.append(f"unite « {unite_fichier} » inconnue ({', '.join(epreuves)})")
        try:
            etat, valeur = regles.parser_note(v["note"])
        except regles.NoteInvalide as e:
            messages.append(f"note {e}")
            etat, valeur = None, None
        if etat is not None and candidat is not None and unite in epreuves and groupe is not None:
            # La règle de toutes les portes (regles.valider_saisie) : même verdict, même message qu'à l'écran.
            if candidat.pk not in contextes:
                contextes[candidat.pk] = resultats.unites_de_saisie(candidat, lu, non_valides.get(candidat.pk, ()))
            try:
                regles.valider_saisie(
                    contextes[candidat.pk][unite],
                    etat,
                    valeur,
                    groupe=groupe,
                    conservee=origine != Note.Origine.SESSION,
                )
            except regles.NoteInvalide as e:
                messages.append(str(e))
        if groupe == 2 and candidat is not None and (epreuve := epreuves.get(unite)) and epreuve.groupe_controle:
            cle = (numero, epreuve.groupe_controle)
            if cle in controle_par_groupe:
                messages.append(
                    f"épreuve de contrôle : une seule unité parmi {epreuve.get_groupe_controle_display()} "
                    f"(déjà ligne {controle_par_groupe[cle]})"
                )
            controle_par_groupe.setdefault(cle, ligne.numero)
        cle = (numero, unite, groupe)
        if cle in vus:
            messages.append(f"note de {numero} en {unite} (groupe {groupe}) en double : déjà ligne {vus[cle]}")
        vus.setdefault(cle, ligne.numero)
        if messages:
            erreurs += [Erreur(ligne.numero, m) for m in messages]
            continue
        numeros.append(ligne.numero)
        saisies.append(
            services.SaisieNote(
                candidat=candidat,
                unite=unite,
                etat=etat,
                valeur=valeur,
                groupe=groupe,
                origine=origine,
                session_origine=session_origine,
                unite_origine=unite_fichier if origine == Note.Origine.CONSERVEE_GA else "",
            )
        )
    # Échéances de saisie : chaque ligne close pour l'auteur est une erreur numérotée, dès l'aperçu (la porte
    # `ecrire_notes` le vérifierait de toute façon, sans numéro de ligne).
    for rang, _, message in echeances.saisies_closes(auteur, saisies, "import"):
        erreurs.append(Erreur(numeros[rang], message))
    if erreurs:
        raise ImportRefuse(sorted(erreurs, key=lambda e: e.ligne))
    existantes = {
        (c, u, g): (e, v, o, so)
        for c, u, g, e, v, o, so in Note.objects.filter(candidat_id__in={s.candidat.pk for s in saisies}).values_list(
            "candidat_id", "unite", "groupe", "etat", "valeur", "origine", "session_origine"
        )
    }
    apercu = apercu_notes(numeros, saisies, existantes)
    colonnes = COLONNES_APERCU_NOTES
    origine_session = _texte_origine(Note.Origine.SESSION, None)
    if all(
        ligne.cellules[-1].apres == origine_session and (ligne.action == CREATION or not ligne.cellules[-1].changee)
        for ligne in apercu
    ):
        # Que des notes passées à cette session, avant comme après : la colonne « Origine » dirait la même chose à
        # chaque ligne ; elle n'est montrée que si une note conservée entre en jeu.
        colonnes = colonnes[:-1]
        apercu = [dataclasses.replace(ligne, cellules=ligne.cellules[:-1]) for ligne in apercu]
    compte = services.ecrire_notes(saisies=saisies, auteur=auteur, source="import")
    services.journaliser(
        action="import.notes",
        auteur=auteur,
        session=session,
        apres={"lignes": len(saisies), **compte, **perimetre.mention_systeme(auteur)},
    )
    return Bilan(
        crees=compte["creees"],
        modifies=compte["modifiees"],
        inchanges=compte["inchangees"],
        colonnes=colonnes,
        lignes=apercu,
    )


COLONNES_APERCU_NOTES = ["N° candidat", "Candidat", "Unité", "Groupe", "Note", "Origine"]


def _texte_origine(origine: str, session_origine: int | None) -> str:
    texte = Note.Origine(origine).label
    return f"{texte}, session {session_origine}" if session_origine else texte


def apercu_notes(
    numeros: list[int], saisies: list, existantes: dict[tuple, tuple], limite: int = APERCU_LIGNES_MAX
) -> list[LigneApercu]:
    """Compare chaque saisie du fichier à la note enregistrée ; une ligne d'aperçu par note créée ou modifiée, au
    plus `limite` (les inchangées sont seulement comptées, par `services.ecrire_notes`).

    `existantes` : (candidat_id, unité, groupe) → (état, valeur, origine, session d'origine). Une note est
    inchangée si son texte, son origine et sa session d'origine le sont : la même règle que la porte
    `services.ecrire_notes`, qui compte ainsi ses notes créées, modifiées, inchangées.
    """
    lignes = []
    for numero, s in zip(numeros, saisies, strict=True):
        if len(lignes) >= limite:
            break
        ancienne = existantes.get((s.candidat.pk, s.unite, s.groupe))
        fixes = [
            Cellule(s.candidat.numero, s.candidat.numero),
            Cellule(*[f"{s.candidat.nom} {s.candidat.prenom}"] * 2),
            Cellule(s.unite, s.unite),
            Cellule(str(s.groupe), str(s.groupe)),
        ]
        apres = [texte_note(s.etat, s.valeur), _texte_origine(s.origine, s.session_origine)]
        if ancienne is None:
            cellules = [Cellule("", c.apres) for c in fixes] + [Cellule("", a) for a in apres]
            action = CREATION
        else:
            avant = [texte_note(ancienne[0], ancienne[1]), _texte_origine(ancienne[2], ancienne[3])]
            cellules = fixes + [Cellule(av, ap) for av, ap in zip(avant, apres, strict=True)]
            if avant == apres:
                continue
            action = MODIFICATION
        lignes.append(LigneApercu(numero, action, tuple(cellules)))
    return lignes
