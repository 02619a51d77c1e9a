"""The review's cpu tasks: a clip's alignment, and auto-promotion. Each takes a clip id and
re-checks state itself."""

import logging

from celery import shared_task

from annotate.clips.models import Clip
from annotate.review.alignment import clip_alignment_refresh
from annotate.review.services import gold_auto_promote

log = logging.getLogger(__name__)


@shared_task(
    name="annotate.review.tasks.clip_align",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=5 * 60,
    time_limit=6 * 60,
)
def clip_align(clip_id: int) -> str:
    """Align the clip's submitted annotations and store the groups for every process (cpu
    queue; enqueued on each submission, and by the review queue for a clip it finds without
    one). Safe to run twice: an alignment already stored for the clip's current state is left
    alone."""
    clip = Clip.objects.select_related("project").filter(pk=clip_id).first()
    if clip is None:
        return "clip deleted"
    result = clip_alignment_refresh(clip=clip)
    log.info("alignment of %s: %s", clip.name, result)
    return result


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
