"""Assignment slots: k per ready clip, breadth-first leasing, expiry, abandoned drafts,
manager reassign/release, and submit completing the slot."""

from datetime import timedelta

import pytest
from django.utils import timezone

from annotate.annotation import assignments as svc
from annotate.annotation import opening
from annotate.annotation import services as annotation_services
from annotate.annotation.models import Annotation, Assignment
from annotate.clips.models import Clip
from annotate.core.models import AuditEvent
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def make_ready_clips(project, names):
    """Ready clips without media files: leasing and annotating them needs only the rows."""
    return [
        Clip.objects.create(
            project=project,
            name=name,
            sha256=f"{project.pk}-{name}",
            status=Clip.Status.READY,
            duration_ms=1000,
            fps_num=25,
            fps_den=1,
        )
        for name in names
    ]


def annotators(project, n):
    return [MembershipFactory(project=project, role="annotator").user for _ in range(n)]


def set_k(project, k):
    project.annotators_per_clip = k
    project.save(update_fields=["annotators_per_clip"])


def expire(slot):
    Assignment.objects.filter(pk=slot.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )


def slots_of(project):
    return {
        (a.clip.name, a.slot): a
        for a in Assignment.objects.filter(project=project).select_related("clip")
    }


def test_every_ready_clip_gets_k_slots_idempotently_and_more_when_k_grows(project):
    make_ready_clips(project, ["a", "b", "c"])
    Clip.objects.create(project=project, name="pending", sha256="p", status=Clip.Status.PENDING)
    set_k(project, 2)
    assert svc.assignment_slots_ensure(project=project) == 6
    assert svc.assignment_slots_ensure(project=project) == 0  # idempotent
    assert sorted(slots_of(project)) == [(n, s) for n in "abc" for s in (0, 1)]
    assert all(a.status == "open" and a.annotator is None for a in slots_of(project).values())
    set_k(project, 3)
    assert svc.assignment_slots_ensure(project=project) == 3
    assert sorted(s for (name, s) in slots_of(project) if name == "a") == [0, 1, 2]


def test_when_k_shrinks_open_slots_go_but_leased_and_done_ones_stay(project):
    make_ready_clips(project, ["a", "b"])
    set_k(project, 3)
    first, second, third = annotators(project, 3)
    for user in (first, second, third):  # breadth first: a, b, then a's second slot
        svc.assignment_next(project=project, annotator=user)
    slots = slots_of(project)
    assert (slots[("a", 0)].annotator, slots[("b", 0)].annotator, slots[("a", 1)].annotator) == (
        first,
        second,
        third,
    )
    Assignment.objects.filter(pk=slots[("a", 1)].pk).update(status="done")
    set_k(project, 1)
    svc.assignment_slots_ensure(project=project)
    assert sorted(slots_of(project)) == [("a", 0), ("a", 1), ("b", 0)]  # a's done slot 1 kept
    # a clip with k slots taken gets no more; nothing is left for a fourth annotator
    assert svc.assignment_next(project=project, annotator=annotators(project, 1)[0]) is None


def test_breadth_first_every_clip_gets_one_annotator_before_any_gets_two(project):
    make_ready_clips(project, ["c", "a", "b"])
    set_k(project, 2)
    people = annotators(project, 7)
    handed = [svc.assignment_next(project=project, annotator=user) for user in people]
    assert [(s.clip.name, s.slot) for s in handed[:6]] == [
        ("a", 0),
        ("b", 0),
        ("c", 0),
        ("a", 1),
        ("b", 1),
        ("c", 1),
    ]
    assert handed[6] is None  # 3 clips x k=2, all taken
    for user, slot in zip(people[:6], handed[:6], strict=True):
        assert slot.status == "leased" and slot.annotator == user
        assert slot.annotation.annotator == user and slot.annotation.clip == slot.clip
        assert slot.lease_expires_at > timezone.now() + timedelta(minutes=119)
    assert AuditEvent.objects.filter(object_type="assignment", action="lease").count() == 6


def test_own_live_lease_comes_first_and_is_renewed(project):
    make_ready_clips(project, ["a", "b"])
    user = annotators(project, 1)[0]
    first = svc.assignment_next(project=project, annotator=user)
    Assignment.objects.filter(pk=first.pk).update(
        lease_expires_at=timezone.now() + timedelta(minutes=1)
    )
    again = svc.assignment_next(project=project, annotator=user)
    assert again.pk == first.pk and again.annotation == first.annotation
    again.refresh_from_db()
    assert again.lease_expires_at > timezone.now() + timedelta(minutes=119)
    assert Assignment.objects.filter(annotator=user).count() == 1
    assert annotation_services.annotation_next(project=project, annotator=user) == first.annotation


def test_every_write_renews_the_lease(project):
    make_ready_clips(project, ["a"])
    project.assignment_lease_minutes = 30
    project.save(update_fields=["assignment_lease_minutes"])
    user = annotators(project, 1)[0]
    slot = svc.assignment_next(project=project, annotator=user)
    Assignment.objects.filter(pk=slot.pk).update(
        lease_expires_at=timezone.now() + timedelta(minutes=2)
    )
    annotation_services.cue_add(
        annotation=slot.annotation, user=user, modality="visual", text="A frown."
    )
    slot.refresh_from_db()
    assert (
        timezone.now() + timedelta(minutes=29)
        < slot.lease_expires_at
        <= timezone.now() + timedelta(minutes=30)
    )


def test_an_expired_lease_returns_the_slot_and_the_old_draft_is_refused(project):
    make_ready_clips(project, ["a"])
    first, second = annotators(project, 2)
    slot = svc.assignment_next(project=project, annotator=first)
    draft = slot.annotation
    annotation_services.cue_add(annotation=draft, user=first, modality="visual", text="A frown.")
    assert svc.assignment_next(project=project, annotator=second) is None  # k = 1, leased
    expire(slot)
    taken = svc.assignment_next(project=project, annotator=second)
    assert (
        taken.pk == slot.pk and taken.annotator == second and taken.annotation.annotator == second
    )
    event = AuditEvent.objects.get(object_type="assignment", action="take_over")
    assert event.before["annotator_id"] == first.pk and event.after["annotator_id"] == second.pk
    # The first annotator's draft is still there, with its cue, but holds no slot.
    draft = Annotation.objects.get(pk=draft.pk)
    assert draft.status == "draft" and draft.cues.get().text == "A frown."
    with pytest.raises(annotation_services.ReservationLost) as caught:
        annotation_services.cue_add(annotation=draft, user=first, modality="visual", text="More.")
    assert (
        "Your reservation of clip a expired and the slot went to another annotator"
        in caught.value.message
    )
    assert draft.cues.count() == 1
    # They are not handed the clip again (they have an annotation of it); nothing else is left.
    assert svc.assignment_next(project=project, annotator=first) is None


def test_an_open_slot_is_handed_out_before_an_abandoned_lease(project):
    make_ready_clips(project, ["a"])
    set_k(project, 2)
    first, second, third = annotators(project, 3)
    abandoned = svc.assignment_next(project=project, annotator=first)
    expire(abandoned)
    assert svc.assignment_next(project=project, annotator=second).slot == 1  # the open one
    assert Assignment.objects.get(pk=abandoned.pk).annotator == first  # first may still come back
    assert svc.assignment_next(project=project, annotator=third).pk == abandoned.pk


def test_an_abandoned_draft_is_leased_again_when_its_clip_has_a_free_slot(project, manager):
    make_ready_clips(project, ["a"])
    set_k(project, 2)
    first, second, third = annotators(project, 3)
    abandoned = svc.assignment_next(project=project, annotator=first)
    draft = abandoned.annotation
    expire(abandoned)
    svc.assignment_next(project=project, annotator=second)
    taken = svc.assignment_next(project=project, annotator=third)  # takes first's slot
    assert taken.pk == abandoned.pk
    with pytest.raises(annotation_services.ReservationLost):
        annotation_services.annotation_update(
            annotation=draft, user=first, expected_version=1, description="In the video, he frowns."
        )
    svc.assignment_release(assignment=taken, by=manager)  # a slot of clip a is free again
    updated = annotation_services.annotation_update(
        annotation=draft, user=first, expected_version=1, description="In the video, he frowns."
    )
    assert updated.description == "In the video, he frowns."
    slot = Assignment.objects.get(pk=abandoned.pk)
    assert (slot.annotator, slot.annotation, slot.status) == (first, draft, "leased")
    assert AuditEvent.objects.filter(
        object_type="assignment", action="reclaim", object_id=slot.pk
    ).exists()


def test_a_draft_opened_outside_next_clip_takes_a_free_slot_on_its_first_write(project):
    (clip,) = make_ready_clips(project, ["a"])
    first, second = annotators(project, 2)
    annotation = opening.annotation_open(clip=clip, annotator=first)
    assert not Assignment.objects.filter(annotator=first).exists()
    annotation_services.cue_add(
        annotation=annotation, user=first, modality="auditory", text="A sigh."
    )
    slot = Assignment.objects.get(clip=clip)
    assert (slot.annotator, slot.annotation, slot.status) == (first, annotation, "leased")
    other = opening.annotation_open(clip=clip, annotator=second)
    with pytest.raises(annotation_services.ReservationLost):  # k = 1: the only slot is first's
        annotation_services.cue_add(annotation=other, user=second, modality="auditory", text="x")


def test_submit_completes_the_slot_and_next_moves_on(project):
    make_ready_clips(project, ["a", "b"])
    user = annotators(project, 1)[0]
    slot = svc.assignment_next(project=project, annotator=user)
    annotation = slot.annotation
    annotation_services.cue_add(
        annotation=annotation, user=user, modality="visual", text="A smile."
    )
    annotation = annotation_services.annotation_update(
        annotation=annotation,
        user=user,
        expected_version=1,
        labels=["happy"],
        primary_label="happy",
        description="In the video, he smiles. Therefore, happy.",
    )
    annotation_services.annotation_submit(annotation=annotation, user=user, expected_version=2)
    slot.refresh_from_db()
    assert slot.status == "done" and slot.completed_at is not None and slot.lease_expires_at is None
    assert svc.assignment_next(project=project, annotator=user).clip.name == "b"
    expire(slot)  # a done slot never returns to the pool
    assert Assignment.objects.get(pk=slot.pk).status == "done"


def test_a_manager_reassigns_a_leased_slot_and_the_old_draft_stays(project, manager):
    make_ready_clips(project, ["a"])
    first, second = annotators(project, 2)
    slot = svc.assignment_next(project=project, annotator=first)
    old_draft = slot.annotation
    moved = svc.assignment_reassign(
        assignment=slot, to_user=second, by=manager, expected_version=slot.version
    )
    assert (moved.annotator, moved.assigned_by, moved.status) == (second, manager, "leased")
    assert moved.annotation.annotator == second and moved.version == slot.version + 1
    event = AuditEvent.objects.get(object_type="assignment", action="reassign")
    assert event.actor == manager and event.before["annotator_id"] == first.pk
    opened = AuditEvent.objects.get(
        object_type="annotation", action="open", object_id=moved.annotation.pk
    )
    assert opened.actor == manager
    assert Annotation.objects.filter(pk=old_draft.pk, status="draft").exists()
    with pytest.raises(annotation_services.ReservationLost):
        annotation_services.cue_add(annotation=old_draft, user=first, modality="visual", text="x")
    # The new holder finds it with "next clip".
    assert svc.assignment_next(project=project, annotator=second).pk == slot.pk


def test_reassign_refusals(project, manager):
    make_ready_clips(project, ["a"])
    set_k(project, 2)
    first, second, third = annotators(project, 3)
    reviewer = MembershipFactory(project=project, role="reviewer").user
    slot = svc.assignment_next(project=project, annotator=first)
    svc.assignment_next(project=project, annotator=second)
    cases = [
        ({"by": first, "to_user": third}, "Only a manager"),
        ({"by": reviewer, "to_user": third}, "Only a manager"),
        ({"by": manager, "to_user": reviewer}, "is not an annotator"),
        ({"by": manager, "to_user": second}, "already has a slot on clip a"),
        ({"by": manager, "to_user": first}, "already holds this slot"),
    ]
    for kwargs, message in cases:
        with pytest.raises(svc.AssignmentRejected, match=message):
            svc.assignment_reassign(assignment=slot, **kwargs)
    with pytest.raises(svc.AssignmentStale, match="changed since you loaded"):
        svc.assignment_reassign(
            assignment=slot, to_user=third, by=manager, expected_version=slot.version - 1
        )
    Assignment.objects.filter(pk=slot.pk).update(status="done")
    with pytest.raises(svc.AssignmentRejected, match="is done"):
        svc.assignment_reassign(assignment=slot, to_user=third, by=manager)
    assert Assignment.objects.get(pk=slot.pk).annotator == first
    assert not AuditEvent.objects.filter(object_type="assignment", action="reassign").exists()


def test_reassign_an_open_slot_gives_the_draft_back_to_its_author(project, manager):
    make_ready_clips(project, ["a"])
    first, second = annotators(project, 2)
    slot = svc.assignment_next(project=project, annotator=first)
    draft = slot.annotation
    svc.assignment_reassign(assignment=slot, to_user=second, by=manager)
    slot = Assignment.objects.get(pk=slot.pk)
    back = svc.assignment_reassign(assignment=slot, to_user=first, by=manager)
    assert back.annotation == draft  # their own draft, not a new one
    assert Annotation.objects.filter(annotator=second, clip__name="a").exists()  # second's stays


def test_release_returns_a_leased_slot_to_the_pool(project, manager):
    make_ready_clips(project, ["a"])
    first, second = annotators(project, 2)
    slot = svc.assignment_next(project=project, annotator=first)
    with pytest.raises(svc.AssignmentRejected, match="Only a manager"):
        svc.assignment_release(assignment=slot, by=first)
    released = svc.assignment_release(assignment=slot, by=manager, expected_version=slot.version)
    assert (released.status, released.annotator, released.annotation) == ("open", None, None)
    assert Annotation.objects.filter(annotator=first, status="draft").exists()
    event = AuditEvent.objects.get(object_type="assignment", action="release")
    assert event.before["annotator_id"] == first.pk and event.after["status"] == "open"
    with pytest.raises(svc.AssignmentRejected, match="already open"):
        svc.assignment_release(assignment=released, by=manager)
    assert svc.assignment_next(project=project, annotator=second).pk == slot.pk


def test_next_skips_clips_that_are_not_ready(project):
    make_ready_clips(project, ["b"])
    Clip.objects.create(project=project, name="a", sha256="fail", status=Clip.Status.FAILED)
    user = annotators(project, 1)[0]
    assert svc.assignment_next(project=project, annotator=user).clip.name == "b"


def test_removing_a_member_returns_their_leased_slots_at_once(project, manager):
    from annotate.core.models import Membership
    from annotate.core.services import membership_remove

    make_ready_clips(project, ["a", "b", "c"])
    set_k(project, 1)
    leaver, stayer = annotators(project, 2)
    done = svc.assignment_next(project=project, annotator=leaver)  # a: finished
    assert svc.assignment_complete(annotation=done.annotation, user=leaver) == 1
    held = svc.assignment_next(project=project, annotator=leaver)  # b: leased, a draft
    assert svc.assignment_next(project=project, annotator=stayer).clip.name == "c"
    other = MembershipFactory(role="annotator", user=leaver).project  # leases elsewhere stay
    make_ready_clips(other, ["z"])
    other_project_slot = svc.assignment_next(project=other, annotator=leaver)

    membership_remove(membership=Membership.objects.get(project=project, user=leaver), by=manager)
    slots = slots_of(project)
    assert (slots[("a", 0)].status, slots[("a", 0)].annotator_id) == ("done", leaver.pk)
    freed = slots[("b", 0)]
    assert (freed.status, freed.annotator_id, freed.annotation_id, freed.lease_expires_at) == (
        "open",
        None,
        None,
        None,
    )
    assert freed.version == held.version + 1
    assert slots[("c", 0)].annotator_id == stayer.pk  # another member's lease is untouched
    assert Assignment.objects.get(pk=other_project_slot.pk).status == "leased"
    assert Annotation.objects.filter(pk=held.annotation_id, status="draft").exists()  # draft kept
    release = AuditEvent.objects.get(object_type="assignment", action="release", object_id=freed.pk)
    assert release.actor == manager and release.before["annotator_id"] == leaver.pk
    # The freed clip goes to the next annotator who asks, not when the lease would have run out.
    newcomer = annotators(project, 1)[0]
    assert svc.assignment_next(project=project, annotator=newcomer).clip.name == "b"
