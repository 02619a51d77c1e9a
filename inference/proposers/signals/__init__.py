"""The offline signal proposer: face landmarks, acoustics and subtitle words -> cues.

No model weights: mediapipe's bundled face mesh (visual.py), opensmile eGeMAPSv02 and
praat-parselmouth (auditory.py), VADER and the NRC emotion lexicon for English subtitles and
jieba with a Chinese emotion lexicon for Chinese ones (text.py), and documented rules
(fusion.py). Every threshold lives in thresholds.py.

Example:
    >>> from inference.proposers import get_proposer
    >>> proposal = get_proposer("signals").propose(clip)  # doctest: +SKIP
    >>> proposal.description[:13]  # doctest: +SKIP
    'In the video,'
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from typing import Any

from inference.proposers.base import ClipInput, Proposal, ProposalError, ProposedCue

from .chinese import LexiconError, load_chinese_lexicon
from .common import ModalityResult
from .text import NRC_EMOTIONS as NRC_CATEGORIES
from .thresholds import (
    AUDITORY,
    FUSION,
    TEXT,
    VISUAL,
    AuditoryThresholds,
    FusionThresholds,
    TextThresholds,
    VisualThresholds,
)

__all__ = ["FEATURES", "SIGNALS_VERSION", "SignalProposer"]

# Bump whenever proposals could change (code or thresholds). 1.1: Chinese subtitles read;
# 1.2: proposals carry `features`.
SIGNALS_VERSION = "signals-1.2"

# The clip-level measurements every proposal carries as `features` ("<stage>.<name>"), the
# same names on every clip (None where a stage failed or could not observe): the summaries of
# the analyses (documented in visual.py, auditory.py, text.py) and the fused valence/arousal.
_SUMMARY_FEATURES = {
    "visual": (
        "face_fraction",
        "smile_fraction",
        "smile_intensity",
        "mouth_open_fraction",
        "brow_raise_fraction",
        "brow_furrow_fraction",
        "eye_widen_fraction",
        "blink_rate_per_min",
        "nod_count",
        "shake_count",
        "gaze_away_fraction",
    ),
    "auditory": (
        "has_audio",
        "has_speech",
        "clipping",
        "speech_fraction",
        "level_dbfs",
        "loudness_z_vs_norm",
        "loudness_mean",
        "f0_mean_hz",
        "f0_range_st",
        "speech_rate_syl_s",
        "articulation_rate_syl_s",
        "pause_fraction",
        "jitter",
        "shimmer",
        "hnr_db",
        "h1h2_db",
        "alpha_ratio_db",
        "arousal",
        "final_rises",
        "final_falls",
    ),
    "text": (
        "has_subtitle",
        "analysable",
        "valence",
        "question",
        "exclamation",
        "negation",
        "n_tokens",
    ),
}
# NRC categories counted in the subtitle (text.emotion_counts), as text.nrc_<category>.
_NRC_FEATURES = (*NRC_CATEGORIES, "positive", "negative")
FEATURES: tuple[str, ...] = (
    *(f"{stage}.{key}" for stage, keys in _SUMMARY_FEATURES.items() for key in keys),
    *(f"text.nrc_{category}" for category in _NRC_FEATURES),
    "fused.valence",
    "fused.arousal",
)

_THRESHOLD_OPTIONS = {
    "visual": (VisualThresholds, VISUAL),
    "auditory": (AuditoryThresholds, AUDITORY),
    "text": (TextThresholds, TEXT),
    "fusion": (FusionThresholds, FUSION),
}
_MODALITY_ORDER = {"visual": 0, "auditory": 1, "emotional": 2}
_WHAT = {"visual": "the video", "auditory": "the audio", "text": "the subtitle"}


class SignalProposer:
    """The embedded default proposer (name "signals").

    Args:
        visual, auditory, text, fusion: optional threshold overrides, each a dict of field
            -> value for the matching thresholds class (e.g. ``auditory={"loud_dbfs": -14}``)
            or an instance of it. Overrides change ``version`` (a hash is appended), so
            stored proposals say which configuration produced them.
    Raises:
        ValueError: an unknown option or threshold name, or a Chinese lexicon file
            (``text={"chinese_lexicon": path}``) that cannot be used.
    Example:
        >>> SignalProposer(auditory={"long_pause_s": 1.0}).version  # doctest: +SKIP
        'signals-1.2+3f2a9c1e'
    """

    name = "signals"
    version = SIGNALS_VERSION

    def __init__(self, **options: Any) -> None:
        unknown = set(options) - set(_THRESHOLD_OPTIONS)
        if unknown:
            raise ValueError(
                f"unknown option(s) for the signal proposer: {', '.join(sorted(unknown))}; "
                f"known: {', '.join(_THRESHOLD_OPTIONS)}"
            )
        self.thresholds: dict[str, Any] = {}
        changed: dict[str, Any] = {}
        for key, (cls, default) in _THRESHOLD_OPTIONS.items():
            value = options.get(key)
            if value is None:
                self.thresholds[key] = default
            elif isinstance(value, cls):
                self.thresholds[key] = value
            elif isinstance(value, dict):
                fields = {f.name for f in dataclasses.fields(cls)}
                bad = set(value) - fields
                if bad:
                    raise ValueError(f"unknown {key} threshold(s): {', '.join(sorted(bad))}")
                self.thresholds[key] = dataclasses.replace(default, **value)
            else:
                raise ValueError(f"{key} thresholds must be a dict or {cls.__name__}")
            if self.thresholds[key] != default:
                changed[key] = dataclasses.asdict(self.thresholds[key])
        lexicon_file = self.thresholds["text"].chinese_lexicon
        if lexicon_file:
            try:
                lexicon = load_chinese_lexicon(lexicon_file)
            except LexiconError as exc:
                raise ValueError(str(exc)) from None
            # the file's content, not only its path, says which words made the proposals
            changed["chinese_lexicon_sha256"] = lexicon.sha256
        if changed:
            digest = hashlib.sha256(json.dumps(changed, sort_keys=True, default=str).encode())
            self.version = f"{SIGNALS_VERSION}+{digest.hexdigest()[:8]}"

    def propose(self, clip: ClipInput) -> Proposal:
        """Analyse one clip.

        Args:
            clip: the clip (video, optional 16 kHz WAV, optional subtitle).
        Returns:
            A :class:`Proposal`; a modality that fails is reported in ``notes`` and by an
            "unobservable" cue, and the others still run.
        Raises:
            ProposalError: the video or audio file is missing, empty or undecodable.
        """
        _check_media(clip)
        timings: dict[str, float] = {}
        notes: list[str] = []
        results: dict[str, ModalityResult | None] = {}
        total = time.perf_counter()
        for stage in ("visual", "auditory", "text"):
            started = time.perf_counter()
            try:
                result = _run_stage(stage, clip, self.thresholds[stage])
            except ProposalError:
                raise
            except Exception as exc:  # one modality failing must not lose the others
                if stage == "visual":
                    _probe_or_raise(clip)  # an undecodable video fails the whole clip
                result = _failed(stage, clip, exc)
                results[stage] = None
                notes.extend(result.notes)
                failed_cues = result.cues
            else:
                results[stage] = result
                notes.extend(f"{stage}: {note}" for note in result.notes)
                failed_cues = []
                for key, value in result.timings.items():
                    timings[f"{stage}.{key}"] = round(float(value), 4)
            timings[stage] = round(time.perf_counter() - started, 4)
            if failed_cues:
                results[f"{stage}.failed"] = ModalityResult(cues=failed_cues)
        started = time.perf_counter()
        fused = _fuse(results, self.thresholds["fusion"])
        timings["fusion"] = round(time.perf_counter() - started, 4)
        timings["total"] = round(time.perf_counter() - total, 4)

        cues: list[ProposedCue] = []
        for result in (*results.values(), fused):
            if result is not None:
                cues.extend(result.cues)
        cues.sort(
            key=lambda c: (
                _MODALITY_ORDER[c.modality],
                -1 if c.start_ms is None else c.start_ms,
                -1 if c.end_ms is None else c.end_ms,
            )
        )
        return Proposal(
            proposer=self.name,
            version=self.version,
            description=fused.summary["description"],
            cues=tuple(cues),
            emotions=tuple((label, float(score)) for label, score in fused.summary["emotions"]),
            notes=tuple(notes),
            timings=timings,
            features=_features(results, fused.summary),
        )


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)) and value == value:  # not NaN
        return float(value)
    return None


def _features(
    results: dict[str, ModalityResult | None], fused: dict[str, Any]
) -> dict[str, float | None]:
    """FEATURES of one clip: booleans as 0/1; None where a stage failed or did not measure."""
    features: dict[str, float | None] = {}
    for stage, keys in _SUMMARY_FEATURES.items():
        result = results.get(stage)
        summary = result.summary if result is not None else {}
        for key in keys:
            features[f"{stage}.{key}"] = _number(summary.get(key))
    text = results.get("text")
    counts = text.summary.get("emotion_counts") if text is not None else None
    analysable = text is not None and bool(text.summary.get("analysable"))
    for category in _NRC_FEATURES:
        features[f"text.nrc_{category}"] = (
            float((counts or {}).get(category, 0)) if analysable else None
        )
    features["fused.valence"] = _number(fused.get("valence"))
    features["fused.arousal"] = _number(fused.get("arousal"))
    return features


def _run_stage(stage: str, clip: ClipInput, thresholds: Any) -> ModalityResult:
    if stage == "visual":
        from .visual import analyse_visual

        return analyse_visual(clip, thresholds=thresholds)
    if stage == "auditory":
        from .auditory import AudioReadError, analyse_auditory

        try:
            return analyse_auditory(clip, thresholds=thresholds)
        except AudioReadError as exc:  # corrupt media fail the clip, like a bad video
            raise ProposalError(f"{clip.name}: {exc}") from None
    from .text import analyse_text

    return analyse_text(clip, thresholds=thresholds)


def _failed(stage: str, clip: ClipInput, exc: Exception) -> ModalityResult:
    modality = "visual" if stage == "visual" else "auditory"
    reason = str(exc) or type(exc).__name__
    return ModalityResult(
        cues=[
            ProposedCue(
                modality,
                f"{_WHAT[stage][0].upper()}{_WHAT[stage][1:]} could not be analysed.",
                None,
                None,
                1.0,
                {"stage": stage, "error": f"{type(exc).__name__}: {reason}"},
                kind="unobservable",
            )
        ],
        notes=[
            f"{stage}: the analysis of {_WHAT[stage]} failed ({type(exc).__name__}: {reason}); "
            "the other modalities still ran."
        ],
    )


def _fuse(
    results: dict[str, ModalityResult | None], thresholds: FusionThresholds
) -> ModalityResult:
    from .fusion import fuse

    def merged(stage: str) -> ModalityResult | None:
        ok, failed = results.get(stage), results.get(f"{stage}.failed")
        if ok is not None:
            return ok
        return ModalityResult(cues=list(failed.cues)) if failed is not None else None

    return fuse(
        visual=merged("visual"),
        auditory=merged("auditory"),
        text=merged("text"),
        thresholds=thresholds,
    )


def _check_media(clip: ClipInput) -> None:
    """Missing or empty files fail the clip at once, with a message for the user."""
    if clip.video is None or not clip.video.is_file():
        raise ProposalError(f"{clip.name}: the video file is missing ({clip.video}).")
    if clip.video.stat().st_size == 0:
        raise ProposalError(f"{clip.name}: the video file is empty ({clip.video}).")
    if clip.audio is not None:
        if not clip.audio.is_file():
            raise ProposalError(f"{clip.name}: the audio file is missing ({clip.audio}).")
        with open(clip.audio, "rb") as fh:
            head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise ProposalError(f"{clip.name}: the audio file is not a WAV file ({clip.audio}).")


def _probe_or_raise(clip: ClipInput) -> None:
    from inference.media import MediaError, probe

    try:
        probe(clip.video, display_name=clip.name)
    except MediaError as exc:
        raise ProposalError(f"{clip.name}: the video cannot be decoded: {exc.message}") from None
