"""The proposer interface, its data types, and the registry by name."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

MODALITIES = ("visual", "auditory", "emotional")
CUE_KINDS = ("observation", "subtitle", "inference", "unobservable")


class ProposalError(RuntimeError):
    """A clip could not be analysed at all; the message says why, for the user."""


@dataclass(frozen=True)
class SubtitleSegment:
    start_ms: int
    end_ms: int
    text: str


@dataclass(frozen=True)
class ClipInput:
    """What a proposer may read of one clip. Times are ms of media time from the first frame.

    Attributes:
        name: the clip name (e.g. "sample_00000007"), for messages.
        video: a decodable video file (the browser proxy, or the source).
        audio: 16 kHz mono WAV of the whole clip, or None when the clip has no audio.
        duration_ms: clip duration.
        fps_num, fps_den: the real frame rate.
        subtitle_text: the whole subtitle ("" when none).
        subtitle_segments: timed segments where the subtitle format has them.
        frames: the 16 uniformly sampled frames [(time_ms, Path)] (XEmoGPT's view), if any.
    """

    name: str
    video: Path
    audio: Path | None
    duration_ms: int
    fps_num: int
    fps_den: int
    subtitle_text: str = ""
    subtitle_segments: tuple[SubtitleSegment, ...] = ()
    frames: tuple[tuple[int, Path], ...] = ()

    @property
    def fps(self) -> float:
        return self.fps_num / self.fps_den


@dataclass(frozen=True)
class ProposedCue:
    """One atomic cue with its time span and the evidence behind it.

    Attributes:
        modality: "visual", "auditory" or "emotional".
        text: a short observation in EMER style ("The corners of the mouth turn up.").
        start_ms, end_ms: the span in media time; both None for a clip-level cue.
        confidence: 0..1, how sure the proposer is.
        evidence: JSON-ready facts behind the cue (feature, values, baseline, threshold).
        kind: "observation", "subtitle" (restates/derives from the subtitle, which is an
            input), "inference" (reasoning over other cues) or "unobservable" (says what
            could not be observed, e.g. no face visible).
    """

    modality: str
    text: str
    start_ms: int | None
    end_ms: int | None
    confidence: float
    evidence: dict[str, Any] = field(default_factory=dict)
    kind: str = "observation"

    def __post_init__(self) -> None:
        if self.modality not in MODALITIES:
            raise ValueError(f"modality must be one of {MODALITIES}, not {self.modality!r}")
        if self.kind not in CUE_KINDS:
            raise ValueError(f"kind must be one of {CUE_KINDS}, not {self.kind!r}")
        if not self.text.strip():
            raise ValueError("a cue needs text")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must lie in [0, 1], not {self.confidence}")
        if (self.start_ms is None) != (self.end_ms is None):
            raise ValueError("start_ms and end_ms are both set or both None")
        if self.start_ms is not None and not 0 <= self.start_ms <= self.end_ms:
            raise ValueError(f"bad span {self.start_ms}..{self.end_ms}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Proposal:
    """A proposer's answer for one clip.

    Attributes:
        proposer, version: who made it (the version changes whenever outputs could change).
        description: an EMER-style paragraph ("In the video, ... In the audio, ...
            Therefore, ...").
        cues: the cues, in time order within each modality.
        emotions: open-vocabulary labels with scores, best first.
        notes: what could not be observed or went partly wrong, for the user.
        timings: seconds per stage, for benchmarks.
        features: the clip-level measurements the proposer made, by name ("visual.
            smile_fraction", "auditory.arousal"): numbers, None where not observed. Stored
            with the proposal, so that a model can learn from them later (a learned
            proposer trains on them against the gold).
    """

    proposer: str
    version: str
    description: str
    cues: tuple[ProposedCue, ...]
    emotions: tuple[tuple[str, float], ...] = ()
    notes: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    features: dict[str, float | None] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "proposer": self.proposer,
            "version": self.version,
            "description": self.description,
            "cues": [cue.to_json() for cue in self.cues],
            "emotions": [{"label": label, "score": score} for label, score in self.emotions],
            "notes": list(self.notes),
            "timings": dict(self.timings),
            "features": dict(self.features),
        }


def emotion_uncertainty(emotions) -> float | None:
    """How unsure a proposal is of the clip's emotion: 1 − (best score − second score), in
    [0, 1] (scores clipped to [0, 1]; a lone label's second score is 0). None without scores.

    Example:
        >>> emotion_uncertainty([("happy", 0.9), ("excited", 0.7)])
        0.8
    """
    scores = sorted((min(max(float(score), 0.0), 1.0) for _, score in emotions), reverse=True)
    if not scores:
        return None
    second = scores[1] if len(scores) > 1 else 0.0
    return round(1.0 - (scores[0] - second), 6)


@runtime_checkable
class Proposer(Protocol):
    name: str
    version: str

    def propose(self, clip: ClipInput) -> Proposal: ...


# name -> "module:factory", imported on first use so heavy models load only when asked for.
_REGISTRY: dict[str, str | Callable[..., Proposer]] = {
    "signals": "inference.proposers.signals:SignalProposer",
    "xemogpt": "inference.xemogpt.proposer:XEmoGPTProposer",
    # Built per trained model (its `needs_artefact`): a run names the artefact it uses.
    "signals+learned": "inference.learning.proposer:LearnedSignalProposer",
}


def register_proposer(name: str, factory: str | Callable[..., Proposer]) -> None:
    """Register a proposer factory (a callable, or "module:attribute") under a name."""
    _REGISTRY[name] = factory


def proposer_names() -> list[str]:
    return sorted(_REGISTRY)


def proposer_factory(name: str) -> Callable[..., Proposer]:
    """The registered factory (usually the proposer class), imported but not called: its
    ``version`` can be read without loading any model."""
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"unknown proposer {name!r}; known: {', '.join(proposer_names())}"
        ) from None
    if isinstance(factory, str):
        module, _, attribute = factory.partition(":")
        factory = getattr(importlib.import_module(module), attribute)
        _REGISTRY[name] = factory
    return factory


def get_proposer(name: str, **options: Any) -> Proposer:
    """A proposer by registered name, built with keyword options (from settings)."""
    return proposer_factory(name)(**options)
