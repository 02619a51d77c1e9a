"""Taking a submission back and sending it back: the annotator reopens their own until a
reviewer opens the clip's review; a reviewer or manager returns one with a comment; both are
audited, give the slot back to its annotator, and leave the review queue following only what
is submitted. A duplicate submit is told "already submitted"."""

import pytest

from annotate.annotation import assignments
from annotate.annotation import services as annotation_services
from annotate.annotation.models import Annotation, Assignment
from annotate.core.models import AuditEvent
from annotate.review import selectors as review_selectors
from annotate.review import services as svc
from annotate.review.models import GoldRecord
from tests.annotate.review.test_reviews import concept_scorer  # noqa: F401
from tests.annotate.runs.test_runs import FakeProposer, _fresh_fake  # noqa: F401

pytestmark = pytest.mark.django_db


def _submitted(project, user, clip=None) -> Annotation:
    """The user's next clip (or this clip) through the assignment slots, every cue accepted,
    submitted."""
    if clip is None:
        annotation = annotation_services.annotation_next(project=project, annotator=user)
    else:
        annotation, _ = assignments.assignment_open(clip=clip, annotator=user)
    for cue in annotation.cues.all():
        annotation_services.cue_accept(cue=cue, user=user, expected_version=cue.version)
    annotation = annotation_services.annotation_update(
        annotation=annotation,
        user=user,
        expected_version=annotation.version,
        labels=["happy"],
        primary_label="happy",
        description="In the video, he smiles. Therefore, happy.",
    )
    return annotation_services.annotation_submit(
        annotation=annotation, user=user, expected_version=annotation.version
    )


def _queue(project) -> dict[str, int]:
    return {r.clip.name: r.submitted for r in review_selectors.review_queue_list(project=project)}


def test_a_duplicate_submit_is_already_submitted_not_a_lost_lease(proposed, annotators):
    annotation = _submitted(proposed, annotators[0])
    stale_copy = Annotation.objects.get(pk=annotation.pk)
    stale_copy.status, stale_copy.version = "draft", annotation.version - 1  # the page's copy
    with pytest.raises(annotation_services.AnnotationRejected) as caught:
        annotation_services.annotation_submit(
            annotation=stale_copy, user=annotators[0], expected_version=stale_copy.version
        )
    assert caught.value.code == "already_submitted"
    assert f"Clip {annotation.clip.name} is already submitted" in caught.value.message
    assert "reservation" not in caught.value.message


def test_the_annotator_takes_a_submission_back_until_the_review_opens(
    proposed, annotators, reviewer
):
    first, second = annotators[0], annotators[1]
    annotation = _submitted(proposed, first)
    clip = annotation.clip
    _submitted(proposed, second, clip)
    assert _queue(proposed) == {"a": 2}
    slot = Assignment.objects.get(annotation=annotation)
    assert slot.status == "done"

    with pytest.raises(svc.AnnotationRejected, match="Only the annotator"):
        svc.annotation_take_back(annotation=annotation, user=second, expected_version=3)
    with pytest.raises(svc.StaleWrite):
        svc.annotation_take_back(annotation=annotation, user=first, expected_version=2)
    reopened = svc.annotation_take_back(
        annotation=annotation, user=first, expected_version=annotation.version
    )
    assert reopened.status == "draft" and reopened.submitted_at is None
    assert reopened.returned_comment == "" and reopened.returned_by is None
    slot.refresh_from_db()
    assert (slot.status, slot.annotator_id) == ("leased", first.pk)  # theirs to work on again
    event = AuditEvent.objects.get(
        object_type="annotation", object_id=annotation.pk, action="reopen"
    )
    assert event.actor == first and event.before["status"] == "submitted"
    assert event.after["status"] == "draft"
    # The queue counts only what is submitted now.
    assert _queue(proposed) == {"a": 1}
    # Editable again (the lease renews), and submitted again.
    annotation_services.annotation_update(
        annotation=reopened, user=first, expected_version=reopened.version, description="Changed."
    )
    reopened.refresh_from_db()
    annotation_services.annotation_submit(
        annotation=reopened, user=first, expected_version=reopened.version
    )
    assert _queue(proposed) == {"a": 2}

    # Once a reviewer opened the review, only a reviewer can send it back.
    svc.gold_record_open(clip=clip, reviewer=reviewer)
    reopened.refresh_from_db()
    with pytest.raises(svc.AnnotationRejected) as caught:
        svc.annotation_take_back(annotation=reopened, user=first, expected_version=reopened.version)
    assert caught.value.code == "review_started" and "Ask a reviewer" in caught.value.message
    assert Annotation.objects.get(pk=reopened.pk).status == "submitted"


def test_a_reviewer_sends_a_submission_back_with_a_comment(proposed, annotators, reviewer):
    first, second = annotators[0], annotators[1]
    annotation = _submitted(proposed, first)
    clip = annotation.clip
    _submitted(proposed, second, clip)
    record = svc.gold_record_open(clip=clip, reviewer=reviewer)
    with pytest.raises(svc.AnnotationRejected, match="Say why"):
        svc.annotation_send_back(
            annotation=annotation, by=reviewer, comment="  ", expected_version=annotation.version
        )
    assert Annotation.objects.get(pk=annotation.pk).status == "submitted"  # nothing half-done

    returned = svc.annotation_send_back(
        annotation=annotation,
        by=reviewer,
        comment="The auditory cue is missing.",
        expected_version=annotation.version,
    )
    returned.refresh_from_db()
    assert returned.status == "draft" and returned.returned_by == reviewer
    assert returned.returned_comment == "The auditory cue is missing."
    assert Assignment.objects.get(annotation=returned).status == "leased"
    event = AuditEvent.objects.get(object_type="annotation", object_id=returned.pk, action="return")
    assert event.actor == reviewer
    # The review follows the annotations that are submitted now.
    review = review_selectors.clip_review_get(clip=clip)
    assert [a.pk for a in review.annotations] != [] and returned.pk not in [
        a.pk for a in review.annotations
    ]
    assert review.provenance_changed
    assert _queue(proposed) == {"a": 1}
    with pytest.raises(svc.AnnotationRejected) as caught:  # a second send back
        svc.annotation_send_back(
            annotation=returned, by=reviewer, comment="again", expected_version=returned.version
        )
    assert caught.value.code == "not_submitted"

    # The annotator fixes it and submits again; their comment note is cleared on the next return.
    annotation_services.annotation_submit(
        annotation=returned, user=first, expected_version=returned.version
    )
    # A final gold is reopened before anything is sent back.
    GoldRecord.objects.filter(pk=record.pk).update(status=GoldRecord.Status.GOLD)
    returned.refresh_from_db()
    with pytest.raises(svc.AnnotationRejected) as caught:
        svc.annotation_send_back(
            annotation=returned, by=reviewer, comment="late", expected_version=returned.version
        )
    assert caught.value.code == "gold_final"
    assert Annotation.objects.get(pk=returned.pk).status == "submitted"


def test_the_api_takes_back_and_sends_back(client, proposed, annotators, reviewer):
    first = annotators[0]
    annotation = _submitted(proposed, first)
    slug, name = proposed.slug, annotation.clip.name
    take_back = f"/api/projects/{slug}/annotations/{name}/reopen/"
    client.force_login(first)
    response = client.post(
        take_back, {"version": annotation.version}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "draft" and response.json()["clip"] == name
    again = client.post(
        take_back, {"version": annotation.version + 1}, content_type="application/json"
    )
    assert again.status_code == 409 and again.json()["code"] == "not_submitted"
    annotation.refresh_from_db()
    annotation = annotation_services.annotation_submit(
        annotation=annotation, user=first, expected_version=annotation.version
    )
    send_back = f"/api/projects/{slug}/reviews/{name}/annotations/{annotation.pk}/send-back/"
    assert (
        client.post(
            send_back,
            {"version": annotation.version, "comment": "x"},
            content_type="application/json",
        ).status_code
        == 403
    )  # an annotator
    client.force_login(reviewer)
    blank = client.post(
        send_back, {"version": annotation.version, "comment": ""}, content_type="application/json"
    )
    assert blank.status_code == 400 and "comment" in blank.json()["detail"]
    response = client.post(
        send_back,
        {"version": annotation.version, "comment": "Add the auditory cue."},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["returned_comment"] == "Add the auditory cue."
    assert Annotation.objects.get(pk=annotation.pk).status == "draft"
    client.force_login(first)  # the annotator reads why
    mine = client.get(f"/api/projects/{slug}/annotations/{name}/").json()
    assert mine["status"] == "draft" and mine["returned_comment"] == "Add the auditory cue."
