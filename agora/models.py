"""Le modèle commun aux trois applications : la session de Django, avec la clé de son compte."""

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models


class SessionCompte(AbstractBaseSession):
    """Une session de Django (clé, données signées, échéance) et le compte qui s'y est connecté, écrit avec elle
    (agora/sessions.py) : chaque page lit la session et son compte en une requête au lieu de deux.

    Sans contrainte de clé étrangère : un compte supprimé ne fait pas échouer l'enregistrement d'une session, la
    jointure ne le trouve plus et Django relit alors le compte d'après les données de la session (il n'existe plus :
    la session n'authentifie personne)."""

    compte = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )

    class Meta(AbstractBaseSession.Meta):
        verbose_name = "session"
        verbose_name_plural = "sessions"

    @classmethod
    def get_session_store_class(cls):
        from agora.sessions import SessionStore

        return SessionStore
