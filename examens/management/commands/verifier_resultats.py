from django.core.management.base import BaseCommand, CommandError

from examens import resultats
from examens.models import Session


class Command(BaseCommand):
    help = (
        "Recalcule tous les résultats d'une session sans rien écrire et liste chaque résultat enregistré qui diffère "
        "du calcul de ses données (code de sortie 1 s'il y en a) : contrôle de cohérence."
    )

    def add_arguments(self, parser):
        parser.add_argument("--session", type=int, required=True)

    def handle(self, *args, session, **options):
        objet = Session.objects.filter(annee=session).select_related("reglement").first()
        if objet is None:
            raise CommandError(f"La session {session} n'existe pas.")
        a_ecrire, differences = resultats.differences(objet)
        if not a_ecrire:
            self.stdout.write(f"Session {session} : tous les résultats correspondent à leurs données.")
            return
        for d in differences:
            self.stdout.write(str(d))
        autres = len(a_ecrire) - len({d.numero for d in differences})
        if autres > 0:
            self.stdout.write(f"{autres} autre(s) résultat(s) diffèrent par leur trace ou leur empreinte seulement.")
        raise CommandError(f"Session {session} : {len(a_ecrire)} résultat(s) ne correspondent pas à leurs données.")
