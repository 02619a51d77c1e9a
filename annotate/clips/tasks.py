"""The ingestion task (cpu queue). It takes a clip id and re-checks state itself."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from annotate.clips import ingest


@shared_task(
    name="annotate.clips.tasks.clip_ingest",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=30 * 60,
    time_limit=31 * 60,
    autoretry_for=(OSError,),
    retry_backoff=5,
    retry_kwargs={"max_retries": 3},
)
def clip_ingest(clip_id: int) -> str | None:
    """Probe and derive one clip's media (cpu queue). Safe to run twice."""
    try:
        clip = ingest.clip_ingest(clip_id=clip_id)
    except SoftTimeLimitExceeded:
        ingest.clip_ingest_failed(
            clip_id=clip_id, message="Ingestion took longer than 30 minutes and was stopped."
        )
        raise
    return clip.status if clip else None
