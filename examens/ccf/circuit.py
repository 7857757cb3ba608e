"""Le circuit d'une grille, en une machine à états : brouillon → validée → transmise → arrêtée, avec la
réouverture (validée → brouillon) et le renvoi (transmise → brouillon).

Chaque transition passe par `changer_etat` : verrou (session s'il le faut, puis grille), droit, version,
enregistrement, une trace. La transmission et l'arrêt écrivent la note de l'unité par la porte unique
(`services.ecrire_notes`). Ponctuel : un dossier non produit vaut 0, des justificatifs manquants « non valide ».
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from agora.format import nom_utilisateur
from examens.ccf.gabarits import echelle_de
from examens.ccf.lectures import droits, est_membre, note_retenue, problemes, texte_retenu
from examens.ccf.notation import lire_note, moyenne_situations
from examens.ccf.saisie import (
    GrilleIncomplete,
    NonAutorise,
    _calcul_courant,
    _journal,
    _tracer,
    _verrouiller_grille,
)
from examens.models import (
    Candidat,
    Epreuve,
    EvaluationCompetence,
    Grille,
    Note,
    Session,
    ValidationGrille,
    texte_note,
)
from examens.services import (
    OperationRefusee,
    SaisieNote,
    ecrire_notes,
    supprimer_notes,
    verifier_session_ouverte,
)

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
    if grille.etat not in t.depuis or not getattr(
        droits(
            auteur,
            session=session,
            etablissement_id=grille.commission.etablissement_id,
            commission_id=grille.commission_id,
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
        commission_id=grille.commission_id,
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
    _tracer(grille, membre, "confirmation", "grille", "", f"confirmée par {nom_utilisateur(membre)}")
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
