"""Review's answers to what annotation announces (annotate/core/signals.py)."""

from annotate.review.alignment_queue import clip_alignment_queue
from annotate.review.promotion import clip_auto_promote_queue


def on_annotation_submitted(sender, *, annotation, **_kwargs) -> None:
    clip_alignment_queue(annotation=annotation)
    clip_auto_promote_queue(annotation=annotation)
