"""Tâches procrastinate (file PostgreSQL) : rendu des exports PDF par lots, hors du serveur web.

Workers : `manage.py procrastinate worker`, un processus par cœur (make run les lance) ; sur plusieurs
machines si besoin, contre la même base : les résultats sont rangés en base (FichierExport, ExportLot.fusion).
"""

from procrastinate.contrib.django import app

from examens import apercus, documents, pdf
from examens.models import ExportLot

FILE = "pdf"


@app.task(queue=FILE, name="examens.rendre_tranche", retry=2)
def rendre_tranche(lot_id: int, debut: int, cles: list[int]) -> None:
    pdf.mode_lots()  # le worker est un processus dédié : ramasse-miettes réglé pour le rendu
    documents.traiter_tranche(lot_id=lot_id, debut=debut, cles=cles)


@app.task(queue=FILE, name="examens.fusionner_lot", retry=1)
def fusionner_lot(lot_id: int) -> None:
    documents.fusionner_lot(lot_id=lot_id)


@app.periodic(cron="17 3 * * *")
@app.task(queue=FILE, name="examens.purger_exports")
def purger_exports(timestamp: int) -> None:
    documents.purger_exports()


@app.periodic(cron="23 * * * *")
@app.task(queue=FILE, name="examens.purger_apercus")
def purger_apercus(timestamp: int) -> None:
    """Les fichiers d'aperçu d'import jamais confirmés, effacés après 24 h (vérifié toutes les heures)."""
    apercus.purger()


def differer_lot(lot: ExportLot, cles: list[int]) -> None:
    """Met les tranches d'un lot dans la file (dans la transaction courante : annulées avec elle)."""
    rendre_tranche.batch_defer(
        *({"lot_id": lot.pk, "debut": debut, "cles": tranche} for debut, tranche in documents.tranches(cles))
    )


def differer_fusion(lot_id: int) -> None:
    fusionner_lot.defer(lot_id=lot_id)
