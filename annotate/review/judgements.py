"""Judged cue pairs: what the recorded decisions say about which cue texts mean the same, read
back from the review and annotation history (the data of the metric's meta-evaluation,
inference/metaeval.py; docs/learning.md).

Three rules, over the final gold records of a project (or the ones given):

- ``same``: two annotators' cues that one gold cue was made from, by a reviewer's accept of
  their group (rule ``accepted_together``) or merge of their groups (rule ``merged``);
- ``close``: a proposed cue and the text an annotator edited it into (rule ``edited``), in the
  submitted annotations a record was finalized against;
- ``different``: two annotators' cues that went into two different gold cues of one clip and
  modality, whose times overlap (an untimed cue spans the whole clip; rule ``kept_apart``).

A reviewer's judgement of one pair of texts counts once per clip, however many annotators'
copies carry those words (``occurrences`` says how many cue pairs did); annotators' edits
count once each. Left out, and counted: pairs whose two texts are the same words (their
similarity is 1 by construction: they test nothing), decoys and cues derived from them
(known-wrong by construction), and the accepts and merges of auto-promotion (no reviewer
judged those; the edits of those clips' annotators still count). Every pair carries its
provenance: project, clip, gold record and version, the gold set version when frozen, the
reviewer or annotator who judged, and the ids of the review decisions, annotation events
and audit events behind it.

Queries: a fixed handful, whatever the number of records.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

from django.db.models import Q

from annotate.annotation.models import Annotation, AnnotationEvent
from annotate.core.models import AuditEvent, Project
from annotate.core.scorer import scorer_get
from annotate.review.models import (
    AUTO_PROMOTED_NOTE,
    ClipAlignment,
    GoldCue,
    GoldRecord,
    ReviewDecision,
)
from annotate.runs.models import Cue
from inference.emocue360 import MODALITIES
from inference.metaeval import (
    BOOTSTRAP_RESAMPLES,
    BOOTSTRAP_SEED,
    judgement_report,
    pair_similarities,
)

__all__ = [
    "JUDGEMENT_RULES",
    "JUDGEMENTS_VERSION",
    "judgement_pairs_collect",
    "metric_judgement_report",
]

JUDGEMENTS_VERSION = 1  # bump when a rule or the shape of a pair changes
JUDGEMENT_RULES = {
    "accepted_together": "same",
    "merged": "same",
    "edited": "close",
    "kept_apart": "different",
}
_RULE_ORDER = {rule: i for i, rule in enumerate(JUDGEMENT_RULES)}
_MODALITY_ORDER = {m: i for i, m in enumerate(MODALITIES)}


def _words(text: str) -> str:
    return " ".join(text.split()).casefold()


def _overlap(a: dict, b: dict) -> bool:
    """Whether two cues' times overlap (a zero-length span inside the other counts); an untimed
    cue is about the whole clip."""
    if a["start_ms"] is None or b["start_ms"] is None:
        return True
    shared = min(a["end_ms"], b["end_ms"]) - max(a["start_ms"], b["start_ms"])
    point = a["start_ms"] == a["end_ms"] or b["start_ms"] == b["end_ms"]
    return shared > 0 or (point and shared >= 0)


def _side(cue: dict) -> dict:
    return {
        "cue_id": cue["id"],
        "text": cue["text"],
        "annotator": cue["annotator"],
        "kind": cue["kind"],
        "start_ms": cue["start_ms"],
        "end_ms": cue["end_ms"],
    }


class _Collector:
    def __init__(self, *, project: Project, gold_set_version: int | None):
        self.project = project
        self.gold_set_version = gold_set_version
        self.pairs: dict[str, dict] = {}
        self.by_texts: dict[tuple, dict] = {}
        self.left_out = {
            "identical_text": 0,
            "decoys": 0,
            "auto_promoted_decisions": 0,
        }

    def add(self, *, rule: str, a: dict, b: dict, record: GoldRecord, **provenance) -> None:
        if _words(a["text"]) == _words(b["text"]):
            self.left_out["identical_text"] += 1
            return
        if rule != "edited" and b["id"] < a["id"]:
            a, b = b, a
        key = f"{rule}:{a['id']}-{b['id']}"
        if key in self.pairs:
            return
        label = JUDGEMENT_RULES[rule]
        if rule != "edited":
            # Annotators' copies of one proposal share its words: a reviewer who kept two such
            # groups apart judged one pair of texts, not one per pair of copies. (Two
            # annotators' identical edits are two judgements, and stay two.)
            texts = tuple(sorted((_words(a["text"]), _words(b["text"]))))
            seen = self.by_texts.get((record.clip_id, label, texts))
            if seen is not None:
                seen["occurrences"] += 1
                for field in ("gold_cues", "review_decisions", "audit_events"):
                    seen[field] = sorted(set(seen[field]) | set(provenance.get(field, [])))
                return
        self.pairs[key] = {
            "id": key,
            "label": label,
            "rule": rule,
            "modality": a["modality"],
            "project": self.project.slug,
            "clip": record.clip.name,
            "clip_id": record.clip_id,
            "gold_set_version": self.gold_set_version,
            "gold_record": {"id": record.pk, "version": record.version},
            "a": _side(a),
            "b": _side(b),
            "aligned_together": provenance.pop("aligned_together", None),
            "gold_cues": provenance.pop("gold_cues", []),
            "reviewer": provenance.pop("reviewer", None),
            "annotator": provenance.pop("annotator", None),
            "annotation": provenance.pop("annotation", None),
            "review_decisions": provenance.pop("review_decisions", []),
            "annotation_events": provenance.pop("annotation_events", []),
            "audit_events": provenance.pop("audit_events", []),
            "occurrences": 1,
        }
        if rule != "edited":
            self.by_texts[(record.clip_id, label, texts)] = self.pairs[key]

    def result(self) -> dict:
        pairs = sorted(
            self.pairs.values(),
            key=lambda p: (
                p["clip"],
                _MODALITY_ORDER[p["modality"]],
                _RULE_ORDER[p["rule"]],
                p["id"],
            ),
        )
        counts: dict[str, dict[str, int]] = {
            m: {label: 0 for label in ("same", "close", "different")} for m in MODALITIES
        }
        for pair in pairs:
            counts[pair["modality"]][pair["label"]] += 1
        return {
            "version": JUDGEMENTS_VERSION,
            "pairs": pairs,
            "counts": counts,
            "left_out": dict(self.left_out),
        }


def _records(project: Project, record_ids) -> list[GoldRecord]:
    records = GoldRecord.objects.filter(clip__project=project, status=GoldRecord.Status.GOLD)
    if record_ids is not None:
        records = records.filter(pk__in=list(record_ids))
    return list(
        records.select_related("clip")
        .only("id", "version", "auto_promoted", "provenance", "clip_id", "clip__id", "clip__name")
        .order_by("clip__name")
    )


def _decisions(records: list[GoldRecord]) -> list[ReviewDecision]:
    """The records' accepts and merges (those that made a gold cue), with their gold cues."""
    return list(
        ReviewDecision.objects.filter(record_id__in=[r.pk for r in records], gold_cue__isnull=False)
        .select_related("gold_cue", "reviewer")
        .only(
            "id",
            "record_id",
            "action",
            "note",
            "gold_cue_id",
            "reviewer_id",
            "reviewer__username",
            "gold_cue__id",
            "gold_cue__modality",
            "gold_cue__source_cues",
        )
        .order_by("pk")
    )


def _edited_cues(record_of: dict[int, GoldRecord]) -> list[dict]:
    """Proposed cues the annotators of these annotations (submitted) edited."""
    return list(
        Cue.objects.filter(
            annotation_id__in=list(record_of),
            annotation__status=Annotation.Status.SUBMITTED,
            origin=Cue.Origin.MODEL,
            decision=Cue.Decision.EDITED,
            derived_from__isnull=False,
        )
        .values(
            "id",
            "text",
            "modality",
            "kind",
            "start_ms",
            "end_ms",
            "decoy",
            "annotation_id",
            "annotation__annotator_id",
            "derived_from_id",
            "derived_from__text",
            "derived_from__kind",
            "derived_from__decoy",
            "derived_from__start_ms",
            "derived_from__end_ms",
        )
        .order_by("id")
    )


def _annotation_cues(ids) -> dict[int, dict]:
    """The annotators' cues among ``ids`` (a proposal's own cues left out)."""
    rows = (
        Cue.objects.filter(pk__in=list(ids), annotation__isnull=False)
        .values(
            "id",
            "text",
            "modality",
            "kind",
            "start_ms",
            "end_ms",
            "decoy",
            "derived_from__decoy",
            "annotation__annotator_id",
        )
        .order_by()
    )
    return {row["id"]: row | {"annotator": row["annotation__annotator_id"]} for row in rows}


def _audit_ids(*, decision_ids, cue_ids) -> dict[tuple[str, int], list[int]]:
    """(object type, id) -> the audit events that recorded these accepts, merges and edits."""
    found: dict[tuple[str, int], list[int]] = defaultdict(list)
    asked = []
    if decision_ids:
        asked.append(
            Q(
                object_type="review_decision",
                object_id__in=list(decision_ids),
                action__in=["accept", "merge"],
            )
        )
    if cue_ids:
        asked.append(Q(object_type="cue", object_id__in=list(cue_ids), action="edit"))
    if not asked:
        return found
    where = asked[0] if len(asked) == 1 else asked[0] | asked[1]
    rows = AuditEvent.objects.filter(where).values_list("object_type", "object_id", "pk")
    for object_type, object_id, pk in rows.order_by("pk"):
        found[(object_type, object_id)].append(pk)
    return found


def _edit_events(cue_ids) -> dict[int, list[int]]:
    events: dict[int, list[int]] = defaultdict(list)
    rows = AnnotationEvent.objects.filter(
        cue_id__in=list(cue_ids), action=AnnotationEvent.Action.EDIT, undone=False
    ).values_list("cue_id", "pk")
    for cue_id, pk in rows.order_by("pk"):
        events[cue_id].append(pk)
    return events


def _cue_groups(clip_ids) -> dict[int, str]:
    """Cue id -> the key of the alignment group the clip's stored alignment put it in."""
    found = {}
    for groups in ClipAlignment.objects.filter(clip_id__in=list(clip_ids)).values_list(
        "groups", flat=True
    ):
        for group in groups or []:
            for cue_id in group.get("cue_ids", []):
                found[cue_id] = group["key"]
    return found


def _is_reviewed(record: GoldRecord, decision: ReviewDecision) -> bool:
    return not (record.auto_promoted and decision.note.startswith(AUTO_PROMOTED_NOTE))


def _review_pairs(
    collector: _Collector,
    records: list[GoldRecord],
    settled: dict[int, list[tuple[GoldCue, list[ReviewDecision]]]],
    cues: dict[int, dict],
    audits: dict,
) -> None:
    """The ``same`` and ``different`` pairs of the reviewers' accepts and merges."""
    merged_clips = {
        record.clip_id
        for record in records
        for _, decisions in settled.get(record.pk, [])
        if any(d.action == ReviewDecision.Action.MERGE for d in decisions)
    }
    groups = _cue_groups(merged_clips)  # only merges need to know the groups

    def kept(gold_cue: GoldCue) -> list[dict]:
        found = []
        for cue_id in gold_cue.source_cues:
            cue = cues.get(cue_id)
            if cue is None:
                continue  # a proposal's own cue, or gone
            if cue["decoy"] or cue["derived_from__decoy"]:
                collector.left_out["decoys"] += 1
                continue
            found.append(cue)
        return found

    def provenance(decisions: list[ReviewDecision], gold_cues: list[GoldCue]) -> dict:
        reviewers = sorted({d.reviewer.username for d in decisions if d.reviewer_id})
        return {
            "gold_cues": [g.pk for g in gold_cues],
            "reviewer": ", ".join(reviewers) or None,
            "review_decisions": sorted(d.pk for d in decisions),
            "audit_events": sorted(
                e for d in decisions for e in audits.get(("review_decision", d.pk), [])
            ),
        }

    for record in records:
        made = [(gold, decisions, kept(gold)) for gold, decisions in settled.get(record.pk, [])]
        for gold, decisions, sources in made:
            merged = any(d.action == ReviewDecision.Action.MERGE for d in decisions)
            for a, b in combinations(sources, 2):
                together = True
                if merged:
                    known = a["id"] in groups and b["id"] in groups
                    together = groups[a["id"]] == groups[b["id"]] if known else None
                collector.add(
                    rule="merged" if merged else "accepted_together",
                    a=a,
                    b=b,
                    record=record,
                    aligned_together=together,
                    **provenance(decisions, [gold]),
                )
        for (one, one_decisions, one_sources), (two, two_decisions, two_sources) in combinations(
            made, 2
        ):
            if one.modality != two.modality:
                continue
            for a in one_sources:
                for b in two_sources:
                    if a["id"] == b["id"] or not _overlap(a, b):
                        continue
                    collector.add(
                        rule="kept_apart",
                        a=a,
                        b=b,
                        record=record,
                        aligned_together=False,
                        **provenance(one_decisions + two_decisions, [one, two]),
                    )


def _edit_pairs(
    collector: _Collector,
    record_of: dict[int, GoldRecord],
    edited: list[dict],
    audits: dict,
) -> None:
    """The ``close`` pairs: proposed cues the annotators of these records edited."""
    events = _edit_events(row["id"] for row in edited)
    for row in edited:
        if row["decoy"] or row["derived_from__decoy"]:
            collector.left_out["decoys"] += 1
            continue
        proposal = {
            "id": row["derived_from_id"],
            "text": row["derived_from__text"],
            "modality": row["modality"],
            "kind": row["derived_from__kind"],
            "start_ms": row["derived_from__start_ms"],
            "end_ms": row["derived_from__end_ms"],
            "annotator": None,
        }
        edit = row | {"annotator": row["annotation__annotator_id"]}
        collector.add(
            rule="edited",
            a=proposal,
            b=edit,
            record=record_of[row["annotation_id"]],
            annotator=row["annotation__annotator_id"],
            annotation=row["annotation_id"],
            annotation_events=events.get(row["id"], []),
            audit_events=audits.get(("cue", row["id"]), []),
        )


def judgement_pairs_collect(
    *, project: Project, record_ids=None, gold_set_version: int | None = None
) -> dict:
    """The judged pairs of a project's final gold records (or of those ``record_ids`` name).

    Args:
        project: the project.
        record_ids: gold record ids to read (their final ones); None: every final record.
        gold_set_version: the version being frozen, written into each pair's provenance.

    Returns:
        ``{"version": JUDGEMENTS_VERSION, "pairs": [...], "counts": {modality: {label: n}},
        "left_out": {"identical_text", "decoys", "auto_promoted_decisions"}}``; each pair is
        ``{"id", "label", "rule", "modality", "project", "clip", "clip_id",
        "gold_set_version", "gold_record": {"id", "version"}, "a": {"cue_id", "text",
        "annotator", "kind", "start_ms", "end_ms"}, "b": {...}, "aligned_together",
        "gold_cues", "reviewer", "annotator", "annotation", "review_decisions",
        "annotation_events", "audit_events", "occurrences"}``, sorted by clip, modality,
        rule and id.
        ``aligned_together`` says whether the alignment (the metric's similarity at the
        project's threshold) had put the two cues in one group; None when not known.

    Queries: two (the records, their accepts and merges with their gold cues), and up to
    five more when there is something to read (the source cues, the edited cues, their
    audit and annotation events, and for merges the stored alignments).
    """
    collector = _Collector(project=project, gold_set_version=gold_set_version)
    records = _records(project, record_ids)
    by_record = {record.pk: record for record in records}
    settled: dict[int, dict[int, tuple[GoldCue, list[ReviewDecision]]]] = defaultdict(dict)
    for decision in _decisions(records) if records else []:
        if not _is_reviewed(by_record[decision.record_id], decision):
            collector.left_out["auto_promoted_decisions"] += 1
            continue
        entry = settled[decision.record_id].setdefault(
            decision.gold_cue_id, (decision.gold_cue, [])
        )
        entry[1].append(decision)
    made = {
        record_id: [entry for _, entry in sorted(by_cue.items())]
        for record_id, by_cue in settled.items()
    }
    record_of: dict[int, GoldRecord] = {}
    for record in records:
        for annotation in (record.provenance or {}).get("annotations", []):
            if annotation.get("id") is not None:
                record_of[int(annotation["id"])] = record
    edited = _edited_cues(record_of) if record_of else []
    source_ids = {i for entries in made.values() for gold, _ in entries for i in gold.source_cues}
    cues = _annotation_cues(source_ids) if source_ids else {}
    audits = _audit_ids(
        decision_ids=[d.pk for entries in made.values() for _, ds in entries for d in ds],
        cue_ids=[row["id"] for row in edited],
    )
    _review_pairs(collector, records, made, cues, audits)
    _edit_pairs(collector, record_of, edited, audits)
    return collector.result()


def metric_judgement_report(
    *,
    project: Project,
    judgements: dict | None = None,
    scorer=None,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    n_disagreements: int = 10,
) -> dict:
    """How well EmoCue-360's similarity separates the judged pairs (inference.metaeval's
    report), with the project's model and its alignment threshold.

    Args:
        project: the project (its ``align_similarity`` is the threshold compared).
        judgements: a :func:`judgement_pairs_collect` result (e.g. a frozen version's);
            default: the pairs of the working gold, collected now.
        scorer: an ``inference.emocue360.Scorer``; default: the shared one.

    Returns:
        The report, plus ``"model_id"``, ``"counts"``, ``"left_out"``, ``"n_pairs"`` and
        ``"judgements_version"``.
    """
    if judgements is None:
        judgements = judgement_pairs_collect(project=project)
    if scorer is None:
        scorer = scorer_get()
    pairs = judgements.get("pairs", [])
    similarities = pair_similarities(
        pairs=[(p["a"]["text"], p["b"]["text"]) for p in pairs], cache=scorer.cache
    )
    report = judgement_report(
        pairs=pairs,
        similarities=similarities,
        threshold=project.align_similarity,
        n_resamples=n_resamples,
        seed=seed,
        n_disagreements=n_disagreements,
    )
    return report | {
        "model_id": scorer.model_id,
        "counts": judgements.get("counts", {}),
        "left_out": judgements.get("left_out", {}),
        "n_pairs": len(pairs),
        "judgements_version": judgements.get("version"),
    }
