"""Assignment of clips to annotators: each ready clip has k slots (k = the project's
annotators per clip). "Next clip" leases a free slot; any write on the annotation renews the
lease; a lease left without activity until it expires returns the slot to the pool; submitting
completes it. Leasing is safe under concurrency: on PostgreSQL the free slot is taken with
SELECT ... FOR UPDATE SKIP LOCKED, so two people never get the same slot; on SQLite writers are
serialised by IMMEDIATE transactions. Managers can reassign or release a slot by hand.

Breadth first (the default): a clip with fewer slots taken (done, or leased and not expired) is
handed out before one with more, so every clip gets its first annotator before any gets its
second. Expected value (Project.queue_order): the clip worth most is handed out first, its value
being the latest proposal's uncertainty about the emotion plus the disagreement of the primary
labels submitted so far (docs/learning.md); equal values fall back to breadth first. The order
only chooses among free slots: k, the leases and the row locks are the same in both.

When k shrinks, open slots beyond the new k are deleted; leased and done ones are kept (nothing
held or finished is taken away) and a clip that already has k slots taken gets no more."""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    Count,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from annotate.annotation.models import Annotation, Assignment
from annotate.annotation.opening import annotation_open
from annotate.clips.models import Clip
from annotate.core.audit import audit_record, audit_snapshot
from annotate.core.errors import DomainError
from annotate.core.models import Membership, Project
from annotate.core.versions import next_version
from annotate.runs.models import ModelRun, Proposal

Status = Assignment.Status


# Where rows cannot be locked (SQLite) a lost race is retried a few times before giving up.
LEASE_ATTEMPTS = 5


class AssignmentRejected(DomainError):
    """A refused slot change or lease: 422, or by its code (busy 503, no_slot and stale 409)."""


class AssignmentStale(AssignmentRejected):
    def __init__(self, slot: Assignment):
        super().__init__(
            f"Slot {slot.slot + 1} of clip {slot.clip.name} changed since you loaded "
            "the page (someone took, finished or moved it); reload and try again.",
            code="stale",
        )
        self.current_version = slot.version


class _SlotMoved(Exception):
    """The slot changed between reading and writing it (only where rows cannot be locked)."""


def _lease_until(project: Project, now: datetime) -> datetime:
    return now + timedelta(minutes=project.assignment_lease_minutes)


def _free(now: datetime) -> Q:
    """A slot anyone without a slot on its clip may take: open, or its lease ran out."""
    return Q(status=Status.OPEN) | Q(status=Status.LEASED, lease_expires_at__lt=now)


def _taken(now: datetime) -> Q:
    return Q(status=Status.DONE) | Q(status=Status.LEASED, lease_expires_at__gte=now)


def _taken_count(now: datetime) -> Coalesce:
    """How many slots of the row's clip are taken (for breadth first and the k limit)."""
    per_clip = (
        Assignment.objects.filter(_taken(now), clip_id=OuterRef("clip_id"))
        .order_by()
        .values("clip_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(per_clip, output_field=IntegerField()), Value(0))


# A clip no proposer has seen is taken to be as uncertain as a coin toss.
UNSEEN_UNCERTAINTY = 0.5


def _per_clip(queryset, **aggregate) -> Coalesce:
    """One number per row's clip from a subquery grouped by clip (0 when it has no rows)."""
    (name,) = aggregate
    rows = queryset.filter(clip_id=OuterRef("clip_id")).order_by().values("clip_id")
    return Coalesce(
        Subquery(rows.annotate(**aggregate).values(name), output_field=IntegerField()), Value(0)
    )


def _expected_value(queryset):
    """Annotate each slot with its clip's `value`: the uncertainty of the clip's latest proposal
    (the one an annotator's copy starts from; UNSEEN_UNCERTAINTY without one) plus the
    disagreement so far, the share of the submitted primary labels beyond the first that
    differ: (distinct labels − 1) / (submissions − 1), 0 below two submissions. Both in [0, 1]."""
    latest = (
        Proposal.objects.filter(
            clip_id=OuterRef("clip_id"),
            status=Proposal.Status.DONE,
            run__status=ModelRun.Status.FINISHED,
            run__source=ModelRun.Source.PROPOSER,
        )
        .order_by("-run__created_at", "-run_id")
        .values("uncertainty")[:1]
    )
    submitted = Annotation.objects.filter(status=Annotation.Status.SUBMITTED)
    return queryset.annotate(
        n_submitted=_per_clip(submitted, n=Count("pk")),
        n_labels=_per_clip(submitted, n=Count("primary_label", distinct=True)),
    ).annotate(
        value=Coalesce(Subquery(latest, output_field=FloatField()), Value(UNSEEN_UNCERTAINTY))
        + Case(
            When(
                n_submitted__gte=2,
                then=(Cast("n_labels", FloatField()) - 1.0)
                / (Cast("n_submitted", FloatField()) - 1.0),
            ),
            default=Value(0.0),
            output_field=FloatField(),
        )
    )


def _free_slots(*, project: Project, now: datetime):
    """Free slots of ready clips that still need annotators, the best first: clips with the
    highest expected value first when the project orders its queue so, then clips with the
    fewest slots taken, then by name; within a clip an open slot before an abandoned lease
    (whose holder may still come back)."""
    k = project.annotators_per_clip
    slots = (
        Assignment.objects.filter(
            _free(now), project=project, clip__status=Clip.Status.READY, slot__lt=k
        )
        .annotate(taken=_taken_count(now))
        .filter(taken__lt=k)
    )
    order = [
        "taken",
        "clip__name",
        Case(When(status=Status.OPEN, then=Value(0)), default=Value(1)),
        "slot",
    ]
    if project.queue_order == Project.QueueOrder.EXPECTED_VALUE:
        return _expected_value(slots).order_by("-value", *order)
    return slots.order_by(*order)


def _for_update(queryset):
    # of=self: the clip joined for ordering is read, not locked. Ignored on SQLite.
    return queryset.select_for_update(skip_locked=True, of=("self",))


def _ensure(*, project: Project, clips) -> int:
    """Create the missing slots (0..k-1) of these clips: one query when none is missing."""
    k = project.annotators_per_clip
    short = list(
        clips.annotate(n=Count("assignments", filter=Q(assignments__slot__lt=k)))
        .filter(n__lt=k)
        .values_list("pk", flat=True)
    )
    if not short:
        return 0
    have = set(
        Assignment.objects.filter(clip_id__in=short, slot__lt=k).values_list("clip_id", "slot")
    )
    missing = [
        Assignment(project=project, clip_id=clip_id, slot=slot)
        for clip_id in short
        for slot in range(k)
        if (clip_id, slot) not in have
    ]
    # Two requests may fill the same gap at once: the unique (clip, slot) keeps one.
    Assignment.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


@transaction.atomic
def assignment_slots_ensure(*, project: Project) -> int:
    """Give every ready clip its k slots (idempotent; also when k grew). When k shrank, open
    slots beyond k are removed; leased and done ones stay. Returns how many slots were created."""
    Assignment.objects.filter(
        project=project, slot__gte=project.annotators_per_clip, status=Status.OPEN
    ).delete()
    return _ensure(
        project=project, clips=Clip.objects.filter(project=project, status=Clip.Status.READY)
    )


def _take(
    *, slot: Assignment, annotator, annotation: Annotation, now: datetime, action: str, by=None
) -> Assignment:
    """Give a locked slot to the annotator, with their annotation; audited (it may take an
    abandoned slot from its previous holder)."""
    before = audit_snapshot(slot)
    changes = {
        "status": Status.LEASED,
        "annotator_id": annotator.pk,
        "annotation_id": annotation.pk,
        "leased_at": now,
        "lease_expires_at": _lease_until(slot.project, now),
        "completed_at": None,
        "assigned_by_id": by.pk if by is not None else None,
    }
    updated = Assignment.objects.filter(pk=slot.pk, version=slot.version).update(
        version=next_version(), **changes
    )
    if not updated:
        raise _SlotMoved
    for name, value in changes.items():
        setattr(slot, name, value)
    slot.version += 1
    slot.annotation = annotation
    if before["annotator_id"] not in (None, annotator.pk) and action == "lease":
        action = "take_over"  # an abandoned lease: the previous holder's draft stays, slotless
    audit_record(
        actor=by or annotator,
        action=action,
        object_type="assignment",
        object_id=slot.pk,
        before=before,
        after=audit_snapshot(slot),
        clip=slot.clip,
    )
    return slot


def _own_lease(*, project: Project, annotator) -> Assignment | None:
    return (
        Assignment.objects.filter(project=project, annotator=annotator, status=Status.LEASED)
        .filter(Q(annotation__isnull=True) | Q(annotation__status=Annotation.Status.DRAFT))
        .select_related("clip", "clip__project", "annotation", "project")
        .order_by("leased_at", "pk")
        .first()
    )


@transaction.atomic
def assignment_next(*, project: Project, annotator) -> Assignment | None:
    """The slot the annotator works on next: their own live lease first (the oldest whose
    annotation is a draft), else a newly leased free slot on a clip they have neither a slot
    nor an annotation on (breadth first, then by clip name). None when nothing is left."""
    now = timezone.now()
    own = _own_lease(project=project, annotator=annotator)
    if own is not None:
        if own.annotation is None:  # reassigned by hand before anything was opened
            own.annotation = annotation_open(clip=own.clip, annotator=annotator)
        own.lease_expires_at = _lease_until(project, now)
        # Guarded: an expired lease may have gone to someone else since it was read.
        if Assignment.objects.filter(pk=own.pk, annotator=annotator, status=Status.LEASED).update(
            lease_expires_at=own.lease_expires_at, annotation=own.annotation
        ):
            return own
    assignment_slots_ensure(project=project)
    mine = Q(
        clip_id__in=Assignment.objects.filter(project=project, annotator=annotator).values(
            "clip_id"
        )
    ) | Q(
        clip_id__in=Annotation.objects.filter(clip__project=project, annotator=annotator).values(
            "clip_id"
        )
    )
    for _ in range(LEASE_ATTEMPTS):
        try:
            with transaction.atomic():
                slot = (
                    _for_update(_free_slots(project=project, now=now).exclude(mine))
                    .select_related("clip", "project")
                    .first()
                )
                if slot is None:
                    return None
                annotation = annotation_open(clip=slot.clip, annotator=annotator)
                return _take(
                    slot=slot, annotator=annotator, annotation=annotation, now=now, action="lease"
                )
        except (_SlotMoved, IntegrityError):
            # Another request of the same annotator (a second tab) won the race: resume theirs.
            own = _own_lease(project=project, annotator=annotator)
            if own is not None:
                return own
    raise AssignmentRejected(
        "Clips are being handed out very fast right now; try again.", code="busy"
    )


@transaction.atomic
def assignment_open(*, clip: Clip, annotator) -> tuple[Annotation, bool]:
    """The annotator's annotation of a clip they chose (the API's open, beside "next clip"):
    their existing one as it is, else a new one that takes a free slot of the clip. The k limit
    holds: when every slot is taken nothing is created and AssignmentRejected says so.
    Returns (annotation, created)."""
    existing = (
        Annotation.objects.filter(clip=clip, annotator=annotator)
        .select_related("clip", "clip__project")
        .first()
    )
    if existing is not None:
        return existing, False
    annotation = annotation_open(clip=clip, annotator=annotator)
    if assignment_lease_reclaim(annotation=annotation, user=annotator) is None:
        # Raised inside this transaction: the annotation just opened is rolled back with it.
        raise AssignmentRejected(
            f"Clip {clip.name} needs no more annotators: all {clip.project.annotators_per_clip} "
            "slot(s) are taken or done. Ask for the next clip instead.",
            code="no_slot",
        )
    return annotation, True


def assignment_lease_renew(*, annotation: Annotation, user) -> bool:
    """Renew the user's lease on the slot that holds this annotation: one UPDATE. False when the
    annotation holds no slot of theirs (then see assignment_lease_reclaim)."""
    until = _lease_until(annotation.clip.project, timezone.now())
    return bool(
        Assignment.objects.filter(
            annotation_id=annotation.pk, annotator_id=user.pk, status=Status.LEASED
        ).update(lease_expires_at=until)
    )


@transaction.atomic
def assignment_lease_reclaim(*, annotation: Annotation, user) -> Assignment | None:
    """A draft that holds no slot (its lease expired and the slot went to someone else, a
    manager moved it, or it was opened outside "next clip"): lease a free slot of its clip to
    the user again if the clip still needs annotators. None when there is none."""
    clip = annotation.clip
    project = clip.project
    now = timezone.now()
    held = (
        Assignment.objects.select_for_update(of=("self",))
        .filter(clip=clip, annotator_id=user.pk)
        .select_related("clip", "project")
        .first()
    )
    if held is not None:
        if held.status != Status.LEASED:
            return None
        return _take(slot=held, annotator=user, annotation=annotation, now=now, action="reclaim")
    _ensure(project=project, clips=Clip.objects.filter(pk=clip.pk, status=Clip.Status.READY))
    for _ in range(LEASE_ATTEMPTS):
        try:
            with transaction.atomic():
                slot = (
                    _for_update(_free_slots(project=project, now=now).filter(clip=clip))
                    .select_related("clip", "project")
                    .first()
                )
                if slot is None:
                    return None
                return _take(
                    slot=slot, annotator=user, annotation=annotation, now=now, action="reclaim"
                )
        except (_SlotMoved, IntegrityError):
            continue
    return None


def assignment_complete(*, annotation: Annotation, user) -> int:
    """Mark the slot holding this (just submitted) annotation done."""
    now = timezone.now()
    return (
        Assignment.objects.filter(annotation_id=annotation.pk, annotator_id=user.pk)
        .exclude(status=Status.DONE)
        .update(status=Status.DONE, completed_at=now, lease_expires_at=None, version=next_version())
    )


def assignment_reopen(*, annotation: Annotation, by) -> Assignment | None:
    """The done slot of a submission taken back to draft (by its annotator, or sent back by a
    reviewer): leased to its annotator again, so that their next writes hold it. None when the
    annotation held no slot."""
    slot = (
        Assignment.objects.select_for_update(of=("self",))
        .filter(annotation_id=annotation.pk, annotator_id=annotation.annotator_id)
        .select_related("clip", "project")
        .first()
    )
    if slot is None or slot.status != Status.DONE:
        return slot
    annotator = annotation.annotator
    return _take(
        slot=slot,
        annotator=annotator,
        annotation=annotation,
        now=timezone.now(),
        action="reopen",
        by=by if by.pk != annotator.pk else None,
    )


def _require_manager(*, project: Project, user, what: str) -> None:
    if user.is_superuser:
        return
    if not Membership.objects.filter(
        project=project, user=user, role=Membership.Role.MANAGER
    ).exists():
        raise AssignmentRejected(f"Only a manager of {project.name} can {what}.")


def _locked(assignment: Assignment, expected_version: int | None) -> Assignment:
    slot = (
        Assignment.objects.select_for_update(of=("self",))
        .filter(pk=assignment.pk)
        .select_related("clip", "project", "annotator")
        .first()
    )
    if slot is None:
        raise AssignmentRejected("This slot no longer exists (the clip or k changed); reload.")
    if expected_version is not None and slot.version != expected_version:
        raise AssignmentStale(slot)
    if slot.status == Status.DONE:
        who = slot.annotator.username if slot.annotator else "an annotator who has left"
        raise AssignmentRejected(
            f"Slot {slot.slot + 1} of clip {slot.clip.name} is done (submitted by {who}); "
            "a submitted annotation is not taken back."
        )
    return slot


@transaction.atomic
def assignment_reassign(
    *, assignment: Assignment, to_user, by, expected_version: int | None = None
) -> Assignment:
    """A manager gives a slot (open or leased) to another annotator of the project who has no
    slot on that clip. The previous holder's draft stays, but no longer holds a slot."""
    project = assignment.project
    _require_manager(project=project, user=by, what="reassign clips")
    slot = _locked(assignment, expected_version)
    if slot.annotator_id == to_user.pk:
        raise AssignmentRejected(f"{to_user.username} already holds this slot of {slot.clip.name}.")
    if not Membership.objects.filter(
        project=project, user=to_user, role=Membership.Role.ANNOTATOR
    ).exists():
        raise AssignmentRejected(
            f"{to_user.username} is not an annotator of {project.name}; "
            "add them as an annotator first."
        )
    if Assignment.objects.filter(clip_id=slot.clip_id, annotator=to_user).exists():
        raise AssignmentRejected(
            f"{to_user.username} already has a slot on clip {slot.clip.name}; "
            "one annotator labels a clip once."
        )
    existing = Annotation.objects.filter(clip_id=slot.clip_id, annotator=to_user).first()
    if existing is not None and existing.status == Annotation.Status.SUBMITTED:
        raise AssignmentRejected(
            f"{to_user.username} already submitted an annotation of clip {slot.clip.name}."
        )
    if slot.clip.status != Clip.Status.READY:
        raise AssignmentRejected(f"Clip {slot.clip.name} is not ready ({slot.clip.status}).")
    annotation = existing or annotation_open(clip=slot.clip, annotator=to_user, by=by)
    try:
        return _take(
            slot=slot,
            annotator=to_user,
            annotation=annotation,
            now=timezone.now(),
            action="reassign",
            by=by,
        )
    except _SlotMoved:
        raise AssignmentStale(slot) from None


def assignment_leases_release_for_member(*, project: Project, user, by) -> int:
    """Return every slot this user leases in the project to the pool (one audited release
    each), when they leave the project: the clips go to the next annotator at once, not when
    the lease runs out. Their drafts stay; finished slots stay done. Call inside the
    membership's removal transaction."""
    slots = list(
        Assignment.objects.select_for_update(of=("self",))
        .filter(project=project, annotator_id=user.pk, status=Status.LEASED)
        .select_related("clip")
        .order_by("pk")
    )
    for slot in slots:
        _release(slot, by=by)
    return len(slots)


def _release(slot: Assignment, *, by) -> Assignment:
    """Open a locked slot again (its version moves on) and audit it."""
    before = audit_snapshot(slot)
    changes = {
        "status": Status.OPEN,
        "annotator_id": None,
        "annotation_id": None,
        "leased_at": None,
        "lease_expires_at": None,
        "assigned_by_id": None,
    }
    Assignment.objects.filter(pk=slot.pk).update(version=next_version(), **changes)
    for name, value in changes.items():
        setattr(slot, name, value)
    slot.version += 1
    audit_record(
        actor=by,
        action="release",
        object_type="assignment",
        object_id=slot.pk,
        before=before,
        after=audit_snapshot(slot),
        clip=slot.clip,
    )
    return slot


@transaction.atomic
def assignment_release(
    *, assignment: Assignment, by, expected_version: int | None = None
) -> Assignment:
    """A manager returns a leased slot to the pool. The holder's draft stays; if they write to it
    before someone else takes the slot, it is leased to them again."""
    _require_manager(project=assignment.project, user=by, what="release clips")
    slot = _locked(assignment, expected_version)
    if slot.status == Status.OPEN:
        raise AssignmentRejected(f"Slot {slot.slot + 1} of clip {slot.clip.name} is already open.")
    return _release(slot, by=by)
