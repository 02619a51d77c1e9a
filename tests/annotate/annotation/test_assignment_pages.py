"""The manager's assignments page: who may see it, the clips x slots board with per-annotator
counts, htmx reassign and release, refusals as 4xx with the message, and a constant number of
queries however many clips."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from annotate.annotation import assignments as svc
from annotate.annotation.models import Assignment
from annotate.core.models import AuditEvent
from tests.annotate.annotation.test_assignments import annotators, make_ready_clips, set_k
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


@pytest.fixture
def board(project):
    make_ready_clips(project, ["a", "b"])
    set_k(project, 2)
    return project


def _url(project, *parts):
    if not parts:
        return reverse("assignment-board", args=[project.slug])
    slot, action = parts
    return reverse(f"assignment-{action}", args=[project.slug, slot.pk])


def test_anonymous_users_are_sent_to_log_in(client, board):
    slot = svc.assignment_next(project=board, annotator=annotators(board, 1)[0])
    for response in (
        client.get(_url(board)),
        client.post(_url(board, slot, "release"), {"version": slot.version}),
    ):
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert Assignment.objects.get(pk=slot.pk).status == "leased"


@pytest.mark.parametrize("role", ["annotator", "reviewer"])
def test_annotators_and_reviewers_get_a_404(client, board, role):
    holder = annotators(board, 1)[0]
    slot = svc.assignment_next(project=board, annotator=holder)
    client.force_login(MembershipFactory(project=board, role=role).user)
    assert client.get(_url(board)).status_code == 404
    assert (
        client.post(_url(board, slot, "release"), {"version": slot.version}, headers=HX).status_code
        == 404
    )
    assert (
        client.post(
            _url(board, slot, "reassign"),
            {"version": slot.version, "to": holder.username},
            headers=HX,
        ).status_code
        == 404
    )
    assert Assignment.objects.get(pk=slot.pk).annotator == holder


def test_a_manager_of_another_project_gets_a_404(client, board, outsider):
    client.force_login(outsider)
    assert client.get(_url(board)).status_code == 404


def test_the_board_lists_clips_by_slots_with_holders_and_counts(client, board, manager):
    first, second = annotators(board, 2)
    svc.assignment_next(project=board, annotator=first)  # a, slot 1
    second_slot = svc.assignment_next(project=board, annotator=second)  # b, slot 1
    Assignment.objects.filter(pk=second_slot.pk).update(
        lease_expires_at=timezone.now() - timedelta(minutes=1)
    )
    client.force_login(manager)
    body = client.get(_url(board)).content.decode()
    assert "<th>Slot 1</th><th>Slot 2</th>" in body
    assert 'data-clip="a"' in body and 'data-clip="b"' in body
    assert f'data-slot="0" data-status="leased" data-holder="{first.username}"' in body
    assert (
        f'data-slot="0" data-status="leased" data-expired="true" data-holder="{second.username}"'
        in body
    )
    assert body.count('data-status="open"') == 2 and "lease expired" in body
    assert (
        f'data-annotator="{first.username}" data-leased="1" data-expired="0" data-done="0"' in body
    )
    assert (
        f'data-annotator="{second.username}" data-leased="0" data-expired="1" data-done="0"' in body
    )
    assert (
        body.count('class="slot-reassign"') == 4 and body.count('class="slot-release inline"') == 2
    )


def test_the_page_creates_missing_slots(client, board, manager):
    client.force_login(manager)
    assert not Assignment.objects.exists()
    body = client.get(_url(board)).content.decode()
    assert (
        Assignment.objects.filter(project=board).count() == 4
        and body.count('data-status="open"') == 4
    )


def test_reassign_and_release_over_htmx(client, board, manager):
    first, second = annotators(board, 2)
    slot = svc.assignment_next(project=board, annotator=first)
    client.force_login(manager)
    response = client.post(
        _url(board, slot, "reassign"), {"version": slot.version, "to": second.username}, headers=HX
    )
    body = response.content.decode()
    assert response.status_code == 200 and body.startswith('<div id="assignment-board">')
    assert f"Slot 1 of a now belongs to {second.username}." in body
    assert f'data-annotator="{second.username}" data-leased="1"' in body
    assert f'data-annotator="{first.username}" data-leased="0"' in body
    moved = Assignment.objects.get(pk=slot.pk)
    assert moved.annotator == second and moved.assigned_by == manager
    assert "assigned by a manager" in body

    response = client.post(_url(board, moved, "release"), {"version": moved.version}, headers=HX)
    assert response.status_code == 200 and "is open again" in response.content.decode()
    assert Assignment.objects.get(pk=slot.pk).status == "open"
    assert [
        e.action for e in AuditEvent.objects.filter(object_type="assignment").order_by("pk")
    ] == ["lease", "reassign", "release"]


def test_refusals_are_4xx_with_a_message(client, board, manager):
    first, second = annotators(board, 2)
    reviewer = MembershipFactory(project=board, role="reviewer").user
    slot = svc.assignment_next(project=board, annotator=first)
    client.force_login(manager)

    def post(action, data):
        response = client.post(_url(board, slot, action), data, headers=HX)
        assert response["HX-Retarget"] == "#assignment-message"
        return response.status_code, response.content.decode()

    status, body = post("reassign", {"to": second.username})
    assert status == 400 and "which version" in body
    status, body = post("reassign", {"version": slot.version})
    assert status == 400 and "to: This field is required" in body  # the API's serializer
    status, body = post("reassign", {"version": slot.version, "to": reviewer.username})
    assert status == 422 and "is not an annotator" in body
    status, body = post("reassign", {"version": slot.version - 1, "to": second.username})
    assert status == 409 and "changed since you loaded the page" in body
    status, body = post("release", {"version": slot.version - 1})
    assert status == 409 and "reload" in body
    Assignment.objects.filter(pk=slot.pk).update(status="done")
    status, body = post("release", {"version": slot.version})
    assert status == 422 and "is done" in body
    other_project_slot = Assignment.objects.create(
        project=MembershipFactory(role="manager").project, clip=slot.clip, slot=9
    )
    response = client.post(_url(board, other_project_slot, "release"), {"version": 1}, headers=HX)
    assert response.status_code == 404
    assert Assignment.objects.get(pk=slot.pk).annotator == first


def test_the_board_needs_the_same_few_queries_for_many_clips(
    client, project, manager, django_assert_max_num_queries
):
    make_ready_clips(project, [f"c{n:03d}" for n in range(60)])
    set_k(project, 3)
    for user in annotators(project, 5):
        svc.assignment_next(project=project, annotator=user)
    client.force_login(manager)
    client.get(_url(project))  # slots created
    # Session, user, project, role; the slot check (savepoint, shrink, missing, release); the
    # slots, the annotators, the counts.
    with django_assert_max_num_queries(11):
        body = client.get(_url(project)).content.decode()
    assert body.count('class="slot"') == 180 and body.count('data-status="leased"') == 5


def test_next_clip_goes_through_the_slots_and_a_lost_reservation_is_a_409(client, board):
    set_k(board, 1)
    first, second = annotators(board, 2)
    client.force_login(first)
    response = client.post(reverse("annotate-next", args=[board.slug]))
    assert response.status_code == 302 and response["Location"] == f"/p/{board.slug}/annotate/a/"
    assert client.post(reverse("annotate-next", args=[board.slug]))["Location"].endswith(
        "/annotate/a/"
    )
    slot = Assignment.objects.get(annotator=first)
    Assignment.objects.filter(pk=slot.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert svc.assignment_next(project=board, annotator=second).pk == slot.pk  # taken over

    response = client.post(
        f"/p/{board.slug}/annotate/a/cues/new/",
        {"modality": "visual", "text": "He frowns."},
        headers=HX,
    )
    body = response.content.decode()
    assert response.status_code == 409 and response["HX-Retarget"] == "#timeline-message"
    assert "Your reservation of clip a expired and the slot went to another annotator" in body
    assert client.get(f"/p/{board.slug}/annotate/a/").status_code == 200  # the draft is still there
    response = client.post(reverse("annotate-next", args=[board.slug]))
    assert response["Location"] == f"/p/{board.slug}/annotate/b/"
