"""Fichiers téléversés en attente de confirmation (aperçu d'un import), dans MEDIA_ROOT/imports.

Le fichier est gardé entre l'aperçu et la confirmation ; un aperçu jamais confirmé est effacé après
`DUREE_APERCU` (à chaque nouveau téléversement, et chaque nuit par la tâche `examens.purger_apercus`).
La confirmation « prend » le fichier par un renommage atomique : de deux confirmations simultanées (double
clic), une seule le trouve, l'autre reçoit un message clair.
"""

import os
import time
import uuid
from pathlib import Path

from django.conf import settings

DUREE_APERCU = 24 * 3600  # secondes


def dossier() -> Path:
    chemin = Path(settings.MEDIA_ROOT) / "imports"
    chemin.mkdir(parents=True, exist_ok=True)
    return chemin


def deposer(contenu: bytes, suffixe: str) -> str:
    """Range le fichier de l'aperçu ; renvoie son jeton. Purge au passage les aperçus périmés."""
    purger()
    jeton = uuid.uuid4().hex
    (dossier() / f"{jeton}{suffixe}").write_bytes(contenu)
    return jeton


def prendre(jeton: str, suffixe: str) -> bytes | None:
    """Le contenu de l'aperçu, retiré du dossier ; None s'il a déjà été pris (ou purgé)."""
    chemin = dossier() / f"{jeton}{suffixe}"
    pris = chemin.with_name(f"{chemin.name}.{uuid.uuid4().hex}.pris")
    try:
        os.rename(chemin, pris)  # atomique : un seul des appels concurrents réussit
    except FileNotFoundError:
        return None
    try:
        return pris.read_bytes()
    finally:
        pris.unlink(missing_ok=True)


def purger(duree: int = DUREE_APERCU) -> int:
    """Efface les aperçus de plus de `duree` secondes ; renvoie leur nombre."""
    limite = time.time() - duree
    effaces = 0
    for chemin in dossier().iterdir():
        try:
            if chemin.is_file() and chemin.stat().st_mtime < limite:
                chemin.unlink()
                effaces += 1
        except FileNotFoundError:  # effacé entre-temps par un autre processus
            continue
    return effaces
