"""Ce que partagent les commandes d'import : l'utilisateur au nom de qui elles écrivent, lecture du fichier et
sortie des erreurs.

`--utilisateur <identifiant>` : l'import s'exécute au nom de ce compte, dans son périmètre d'écriture
(`examens.perimetre`), exactement comme depuis le navigateur. Sans lui, la commande agit pour le système, avec les
droits d'un administrateur (elle est lancée par qui administre le serveur), et le journal de l'import le dit.
"""

from pathlib import Path

from django.core.management.base import CommandError

from agora.format import pluriel
from agora.tableaux import TAILLE_MAX_COMMANDE, ImportRefuse
from examens import perimetre


def lire_fichier(chemin: str) -> bytes:
    fichier = Path(chemin)
    if not fichier.is_file():
        raise CommandError(f"Fichier introuvable : {chemin}")
    return fichier.read_bytes()


def ajouter_option_utilisateur(parser) -> None:
    parser.add_argument(
        "--utilisateur",
        metavar="IDENTIFIANT",
        help="importer au nom de ce compte, dans son périmètre ; sans lui : droits du système (administrateur), "
        "noté au journal",
    )


def utilisateur_nomme(identifiant: str | None, permission: str):
    """Le compte au nom duquel la commande écrit, ou None (le système)."""
    if identifiant is None:
        return None
    from django.contrib.auth import get_user_model

    utilisateur = get_user_model().objects.filter(username=identifiant, is_active=True).first()
    if utilisateur is None:
        raise CommandError(f"Utilisateur « {identifiant} » inconnu ou désactivé : rien n'a été importé.")
    if not utilisateur.has_perm(permission):
        raise CommandError(f"{identifiant} n'a pas le droit d'importer ({permission}) : rien n'a été importé.")
    return utilisateur


def mention_droits(utilisateur) -> str:
    return f" ; au nom de {utilisateur.username}" if utilisateur else f" ; {perimetre.SYSTEME}"


def executer_import(commande, fonction, *, fichier: str, annee: int, quoi: str, utilisateur=None) -> None:
    try:
        bilan = fonction(
            contenu=lire_fichier(fichier),
            nom_fichier=fichier,
            annee=annee,
            taille_max=TAILLE_MAX_COMMANDE,
            auteur=utilisateur,
        )
    except ImportRefuse as refus:
        for erreur in refus.erreurs:
            commande.stderr.write(str(erreur))
        raise CommandError(
            f"Import refusé : {len(refus.erreurs)} erreur(s). Aucune {quoi} n'a été enregistrée."
        ) from None
    commande.stdout.write(
        f"Import terminé : {pluriel(bilan.crees, 'créé')}, {pluriel(bilan.modifies, 'modifié')}, "
        f"{pluriel(bilan.inchanges, 'inchangé')}"
        + (f" ; établissements créés : {', '.join(bilan.etablissements_crees)}" if bilan.etablissements_crees else "")
        + (" ; session créée" if bilan.session_creee else "")
        + mention_droits(utilisateur)
    )
