"""Annotation reads for the timeline. An annotation is only ever found through its owner:
every query filters on annotator=user, so one annotator never reaches another's work (blind
by construction) and anything else is a 404.

The read-only timeline of a clip (clip_timeline_view_get) is the one exception, and it only
reads: a run's proposals for whoever may see model output, and the clip's submitted
annotations for the reviewers and managers the caller says may see them, named as the review
screen names them (lane_labels).

Assignment reads for the manager's page: every clip's slots (holder, status, lease, done)
and how many slots each annotator holds and has finished, in a fixed number of queries."""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import CharField, Count, OuterRef, Q, QuerySet, Subquery, Value
from django.http import Http404
from django.utils import timezone

from annotate.annotation.models import Annotation, Assignment
from annotate.clips.models import Clip
from annotate.core.models import Membership, Project
from annotate.runs.calibration import run_calibrators
from annotate.runs.models import Cue, ModelRun, Proposal

LANES = (("visual", "Visual"), ("auditory", "Auditory"), ("emotional", "Emotional"))


@dataclass
class Lane:
    modality: str
    label: str
    timed: list[Cue] = field(default_factory=list)
    untimed: list[Cue] = field(default_factory=list)


@dataclass
class CueCounts:
    """The cue list's header: how many cues, and how many of each decision (those with any,
    in the order of Cue.Decision)."""

    total: int
    by_decision: dict[str, int]

    @classmethod
    def of(cls, per_decision: dict[str, int]) -> "CueCounts":
        ordered = {d: per_decision.get(d, 0) for d in Cue.Decision.values}
        ordered.update((d, n) for d, n in per_decision.items() if d not in ordered)
        return cls(
            total=sum(per_decision.values()), by_decision={d: n for d, n in ordered.items() if n}
        )


@dataclass
class Timeline:
    project: Project
    clip: Clip
    annotation: Annotation
    cues: list[Cue]
    lanes: list[Lane]
    counts: CueCounts
    role: str  # the viewer's role in the project
    calibrated: bool = False  # undecided proposals carry kept_estimate and lead the list


def _member_filter(user) -> dict:
    # A former member keeps their rows but can no longer reach them.
    return {} if user.is_superuser else {"clip__project__memberships__user": user}


def _own_annotations(*, user) -> QuerySet[Annotation]:
    return Annotation.objects.filter(annotator=user, **_member_filter(user)).select_related(
        "clip", "clip__project"
    )


def _viewer_role(user):
    """The user's role in the annotation's project, as a column of the same query."""
    if user.is_superuser:
        return Value(Membership.Role.MANAGER, output_field=CharField())
    return Subquery(
        Membership.objects.filter(project=OuterRef("clip__project"), user=user).values("role")[:1]
    )


def annotation_get_for_user(
    *, slug: str, clip_name: str, user, with_role: bool = False
) -> Annotation:
    """The user's own annotation of the clip (clip and project joined in the same query; with
    `with_role`, the user's role in the project as `viewer_role`, in that query too)."""
    if not user.is_authenticated or "\x00" in clip_name:  # PostgreSQL text cannot hold NUL
        raise Http404("No such annotation.")
    annotations = _own_annotations(user=user)
    if with_role:
        annotations = annotations.annotate(viewer_role=_viewer_role(user))
    annotation = annotations.filter(clip__project__slug=slug, clip__name=clip_name).first()
    if annotation is None:
        raise Http404(
            "You have no annotation of this clip; open it from the project page "
            "with “Start annotating”."
        )
    return annotation


# What a change of a cue reads: the cue and its annotation whole; of the clip and the project,
# what the ownership check, the lease's renewal (or reclaim), the audit and the answer use.
# The rest of the clip and project (about 70 columns, with the clip's subtitle, frames and
# metadata as JSON) would only cost the query's building and decoding on every save.
_CUE_CHANGE_COLUMNS = (
    *(column.name for column in Cue._meta.concrete_fields),
    *(f"annotation__{column.name}" for column in Annotation._meta.concrete_fields),
    *(f"annotation__clip__{name}" for name in ("project", "name", "status", "duration_ms")),
    *(
        f"annotation__clip__project__{name}"
        for name in (
            "name",
            "slug",
            "blind_mode",
            "annotators_per_clip",
            "assignment_lease_minutes",
        )
    ),
)


def annotation_cue_get(*, slug: str, clip_name: str, cue_id: int, user) -> Cue:
    """One cue of the user's own annotation, with annotation, clip and project, in one query."""
    if not user.is_authenticated or "\x00" in clip_name:  # PostgreSQL text cannot hold NUL
        raise Http404("No such cue.")
    member = {} if user.is_superuser else {"annotation__clip__project__memberships__user": user}
    cue = (
        Cue.objects.filter(
            pk=cue_id,
            annotation__annotator=user,
            annotation__clip__name=clip_name,
            annotation__clip__project__slug=slug,
            **member,
        )
        .select_related("annotation", "annotation__clip", "annotation__clip__project")
        .only(*_CUE_CHANGE_COLUMNS)
        .first()
    )
    if cue is None:
        raise Http404("No such cue in your annotation of this clip.")
    return cue


def _cue_order(cue: Cue) -> tuple:
    return (cue.start_ms is None, cue.start_ms or 0, cue.modality, cue.position, cue.pk)


def _calibrated_order(cue: Cue) -> tuple:
    """Undecided proposals with a calibrated confidence first, the likeliest kept first; then
    every other cue in time order."""
    kept = getattr(cue, "kept_estimate", None)
    return (kept is None, -(kept or 0.0), *_cue_order(cue))


def _calibrate(annotation: Annotation, cues: list[Cue]) -> bool:
    """Give each undecided proposal its calibrated confidence (``kept_estimate``: the share of
    its proposer version's cues of that kind annotators kept at that claimed confidence), when
    its proposer version has one for its kind. Decoys get theirs from the kind and confidence
    they borrow, like any proposal, so nothing tells them apart. None in a blind project: the
    share is other annotators' decisions, which blind annotation keeps from them. One query,
    and none when no proposal is undecided. Returns whether any cue got one."""
    undecided = [
        c
        for c in cues
        if c.origin == Cue.Origin.MODEL
        and c.decision == Cue.Decision.PROPOSED
        and c.confidence is not None
    ]
    project = annotation.clip.project
    if not undecided or annotation.run_id is None or project.blind_mode:
        return False
    calibrators = run_calibrators(run_id=annotation.run_id, project_id=project.pk)
    for cue in undecided:
        calibrator = calibrators.get(cue.kind)
        if calibrator is not None:
            cue.kept_estimate = round(float(calibrator.predict([cue.confidence])[0]), 3)
    return any(getattr(c, "kept_estimate", None) is not None for c in undecided)


def _laid_out(cues) -> tuple[list[Cue], list[Lane], CueCounts]:
    """Cues in time order, on their modality's lane (timed or in the lane's margin), and the
    list header's counts."""
    cues = sorted(cues, key=_cue_order)
    lanes = {modality: Lane(modality, label) for modality, label in LANES}
    counts: dict[str, int] = {}
    for cue in cues:
        lane = lanes.get(cue.modality)
        if lane is not None:
            (lane.timed if cue.start_ms is not None else lane.untimed).append(cue)
        counts[cue.decision] = counts.get(cue.decision, 0) + 1
    return cues, list(lanes.values()), CueCounts.of(counts)


def annotation_timeline_get(*, slug: str, clip_name: str, user) -> Timeline:
    """Everything the timeline page shows, in two queries whatever the number of cues (three
    when undecided proposals may have a calibrated confidence)."""
    annotation = annotation_get_for_user(slug=slug, clip_name=clip_name, user=user, with_role=True)
    cues, lanes, counts = _laid_out(Cue.objects.filter(annotation=annotation).defer("evidence"))
    calibrated = _calibrate(annotation, cues)
    if calibrated:  # the list only: the lanes stay in time order
        cues.sort(key=_calibrated_order)
    clip = annotation.clip
    return Timeline(
        project=clip.project,
        clip=clip,
        annotation=annotation,
        cues=cues,
        lanes=lanes,
        counts=counts,
        role=annotation.viewer_role,
        calibrated=calibrated,
    )


def blind_label(n: int) -> str:
    return f"Annotator {n}"


def lane_labels(*, project: Project, annotations: list[Annotation]) -> dict[int, str]:
    """Annotation id -> how reviewers and managers see who made a submitted annotation, on the
    review screen and on the read-only timeline alike: the username, or in a blind project
    "Annotator n", n counting the clip's submitted annotations in the order they were made
    (`annotations` is that list, ordered by id)."""
    if project.blind_mode:
        return {a.pk: blind_label(i) for i, a in enumerate(annotations, start=1)}
    return {a.pk: a.annotator.get_username() for a in annotations}


@dataclass
class SubmittedWork:
    """One annotator's submitted annotation of the clip, as the read-only timeline offers it."""

    annotation: Annotation
    label: str


@dataclass
class TimelineView:
    """The read-only timeline of a clip: the runs with proposals for it (newest first), the
    submitted work the viewer may see, and what is shown on the lanes: the proposal of the
    chosen run, or one submitted annotation (`shown`)."""

    project: Project
    clip: Clip
    proposals: list[Proposal]
    proposal: Proposal | None
    work: list[SubmittedWork]
    shown: SubmittedWork | None
    own: Annotation | None
    cues: list[Cue]
    lanes: list[Lane]
    counts: CueCounts


def clip_proposals_list(*, clip: Clip) -> list[Proposal]:
    """The clip's finished proposals, one per run, with their run: newest run first."""
    return list(
        Proposal.objects.filter(clip=clip, status=Proposal.Status.DONE)
        .select_related("run")
        .defer("timings")
        .order_by("-run__created_at", "-run_id")
    )


def proposal_default(proposals: list[Proposal]) -> Proposal | None:
    """The proposal a read-only timeline opens on: the newest finished run's, else the newest."""
    finished = (p for p in proposals if p.run.status == ModelRun.Status.FINISHED)
    return next(finished, proposals[0] if proposals else None)


def clip_timeline_view_get(
    *,
    clip: Clip,
    user,
    sees_work: bool,
    run_id: int | None = None,
    annotation_id: int | None = None,
) -> TimelineView:
    """What the read-only timeline shows of `clip` (its project already loaded). The caller has
    checked that the user may see the model's output; `sees_work` says whether they may also see
    the annotators' submitted work (reviewers and managers).

    `annotation_id` (one of the submitted annotations offered) is shown when given; else the
    proposal of `run_id`, else that of the newest finished run. An id that names nothing the user
    may see leaves `shown` or `proposal` None: the view says so. Four queries, whatever the
    number of cues."""
    project = clip.project
    proposals = clip_proposals_list(clip=clip)
    if run_id is None:
        proposal = proposal_default(proposals)
    else:
        proposal = next((p for p in proposals if p.run_id == run_id), None)
    work: list[SubmittedWork] = []
    if sees_work:
        submitted = list(
            Annotation.objects.filter(clip=clip, status=Annotation.Status.SUBMITTED)
            .select_related("annotator", "run")
            .order_by("pk")
        )
        labels = lane_labels(project=project, annotations=submitted)
        work = [SubmittedWork(a, labels[a.pk]) for a in submitted]
    shown = None
    if annotation_id is not None:
        shown = next((w for w in work if w.annotation.pk == annotation_id), None)
    if shown is not None:
        cues = Cue.objects.filter(annotation=shown.annotation)
    elif annotation_id is None and proposal is not None:
        cues = Cue.objects.filter(proposal=proposal)
    else:
        cues = Cue.objects.none()
    cues, lanes, counts = _laid_out(cues.defer("evidence"))
    own = (
        Annotation.objects.filter(clip=clip, annotator=user).only("pk", "status").first()
        if user.is_authenticated
        else None
    )
    return TimelineView(
        project=project,
        clip=clip,
        proposals=proposals,
        proposal=proposal,
        work=work,
        shown=shown,
        own=own,
        cues=cues,
        lanes=lanes,
        counts=counts,
    )


def annotation_cue_counts(*, annotation: Annotation) -> CueCounts:
    """The header counts of one annotation's cues, in one query."""
    rows = (
        Cue.objects.filter(annotation=annotation)
        .values("decision")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return CueCounts.of({row["decision"]: row["n"] for row in rows})


def annotation_list_for_annotator(*, project, annotator):
    """The annotator's own annotations in a project (their queue: drafts first, newest last)."""
    return (
        Annotation.objects.filter(clip__project=project, annotator=annotator)
        .select_related("clip")
        .only(
            "status",
            "updated_at",
            "submitted_at",
            "primary_label",
            "clip__name",
            "clip__duration_ms",
        )
        .order_by("status", "clip__name")
    )


def annotation_list_with_counts(*, project: Project, username: str) -> QuerySet[Annotation]:
    """One member's annotations in a project by clip name, each with its cue counts per
    decision (n_total, n_proposed, ...), in one query. The caller decides who may ask."""
    if "\x00" in username:  # PostgreSQL text cannot hold NUL: such a name matches nobody
        return Annotation.objects.none()
    counts = {
        f"n_{decision}": Count("cues", filter=Q(cues__decision=decision))
        for decision in Cue.Decision.values
    }
    return (
        Annotation.objects.filter(clip__project=project, annotator__username=username)
        .select_related("clip", "annotator")
        .annotate(n_total=Count("cues"), **counts)
        .order_by("clip__name")
    )


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
        slot.expired = (
            slot.status == Status.LEASED
            and slot.lease_expires_at is not None
            and slot.lease_expires_at < now
        )


def _slots():
    return (
        Assignment.objects.select_related("clip", "annotator")
        .only(
            "slot",
            "status",
            "leased_at",
            "lease_expires_at",
            "completed_at",
            "version",
            "annotator_id",
            "annotator__username",
            "clip_id",
            "clip__name",
            "project_id",
            "assigned_by_id",
        )
        .order_by("clip__name", "slot")
    )


def assignment_annotators(*, project: Project) -> list:
    """The project's annotators (those a slot can be given to), by name."""
    return [
        m.user
        for m in Membership.objects.filter(project=project, role=Membership.Role.ANNOTATOR)
        .select_related("user")
        .order_by("user__username")
    ]


def assignment_counts(*, project: Project, annotators: list | None = None) -> list[AnnotatorCount]:
    """Per annotator: slots leased (live), leased but expired, and done; annotators without
    any slot are listed with zeros so an idle one shows. One aggregate query."""
    now = timezone.now()
    annotators = assignment_annotators(project=project) if annotators is None else annotators
    counts = {user.pk: AnnotatorCount(user.pk, user.username) for user in annotators}
    rows = (
        Assignment.objects.filter(project=project, annotator__isnull=False)
        .values("annotator_id", "annotator__username")
        .order_by()
        .annotate(
            leased=Count("pk", filter=Q(status=Status.LEASED, lease_expires_at__gte=now)),
            expired=Count("pk", filter=Q(status=Status.LEASED, lease_expires_at__lt=now)),
            done=Count("pk", filter=Q(status=Status.DONE)),
        )
    )
    for row in rows:
        count = counts.get(row["annotator_id"])
        if count is None:
            count = counts[row["annotator_id"]] = AnnotatorCount(
                row["annotator_id"], row["annotator__username"], member=False
            )
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
    return Board(
        project=project,
        k=project.annotators_per_clip,
        rows=list(rows.values()),
        annotators=annotators,
        counts=assignment_counts(project=project, annotators=annotators),
        now=now,
    )


def assignment_get(*, project: Project, assignment_id: int) -> Assignment:
    assignment = (
        Assignment.objects.filter(project=project, pk=assignment_id)
        .select_related("clip", "project")
        .first()
    )
    if assignment is None:
        raise Http404("No such slot in this project; reload the assignments page.")
    return assignment


def assignment_list(*, project: Project, status: str | None = None):
    """The project's slots by clip and slot, clip and people joined (the API's list)."""
    slots = (
        Assignment.objects.filter(project=project)
        .select_related("clip", "annotator", "assigned_by")
        .order_by("clip__name", "slot")
    )
    return slots.filter(status=status) if status else slots


def assignment_member_by_username(*, project: Project, username: str) -> object | None:
    """A member of the project by username; None for anyone else (so that no one learns who
    exists elsewhere)."""
    return get_user_model().objects.filter(username=username, memberships__project=project).first()
