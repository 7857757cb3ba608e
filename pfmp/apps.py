from django.apps import AppConfig


class PfmpConfig(AppConfig):
    name = "pfmp"
    verbose_name = "PFMP"

    def ready(self):
        # examens n'importe pas pfmp : la PFMP s'inscrit pour recalculer la conformité de tout candidat créé ou
        # modifié (formulaire, import), dans la transaction de l'écriture.
        from examens import services as examens_services
        from pfmp import services

        if services.apres_ecriture_candidats not in examens_services.APRES_ECRITURE_CANDIDATS:
            examens_services.APRES_ECRITURE_CANDIDATS.append(services.apres_ecriture_candidats)
