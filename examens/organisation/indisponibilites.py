"""Indisponibilités des candidats venues d'autres modules, sans que examens ne les importe.

Les dépendances vont dans un sens (referentiel ← examens ← pfmp) : examens ne lit pas les PFMP. Le module
pfmp s'inscrit ici au démarrage (pfmp/apps.py, ready()) avec une fonction
(candidat_ids, debut, fin) → {candidat_id: [(date_debut, date_fin, motif)]}.
"""

import datetime
from collections.abc import Callable, Iterable

Source = Callable[
    [Iterable[int], datetime.date, datetime.date], dict[int, list[tuple[datetime.date, datetime.date, str]]]
]

SOURCES: list[Source] = []


def inscrire(source: Source) -> None:
    if source not in SOURCES:
        SOURCES.append(source)


def indisponibilites(candidat_ids, debut: datetime.date, fin: datetime.date) -> dict[int, list]:
    ids = list(candidat_ids)
    resultat: dict[int, list] = {}
    for source in SOURCES:
        for cle, periodes in source(ids, debut, fin).items():
            resultat.setdefault(cle, []).extend(periodes)
    return resultat
