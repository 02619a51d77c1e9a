"""Review reads: a clip's submitted annotations side by side with the model's proposals, their
cues aligned into groups (inference.alignment), and the gold record being built from them.

Alignments are computed by a cpu worker when an annotation is submitted and kept in the
database for every process (alignment.py). The review queue only reads them: a complete clip
whose alignment is not stored yet is listed as aligning, never aligned in the request. The
page of one clip aligns on its own when a worker has not yet (it needs the groups)."""

from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Min, Prefetch, Q, QuerySet

from annotate.annotation.models import Annotation
from annotate.annotation.selectors import blind_label, lane_labels
from annotate.clips.models import Clip
from annotate.core.history import AuditReferences, audit_referenced_ids, audit_text_label
from annotate.core.models import MANAGER_ROLES, REVIEWER_ROLES, AuditEvent, Membership, Project
from annotate.review.alignment import (
    alignment_key,
    alignments_cached,
    annotation_cues,
    annotator_key,
    clip_alignment,
    cue_counts,
    cue_is_decoy,
    model_cues,
    review_run,
    submitted_annotations,
)
from annotate.review.models import GoldCue, GoldRecord, ReviewComment, ReviewDecision
from annotate.runs.models import Cue, ModelRun

MODALITIES = tuple(Cue.Modality.values)


HUMAN_LABELS = ("consensus", "disputed", "singleton")


@dataclass
class ReviewLane:
    """One annotator's submitted annotation on the shared time axis."""

    annotation: Annotation
    key: str
    label: str
    cues: list[Cue]
    timed: list[Cue] = field(default_factory=list)
    untimed: list[Cue] = field(default_factory=list)
    kept: int = 0


@dataclass
class ReviewGroup:
    key: str
    modality: str
    label: str
    similarity: float
    start_ms: int | None
    end_ms: int | None
    members: list[tuple[str, Cue]]  # (lane label, cue), in lane order
    model_cues: list[Cue]
    decision: ReviewDecision | None = None

    @property
    def texts(self) -> list[str]:
        """Distinct candidate texts, the annotators' first, then the model's."""
        seen: list[str] = []
        for text in [c.text for _, c in self.members] + [c.text for c in self.model_cues]:
            if text not in seen:
                seen.append(text)
        return seen

    @property
    def cue_ids(self) -> list[int]:
        return [c.pk for _, c in self.members] + [c.pk for c in self.model_cues]


@dataclass
class LabelRow:
    lane_label: str
    annotation: Annotation
    agrees: bool  # primary label is the most common one (and that one is not tied)


@dataclass
class ClipReview:
    project: Project
    clip: Clip
    annotations: list[Annotation]
    lanes: list[ReviewLane]
    run: ModelRun | None
    model_cues: list[Cue]
    groups: list[ReviewGroup]
    model_id: str
    record: GoldRecord | None
    decisions: dict[str, ReviewDecision]
    gold_cues: list[GoldCue]
    comments: list[ReviewComment]
    label_rows: list[LabelRow]
    primary_labels_differ: bool
    candidate_labels: list[str]

    @property
    def groups_by_modality(self) -> list[tuple[str, list[ReviewGroup]]]:
        return [(m, [g for g in self.groups if g.modality == m]) for m in MODALITIES]

    @property
    def undecided(self) -> list[ReviewGroup]:
        return [g for g in self.groups if g.key not in self.decisions]

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(g.label for g in self.groups)
        return {label: counted.get(label, 0) for label in (*HUMAN_LABELS, "model_only")}

    @property
    def model_timed(self) -> list[Cue]:
        return [c for c in self.model_cues if c.start_ms is not None]

    @property
    def model_untimed(self) -> list[Cue]:
        return [c for c in self.model_cues if c.start_ms is None]

    @property
    def missing(self) -> list[str]:
        """What the gold record still needs before it can be final (as gold_record_finalize
        words it)."""
        undecided = Counter(g.modality for g in self.undecided)
        missing = []
        if undecided:
            parts = ", ".join(f"{m} {n}" for m, n in undecided.items())
            missing.append(f"{sum(undecided.values())} undecided cue group(s) ({parts})")
        if self.record is None or not self.record.primary_label:
            missing.append("a primary emotion label")
        return missing

    @property
    def provenance_changed(self) -> bool:
        """Whether the submitted annotations differ from those the review started from (one
        was submitted since): the groups follow the annotations as they are now."""
        if self.record is None or self.record.status != GoldRecord.Status.IN_REVIEW:
            return False
        recorded = {
            (a.get("id"), a.get("version")) for a in self.record.provenance.get("annotations", [])
        }
        return recorded != {(a.pk, a.version) for a in self.annotations}

    def group_of(self, key: str) -> ReviewGroup | None:
        return next((g for g in self.groups if g.key == key), None)


def clip_history_names(*, clip: Clip, role: str) -> dict[int, str] | None:
    """User id -> the name a clip's history shows instead of the username, or None to show
    usernames (managers, and every reader of a project that is not blind).

    In a blind project the review screen calls the clip's submitted annotations "Annotator 1",
    "Annotator 2", ...; the history names the same people the same way. Whoever else worked on
    the clip as an annotator (a draft, a slot held or taken over, or any actor who is not a
    reviewer or manager now) continues the count, in the order they first appear. Reviewers
    and managers without an annotation of the clip keep their names."""
    project = clip.project
    if not project.blind_mode or role in MANAGER_ROLES:
        return None
    names: dict[int, str] = {}

    def add(user_id: int | None) -> None:
        if user_id is not None and user_id not in names:
            names[user_id] = blind_label(len(names) + 1)

    # the review screen's lanes, in its order
    for annotation in submitted_annotations(Q(clip=clip)):
        add(annotation.annotator_id)
    drafts = Annotation.objects.filter(clip=clip).exclude(status=Annotation.Status.SUBMITTED)
    for user_id in drafts.order_by("pk").values_list("annotator_id", flat=True):
        add(user_id)
    staff = Membership.objects.filter(project=project, role__in=REVIEWER_ROLES)
    events = AuditEvent.objects.filter(clip=clip)
    first_seen: dict[int, int] = {}  # user id -> the first event that shows them
    actors = (
        events.filter(actor__isnull=False)
        .exclude(actor_id__in=staff.values("user_id"))
        .order_by()
        .values("actor_id")
        .annotate(first=Min("pk"))
        .values_list("actor_id", "first")
    )
    held = events.filter(object_type__in=("annotation", "assignment")).values_list(
        "pk", "before__annotator_id", "after__annotator_id"
    )  # an annotation's or a slot's annotator, whoever made the change
    for user_id, pk in actors:
        first_seen[user_id] = min(pk, first_seen.get(user_id, pk))
    for pk, *holders in held:
        for user_id in holders:
            if isinstance(user_id, int):
                first_seen[user_id] = min(pk, first_seen.get(user_id, pk))
    for user_id in sorted(first_seen, key=first_seen.__getitem__):
        add(user_id)
    return names


def _label_rows(
    annotations: list[Annotation], labels: dict[int, str]
) -> tuple[list[LabelRow], bool]:
    primaries = Counter(a.primary_label for a in annotations)
    ranked = primaries.most_common()
    tied = len(ranked) > 1 and ranked[0][1] == ranked[1][1]
    majority = ranked[0][0] if ranked and not tied else None
    rows = [
        LabelRow(labels[a.pk], a, majority is not None and a.primary_label == majority)
        for a in annotations
    ]
    return rows, len(primaries) > 1


def clip_review_get(*, clip: Clip) -> ClipReview:
    """Everything the reviewer page shows, in a fixed number of queries whatever the number of
    annotators and cues (plus the embedding lookups when the alignment is not cached)."""
    project = clip.project
    annotations = submitted_annotations(Q(clip=clip))
    human = annotation_cues([a.pk for a in annotations])
    run = review_run(annotations)
    model = model_cues([(run.pk, clip.pk)] if run else [])
    alignment = clip_alignment(
        clip=clip, project=project, annotations=annotations, run=run, human=human, model=model
    )
    labels = lane_labels(project=project, annotations=annotations)

    lanes = {
        a.pk: ReviewLane(annotation=a, key=annotator_key(a), label=labels[a.pk], cues=[])
        for a in annotations
    }
    by_id: dict[int, Cue] = {}
    for cue in human:
        lane = lanes[cue.annotation_id]
        lane.cues.append(cue)
        (lane.timed if cue.start_ms is not None else lane.untimed).append(cue)
        lane.kept += cue_counts(cue)
        cue.lane_label = lane.label
        cue.counts = cue_counts(cue)
        cue.is_decoy = cue_is_decoy(cue)
        cue.group_key = ""
        by_id[cue.pk] = cue
    for cue in model:
        cue.group_key = ""
        by_id[cue.pk] = cue

    groups = []
    for row in alignment["groups"]:
        members = [(by_id[i].lane_label, by_id[i]) for i in row["cue_ids"] if i in by_id]
        model_members = [by_id[i] for i in row["model_cue_ids"] if i in by_id]
        for _, cue in members:
            cue.group_key = row["key"]
        for cue in model_members:
            cue.group_key = row["key"]
        groups.append(
            ReviewGroup(
                key=row["key"],
                modality=row["modality"],
                label=row["label"],
                similarity=row["similarity"],
                start_ms=row["start_ms"],
                end_ms=row["end_ms"],
                members=members,
                model_cues=model_members,
            )
        )

    record = (
        GoldRecord.objects.filter(clip=clip)
        .select_related("reviewer")
        .prefetch_related(
            Prefetch("decisions", queryset=ReviewDecision.objects.select_related("gold_cue")),
            Prefetch(
                "cues", queryset=GoldCue.objects.order_by("modality", "start_ms", "position", "pk")
            ),
        )
        .first()
    )
    decisions = {d.group_key: d for d in record.decisions.all()} if record else {}
    for group in groups:
        group.decision = decisions.get(group.key)
    gold_cues = list(record.cues.all()) if record else []
    keys = {g.key for g in groups}
    for cue in gold_cues:  # settles a group of an earlier alignment (annotations changed since)
        cue.orphan = bool(cue.group_key) and cue.group_key not in keys
    comments = list(review_comments_list(clip=clip))
    label_rows, differ = _label_rows(annotations, labels)
    candidates: list[str] = []
    for a in annotations:
        for label in [a.primary_label, *a.labels]:
            if label and label not in candidates:
                candidates.append(label)
    if record:
        for label in record.labels:
            if label not in candidates:
                candidates.append(label)
    return ClipReview(
        project=project,
        clip=clip,
        annotations=annotations,
        lanes=list(lanes.values()),
        run=run,
        model_cues=model,
        groups=groups,
        model_id=alignment["model_id"],
        record=record,
        decisions=decisions,
        gold_cues=gold_cues,
        comments=comments,
        label_rows=label_rows,
        primary_labels_differ=differ,
        candidate_labels=candidates,
    )


def clip_alignment_get(*, clip: Clip) -> tuple[list[Annotation], ModelRun | None, list[dict], str]:
    """The submitted annotations, the model lane's run, the alignment groups (as dicts) and
    the embedding model's id: what the review services check decisions against."""
    annotations = submitted_annotations(Q(clip=clip))
    run = review_run(annotations)
    alignment = clip_alignment(clip=clip, project=clip.project, annotations=annotations, run=run)
    return annotations, run, alignment["groups"], alignment["model_id"]


@dataclass
class QueueRow:
    """One clip of the review queue. `state`: "ranked" (all k annotations are submitted and
    aligned: the counts and the disagreement are known), "aligning" (complete, its alignment
    not computed yet: a worker is on it) or "waiting" (fewer than k submitted: never ranked).
    The group counts and the disagreement are None unless ranked."""

    clip: Clip
    submitted: int
    k: int
    state: str
    label_agreement: float  # share of annotators whose primary label is the most common one
    primary_labels: list[str]
    gold_status: str  # "", "in_review" or "gold"
    alignment_key: str = ""
    consensus: int | None = None
    disputed: int | None = None
    singleton: int | None = None
    model_only: int | None = None
    disagreement: float | None = None

    @property
    def ranked(self) -> bool:
        return self.state == "ranked"

    @property
    def aligning(self) -> bool:
        return self.state == "aligning"

    @property
    def waiting_for(self) -> int:
        """How many more submissions the clip needs before it is ranked."""
        return max(0, self.k - self.submitted)

    @property
    def human_groups(self) -> int:
        return (self.consensus or 0) + (self.disputed or 0) + (self.singleton or 0)


def disagreement_score(
    *, consensus: int, disputed: int, singleton: int, label_agreement: float, annotators: int
) -> float:
    """Share of human groups that are disputed or singletons, plus the share of annotators whose
    primary label differs from the most common one (each in [0, 1], so the sum is in [0, 2]).
    A group of one disagrees with the other annotators only when there are others: with one
    annotator, every group is a group of one and nothing is disputed."""
    split = disputed + (singleton if annotators > 1 else 0)
    human = consensus + disputed + singleton
    cue_part = split / human if human else 0.0
    return round(cue_part + (1.0 - label_agreement), 6)


def review_queue_list(*, project: Project) -> list[QueueRow]:
    """Clips with at least one submitted annotation: first the complete ones (all k submitted)
    whose alignment is stored, most disagreement first; then the complete ones a worker is
    still aligning; clips whose gold is final after those; then the clips still waiting for
    submissions, the closest to complete first. Reads stored alignments only, never computes
    one (the sentence model stays out of the request): a fixed number of queries."""
    annotations = submitted_annotations(Q(clip__project=project))
    by_clip: dict[int, list[Annotation]] = {}
    for a in annotations:
        by_clip.setdefault(a.clip_id, []).append(a)
    clips = {
        c.pk: c
        for c in Clip.objects.filter(pk__in=by_clip).only(
            "pk", "uid", "name", "project_id", "duration_ms"
        )
    }
    gold = dict(GoldRecord.objects.filter(clip_id__in=by_clip).values_list("clip_id", "status"))
    k = project.annotators_per_clip
    keys = {
        clip_id: alignment_key(clips[clip_id], project, items, review_run(items))
        for clip_id, items in by_clip.items()
        if len(items) >= k
    }
    alignments = alignments_cached(keys=keys)

    rows = []
    for clip_id, items in by_clip.items():
        primaries = [a.primary_label for a in items]
        agreement = Counter(primaries).most_common(1)[0][1] / len(items)
        row = QueueRow(
            clip=clips[clip_id],
            submitted=len(items),
            k=k,
            state="waiting",
            label_agreement=agreement,
            primary_labels=primaries,
            gold_status=gold.get(clip_id, ""),
            alignment_key=keys.get(clip_id, ""),
        )
        if clip_id in alignments:
            labels = Counter(g["label"] for g in alignments[clip_id]["groups"])
            row.state = "ranked"
            row.consensus = labels["consensus"]
            row.disputed = labels["disputed"]
            row.singleton = labels["singleton"]
            row.model_only = labels["model_only"]
            row.disagreement = disagreement_score(
                consensus=row.consensus,
                disputed=row.disputed,
                singleton=row.singleton,
                label_agreement=agreement,
                annotators=len(items),
            )
        elif clip_id in keys:
            row.state = "aligning"
        rows.append(row)
    order = {"ranked": 0, "aligning": 1, "waiting": 3}
    final = GoldRecord.Status.GOLD
    rows.sort(
        key=lambda r: (
            2 if r.state != "waiting" and r.gold_status == final else order[r.state],
            r.waiting_for,
            -(r.disagreement or 0.0),
            r.clip.name,
        )
    )
    return rows


def gold_record_get(*, clip: Clip) -> GoldRecord | None:
    """The clip's gold record, or None while its review has not started."""
    return GoldRecord.objects.filter(clip=clip).first()


def gold_cue_get(*, record: GoldRecord, cue_id: int) -> GoldCue | None:
    return GoldCue.objects.filter(record=record, pk=cue_id).first()


def clip_cue_get(*, clip: Clip, cue_id: int) -> Cue | None:
    """A cue of this clip (an annotator's or the model's), or None: a comment pins to it."""
    return Cue.objects.filter(clip=clip, pk=cue_id).first()


def review_comments_list(*, clip: Clip) -> QuerySet[ReviewComment]:
    """A clip's comments with their authors and cues, in the review page's order."""
    return (
        ReviewComment.objects.filter(clip=clip)
        .select_related("author", "cue")
        .order_by("resolved_at", "created_at", "pk")
    )


def review_comment_get(*, clip: Clip, comment_id: int) -> ReviewComment | None:
    return (
        ReviewComment.objects.filter(clip=clip, pk=comment_id)
        .select_related("clip", "author", "cue")
        .first()
    )


def clip_history_references(
    *, clip: Clip, events: list[AuditEvent], names: dict[int, str] | None
) -> AuditReferences:
    """What a page of the clip's history points at, named for the reader: users by username
    (or their `names`; where names are given, the project is blind for this reader and any
    other user keeps their username only if they review or manage it), cues by whose and
    their words, gold cues by their words, annotations by whose, the gold record by its clip.
    Four queries at most, whatever the page holds."""
    states = [state for event in events for state in (event.before, event.after)]
    user_ids, object_ids = audit_referenced_ids(states)
    cue_ids = object_ids.get("cue", set())
    cues = list(
        Cue.objects.filter(clip=clip, pk__in=cue_ids).only("id", "text", "annotation_id")
        if cue_ids
        else []
    )
    annotation_ids = object_ids.get("annotation", set()) | {
        c.annotation_id for c in cues if c.annotation_id
    }
    annotators = dict(
        Annotation.objects.filter(clip=clip, pk__in=annotation_ids).values_list(
            "pk", "annotator_id"
        )
        if annotation_ids
        else []
    )
    refs = AuditReferences(clip_name=clip.name, users=dict(names or {}))
    unknown = (user_ids | set(annotators.values())) - set(refs.users)
    if unknown:
        staff = set(
            Membership.objects.filter(
                project_id=clip.project_id, user_id__in=unknown, role__in=REVIEWER_ROLES
            ).values_list("user_id", flat=True)
        )
        for user_id, username in (
            get_user_model().objects.filter(pk__in=unknown).values_list("pk", "username")
        ):
            blind = names is not None and user_id not in staff
            refs.users[user_id] = "an annotator" if blind else username
    for annotation_id, annotator_id in annotators.items():
        refs.objects[("annotation", annotation_id)] = f"{refs.user(annotator_id)}’s annotation"
    for cue in cues:
        whose = (
            refs.user(annotators[cue.annotation_id]) if cue.annotation_id in annotators else None
        )
        label = audit_text_label(cue.text)
        refs.objects[("cue", cue.pk)] = f"{whose}: {label}" if whose else f"model: {label}"
    gold_cue_ids = object_ids.get("gold_cue", set())
    if gold_cue_ids:
        for pk, text in GoldCue.objects.filter(record__clip=clip, pk__in=gold_cue_ids).values_list(
            "pk", "text"
        ):
            refs.objects[("gold_cue", pk)] = audit_text_label(text)
    return refs
