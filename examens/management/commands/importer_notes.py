from django.core.management.base import BaseCommand

from examens.imports import importer_notes
from examens.management.commands._commun import ajouter_option_utilisateur, executer_import, utilisateur_nomme


class Command(BaseCommand):
    help = (
        "Importe des notes (CSV « ; » UTF-8 ou XLSX), tout ou rien. En-tête : numero_candidat;unite;note "
        "[;groupe;session_origine;specialite_origine]. Réimporter une note la remplace (historique conservé)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--session", type=int, required=True, help="année de la session")
        parser.add_argument("fichier")
        ajouter_option_utilisateur(parser)

    def handle(self, *args, session, fichier, utilisateur=None, **options):
        auteur = utilisateur_nomme(utilisateur, "examens.importer")
        executer_import(self, importer_notes, fichier=fichier, annee=session, utilisateur=auteur, quoi="note")
