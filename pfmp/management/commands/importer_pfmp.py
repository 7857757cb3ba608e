from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agora.tableaux import ImportRefuse
from examens.management.commands._commun import ajouter_option_utilisateur, mention_droits, utilisateur_nomme
from pfmp.imports import COLONNES, importer_pfmp


class Command(BaseCommand):
    help = (
        "Importe des périodes de PFMP et leurs attestations (CSV « ; » UTF-8 ou XLSX), tout ou rien. "
        f"En-tête : {';'.join(COLONNES)} (pays ISO 3166-1 alpha-2, dates JJ/MM/AAAA, semaines attestées, "
        "attestation_signee oui ou non). Réimporter une ligne ne crée pas de doublon."
    )

    def add_arguments(self, parser):
        parser.add_argument("--session", type=int, required=True, help="année de la session")
        parser.add_argument("fichier")
        ajouter_option_utilisateur(parser)

    def handle(self, *args, session, fichier, utilisateur=None, **options):
        auteur = utilisateur_nomme(utilisateur, "pfmp.importer")
        chemin = Path(fichier)
        if not chemin.is_file():
            raise CommandError(f"Fichier introuvable : {fichier}")
        try:
            bilan = importer_pfmp(contenu=chemin.read_bytes(), nom_fichier=fichier, annee=session, auteur=auteur)
        except ImportRefuse as refus:
            for erreur in refus.erreurs:
                self.stderr.write(str(erreur))
            raise CommandError(
                f"Import refusé : {len(refus.erreurs)} erreur(s). Aucune période n'a été enregistrée."
            ) from None
        self.stdout.write(
            f"Import terminé : {bilan.crees} période(s) créée(s), {bilan.modifies} attestation(s) remplacée(s), "
            f"{bilan.inchanges} inchangée(s) ; conformité recalculée pour {bilan.candidats} candidat(s)"
            + (
                f" ; organisations créées : {', '.join(bilan.organisations_creees)}"
                if bilan.organisations_creees
                else ""
            )
            + mention_droits(auteur)
        )
