"""Queueing alignments: a cpu worker aligns a clip (annotate.review.tasks.clip_align) when an
annotation of it is submitted, and again when the review queue finds a clip without the
alignment of its current state (thresholds changed, a task lost). Kept apart from
alignment.py, the task's work, so that the task module can import it."""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from annotate.annotation.models import Annotation
from annotate.review.alignment import alignment_key, review_run, submitted_annotations
from annotate.review.models import ClipAlignment
from annotate.review.tasks import clip_align

log = logging.getLogger(__name__)

# A clip asked for less than this long ago is not asked for again (the task's hard limit is
# 6 minutes): reloading the queue does not pile up tasks.
REQUEUE_AFTER = timedelta(minutes=10)


def clip_alignments_queue(*, keys: dict[int, str]) -> list[int]:
    """After the commit, ask a cpu worker to align each clip (clip id -> the alignment key of
    its current state), unless one was asked for that state within REQUEUE_AFTER. Returns
    the clip ids queued. A broker outage is logged, not raised: the queue asks again on its
    next load, and a clip's review page aligns on its own."""
    now = timezone.now()
    asked = set(
        ClipAlignment.objects.filter(clip_id__in=keys, queued_at__gte=now - REQUEUE_AFTER)
        .values_list("clip_id", "queued_key")
        .order_by()
    )
    due = sorted(clip_id for clip_id, key in keys.items() if (clip_id, key) not in asked)
    if not due:
        return []
    ClipAlignment.objects.bulk_create(
        [ClipAlignment(clip_id=c, queued_key=keys[c], queued_at=now) for c in due],
        update_conflicts=True,
        unique_fields=["clip"],
        update_fields=["queued_key", "queued_at"],
    )

    def send() -> None:
        try:
            for clip_id in due:
                clip_align.delay(clip_id)
        except BrokerUnavailable as error:
            log.warning("alignments of clips %s not queued: %s", due, error)
            ClipAlignment.objects.filter(clip_id__in=due).update(queued_at=None)

    transaction.on_commit(send)
    return due


def clip_alignment_queue(*, annotation: Annotation) -> list[int]:
    """Ask a worker to align the clip of a just-submitted annotation (inside the submitting
    transaction: the task is sent after the commit)."""
    clip = annotation.clip
    annotations = submitted_annotations(Q(clip_id=clip.pk))
    key = alignment_key(clip, clip.project, annotations, review_run(annotations))
    return clip_alignments_queue(keys={clip.pk: key})
