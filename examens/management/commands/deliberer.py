import csv
import json

from django.core.management.base import BaseCommand, CommandError

from examens import services
from examens.models import Session


class Command(BaseCommand):
    help = "Délibère toute la session (nombre constant de requêtes) et affiche les résultats par numéro de candidat."

    def add_arguments(self, parser):
        parser.add_argument("--session", type=int, required=True)
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument("--sans-enregistrer", action="store_true", help="calcule sans écrire les résultats")

    def handle(self, *args, session, format, sans_enregistrer, **options):
        objet = Session.objects.filter(annee=session).select_related("reglement").first()
        if objet is None:
            raise CommandError(f"La session {session} n'existe pas.")
        try:
            resultats = (
                services.calculer_session(objet)
                if sans_enregistrer or objet.verrouillee
                else services.deliberer(session=objet)
            )
        except services.OperationRefusee as e:
            raise CommandError(str(e)) from None
        lignes = [services.ligne_resultat(c, r) for c, r in resultats]
        if format == "json":
            json.dump(lignes, self.stdout, ensure_ascii=False, indent=1)
            self.stdout.write("")
            return
        ecrivain = csv.DictWriter(
            self.stdout, fieldnames=list(lignes[0]) if lignes else ["numero_candidat"], delimiter=";"
        )
        ecrivain.writeheader()
        for ligne in lignes:
            ecrivain.writerow({**ligne, "trace": " | ".join(ligne["trace"])})
