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
import io
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


def _mise_en_page(html: str, *, sans_numero: bool = False):
    """La mise en page WeasyPrint ; `sans_numero` : sans « Page x / y », tamponné après l'assemblage (rendre_pv)."""
    from weasyprint import HTML

    fetcher, polices, feuille = _outils()
    feuilles = [feuille, _feuille_sans_numero()] if sans_numero else [feuille]
    base = racines_statiques()[0].as_uri() + "/"
    return HTML(string=html, base_url=base, url_fetcher=fetcher).render(stylesheets=feuilles, font_config=polices)


def rendre_html(html: str) -> Rendu:
    document = _mise_en_page(html)
    return Rendu(document.write_pdf(), len(document.pages))


def rendre(gabarit: str, contexte: dict) -> Rendu:
    """Rend un gabarit de templates/pdf/ en PDF. Point d'entrée des autres modules (PFMP : attestation)."""
    return rendre_html(render_to_string(gabarit, contexte))


def rendre_document(type_document: str, donnees: dict) -> Rendu:
    """Rend un document décrit par ses données (grille, relevé, procès-verbal) : utilisable dans un processus fils.

    Seul point de rendu des documents de l'application : la page (procès-verbal provisoire), l'émission et les
    workers passent tous par ici, si bien qu'un procès-verbal se rend partout de la même façon (rendre_pv).
    """
    if type_document == "pv":
        return rendre_pv(donnees)
    return rendre(GABARITS[type_document], {"d": donnees})


# ---------------------------------------------------------------------------------------------------
# Procès-verbal long : rendu par parties, en mémoire bornée
# ---------------------------------------------------------------------------------------------------

PV_LIGNES_PAR_PARTIE = 400  # lignes mises en page à la fois : ≈ 10 pages, ≈ 150 Mo pour WeasyPrint
NUMEROTATION_PAGES_PAR_RENDU = 200  # pages de numérotation mises en page à la fois (presque vides)


def rendre_pv(donnees: dict) -> Rendu:
    """Le procès-verbal ; au-delà de PV_LIGNES_PAR_PARTIE lignes, rendu par parties assemblées (pypdf).

    WeasyPrint garde en mémoire la mise en page de tout le document : un procès-verbal national (25 000 lignes,
    ≈ 600 pages) demandait plusieurs Go. On met en page PV_LIGNES_PAR_PARTIE lignes à la fois ; la mémoire de
    pointe dépend de la taille d'une partie, plus de celle de la session.

    Le document assemblé est, page pour page, celui d'un rendu d'un seul tenant : la dernière page d'une partie
    (incomplète) n'est pas gardée, ses lignes ouvrent la partie suivante — qui commence donc, comme la page
    suivante du document entier, par l'en-tête du tableau répété. L'en-tête du document (titre, jury, mention
    « provisoire », référence du document émis) n'est que dans la première partie ; la validation du président et
    le cadre des signatures ne sont qu'à la fin : le président signe la liste entière et ses totaux, qu'aucune
    coupure ne doit faire signer par morceaux. Les totaux (pied du tableau) restent répétés sur chaque page.

    « Page x / y » : le total n'est connu qu'après la dernière partie. Plutôt que de tout mettre en page deux fois,
    les parties sont rendues sans ce numéro, puis chaque page reçoit le sien, mis en page par WeasyPrint avec la
    même feuille (même police, même place) sur des pages vides superposées à l'assemblage (_numeros).
    """
    lignes = donnees["lignes"]
    if len(lignes) <= PV_LIGNES_PAR_PARTIE:
        return rendre(GABARITS["pv"], {"d": donnees})
    parties: list[bytes] = []
    debut = 0
    while debut < len(lignes):
        morceau = lignes[debut : debut + PV_LIGNES_PAR_PARTIE]
        derniere = debut + len(morceau) >= len(lignes)
        d = {**donnees, "lignes": morceau, "suite": debut > 0, "a_suivre": not derniere}
        document = _mise_en_page(render_to_string(GABARITS["pv"], {"d": d}), sans_numero=True)
        pages = document.pages
        gardees = len(morceau)
        if not derniere and len(pages) > 1:
            reportees = _lignes_du_tableau(pages[-1])
            if 0 < reportees < len(morceau):
                pages, gardees = pages[:-1], len(morceau) - reportees
        parties.append(document.copy(pages).write_pdf())
        debut += gardees
        del document, pages
        gc.collect()  # la mise en page est faite de cycles : libérée avant la partie suivante (mode_lots espace le GC)
    return _assembler(parties)


def _lignes_du_tableau(page) -> int:
    """Les lignes du corps du tableau des résultats (table.donnees) posées sur cette page.

    Lit la mise en page de WeasyPrint (`_page_box`, interne : version fixée dans pyproject.toml) ; une montée de
    version qui la changerait fait échouer tests/examens/test_pv_parties.py (comparaison page pour page)."""
    from weasyprint.formatting_structure import boxes

    nombre = 0
    for boite in page._page_box.descendants():
        if isinstance(boite, boxes.TableBox) and "donnees" in (boite.element.get("class") or "").split():
            for groupe in boite.children:
                if isinstance(groupe, boxes.TableRowGroupBox) and not (groupe.is_header or groupe.is_footer):
                    nombre += len(groupe.children)
    return nombre


def _feuille_sans_numero():
    if not hasattr(_local, "sans_numero"):
        from weasyprint import CSS

        _local.sans_numero = CSS(string="@page { @bottom-right { content: none } }")
    return _local.sans_numero


def _assembler(parties: list[bytes]) -> Rendu:
    """Les parties bout à bout (pypdf), chaque page numérotée « Page x / y » sur le document entier."""
    from pypdf import PdfReader, PdfWriter

    ecrivain = PdfWriter()
    for contenu in parties:
        ecrivain.append(io.BytesIO(contenu))
    if meta := PdfReader(io.BytesIO(parties[0])).metadata:
        ecrivain.add_metadata({k: v for k, v in meta.items() if isinstance(v, str)})
    total = len(ecrivain.pages)
    for premier in range(0, total, NUMEROTATION_PAGES_PAR_RENDU):
        tampons = PdfReader(io.BytesIO(_numeros(premier, min(premier + NUMEROTATION_PAGES_PAR_RENDU, total), total)))
        for i, tampon in enumerate(tampons.pages):
            page = ecrivain.pages[premier + i]
            page.merge_page(tampon)
            page.compress_content_streams()  # merge_page les a décompressés
    ecrivain.compress_identical_objects()  # polices et ressources répétées d'une partie à l'autre
    sortie = io.BytesIO()
    ecrivain.write(sortie)
    return Rendu(sortie.getvalue(), total)


def _numeros(premier: int, fin: int, total: int) -> bytes:
    """Des pages vides qui ne portent que « Page x / total » (x de premier + 1 à fin), à la place qu'il a sur les
    documents (même feuille : marges, police, corps) : superposées aux pages rendues sans numéro."""
    html = (
        "<!doctype html><html><head><meta charset='utf-8'><style>"
        "@page { @top-left { content: none } @top-right { content: none } @bottom-left { content: none }"
        " @bottom-right { content: string(numero-page) } }"
        ".n { string-set: numero-page content(text); height: 0; margin: 0; overflow: hidden; font-size: 0;"
        " line-height: 0 } .n + .n { break-before: page }"
        "</style></head><body>"
        + "".join(f'<p class="n">Page {x} / {total}</p>' for x in range(premier + 1, fin + 1))
        + "</body></html>"
    )
    return _mise_en_page(html).write_pdf()


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
