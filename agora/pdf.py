"""Rendu des documents PDF avec WeasyPrint : gabarits de templates/pdf/, CSS d'impression, polices livrées.

Rien n'est lu sur le réseau : `FetcherStatique` ne sert que des fichiers des dossiers statiques et refuse
tout le reste (http, https, data, fichiers hors de static/). Le rendu ne lit pas la base : il reçoit des
données déjà lues (dictionnaires sérialisables en JSON), si bien qu'il tourne aussi dans des processus fils
(exporter_pdf, bench_pdf) et que ces données se conservent telles quelles dans un document émis.

WeasyPrint ne parallélise pas à l'intérieur d'un processus : on parallélise par processus (un par cœur).
La feuille de style et les polices sont chargées une fois par fil d'exécution puis réutilisées.
"""

from __future__ import annotations

import atexit
import gc
import hashlib
import logging
import mimetypes
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from django.conf import settings
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

FEUILLE = "css/impression.css"
GABARITS = {
    "grille": "pdf/grille.html",
    "releve": "pdf/releve.html",
    "pv": "pdf/proces_verbal.html",
    "attestation_pfmp": "pdf/attestation_pfmp.html",
}


class RessourceRefusee(ValueError):
    """Ressource demandée pendant le rendu hors des dossiers statiques (réseau compris) : refusée."""


@cache
def racines_statiques() -> tuple[Path, ...]:
    """Les seuls dossiers dont le rendu peut lire des fichiers : static/ du projet (et STATIC_ROOT)."""
    racines = [Path(d) for d in settings.STATICFILES_DIRS]
    if settings.STATIC_ROOT:
        racines.append(Path(settings.STATIC_ROOT))
    return tuple(r.resolve() for r in racines)


def chemin_statique(relatif: str) -> Path:
    for racine in racines_statiques():
        chemin = racine / relatif
        if chemin.is_file():
            return chemin
    raise FileNotFoundError(f"Fichier statique introuvable : {relatif}")


@cache
def _fetcher_classe():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class FetcherStatique(URLFetcher):
        """Sert les fichiers des dossiers statiques (gardés en mémoire) ; refuse tout le reste."""

        def __init__(self):
            super().__init__(allowed_protocols={"file"}, allow_redirects=False)
            self._lus: dict[Path, bytes] = {}

        def fetch(self, url, headers=None):
            chemin = verifier_url(url)
            if chemin not in self._lus:
                self._lus[chemin] = chemin.read_bytes()
            type_mime = mimetypes.guess_type(chemin.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body=self._lus[chemin], headers={"Content-Type": type_mime})

    return FetcherStatique


def verifier_url(url: str) -> Path:
    """Le chemin local d'une URL file:// située dans un dossier statique ; RessourceRefusee sinon."""
    parties = urlsplit(url)
    if parties.scheme != "file" or parties.netloc not in ("", "localhost"):
        logger.warning("Rendu PDF : ressource refusée %s", url[:200])
        raise RessourceRefusee(f"Ressource refusée pendant le rendu (seuls les fichiers statiques sont lus) : {url}")
    chemin = Path(url2pathname(parties.path)).resolve()
    if not any(chemin.is_relative_to(r) for r in racines_statiques()) or not chemin.is_file():
        logger.warning("Rendu PDF : fichier hors des dossiers statiques refusé %s", chemin)
        raise RessourceRefusee(f"Fichier hors des dossiers statiques refusé : {chemin}")
    return chemin


_local = threading.local()


def _outils():
    """Une fois par fil d'exécution : le fetcher, la configuration des polices et la feuille de style compilée.

    Par fil et non par processus : les objets de Pango et de fontconfig ne se partagent pas entre des rendus
    simultanés (serveur de développement ou gunicorn à fils multiples).
    """
    if not hasattr(_local, "outils"):
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        fetcher = _fetcher_classe()()
        polices = FontConfiguration()
        feuille = CSS(filename=str(chemin_statique(FEUILLE)), url_fetcher=fetcher, font_config=polices)
        _local.outils = (fetcher, polices, feuille)
    return _local.outils


@atexit.register
def _liberer() -> None:
    # Avant l'arrêt de l'interpréteur : sinon FontConfiguration.__del__ échoue sur des modules déjà vidés.
    if hasattr(_local, "outils"):
        del _local.outils


@dataclass(frozen=True)
class Rendu:
    contenu: bytes
    pages: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.contenu).hexdigest()


def rendre_html(html: str) -> Rendu:
    from weasyprint import HTML

    fetcher, polices, feuille = _outils()
    base = racines_statiques()[0].as_uri() + "/"
    document = HTML(string=html, base_url=base, url_fetcher=fetcher).render(stylesheets=[feuille], font_config=polices)
    return Rendu(document.write_pdf(), len(document.pages))


def rendre(gabarit: str, contexte: dict) -> Rendu:
    """Rend un gabarit de templates/pdf/ en PDF. Point d'entrée des autres modules (PFMP : attestation)."""
    return rendre_html(render_to_string(gabarit, contexte))


def rendre_document(type_document: str, donnees: dict) -> Rendu:
    """Rend un document décrit par ses données (grille, relevé, procès-verbal) : utilisable dans un processus fils."""
    return rendre(GABARITS[type_document], {"d": donnees})


def rendre_attestation_pfmp(attestation, **contexte) -> Rendu:
    """Attestation de PFMP (pfmp.Attestation, un instantané) : appelée par le module pfmp, sans que examens
    n'importe pfmp (referentiel ← examens ← pfmp)."""
    return rendre(GABARITS["attestation_pfmp"], {"attestation": attestation, **contexte})


def rendre_tache(tache: tuple[str, dict]) -> tuple[bytes, int]:
    """Pour multiprocessing : (type, données) → (octets du PDF, pages). Aucune lecture de la base."""
    type_document, donnees = tache
    rendu = rendre_document(type_document, donnees)
    return rendu.contenu, rendu.pages


def prechauffer() -> None:
    """Initialisateur des processus fils : polices et feuille de style chargées avant le premier document."""
    mode_lots()


_mode_lots = False
SEUILS_RAMASSE_MIETTES = (50_000, 20, 100)  # gc.set_threshold d'un processus de rendu (mode_lots)


def mode_lots() -> None:
    """Pour un processus dédié au rendu (processus fils, worker) : ramasse-miettes moins fréquent.

    WeasyPrint alloue une multitude de petits objets : le ramasse-miettes générationnel de Python coûte
    environ 15 % du rendu (mesuré : 8,6 → 10,0 pages/s par processus). On fige ce qui est déjà chargé
    (Django, WeasyPrint, polices) et on espace les collectes ; la mémoire reste bornée (elles ont lieu).
    Pas dans le serveur web : un document isolé n'en vaut pas la peine.
    """
    global _mode_lots
    if _mode_lots:
        return
    _outils()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SEUILS_RAMASSE_MIETTES)
    _mode_lots = True


def pool(processus: int):
    """Un processus de rendu par cœur, créés par fork (Django déjà chargé) et préchauffés.

    Les fils ne lisent pas la base : on ferme les connexions avant le fork pour qu'aucun n'en hérite
    (le parent se reconnecte à sa prochaine requête). Dans une transaction (tests), on la garde : les fils
    sortent par os._exit sans la fermer, et le rendu ne fait aucune requête.
    """
    import multiprocessing

    fermer_connexions_avant_fork()
    return multiprocessing.get_context("fork").Pool(processus, initializer=prechauffer)


def fermer_connexions_avant_fork() -> None:
    """Voir pool() : sauf dans une transaction, aucune connexion à la base ne passe aux processus fils."""
    from django.db import connections

    for connexion in connections.all(initialized_only=True):
        if not connexion.in_atomic_block:
            connexion.close()
