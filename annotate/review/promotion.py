"""Queueing auto-promotion: when a clip's k-th annotation is submitted, a cpu worker decides
whether every annotator agrees (annotate.review.tasks.clip_auto_promote, which runs
annotate.review.services.gold_auto_promote). Kept apart from the services so that the task
module can import them."""

from django.db import transaction

from annotate.annotation.models import Annotation
from annotate.review.tasks import clip_auto_promote


def clip_auto_promote_queue(*, annotation: Annotation) -> bool:
    """After the commit, ask a cpu worker to auto-promote the annotation's clip when the
    project allows it and this submission is the clip's k-th (alignment needs the sentence
    model, so it never runs in the request). Returns whether it was queued."""
    project = annotation.clip.project
    if not project.auto_promote_consensus:
        return False
    submitted = Annotation.objects.filter(
        clip_id=annotation.clip_id, status=Annotation.Status.SUBMITTED
    ).count()
    if submitted < project.annotators_per_clip:
        return False
    clip_id = annotation.clip_id
    transaction.on_commit(lambda: clip_auto_promote.delay(clip_id))
    return True
