from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AgoraConfig(AppConfig):
    name = "agora"
    verbose_name = "AGOrA Examens"

    def ready(self):
        from agora import roles

        post_migrate.connect(roles.apres_migration, dispatch_uid="agora-roles")
