"""Fichiers téléversés en attente de confirmation (aperçu d'un import), rangés dans la base.

Dans la base et non sur le disque d'un serveur : l'aperçu peut être produit par un nœud web et confirmé par un
autre derrière un répartiteur de charge (tier web sans état). Un aperçu jamais confirmé est effacé après
`DUREE_APERCU` (à chaque nouveau téléversement, et par la tâche `examens.purger_apercus`). La confirmation
« prend » l'aperçu par un DELETE … RETURNING : de deux confirmations simultanées (double clic), une seule le
trouve, l'autre reçoit un message clair.
"""

import datetime
import uuid

from django.db import connection
from django.utils import timezone

from examens.models import ApercuImport

DUREE_APERCU = 24 * 3600  # secondes


def deposer(contenu: bytes, suffixe: str) -> str:
    """Range le fichier de l'aperçu ; renvoie son jeton. Purge au passage les aperçus périmés."""
    purger()
    jeton = uuid.uuid4().hex
    ApercuImport.objects.create(jeton=jeton, suffixe=suffixe, contenu=contenu)
    return jeton


def prendre(jeton: str, suffixe: str) -> bytes | None:
    """Le contenu de l'aperçu, retiré de la base ; None s'il a déjà été pris (ou purgé)."""
    with connection.cursor() as curseur:
        curseur.execute(
            f"DELETE FROM {ApercuImport._meta.db_table} WHERE jeton = %s AND suffixe = %s RETURNING contenu",
            [jeton, suffixe],
        )
        ligne = curseur.fetchone()
    return bytes(ligne[0]) if ligne else None


def purger(duree: int = DUREE_APERCU) -> int:
    """Efface les aperçus de plus de `duree` secondes ; renvoie leur nombre."""
    limite = timezone.now() - datetime.timedelta(seconds=duree)
    effaces, _ = ApercuImport.objects.filter(cree_le__lt=limite).delete()
    return effaces
