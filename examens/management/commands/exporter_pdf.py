"""Exporte les PDF d'une session dans un dossier : grilles, relevés ou procès-verbal, un processus par cœur."""

import os
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agora import pdf
from examens.documents import lots
from examens.models import Division, ExportLot, Session
from examens.services import OperationRefusee

BLOC = 64  # documents lus en base d'un coup ; le bloc suivant est lu pendant le rendu du précédent


def nombre_fr(valeur: float, decimales: int = 1) -> str:
    return f"{valeur:.{decimales}f}".replace(".", ",")


class Command(BaseCommand):
    help = (
        "Exporte en PDF les grilles, les relevés ou le procès-verbal d'une session dans un dossier, avec un "
        "processus de rendu par cœur ; affiche l'avancement puis le nombre de documents, de pages et les pages par "
        "seconde. Session verrouillée : relevés et procès-verbal sont émis (conservés) ou repris s'ils le sont déjà."
    )

    def add_arguments(self, parser):
        parser.add_argument("--session", type=int, required=True, help="année de la session, ex. 2026")
        parser.add_argument("--type", choices=ExportLot.Type.values, required=True, help="grilles, releves ou pv")
        parser.add_argument("--sortie", type=Path, required=True, help="dossier où écrire les PDF (créé au besoin)")
        parser.add_argument("--division", default="", help="nom (ou identifiant) d'une division")
        parser.add_argument("--epreuve", default="", help="grilles d'une seule épreuve : E2, E31, E32")
        parser.add_argument(
            "--processus", type=int, default=os.cpu_count() or 1, help="processus de rendu (défaut : un par cœur)"
        )

    def handle(self, *args, session, type, sortie, division, epreuve, processus, **options):
        objet = Session.objects.select_related("reglement__referentiel").filter(annee=session).first()
        if objet is None:
            raise CommandError(f"La session {session} n'existe pas.")
        if processus < 1:
            raise CommandError("--processus doit valoir au moins 1.")
        div = self._division(objet, division) if division else None
        if epreuve and epreuve not in (epreuves := lots.epreuves_a_grille(objet)):
            raise CommandError(f"Pas de grille pour l'épreuve {epreuve!r} (épreuves : {', '.join(epreuves)}).")
        cles = lots.cles_du_lot(type_lot=type, session=objet, division=div, epreuve=epreuve)
        if not cles:
            raise CommandError("Aucun document à exporter pour ce choix.")
        sortie.mkdir(parents=True, exist_ok=True)
        self.stderr.write(f"{len(cles)} document(s) à rendre avec {processus} processus vers {sortie}")
        debut = time.perf_counter()
        faits = pages = 0
        blocs = [cles[i : i + BLOC] for i in range(0, len(cles), BLOC)]
        with pdf.pool(processus) as groupe:
            suivant = self._preparer(type, objet, blocs[0], 0)
            for k in range(len(blocs)):
                travaux = suivant
                a_rendre = [t for t in travaux if t.emis is None]
                rendus = groupe.imap(pdf.rendre_tache, [(t.type_document, t.donnees) for t in a_rendre])
                # Pendant que les processus rendent ce bloc, on lit le suivant en base.
                suivant = self._preparer(type, objet, blocs[k + 1], (k + 1) * BLOC) if k + 1 < len(blocs) else []
                rendus = iter(rendus)
                for t in travaux:
                    if t.emis is not None:
                        contenu, nb = lots.produire(t, session=objet)
                    else:
                        contenu, nb = next(rendus)
                        contenu, nb = lots.conserver(t, pdf.Rendu(contenu, nb), session=objet)
                    chemin = sortie / t.nom
                    chemin.parent.mkdir(parents=True, exist_ok=True)
                    chemin.write_bytes(contenu)
                    faits += 1
                    pages += nb
                    self._avancement(faits, len(cles), pages, time.perf_counter() - debut)
        duree = time.perf_counter() - debut
        if self.stderr.isatty():
            self.stderr.write("")
        self.stdout.write(
            f"{faits} documents, {pages} pages en {nombre_fr(duree)} s : {nombre_fr(pages / duree)} pages par seconde "
            f"({processus} processus). Fichiers dans {sortie}."
        )

    def _division(self, session: Session, texte: str) -> Division:
        qs = Division.objects.filter(session=session).select_related("etablissement")
        trouvees = list(qs.filter(pk=int(texte))) if texte.isdigit() else list(qs.filter(nom=texte))
        if not trouvees:
            raise CommandError(f"Division {texte!r} introuvable dans la session {session.annee}.")
        if len(trouvees) > 1:
            choix = ", ".join(f"{d.pk} ({d.etablissement.nom})" for d in trouvees)
            raise CommandError(f"Plusieurs divisions s'appellent {texte!r} : donnez son identifiant ({choix}).")
        return trouvees[0]

    def _preparer(self, type_lot, session, cles, debut):
        try:
            return lots.preparer(type_lot=type_lot, session=session, cles=cles, debut=debut)
        except OperationRefusee as e:
            raise CommandError(str(e)) from None

    def _avancement(self, faits: int, total: int, pages: int, duree: float) -> None:
        """Une barre réécrite sur place dans un terminal ; hors terminal, une ligne par dixième du travail."""
        terminal = self.stderr.isatty()
        if not terminal and faits != total and faits % max(total // 10, 1):
            return
        largeur = 30
        plein = largeur * faits // total
        vitesse = pages / duree if duree else 0
        retour = "\r" if terminal else ""
        self.stderr.write(
            f"{retour}[{'#' * plein}{'.' * (largeur - plein)}] {faits}/{total} documents · "
            f"{pages} pages · {nombre_fr(vitesse)} pages/s",
            ending="" if terminal else "\n",
        )
