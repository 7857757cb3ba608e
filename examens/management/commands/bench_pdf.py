"""Banc d'essai du rendu PDF : N grilles rendues par W processus ; une ligne JSON finale (bench/lancer.py la lit)."""

import datetime
import json
import os
import random
import time

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

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
        "(lecture en base exclue)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--session", type=int, required=True)
        parser.add_argument("--documents", type=int, default=200)
        parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)

    def handle(self, *args, session, documents: int, workers: int, **options):
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
        debut = time.perf_counter()
        with pdf.pool(workers) as groupe:
            resultats = groupe.map(pdf.rendre_tache, [("grille", d) for d in donnees], chunksize=1)
        secondes = time.perf_counter() - debut
        pages = sum(nb for _, nb in resultats)
        self.stderr.write(f"charge de la machine après le rendu (1 min) : {os.getloadavg()[0]:.2f}")
        self.stdout.write(
            json.dumps(
                {
                    "documents": len(resultats),
                    "pages": pages,
                    "secondes": round(secondes, 2),
                    "pages_par_seconde": round(pages / secondes, 1),
                    "workers": workers,
                }
            )
        )


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
