from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from examens.sauvegarde import SauvegardeInvalide, restaurer_session


class Command(BaseCommand):
    help = (
        "Restaure une session sauvegardée par « sauvegarder », tout ou rien, dans une base où cette session "
        "n'existe pas et où le même référentiel et le même règlement sont chargés."
    )

    def add_arguments(self, parser):
        parser.add_argument("fichier", type=Path, help="fichier écrit par « manage.py sauvegarder »")
        parser.add_argument(
            "--essai", action="store_true", help="tout vérifier et tout insérer, puis tout annuler (rien n'est écrit)"
        )

    def handle(self, *args, fichier, essai, **options):
        try:
            bilan = restaurer_session(chemin=fichier, essai=essai)
        except SauvegardeInvalide as e:
            raise CommandError(str(e)) from None
        if essai:
            self.stdout.write(
                f"Essai réussi : la session {bilan.annee} se restaure ({bilan.total} objets). Rien n'a été écrit."
            )
        else:
            self.stdout.write(f"Session {bilan.annee} restaurée : {bilan.total} objets.")
        for libelle, nombre in bilan.objets.items():
            self.stdout.write(f"  {libelle:<32} {nombre:>8}")
        for libelle, nombre in bilan.reutilises.items():
            self.stdout.write(f"  {libelle:<32} {nombre:>8} déjà présents, repris tels quels")
        if bilan.renumerotes:
            self.stdout.write(f"Clés renumérotées (déjà prises dans cette base) : {', '.join(bilan.renumerotes)}")
        if bilan.comptes_crees:
            self.stdout.write(
                f"{bilan.comptes_crees} compte(s) recréé(s) sans mot de passe ni droit d'administration : "
                "définissez le mot de passe avec "
                "« manage.py changepassword <identifiant> »."
            )
