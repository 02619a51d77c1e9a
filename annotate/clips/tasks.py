"""The clips' tasks (cpu queue): ingestion, and reading a clip's subtitle from the picture after
it. Each takes a clip id and re-checks state itself."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerUnavailable

from annotate.clips import ingest, subtitle_reading
from annotate.clips.models import Clip, SubtitleReading

log = logging.getLogger(__name__)


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
    """Probe and derive one clip's media (cpu queue). Safe to run twice. A clip whose subtitle
    is to be read from the picture gets that task next, once it is ready."""
    try:
        clip = ingest.clip_ingest(clip_id=clip_id)
    except SoftTimeLimitExceeded:
        ingest.clip_ingest_failed(
            clip_id=clip_id, message="Ingestion took longer than 30 minutes and was stopped."
        )
        raise
    if (
        clip is not None
        and clip.status == Clip.Status.READY
        and clip.subtitle_ocr_status == SubtitleReading.PENDING
    ):
        clip_subtitle_read_send(clip.pk)
    return clip.status if clip else None


READ_SOFT_LIMIT_S = 20 * 60


@shared_task(
    name="annotate.clips.tasks.clip_subtitle_read",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=READ_SOFT_LIMIT_S,
    time_limit=READ_SOFT_LIMIT_S + 60,
)
def clip_subtitle_read(clip_id: int) -> str | None:
    """Read one clip's subtitle from the picture (cpu queue). Safe to run twice; a failure
    marks the reading failed with its reason and never touches the clip's other state."""
    try:
        clip = subtitle_reading.clip_subtitle_read(clip_id=clip_id)
    except SoftTimeLimitExceeded:
        subtitle_reading.clip_subtitle_read_failed(
            clip_id=clip_id,
            message=f"Reading the subtitle from the picture took longer than "
            f"{READ_SOFT_LIMIT_S // 60} minutes and was stopped.",
        )
        raise
    return clip.subtitle_ocr_status if clip else None


def clip_subtitle_read_send(clip_id: int) -> None:
    """Queue a clip's subtitle reading after the commit (at once outside a transaction). With
    the broker down, the reading is marked failed with what to do: the clip stays usable."""

    def send() -> None:
        try:
            clip_subtitle_read.delay(clip_id)
        except BrokerUnavailable as error:
            log.error("reading the subtitle of clip %s not queued: %s", clip_id, error)
            subtitle_reading.clip_subtitle_read_failed(
                clip_id=clip_id,
                message="Reading the subtitle from the picture could not be queued (the task "
                "queue was unreachable); ask for it again on the clip page.",
            )

    transaction.on_commit(send)
