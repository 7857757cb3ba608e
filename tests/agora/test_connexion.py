"""Réglages de la connexion à PostgreSQL."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_la_connexion_ne_compile_pas_les_requetes_a_la_volee():
    """Issue #23 : la compilation JIT, déclenchée par le coût estimé du périmètre d'un gestionnaire académique,
    coûtait 0,6 s par requête au procès-verbal d'une session nationale ; elle est coupée pour chaque connexion."""
    with connection.cursor() as curseur:
        curseur.execute("SHOW jit")
        assert curseur.fetchone()[0] == "off"
