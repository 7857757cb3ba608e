"""Le moteur PostgreSQL de Django, avec un contrôle de santé des connexions sans aller-retour (issue #23).

Avec `CONN_HEALTH_CHECKS`, Django envoie « SELECT 1 » au début de chaque requête HTTP qui réutilise sa connexion :
un aller-retour de plus par enregistrement automatique, et le travail de deux processus (le worker et PostgreSQL).
Or une connexion au repos ne reçoit rien du serveur : ni résultat, ni notification (les connexions du web
n'écoutent aucun canal). Si elle a quelque chose à lire, c'est que le serveur l'a fermée ou va le faire (le
message FATAL d'un arrêt ou d'un pg_terminate_backend, puis la fin du flux) ; elle est alors refermée et Django en
ouvre une autre, comme après un « SELECT 1 » en échec. Un message inattendu mais inoffensif coûte une reconnexion.

Ce que « SELECT 1 » verrait de plus et pas ce contrôle : un serveur injoignable sans avoir rien envoyé (réseau
coupé) ; « SELECT 1 » attendrait alors lui aussi l'expiration TCP."""

import select

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        brute = self.connection
        if brute is None or brute.closed or brute.broken:
            return False
        if brute.info.transaction_status != TransactionStatus.IDLE:
            return super().is_usable()  # entre deux requêtes HTTP, une connexion est au repos ; sinon, comme Django
        sondage = select.poll()
        try:
            sondage.register(brute.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
            evenements = sondage.poll(0)
        except (OSError, ValueError):
            return False
        return not evenements
