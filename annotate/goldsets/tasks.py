"""The export task (cpu queue, through the "annotate.*.tasks.*" route)."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from annotate.goldsets import export_builder

log = logging.getLogger(__name__)


@shared_task(
    name="annotate.goldsets.tasks.export_build",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=30 * 60,
    time_limit=31 * 60,
)
def export_build(export_id: int) -> str | None:
    """Build one export's zip into storage. Safe to run twice: a done or failed export is left
    alone, and the zip's name is its sha256, so a rebuild reuses the stored file."""
    try:
        export = export_builder.export_build(export_id=export_id)
    except SoftTimeLimitExceeded:
        export_builder.export_failed(
            export_id=export_id, message="The export took longer than 30 minutes and was stopped."
        )
        raise
    return export.status if export else None
