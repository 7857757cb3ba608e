"""Données synthétiques réalistes à l'échelle nationale, pour les bancs d'essai (jamais en production)."""

import random
import time
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from demo.synthese_grilles import analyser, barre
from examens import resultats
from examens.identifiants import uai_avec_cle
from examens.models import Candidat, Division, Etablissement, Grille, HistoriqueNote, Journal, Note, Session, Statut
from examens.services import journaliser, reglement_pour

ACTION_GENERATION = "donnees.generation"
# Déclencheurs par ligne suspendus le temps de supprimer une session générée (ouverte) : ils ne refuseraient
# rien, mais coûtent une requête par note et par ligne d'historique.
DECLENCHEURS_SUSPENDUS = [
    ("examens_note", "note_session_ouverte"),
    ("examens_historiquenote", "historiquenote_immuable"),
]

UNITES = ["U11", "U12", "U2", "U31", "U32", "U33", "U41", "U42", "U51", "U52", "U6", "U7"]
NOMS = [
    "MARTIN",
    "BERNARD",
    "THOMAS",
    "PETIT",
    "ROBERT",
    "RICHARD",
    "DURAND",
    "DUBOIS",
    "MOREAU",
    "LAURENT",
    "SIMON",
    "MICHEL",
    "LEFEBVRE",
    "LEROY",
    "ROUX",
    "DAVID",
    "BERTRAND",
    "MOREL",
    "FOURNIER",
    "GIRARD",
]
PRENOMS = ["Léa", "Hugo", "Chloé", "Lucas", "Emma", "Nathan", "Inès", "Enzo", "Jade", "Louis", "Manon", "Yanis"]
# Répartition approximative des statuts d'une session nationale (scolaires très majoritaires).
POIDS_STATUTS = {
    Statut.SCOLAIRE_PUBLIC: 62,
    Statut.SCOLAIRE_PRIVE_SOUS_CONTRAT: 14,
    Statut.SCOLAIRE_PRIVE_HORS_CONTRAT: 1,
    Statut.APPRENTI_CFA_HABILITE: 11,
    Statut.APPRENTI_CFA_NON_HABILITE: 1,
    Statut.FPC_PUBLIC: 3,
    Statut.FPC_PUBLIC_HABILITE: 3,
    Statut.FPC_PRIVE: 2,
    Statut.EXPERIENCE_3_ANS: 2,
    Statut.ENSEIGNEMENT_DISTANCE: 1,
}


def est_generee(session: Session) -> bool:
    """La session a-t-elle été créée par generer_donnees, et n'a-t-elle pas été restaurée depuis ?

    La marque est une entrée du journal (en ajout seul, non falsifiable par l'application) qui désigne la
    session par sa clé : une vraie session créée plus tard sous la même année ne la porte pas.
    """
    derniere = (
        Journal.objects.filter(session_annee=session.annee, action__in=[ACTION_GENERATION, "sauvegarde.restauration"])
        .order_by("-date", "-id")
        .first()
    )
    return (
        derniere is not None
        and derniere.action == ACTION_GENERATION
        and (derniere.apres or {}).get("session_id") == session.pk
    )


class Command(BaseCommand):
    help = "Génère une session synthétique : candidats de tous statuts, notes, dispenses, absences, notes conservées."

    def add_arguments(self, parser):
        parser.add_argument("--session", type=int, required=True)
        parser.add_argument("--candidats", type=int, default=25000)
        parser.add_argument("--graine", type=int, default=2026)
        parser.add_argument("--remplacer", action="store_true", help="supprime d'abord la session si elle existe")

    def handle(self, *args, session, candidats, graine, remplacer, **options):
        if not settings.DEBUG and not remplacer:
            raise CommandError("Données synthétiques : DEBUG requis (ou --remplacer en connaissance de cause).")
        debut = time.monotonic()
        hasard = random.Random(graine)
        existante = Session.objects.filter(annee=session).first()
        if existante:
            if not remplacer:
                raise CommandError(f"La session {session} existe : --remplacer pour la recréer.")
            self.supprimer(existante)
        with transaction.atomic():
            objet = Session.objects.create(annee=session, reglement=reglement_pour(session))
            nb_lycees = max(1, candidats // 60)
            lycees = Etablissement.objects.bulk_create(
                [
                    Etablissement(uai=uai_avec_cle(f"{900000 + i:07d}"), nom=f"Lycée synthétique {i}")
                    for i in range(nb_lycees)
                ],
                ignore_conflicts=True,
            )
            lycees = list(Etablissement.objects.filter(uai__in=[e.uai for e in lycees]))
            divisions = Division.objects.bulk_create(
                [Division(session=objet, etablissement=e, nom=f"TAGO{j + 1}") for e in lycees for j in range(2)]
            )
            statuts, poids = zip(*POIDS_STATUTS.items(), strict=True)
            lot = []
            for i in range(candidats):
                div = divisions[i % len(divisions)]
                statut = hasard.choices(statuts, poids)[0]
                facultatives = hasard.choice(["", "", "", "EPS", "LV:it", "MOBILITE", "EPS|LV:pt"]).split("|")
                lot.append(
                    Candidat(
                        session=objet,
                        numero=f"{session % 100:02d}{i:07d}",
                        nom=hasard.choice(NOMS),
                        prenom=hasard.choice(PRENOMS),
                        date_naissance=date(session - 18, 1 + i % 12, 1 + i % 28),
                        etablissement=div.etablissement,
                        division=div,
                        statut=statut,
                        forme="progressive"
                        if statut in ("fpc_prive", "experience_3_ans") and i % 3 == 0
                        else "globale",
                        lv1="en",
                        lv2="es",
                        facultative1=facultatives[0],
                        facultative2=facultatives[1] if len(facultatives) > 1 else "",
                        chef_oeuvre=Decimal(hasard.randint(12, 36)) / 2
                        if statut.startswith(("scolaire", "apprenti"))
                        else None,
                        # leurs unités générales sont dispensées (DIS) : le titre qui y donne droit est noté
                        titre_dispense="bac" if statut == "experience_3_ans" else "",
                    )
                )
            liste = Candidat.objects.bulk_create(lot, batch_size=5000)
            barre(self.stdout, len(liste), candidats, debut, "candidats", fin=True)
            debut_notes = time.monotonic()
            notes, total = [], 0
            for rang, c in enumerate(liste):
                niveau = hasard.gauss(11, 2.5)
                for unite in UNITES:
                    etat, valeur, origine, origine_session = "note", None, "session", None
                    tirage = hasard.random()
                    if c.statut == "experience_3_ans" and unite in ("U41", "U42", "U51", "U52", "U6", "U7"):
                        etat = "DIS"
                    elif tirage < 0.004:
                        etat = "ABJ"
                    elif tirage < 0.006:
                        etat = "ABS"
                    elif tirage < 0.03:
                        origine, origine_session = "conservee_agora", session - 1
                    if etat == "note":
                        brute = min(20.0, max(0.0, niveau + hasard.gauss(0, 2.5)))
                        valeur = Decimal(round(brute * 2)) / 2
                        if origine != "session":
                            valeur = max(valeur, Decimal(10))
                    notes.append(
                        Note(
                            candidat=c,
                            unite=unite,
                            etat=etat,
                            valeur=valeur,
                            origine=origine,
                            session_origine=origine_session,
                        )
                    )
                for uf, choix in (("UF1", c.facultative1), ("UF2", c.facultative2)):
                    if choix:
                        notes.append(Note(candidat=c, unite=uf, valeur=Decimal(hasard.randint(14, 38)) / 2))
                if len(notes) >= 20000 or rang == len(liste) - 1:
                    Note.objects.bulk_create(notes, batch_size=20000)
                    HistoriqueNote.objects.bulk_create(
                        [
                            HistoriqueNote(
                                candidat=n.candidat,
                                unite=n.unite,
                                apres=n.etat if n.valeur is None else str(n.valeur),
                                origine=n.origine,
                                source="generation",
                            )
                            for n in notes
                        ],
                        batch_size=20000,
                    )
                    total += len(notes)
                    notes = []
                    barre(self.stdout, rang + 1, len(liste), debut_notes, "notes", fin=rang == len(liste) - 1)
            analyser(Candidat, Division, Etablissement, Note, HistoriqueNote)
            self.generer_extensions(objet, liste, hasard)
            # Notes écrites par COPY, hors de la porte : les résultats se calculent en une passe, comme `deliberer`.
            debut_resultats = time.monotonic()
            resultats.recalculer_session(Session.objects.select_related("reglement").get(pk=objet.pk))
            self.stdout.write(f"Résultats calculés en {time.monotonic() - debut_resultats:.1f} s")
            # La marque « session générée » : seule une session portant cette marque peut être remplacée.
            journaliser(
                action=ACTION_GENERATION,
                session=session,
                apres={"session_id": objet.pk, "candidats": candidats, "graine": graine},
                motif="manage.py generer_donnees",
            )
        self.stdout.write(
            f"Session {session} : {candidats} candidats, {total} notes en {time.monotonic() - debut:.1f} s"
        )

    def supprimer(self, existante: Session) -> None:
        """Supprime une session générée et ouverte, en une transaction, et le journalise.

        Refuse une session verrouillée (son verrou protège des notes qu'on ne doit pas perdre sans trace) et une
        session qui n'a pas été créée par cet outil : une vraie session ne disparaît jamais par un outil de banc.
        """
        annee = existante.annee
        with transaction.atomic():
            # Verrou de ligne : personne ne verrouille la session entre le contrôle et la suppression.
            existante = Session.objects.select_for_update().get(pk=existante.pk)
            if existante.verrouillee:
                raise CommandError(
                    f"La session {annee} est verrouillée : generer_donnees ne la supprime pas. Rien n'a été modifié."
                )
            if not est_generee(existante):
                raise CommandError(
                    f"La session {annee} n'a pas été créée par generer_donnees : cet outil ne supprime jamais une "
                    "vraie session. Rien n'a été modifié."
                )
            candidats = Candidat.objects.filter(session=existante)
            journaliser(
                action="donnees.suppression",
                session=annee,
                avant={
                    "session_id": existante.pk,
                    "candidats": candidats.count(),
                    "notes": Note.objects.filter(candidat__session=existante).count(),
                },
                motif="manage.py generer_donnees --remplacer",
            )
            with connection.cursor() as curseur:  # plus rapide que la cascade de l'ORM sur 300 000 lignes
                # ALTER TABLE refuse de s'exécuter avec des contrôles de clés différés en attente (dans une
                # transaction englobante, celle d'un test par exemple) : on les contrôle au fil de l'eau.
                curseur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                # Dans la transaction : ALTER TABLE y verrouille les tables jusqu'à la fin (personne n'écrit sans
                # garde pendant ce temps) et un arrêt brutal annule aussi la désactivation.
                for table, declencheur in DECLENCHEURS_SUSPENDUS:
                    curseur.execute(f"ALTER TABLE {table} DISABLE TRIGGER {declencheur}")
                Grille.objects.filter(candidat__session=existante).delete()  # commission protégée par ses grilles
                existante.delete()
                for table, declencheur in DECLENCHEURS_SUSPENDUS:
                    curseur.execute(f"ALTER TABLE {table} ENABLE TRIGGER {declencheur}")
                curseur.execute("SET CONSTRAINTS ALL DEFERRED")

    def generer_extensions(self, session, candidats, hasard):
        """Grilles CCF remplies (demo.synthese_grilles), puis PFMP (demo.synthese_pfmp)."""
        from demo import synthese_grilles as grilles_generees
        from demo import synthese_pfmp as pfmp_genere

        for module in (grilles_generees, pfmp_genere):
            module.generer_donnees(session=session, candidats=candidats, hasard=hasard, sortie=self.stdout)
