"""Écritures des jurys : composition, verrouillage et déverrouillage de leur délibération, validation du PV.

Chaque acte vérifie `regles_acces.peut` (qui peut quoi sur ce jury), tient la ligne de la session en
`select_for_update` (les écritures de notes la tiennent aussi : un verrouillage ne se croise jamais avec une
saisie) et laisse une trace au journal.
"""

from django.db import transaction
from django.utils import timezone

from agora.format import nom_utilisateur
from examens import perimetre
from examens.jurys.regles_acces import peut, peut_creer_jury
from examens.models import Candidat, EtablissementJury, Jury, Session
from examens.services import OperationRefusee, journaliser, recalculer_avant_verrou


class ErreurJury(OperationRefusee):
    """Refus à placer à côté d'un champ du formulaire (`champ`)."""

    def __init__(self, message: str, champ: str = ""):
        super().__init__(message)
        self.champ = champ


def candidats_du_jury(jury: Jury):
    """Les candidats de la session du jury inscrits dans l'un de ses établissements."""
    return Candidat.objects.filter(
        session_id=jury.session_id,
        etablissement_id__in=EtablissementJury.objects.filter(jury=jury).values("etablissement_id"),
    )


def _etat(jury: Jury) -> dict:
    return {
        "nom": jury.nom,
        "president": nom_utilisateur(jury.president),
        "membres": sorted(nom_utilisateur(m) for m in jury.membres.all()),
        "etablissements": sorted(e.uai for e in jury.etablissements.all()),
    }


@transaction.atomic
def enregistrer_jury(
    *, session: Session, nom: str, president, membres, etablissements, auteur, jury: Jury | None = None
) -> Jury:
    """Crée ou modifie un jury. Un établissement n'appartient qu'à un jury par session ; la division des examens
    ne rattache que les établissements de ses académies ; un jury verrouillé garde sa composition."""
    session = Session.objects.select_for_update().get(pk=session.pk)
    if jury is None:
        if not peut_creer_jury(auteur):
            raise perimetre.HorsPerimetre("Seule la division des examens organise les jurys.")
    else:
        jury = Jury.objects.select_for_update().get(pk=jury.pk)
        if not peut(auteur, "organiser", jury):
            raise perimetre.HorsPerimetre(f"Jury {jury.nom} : {perimetre.HORS_PERIMETRE}.")
        if jury.verrouille:
            raise OperationRefusee(f"Le jury {jury.nom} est verrouillé : déverrouillez-le pour changer sa composition.")
    nom = nom.strip()
    if not nom:
        raise ErreurJury("Donnez un nom au jury.", "nom")
    if Jury.objects.filter(session=session, nom__iexact=nom).exclude(pk=getattr(jury, "pk", None)).exists():
        raise ErreurJury(f"La session {session.annee} a déjà un jury « {nom} ».", "nom")
    etablissements = list(etablissements)
    if not etablissements:
        raise ErreurJury("Choisissez au moins un établissement.", "etablissements")
    autorises = set(perimetre.etablissements_organisables(auteur).values_list("pk", flat=True))
    if hors := [e for e in etablissements if e.pk not in autorises]:
        raise ErreurJury(f"{hors[0]} : établissement {perimetre.HORS_PERIMETRE}.", "etablissements")
    ailleurs = (
        EtablissementJury.objects.filter(session=session, etablissement__in=etablissements)
        .exclude(jury_id=getattr(jury, "pk", None))
        .select_related("etablissement", "jury")
        .first()
    )
    if ailleurs:
        raise ErreurJury(
            f"{ailleurs.etablissement} relève déjà du jury {ailleurs.jury.nom} : un établissement n'a qu'un jury "
            "par session.",
            "etablissements",
        )
    membres = [m for m in membres if president is None or m.pk != president.pk]
    avant = _etat(jury) if jury else None
    if jury is None:
        jury = Jury.objects.create(session=session, nom=nom, president=president)
    else:
        jury.nom, jury.president = nom, president
        jury.save(update_fields=["nom", "president"])
    jury.membres.set(membres)
    EtablissementJury.objects.filter(jury=jury).exclude(etablissement__in=etablissements).delete()
    deja = set(EtablissementJury.objects.filter(jury=jury).values_list("etablissement_id", flat=True))
    EtablissementJury.objects.bulk_create(
        EtablissementJury(jury=jury, etablissement=e, session=session) for e in etablissements if e.pk not in deja
    )
    journaliser(
        action="jury.creation" if avant is None else "jury.modification",
        auteur=auteur,
        session=session,
        objet=f"jury {jury.nom}",
        avant=avant,
        apres=_etat(jury),
    )
    return jury


@transaction.atomic
def verrouiller_jury(*, jury: Jury, auteur, confirmation: str = "") -> int:
    """Verrouille la délibération d'un jury après avoir recalculé ses candidats dans la même transaction.

    Comme pour la session : si un résultat enregistré diffère du calcul, rien n'est verrouillé et la liste est
    montrée (`ResultatsAChanger`) ; le jury confirme avec le jeton de cette liste. Les autres jurys continuent.
    """
    session = Session.objects.select_for_update().select_related("reglement").get(pk=jury.session_id)
    jury = Jury.objects.select_for_update().get(pk=jury.pk)
    if not peut(auteur, "verrouiller", jury):
        raise OperationRefusee("Seuls le président du jury et la division des examens verrouillent la délibération.")
    if jury.verrouille:
        raise OperationRefusee(f"Le jury {jury.nom} est déjà verrouillé.")
    if session.verrouillee:
        raise OperationRefusee(f"La session {session.annee} est déjà verrouillée.")
    a_ecrire, differences = recalculer_avant_verrou(session, candidats_du_jury(jury), confirmation)
    jury.verrouille, jury.verrouille_le = True, timezone.now()
    jury.save(update_fields=["verrouille", "verrouille_le"])
    journaliser(
        action="jury.verrouillage",
        auteur=auteur,
        session=session,
        objet=f"jury {jury.nom}",
        avant={"verrouille": False},
        apres={"verrouille": True, "resultats_changes": len(a_ecrire)},
        motif="; ".join(str(d) for d in differences[:50]),
    )
    return len(a_ecrire)


@transaction.atomic
def deverrouiller_jury(*, jury: Jury, auteur, motif: str) -> None:
    """Rouvre la délibération d'un jury (division des examens, avec un motif). La validation du procès-verbal
    tombe : ce qui change après doit être revu et validé de nouveau par le président."""
    if not motif.strip():
        raise ErreurJury("Le motif du déverrouillage est obligatoire.", "motif")
    session = Session.objects.select_for_update().get(pk=jury.session_id)
    jury = Jury.objects.select_for_update().get(pk=jury.pk)
    if not peut(auteur, "deverrouiller", jury):
        raise OperationRefusee("Seule la division des examens déverrouille la délibération d'un jury.")
    if not jury.verrouille:
        raise OperationRefusee(f"Le jury {jury.nom} n'est pas verrouillé.")
    avant = {"verrouille": True, "pv_valide_le": jury.pv_valide_le.isoformat() if jury.pv_valide_le else ""}
    jury.verrouille, jury.verrouille_le, jury.pv_valide_par, jury.pv_valide_le = False, None, None, None
    jury.save(update_fields=["verrouille", "verrouille_le", "pv_valide_par", "pv_valide_le"])
    journaliser(
        action="jury.deverrouillage",
        auteur=auteur,
        session=session,
        objet=f"jury {jury.nom}",
        avant=avant,
        apres={"verrouille": False, "pv_valide_le": ""},
        motif=motif.strip(),
    )


@transaction.atomic
def valider_proces_verbal(*, jury: Jury, auteur) -> Jury:
    """Le président valide le procès-verbal de son jury : un acte nommé et daté, imprimé sur le PV.

    Seulement après le verrouillage (le PV ne peut plus changer) ; personne ne valide à la place du président.
    """
    session = Session.objects.select_for_update().get(pk=jury.session_id)
    jury = Jury.objects.select_for_update(of=("self",)).select_related("president").get(pk=jury.pk)
    if not peut(auteur, "valider_pv", jury):
        raise OperationRefusee("Seul le président du jury valide le procès-verbal.")
    if not jury.verrouille:
        raise OperationRefusee("Verrouillez d'abord la délibération : le procès-verbal validé ne doit plus changer.")
    if jury.pv_valide_le:
        raise OperationRefusee(f"Le procès-verbal du jury {jury.nom} est déjà validé.")
    jury.pv_valide_par, jury.pv_valide_le = auteur, timezone.now()
    jury.save(update_fields=["pv_valide_par", "pv_valide_le"])
    journaliser(
        action="jury.validation_pv",
        auteur=auteur,
        session=session,
        objet=f"jury {jury.nom}",
        apres={"pv_valide_le": jury.pv_valide_le.isoformat()},
    )
    return jury
