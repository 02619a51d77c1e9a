"""Agreement between annotators, and between annotators and gold: pure computations.

Three measures, each over data the caller has already read (no Django here):

``pairwise_f1``
    EmoCue-360 F1 between two annotators' cues of the clips both annotated. For one clip and
    one modality, with cue lists A and B, the unit F1 is the metric's F1 with A as gold and
    B as prediction; it is symmetric (swapping the lists swaps precision and recall, and F1
    is their harmonic mean). A unit where both lists are empty is skipped; a unit where only
    one is empty scores 0. That is the metric's own rule ("gold empty: skipped, prediction
    empty: 0") made symmetric, so (a, b) and (b, a) give the same number. A pair's score
    in a modality is the mean over its units; its overall score is the mean of its modality
    scores, as EmoCue-360's "overall" is. Subtitle cues (``kind == "subtitle"``) are left
    out, as the metric's strict mode leaves them out.
``gold_f1``
    EmoCue-360 F1 of each annotator's cues against the gold cues, in the metric's strict
    mode exactly (a gold list that is empty is skipped, an empty annotator list scores 0).
``primary_label_alpha``
    Krippendorff's alpha, nominal, of the primary emotion label over clips x annotators
    (the ``krippendorff`` package). Clips with fewer than two labels cannot be paired and
    are not counted.

Plus ``median_decision_seconds``: the median gap between consecutive decisions of one
annotation, gaps longer than a break threshold left out.

Cues are given as in a cue file: a string, or ``{"text": ..., "kind": ...}``.

Example:
    >>> from inference.emocue360 import Scorer
    >>> result = pairwise_f1(
    ...     cues={"clip1": {"ann": {"visual": ["He smiles."], "auditory": [], "emotional": []},
    ...                     "bob": {"visual": ["He smiles."], "auditory": [], "emotional": []}}},
    ...     scorer=Scorer())  # doctest: +SKIP
    >>> round(result.pairs[("ann", "bob")].overall, 6)  # doctest: +SKIP
    1.0
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any

from .emocue360.cues import KIND_SUBTITLE, MODALITIES

__all__ = [
    "BREAK_SECONDS",
    "AlphaResult",
    "AnnotatorGoldScore",
    "PairScore",
    "PairwiseAgreement",
    "gold_f1",
    "krippendorff_alpha_nominal",
    "median_decision_seconds",
    "pairwise_f1",
    "primary_label_alpha",
]

# A gap longer than this between two decisions is a break, not time spent on a decision.
BREAK_SECONDS = 600.0

CueList = Sequence[str | Mapping[str, Any]]
CueSet = Mapping[str, CueList]  # {modality: cues}


def _scorable(cues: CueList | None) -> list[str | dict]:
    """The cues the strict metric scores: non-blank, not subtitles; as cue-file values."""
    out: list[str | dict] = []
    for cue in cues or ():
        if isinstance(cue, str):
            if cue.strip():
                out.append(cue)
            continue
        text, kind = cue.get("text") or "", cue.get("kind")
        if text.strip() and kind != KIND_SUBTITLE:
            out.append({"text": text, "kind": kind} if kind else text)
    return out


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass(frozen=True)
class PairScore:
    """Agreement of two annotators: F1 per modality (None when no unit), overall, clips."""

    by_modality: dict[str, float | None]
    overall: float | None
    n_clips: int


@dataclass(frozen=True)
class PairwiseAgreement:
    """``pairs`` keyed (a, b) with a before b in the order annotators were first seen;
    ``by_modality`` holds {modality: (mean pair F1, pairs with a score)}, plus "overall"."""

    annotators: list[Hashable]
    pairs: dict[tuple[Hashable, Hashable], PairScore]
    by_modality: dict[str, tuple[float | None, int]] = field(default_factory=dict)

    def get(self, a: Hashable, b: Hashable) -> PairScore | None:
        return self.pairs.get((a, b)) or self.pairs.get((b, a))


def pairwise_f1(
    *, cues: Mapping[Hashable, Mapping[Hashable, CueSet]], scorer, mode: str = "strict"
) -> PairwiseAgreement:
    """EmoCue-360 F1 between every two annotators over the clips both annotated.

    Args:
        cues: {clip: {annotator: {modality: [cue, ...]}}}; only the annotations to compare
            (e.g. submitted ones), and only the cues that count (decided, not decoys).
        scorer: an ``inference.emocue360.Scorer`` (the similarity is its embedding).
        mode: the metric mode of the unit scores; "strict" keeps subtitle cues out.

    Returns:
        A :class:`PairwiseAgreement`. All units of all pairs are scored in one call, so
        each distinct cue text is embedded once.

    Raises:
        ValueError: for a modality other than visual, auditory, emotional.
    """
    annotators: list[Hashable] = []
    for by_annotator in cues.values():
        for annotator in by_annotator:
            if annotator not in annotators:
                annotators.append(annotator)
    rank = {a: i for i, a in enumerate(annotators)}
    gold: dict[str, dict] = {}
    predicted: dict[str, dict] = {}
    # (pair, modality) -> unit keys; a unit key is a sample name or a fixed zero
    units: dict[tuple[tuple, str], list[str | float]] = {}
    clips_per_pair: dict[tuple, int] = {}
    for c, (clip, by_annotator) in enumerate(cues.items()):
        for cue_set in by_annotator.values():
            _check_modalities(cue_set, where=f"clip {clip!r}")
        people = sorted(by_annotator, key=rank.__getitem__)
        for i, a in enumerate(people):
            for b in people[i + 1 :]:
                pair = (a, b)
                clips_per_pair[pair] = clips_per_pair.get(pair, 0) + 1
                sample = f"{c}:{rank[a]}:{rank[b]}"
                a_cues = {m: _scorable(by_annotator[a].get(m)) for m in MODALITIES}
                b_cues = {m: _scorable(by_annotator[b].get(m)) for m in MODALITIES}
                scored = False
                for m in MODALITIES:
                    if a_cues[m] and b_cues[m]:
                        units.setdefault((pair, m), []).append(sample)
                        scored = True
                    elif a_cues[m] or b_cues[m]:
                        units.setdefault((pair, m), []).append(0.0)
                if scored:
                    gold[sample], predicted[sample] = a_cues, b_cues
    per_sample = _per_sample_f1(gold, predicted, scorer, mode)

    pairs: dict[tuple, PairScore] = {}
    for pair, n_clips in clips_per_pair.items():
        by_modality: dict[str, float | None] = {}
        for m in MODALITIES:
            values = [
                u if isinstance(u, float) else per_sample[u][m] for u in units.get((pair, m), [])
            ]
            by_modality[m] = _mean(values)
        present = [v for v in by_modality.values() if v is not None]
        pairs[pair] = PairScore(by_modality=by_modality, overall=_mean(present), n_clips=n_clips)
    summary: dict[str, tuple[float | None, int]] = {}
    for m in (*MODALITIES, "overall"):
        values = [(p.overall if m == "overall" else p.by_modality[m]) for p in pairs.values()]
        values = [v for v in values if v is not None]
        summary[m] = (_mean(values), len(values))
    return PairwiseAgreement(annotators=annotators, pairs=pairs, by_modality=summary)


@dataclass(frozen=True)
class AnnotatorGoldScore:
    """One annotator against gold: F1 per modality (None when no unit), overall, clips."""

    by_modality: dict[str, float | None]
    overall: float | None
    n_clips: int


def gold_f1(
    *,
    gold: Mapping[Hashable, CueSet],
    cues: Mapping[Hashable, Mapping[Hashable, CueSet]],
    scorer,
    mode: str = "strict",
) -> dict[Hashable, AnnotatorGoldScore]:
    """EmoCue-360 F1 of each annotator's cues (prediction) against the gold cues.

    Args:
        gold: {clip: {modality: [cue, ...]}}, the finished gold records.
        cues: {annotator: {clip: {modality: [cue, ...]}}}; clips without gold are ignored.
        scorer: an ``inference.emocue360.Scorer``.
        mode: the metric mode ("strict": empty gold list skipped, empty prediction 0).

    Returns:
        {annotator: AnnotatorGoldScore} for every annotator with a clip that has gold.
    """
    gold_file: dict[str, dict] = {}
    predicted: dict[str, dict] = {}
    samples: dict[Hashable, list[str]] = {}
    for a, (annotator, by_clip) in enumerate(cues.items()):
        for c, (clip, cue_set) in enumerate(by_clip.items()):
            if clip not in gold:
                continue
            _check_modalities(cue_set, where=f"clip {clip!r}")
            _check_modalities(gold[clip], where=f"gold of clip {clip!r}")
            sample = f"{a}:{c}"
            gold_file[sample] = {m: _scorable(gold[clip].get(m)) for m in MODALITIES}
            predicted[sample] = {m: _scorable(cue_set.get(m)) for m in MODALITIES}
            samples.setdefault(annotator, []).append(sample)
    per_sample = _per_sample_f1(gold_file, predicted, scorer, mode)
    result: dict[Hashable, AnnotatorGoldScore] = {}
    for annotator, names in samples.items():
        by_modality = {
            m: _mean([per_sample[n][m] for n in names if m in per_sample.get(n, {})])
            for m in MODALITIES
        }
        present = [v for v in by_modality.values() if v is not None]
        result[annotator] = AnnotatorGoldScore(
            by_modality=by_modality, overall=_mean(present), n_clips=len(names)
        )
    return result


def _check_modalities(cue_set: Mapping, *, where: str) -> None:
    unknown = set(cue_set) - set(MODALITIES)
    if unknown:
        raise ValueError(
            f"{where}: unknown modality {sorted(unknown)}; expected {list(MODALITIES)}"
        )


def _per_sample_f1(gold: dict, predicted: dict, scorer, mode: str) -> dict[str, dict[str, float]]:
    """{sample: {modality: F1}} for the units the metric scores (gold list not empty)."""
    if not any(any(cues) for sample in gold.values() for cues in sample.values()):
        return {}
    result = scorer.score(gold=gold, predicted=predicted, mode=mode, per_sample=True)
    return {
        name: {m: values["f1"] for m, values in entry["paper"].items()}
        for name, entry in result["per_sample"].items()
    }


@dataclass(frozen=True)
class AlphaResult:
    """Krippendorff's alpha with what it was computed on; ``alpha`` is None (and ``reason``
    says why) when it is undefined."""

    alpha: float | None
    n_units: int
    n_coders: int
    n_values: int
    reason: str = ""


def krippendorff_alpha_nominal(matrix: Sequence[Sequence[Hashable | None]]) -> float:
    """Nominal Krippendorff's alpha of a coders x units matrix, None (or NaN) where missing.

    Values may be any hashable labels; they are coded as integers in first-seen order
    (nominal alpha does not depend on the codes).

    Raises:
        ValueError: when alpha is undefined (fewer than two distinct values) or the rows
            differ in length.
    """
    import krippendorff
    import numpy as np

    widths = {len(row) for row in matrix}
    if len(widths) > 1:
        raise ValueError(
            f"every coder needs one value (or None) per unit; row lengths {sorted(widths)}"
        )
    codes: dict[Hashable, int] = {}
    data = np.full((len(matrix), widths.pop() if widths else 0), np.nan)
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            data[i, j] = codes.setdefault(value, len(codes))
    if len(codes) < 2:
        raise ValueError("alpha is undefined with fewer than two distinct values")
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def primary_label_alpha(*, labels: Mapping[Hashable, Mapping[Hashable, str]]) -> AlphaResult:
    """Nominal alpha of the primary label over clips (units) x annotators (coders).

    Args:
        labels: {clip: {annotator: label}}; blank labels count as missing.

    Returns:
        An :class:`AlphaResult` over the clips with at least two labels (the only ones
        alpha can pair); ``alpha`` None when no clip has two labels or every label is the
        same (expected disagreement zero: alpha is 0/0).
    """
    units = {
        clip: {a: v for a, v in by_annotator.items() if v} for clip, by_annotator in labels.items()
    }
    units = {clip: row for clip, row in units.items() if len(row) >= 2}
    coders = list(dict.fromkeys(a for row in units.values() for a in row))
    values = {v for row in units.values() for v in row.values()}
    base = {"n_units": len(units), "n_coders": len(coders), "n_values": len(values)}
    if not units:
        return AlphaResult(alpha=None, reason="no clip has two submitted primary labels", **base)
    if len(values) < 2:
        return AlphaResult(
            alpha=None,
            reason="every label is the same, so alpha is undefined "
            "(no disagreement is expected by chance)",
            **base,
        )
    matrix = [[row.get(coder) for row in units.values()] for coder in coders]
    return AlphaResult(alpha=krippendorff_alpha_nominal(matrix), **base)


def median_decision_seconds(
    timelines: Sequence[Sequence[datetime | float]], *, break_seconds: float = BREAK_SECONDS
) -> tuple[float | None, int]:
    """Median seconds between consecutive decisions, and how many gaps it is over.

    Args:
        timelines: one sequence of decision times per annotation (datetimes, or seconds);
            sorted here. The first decision of an annotation has no gap: when the
            annotator started looking is not recorded.
        break_seconds: gaps longer than this are breaks and are left out.

    Returns:
        (median or None when there is no gap, number of gaps used).
    """
    if break_seconds <= 0:
        raise ValueError(f"break_seconds must be positive, got {break_seconds!r}")
    gaps: list[float] = []
    for times in timelines:
        ordered = sorted(times)
        for earlier, later in pairwise(ordered):
            gap = later - earlier
            seconds = gap.total_seconds() if hasattr(gap, "total_seconds") else float(gap)
            if seconds <= break_seconds:
                gaps.append(seconds)
    return (statistics.median(gaps) if gaps else None), len(gaps)
