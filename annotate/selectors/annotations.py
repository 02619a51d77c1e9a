"""Annotation reads for the timeline. An annotation is only ever found through its owner:
every query filters on annotator=user, so one annotator never reaches another's work (blind
by construction) and anything else is a 404."""

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from annotate.models import Annotation, Clip, Cue, Project

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
        return cls(total=sum(per_decision.values()), by_decision={d: n for d, n in ordered.items() if n})


@dataclass
class Timeline:
    project: Project
    clip: Clip
    annotation: Annotation
    cues: list[Cue]
    lanes: list[Lane]
    counts: CueCounts


def _member_filter(user) -> dict:
    # A former member keeps their rows but can no longer reach them.
    return {} if user.is_superuser else {"clip__project__memberships__user": user}


def _own_annotations(*, user) -> QuerySet[Annotation]:
    return (Annotation.objects.filter(annotator=user, **_member_filter(user))
            .select_related("clip", "clip__project"))


def annotation_get_for_user(*, slug: str, clip_name: str, user) -> Annotation:
    """The user's own annotation of the clip (clip and project joined in the same query)."""
    if not user.is_authenticated or "\x00" in clip_name:  # PostgreSQL text cannot hold NUL
        raise Http404("No such annotation.")
    annotation = _own_annotations(user=user).filter(clip__project__slug=slug, clip__name=clip_name).first()
    if annotation is None:
        raise Http404("You have no annotation of this clip; open it from the project page "
                      "with “Start annotating”.")
    return annotation


def annotation_cue_get(*, slug: str, clip_name: str, cue_id: int, user) -> Cue:
    """One cue of the user's own annotation, with annotation, clip and project, in one query."""
    if not user.is_authenticated or "\x00" in clip_name:  # PostgreSQL text cannot hold NUL
        raise Http404("No such cue.")
    member = {} if user.is_superuser else {"annotation__clip__project__memberships__user": user}
    cue = (Cue.objects.filter(pk=cue_id, annotation__annotator=user, annotation__clip__name=clip_name,
                              annotation__clip__project__slug=slug, **member)
           .select_related("annotation", "annotation__clip", "annotation__clip__project").first())
    if cue is None:
        raise Http404("No such cue in your annotation of this clip.")
    return cue


def _cue_order(cue: Cue) -> tuple:
    return (cue.start_ms is None, cue.start_ms or 0, cue.modality, cue.position, cue.pk)


def annotation_timeline_get(*, slug: str, clip_name: str, user) -> Timeline:
    """Everything the timeline page shows, in two queries whatever the number of cues."""
    annotation = annotation_get_for_user(slug=slug, clip_name=clip_name, user=user)
    cues = sorted(Cue.objects.filter(annotation=annotation).defer("evidence"), key=_cue_order)
    lanes = {modality: Lane(modality, label) for modality, label in LANES}
    counts: dict[str, int] = {}
    for cue in cues:
        lane = lanes.get(cue.modality)
        if lane is not None:
            (lane.timed if cue.start_ms is not None else lane.untimed).append(cue)
        counts[cue.decision] = counts.get(cue.decision, 0) + 1
    clip = annotation.clip
    return Timeline(project=clip.project, clip=clip, annotation=annotation, cues=cues,
                    lanes=list(lanes.values()), counts=CueCounts.of(counts))


def annotation_cue_counts(*, annotation: Annotation) -> CueCounts:
    """The header counts of one annotation's cues, in one query."""
    rows = Cue.objects.filter(annotation=annotation).values("decision").annotate(n=Count("pk")).order_by()
    return CueCounts.of({row["decision"]: row["n"] for row in rows})


def annotation_list_for_annotator(*, project, annotator):
    """The annotator's own annotations in a project (their queue: drafts first, newest last)."""
    from annotate.models import Annotation

    return (Annotation.objects.filter(clip__project=project, annotator=annotator)
            .select_related("clip").only("status", "updated_at", "submitted_at", "primary_label",
                                         "clip__name", "clip__duration_ms")
            .order_by("status", "clip__name"))


def annotation_list_with_counts(*, project: Project, username: str) -> QuerySet[Annotation]:
    """One member's annotations in a project by clip name, each with its cue counts per
    decision (n_total, n_proposed, ...), in one query. The caller decides who may ask."""
    if "\x00" in username:  # PostgreSQL text cannot hold NUL: such a name matches nobody
        return Annotation.objects.none()
    counts = {f"n_{decision}": Count("cues", filter=Q(cues__decision=decision))
              for decision in Cue.Decision.values}
    return (Annotation.objects.filter(clip__project=project, annotator__username=username)
            .select_related("clip", "annotator")
            .annotate(n_total=Count("cues"), **counts)
            .order_by("clip__name"))
