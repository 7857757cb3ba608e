"""Les sessions de Django en base (aucun état sur un nœud web), lues par une requête compilée une fois.

Chaque page authentifiée relit sa session : la requête de `django.contrib.sessions.backends.db` est la même, mais
compilée une fois par processus (agora/requetes.py) au lieu d'une fois par page. Tout le reste (écriture, expiration,
purge par `clearsessions`) est celui de Django.
"""

from django.contrib.sessions.backends.db import SessionStore as SessionEnBase
from django.utils import timezone

from agora.requetes import RequeteFigee

_SESSION = RequeteFigee(
    lambda cle, maintenant: SessionEnBase.get_model_class().objects.filter(session_key=cle, expire_date__gt=maintenant)
)


class SessionStore(SessionEnBase):
    def _get_session_from_db(self):
        if not isinstance(self.session_key, str):
            return super()._get_session_from_db()
        trouvees = _SESSION(cle=self.session_key, maintenant=timezone.now())
        if trouvees:
            return trouvees[0]
        self._session_key = None  # comme Django quand la session n'existe pas ou a expiré
        return None
