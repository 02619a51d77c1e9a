"""Annotation's answers to what core announces (annotate/core/signals.py): assignment slots
follow the project's annotators per clip, and a leaving member's leases return to the pool."""

from annotate.annotation.assignments import (
    assignment_leases_release_for_member,
    assignment_slots_ensure,
)


def on_annotators_per_clip_changed(sender, *, project, **_kwargs) -> None:
    assignment_slots_ensure(project=project)


def on_member_leaving(sender, *, project, user, by, **_kwargs) -> None:
    assignment_leases_release_for_member(project=project, user=user, by=by)
