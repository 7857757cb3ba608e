from django.apps import AppConfig


class PfmpConfig(AppConfig):
    name = "pfmp"
    verbose_name = "PFMP"
