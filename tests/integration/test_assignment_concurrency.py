"""Twenty annotators press "next clip" at the same moment, each in its own thread with its own
PostgreSQL connection: every slot goes to exactly one of them, and no one gets a clip twice.
Then every lease expires and twenty others take the abandoned slots over, just as safely. The
same holds when the queue is ordered by expected value (every annotator then wants the same
most uncertain clip first)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from annotate.annotation.assignments import assignment_next
from annotate.annotation.models import Annotation, Assignment
from annotate.core.models import Project
from tests.annotate.annotation.test_assignments import make_ready_clips
from tests.annotate.annotation.test_queue_order import proposed
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
PEOPLE, CLIPS, K, ROUNDS = 20, 10, 2, 3


def race(project_id: int, user_ids: list[int]) -> tuple[dict[int, tuple[int, int] | None], list]:
    """Each user asks for their next clip at once; {user id: (slot id, clip id) or None}."""
    barrier = threading.Barrier(len(user_ids))
    results: dict[int, tuple[int, int] | None] = {}
    errors: list = []

    def ask(user_id: int) -> None:
        try:
            project = Project.objects.get(pk=project_id)
            user = UserFactory._meta.model.objects.get(pk=user_id)
            barrier.wait(timeout=30)
            slot = assignment_next(project=project, annotator=user)
            results[user_id] = (slot.pk, slot.clip_id) if slot is not None else None
        except Exception as error:  # noqa: BLE001 - reported by the test below
            errors.append((user_id, repr(error)))
        finally:
            connection.close()

    threads = [threading.Thread(target=ask, args=(user_id,)) for user_id in user_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    return results, errors


def check(results: dict, project: Project, user_ids: list[int]) -> None:
    handed = [r for r in results.values() if r is not None]
    assert len(handed) == PEOPLE and set(results) == set(user_ids)  # everyone got a slot
    assert len({slot_id for slot_id, _ in handed}) == PEOPLE  # none twice
    per_clip: dict[int, int] = {}
    for _, clip_id in handed:
        per_clip[clip_id] = per_clip.get(clip_id, 0) + 1
    assert sorted(per_clip.values()) == [K] * CLIPS
    rows = list(
        Assignment.objects.filter(project=project, status="leased").values_list(
            "clip_id", "annotator_id", "annotation__annotator_id"
        )
    )
    assert len(rows) == PEOPLE and {a for _, a, _ in rows} == set(user_ids)
    assert len({(clip, annotator) for clip, annotator, _ in rows}) == PEOPLE  # each pair once
    assert all(
        annotator == owner for _, annotator, owner in rows
    )  # the slot holds their annotation
    assert Assignment.objects.filter(project=project).count() == CLIPS * K  # no slot made twice


@pytest.mark.parametrize("order", ["breadth_first", "expected_value"])
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_twenty_annotators_at_once_get_twenty_different_slots(round_, order):
    assert connection.vendor == "postgresql", (
        "this test needs PostgreSQL (row locks with SKIP LOCKED): set DATABASE_URL"
    )
    project = ProjectFactory(annotators_per_clip=K, queue_order=order)
    clips = make_ready_clips(project, [f"sample_{n:08d}" for n in range(CLIPS)])
    if order == "expected_value":  # proposals from sure to unsure, in no order of names
        proposed(project, clips, {c.name: ((7 * i) % CLIPS) / CLIPS for i, c in enumerate(clips)})
    first = [MembershipFactory(project=project, role="annotator").user.pk for _ in range(PEOPLE)]
    results, errors = race(project.pk, first)
    assert errors == []
    check(results, project, first)
    assert Annotation.objects.filter(clip__project=project).count() == PEOPLE

    # Everyone walks away; twenty others arrive at once and take the abandoned slots over.
    Assignment.objects.filter(project=project).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    second = [MembershipFactory(project=project, role="annotator").user.pk for _ in range(PEOPLE)]
    results, errors = race(project.pk, second)
    assert errors == []
    check(results, project, second)
    # The first twenty's drafts are all still there.
    assert (
        Annotation.objects.filter(clip__project=project, annotator_id__in=first).count() == PEOPLE
    )
