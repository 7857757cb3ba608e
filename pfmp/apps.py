from django.apps import AppConfig


class PfmpConfig(AppConfig):
    name = "pfmp"
    verbose_name = "PFMP"

    def ready(self):
        # Le planificateur des CCF (examens) évite les périodes de PFMP sans importer pfmp.
        from examens.organisation import indisponibilites
        from pfmp.indisponibilites import periodes_pfmp

        indisponibilites.inscrire(periodes_pfmp)
