from django.core.management.base import BaseCommand

from examens.imports import importer_notes
from examens.management.commands._commun import executer_import


class Command(BaseCommand):
    help = (
        "Importe des notes (CSV « ; » UTF-8 ou XLSX), tout ou rien. En-tête : numero_candidat;unite;note "
        "[;groupe;session_origine;specialite_origine]. Réimporter une note la remplace (historique conservé)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--session", type=int, required=True, help="année de la session")
        parser.add_argument("fichier")

    def handle(self, *args, session, fichier, **options):
        executer_import(self, importer_notes, fichier=fichier, annee=session, quoi="note")
