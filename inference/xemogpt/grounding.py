"""Time grounding: give a model cue the span of the signal observation that says the same.

XEmoGPT describes a clip as a whole; its cues have no times. The signal proposer's cues
do ("The corners of the mouth turn up." from 2.1 s to 3.4 s). Each model cue is compared
(cosine similarity of sentence embeddings, all-MiniLM-L6-v2 by default) with the
time-anchored observations of the same clip and modality; when the best similarity is at
least the threshold the cue takes that observation's span, else it stays untimed. Quoted
speech (kind "subtitle") is matched the same way against the clip's timed subtitle
segments. Either way the evidence records the best candidate and its similarity.

DEFAULT_THRESHOLD = 0.6, measured with all-MiniLM-L6-v2 against the signal proposer's
wording: matching statements score 0.65 to 0.85 ("His eyebrows are raised." / "The
eyebrows are raised." 0.85; "His pitch rises." / "Pitch rises at the end of the second
phrase." 0.73; "He nods." / "The head nods." 0.75), while the best wrong candidate scored
up to 0.59 ("His voice is loud." / "The voice becomes quieter ...") and, once, 0.72 ("He
shakes his head." / "The head nods.", behind the right one at 0.73). Looser paraphrases
fall below and stay untimed ("She smiles." / "The corners of the mouth turn up (clear
smile)." 0.11 to 0.35; "His brows are furrowed." / "The brows draw together (frown)."
0.57): a missed span costs an annotator less than a wrong one. Change it with the
proposer's ``grounding_threshold``.

When several observations share the best text (a repeated "The head nods."), the cue
takes the most confident one's span (then the earliest); the evidence counts the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from inference.emocue360.embedding import Encoder
from inference.proposers.base import ProposedCue, SubtitleSegment

__all__ = ["DEFAULT_THRESHOLD", "Anchor", "ground"]

DEFAULT_THRESHOLD = 0.6


@dataclass(frozen=True)
class Anchor:
    """A time-anchored statement a model cue may be matched to."""

    modality: str
    text: str
    start_ms: int
    end_ms: int
    source: str  # "signals" or "subtitle"
    kind: str = "observation"
    confidence: float = 1.0


def anchors_from(
    observations: Sequence[ProposedCue], segments: Sequence[SubtitleSegment] = ()
) -> list[Anchor]:
    """The timed observations (not "unobservable" notes) and the timed subtitle segments."""
    anchors = [
        Anchor(o.modality, o.text, o.start_ms, o.end_ms, "signals", o.kind, o.confidence)
        for o in observations
        if o.start_ms is not None and o.kind in ("observation", "subtitle", "inference")
    ]
    anchors += [
        Anchor("auditory", s.text, s.start_ms, s.end_ms, "subtitle", "subtitle")
        for s in segments
        if s.text.strip()
    ]
    return anchors


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float64)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def ground(
    cues: Sequence[tuple[str, str, str]],
    anchors: Sequence[Anchor],
    *,
    encoder: Encoder | None,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[dict]:
    """Spans for model cues.

    Args:
        cues: (modality, kind, text) per model cue.
        anchors: the clip's time anchors.
        encoder: a sentence encoder; None grounds nothing (every cue untimed).
        threshold: the least cosine similarity that grounds a cue.

    Returns:
        Per cue: {"start_ms", "end_ms" (both None when untimed), "evidence": {...}} where the
        evidence holds the best candidate (text, span, source, similarity), the threshold,
        and the encoder's model id.

    Example:
        >>> ground([("visual", "observation", "She smiles.")],
        ...        [Anchor("visual", "The corners of the mouth turn up.", 2100, 3400, "signals")],
        ...        encoder=enc)[0]["start_ms"]
        2100
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"grounding threshold must lie in [0, 1], not {threshold}")
    untimed = {"start_ms": None, "end_ms": None}
    if encoder is None or not anchors or not cues:
        return [
            dict(
                untimed,
                evidence={
                    "grounded": False,
                    "reason": "no timed observations" if encoder else "no encoder",
                },
            )
            for _ in cues
        ]
    texts = sorted({text for _, _, text in cues} | {a.text for a in anchors}, key=len)
    vectors = dict(zip(texts, _unit(encoder.encode(texts)), strict=True))
    out = []
    for modality, kind, text in cues:
        if kind == "subtitle":  # quoted speech: where was it said?
            candidates = [a for a in anchors if a.modality == modality and a.kind == "subtitle"]
        else:
            candidates = [
                a
                for a in anchors
                if a.modality == modality and a.source == "signals" and a.kind != "subtitle"
            ]
        if not candidates:
            out.append(
                dict(
                    untimed,
                    evidence={"grounded": False, "reason": f"no timed {modality} observations"},
                )
            )
            continue
        similarities = np.stack([vectors[a.text] for a in candidates]) @ vectors[text]
        similarity = float(similarities.max())
        tied = [
            a
            for a, value in zip(candidates, similarities, strict=True)
            if value >= similarity - 1e-9
        ]
        anchor = min(tied, key=lambda a: (-a.confidence, a.start_ms))
        match = {
            "text": anchor.text,
            "start_ms": anchor.start_ms,
            "end_ms": anchor.end_ms,
            "source": anchor.source,
            "similarity": round(similarity, 4),
            "other_spans": len(tied) - 1,
        }
        evidence = {
            "grounded": similarity >= threshold,
            "match": match,
            "threshold": threshold,
            "encoder": getattr(encoder, "model_id", type(encoder).__name__),
        }
        if similarity >= threshold:
            out.append({"start_ms": anchor.start_ms, "end_ms": anchor.end_ms, "evidence": evidence})
        else:
            out.append(dict(untimed, evidence=evidence))
    return out
