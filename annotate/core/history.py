"""Audit trail reads: a clip's history page (filtered, paginated, each event with a readable
diff of what changed) and the project-wide trail for download. The access rule (reviewers
and managers; managers for the download) lives in the views, as for every other page."""

import difflib
import re
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet

from annotate.core.models import AuditEvent, Project

PAGE_SIZE = 25
PAGE_SIZES = (10, 25, 50, 100)  # what the history page offers; the API takes any limit


JSON_SHOWN = 600  # characters of a structured value (a cue's evidence) shown before "…"
TEXT_SHOWN = 60  # characters of a cue's text where it names the cue


# Bookkeeping that changes on every write (or is the page's own clip): never news in a diff.
HIDDEN_FIELDS = frozenset({"id", "clip_id", "project_id", "version", "created_at", "updated_at"})


# What people look at first; other fields follow by name (JSONB does not keep key order).
FIELD_ORDER = (
    "text",
    "modality",
    "kind",
    "start_ms",
    "end_ms",
    "decision",
    "reject_reason",
    "status",
    "primary_label",
    "labels",
    "description",
)


# Snapshot fields that hold a user's id (foreign keys to the user, as audit_snapshot writes them).
USER_FIELDS = frozenset(
    {
        "annotator_id",
        "actor_id",
        "assigned_by_id",
        "author_id",
        "created_by_id",
        "frozen_by_id",
        "reviewer_id",
        "user_id",
    }
)


def audit_state_named(state, names: dict[int, str] | None):
    """A snapshot with the ids of the users in `names` (user id -> the name shown instead)
    replaced by those names: in its user fields and in a gold record's provenance, which lists
    each annotation's annotator. Without names, the snapshot as it is."""
    if not names or not isinstance(state, dict):
        return state
    shown = {}
    for key, value in state.items():
        if key in USER_FIELDS and value in names:
            value = names[value]
        elif key == "provenance" and isinstance(value, dict) and "annotations" in value:
            value = {
                **value,
                "annotations": [
                    {**item, "annotator": names.get(item.get("annotator"), item.get("annotator"))}
                    if isinstance(item, dict)
                    else item
                    for item in value.get("annotations") or []
                ],
            }
        shown[key] = value
    return shown


# Snapshot fields that point at another object of the clip, and what kind of object: the
# history names it ("gold record of sample_1", a cue by its words) instead of showing its id.
REFERENCE_FIELDS = {
    "record_id": "gold_record",
    "gold_cue_id": "gold_cue",
    "derived_from_id": "cue",
    "source_cues": "cue",
    "annotation_id": "annotation",
}


@dataclass
class AuditReferences:
    """What the ids in a clip's snapshots stand for, as the reader may see them: users by
    name ("Annotator n" where the reader must not know who), cues and gold cues by their
    words, annotations by whose they are, the gold record by its clip."""

    clip_name: str = ""
    users: dict[int, str] = field(default_factory=dict)
    objects: dict[tuple[str, int], str] = field(default_factory=dict)

    def user(self, user_id):
        return self.users.get(user_id, user_id)

    def object(self, kind: str, object_id):
        if kind == "gold_record":
            return f"gold record of {self.clip_name}" if self.clip_name else object_id
        label = self.objects.get((kind, object_id))
        if label is None:
            return f"{kind.replace('_', ' ')} #{object_id}"
        return label


def audit_text_label(text: str) -> str:
    """A cue named by its words, short enough to sit in a line."""
    text = " ".join(str(text).split())
    return f"“{text if len(text) <= TEXT_SHOWN else text[: TEXT_SHOWN - 1] + '…'}”"


def audit_state_readable(state, refs: AuditReferences | None):
    """A snapshot as people read it: user ids replaced by names, ids of the clip's cues, gold
    cues, annotations and gold record by what they are. Without refs, the snapshot as is."""
    if refs is None or not isinstance(state, dict):
        return state
    shown = {}
    for key, value in state.items():
        kind = REFERENCE_FIELDS.get(key)
        if key in USER_FIELDS and isinstance(value, int):
            value = refs.user(value)
        elif kind and isinstance(value, list):
            value = [refs.object(kind, v) if isinstance(v, int) else v for v in value]
        elif kind and isinstance(value, int):
            value = refs.object(kind, value)
        elif key == "provenance" and isinstance(value, dict):
            value = {
                **value,
                "annotations": [
                    {**item, "annotator": refs.user(item.get("annotator"))}
                    if isinstance(item, dict)
                    else item
                    for item in value.get("annotations") or []
                ],
            }
            if not value["annotations"]:
                del value["annotations"]
        shown[key] = value
    return shown


def audit_referenced_ids(states) -> tuple[set[int], dict[str, set[int]]]:
    """The user ids and the (kind -> object ids) that these snapshots point at."""
    users: set[int] = set()
    objects: dict[str, set[int]] = {}
    for state in states:
        if not isinstance(state, dict):
            continue
        for key, value in state.items():
            kind = REFERENCE_FIELDS.get(key)
            if key in USER_FIELDS and isinstance(value, int):
                users.add(value)
            elif kind:
                values = value if isinstance(value, list) else [value]
                objects.setdefault(kind, set()).update(v for v in values if isinstance(v, int))
            elif key == "provenance" and isinstance(value, dict):
                for item in value.get("annotations") or []:
                    if isinstance(item, dict) and isinstance(item.get("annotator"), int):
                        users.add(item["annotator"])
    return users, objects


@dataclass(frozen=True)
class Segment:
    """A run of words (or list items) in a diff: "same", "removed" or "added"."""

    op: str
    text: str


@dataclass(frozen=True)
class FieldChange:
    """One field of an event, before and after, as people read it.

    kind "text": word-level segments; "list": item segments; "value": before -> after.
    before/after are None when the field did not exist on that side (a create, a delete)."""

    name: str
    label: str
    kind: str
    before: str | None
    after: str | None
    segments: tuple[Segment, ...] = ()


@dataclass(frozen=True)
class AuditEntry:
    event: AuditEvent
    changes: list[FieldChange]
    names: dict[int, str] | None = None  # user id -> name shown instead of the username

    @property
    def object_label(self) -> str:
        label = f"{self.event.object_type.replace('_', ' ')}"
        if self.event.object_id is not None:
            label += f" #{self.event.object_id}"
        return label

    @property
    def object_hint(self) -> str:
        """The object's text, when it has one (a cue's wording), so people know which it is."""
        state = self.event.after or self.event.before or {}
        text = state.get("text") if isinstance(state, dict) else None
        if not isinstance(text, str) or not text:
            return ""
        return text if len(text) <= 80 else text[:79] + "…"

    @property
    def actor_name(self) -> str:
        return audit_actor_name(self.event, self.names) or "system"


def audit_actor_name(event: AuditEvent, names: dict[int, str] | None = None) -> str | None:
    """Who made the change as the reader may see it: the name `names` gives the actor, else
    the username; None for the system."""
    if event.actor_id is None:
        return None
    if names and event.actor_id in names:
        return names[event.actor_id]
    return event.actor.username


def audit_actor_filtered(
    events: QuerySet[AuditEvent], actor: str, names: dict[int, str] | None = None
) -> QuerySet[AuditEvent]:
    """The events of the actor the reader names as it is shown to them: a name of `names`, or a
    username. The username of someone shown under another name matches nothing, so a filter
    cannot tell who is behind "Annotator n"."""
    if not names:
        return events.filter(actor__username=actor)
    ids = [user_id for user_id, name in names.items() if name == actor]
    if ids:
        return events.filter(actor_id__in=ids)
    return events.filter(actor__username=actor).exclude(actor_id__in=list(names))


def audit_actor_sort_key(name: str) -> tuple:
    """Names in a natural order: "Annotator 2" before "Annotator 10"."""
    return tuple(
        int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", name)
    )


def _label(name: str) -> str:
    if name.endswith("_ms"):
        return name[:-3]
    return name.removesuffix("_id").replace("_", " ")


def _display(name: str, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if name.endswith("_ms") and isinstance(value, int):
        return f"{value / 1000:.2f} s"
    if (name == "at" or name.endswith("_at")) and isinstance(value, str):
        try:
            return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S")
        except ValueError:
            return value
    if isinstance(value, (dict, list)):
        shown = _flat(value)
        return shown if len(shown) <= JSON_SHOWN else shown[: JSON_SHOWN - 1] + "…"
    return str(value)


def _flat(value) -> str:
    """A structured value (provenance, evidence) as words a diff can compare: "key: value"
    pairs in key order, lists item by item, times as people read them."""
    if isinstance(value, dict):
        return "; ".join(
            f"{_label(str(k))}: {_flat(v) if isinstance(v, (dict, list)) else _display(str(k), v)}"
            for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))
        )
    if isinstance(value, list):
        return ", ".join(
            f"({_flat(v)})"
            if isinstance(v, dict)
            else _flat(v)
            if isinstance(v, list)
            else _display("", v)
            for v in value
        )
    return _display("", value)


def _is_empty(value) -> bool:
    # A new row's defaults (no reason, not a decoy) are not news either.
    return value is None or value is False or value == "" or value == [] or value == {}


def _word_segments(before: str, after: str) -> tuple[Segment, ...]:
    old, new = before.split(), after.split()
    segments: list[Segment] = []

    def push(op: str, words: list[str]) -> None:
        if words:
            segments.append(Segment(op, " ".join(words)))

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            push("same", old[i1:i2])
        else:  # replace, delete, insert: what went, then what came
            push("removed", old[i1:i2])
            push("added", new[j1:j2])
    return tuple(segments)


def _list_segments(before: list, after: list) -> tuple[Segment, ...]:
    old, new = [_display("", i) for i in before], [_display("", i) for i in after]
    segments = [Segment("same" if item in new else "removed", item) for item in old]
    segments += [Segment("added", item) for item in new if item not in old]
    return tuple(segments)


def _is_prose(value) -> bool:
    return isinstance(value, str) and bool(re.search(r"\s", value.strip()))


def audit_changed_fields(before: dict | None, after: dict | None) -> list[str]:
    """The fields whose value differs between the two states, in a stable order."""
    before, after = before or {}, after or {}
    names = sorted(
        set(before) | set(after),
        key=lambda n: (FIELD_ORDER.index(n) if n in FIELD_ORDER else len(FIELD_ORDER), n),
    )
    return [
        n
        for n in names
        if n not in HIDDEN_FIELDS and (n not in before or n not in after or before[n] != after[n])
    ]


def audit_changes(before: dict | None, after: dict | None) -> list[FieldChange]:
    """What an event changed, field by field; only fields that differ. A create lists the
    fields it set, a delete the fields it removed (empty ones are left out of both)."""
    if not isinstance(before, dict):
        before = None
    if not isinstance(after, dict):
        after = None
    changes = []
    for name in audit_changed_fields(before, after):
        old = before.get(name) if before is not None else None
        new = after.get(name) if after is not None else None
        if before is None or after is None:  # created or deleted: only what it held
            value = new if before is None else old
            if _is_empty(value):
                continue
            shown = _display(name, value)
            changes.append(
                FieldChange(
                    name=name,
                    label=_label(name),
                    kind="value",
                    before=None if before is None else shown,
                    after=None if after is None else shown,
                )
            )
            continue
        if (
            isinstance(old, list)
            and isinstance(new, list)
            and not any(isinstance(v, (dict, list)) for v in (*old, *new))
        ):
            kind, segments = "list", _list_segments(old, new)
        elif isinstance(old, (dict, list)) or isinstance(new, (dict, list)):
            # Structured values (a record's provenance): every word of both, diffed whole.
            kind, segments = "text", _word_segments(_flat(old), _flat(new))
        elif isinstance(old, str) and isinstance(new, str) and (_is_prose(old) or _is_prose(new)):
            kind, segments = "text", _word_segments(old, new)
        else:
            kind, segments = "value", ()
        changes.append(
            FieldChange(
                name=name,
                label=_label(name),
                kind=kind,
                before=_display(name, old),
                after=_display(name, new),
                segments=segments,
            )
        )
    return changes


def project_audit_list(*, project: Project) -> QuerySet[AuditEvent]:
    """The project's whole trail, oldest first, clip and actor joined: iterate it in chunks."""
    return (
        AuditEvent.objects.filter(project=project)
        .select_related("actor", "clip")
        .only(
            "at",
            "object_type",
            "object_id",
            "action",
            "before",
            "after",
            "clip",
            "clip__name",
            "actor",
            "actor__username",
        )
        .order_by("at", "pk")
    )
