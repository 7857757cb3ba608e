from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.donnees_examens import charger_demo
from demo.donnees_pfmp import charger_demo_pfmp
from examens import resultats
from examens.models import Session


class Command(BaseCommand):
    help = "Charge les données de démonstration (session 2026, deux lycées, trois divisions, comptes par rôle)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Refusé : les données de démonstration ne se chargent qu'avec DEBUG activé.")
        comptes = charger_demo()
        charger_demo_pfmp()
        # Les écritures de la démonstration passent par les services, qui recalculent déjà ; ceci couvre les
        # candidats créés en masse sans note.
        for session in Session.objects.select_related("reglement"):
            resultats.recalculer_session(session)
        self.stdout.write("Comptes de démonstration (identifiant / mot de passe) :")
        for role, (identifiant, mot_de_passe) in comptes.items():
            self.stdout.write(f"  {role:<28} {identifiant:<14} {mot_de_passe}")
        for identifiant, role in (
            ("enseignant3", "enseignant (commissions CCF)"),
            ("professionnel", "professionnel RH (E32)"),
        ):
            self.stdout.write(f"  {role:<28} {identifiant:<14} {comptes['enseignant'][1]}")
