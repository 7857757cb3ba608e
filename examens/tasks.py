"""Tâches procrastinate (file PostgreSQL) : rendu des exports PDF par lots, hors du serveur web.

Workers : `manage.py procrastinate worker`, un processus par cœur (make run les lance) ; sur plusieurs
machines si besoin, contre la même base : les résultats sont rangés en base (FichierExport, ExportLot.fusion).
"""

import json
import logging

from asgiref.sync import sync_to_async
from procrastinate import exceptions, jobs
from procrastinate.contrib.django import app

from agora import pdf
from examens import apercus
from examens.documents import lots
from examens.models import ExportLot

logger = logging.getLogger(__name__)

FILE = "pdf"
# Une tâche reprise autant de fois après la mort de son worker (tué par le système, mémoire épuisée…) est
# abandonnée plutôt que de tuer un worker par minute : pour une tranche, ses documents manquants sont notés en
# échec ; pour l'assemblage, le lot se termine sans PDF unique (le ZIP reste).
REPRISES_MAX = 3


@app.task(queue=FILE, name="examens.rendre_tranche", retry=2)
def rendre_tranche(lot_id: int, debut: int, cles: list[int]) -> None:
    pdf.mode_lots()  # le worker est un processus dédié : ramasse-miettes réglé pour le rendu
    lots.traiter_tranche(lot_id=lot_id, debut=debut, cles=cles)


@app.task(queue=FILE, name="examens.fusionner_lot", retry=1)
def fusionner_lot(lot_id: int) -> None:
    lots.fusionner_lot(lot_id=lot_id)


@app.periodic(cron="17 3 * * *")
@app.task(queue=FILE, name="examens.purger_exports")
def purger_exports(timestamp: int) -> None:
    lots.purger_exports()


@app.periodic(cron="23 * * * *")
@app.task(queue=FILE, name="examens.purger_apercus")
def purger_apercus(timestamp: int) -> None:
    """Les fichiers d'aperçu d'import jamais confirmés, effacés après 24 h (vérifié toutes les heures)."""
    apercus.purger()


def differer_lot(lot: ExportLot, cles: list[int]) -> None:
    """Met les tranches d'un lot dans la file (dans la transaction courante : annulées avec elle)."""
    rendre_tranche.batch_defer(
        *({"lot_id": lot.pk, "debut": debut, "cles": tranche} for debut, tranche in lots.tranches(cles))
    )


def differer_fusion(lot_id: int) -> None:
    fusionner_lot.defer(lot_id=lot_id)


@app.periodic(cron="* * * * *", periodic_id="reprendre_taches_bloquees")
@app.task(
    queue=FILE,
    name="examens.reprendre_taches_bloquees",
    queueing_lock="examens.reprendre_taches_bloquees",
    pass_context=True,
)
async def reprendre_taches_bloquees(context, timestamp: int) -> None:
    """Remet dans la file les tâches d'un worker mort (mécanisme de procrastinate, voir reprendre())."""
    await reprendre(context.app.job_manager)


async def reprendre(gestionnaire) -> list[int]:
    """Les tâches « doing » d'un worker sans battement de cœur depuis 30 s repartent dans la file.

    Chaque worker procrastinate écrit un battement de cœur toutes les 10 s (procrastinate_workers) ; un worker tué
    (SIGKILL, machine arrêtée) cesse de battre et ses tâches restent « doing » : `get_stalled_jobs` les trouve,
    `retry_job` les remet à faire. Une tranche rejouée ne refait que ses documents manquants (traiter_tranche).
    Rend les identifiants des tâches remises dans la file.
    """
    reprises = []
    for job in await gestionnaire.get_stalled_jobs():
        try:
            if job.attempts >= REPRISES_MAX:
                logger.error("Tâche %s abandonnée après %s reprises : %s", job.id, job.attempts, job.task_kwargs)
                # Selon le connecteur, les arguments arrivent décodés ou en texte JSON.
                arguments = job.task_kwargs if isinstance(job.task_kwargs, dict) else json.loads(job.task_kwargs)
                motif = f"worker arrêté {job.attempts + 1} fois pendant son rendu"
                if job.task_name == rendre_tranche.name:
                    await sync_to_async(lots.abandonner_tranche)(**arguments, motif=motif)
                elif job.task_name == fusionner_lot.name:
                    await sync_to_async(lots.abandonner_fusion)(**arguments, motif=motif)
                await gestionnaire.finish_job(job, status=jobs.Status.FAILED, delete_job=False)
                continue
            await gestionnaire.retry_job(job)
            reprises.append(job.id)
            logger.warning("Tâche %s (%s) d'un worker arrêté : remise dans la file", job.id, job.task_name)
        except exceptions.ProcrastinateException:  # finie entre-temps par un worker encore vivant
            logger.info("Tâche %s : déjà reprise ou terminée", job.id)
    return reprises


@app.periodic(cron="41 4 * * *")
@app.task(queue=FILE, name="examens.purger_productions_e2")
def purger_productions_e2(timestamp: int) -> None:
    """Productions écrites d'E2 dont la délibération de la session suivante est verrouillée : effacées, journalisées."""
    from examens.organisation import productions

    productions.purger()
