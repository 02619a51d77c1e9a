"""Annotation quality of a project: how far annotators agree with each other and with gold,
and signs of rubber-stamping (proposals accepted unchanged, fast decisions, decoys accepted).

Everything here reads submitted annotations only (a draft is still changing). The cues that
count as an annotator's are those they accepted or edited and those they wrote; rejected
and undecided cues do not, and decoys never do (they are known-wrong by construction).
The computations themselves live in inference/agreement.py; docs/review.md ("Agreement
and annotator quality") defines every figure.

Queries: a fixed handful (annotations with their cues, gold records with theirs, decision
events) plus the scorer's embedding look-ups, in chunks of 500 distinct cue texts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch

from annotate.annotation.models import Annotation, AnnotationEvent
from annotate.core.models import Project
from annotate.core.scorer import scorer_get
from annotate.review.models import GoldCue, GoldRecord
from annotate.runs.models import Cue
from inference.agreement import (
    BREAK_SECONDS,
    AlphaResult,
    AnnotatorGoldScore,
    PairwiseAgreement,
    gold_f1,
    median_decision_seconds,
    pairwise_f1,
    primary_label_alpha,
)
from inference.emocue360 import MODALITIES

# The AnnotationEvent actions that are an annotator's decision on a cue.
DECISION_ACTIONS = ("accept", "edit", "reject")


COUNTED_DECISIONS = (Cue.Decision.ACCEPTED, Cue.Decision.EDITED)


@dataclass
class AnnotatorQuality:
    user_id: int
    username: str
    n_submitted: int = 0
    gold: AnnotatorGoldScore | None = None
    label_correct: int = 0
    label_total: int = 0
    accepted_unchanged: int = 0
    proposals_decided: int = 0
    median_decision_s: float | None = None
    decision_gaps: int = 0
    decoys_shown: int = 0
    decoys_failed: int = 0

    @property
    def label_accuracy(self) -> float | None:
        return self.label_correct / self.label_total if self.label_total else None

    @property
    def accepted_unchanged_share(self) -> float | None:
        return self.accepted_unchanged / self.proposals_decided if self.proposals_decided else None

    @property
    def decoy_failure_rate(self) -> float | None:
        return self.decoys_failed / self.decoys_shown if self.decoys_shown else None


@dataclass
class ProjectQuality:
    annotators: list[AnnotatorQuality]
    pairwise: PairwiseAgreement
    alpha: AlphaResult
    n_submitted: int
    n_clips_shared: int  # clips with at least two submitted annotations
    n_gold: int
    model_id: str
    break_seconds: float = BREAK_SECONDS
    modality_rows: list[dict] = field(default_factory=list)
    heat_rows: list[dict] = field(default_factory=list)


def _label(value: str) -> str:
    return " ".join(value.split()).casefold()


def _cue_set(cues) -> dict[str, list]:
    out: dict[str, list] = {m: [] for m in MODALITIES}
    for cue in cues:
        kind = getattr(cue, "kind", "")  # gold cues carry no kind
        out[cue.modality].append({"text": cue.text, "kind": kind} if kind else cue.text)
    return out


def project_label_agreement(*, project: Project) -> AlphaResult:
    """Krippendorff's alpha of the primary labels of the project's submitted annotations, as
    the quality page shows it, without the cue scorer (no embedding model to load)."""
    labels: dict[int, dict[int, str]] = defaultdict(dict)
    for clip_id, annotator_id, label in Annotation.objects.filter(
        clip__project=project, status=Annotation.Status.SUBMITTED
    ).values_list("clip_id", "annotator_id", "primary_label"):
        labels[clip_id][annotator_id] = _label(label)
    return primary_label_alpha(labels=labels)


def project_quality_get(*, project: Project, scorer=None) -> ProjectQuality:
    """Agreement and per-annotator figures of a project's submitted annotations.

    Args:
        project: the project.
        scorer: an ``inference.emocue360.Scorer``; default: the shared one
            (``annotate.core.scorer.scorer_get``, embeddings cached in the database).
    """
    if scorer is None:
        scorer = scorer_get()
    annotations = list(
        Annotation.objects.filter(clip__project=project, status=Annotation.Status.SUBMITTED)
        .select_related("annotator")
        .only("id", "clip_id", "annotator_id", "primary_label", "annotator__username")
        .prefetch_related(
            Prefetch(
                "cues",
                queryset=Cue.objects.only(
                    "id", "annotation_id", "modality", "kind", "text", "origin", "decision", "decoy"
                ),
            )
        )
        .order_by("clip_id", "annotator_id")
    )
    records = list(
        GoldRecord.objects.filter(clip__project=project, status=GoldRecord.Status.GOLD)
        .only("id", "clip_id", "primary_label")
        .prefetch_related(
            Prefetch("cues", queryset=GoldCue.objects.only("id", "record_id", "modality", "text"))
        )
    )
    decision_times: dict[int, list] = defaultdict(list)
    for annotation_id, at in AnnotationEvent.objects.filter(
        annotation__clip__project=project,
        annotation__status=Annotation.Status.SUBMITTED,
        action__in=DECISION_ACTIONS,
    ).values_list("annotation_id", "at"):
        decision_times[annotation_id].append(at)

    people: dict[int, AnnotatorQuality] = {}
    by_clip: dict[int, dict[int, dict]] = defaultdict(dict)
    by_annotator: dict[int, dict[int, dict]] = defaultdict(dict)
    labels: dict[int, dict[int, str]] = defaultdict(dict)
    timelines: dict[int, list[list]] = defaultdict(list)
    for annotation in annotations:
        who = people.setdefault(
            annotation.annotator_id,
            AnnotatorQuality(
                user_id=annotation.annotator_id, username=annotation.annotator.username
            ),
        )
        who.n_submitted += 1
        cues = list(annotation.cues.all())
        counted = [c for c in cues if not c.decoy and c.decision in COUNTED_DECISIONS]
        cue_set = _cue_set(counted)
        by_clip[annotation.clip_id][annotation.annotator_id] = cue_set
        by_annotator[annotation.annotator_id][annotation.clip_id] = cue_set
        labels[annotation.clip_id][annotation.annotator_id] = _label(annotation.primary_label)
        for cue in cues:
            if cue.decoy:
                who.decoys_shown += 1
                who.decoys_failed += cue.decision in COUNTED_DECISIONS
            elif cue.origin == Cue.Origin.MODEL and cue.decision != Cue.Decision.PROPOSED:
                who.proposals_decided += 1
                who.accepted_unchanged += cue.decision == Cue.Decision.ACCEPTED
        timelines[annotation.annotator_id].append(decision_times.get(annotation.pk, []))

    gold_cues = {r.clip_id: _cue_set(r.cues.all()) for r in records}
    gold_labels = {r.clip_id: _label(r.primary_label) for r in records if r.primary_label.strip()}
    gold_scores = gold_f1(gold=gold_cues, cues=by_annotator, scorer=scorer)
    pairwise = pairwise_f1(cues={c: v for c, v in by_clip.items() if len(v) >= 2}, scorer=scorer)
    for user_id, who in people.items():
        who.gold = gold_scores.get(user_id)
        for clip_id, label in gold_labels.items():
            mine = labels.get(clip_id, {}).get(user_id)
            if mine:
                who.label_total += 1
                who.label_correct += mine == label
        who.median_decision_s, who.decision_gaps = median_decision_seconds(timelines[user_id])

    ordered = sorted(people.values(), key=lambda p: (p.username.casefold(), p.user_id))
    quality = ProjectQuality(
        annotators=ordered,
        pairwise=pairwise,
        alpha=primary_label_alpha(labels=labels),
        n_submitted=len(annotations),
        n_clips_shared=sum(1 for v in by_clip.values() if len(v) >= 2),
        n_gold=len(records),
        model_id=scorer.model_id,
    )
    quality.modality_rows = [
        {"modality": m, "mean": pairwise.by_modality[m][0], "n_pairs": pairwise.by_modality[m][1]}
        for m in (*MODALITIES, "overall")
    ]
    for a in ordered:
        cells = []
        for b in ordered:
            pair = None if a.user_id == b.user_id else pairwise.get(a.user_id, b.user_id)
            cells.append(
                {
                    "other": b,
                    "self": a.user_id == b.user_id,
                    "f1": pair.overall if pair else None,
                    "n_clips": pair.n_clips if pair else 0,
                }
            )
        quality.heat_rows.append({"annotator": a, "cells": cells})
    return quality
