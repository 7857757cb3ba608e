"""Les écritures sur les comptes : création, modification (rôles, périmètre), activation, mot de passe.

Chaque écriture est journalisée avec l'état avant → après des seuls champs changés (jamais un mot de passe), sous
l'action « compte.… » et l'objet = identifiant du compte : le journal se réfère au compte par son identifiant, qui ne
change donc plus après la création, et un compte n'est jamais supprimé (on le désactive).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from agora import roles as roles_agora
from agora.format import pluriel
from examens.models import Academie, Division, Etablissement, Jury
from examens.services import OperationRefusee, journaliser

# Libellé français de chaque rôle. Les rôles eux-mêmes sont lus dans agora.roles.ROLES à chaque appel : un rôle
# ajouté là (gestionnaire académique, jury…) apparaît ici sans autre changement, sous son nom de code à défaut de
# libellé.
LIBELLES = {
    "enseignant": "Enseignant",
    "gestionnaire": "Gestionnaire",
    "administrateur": "Administrateur",
    "gestionnaire_academique": "Gestionnaire académique",
    "jury": "Jury",
}


def roles() -> tuple[str, ...]:
    return tuple(roles_agora.ROLES)


def libelle_role(role: str) -> str:
    return LIBELLES.get(role, role.replace("_", " ").capitalize())


class CompteRefuse(OperationRefusee):
    """Écriture refusée ; `champ` : le champ du formulaire à côté duquel afficher le message. Rien n'est écrit."""

    def __init__(self, message: str, champ: str | None = None):
        super().__init__(message)
        self.champ = champ


# ------------------------------------------------------------------------------------------- périmètres


@dataclass(frozen=True)
class Perimetre:
    """Une sorte de périmètre qu'un administrateur attribue à un compte : une relation plusieurs-à-plusieurs entre
    le compte et des objets du domaine.

    Ajouter une sorte de périmètre (académies d'un gestionnaire académique, jurys…) = une ligne dans PERIMETRES
    ci-dessous ; le formulaire (un champ par descripteur), la liste des comptes (résumé), le journal (ajouts et
    retraits) et la fiche du compte la reprennent sans autre changement. La règle de ce que ce périmètre ouvre
    reste dans examens/perimetre.py.
    """

    cle: str  # nom du champ de formulaire
    libelle: str  # « Établissements gérés »
    modele: type[Model]
    relation: str  # nom de la relation inverse sur le compte (related_name), et clé du journal
    texte: Callable[[Model], str]  # l'objet tel qu'écrit au journal et dans la liste
    groupe: Callable[[Model], str]  # l'intitulé du groupe de cases à cocher (« Session 2026 — Lycée X »)
    resume: Callable[[list[Model]], str]  # « 2 établissements gérés », « TAGO1, TAGO2 »
    select_related: tuple[str, ...] = ()
    ordre: tuple[str, ...] = ()  # l'ordre des cases, qui doit suivre `groupe`

    def objets(self, compte) -> list[Model]:
        qs = getattr(compte, self.relation).all()
        return list(qs.select_related(*self.select_related) if self.select_related else qs)

    def choix(self):
        qs = self.modele.objects.select_related(*self.select_related) if self.select_related else self.modele.objects
        return qs.order_by(*self.ordre) if self.ordre else qs.all()


def _resume_divisions(divisions) -> str:
    noms = sorted({d.nom for d in divisions})
    return ", ".join(noms[:4]) + (f" et {len(noms) - 4} autres" if len(noms) > 4 else "")


PERIMETRES = (
    Perimetre(
        cle="etablissements",
        libelle="Établissements gérés",
        modele=Etablissement,
        relation="etablissements_geres",
        texte=lambda e: f"{e.nom} ({e.uai})",
        groupe=lambda e: "",
        resume=lambda objets: pluriel(len(objets), "établissement géré") if objets else "",
    ),
    Perimetre(
        cle="divisions",
        libelle="Divisions enseignées",
        modele=Division,
        relation="divisions_enseignees",
        texte=lambda d: f"{d.nom} ({d.etablissement.nom}, session {d.session.annee})",
        groupe=lambda d: f"Session {d.session.annee} — {d.etablissement.nom}",
        resume=_resume_divisions,
        select_related=("session", "etablissement"),
        ordre=("-session__annee", "etablissement__nom", "nom"),
    ),
    Perimetre(
        cle="academies",
        libelle="Académies gérées (gestionnaire académique)",
        modele=Academie,
        relation="academies_gerees",
        texte=lambda a: a.nom,
        groupe=lambda a: "",
        resume=lambda objets: ", ".join(f"académie de {a.nom}" for a in objets),
        ordre=("nom",),
    ),
    # Les jurys où le compte siège comme membre ; la présidence se choisit sur la page du jury.
    Perimetre(
        cle="jurys",
        libelle="Jurys (membre)",
        modele=Jury,
        relation="jurys",
        texte=lambda j: f"jury {j.nom} (session {j.session.annee})",
        groupe=lambda j: f"Session {j.session.annee}",
        resume=lambda objets: ", ".join(f"jury {j.nom}" for j in objets),
        select_related=("session",),
        ordre=("-session__annee", "nom"),
    ),
)


# ------------------------------------------------------------------------------------------- état et journal


def etat(compte) -> dict:
    """L'état journalisé d'un compte : ce qu'un administrateur change (jamais le mot de passe)."""
    return {
        "prenom": compte.first_name,
        "nom": compte.last_name,
        "email": compte.email,
        "roles": sorted(compte.groups.filter(name__in=roles()).values_list("name", flat=True)),
        "actif": compte.is_active,
        # Sous le nom de la relation (« divisions_enseignees ») : « divisions » seul désigne autre chose au journal
        # (les divisions d'une commission).
        **{p.relation: sorted(p.texte(o) for o in p.objets(compte)) for p in PERIMETRES},
    }


def _differences(avant: dict, apres: dict) -> tuple[dict, dict]:
    cles = [k for k in apres if avant.get(k) != apres[k]]
    return {k: avant.get(k) for k in cles}, {k: apres[k] for k in cles}


def _objet(compte) -> str:
    # Journal.objet a 100 caractères, un identifiant Django jusqu'à 150 : on coupe de la même façon pour écrire et
    # pour relire l'historique.
    return compte.username[:100]


def _journaliser(action: str, auteur, compte, avant=None, apres=None) -> None:
    journaliser(action=action, auteur=auteur, objet=_objet(compte), avant=avant, apres=apres)


def historique(compte):
    """Les entrées du journal de ce compte, la plus récente d'abord."""
    from examens.models import Journal

    return Journal.objects.filter(action__startswith="compte.", objet=_objet(compte))


# ------------------------------------------------------------------------------------------- écritures


def _groupes(noms) -> list[Group]:
    inconnus = set(noms) - set(roles())
    if inconnus:
        raise CompteRefuse(f"Rôle inconnu : {', '.join(sorted(inconnus))}.", champ="roles")
    # get_or_create : un rôle ajouté à agora.roles avant le prochain `migrate` a déjà son groupe.
    return [Group.objects.get_or_create(name=nom)[0] for nom in noms]


def _appliquer(compte, *, prenom, nom, email, roles_choisis, perimetres) -> None:
    compte.first_name, compte.last_name, compte.email = prenom.strip(), nom.strip(), email.strip()
    compte.save()
    # Seuls les groupes qui sont des rôles sont remplacés : un autre groupe posé par l'administration Django reste.
    autres = list(compte.groups.exclude(name__in=roles()))
    compte.groups.set([*autres, *_groupes(roles_choisis)])
    for p in PERIMETRES:
        if p.cle in perimetres:
            getattr(compte, p.relation).set(perimetres[p.cle])


def verifier_mot_de_passe(mot_de_passe: str, compte) -> None:
    """Les règles de AUTH_PASSWORD_VALIDATORS (longueur, mots courants, identifiant ou nom du compte…)."""
    try:
        password_validation.validate_password(mot_de_passe, compte)
    except ValidationError as e:
        raise CompteRefuse(" ".join(e.messages), champ="mot_de_passe") from e


@transaction.atomic
def creer_compte(
    *,
    auteur,
    identifiant: str,
    prenom: str,
    nom: str,
    email: str,
    roles_choisis,
    perimetres: dict,
    mot_de_passe: str = "",
    url_lien: str | None = None,
):
    """Crée le compte. Sans mot de passe, il n'en a aucun utilisable tant que son titulaire ne l'a pas choisi
    par le lien envoyé (`envoyer_lien`, appelé ici si `url_lien`, l'adresse du site, est donnée : dans la même
    transaction, un envoi impossible n'a pas créé le compte)."""
    User = get_user_model()
    identifiant = identifiant.strip()
    # Insensible à la casse : « PMartin » et « pmartin » seraient deux comptes pour une même personne.
    if User.objects.filter(username__iexact=identifiant).exists():
        raise CompteRefuse(f"L'identifiant « {identifiant} » est déjà pris : choisissez-en un autre.", "identifiant")
    compte = User(username=identifiant, first_name=prenom.strip(), last_name=nom.strip(), email=email.strip())
    if mot_de_passe:
        verifier_mot_de_passe(mot_de_passe, compte)
        compte.set_password(mot_de_passe)
    else:
        compte.set_unusable_password()
    _appliquer(compte, prenom=prenom, nom=nom, email=email, roles_choisis=roles_choisis, perimetres=perimetres)
    apres = etat(compte)
    if mot_de_passe:
        apres["mot_de_passe"] = "défini par l'administrateur"
    _journaliser("compte.creation", auteur, compte, apres=apres)
    if url_lien is not None:
        envoyer_lien(auteur=auteur, compte=compte, url_base=url_lien)
    return compte


@transaction.atomic
def modifier_compte(*, auteur, compte, prenom: str, nom: str, email: str, roles_choisis, perimetres: dict):
    if compte.pk == auteur.pk and roles_agora.ADMINISTRATEUR not in roles_choisis:
        raise CompteRefuse("Vous ne pouvez pas retirer votre propre rôle d'administrateur.", champ="roles")
    avant = etat(compte)
    _appliquer(compte, prenom=prenom, nom=nom, email=email, roles_choisis=roles_choisis, perimetres=perimetres)
    avant, apres = _differences(avant, etat(compte))
    if apres:
        _journaliser("compte.modification", auteur, compte, avant, apres)
    return compte


@transaction.atomic
def changer_activation(*, auteur, compte, actif: bool):
    """Désactiver plutôt que supprimer : le journal et les grilles se réfèrent au compte. Un compte désactivé ne
    se connecte plus et sa session ouverte cesse à la requête suivante (ModelBackend refuse un compte inactif)."""
    if compte.pk == auteur.pk and not actif:
        raise CompteRefuse("Vous ne pouvez pas désactiver votre propre compte.")
    if compte.is_active == actif:
        return compte
    compte.is_active = actif
    compte.save(update_fields=["is_active"])
    action = "compte.reactivation" if actif else "compte.desactivation"
    _journaliser(action, auteur, compte, {"actif": not actif}, {"actif": actif})
    return compte


@transaction.atomic
def definir_mot_de_passe(*, auteur, compte, mot_de_passe: str):
    verifier_mot_de_passe(mot_de_passe, compte)
    compte.set_password(mot_de_passe)
    compte.save(update_fields=["password"])
    _journaliser("compte.mot_de_passe", auteur, compte, apres={"mot_de_passe": "défini par l'administrateur"})
    return compte


def noter_mot_de_passe_choisi(compte) -> None:
    """Le titulaire a choisi son mot de passe par le lien reçu (le changement lui-même est fait par Django)."""
    _journaliser("compte.mot_de_passe_choisi", compte, compte, apres={"mot_de_passe": "choisi par son titulaire"})


@transaction.atomic
def envoyer_lien(*, auteur, compte, url_base: str) -> None:
    """Envoie au titulaire un lien pour choisir son mot de passe : le jeton de Django (default_token_generator,
    valable PASSWORD_RESET_TIMEOUT, inutilisable dès que le mot de passe change), par le courrier de Django.

    On appelle PasswordResetForm.send_mail directement plutôt que save() : save() ne trouve que les comptes qui ont
    déjà un mot de passe utilisable, et un compte tout juste créé n'en a pas."""
    if not compte.email:
        raise CompteRefuse("Ce compte n'a pas d'adresse électronique : ajoutez-la avant d'envoyer un lien.", "email")
    if not compte.is_active:
        raise CompteRefuse("Ce compte est désactivé : réactivez-le avant d'envoyer un lien.")
    uid = urlsafe_base64_encode(force_bytes(compte.pk))
    jeton = default_token_generator.make_token(compte)
    contexte = {
        "compte": compte,
        "lien": url_base.rstrip("/") + reverse("comptes:reinitialiser", kwargs={"uidb64": uid, "token": jeton}),
        "auteur": auteur,
    }
    # Journalisé dans la même transaction : si l'envoi échoue, l'exception annule aussi l'entrée.
    _journaliser("compte.lien", auteur, compte, apres={"lien_envoye_a": compte.email})
    PasswordResetForm().send_mail(
        "examens/comptes/courriel_lien_sujet.txt",
        "examens/comptes/courriel_lien.txt",
        contexte,
        None,
        compte.email,
    )
