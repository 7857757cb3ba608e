"""Les sessions de Django en base (aucun état sur un nœud web), lues avec leur compte en une requête.

Chaque page authentifiée relit sa session, puis le compte qu'elle désigne (avec ses permissions,
agora/authentification.py) : deux allers-retours avec PostgreSQL avant que la vue ne commence. La session est
ici celle de Django dans une table qui garde aussi la clé du compte (agora.models.SessionCompte, écrite à chaque
enregistrement de la session) : la lecture de la session joint le compte et ses permissions, et le moteur
d'authentification reprend ce compte au lieu de le relire. Django fait tout le reste comme d'habitude :
le compte vient des données signées de la session (la colonne ne sert qu'à la jointure, et un compte lu n'est
repris que s'il est celui de ces données), l'empreinte du mot de passe est vérifiée, l'écriture, l'expiration et
la purge (`clearsessions`) sont celles de Django.

Le compte lu vit le temps d'une requête HTTP : chaque requête crée sa session (SessionMiddleware), ce qui l'efface,
et le moteur d'authentification le prend une fois. La lecture est compilée une fois par processus
(agora/requetes.py).
"""

import contextvars

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as SessionEnBase
from django.db.models.expressions import RawSQL
from django.utils import timezone

from agora.authentification import permissions_en_tableau
from agora.models import SessionCompte
from agora.requetes import RequeteFigee

_SESSION = RequeteFigee(
    lambda cle, maintenant: (
        SessionCompte.objects.filter(session_key=cle, expire_date__gt=maintenant)
        .select_related("compte")
        .annotate(permissions_du_compte=RawSQL(permissions_en_tableau('"agora_sessioncompte"."compte_id"'), ()))
    )
)
# Le compte joint à la session lue par la requête HTTP en cours (None : pas encore lue, ou déjà repris).
_COMPTE_LU = contextvars.ContextVar("agora_compte_de_la_session", default=None)


def reprendre_compte(pk: int):
    """Le compte lu avec la session de cette requête s'il est `pk` (avec ses permissions en `permissions_lues`),
    une seule fois ; sinon None (le moteur d'authentification le lit alors lui-même)."""
    compte = _COMPTE_LU.get()
    _COMPTE_LU.set(None)
    return compte if compte is not None and compte.pk == pk else None


class SessionStore(SessionEnBase):
    def __init__(self, session_key=None):
        super().__init__(session_key)
        _COMPTE_LU.set(None)  # une requête HTTP, une session : rien d'une requête précédente

    @classmethod
    def get_model_class(cls):
        return SessionCompte

    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        cle = data.get(SESSION_KEY)
        instance.compte_id = int(cle) if isinstance(cle, str) and cle.isdigit() and len(cle) < 19 else None
        return instance

    def _get_session_from_db(self):
        if not isinstance(self.session_key, str):
            return super()._get_session_from_db()
        trouvees = _SESSION(cle=self.session_key, maintenant=timezone.now())
        if not trouvees:
            self._session_key = None  # comme Django quand la session n'existe pas ou a expiré
            return None
        session = trouvees[0]
        if session.compte is not None:
            session.compte.permissions_lues = session.permissions_du_compte
            _COMPTE_LU.set(session.compte)
        return session
