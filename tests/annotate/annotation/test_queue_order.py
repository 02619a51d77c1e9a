"""The expected-value queue (Project.queue_order): "next clip" hands out the free slot of the
clip worth most (the latest proposal's uncertainty plus the disagreement so far) instead of
breadth first, within the same k, leases and "one annotator, one slot per clip"."""

import pytest
from django.utils import timezone

from annotate.annotation import assignments as svc
from annotate.annotation.models import Annotation
from annotate.core.models import Project
from annotate.core.services import project_settings_update
from annotate.runs.models import ModelRun, Proposal
from inference.proposers import emotion_uncertainty
from tests.annotate.annotation.test_assignments import annotators, make_ready_clips, set_k

pytestmark = pytest.mark.django_db


def by_value(project):
    project.queue_order = Project.QueueOrder.EXPECTED_VALUE
    project.save(update_fields=["queue_order"])


def proposed(project, clips, uncertainty: dict, *, source=ModelRun.Source.PROPOSER):
    """A finished run whose proposal of each named clip has this uncertainty."""
    run = ModelRun.objects.create(
        project=project,
        proposer="signals",
        version="v",
        status=ModelRun.Status.FINISHED,
        source=source,
        finished_at=timezone.now(),
    )
    for clip in clips:
        if clip.name in uncertainty:
            Proposal.objects.create(
                run=run, clip=clip, status=Proposal.Status.DONE, uncertainty=uncertainty[clip.name]
            )
    return run


def submit(slot, label: str):
    """The slot's annotation submitted with this primary label (what the queue reads)."""
    Annotation.objects.filter(pk=slot.annotation_id).update(
        status=Annotation.Status.SUBMITTED, primary_label=label, labels=[label]
    )
    svc.assignment_complete(annotation=slot.annotation, user=slot.annotator)


def names(slots):
    return [s.clip.name if s else None for s in slots]


def test_the_most_uncertain_clip_is_handed_out_first_and_to_k_annotators(project):
    clips = make_ready_clips(project, ["a", "b", "c", "d"])
    set_k(project, 2)
    by_value(project)
    proposed(project, clips, {"a": 0.1, "b": 0.9, "c": 0.3})  # d: no proposal, 0.5
    handed = [svc.assignment_next(project=project, annotator=u) for u in annotators(project, 9)]
    # b twice (k = 2), then d (unseen: 0.5), c, a; then nothing: every clip has k.
    assert names(handed) == ["b", "b", "d", "d", "c", "c", "a", "a", None]
    # Breadth first would have given every clip its first annotator first.
    other = Project.objects.create(name="Breadth", slug="breadth", annotators_per_clip=2)
    clips = make_ready_clips(other, ["a", "b", "c", "d"])
    proposed(other, clips, {"a": 0.1, "b": 0.9, "c": 0.3})
    handed = [svc.assignment_next(project=other, annotator=u) for u in annotators(other, 4)]
    assert names(handed) == ["a", "b", "c", "d"]


def test_the_latest_proposers_run_counts_and_imported_results_do_not(project):
    clips = make_ready_clips(project, ["a", "b"])
    by_value(project)
    proposed(project, clips, {"a": 0.9, "b": 0.2})
    proposed(project, clips, {"a": 0.1, "b": 0.8})  # newer: a learned run, say
    proposed(project, clips, {"a": 1.0, "b": 0.0}, source=ModelRun.Source.IMPORT)
    (user,) = annotators(project, 1)
    assert svc.assignment_next(project=project, annotator=user).clip.name == "b"


def _two_submissions_then_a_new_run(slug: str, labels: tuple[str, str]):
    """k = 3; a is worth most at first (0.6) and gets two submissions with these labels; then a
    newer run is surer of a (0.2) than of b (0.5). Returns (project, a third annotator)."""
    project = Project.objects.create(
        name=slug, slug=slug, annotators_per_clip=3, queue_order="expected_value"
    )
    clips = make_ready_clips(project, ["a", "b"])
    proposed(project, clips, {"a": 0.6, "b": 0.4})
    first, second, third = annotators(project, 3)
    slots = [svc.assignment_next(project=project, annotator=u) for u in (first, second)]
    assert names(slots) == ["a", "a"]
    for slot, label in zip(slots, labels, strict=True):
        submit(slot, label)
    proposed(project, clips, {"a": 0.2, "b": 0.5})
    return project, third


def test_disagreement_so_far_brings_a_clip_back_before_a_more_uncertain_one(db):
    project, third = _two_submissions_then_a_new_run("disagree", ("happy", "sad"))
    # a: 0.2 + (2 labels − 1) / (2 − 1) = 1.2 against b's 0.5.
    assert svc.assignment_next(project=project, annotator=third).clip.name == "a"
    project, third = _two_submissions_then_a_new_run("agree", ("calm", "calm"))
    # a: 0.2 + 0 against b's 0.5.
    assert svc.assignment_next(project=project, annotator=third).clip.name == "b"


def test_an_expired_lease_and_k_hold_in_the_value_order(project):
    clips = make_ready_clips(project, ["a", "b"])
    set_k(project, 1)
    by_value(project)
    proposed(project, clips, {"a": 0.9, "b": 0.1})
    first, second, third = annotators(project, 3)
    slot = svc.assignment_next(project=project, annotator=first)
    assert slot.clip.name == "a"
    # a's only slot is leased: the next annotator gets b, though a is worth more.
    assert svc.assignment_next(project=project, annotator=second).clip.name == "b"
    assert svc.assignment_next(project=project, annotator=third) is None
    from tests.annotate.annotation.test_assignments import expire

    expire(slot)
    taken = svc.assignment_next(project=project, annotator=third)
    assert taken.pk == slot.pk and taken.annotator == third  # the abandoned lease, taken over


def test_the_queue_order_is_a_project_setting(project, manager):
    project_settings_update(project=project, by=manager, queue_order="expected_value")
    project.refresh_from_db()
    assert project.queue_order == "expected_value"
    from annotate.core.services import ProjectRejected

    with pytest.raises(ProjectRejected, match="queue_order"):
        project_settings_update(project=project, by=manager, queue_order="random")


def test_uncertainty_is_one_minus_the_margin_of_the_top_two_emotions():
    assert emotion_uncertainty([("happy", 0.9), ("excited", 0.7)]) == pytest.approx(0.8)
    assert emotion_uncertainty([("happy", 1.0)]) == 0.0
    assert emotion_uncertainty([("neutral", 0.5)]) == 0.5
    assert emotion_uncertainty([("a", 0.4), ("b", 0.4)]) == 1.0
    assert emotion_uncertainty([]) is None


def test_the_migration_gives_stored_proposals_their_uncertainty(project):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("annotate.migrations.0019_queue_order_and_proposal_uncertainty")
    clips = make_ready_clips(project, ["a", "b", "c"])
    run = proposed(project, clips, {"a": None, "b": None, "c": None})
    Proposal.objects.filter(clip__name="a").update(
        emotions=[{"label": "happy", "score": 0.9}, {"label": "excited", "score": 0.7}]
    )
    Proposal.objects.filter(clip__name="b").update(emotions=[{"label": "calm", "score": 1.0}])
    migration.uncertainty_backfill(apps, None)
    got = dict(run.proposals.values_list("clip__name", "uncertainty"))
    assert got == {"a": pytest.approx(0.8), "b": 0.0, "c": None}
