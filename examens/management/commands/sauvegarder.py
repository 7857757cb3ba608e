from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from examens.sauvegarde import SauvegardeInvalide, sauvegarder_session


class Command(BaseCommand):
    help = (
        "Sauvegarde une session d'examen (candidats, notes et leur historique, résultats, blocages, tout ce qui "
        "en dépend, et le journal de l'année) dans un fichier gzip vérifiable. Voir README, « Sauvegarde et "
        "restauration »."
    )

    def add_arguments(self, parser):
        parser.add_argument("--session", type=int, required=True, help="année de la session, ex. 2026")
        parser.add_argument("fichier", type=Path, help="fichier à créer, ex. session-2026.agora.gz")

    def handle(self, *args, session, fichier, **options):
        try:
            bilan = sauvegarder_session(annee=session, chemin=fichier)
        except SauvegardeInvalide as e:
            raise CommandError(str(e)) from None
        self.stdout.write(f"Session {bilan.annee} sauvegardée dans {fichier} : {bilan.total} objets.")
        for libelle, nombre in bilan.objets.items():
            self.stdout.write(f"  {libelle:<32} {nombre:>8}")
        self.stdout.write(f"SHA-256 : {bilan.sha256}")
