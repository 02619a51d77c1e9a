"""Assignment reads for the manager's page: every clip's slots (holder, status, lease, done)
and how many slots each annotator holds and has finished, in a fixed number of queries."""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from annotate.models import Assignment, Membership, Project

Status = Assignment.Status


@dataclass
class ClipRow:
    clip_id: int
    clip_name: str
    slots: list[Assignment] = field(default_factory=list)

    @property
    def holder_ids(self) -> set[int]:
        return {slot.annotator_id for slot in self.slots if slot.annotator_id is not None}


@dataclass
class AnnotatorCount:
    user_id: int
    username: str
    leased: int = 0
    expired: int = 0
    done: int = 0
    member: bool = True  # False: holds slots but is no annotator of the project (any more)


@dataclass
class Board:
    project: Project
    k: int
    rows: list[ClipRow]
    annotators: list  # users who can be given a slot, by name
    counts: list[AnnotatorCount]
    now: datetime

    @property
    def slot_numbers(self) -> list[int]:
        widest = max((len(row.slots) for row in self.rows), default=0)
        return list(range(1, max(self.k, widest) + 1))


def _mark_expired(slots: list[Assignment], now: datetime) -> None:
    for slot in slots:
        slot.expired = (slot.status == Status.LEASED and slot.lease_expires_at is not None
                        and slot.lease_expires_at < now)


def _slots():
    return (Assignment.objects.select_related("clip", "annotator")
            .only("slot", "status", "leased_at", "lease_expires_at", "completed_at", "version",
                  "annotator_id", "annotator__username", "clip_id", "clip__name", "project_id",
                  "assigned_by_id")
            .order_by("clip__name", "slot"))


def assignment_annotators(*, project: Project) -> list:
    """The project's annotators (those a slot can be given to), by name."""
    return [m.user for m in Membership.objects.filter(project=project, role=Membership.Role.ANNOTATOR)
            .select_related("user").order_by("user__username")]


def assignment_counts(*, project: Project, annotators: list | None = None) -> list[AnnotatorCount]:
    """Per annotator: slots leased (live), leased but expired, and done; annotators without
    any slot are listed with zeros so an idle one shows. One aggregate query."""
    now = timezone.now()
    annotators = assignment_annotators(project=project) if annotators is None else annotators
    counts = {user.pk: AnnotatorCount(user.pk, user.username) for user in annotators}
    rows = (Assignment.objects.filter(project=project, annotator__isnull=False)
            .values("annotator_id", "annotator__username").order_by()
            .annotate(leased=Count("pk", filter=Q(status=Status.LEASED, lease_expires_at__gte=now)),
                      expired=Count("pk", filter=Q(status=Status.LEASED, lease_expires_at__lt=now)),
                      done=Count("pk", filter=Q(status=Status.DONE))))
    for row in rows:
        count = counts.get(row["annotator_id"])
        if count is None:
            count = counts[row["annotator_id"]] = AnnotatorCount(
                row["annotator_id"], row["annotator__username"], member=False)
        count.leased, count.expired, count.done = row["leased"], row["expired"], row["done"]
    return sorted(counts.values(), key=lambda c: (not c.member, c.username))


def assignment_board_get(*, project: Project) -> Board:
    """Every clip with slots, its slots in order, and the per-annotator counts: three queries
    whatever the number of clips."""
    now = timezone.now()
    slots = list(_slots().filter(project=project))
    _mark_expired(slots, now)
    rows: dict[int, ClipRow] = {}
    for slot in slots:
        rows.setdefault(slot.clip_id, ClipRow(slot.clip_id, slot.clip.name)).slots.append(slot)
    annotators = assignment_annotators(project=project)
    return Board(project=project, k=project.annotators_per_clip, rows=list(rows.values()),
                 annotators=annotators, counts=assignment_counts(project=project, annotators=annotators),
                 now=now)


def assignment_get(*, project: Project, assignment_id: int) -> Assignment:
    assignment = (Assignment.objects.filter(project=project, pk=assignment_id)
                  .select_related("clip", "project").first())
    if assignment is None:
        raise Http404("No such slot in this project; reload the assignments page.")
    return assignment


def assignment_member_get(*, project: Project, user_id) -> object | None:
    """A member of the project by id (the service decides whether they may take a slot); None
    for anything else, so that no one learns which ids exist elsewhere."""
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        return None
    return get_user_model().objects.filter(pk=user_id, memberships__project=project).first()


def assignment_list(*, project: Project, status: str | None = None):
    """The project's slots by clip and slot, clip and people joined (the API's list)."""
    slots = (Assignment.objects.filter(project=project)
             .select_related("clip", "annotator", "assigned_by").order_by("clip__name", "slot"))
    return slots.filter(status=status) if status else slots


def assignment_member_by_username(*, project: Project, username: str) -> object | None:
    """A member of the project by username; None for anyone else (as assignment_member_get)."""
    return get_user_model().objects.filter(username=username, memberships__project=project).first()
