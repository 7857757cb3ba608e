"""Tâches périodiques PFMP (procrastinate) : relances des tuteurs, états de conformité dont la date a changé le niveau.

Elles tournent dans les workers (`manage.py procrastinate worker`) ; chacune se lance aussi à la main pour un essai :
`manage.py shell -c "from pfmp import tasks; tasks.relancer_tuteurs(0)"`.
"""

from django.conf import settings
from procrastinate.contrib.django import app

from pfmp import services, tuteurs


@app.periodic(cron="7 8 * * *")
@app.task(queue="pfmp", name="pfmp.relancer_tuteurs")
def relancer_tuteurs(timestamp: int) -> dict:
    return tuteurs.relancer(base=settings.URL_BASE)


@app.periodic(cron="3 0 * * *")
@app.task(queue="pfmp", name="pfmp.rafraichir_conformites")
def rafraichir_conformites(timestamp: int) -> int:
    return services.rafraichir_perimes()
