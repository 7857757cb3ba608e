"""Ce que partagent les commandes d'import : lecture du fichier et sortie des erreurs."""

from pathlib import Path

from django.core.management.base import CommandError

from agora.format import pluriel
from examens.imports import ImportRefuse
from examens.tableaux import TAILLE_MAX_COMMANDE


def lire_fichier(chemin: str) -> bytes:
    fichier = Path(chemin)
    if not fichier.is_file():
        raise CommandError(f"Fichier introuvable : {chemin}")
    return fichier.read_bytes()


def executer_import(commande, fonction, *, fichier: str, annee: int, quoi: str) -> None:
    try:
        bilan = fonction(
            contenu=lire_fichier(fichier), nom_fichier=fichier, annee=annee, taille_max=TAILLE_MAX_COMMANDE
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
    )
