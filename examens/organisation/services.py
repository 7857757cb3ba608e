"""Écritures de l'organisation du CCF : planifier une division, déplacer un passage, marquer la présence.

Une absence non justifiée écrit « ABS » sur l'unité de l'épreuve par la porte unique des notes
(services.ecrire_notes), session verrouillée en écriture et ouverte, comme toute note ; le résultat du
candidat est recalculé par cette porte. Une absence justifiée ouvre un passage de rattrapage à planifier ; une fois
planifié, la grille CCF du candidat pour cette situation le suit (sa date devient celle du rattrapage).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from agora.format import date_fr, nom_utilisateur
from examens.ccf import lectures
from examens.models import Candidat, Commission, Epreuve, Etablissement, Grille, HistoriqueGrille, Note, Session
from examens.organisation import durees, indisponibilites
from examens.organisation.models import Amenagement, ConformiteDossier, Passage, Situation
from examens.organisation.planificateur import (
    CandidatAPlacer,
    Demande,
    Indisponibilite,
    Occupation,
    Resultat,
    heure,
    planifier,
)
from examens.services import (
    OperationRefusee,
    SaisieNote,
    ecrire_notes,
    journaliser,
    jury_verrouille,
    verifier_session_ouverte,
)

P = Passage.Presence


def minutes(t: datetime.time) -> int:
    return t.hour * 60 + t.minute


def _nom(c: Candidat) -> str:
    return f"{c.nom} {c.prenom}"


@dataclass
class Parametres:
    numero: int
    jours: list[datetime.date]
    debut: int
    fin: int
    dejeuner: tuple[int, int] | None
    pause: int
    salles: list[str]
    duree_ccf: int | None = None  # remplace la durée CCF par défaut de l'épreuve
    limite_secondes: float = 10.0


def duree_candidat(commission: Commission, candidat: Candidat, formes, duree_ccf: int | None = None) -> tuple[int, str]:
    """(minutes réservées, aménagements appliqués en texte) pour ce candidat dans cette commission."""
    forme = formes[candidat.statut]
    epreuve = commission.gabarit.epreuve
    base = (
        duree_ccf
        if (duree_ccf and forme.forme == "ccf")
        else durees.duree_epreuve(epreuve, forme.forme, forme.modalite.duree)
    )
    amenagement = getattr(candidat, "amenagement", None)
    if amenagement is None or not amenagement.accorde:
        return base, ""
    return durees.majorer(base, amenagement.temps_majore), ", ".join(amenagement.libelles())[:300]


def _amenagement(candidat: Candidat) -> Amenagement | None:
    a = getattr(candidat, "amenagement", None)
    return a if a is not None and a.accorde else None


def _occupations(
    commission: Commission, jours, exclus: set[int], candidats: list[int], hors_commission: bool = False
) -> list[Occupation]:
    """Ce qui est déjà pris ces journées-là, hors des passages `exclus` (ceux que l'on replanifie)."""
    membres = list(commission.membres_commission.select_related("utilisateur"))
    ids_membres = {m.utilisateur_id: (m.utilisateur.get_full_name() or m.utilisateur.username) for m in membres}
    passages = (
        Passage.objects.filter(situation__date__in=jours, debut__isnull=False)
        .exclude(pk__in=exclus)
        .exclude(situation__commission=commission if hors_commission else None)
        .select_related("situation__commission__gabarit", "candidat__amenagement")
        .prefetch_related("situation__membres")
    )
    out = []
    for p in passages:
        s, d, f = p.situation, minutes(p.debut), minutes(p.debut) + p.duree
        quoi = f"{s.commission.gabarit.epreuve}"
        for u in s.membres.all():
            if u.pk in ids_membres:
                out.append(Occupation("membre", str(u.pk), s.date, d, f, f"{ids_membres[u.pk]} ({quoi})"))
        if s.salle:
            out.append(Occupation("salle", s.salle, s.date, d, f, f"la salle {s.salle} ({quoi})"))
        a = _amenagement(p.candidat)
        if a and a.accompagnant:
            out.append(Occupation("accompagnant", a.accompagnant, s.date, d, f, a.accompagnant))
        if p.candidat_id in candidats:
            out.append(Occupation("candidat", str(p.candidat_id), s.date, d, f, f"{_nom(p.candidat)} ({quoi})"))
    return out


def _a_planifier(commission: Commission, division, numero: int):
    """Candidats de la division évalués par la commission, sans passage déjà marqué pour cette situation."""
    formes = lectures.formes_par_statut(commission)
    marques = Passage.objects.filter(situation__commission=commission, situation__numero=numero).exclude(
        presence=P.A_MARQUER
    )
    candidats = list(
        lectures.candidats_de_commission(commission, formes)
        .filter(division=division)
        .exclude(pk__in=marques.values("candidat_id"))
        .select_related("amenagement")
        .order_by("nom", "prenom", "numero")
    )
    return formes, candidats


def _verrouiller_planning(commission_id: int) -> None:
    """Un planning à la fois par établissement : deux enseignants qui planifient en même temps liraient les mêmes
    créneaux libres et s'y placeraient tous deux. La ligne de l'établissement sert de verrou de transaction."""
    list(Etablissement.objects.select_for_update(of=("self",)).filter(commissions__pk=commission_id).values_list("pk"))


def _retirer_situations_vides(commission: Commission) -> None:
    Situation.objects.filter(commission=commission, rattrapage=False).annotate(n=Count("passages")).filter(n=0).delete()


@transaction.atomic
def planifier_division(*, commission: Commission, division, parametres: Parametres, auteur) -> Resultat:
    """Propose et enregistre le planning d'une division ; remplace les passages non encore marqués.

    Rien n'est écrit quand le solveur ne trouve pas de planning : l'explication est renvoyée telle quelle.
    """
    if not commission.divisions.filter(pk=division.pk).exists():
        raise OperationRefusee("Cette division n'est pas évaluée par cette commission.")
    _verrouiller_planning(commission.pk)
    if parametres.numero > commission.gabarit.situations:
        raise OperationRefusee(f"L'épreuve {commission.gabarit.epreuve} n'a pas de situation {parametres.numero}.")
    formes, candidats = _a_planifier(commission, division, parametres.numero)
    if not candidats:
        raise OperationRefusee(f"Aucun candidat de {division.nom} n'attend de passage pour cette situation.")
    anciens = Passage.objects.filter(
        situation__commission=commission,
        situation__numero=parametres.numero,
        situation__rattrapage=False,
        candidat__in=candidats,
        presence=P.A_MARQUER,
    )
    exclus = set(anciens.values_list("pk", flat=True))
    jours = sorted(set(parametres.jours))
    indispo = indisponibilites.indisponibilites([c.pk for c in candidats], jours[0], jours[-1]) if jours else {}
    a_placer, textes = [], {}
    for c in candidats:
        duree, texte = duree_candidat(commission, c, formes, parametres.duree_ccf)
        textes[c.pk] = (duree, texte)
        a = _amenagement(c)
        a_placer.append(
            CandidatAPlacer(
                cle=c.pk,
                nom=_nom(c),
                duree=duree,
                salle=a.salle if a else "",
                accompagnant=a.accompagnant if a else "",
                amenage=bool(texte),
                indisponibilites=tuple(Indisponibilite(d, f, m) for d, f, m in sorted(indispo.get(c.pk, []))),
            )
        )
    demande = Demande(
        jours=jours,
        debut=parametres.debut,
        fin=parametres.fin,
        candidats=a_placer,
        salles=parametres.salles,
        dejeuner=parametres.dejeuner,
        pause=parametres.pause,
        occupations=_occupations(commission, jours, exclus, [c.pk for c in candidats]),
        limite_secondes=parametres.limite_secondes,
    )
    resultat = planifier(demande)
    if not resultat.trouve:
        return resultat
    Passage.objects.filter(pk__in=exclus).delete()
    membres = [m.utilisateur_id for m in commission.membres_commission.all()]
    situations = {}
    for cr in resultat.creneaux:
        cle = (cr.jour, cr.salle)
        if cle not in situations:
            s = Situation.objects.create(commission=commission, numero=parametres.numero, date=cr.jour, salle=cr.salle)
            s.membres.set(membres)
            situations[cle] = s
        duree, texte = textes[cr.cle]
        Passage.objects.create(
            situation=situations[cle],
            candidat_id=cr.cle,
            debut=datetime.time(cr.debut // 60, cr.debut % 60),
            duree=duree,
            amenagements=texte,
        )
    _retirer_situations_vides(commission)
    journaliser(
        action="ccf.planification",
        auteur=auteur,
        session=commission.session.annee,
        objet=f"commission {commission.pk} {commission.gabarit.epreuve} {division.nom}"[:100],
        apres={"situation": parametres.numero, "passages": len(resultat.creneaux), "jours": [str(j) for j in jours]},
    )
    return resultat


def conflits(passage: Passage, date: datetime.date, debut: int, salle: str) -> list[str]:
    """Ce qui empêche ce passage d'être à cette date, cette heure, dans cette salle (messages en français)."""
    commission = passage.situation.commission
    fin = debut + passage.duree
    out = []
    for o in _occupations(commission, [date], {passage.pk}, [passage.candidat_id], hors_commission=True):
        if o.debut < fin and debut < o.fin:
            if o.genre == "membre" or (o.genre == "salle" and o.ressource == salle) or o.genre == "candidat":
                out.append(f"{o.libelle} de {heure(o.debut)} à {heure(o.fin)}")
    # Les autres passages de la même commission : les membres y siègent tous.
    for p in (
        Passage.objects.filter(situation__commission=commission, situation__date=date, debut__isnull=False)
        .exclude(pk=passage.pk)
        .select_related("candidat")
    ):
        d = minutes(p.debut)
        if d < fin and debut < d + p.duree:
            texte = f"la commission (passage de {_nom(p.candidat)}) de {heure(d)} à {heure(d + p.duree)}"
            if texte not in out:
                out.append(texte)
    for d, f, motif in indisponibilites.indisponibilites([passage.candidat_id], date, date).get(
        passage.candidat_id, []
    ):
        out.append(f"{_nom(passage.candidat)} en {motif} du {date_fr(d)} au {date_fr(f)}")
    return sorted(set(out))


PAUSE_AFFICHEE = 5  # minutes laissées avant et après un créneau libre proposé au glisser-déposer
LIBRE_MIN = 15  # un trou plus court n'est pas proposé


@dataclass(frozen=True)
class CreneauLibre:
    """Un moment où la commission ne siège pas, entre deux de ses passages d'une journée ou après le dernier :
    une cible où déposer un passage (la durée du passage déposé décide ; le serveur refuse ce qui heurte)."""

    jour: datetime.date
    debut: int
    fin: int | None  # None : jusqu'à la fin de la journée

    @property
    def heure_debut(self) -> str:
        return f"{self.debut // 60:02d}:{self.debut % 60:02d}"

    @property
    def libelle(self) -> str:
        if self.fin is None:
            return f"Libre à partir de {heure(self.debut)}"
        return f"Libre de {heure(self.debut)} à {heure(self.fin)}"


def creneaux_libres(
    passages, journee: tuple[int, int] | None = None, dejeuner: tuple[int, int] | None = None
) -> dict[datetime.date, list[CreneauLibre]]:
    """Par journée, les trous de la commission autour de ses passages datés (toutes salles : elle siège à un
    passage à la fois), une pause laissée de chaque côté. `journee` (début, fin) borne la journée : sans elle, le
    dernier créneau reste ouvert ; `dejeuner` est retiré des trous. Un trou plus court que le plus court des
    passages (et que LIBRE_MIN) n'accueillerait personne : il n'est pas proposé. Lecture seule."""
    passages = list(passages)
    minimum = max(LIBRE_MIN, min((p.duree for p in passages), default=LIBRE_MIN))
    plages: dict[datetime.date, list[tuple[int, int]]] = {}
    for p in passages:
        if p.situation.date is not None and p.debut is not None:
            plages.setdefault(p.situation.date, []).append((minutes(p.debut), minutes(p.debut) + p.duree))
    out = {}
    for jour, liste in plages.items():
        liste.sort()
        trous, fin = [], None
        if journee and journee[0] <= liste[0][0] - PAUSE_AFFICHEE:
            trous.append((journee[0], liste[0][0] - PAUSE_AFFICHEE))
        for d, f in liste:
            if fin is not None:
                trous.append((fin + PAUSE_AFFICHEE, d - PAUSE_AFFICHEE))
            fin = f if fin is None else max(fin, f)
        trous.append((fin + PAUSE_AFFICHEE, journee[1] if journee else None))
        libres = []
        for d, f in trous:
            morceaux = [(d, f)]
            if dejeuner:
                morceaux = [(d, min(f, dejeuner[0]) if f is not None else dejeuner[0]), (max(d, dejeuner[1]), f)]
                morceaux = [(a, b) for a, b in morceaux if a < dejeuner[0] or a >= dejeuner[1]]
            for a, b in morceaux:
                if (b if b is not None else 24 * 60) - a >= minimum:
                    libres.append(CreneauLibre(jour, a, b))
        out[jour] = libres
    return out


@transaction.atomic
def deplacer_passage(*, passage: Passage, date: datetime.date, debut: datetime.time, salle: str, auteur) -> Passage:
    """L'enseignant ajuste un passage : refusé s'il heurte un membre, une salle, le candidat ou sa PFMP."""
    _verrouiller_planning(passage.situation.commission_id)
    passage = (
        Passage.objects.select_for_update()
        .select_related("situation__commission__session", "candidat")
        .get(pk=passage.pk)
    )
    if passage.presence != P.A_MARQUER:
        raise OperationRefusee("Ce passage a déjà eu lieu (présence marquée) : il ne se déplace plus.")
    salle = salle.strip()[:60]
    if not salle:
        raise OperationRefusee("Indiquez la salle.")
    if gene := conflits(passage, date, minutes(debut), salle):
        raise OperationRefusee("Ce créneau est impossible : " + " ; ".join(gene) + ".")
    ancienne = passage.situation
    avant = {"date": str(ancienne.date or ""), "debut": str(passage.debut or ""), "salle": ancienne.salle}
    cible = Situation.objects.filter(
        commission=ancienne.commission, numero=ancienne.numero, rattrapage=ancienne.rattrapage, date=date, salle=salle
    ).first()
    if cible is None:
        cible = Situation.objects.create(
            commission=ancienne.commission,
            numero=ancienne.numero,
            rattrapage=ancienne.rattrapage,
            date=date,
            salle=salle,
        )
        cible.membres.set(
            ancienne.membres.all() or [m.utilisateur_id for m in ancienne.commission.membres_commission.all()]
        )
    passage.situation, passage.debut = cible, debut
    passage.save(update_fields=["situation", "debut"])
    if not ancienne.passages.exists():
        ancienne.delete()
    journaliser(
        action="ccf.passage.deplacement",
        auteur=auteur,
        candidat=passage.candidat,
        objet=f"commission {ancienne.commission.pk} situation {ancienne.numero}"[:100],
        avant=avant,
        apres={"date": str(date), "debut": str(debut), "salle": salle},
    )
    # Ce que la vue dit de la grille, en plus du déplacement ("" : rien à en dire).
    passage.grille_suivie = suivre_rattrapage(passage=passage, auteur=auteur) if cible.rattrapage else ""
    return passage


def suivre_rattrapage(*, passage: Passage, auteur) -> str:
    """La grille suit le rattrapage : la grille CCF du candidat pour cette situation prend la date du passage de
    rattrapage planifié (elle portait celle de la situation manquée, ou aucune).

    Seule une grille en brouillon tenue par cette commission suit, comme une modification de sa date dans la page :
    version incrémentée, trace dans l'historique de la grille, confirmations annulées, ligne au journal. Une grille
    validée, transmise ou arrêtée, ou figée par une délibération verrouillée, ne change pas : la phrase renvoyée le
    dit. Sans grille, rien à suivre : elle sera commencée au rattrapage. Verrous dans l'ordre de
    ccf.saisie.enregistrer_champ (candidat puis grille).
    """
    situation = passage.situation
    commission = situation.commission
    date = situation.date
    if not situation.rattrapage or date is None:
        return ""
    Candidat.objects.select_for_update(no_key=True).filter(pk=passage.candidat_id).first()
    grille = (
        Grille.objects.select_for_update(of=("self",))
        .filter(candidat_id=passage.candidat_id, epreuve=commission.gabarit.epreuve, situation=situation.numero)
        .first()
    )
    if grille is None or grille.commission_id != commission.pk or grille.date_situation == date:
        return ""
    nom = _nom(passage.candidat)
    session = commission.session
    jury = jury_verrouille(session.pk, commission.etablissement_id)
    fige = ""
    if session.verrouillee:
        fige = f"la délibération de la session {session.annee} est verrouillée"
    elif jury:
        fige = f"la délibération du jury {jury} est verrouillée"
    if fige:
        return f"La grille de {nom} est figée ({fige}) : sa date n'a pas suivi le rattrapage."
    if grille.etat != Grille.Etat.BROUILLON:
        return (
            f"La grille de {nom} est {grille.get_etat_display()} : sa date "
            f"({date_fr(grille.date_situation) if grille.date_situation else 'vide'}) n'a pas suivi le rattrapage."
        )
    avant = grille.date_situation
    grille.date_situation, grille.version, grille.modifiee_par = date, grille.version + 1, auteur
    grille.save(update_fields=["date_situation", "version", "modifiee_par", "modifiee_le"])
    motif = f"Rattrapage de l'absence justifiée, situation {situation.numero}"
    trace = {"grille": grille, "auteur": getattr(auteur, "username", "") or "", "auteur_nom": nom_utilisateur(auteur)}
    HistoriqueGrille.objects.create(
        **trace,
        action="date_situation",
        objet="rattrapage planifié",
        avant=date_fr(avant) if avant else "",
        apres=date_fr(date),
        motif=motif,
    )
    confirmes = [nom_utilisateur(v.membre) for v in grille.validations.select_related("membre")]
    if confirmes:
        # Comme toute modification de la grille : une confirmation vaut pour le contenu confirmé.
        grille.validations.all().delete()
        HistoriqueGrille.objects.create(
            **trace,
            action="confirmations",
            objet="confirmations annulées par la modification",
            avant=", ".join(confirmes),
        )
    journaliser(
        action="ccf.grille.rattrapage",
        auteur=auteur,
        session=commission.session.annee,
        candidat=passage.candidat,
        objet=f"grille {grille.epreuve} situation {grille.situation}"[:100],
        avant={"date_situation": str(avant or "")},
        apres={"date_situation": str(date), "passage": passage.pk},
        motif=motif,
    )
    return f"La grille de {nom} prend la date du rattrapage ({date_fr(date)})."


def unite_de(commission: Commission) -> str:
    epreuve = Epreuve.objects.select_related("unite").get(
        reglement_id=commission.session.reglement_id, code=commission.gabarit.epreuve
    )
    return epreuve.unite.code


@transaction.atomic
def marquer_presence(*, passage: Passage, presence: str, motif: str = "", auteur) -> Passage:
    """Présent, absent justifié (un rattrapage s'ouvre) ou absent non justifié (ABS sur l'unité, par la porte)."""
    if presence not in (P.PRESENT, P.ABSENT_JUSTIFIE, P.ABSENT_NON_JUSTIFIE):
        raise OperationRefusee("Choisissez : présent, absent justifié ou absent non justifié.")
    passage = Passage.objects.select_related("situation__commission__gabarit").get(pk=passage.pk)
    commission = passage.situation.commission
    session = Session.objects.select_for_update().get(pk=commission.session_id)
    verifier_session_ouverte(session)
    passage = Passage.objects.select_for_update().select_related("candidat__session__reglement").get(pk=passage.pk)
    if passage.presence != P.A_MARQUER:
        raise OperationRefusee(
            f"La présence de {_nom(passage.candidat)} est déjà marquée ({passage.get_presence_display()}) : "
            "une correction passe par le jury."
        )
    if passage.situation.date is None:
        raise OperationRefusee("Ce passage n'est pas encore planifié : donnez-lui d'abord une date.")
    if presence == P.ABSENT_JUSTIFIE and not motif.strip():
        raise OperationRefusee("Indiquez le justificatif de l'absence (certificat médical, convocation…).")
    passage.presence, passage.motif = presence, motif.strip()
    passage.marque_le, passage.marque_par = timezone.now(), auteur
    passage.save(update_fields=["presence", "motif", "marque_le", "marque_par"])
    apres = {"presence": presence}
    if presence == P.ABSENT_NON_JUSTIFIE:
        unite = unite_de(commission)
        ecrire_notes(
            saisies=[
                SaisieNote(
                    candidat=passage.candidat, unite=unite, etat=Note.Etat.ABS, valeur=None, origine=Note.Origine.CCF
                )
            ],
            auteur=auteur,
            source="ccf",
            motif=f"Absence non justifiée, situation {passage.situation.numero} du {date_fr(passage.situation.date)}",
        )
        apres["note"] = f"ABS {unite}"
    elif presence == P.ABSENT_JUSTIFIE:
        rattrapage = Situation.objects.create(
            commission=commission, numero=passage.situation.numero, rattrapage=True, date=None, salle=""
        )
        rattrapage.membres.set(passage.situation.membres.all())
        Passage.objects.create(
            situation=rattrapage,
            candidat=passage.candidat,
            duree=passage.duree,
            amenagements=passage.amenagements,
            rattrapage_de=passage,
        )
        apres["rattrapage"] = rattrapage.pk
    journaliser(
        action="ccf.presence",
        auteur=auteur,
        candidat=passage.candidat,
        objet=f"commission {commission.pk} {commission.gabarit.epreuve} situation {passage.situation.numero}"[:100],
        avant={"presence": P.A_MARQUER},
        apres=apres,
        motif=passage.motif,
    )
    return passage


def _filtres_comptes(prefixe: str = "") -> dict:
    def q(**k):
        return Q(**{prefixe + cle: v for cle, v in k.items()})

    return {
        "planifies": Count(prefixe + "pk", filter=q(situation__date__isnull=False, presence=P.A_MARQUER)),
        "tenus": Count(prefixe + "pk", filter=q(presence=P.PRESENT)),
        "a_rattraper": Count(prefixe + "pk", filter=q(situation__rattrapage=True, presence=P.A_MARQUER)),
        "absents": Count(prefixe + "pk", filter=q(presence__in=[P.ABSENT_JUSTIFIE, P.ABSENT_NON_JUSTIFIE])),
    }


def tableau_de_bord(commissions) -> list[dict]:
    """Par établissement puis par commission : passages planifiés, tenus, à rattraper, absences (une requête)."""
    lignes = (
        Passage.objects.filter(situation__commission__in=commissions)
        .values(
            "situation__commission_id",
            "situation__commission__etablissement__nom",
            "situation__commission__gabarit__epreuve",
            "situation__commission__nom",
            "situation__commission__session__annee",
        )
        .annotate(**_filtres_comptes())
        .order_by(
            "situation__commission__etablissement__nom",
            "situation__commission__session__annee",
            "situation__commission__gabarit__epreuve",
            "situation__commission_id",
        )
    )
    etablissements: dict[str, dict] = {}
    for ligne in lignes:
        nom = ligne["situation__commission__etablissement__nom"]
        bloc = etablissements.setdefault(
            nom,
            {
                "nom": nom,
                "commissions": [],
                "total": dict.fromkeys(("planifies", "tenus", "a_rattraper", "absents"), 0),
            },
        )
        compte = {k: ligne[k] for k in bloc["total"]}
        for k, v in compte.items():
            bloc["total"][k] += v
        bloc["commissions"].append(
            {
                "pk": ligne["situation__commission_id"],
                "libelle": " · ".join(
                    x
                    for x in (ligne["situation__commission__gabarit__epreuve"], ligne["situation__commission__nom"])
                    if x
                ),
                "session": ligne["situation__commission__session__annee"],
                **compte,
            }
        )
    return list(etablissements.values())


def comptes(commission: Commission) -> dict[str, int]:
    """Passages planifiés (datés, pas encore tenus), tenus (présence marquée), à rattraper, absences."""
    return Passage.objects.filter(situation__commission=commission).aggregate(**_filtres_comptes())


@transaction.atomic
def enregistrer_conformite(
    *, commission: Commission, candidat: Candidat, conforme: bool, date: datetime.date | None, observation: str, auteur
) -> ConformiteDossier:
    """La vérification du dossier avant l'épreuve : conforme ou non, à quelle date, avec une observation."""
    if conforme and date is None:
        raise OperationRefusee("Indiquez la date de la vérification du dossier.")
    if date is not None and date > timezone.localdate():
        raise OperationRefusee("La date de vérification ne peut pas être dans le futur.")
    fiche, _ = ConformiteDossier.objects.select_for_update().get_or_create(commission=commission, candidat=candidat)
    avant = {"conforme": fiche.conforme, "date": str(fiche.date or ""), "observation": fiche.observation}
    fiche.conforme, fiche.date, fiche.observation, fiche.verifie_par = conforme, date, observation.strip()[:300], auteur
    fiche.save()
    journaliser(
        action="ccf.conformite",
        auteur=auteur,
        candidat=candidat,
        objet=f"dossier {commission.gabarit.epreuve}",
        avant=avant,
        apres={"conforme": conforme, "date": str(date or ""), "observation": fiche.observation},
    )
    return fiche
