from django.apps import AppConfig


class PfmpConfig(AppConfig):
    name = "pfmp"
    verbose_name = "PFMP"

    def ready(self):
        from django.conf import settings

        from pfmp import regles_pfmp

        # Règle nommée : zone de l'unité de mobilité (« etranger » par défaut, « ue_eee_aele » en option).
        regles_pfmp.ZONE_MOBILITE = getattr(settings, "AGORA_ZONE_MOBILITE", regles_pfmp.ZONE_MOBILITE)
        # examens n'importe pas pfmp : la PFMP s'y inscrit.
        from examens import services as examens_services
        from examens.organisation import indisponibilites
        from pfmp import services
        from pfmp.indisponibilites import periodes_pfmp

        # Le planificateur des CCF évite les périodes de PFMP.
        indisponibilites.inscrire(periodes_pfmp)
        # La conformité de tout candidat créé ou modifié (formulaire, import) se recalcule dans la transaction.
        if services.apres_ecriture_candidats not in examens_services.APRES_ECRITURE_CANDIDATS:
            examens_services.APRES_ECRITURE_CANDIDATS.append(services.apres_ecriture_candidats)
