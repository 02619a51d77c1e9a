"""The audit trail of annotations and cues: every service that creates, changes or deletes one
keeps an event with the state before and after, in its own transaction."""

import pytest

from annotate.annotation import opening
from annotate.annotation import services as svc
from annotate.clips.models import Clip
from annotate.core.models import AuditEvent
from annotate.runs import services as run_services
from annotate.runs.models import Cue
from tests.annotate.runs.test_runs import FakeProposer, _fresh_fake  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def opened(project, ready_clips, annotator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_services.run_create(project=project, proposer="fake")
    return opening.annotation_open(clip=Clip.objects.get(name="a"), annotator=annotator)


def events(**filters):
    return list(AuditEvent.objects.filter(**filters).order_by("pk"))


def last(object_type="cue"):
    return AuditEvent.objects.filter(object_type=object_type).latest("pk")


def test_opening_records_the_annotation_and_each_seeded_cue(opened, annotator):
    (annotation_event,) = events(object_type="annotation", action="open")
    assert annotation_event.object_id == opened.pk and annotation_event.before is None
    assert (
        annotation_event.after["status"] == "draft"
        and annotation_event.after["annotator_id"] == annotator.pk
    )
    assert annotation_event.actor == annotator and annotation_event.clip == opened.clip
    assert annotation_event.project_id == opened.clip.project_id
    cue_events = events(object_type="cue", action="open")
    assert sorted(e.object_id for e in cue_events) == sorted(
        opened.cues.values_list("pk", flat=True)
    )
    assert {e.after["text"] for e in cue_events} == {
        "The corners of the mouth turn up.",
        "The voice is loud.",
        "He is happy.",
    }
    assert all(e.before is None and e.after["decision"] == "proposed" for e in cue_events)
    opening.annotation_open(clip=opened.clip, annotator=annotator)  # already open: nothing new
    assert AuditEvent.objects.filter(action="open").count() == 4


def test_each_cue_decision_keeps_before_and_after(opened, annotator):
    visual, auditory, emotional = opened.cues.order_by("position")
    svc.cue_accept(cue=visual, user=annotator, expected_version=1)
    event = last()
    assert (event.action, event.object_id, event.actor) == ("accept", visual.pk, annotator)
    assert event.before["decision"] == "proposed" and event.after["decision"] == "accepted"
    assert (event.before["version"], event.after["version"]) == (1, 2)

    svc.cue_edit(
        cue=auditory, user=annotator, expected_version=1, text="The voice is loud and fast."
    )
    event = last()
    assert event.action == "edit" and event.before["text"] == "The voice is loud."
    assert (
        event.after["text"] == "The voice is loud and fast." and event.after["decision"] == "edited"
    )

    svc.cue_reject(cue=emotional, user=annotator, expected_version=1, reason="not supported")
    event = last()
    assert event.action == "reject" and event.after["reject_reason"] == "not supported"
    assert event.before["decision"] == "proposed"

    svc.cue_retime(cue=visual, user=annotator, expected_version=2, start_ms=101, end_ms=499)
    event = last()
    assert event.action == "retime" and (event.before["start_ms"], event.before["end_ms"]) == (
        0,
        500,
    )
    assert (event.after["start_ms"], event.after["end_ms"]) == (120, 480)
    # The event's after-state is the row as stored.
    stored = Cue.objects.get(pk=visual.pk)
    assert (stored.version, stored.start_ms, stored.updated_at.isoformat()) == (
        event.after["version"],
        event.after["start_ms"],
        event.after["updated_at"],
    )


def test_add_delete_and_undo_keep_every_state(opened, annotator):
    cue = svc.cue_add(
        annotation=opened,
        user=annotator,
        modality="visual",
        text="He glances away.",
        start_ms=200,
        end_ms=600,
    )
    added = last()
    assert (added.action, added.object_id, added.before) == ("add", cue.pk, None)
    assert added.after["text"] == "He glances away." and added.after["origin"] == "human"

    svc.cue_delete(cue=cue, user=annotator, expected_version=1)
    deleted = last()
    assert (deleted.action, deleted.object_id, deleted.after) == ("delete", cue.pk, None)
    assert deleted.before["text"] == "He glances away." and deleted.before["start_ms"] == 200
    assert not Cue.objects.filter(pk=cue.pk).exists()  # gone from the annotation, kept in the trail

    svc.annotation_undo(annotation=opened, user=annotator)
    restored = last()
    assert (restored.action, restored.object_id, restored.before) == ("undo_delete", cue.pk, None)
    assert restored.after["text"] == "He glances away."

    visual = opened.cues.filter(origin="model").order_by("position").first()
    svc.cue_accept(cue=visual, user=annotator, expected_version=1)
    svc.annotation_undo(annotation=opened, user=annotator)
    undone = last()
    assert undone.action == "undo_accept" and undone.before["decision"] == "accepted"
    assert undone.after["decision"] == "proposed" and undone.after["version"] == 3

    svc.annotation_undo(annotation=opened, user=annotator)  # the add (its delete is undone already)
    removed = last()
    assert removed.action == "undo_add" and removed.before["text"] == "He glances away."
    assert removed.after is None


def test_labels_description_and_submit_are_recorded(opened, annotator):
    for cue in opened.cues.all():
        svc.cue_accept(cue=cue, user=annotator, expected_version=cue.version)
    annotation = svc.annotation_update(
        annotation=opened,
        user=annotator,
        expected_version=1,
        labels=["Happy"],
        primary_label="happy",
        description="In the video, he smiles. Therefore, happy.",
    )
    event = last("annotation")
    assert (
        event.action == "update"
        and event.before["labels"] == []
        and event.after["labels"] == ["happy"]
    )
    assert event.before["description"] == "" and event.after["version"] == 2
    assert event.after["updated_at"] == annotation.updated_at.isoformat()
    svc.annotation_submit(annotation=annotation, user=annotator, expected_version=2)
    event = last("annotation")
    assert event.action == "submit" and event.before["status"] == "draft"
    assert event.after["status"] == "submitted" and event.after["submitted_at"]


def test_a_refused_write_leaves_no_event(opened, annotator):
    visual = opened.cues.order_by("position").first()
    svc.cue_accept(cue=visual, user=annotator, expected_version=1)
    before = AuditEvent.objects.count()
    with pytest.raises(svc.StaleWrite):
        svc.cue_edit(cue=visual, user=annotator, expected_version=1, text="Something else.")
    with pytest.raises(svc.StaleWrite):
        svc.annotation_update(
            annotation=opened, user=annotator, expected_version=7, description="x"
        )
    svc.annotation_undo(annotation=opened, user=annotator)
    with pytest.raises(svc.AnnotationRejected, match="Nothing to undo"):
        svc.annotation_undo(annotation=opened, user=annotator)
    assert AuditEvent.objects.count() == before + 1  # the one undo that happened


def test_a_change_applies_only_to_the_copy_it_was_read_at(opened, annotator):
    """The before-state kept for undo and the audit is the copy the service was given, so that
    copy must be the version the change is for (a copy read just before someone else's change,
    sent with the newer version number, is refused rather than recorded wrongly)."""
    visual = opened.cues.order_by("position").first()
    read_earlier = Cue.objects.get(pk=visual.pk)
    svc.cue_retime(cue=visual, user=annotator, expected_version=1, start_ms=0, end_ms=1000)
    events_before = AuditEvent.objects.count()
    with pytest.raises(svc.StaleWrite) as caught:
        svc.cue_edit(cue=read_earlier, user=annotator, expected_version=2, text="He beams.")
    assert caught.value.current_version == 2
    stored = Cue.objects.get(pk=visual.pk)
    assert (stored.text, stored.end_ms, stored.version) == (
        "The corners of the mouth turn up.",
        1000,
        2,
    )
    assert AuditEvent.objects.count() == events_before
