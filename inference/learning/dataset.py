"""The training data of a learned proposer: a base proposer's own observations on the clips of
a gold set's training split, each labelled by the gold.

For every training clip the base proposal gives its clip-level ``features``, its emotion scores
and its cues (with their evidence); the gold gives the primary emotion and the cues it kept.
A proposed cue is *kept by the gold* when some gold cue of the same modality says the same by
EmoCue-360's own measure: the cosine similarity of their sentence embeddings reaches the
project's ``threshold`` (the similarity at which the review aligns two cues). The cues of kind
``inference`` (the base proposer's emotion sentences) are not filtered: the primary-emotion
model rewrites them.

No Django here: the caller reads proposals and gold from its database and passes the
similarity function (the EmoCue-360 scorer's embeddings).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from inference.proposers.base import MODALITIES, ProposedCue

__all__ = [
    "ClipGold",
    "ClipObservation",
    "CueExample",
    "TrainingSet",
    "canonical_json",
    "cue_rule",
    "training_set",
]

# A similarity function: texts a (n), texts b (m) -> an n x m matrix of cosine similarities.
Similarity = Callable[[Sequence[str], Sequence[str]], np.ndarray]


def canonical_json(value: Any) -> bytes:
    """The one byte form of a JSON value: sorted keys, no spaces, UTF-8 (hashes and artefacts)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def cue_rule(cue: ProposedCue) -> str:
    """The rule that made a cue: its modality and the feature its evidence names ("visual/smile",
    "auditory/vader_compound"), or its kind when the evidence names none."""
    evidence = cue.evidence if isinstance(cue.evidence, Mapping) else {}
    name = evidence.get("feature") or evidence.get("rule") or cue.kind
    return f"{cue.modality}/{name}"


@dataclass(frozen=True)
class ClipObservation:
    """What the base proposer observed on one clip (one done proposal of its run).

    Attributes:
        name: the clip name.
        features: the proposal's clip-level features {name: number or None}.
        emotions: the base's emotion scores [(label, score)], best first.
        cues: the base's cues, in the proposal's order.
        duration_ms: the clip's duration (for the cues' span shares); 0 when unknown.
    """

    name: str
    features: Mapping[str, float | None]
    emotions: tuple[tuple[str, float], ...]
    cues: tuple[ProposedCue, ...]
    duration_ms: int = 0


@dataclass(frozen=True)
class ClipGold:
    """One clip of a frozen gold set: its primary emotion and its cue texts per modality."""

    name: str
    primary_label: str
    cues: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class CueExample:
    """One proposed cue of a training clip, labelled by the gold."""

    clip: str
    index: int  # position among the clip's cues
    rule: str
    kept: bool
    best_similarity: float | None  # to the closest gold cue of its modality; None: none there


@dataclass
class TrainingSet:
    """Everything a learned proposer is fitted on, with the hash that names it."""

    clips: list[ClipObservation]
    primary: dict[str, str]  # clip -> the gold's primary emotion
    cues: list[CueExample]
    threshold: float
    sha256: str = ""
    skipped: list[str] = field(default_factory=list)  # clips without a gold primary label

    def describe(self) -> dict[str, Any]:
        kept = sum(1 for c in self.cues if c.kept)
        labels: dict[str, int] = {}
        for label in self.primary.values():
            labels[label] = labels.get(label, 0) + 1
        return {
            "clips": len(self.clips),
            "cues": len(self.cues),
            "cues_kept": kept,
            "labels": dict(sorted(labels.items())),
            "skipped": list(self.skipped),
        }


def _cue_json(cue: ProposedCue) -> dict[str, Any]:
    return {
        "modality": cue.modality,
        "kind": cue.kind,
        "text": cue.text,
        "start_ms": cue.start_ms,
        "end_ms": cue.end_ms,
        "confidence": cue.confidence,
        "evidence": cue.evidence,
    }


def training_set(
    *,
    observations: Sequence[ClipObservation],
    gold: Mapping[str, ClipGold],
    similarity: Similarity,
    threshold: float,
) -> TrainingSet:
    """Label each observed clip's cues and primary emotion by the gold.

    Args:
        observations: the base proposals of the training clips.
        gold: the gold of (at least) those clips, by name.
        similarity: cosine similarity of two lists of texts (EmoCue-360's embeddings).
        threshold: a proposed cue is kept by the gold when its best similarity to a gold cue
            of its modality reaches this.

    Returns:
        The :class:`TrainingSet`, its ``sha256`` the hash of its canonical JSON (inputs and
        labels), so that two trainings on the same data say so.

    Raises:
        ValueError: a clip without gold, a threshold outside [0, 1], or two observations of
            one clip.
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must lie in [0, 1], not {threshold!r}")
    seen: set[str] = set()
    clips: list[ClipObservation] = []
    primary: dict[str, str] = {}
    cues: list[CueExample] = []
    skipped: list[str] = []
    for obs in sorted(observations, key=lambda o: o.name):
        if obs.name in seen:
            raise ValueError(f"clip {obs.name!r} is observed twice")
        seen.add(obs.name)
        if obs.name not in gold:
            raise ValueError(f"clip {obs.name!r} has no gold")
        item = gold[obs.name]
        if not item.primary_label:
            skipped.append(obs.name)
            continue
        clips.append(obs)
        primary[obs.name] = item.primary_label
        for modality in MODALITIES:
            mine = [(i, c) for i, c in enumerate(obs.cues) if c.modality == modality]
            mine = [(i, c) for i, c in mine if c.kind != "inference"]
            if not mine:
                continue
            theirs = [t for t in item.cues.get(modality, ()) if t.strip()]
            best: list[float | None] = [None] * len(mine)
            if theirs:
                matrix = np.asarray(similarity([c.text for _, c in mine], theirs), dtype=float)
                best = [float(v) for v in matrix.max(axis=1)]
            for (index, cue), value in zip(mine, best, strict=True):
                cues.append(
                    CueExample(
                        clip=obs.name,
                        index=index,
                        rule=cue_rule(cue),
                        kept=value is not None and value >= threshold - 1e-9,
                        best_similarity=None if value is None else round(value, 6),
                    )
                )
    result = TrainingSet(
        clips=clips, primary=primary, cues=cues, threshold=threshold, skipped=skipped
    )
    result.sha256 = hashlib.sha256(
        canonical_json(
            {
                "threshold": threshold,
                "clips": [
                    {
                        "name": obs.name,
                        "features": dict(sorted(obs.features.items())),
                        "emotions": [[label, score] for label, score in obs.emotions],
                        "cues": [_cue_json(c) for c in obs.cues],
                        "duration_ms": obs.duration_ms,
                        "primary": primary[obs.name],
                    }
                    for obs in clips
                ],
                "cues": [[c.clip, c.index, c.rule, c.kept] for c in cues],
            }
        )
    ).hexdigest()
    return result
