"""Clip reads of a project the caller may see (core/selectors checks membership), a clip's
subtitle as its page shows it, and a clip's audit history (filtered, paginated, each event with
word-level changes)."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.http import Http404

from annotate.clips.models import Clip, SubtitleSource
from annotate.core.history import (
    PAGE_SIZE,
    AuditEntry,
    AuditReferences,
    audit_actor_filtered,
    audit_actor_sort_key,
    audit_changes,
    audit_state_named,
    audit_state_readable,
)
from annotate.core.models import AuditEvent, Project


def clip_list(*, project: Project, status: str | None = None) -> QuerySet[Clip]:
    clips = Clip.objects.filter(project=project).defer("subtitle_segments", "metadata", "frames")
    if status:
        clips = clips.filter(status=status)
    return clips.order_by("name")


def clip_get(*, project: Project, name: str) -> Clip:
    # PostgreSQL text cannot hold NUL: such a name matches nothing (a 404, not a 500).
    clip = Clip.objects.filter(project=project, name=name).first() if "\x00" not in name else None
    if clip is None:
        raise Http404(f"No clip named {name!r} in this project.")
    return clip


# A segment read from the picture with less confidence than this is marked for a look: clean
# burned-in text reads at 0.9 and above; below 0.8 a character is often wrong or missing.
LOW_CONFIDENCE = 0.8


@dataclass
class SubtitleSummary:
    """A clip's subtitle as its page and lane show it: where it came from in words, and its
    segments with the reading's confidence (and whether it is low)."""

    source: str
    source_label: str
    segments: list[dict]
    mean_confidence: float | None
    low_confidence: int
    corrected: bool


def clip_subtitle_summary(*, clip: Clip) -> SubtitleSummary:
    labels = {
        SubtitleSource.FILE: f"From the subtitle file ({clip.subtitle_format.upper()})"
        if clip.subtitle_format
        else "From the subtitle file",
        SubtitleSource.MANIFEST: "From the import manifest",
        SubtitleSource.OCR: "Read from the picture (OCR)",
        SubtitleSource.MANUAL: "Typed by a manager",
    }
    segments = []
    confidences = []
    for segment in clip.subtitle_segments:
        confidence = segment.get("confidence")
        if confidence is not None:
            confidences.append(confidence)
        segments.append(
            {
                **segment,
                "confidence": confidence,
                "low": confidence is not None and confidence < LOW_CONFIDENCE,
            }
        )
    return SubtitleSummary(
        source=clip.subtitle_source,
        source_label=labels.get(clip.subtitle_source, "No subtitle"),
        segments=segments,
        mean_confidence=sum(confidences) / len(confidences) if confidences else None,
        low_confidence=sum(1 for s in segments if s["low"]),
        corrected=clip.subtitle_corrected_at is not None,
    )


@dataclass
class ClipAudit:
    """One page of a clip's history (limit and offset, as the API pages it) plus what the
    filter menus offer."""

    entries: list[AuditEntry]
    total: int
    limit: int
    offset: int
    object_types: list[str] = field(default_factory=list)
    actors: list[str] = field(default_factory=list)
    object_type: str | None = None
    actor: str | None = None

    @property
    def first(self) -> int:
        return self.offset + 1 if self.entries else 0

    @property
    def last(self) -> int:
        return self.offset + len(self.entries)

    @property
    def previous_offset(self) -> int | None:
        return max(0, self.offset - self.limit) if self.offset > 0 else None

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < self.total else None


def clip_audit_list(
    *,
    clip: Clip,
    object_type: str | None = None,
    actor: str | None = None,
    limit: int = PAGE_SIZE,
    offset: int = 0,
    names: dict[int, str] | None = None,
    references: Callable[[list[AuditEvent]], AuditReferences] | None = None,
) -> ClipAudit:
    """A page of the clip's history, newest first, with their diffs, every id named (users,
    cues by their words, the gold record by its clip); filterable by object type and actor.
    A fixed handful of queries whatever the page holds: the filter menus, the count, the page
    (actor joined), and the names of what the page's events point at.

    names: user id -> the name shown instead of the username (a blind project's annotators,
    for a reviewer); it names the actors, fills the actor menu, is what the actor filter
    matches, and replaces those users' ids in the events' states.
    references: names what the page's events point at (users, cues, the gold record); the
    capability that shows the page gives it, as it may read the objects (review does)."""
    events = AuditEvent.objects.filter(clip=clip)
    menus = events.order_by().values_list("object_type", "actor_id", "actor__username").distinct()
    object_types, actors = set(), set()
    for kind, actor_id, username in menus:
        object_types.add(kind)
        if actor_id is not None:
            actors.add((names or {}).get(actor_id) or username)
    if object_type:
        events = events.filter(object_type=object_type)
    if actor:
        events = audit_actor_filtered(events, actor, names)
    events = events.select_related("actor").order_by("-at", "-pk")
    total = events.count()
    if offset and offset >= total:
        raise Http404(
            f"offset {offset} is past the end of this history ({total} "
            f"event{'s' if total != 1 else ''})."
        )
    page = list(events[offset : offset + limit])
    refs = references(page) if references is not None else None

    def readable(state):
        return audit_state_readable(audit_state_named(state, names), refs)

    entries = [
        AuditEntry(
            event=event,
            changes=audit_changes(readable(event.before), readable(event.after)),
            names=names,
        )
        for event in page
    ]
    return ClipAudit(
        entries=entries,
        total=total,
        limit=limit,
        offset=offset,
        object_types=sorted(object_types),
        actors=sorted(actors, key=audit_actor_sort_key),
        object_type=object_type or None,
        actor=actor or None,
    )


def clip_name_free(*, project: Project, name: str, max_length: int = 200) -> str:
    """A name like `name` that no clip of the project has: `name_2`, `name_3`, ... (an
    underscore, as in the sample names, so the name stays one plain URL segment)."""
    taken = set(
        Clip.objects.filter(project=project, name__startswith=name[: max_length - 8]).values_list(
            "name", flat=True
        )
    )
    n = 2
    while True:
        suffix = f"_{n}"
        candidate = name[: max_length - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        n += 1
