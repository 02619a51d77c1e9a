"""The auto-promotion task (cpu queue). It takes a clip id and re-checks state itself."""

import logging

from celery import shared_task

from annotate.clips.models import Clip
from annotate.review.services import gold_auto_promote

log = logging.getLogger(__name__)


@shared_task(
    name="annotate.review.tasks.clip_auto_promote",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=5 * 60,
    time_limit=6 * 60,
)
def clip_auto_promote(clip_id: int) -> str:
    """Make a clip's gold record without review when every annotator agrees and the project
    allows it (cpu queue; enqueued when the clip's k-th annotation is submitted). Safe to run
    twice: a clip that has a gold record is left alone."""
    clip = Clip.objects.select_related("project").filter(pk=clip_id).first()
    if clip is None:
        return "clip deleted"
    result = gold_auto_promote(clip=clip)
    log.info("auto-promotion of %s: %s", clip.name, result.reason)
    return ("promoted: " if result.promoted else "not promoted: ") + result.reason
