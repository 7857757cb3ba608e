from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from examens.ccf.gabarits import charger_gabarits
from examens.chargement import DOSSIER as DOSSIER_REGLEMENT
from examens.chargement import charger_reglement
from referentiel.chargement import DOSSIER as DOSSIER_REFERENTIEL
from referentiel.chargement import VersionDifferente, charger_referentiel


class Command(BaseCommand):
    help = (
        "Charge les versions du référentiel (fixtures/referentiel/*.json) puis des règlements d'examen "
        "(fixtures/reglement/*.json). Idempotent : une version déjà chargée n'est pas modifiée."
    )

    def add_arguments(self, parser):
        parser.add_argument("fichiers", nargs="*", type=Path, help="fichiers de référentiel à charger (défaut : tous)")
        parser.add_argument("--reglements", nargs="*", type=Path, default=None, help="fichiers de règlement")

    def handle(self, *args, fichiers, reglements, **options):
        try:
            for chemin in fichiers or sorted(DOSSIER_REFERENTIEL.glob("*.json")):
                ref, cree = charger_referentiel(chemin)
                self.stdout.write(f"Référentiel {ref.code} : {'chargé' if cree else 'déjà à jour'}")
            for chemin in sorted(DOSSIER_REGLEMENT.glob("*.json")) if reglements is None else reglements:
                reglement, cree = charger_reglement(chemin)
                self.stdout.write(f"Règlement {reglement.code} : {'chargé' if cree else 'déjà à jour'}")
            if fichiers or reglements is not None:
                return  # chargement ciblé : les gabarits de grille se chargent avec l'ensemble
            for gabarit, cree in charger_gabarits():
                self.stdout.write(
                    f"Gabarit de grille {gabarit.code} v{gabarit.version} : {'chargé' if cree else 'déjà à jour'}"
                )
        except VersionDifferente as erreur:
            raise CommandError(str(erreur)) from erreur
