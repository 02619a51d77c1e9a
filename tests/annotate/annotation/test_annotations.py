"""Annotations: seeded from proposals, decisions with optimistic locking, undo, submit."""

import pytest

from annotate.annotation import opening
from annotate.annotation import services as svc
from annotate.annotation.models import Annotation, AnnotationEvent
from annotate.runs import services as run_services
from annotate.runs.models import Cue
from tests.annotate.runs.test_runs import FakeProposer, _fresh_fake  # noqa: F401
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposed(project, ready_clips, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_services.run_create(project=project, proposer="fake")
    return project


def _clip(name="a"):
    from annotate.clips.models import Clip

    return Clip.objects.get(name=name)


def test_opening_copies_the_latest_proposals_for_this_annotator_only(proposed, annotator):
    annotation = opening.annotation_open(clip=_clip(), annotator=annotator)
    cues = list(annotation.cues.order_by("position"))
    assert [c.decision for c in cues] == ["proposed"] * 3
    assert all(c.derived_from.proposal is not None and c.origin == "model" for c in cues)
    assert (
        opening.annotation_open(clip=_clip(), annotator=annotator) == annotation
    )  # not seeded twice
    assert annotation.cues.count() == 3
    other = MembershipFactory(project=proposed, role="annotator").user
    assert opening.annotation_open(clip=_clip(), annotator=other).cues.count() == 3
    assert Cue.objects.filter(clip__name="a", annotation__isnull=False).count() == 6


def test_decisions_keep_the_proposal_and_refuse_stale_writes(proposed, annotator):
    annotation = opening.annotation_open(clip=_clip(), annotator=annotator)
    visual, auditory, emotional = annotation.cues.order_by("position")
    accepted = svc.cue_accept(cue=visual, user=annotator, expected_version=1)
    assert accepted.decision == "accepted" and accepted.version == 2
    edited = svc.cue_edit(
        cue=auditory, user=annotator, expected_version=1, text="  The voice  is loud and fast. "
    )
    assert edited.text == "The voice is loud and fast." and edited.decision == "edited"
    assert edited.derived_from.text == "The voice is loud."  # the proposal keeps its wording
    rejected = svc.cue_reject(
        cue=emotional, user=annotator, expected_version=1, reason="not supported"
    )
    assert rejected.decision == "rejected" and rejected.reject_reason == "not supported"
    with pytest.raises(svc.StaleWrite) as caught:  # a second tab still holding version 1
        svc.cue_edit(cue=visual, user=annotator, expected_version=1, text="Something else.")
    assert caught.value.current_version == 2 and "reload" in caught.value.message
    assert Cue.objects.get(pk=visual.pk).text == "The corners of the mouth turn up."


def test_add_retime_delete_and_undo(proposed, annotator, project):
    annotation = opening.annotation_open(clip=_clip(), annotator=annotator)
    clip = annotation.clip  # 1 s at 25 fps: frames are 40 ms apart
    cue = svc.cue_add(
        annotation=annotation,
        user=annotator,
        modality="visual",
        text="He glances away.",
        start_ms=101,
        end_ms=499,
    )
    assert (cue.start_ms, cue.end_ms) == (120, 480) and cue.origin == "human"
    cue = svc.cue_retime(cue=cue, user=annotator, expected_version=1, start_ms=0, end_ms=1000)
    assert (cue.start_ms, cue.end_ms) == (0, 1000)
    with pytest.raises(svc.AnnotationRejected, match="does not fit the clip"):
        svc.cue_retime(cue=cue, user=annotator, expected_version=2, start_ms=500, end_ms=400)
    svc.cue_delete(cue=cue, user=annotator, expected_version=2)
    assert not Cue.objects.filter(pk=cue.pk).exists()
    svc.annotation_undo(annotation=annotation, user=annotator)  # the delete
    restored = annotation.cues.get(text="He glances away.")
    assert (restored.start_ms, restored.end_ms) == (0, 1000)
    svc.annotation_undo(annotation=annotation, user=annotator)  # the retime
    restored.refresh_from_db()
    assert (restored.start_ms, restored.end_ms) == (120, 480)
    assert clip.duration_ms == 1000
    proposed_cue = annotation.cues.filter(origin="model").first()
    with pytest.raises(svc.AnnotationRejected, match="rejected, not deleted"):
        svc.cue_delete(cue=proposed_cue, user=annotator, expected_version=1)
    assert AnnotationEvent.objects.filter(annotation=annotation, undone=True).count() == 2


def test_undo_an_accept_and_nothing_left(proposed, annotator):
    annotation = opening.annotation_open(clip=_clip("b"), annotator=annotator)
    cue = annotation.cues.first()
    svc.cue_accept(cue=cue, user=annotator, expected_version=1)
    svc.annotation_undo(annotation=annotation, user=annotator)
    cue.refresh_from_db()
    assert cue.decision == "proposed" and cue.version == 3
    with pytest.raises(svc.AnnotationRejected, match="Nothing to undo"):
        svc.annotation_undo(annotation=annotation, user=annotator)


def test_submit_names_everything_missing_then_locks(proposed, annotator):
    annotation = opening.annotation_open(clip=_clip(), annotator=annotator)
    with pytest.raises(svc.AnnotationRejected) as caught:
        svc.annotation_submit(annotation=annotation, user=annotator, expected_version=1)
    message = caught.value.message
    assert "3 proposed cue(s) still need a decision" in message
    assert "a primary emotion label" in message and "the reasoning description" in message
    for cue in annotation.cues.all():
        svc.cue_accept(cue=cue, user=annotator, expected_version=cue.version)
    annotation = svc.annotation_update(
        annotation=annotation,
        user=annotator,
        expected_version=1,
        labels=["Happy", " grateful ", "happy"],
        primary_label="happy",
        description="In the video, he smiles. Therefore, he is happy.",
    )
    assert annotation.labels == ["happy", "grateful"] and annotation.version == 2
    with pytest.raises(svc.StaleWrite):
        svc.annotation_update(
            annotation=annotation, user=annotator, expected_version=1, description="x"
        )
    submitted = svc.annotation_submit(annotation=annotation, user=annotator, expected_version=2)
    assert submitted.status == "submitted" and submitted.submitted_at is not None
    with pytest.raises(svc.AnnotationRejected, match="submitted"):
        svc.cue_accept(cue=annotation.cues.first(), user=annotator, expected_version=2)


def test_only_the_owner_changes_an_annotation(proposed, annotator):
    annotation = opening.annotation_open(clip=_clip(), annotator=annotator)
    other = MembershipFactory(project=proposed, role="annotator").user
    with pytest.raises(svc.AnnotationRejected, match="Only the annotator"):
        svc.cue_accept(cue=annotation.cues.first(), user=other, expected_version=1)


def test_next_clip_resumes_drafts_then_respects_k(proposed, annotator):
    first = svc.annotation_next(project=proposed, annotator=annotator)
    assert first.clip.name == "a"
    assert svc.annotation_next(project=proposed, annotator=annotator) == first  # resume the draft
    Annotation.objects.filter(pk=first.pk).update(status="submitted")
    assert svc.annotation_next(project=proposed, annotator=annotator).clip.name == "b"
    other = MembershipFactory(project=proposed, role="annotator").user
    # k = 1: clips a and b already have their annotator; the other annotator gets "broken".
    assert svc.annotation_next(project=proposed, annotator=other).clip.name == "broken"


def test_a_share_of_clips_can_hide_proposals(proposed, annotator):
    proposed.proposer_settings = {"hide_proposals_share": 1.0}
    proposed.save(update_fields=["proposer_settings"])
    annotation = opening.annotation_open(clip=_clip(), annotator=annotator)
    assert annotation.proposals_hidden and annotation.cues.count() == 0 and annotation.run is None


def test_the_event_actions_the_services_write_are_exactly_the_enum(proposed, annotator):
    annotation = opening.annotation_open(clip=_clip(), annotator=annotator)
    visual, auditory, emotional = annotation.cues.order_by("position")
    svc.cue_accept(cue=visual, user=annotator, expected_version=1)
    svc.cue_edit(cue=auditory, user=annotator, expected_version=1, text="The voice is loud.")
    svc.cue_reject(cue=emotional, user=annotator, expected_version=1, reason="")
    cue = svc.cue_add(
        annotation=annotation, user=annotator, modality="visual", text="He looks away."
    )
    cue = svc.cue_retime(cue=cue, user=annotator, expected_version=1, start_ms=0, end_ms=400)
    svc.cue_delete(cue=cue, user=annotator, expected_version=2)
    written = set(annotation.events.values_list("action", flat=True))
    assert written == set(AnnotationEvent.Action.values)
