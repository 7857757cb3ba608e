from django.core.management.base import BaseCommand

from examens.imports import importer_candidats
from examens.management.commands._commun import ajouter_option_utilisateur, executer_import, utilisateur_nomme


class Command(BaseCommand):
    help = (
        "Importe des candidats (CSV « ; » UTF-8 ou XLSX), tout ou rien. En-tête : numero_candidat;nom;prenom;"
        "date_naissance;uai;statut;forme;lv1;lv2;facultatives [;duree_cycle;positionnement_semaines;division]"
    )

    def add_arguments(self, parser):
        parser.add_argument("--session", type=int, required=True, help="année de la session (créée si besoin)")
        parser.add_argument("fichier")
        ajouter_option_utilisateur(parser)

    def handle(self, *args, session, fichier, utilisateur=None, **options):
        auteur = utilisateur_nomme(utilisateur, "examens.importer")
        executer_import(self, importer_candidats, fichier=fichier, annee=session, utilisateur=auteur, quoi="ligne")
