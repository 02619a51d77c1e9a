"""Review and adjudication: a reviewer settles every alignment group of a clip's submitted
annotations (accept one text, merge several groups into one cue, or reject), sets the gold
labels and reasoning, and finalizes the clip's gold record. Every write checks the record's
version (a stale one is refused with StaleWrite, HTTP 409) and leaves an audit row."""

from dataclasses import dataclass

import numpy as np
from django.db import IntegrityError, transaction
from django.utils import timezone

from annotate.annotation import services as annotation_services
from annotate.annotation.models import Annotation
from annotate.annotation.services import AnnotationRejected, StaleWrite, cue_span_snapped
from annotate.clips.models import Clip
from annotate.core import signals
from annotate.core.audit import audit_record, audit_snapshot
from annotate.core.labels import label_clean, labels_check, labels_clean
from annotate.core.limits import limit_check
from annotate.core.models import Project
from annotate.review import selectors as review_selectors
from annotate.review.alignment import alignment_similarity
from annotate.review.models import (
    AUTO_PROMOTED_NOTE,
    GoldCue,
    GoldRecord,
    ReviewComment,
    ReviewDecision,
)
from annotate.runs.models import Cue

__all__ = [
    "AnnotationRejected",
    "AutoPromotion",
    "StaleWrite",
    "annotation_send_back",
    "annotation_take_back",
    "gold_auto_promote",
    "gold_auto_promote_project",
    "gold_cue_add",
    "gold_cue_delete",
    "gold_labels_set",
    "gold_record_finalize",
    "gold_record_open",
    "gold_record_reopen",
    "review_comment_add",
    "review_comment_resolve",
    "review_decision_undo",
    "review_group_accept",
    "review_group_reject",
    "review_groups_merge",
]


TEXT_LIMIT = 2000


def _provenance(*, clip: Clip, annotations: list[Annotation], run, model_id: str) -> dict:
    project = clip.project
    return {
        "annotations": [
            {
                "id": a.pk,
                "annotator": a.annotator_id,
                "version": a.version,
                "submitted_at": a.submitted_at.isoformat() if a.submitted_at else None,
            }
            for a in annotations
        ],
        "run": run.pk if run else None,
        "thresholds": {"similarity": project.align_similarity, "overlap": project.align_overlap},
        "embedding_model": model_id,
    }


def _locked(record: GoldRecord, expected_version: int, *, editable: bool = True) -> GoldRecord:
    """The record, row-locked, if the caller saw its current version (and, for edits, it is
    still in review)."""
    current = (
        GoldRecord.objects.select_for_update()
        .select_related("clip", "clip__project")
        .get(pk=record.pk)
    )
    if current.version != expected_version:
        raise StaleWrite(f"The gold record of {current.clip.name}", current_version=current.version)
    if editable and current.status == GoldRecord.Status.GOLD:
        raise AnnotationRejected(
            f"The gold of {current.clip.name} is final; reopen it to change it."
        )
    return current


def _bump(record: GoldRecord, *fields: str) -> GoldRecord:
    record.version += 1
    record.full_clean(exclude=["clip", "reviewer"])
    record.save(update_fields=[*fields, "version", "updated_at"])
    return record


def _clean_text(text: str | None, what: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise AnnotationRejected(f"{what} needs text.", field="text")
    return text[:TEXT_LIMIT]


def _groups(record: GoldRecord) -> dict[str, dict]:
    _, _, groups, _ = review_selectors.clip_alignment_get(clip=record.clip)
    return {g["key"]: g for g in groups}


def _group(groups: dict[str, dict], key: str) -> dict:
    group = groups.get(key)
    if group is None:
        raise AnnotationRejected(
            "That cue group is not part of this clip's alignment any more (an "
            "annotation changed since you loaded the page); reload."
        )
    return group


def _member_texts(group_ids: list[int]) -> set[str]:
    return set(Cue.objects.filter(pk__in=group_ids).values_list("text", flat=True))


def _next_position(record: GoldRecord) -> int:
    last = record.cues.order_by("-position").values_list("position", flat=True).first()
    return (last or 0) + 1


def _gold_kind(text: str, source_cues: list[int]) -> str:
    """The kind a gold cue inherits (EmoCue-360 leaves subtitle cues out of auditory scoring):
    that of the source cue it copies word for word, else the kind all sources share."""
    if not source_cues:
        return "observation"
    # Annotators' cues first: they are what the gold was adjudicated from.
    sources = sorted(
        Cue.objects.filter(pk__in=source_cues).values_list("annotation_id", "text", "kind"),
        key=lambda row: row[0] is None,
    )
    for _, source_text, kind in sources:
        if source_text == text:
            return kind
    human = {kind for annotation, _, kind in sources if annotation is not None}
    kinds = human or {kind for _, _, kind in sources}
    return kinds.pop() if len(kinds) == 1 else "observation"


def _cue_add(
    *,
    record: GoldRecord,
    modality: str,
    text: str,
    start_ms,
    end_ms,
    how: str,
    group_key: str,
    source_cues: list[int],
) -> GoldCue:
    cue = GoldCue(
        record=record,
        modality=modality,
        text=text,
        start_ms=start_ms,
        end_ms=end_ms,
        how=how,
        kind=_gold_kind(text, source_cues),
        group_key=group_key,
        source_cues=source_cues,
        position=_next_position(record),
    )
    cue.full_clean(exclude=["record"])
    cue.save()
    return cue


def _undecide(*, record: GoldRecord, keys: list[str], actor) -> list[str]:
    """Drop the decisions of these groups (a merge is dissolved whole: its other groups become
    undecided too) and the gold cues they made; returns every group key undecided."""
    decisions = list(ReviewDecision.objects.filter(record=record, group_key__in=keys))
    cue_ids = {d.gold_cue_id for d in decisions if d.gold_cue_id}
    if cue_ids:  # the other groups of the same merge
        decisions += list(
            ReviewDecision.objects.filter(record=record, gold_cue_id__in=cue_ids).exclude(
                pk__in=[d.pk for d in decisions]
            )
        )
    for decision in decisions:
        audit_record(
            actor=actor,
            action="delete",
            object_type="review_decision",
            object_id=decision.pk,
            before=audit_snapshot(decision),
            after=None,
            clip=record.clip,
        )
    for cue in GoldCue.objects.filter(pk__in=cue_ids):
        audit_record(
            actor=actor,
            action="delete",
            object_type="gold_cue",
            object_id=cue.pk,
            before=audit_snapshot(cue),
            after=None,
            clip=record.clip,
        )
    ReviewDecision.objects.filter(pk__in=[d.pk for d in decisions]).delete()
    GoldCue.objects.filter(pk__in=cue_ids).delete()
    return [d.group_key for d in decisions]


def _decide(
    *, record: GoldRecord, group: dict, action: str, gold_cue: GoldCue | None, note: str, reviewer
) -> ReviewDecision:
    decision = ReviewDecision(
        record=record,
        group_key=group["key"],
        modality=group["modality"],
        action=action,
        gold_cue=gold_cue,
        note=note.strip()[:TEXT_LIMIT],
        reviewer=reviewer,
    )
    decision.full_clean(exclude=["record", "gold_cue", "reviewer"], validate_unique=False)
    decision.save()
    audit_record(
        actor=reviewer,
        action=action,
        object_type="review_decision",
        object_id=decision.pk,
        before=None,
        after=audit_snapshot(decision),
        clip=record.clip,
    )
    return decision


def _clip_locked(clip: Clip) -> None:
    """Row-lock the clip: opening its review and an annotator taking a submission back are
    serialized, so that a take-back never slips under a review that has just started."""
    Clip.objects.select_for_update().filter(pk=clip.pk).values_list("pk", flat=True).first()


@transaction.atomic
def annotation_take_back(*, annotation: Annotation, user, expected_version: int) -> Annotation:
    """The annotator reopens their own submission (to undo a hasty submit or fix a slip), as
    long as no reviewer has opened the clip's review (its gold record does not exist yet; an
    auto-promoted clip counts as opened). Audited as "reopen"."""
    if annotation.annotator_id != user.pk:
        raise AnnotationRejected("Only the annotator who submitted it can take it back.")
    clip = annotation.clip
    _clip_locked(clip)
    record = GoldRecord.objects.filter(clip=clip).first()
    if record is not None:
        raise AnnotationRejected(
            f"The review of {clip.name} has started ({record.get_status_display().lower()}); "
            "your submission can no longer be taken back. Ask a reviewer to send it back to "
            "you with a comment.",
            code="review_started",
        )
    return annotation_services.annotation_reopen(
        annotation=annotation, by=user, expected_version=expected_version
    )


@transaction.atomic
def annotation_send_back(
    *, annotation: Annotation, by, comment: str, expected_version: int
) -> Annotation:
    """A reviewer or manager returns a submission to its annotator with a comment (audited as
    "return"). Refused while the clip's gold is final: reopen the gold first. While its review
    is in progress, the review follows the submitted annotations as they are (the page says
    that they changed since the review started, and which gold cues came from earlier ones)."""
    clip = annotation.clip
    _clip_locked(clip)
    record = GoldRecord.objects.filter(clip=clip).first()
    if record is not None and record.status == GoldRecord.Status.GOLD:
        raise AnnotationRejected(
            f"The gold of {clip.name} is final; reopen the gold record before sending an "
            "annotation back.",
            code="gold_final",
        )
    return annotation_services.annotation_reopen(
        annotation=annotation, by=by, expected_version=expected_version, comment=comment
    )


def _created(record: GoldRecord) -> bool:
    """Insert a new record; False when the clip got one concurrently (one record per clip)."""
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        return False
    return True


def _audit_record_change(record: GoldRecord, before: dict, actor, action: str) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="gold_record",
        object_id=record.pk,
        before=before,
        after=audit_snapshot(record),
        clip=record.clip,
    )


@transaction.atomic
def gold_record_open(*, clip: Clip, reviewer) -> GoldRecord:
    """The clip's gold record, created in review on first open, with its provenance: which
    annotations (versions, submission times), the model run and the alignment thresholds."""
    existing = GoldRecord.objects.filter(clip=clip).first()
    if existing is not None:
        return existing
    _clip_locked(clip)  # after an annotator's take-back of a submission, not beside it
    annotations, run, _, model_id = review_selectors.clip_alignment_get(clip=clip)
    if not annotations:
        raise AnnotationRejected(
            f"No annotation of {clip.name} is submitted yet; there is nothing to review."
        )
    record = GoldRecord(
        clip=clip,
        reviewer=reviewer,
        status=GoldRecord.Status.IN_REVIEW,
        provenance=_provenance(clip=clip, annotations=annotations, run=run, model_id=model_id),
    )
    record.full_clean(exclude=["clip", "reviewer"])
    if not _created(record):  # another reviewer opened it a moment ago
        return GoldRecord.objects.get(clip=clip)
    audit_record(
        actor=reviewer,
        action="create",
        object_type="gold_record",
        object_id=record.pk,
        before=None,
        after=audit_snapshot(record),
        clip=clip,
    )
    return record


@transaction.atomic
def review_group_accept(
    *,
    record: GoldRecord,
    group_key: str,
    reviewer,
    expected_version: int,
    text: str | None = None,
    start_ms: int | None = None,
    end_ms: int | None = None,
    note: str = "",
) -> GoldRecord:
    """Settle a group with one gold cue: a member's text (the first annotator's when none is
    given) or one the reviewer writes; the span is the group's unless given."""
    record = _locked(record, expected_version)
    group = _group(_groups(record), group_key)
    members = group["cue_ids"] + group["model_cue_ids"]
    texts = _member_texts(members)
    if text is None or not text.strip():
        first = group["cue_ids"][0] if group["cue_ids"] else group["model_cue_ids"][0]
        text = Cue.objects.values_list("text", flat=True).get(pk=first)
    text = _clean_text(text, "An accepted cue")
    if start_ms is None and end_ms is None:
        start, end = group["start_ms"], group["end_ms"]
    else:
        start, end = cue_span_snapped(record.clip, start_ms, end_ms)
    _undecide(record=record, keys=[group_key], actor=reviewer)
    how = GoldCue.How.ACCEPTED if text in texts else GoldCue.How.WRITTEN
    cue = _cue_add(
        record=record,
        modality=group["modality"],
        text=text,
        start_ms=start,
        end_ms=end,
        how=how,
        group_key=group_key,
        source_cues=members,
    )
    audit_record(
        actor=reviewer,
        action="create",
        object_type="gold_cue",
        object_id=cue.pk,
        before=None,
        after=audit_snapshot(cue),
        clip=record.clip,
    )
    _decide(
        record=record,
        group=group,
        action=ReviewDecision.Action.ACCEPT,
        gold_cue=cue,
        note=note,
        reviewer=reviewer,
    )
    return _bump(record)


@transaction.atomic
def review_groups_merge(
    *,
    record: GoldRecord,
    group_keys: list[str],
    text: str,
    reviewer,
    expected_version: int,
    start_ms: int | None = None,
    end_ms: int | None = None,
    note: str = "",
) -> GoldRecord:
    """Settle several groups of one modality with one gold cue (the reviewer's wording); the
    span covers the groups' spans unless given."""
    keys = list(dict.fromkeys(k for k in group_keys if k))
    if len(keys) < 2:
        raise AnnotationRejected("Select at least two groups to merge.", field="groups")
    record = _locked(record, expected_version)
    groups = _groups(record)
    chosen = [_group(groups, key) for key in keys]
    modalities = {g["modality"] for g in chosen}
    if len(modalities) > 1:
        raise AnnotationRejected(
            f"Only groups of one modality can be merged (these are "
            f"{', '.join(sorted(modalities))}).",
            field="groups",
        )
    text = _clean_text(text, "A merged cue")
    if start_ms is None and end_ms is None:
        timed = [g for g in chosen if g["start_ms"] is not None]
        start = min(g["start_ms"] for g in timed) if timed else None
        end = max(g["end_ms"] for g in timed) if timed else None
    else:
        start, end = cue_span_snapped(record.clip, start_ms, end_ms)
    _undecide(record=record, keys=keys, actor=reviewer)
    sources = [i for g in chosen for i in g["cue_ids"] + g["model_cue_ids"]]
    cue = _cue_add(
        record=record,
        modality=chosen[0]["modality"],
        text=text,
        start_ms=start,
        end_ms=end,
        how=GoldCue.How.MERGED,
        group_key=keys[0],
        source_cues=sources,
    )
    audit_record(
        actor=reviewer,
        action="create",
        object_type="gold_cue",
        object_id=cue.pk,
        before=None,
        after=audit_snapshot(cue) | {"groups": keys},
        clip=record.clip,
    )
    for group in chosen:
        _decide(
            record=record,
            group=group,
            action=ReviewDecision.Action.MERGE,
            gold_cue=cue,
            note=note,
            reviewer=reviewer,
        )
    return _bump(record)


@transaction.atomic
def review_group_reject(
    *, record: GoldRecord, group_key: str, reviewer, expected_version: int, note: str = ""
) -> GoldRecord:
    """Settle a group by keeping none of its cues in the gold."""
    record = _locked(record, expected_version)
    group = _group(_groups(record), group_key)
    _undecide(record=record, keys=[group_key], actor=reviewer)
    _decide(
        record=record,
        group=group,
        action=ReviewDecision.Action.REJECT,
        gold_cue=None,
        note=note,
        reviewer=reviewer,
    )
    return _bump(record)


@transaction.atomic
def review_decision_undo(
    *, record: GoldRecord, group_key: str, reviewer, expected_version: int
) -> GoldRecord:
    """Make a group undecided again (a merge is undone whole)."""
    record = _locked(record, expected_version)
    if not _undecide(record=record, keys=[group_key], actor=reviewer):
        raise AnnotationRejected("That group has no decision to undo.")
    return _bump(record)


@transaction.atomic
def gold_cue_add(
    *,
    record: GoldRecord,
    modality: str,
    text: str,
    reviewer,
    expected_version: int,
    start_ms: int | None = None,
    end_ms: int | None = None,
) -> GoldRecord:
    """A cue the reviewer writes that no annotator had."""
    record = _locked(record, expected_version)
    if modality not in Cue.Modality.values:
        raise AnnotationRejected(
            f"Modality must be one of {', '.join(Cue.Modality.values)}.", field="modality"
        )
    text = _clean_text(text, "A new gold cue")
    start, end = cue_span_snapped(record.clip, start_ms, end_ms)
    cue = _cue_add(
        record=record,
        modality=modality,
        text=text,
        start_ms=start,
        end_ms=end,
        how=GoldCue.How.WRITTEN,
        group_key="",
        source_cues=[],
    )
    audit_record(
        actor=reviewer,
        action="create",
        object_type="gold_cue",
        object_id=cue.pk,
        before=None,
        after=audit_snapshot(cue),
        clip=record.clip,
    )
    return _bump(record)


@transaction.atomic
def gold_cue_delete(
    *, record: GoldRecord, gold_cue: GoldCue, reviewer, expected_version: int
) -> GoldRecord:
    """Delete a gold cue; the groups it settled become undecided."""
    record = _locked(record, expected_version)
    if gold_cue.record_id != record.pk:
        raise AnnotationRejected("That cue belongs to another clip's gold.")
    keys = list(
        ReviewDecision.objects.filter(record=record, gold_cue=gold_cue).values_list(
            "group_key", flat=True
        )
    )
    if keys:
        _undecide(record=record, keys=keys, actor=reviewer)
    else:
        audit_record(
            actor=reviewer,
            action="delete",
            object_type="gold_cue",
            object_id=gold_cue.pk,
            before=audit_snapshot(gold_cue),
            after=None,
            clip=record.clip,
        )
        GoldCue.objects.filter(pk=gold_cue.pk).delete()
    return _bump(record)


@transaction.atomic
def gold_labels_set(
    *,
    record: GoldRecord,
    reviewer,
    expected_version: int,
    labels: list[str],
    primary_label: str,
    description: str | None = None,
) -> GoldRecord:
    """The gold emotion labels (the primary one joins them if missing) and the reasoning."""
    record = _locked(record, expected_version)
    before = audit_snapshot(record)
    primary = label_clean(primary_label or "")
    cleaned = labels_clean(labels)
    if primary and primary not in cleaned:
        cleaned.insert(0, primary)
    labels_check(project=record.clip.project, labels=cleaned, primary_label=primary)
    record.labels, record.primary_label = cleaned, primary
    fields = ["labels", "primary_label"]
    if description is not None:
        record.description = description.strip()
        limit_check(
            setting="EMOCUE_MAX_DESCRIPTION_CHARS",
            what="The description",
            count=len(record.description),
            unit="characters",
        )
        fields.append("description")
    _bump(record, *fields)
    _audit_record_change(record, before, reviewer, "labels")
    return record


def gold_record_missing(*, record: GoldRecord, groups: dict[str, dict] | None = None) -> list[str]:
    """What the record still needs before it can be final, in words."""
    groups = _groups(record) if groups is None else groups
    decided = set(ReviewDecision.objects.filter(record=record).values_list("group_key", flat=True))
    undecided: dict[str, int] = {}
    for key, group in groups.items():
        if key not in decided:
            undecided[group["modality"]] = undecided.get(group["modality"], 0) + 1
    missing = []
    if undecided:
        parts = ", ".join(f"{modality} {n}" for modality, n in undecided.items())
        missing.append(
            f"{sum(undecided.values())} undecided cue group(s) ({parts}): accept, merge "
            "or reject each"
        )
    if not record.primary_label:
        missing.append("a primary emotion label")
    elif record.primary_label not in record.labels:
        missing.append(f"the primary label {record.primary_label!r} among the labels")
    return missing


@transaction.atomic
def gold_record_finalize(*, record: GoldRecord, reviewer, expected_version: int) -> GoldRecord:
    """Make the record gold, once every group is decided and there is a primary label; the
    refusal names everything missing. The provenance is refreshed to the annotations it was
    finalized against."""
    record = _locked(record, expected_version)
    annotations, run, groups, model_id = review_selectors.clip_alignment_get(clip=record.clip)
    missing = gold_record_missing(record=record, groups={g["key"]: g for g in groups})
    if missing:
        raise AnnotationRejected("Not final yet; missing: " + "; ".join(missing) + ".")
    before = audit_snapshot(record)
    record.status = GoldRecord.Status.GOLD
    record.finalized_at = timezone.now()
    record.reviewer = reviewer
    record.provenance = _provenance(
        clip=record.clip, annotations=annotations, run=run, model_id=model_id
    ) | {"auto_promoted": record.auto_promoted}
    _bump(record, "status", "finalized_at", "reviewer", "provenance")
    _audit_record_change(record, before, reviewer, "finalize")
    signals.scores_stale.send(sender=GoldRecord, project=record.clip.project, gold_changed=True)
    return record


@transaction.atomic
def gold_record_reopen(*, record: GoldRecord, reviewer, expected_version: int) -> GoldRecord:
    record = _locked(record, expected_version, editable=False)
    if record.status != GoldRecord.Status.GOLD:
        raise AnnotationRejected(f"The gold of {record.clip.name} is already in review.")
    before = audit_snapshot(record)
    record.status, record.finalized_at = GoldRecord.Status.IN_REVIEW, None
    _bump(record, "status", "finalized_at")
    _audit_record_change(record, before, reviewer, "reopen")
    signals.scores_stale.send(sender=GoldRecord, project=record.clip.project, gold_changed=True)
    return record


@transaction.atomic
def review_comment_add(
    *, clip: Clip, author, text: str, cue: Cue | None = None, time_ms: int | None = None
) -> ReviewComment:
    """A comment on the clip, pinned to a cue or to a media time (or to neither)."""
    text = (text or "").strip()
    if not text:
        raise AnnotationRejected("A comment needs text.", field="text")
    limit_check(
        setting="EMOCUE_MAX_COMMENT_CHARS",
        what="The comment",
        count=len(text),
        unit="characters",
    )
    if cue is not None and cue.clip_id != clip.pk:
        raise AnnotationRejected("That cue belongs to another clip.", field="cue")
    if time_ms is not None and not 0 <= int(time_ms) <= (clip.duration_ms or 0):
        raise AnnotationRejected(
            f"The time {time_ms} ms is outside the clip (0-{clip.duration_ms} ms).", field="time_ms"
        )
    comment = ReviewComment(
        clip=clip,
        author=author,
        cue=cue,
        text=text,
        time_ms=None if time_ms is None else int(time_ms),
    )
    comment.full_clean(exclude=["clip", "author", "cue"])
    comment.save()
    audit_record(
        actor=author,
        action="create",
        object_type="review_comment",
        object_id=comment.pk,
        before=None,
        after=audit_snapshot(comment),
        clip=clip,
    )
    return comment


@transaction.atomic
def review_comment_resolve(*, comment: ReviewComment, user) -> ReviewComment:
    if comment.resolved_at is not None:
        raise AnnotationRejected("This comment is resolved already.")
    before = audit_snapshot(comment)
    comment.resolved_at = timezone.now()
    comment.save(update_fields=["resolved_at"])
    audit_record(
        actor=user,
        action="resolve",
        object_type="review_comment",
        object_id=comment.pk,
        before=before,
        after=audit_snapshot(comment),
        clip=comment.clip,
    )
    return comment


@dataclass
class AutoPromotion:
    clip: Clip
    record: GoldRecord | None
    reason: str  # why it was promoted, or why not

    @property
    def promoted(self) -> bool:
        return self.record is not None


def _medoid(texts: list[str]) -> int:
    """Index of the text closest to the group's centroid (the highest summed similarity to the
    others); ties go to the first, i.e. the first annotator's."""
    if len(texts) <= 2:
        return 0
    sim = np.asarray(alignment_similarity()(texts, texts), dtype=np.float64)
    totals = sim.sum(axis=1)
    best = float(totals.max())
    return next(i for i, total in enumerate(totals) if total >= best - 1e-9)


@transaction.atomic
def gold_auto_promote(*, clip: Clip, actor=None) -> AutoPromotion:
    """Build the gold record without review when the project allows it, all k annotations are
    submitted, every human group is consensus with every annotator in it, and the primary labels
    agree. Each gold cue takes the group's member closest to its centroid (for two members, the
    first annotator's) over the group's span; model-only groups are rejected. Otherwise nothing
    is written and the reason says why."""
    project: Project = clip.project
    if not project.auto_promote_consensus:
        return AutoPromotion(clip, None, "the project does not allow auto-promotion")
    _clip_locked(clip)  # see gold_record_open
    if GoldRecord.objects.filter(clip=clip).exists():
        return AutoPromotion(clip, None, "the clip already has a gold record")
    annotations, run, groups, model_id = review_selectors.clip_alignment_get(clip=clip)
    k = project.annotators_per_clip
    if len(annotations) < k:
        return AutoPromotion(clip, None, f"{len(annotations)} of {k} annotations are submitted")
    human = [g for g in groups if g["label"] != "model_only"]
    if not human:
        return AutoPromotion(clip, None, "the annotators kept no cue")
    split = [g for g in human if g["label"] != "consensus" or len(g["cue_ids"]) < len(annotations)]
    if split:
        return AutoPromotion(
            clip,
            None,
            f"{len(split)} of {len(human)} cue group(s) lack an "
            "annotator (disputed, singleton, or consensus without everyone)",
        )
    primaries = {a.primary_label for a in annotations}
    if len(primaries) > 1:
        differ = ", ".join(sorted(primaries))
        return AutoPromotion(clip, None, f"the primary labels differ ({differ})")

    order = {a.pk: i for i, a in enumerate(annotations)}
    cue_rows = {
        c.pk: c
        for c in Cue.objects.filter(pk__in=[i for g in human for i in g["cue_ids"]]).only(
            "pk", "text", "annotation_id"
        )
    }
    labels = list(annotations[0].labels)
    for a in annotations[1:]:
        labels = [label for label in labels if label in a.labels]  # those every annotator gave
    primary = annotations[0].primary_label
    record = GoldRecord(
        clip=clip,
        reviewer=None,
        auto_promoted=True,
        labels=labels or [primary],
        primary_label=primary,
        status=GoldRecord.Status.GOLD,
        finalized_at=timezone.now(),
        provenance=_provenance(clip=clip, annotations=annotations, run=run, model_id=model_id)
        | {"auto_promoted": True},
    )
    record.full_clean(exclude=["clip", "reviewer"])
    if not _created(record):
        return AutoPromotion(clip, None, "the clip already has a gold record")
    for group in groups:
        if group["label"] == "model_only":
            _decide(
                record=record,
                group=group,
                action=ReviewDecision.Action.REJECT,
                gold_cue=None,
                note=f"{AUTO_PROMOTED_NOTE}: no annotator kept this proposal",
                reviewer=actor,
            )
            continue
        members = sorted(
            (cue_rows[i] for i in group["cue_ids"]), key=lambda c: order[c.annotation_id]
        )
        chosen = members[_medoid([c.text for c in members])]
        cue = _cue_add(
            record=record,
            modality=group["modality"],
            text=chosen.text,
            start_ms=group["start_ms"],
            end_ms=group["end_ms"],
            how=GoldCue.How.ACCEPTED,
            group_key=group["key"],
            source_cues=group["cue_ids"] + group["model_cue_ids"],
        )
        _decide(
            record=record,
            group=group,
            action=ReviewDecision.Action.ACCEPT,
            gold_cue=cue,
            note=f"{AUTO_PROMOTED_NOTE}: consensus of every annotator",
            reviewer=actor,
        )
    audit_record(
        actor=actor,
        action="auto_promote",
        object_type="gold_record",
        object_id=record.pk,
        before=None,
        after=audit_snapshot(record) | {"cues": record.cues.count()},
        clip=clip,
    )
    signals.scores_stale.send(sender=GoldRecord, project=project, gold_changed=True)
    return AutoPromotion(
        clip, record, f"all {k} annotators agree on every cue group and on {primary!r}"
    )


def gold_auto_promote_project(*, project: Project, actor=None) -> list[AutoPromotion]:
    """gold_auto_promote over every clip of the project with a submitted annotation and no gold
    record yet (one transaction per clip, so one failure does not undo the others)."""
    clip_ids = (
        Annotation.objects.filter(
            clip__project=project, status=Annotation.Status.SUBMITTED, clip__gold__isnull=True
        )
        .values_list("clip_id", flat=True)
        .distinct()
    )
    clips = Clip.objects.filter(pk__in=list(clip_ids)).select_related("project").order_by("name")
    return [gold_auto_promote(clip=clip, actor=actor) for clip in clips]
