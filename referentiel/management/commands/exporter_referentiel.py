import json

from django.core.management.base import BaseCommand, CommandError

from referentiel import selectors


def serialiser(document: dict) -> str:
    """Le texte servi aussi à /referentiel/<code>.json (mêmes options que JsonResponse dans views.export_json)."""
    return json.dumps(document, ensure_ascii=False, indent=1)


class Command(BaseCommand):
    help = (
        "Écrit sur la sortie standard le référentiel en JSON (pôles, activités, blocs, unités), "
        "dans l'ordre et le texte de l'arrêté. Par défaut, la version la plus récente."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # « --version » désigne ici la version du référentiel : elle remplace l'option de Django du même nom.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--version", dest="code", help="code de la version (ex. AGORA-2020)")

    def handle(self, *args, code=None, **options):
        ref = selectors.version(code)
        if ref is None:
            raise CommandError(f"Référentiel {code} inconnu." if code else "Aucun référentiel chargé.")
        self.stdout.write(serialiser(selectors.document(ref)))
