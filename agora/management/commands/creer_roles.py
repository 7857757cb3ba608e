from django.core.management.base import BaseCommand

from agora.roles import creer_roles


class Command(BaseCommand):
    help = "Crée ou remet à jour les groupes enseignant, gestionnaire et administrateur."

    def handle(self, *args, **options):
        groupes = creer_roles()
        self.stdout.write(", ".join(f"{nom} ({g.permissions.count()} permissions)" for nom, g in groupes.items()))
