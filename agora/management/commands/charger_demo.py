from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from examens.demo import charger_demo


class Command(BaseCommand):
    help = "Charge les données de démonstration (session 2026, deux lycées, trois divisions, comptes par rôle)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Refusé : les données de démonstration ne se chargent qu'avec DEBUG activé.")
        comptes = charger_demo()
        self.stdout.write("Comptes de démonstration (identifiant / mot de passe) :")
        for role, (identifiant, mot_de_passe) in comptes.items():
            self.stdout.write(f"  {role:<15} {identifiant:<14} {mot_de_passe}")
