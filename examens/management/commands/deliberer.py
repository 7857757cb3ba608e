import csv
import json

from django.core.management.base import BaseCommand, CommandError

from agora.format import pluriel
from examens import resultats, services
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
            if not (sans_enregistrer or objet.verrouillee):
                deliberation = services.deliberer(session=objet)
                # Chaque écriture recalcule déjà ses candidats : un résultat réécrit ici signale une anomalie.
                self.stderr.write(f"{pluriel(deliberation.changes, 'résultat modifié')} par ce recalcul (0 attendu).")
            calcules = resultats.calculer(objet)
        except services.OperationRefusee as e:
            raise CommandError(str(e)) from None
        lignes = [services.ligne_resultat(c.candidat, c.resultat) for c in calcules]
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
