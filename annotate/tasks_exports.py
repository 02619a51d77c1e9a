"""The export task (cpu queue: its name falls under CELERY_TASK_ROUTES' "annotate.tasks.*")."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

log = logging.getLogger(__name__)


@shared_task(
    name="annotate.tasks.export_build",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=30 * 60,
    time_limit=31 * 60,
)
def export_build(export_id: int) -> str | None:
    """Build one export's zip into storage. Safe to run twice: a done or failed export is left
    alone, and the zip's name is its sha256, so a rebuild reuses the stored file."""
    from annotate.services import exports as export_services

    try:
        export = export_services.export_build(export_id=export_id)
    except SoftTimeLimitExceeded:
        export_services.export_failed(
            export_id=export_id, message="The export took longer than 30 minutes and was stopped.")
        raise
    return export.status if export else None
