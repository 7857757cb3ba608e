import csv
import json

from django.core.management.base import BaseCommand, CommandError

from agora.format import nombre_json
from examens.models import Candidat, Session
from pfmp import selectors, services


class Command(BaseCommand):
    help = (
        "Bilan PFMP d'une session, par candidat : semaines requises, semaines attestées (attestations signées "
        "seulement), conformité et motifs. --appliquer recalcule aussi les blocages de la délibération."
    )

    def add_arguments(self, parser):
        parser.add_argument("--session", type=int, required=True)
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument(
            "--appliquer",
            action="store_true",
            help="pose ou lève le blocage « PFMP : … semaines manquantes » de chaque candidat",
        )

    def handle(self, *args, session, format, appliquer, **options):
        objet = Session.objects.filter(annee=session).first()
        if objet is None:
            raise CommandError(f"La session {session} n'existe pas.")
        if appliquer:
            try:
                services.synchroniser_session(session=objet)
            except services.OperationRefusee as e:
                raise CommandError(str(e)) from None
        # Le calcul en masse (tuples, règles pures) : 25 000 candidats en quelques secondes.
        candidats = Candidat.objects.filter(session=objet)
        evalues = selectors.conformites(candidats)
        lignes = []
        for pk, numero in sorted(candidats.values_list("pk", "numero"), key=lambda c: c[1]):
            conformite = evalues[pk].conformite
            lignes.append(
                {
                    "numero_candidat": numero,
                    "voie": conformite.exigence.voie.value,
                    "justificatif": conformite.exigence.justificatif.value,
                    "semaines_requises": nombre_json(conformite.exigence.semaines),
                    "semaines_attestees": nombre_json(conformite.semaines_attestees),
                    "semaines_manquantes": nombre_json(conformite.semaines_manquantes),
                    "signatures_manquantes": conformite.signatures_manquantes,
                    "etat": conformite.niveau.value,
                    "conforme": conformite.conforme,
                    "mobilite_eligible": conformite.mobilite_eligible,
                    "motifs": list(conformite.motifs),
                }
            )
        if format == "json":
            # Un candidat par ligne : l'encodeur C de json (indent= passe par l'encodeur Python, 3 s pour 25 000
            # candidats). Un seul write : OutputWrapper ajoute une fin de ligne à chaque appel.
            corps = ",\n".join(json.dumps(ligne, ensure_ascii=False) for ligne in lignes)
            self.stdout.write(f"[\n{corps}\n]" if lignes else "[]")
            return
        champs = list(lignes[0]) if lignes else ["numero_candidat"]
        ecrivain = csv.DictWriter(self.stdout, fieldnames=champs, delimiter=";")
        ecrivain.writeheader()
        for ligne in lignes:
            ecrivain.writerow(
                {
                    **ligne,
                    "conforme": "oui" if ligne["conforme"] else "non",
                    "mobilite_eligible": "oui" if ligne["mobilite_eligible"] else "non",
                    "motifs": " | ".join(ligne["motifs"]),
                }
            )
