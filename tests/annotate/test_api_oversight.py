"""The API around the annotation itself: retry and delete a clip, the assignment slots (list,
reassign, release with the slot's version), quality figures, and the audit trail; each as the
pages allow it (managers; reviewers for quality and a clip's history; 404 for the rest)."""

import pytest
from django.urls import reverse

from annotate.annotation import assignments as assignment_services
from annotate.annotation.models import Assignment
from annotate.clips.models import Clip
from annotate.core.models import AuditEvent
from tests.annotate.annotation.test_assignments import annotators as make_annotators
from tests.annotate.annotation.test_assignments import make_ready_clips, set_k
from tests.annotate.review.conftest import annotators, proposed, reviewer  # noqa: F401
from tests.annotate.review.test_reviews import (  # noqa: F401
    annotate,
    concept_scorer,
    disputed_clip,
)

pytestmark = pytest.mark.django_db


def _api(project, route, *args):
    return reverse(route, args=[project.slug, *args])


def test_a_failed_clip_is_retried_and_a_ready_one_is_refused(client, project, manager, annotator):
    make_ready_clips(project, ["ok"])
    failed = Clip.objects.create(
        project=project,
        name="bad",
        source="clips/x/bad",
        sha256="f" * 64,
        status=Clip.Status.FAILED,
        error="no video stream",
        error_code="no_video",
    )
    client.force_login(annotator)
    assert client.post(_api(project, "api-clip-retry", "bad")).status_code == 404
    client.force_login(manager)
    response = client.post(_api(project, "api-clip-retry", "bad"))
    assert response.status_code == 202 and response.json()["status"] == "pending"
    failed.refresh_from_db()
    assert failed.status == Clip.Status.PENDING and failed.error == ""
    response = client.post(_api(project, "api-clip-retry", "ok"))
    assert response.status_code == 409 and "only a failed clip" in response.json()["detail"]


def test_only_managers_delete_clips(client, project, manager, annotator):
    make_ready_clips(project, ["a"])
    client.force_login(annotator)
    assert client.delete(_api(project, "api-clip-detail", "a")).status_code == 404
    assert Clip.objects.filter(name="a").exists()
    client.force_login(manager)
    assert client.delete(_api(project, "api-clip-detail", "a")).status_code == 204
    assert not Clip.objects.filter(name="a").exists()
    assert client.delete(_api(project, "api-clip-detail", "a")).status_code == 404


def test_slots_are_listed_reassigned_and_released_with_their_version(client, project, manager):
    make_ready_clips(project, ["a", "b"])
    set_k(project, 2)
    first, second = make_annotators(project, 2)
    client.force_login(first)
    assert client.get(_api(project, "api-assignment-list")).status_code == 404
    client.force_login(manager)
    slots = client.get(_api(project, "api-assignment-list")).json()["results"]
    assert [(s["clip"], s["slot"], s["status"]) for s in slots] == [
        ("a", 1, "open"),
        ("a", 2, "open"),
        ("b", 1, "open"),
        ("b", 2, "open"),
    ]
    slot = slots[0]
    url = _api(project, "api-assignment-reassign", slot["id"])
    response = client.post(
        url, {"to": first.username, "version": slot["version"]}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    moved = response.json()
    assert moved["annotator"] == first.username and moved["assigned_by"] == manager.username
    assert moved["version"] > slot["version"]
    # The same request again: the version it carries is stale now, nothing changes.
    response = client.post(
        url, {"to": second.username, "version": slot["version"]}, content_type="application/json"
    )
    assert response.status_code == 409 and response.json()["code"] == "stale"
    assert Assignment.objects.get(pk=slot["id"]).annotator == first
    response = client.post(
        url, {"to": "nobody", "version": moved["version"]}, content_type="application/json"
    )
    assert response.status_code == 400 and "'nobody' is not a member" in response.json()["detail"]
    response = client.post(
        _api(project, "api-assignment-release", slot["id"]),
        {"version": moved["version"]},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["status"] == "open"
    leased = client.get(_api(project, "api-assignment-list") + "?status=leased").json()
    assert leased["count"] == 0
    assert client.get(_api(project, "api-assignment-list") + "?status=lost").status_code == 400


def test_a_slot_of_another_project_is_a_404(client, project, manager, outsider):
    make_ready_clips(project, ["a"])
    assignment_services.assignment_slots_ensure(project=project)
    slot = Assignment.objects.filter(project=project).first()
    client.force_login(outsider)  # a manager, of another project
    other = outsider.memberships.get().project
    response = client.post(
        _api(other, "api-assignment-release", slot.pk),
        {"version": 1},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_quality_for_reviewers_and_managers(client, proposed, annotators, reviewer):  # noqa: F811
    disputed_clip("a", annotators)
    client.force_login(annotators[0])
    assert client.get(_api(proposed, "api-quality")).status_code == 404
    client.force_login(reviewer)
    body = client.get(_api(proposed, "api-quality")).json()
    assert body["n_submitted"] == 3 and body["n_clips_shared"] == 1
    assert [row["modality"] for row in body["agreement"]] == [
        "visual",
        "auditory",
        "emotional",
        "overall",
    ]
    assert sorted(a["username"] for a in body["annotators"]) == sorted(
        u.username for u in annotators
    )
    assert len(body["pairs"]) == 3 and all(0 <= p["f1"] <= 1 for p in body["pairs"])
    assert body["model_id"] == "test-concepts"


def test_the_audit_trail_and_a_clips_history(client, proposed, annotators, reviewer, manager):  # noqa: F811
    disputed_clip("a", annotators)
    client.force_login(reviewer)
    assert client.get(_api(proposed, "api-audit")).status_code == 404
    history = client.get(_api(proposed, "api-clip-history", "a")).json()
    assert history["count"] == AuditEvent.objects.filter(clip__name="a").count() > 0
    newest = history["results"][0]
    assert newest["clip"] == "a" and newest["actor"] in {u.username for u in annotators}
    client.force_login(manager)
    trail = client.get(_api(proposed, "api-audit") + "?object_type=annotation").json()
    assert trail["count"] == AuditEvent.objects.filter(object_type="annotation").count() > 0
    assert {e["object_type"] for e in trail["results"]} == {"annotation"}
    assert all(isinstance(e["changed"], list) for e in trail["results"])
    client.force_login(annotators[0])
    assert client.get(_api(proposed, "api-clip-history", "a")).status_code == 404
