"""Banc d'essai du rendu PDF : N grilles rendues par W processus ; une ligne JSON finale (bench/lancer.py la lit)."""

import atexit
import datetime
import gc
import json
import os
import random
import time

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.template.loader import render_to_string

from agora import pdf
from examens.ccf import gabarits, lectures
from examens.documents import impression, lots
from examens.models import (
    Candidat,
    Commission,
    EvaluationCompetence,
    ExportLot,
    Grille,
    MembreCommission,
    Session,
)

OBSERVATIONS = [
    "",
    "",
    "Démarche méthodique, vocabulaire professionnel adapté.",
    "Quelques imprécisions dans la présentation des documents.",
    "Très bonne maîtrise du progiciel ; justifications claires et argumentées devant la commission.",
    "À consolider : vérification des données saisies.",
]


class Command(BaseCommand):
    help = (
        "Rend --documents grilles de la session avec --workers processus et affiche une ligne JSON finale "
        '{"documents", "pages", "secondes", "pages_par_seconde", "workers"}. Les grilles de la base sont prises '
        "d'abord ; s'il n'y en a pas assez, d'autres sont construites en mémoire (gabarits et candidats réels, "
        "niveaux tirés au hasard). Le temps mesuré va du lancement des processus au dernier PDF "
        "(lecture en base exclue). Avec --plancher, le même rendu par un groupe de processus nu (voir rendre_nu) "
        "est mesuré juste après (ou juste avant, --plancher-d-abord), puis le même avec le ramasse-miettes réglé "
        "comme le nôtre : plancher_pages_par_seconde, rapport_plancher et leurs variantes plancher_gc_… "
        "s'ajoutent à la ligne JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("--session", type=int, required=True)
        parser.add_argument("--documents", type=int, default=200)
        parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
        parser.add_argument("--plancher", action="store_true", help="mesurer aussi le plancher (WeasyPrint nu)")
        parser.add_argument("--plancher-d-abord", action="store_true", help="le plancher avant notre rendu")

    def handle(self, *args, session, documents: int, workers: int, plancher=False, plancher_d_abord=False, **options):
        objet = Session.objects.select_related("reglement__referentiel").filter(annee=session).first()
        if objet is None:
            raise CommandError(f"La session {session} n'existe pas.")
        if documents < 1 or workers < 1:
            raise CommandError("--documents et --workers doivent valoir au moins 1.")
        debut = time.perf_counter()
        cles = lots.cles_du_lot(type_lot=ExportLot.Type.GRILLES, session=objet)[:documents]
        reelles = impression.donnees_grilles(
            impression.grilles_a_rendre(Grille.objects.filter(pk__in=cles)).order_by("pk")
        )
        manque = documents - len(reelles)
        fictives = grilles_fictives(objet, manque, random.Random(2026)) if manque > 0 else []
        donnees = reelles + fictives
        self.stderr.write(
            f"{len(reelles)} grille(s) de la base, {len(fictives)} construite(s) en mémoire ; données lues en "
            f"{time.perf_counter() - debut:.1f} s ; charge de la machine (1 min) : {os.getloadavg()[0]:.2f}"
        )
        # Le HTML du plancher est produit avant toute mesure : le plancher ne compte que WeasyPrint et le groupe.
        htmls = [render_to_string(pdf.GABARITS["grille"], {"d": d}) for d in donnees] if plancher else []
        mesures = {}
        etapes = ("plancher", "plancher_gc", "nous") if plancher_d_abord else ("nous", "plancher", "plancher_gc")
        for etape in etapes:
            if etape == "nous":
                mesures[etape] = rendre_avec_agora(donnees, workers)
            elif plancher:
                mesures[etape] = rendre_nu_en_groupe(htmls, workers, ramasse_miettes_regle=etape == "plancher_gc")
        secondes, pages = mesures["nous"]
        self.stderr.write(f"charge de la machine après le rendu (1 min) : {os.getloadavg()[0]:.2f}")
        resultat = {
            "documents": len(donnees),
            "pages": pages,
            "secondes": round(secondes, 2),
            "pages_par_seconde": round(pages / secondes, 1),
            "workers": workers,
        }
        for cle in ("plancher", "plancher_gc") if plancher else ():
            secondes_nu, pages_nu = mesures[cle]
            if pages_nu != pages:
                raise CommandError(f"Le plancher a rendu {pages_nu} pages et non {pages} : HTML différent ?")
            resultat[f"{cle}_secondes"] = round(secondes_nu, 2)
            resultat[f"{cle}_pages_par_seconde"] = round(pages / secondes_nu, 1)
            resultat[f"rapport_{cle}"] = round(secondes_nu / secondes, 3)  # nos pages/s ÷ celles du plancher
        self.stdout.write(json.dumps(resultat))


def rendre_avec_agora(donnees: list[dict], workers: int) -> tuple[float, int]:
    """Notre chemin, celui d'exporter_pdf : groupe préchauffé de agora.pdf, gabarit rendu dans le fils."""
    debut = time.perf_counter()
    with pdf.pool(workers) as groupe:
        resultats = groupe.map(pdf.rendre_tache, [("grille", d) for d in donnees], chunksize=1)
    return time.perf_counter() - debut, sum(nb for _, nb in resultats)


_outils_nus = None


@atexit.register
def _liberer_outils_nus() -> None:
    # Comme agora.pdf._liberer : FontConfiguration.__del__ échoue sur des modules déjà vidés à l'arrêt.
    global _outils_nus
    _outils_nus = None


def rendre_nu(html: str) -> tuple[bytes, int]:
    """Le plancher : WeasyPrint seul, avec la même feuille de style, les mêmes polices et le même fetcher que
    agora.pdf (chargés à la première tâche du processus), sans rien d'autre (ni gabarit, ni ramasse-miettes
    réglé, ni base). `HTML.write_pdf()` est `render()` puis `Document.write_pdf()` : on les appelle à la suite
    pour compter les pages."""
    global _outils_nus
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    if _outils_nus is None:
        fetcher = pdf._fetcher_classe()()
        polices = FontConfiguration()
        feuille = CSS(filename=str(pdf.chemin_statique(pdf.FEUILLE)), url_fetcher=fetcher, font_config=polices)
        _outils_nus = (fetcher, polices, feuille, pdf.racines_statiques()[0].as_uri() + "/")
    fetcher, polices, feuille, base = _outils_nus
    document = HTML(string=html, base_url=base, url_fetcher=fetcher).render(stylesheets=[feuille], font_config=polices)
    return document.write_pdf(), len(document.pages)


def regler_ramasse_miettes() -> None:
    """Initialiseur du second plancher : le seul réglage de mode_lots, sans rien charger d'avance."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*pdf.SEUILS_RAMASSE_MIETTES)


def rendre_nu_en_groupe(htmls: list[str], workers: int, ramasse_miettes_regle: bool = False) -> tuple[float, int]:
    """Un groupe multiprocessing nu (fork), du lancement des processus au dernier PDF.

    Sans initialiseur, c'est le plancher demandé par l'issue #23 ; avec `ramasse_miettes_regle`, le même groupe
    avec les seuils du ramasse-miettes de mode_lots (≈ 15 % du rendu) : le plancher de tout ce qui n'est pas ce
    réglage, qui dit ce que coûte le reste de notre chemin (gabarit dans le fils, préchauffage, transport)."""
    import multiprocessing

    pdf.fermer_connexions_avant_fork()
    initialiseur = regler_ramasse_miettes if ramasse_miettes_regle else None
    debut = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(workers, initializer=initialiseur) as groupe:
        resultats = groupe.map(rendre_nu, htmls, chunksize=1)
    return time.perf_counter() - debut, sum(nb for _, nb in resultats)


def grilles_fictives(session: Session, nombre: int, hasard: random.Random) -> list[dict]:
    """Des grilles remplies, construites sans rien écrire : mêmes gabarits, mêmes données imprimées."""
    if nombre <= 0:
        return []
    candidats = list(
        Candidat.objects.filter(session=session).select_related("etablissement", "division").order_by("numero")[:nombre]
    )
    if not candidats:
        raise CommandError(f"La session {session.annee} n'a ni grille ni candidat : rien à rendre.")
    actifs = list(gabarits.gabarits_actifs(session.reglement.referentiel).values())
    imprimes = {g.pk: impression.gabarit_imprime(g) for g in actifs}
    membres = [
        MembreCommission(utilisateur=User(first_name="Claire", last_name="Martin"), qualite="enseignant"),
        MembreCommission(utilisateur=User(first_name="Paul", last_name="Durand"), qualite="professionnel"),
    ]
    commission = Commission(session=session)
    resultat = []
    for i in range(nombre):
        candidat, gabarit = candidats[i % len(candidats)], actifs[i % len(actifs)]
        imprime = imprimes[gabarit.pk]
        codes = [n.code for n in imprime.echelle.niveaux if n.evalue]
        evaluations = {
            ligne.pk: EvaluationCompetence(
                ligne=ligne, niveau=hasard.choice(codes), observation=hasard.choice(OBSERVATIONS)
            )
            for ligne in imprime.lignes
        }
        grille = Grille(
            commission=commission,
            candidat=candidat,
            gabarit=gabarit,
            epreuve=gabarit.epreuve,
            situation=1 + (i // len(actifs)) % gabarit.situations,
            forme=Grille.Forme.CCF,
            etat=Grille.Etat.TRANSMISE,
            date_situation=datetime.date(session.annee, 3, 1 + i % 28),
            appreciation="Candidat impliqué ; dossier complet et soigné.",
        )
        calcul = lectures.calcul_de(grille, imprime.lignes, evaluations)
        grille.note_suggeree = grille.note_commission = calcul.note
        resultat.append(
            impression.donnees_grille(
                grille, gab=imprime, evaluations=evaluations, confirmations={}, membres=membres, forme="CCF"
            )
        )
    return resultat
