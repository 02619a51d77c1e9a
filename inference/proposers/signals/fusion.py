"""Fuse the visual, auditory and text analyses into an emotion estimate, reasoning cues and
an EMER-style paragraph.

Rules (thresholds in :class:`FusionThresholds`; every rule names the cues that support it):

========== ================================================================================
label      evidence (each adds to the score; a label needs ``min_label_score``)
========== ================================================================================
happy      smile (0.45 + 0.3 x smile share); positive words (0.35 x valence); joy words (0.1);
           a smile over negative words loses 0.35 x |valence|
excited    high vocal arousal (0.35) with a positive sign: positive words, or a smile without
           negative words (0.25); exclamation (0.1)
angry      furrowed brows (0.35); high arousal (0.25) with negative words (0.3); anger words
           (0.15); exclamation with negative words (0.1)
sad        negative words or sadness words (0.3 / 0.2) when the voice is not aroused (0.15)
           or subdued (0.25); no smile
surprised  raised brows (0.2) and widened eyes (0.2); question or exclamation (0.15); rising
           pitch (0.15); surprise words (0.1); high arousal (0.1)
worried    fear words (0.3); negative words without high arousal (0.15); furrowed or raised
           brows (0.15); gaze away (0.1)
calm       subdued voice or low arousal (0.35) with neither positive nor negative words (0.1)
========== ================================================================================

With no label at ``min_label_score`` the estimate is "neutral". The paragraph says only what
the cues say; a modality without cues is stated plainly ("No face is visible in the video.").

Summary keys: emotions ([(label, score)] best first), valence, arousal (fused, None when
unobserved), description (the paragraph).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from inference.proposers.base import ProposedCue

from .common import ModalityResult
from .thresholds import FUSION, FusionThresholds

__all__ = ["NEUTRAL_TEXT", "fuse", "paragraph_from_cues"]

NEUTRAL_TEXT = "No cue points to a particular emotion; the person seems neutral."

_ADJECTIVE = {
    "happy": "happy",
    "excited": "excited",
    "angry": "angry",
    "sad": "sad",
    "surprised": "surprised",
    "worried": "worried",
    "calm": "calm",
    "neutral": "neutral",
}


@dataclass
class _Reason:
    phrase: str  # "the smile", for the reasoning sentence
    supports: list[ProposedCue] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Label:
    name: str
    score: float = 0.0
    reasons: list[_Reason] = field(default_factory=list)

    def add(self, weight: float, reason: _Reason | None) -> None:
        self.score += weight
        if reason is not None and all(r.phrase != reason.phrase for r in self.reasons):
            self.reasons.append(reason)


def _finder(cues: Iterable[ProposedCue]) -> Callable[..., list[ProposedCue]]:
    pool = [c for c in cues if c.kind != "unobservable"]

    def find(*groups: tuple[str, ...]) -> list[ProposedCue]:
        """Cues whose text contains one word of every group."""
        return [c for c in pool if all(any(w in c.text.lower() for w in g) for g in groups)]

    return find


def _num(summary: dict[str, Any] | None, key: str) -> float | None:
    if not summary:
        return None
    value = summary.get(key)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def fuse(
    *,
    visual: ModalityResult | None,
    auditory: ModalityResult | None,
    text: ModalityResult | None,
    thresholds: FusionThresholds = FUSION,
) -> ModalityResult:
    """The fused emotion estimate of one clip.

    Args:
        visual, auditory, text: the analyses (None for one that failed; its unobservable
            cue is then expected among the other results' cues by the caller).
        thresholds: rule thresholds.
    Returns:
        A :class:`ModalityResult` with emotional cues of kind "inference", and summary
        ``emotions``, ``valence``, ``arousal`` and ``description``.
    Example:
        >>> fuse(visual=v, auditory=a, text=t).summary["emotions"][0]  # doctest: +SKIP
        ('happy', 0.83)
    """
    t = thresholds
    vs = visual.summary if visual else {}
    aus = auditory.summary if auditory else {}
    ts = text.summary if text else {}
    vfind = _finder(visual.cues if visual else ())
    afind = _finder([c for c in (auditory.cues if auditory else ()) if c.kind != "subtitle"])
    tfind = _finder([c for c in (text.cues if text else ()) if c.kind == "subtitle"])

    def frac(key: str) -> float:
        return _num(vs, key) or 0.0

    face = (_num(vs, "face_fraction") or 0.0) > 0
    smile = face and frac("smile_fraction") >= t.smile_fraction
    furrow = face and frac("brow_furrow_fraction") >= t.brow_furrow_fraction
    raise_ = face and frac("brow_raise_fraction") >= t.brow_raise_fraction
    widen = face and frac("eye_widen_fraction") >= t.eye_widen_fraction
    gaze_away = face and frac("gaze_away_fraction") >= t.gaze_away_fraction
    arousal = _num(aus, "arousal")
    high = arousal is not None and arousal >= t.high_arousal
    low = arousal is not None and arousal <= t.low_arousal
    valence_text = _num(ts, "valence") if ts.get("analysable") else None
    positive = valence_text is not None and valence_text >= t.positive_valence
    negative = valence_text is not None and valence_text <= t.negative_valence
    counts = ts.get("emotion_counts", {}) if ts.get("analysable") else {}
    exclaim = bool(ts.get("exclamation")) and bool(ts.get("analysable"))
    question = bool(ts.get("question")) and bool(ts.get("analysable"))
    rises = int(aus.get("final_rises") or 0)

    def visual_reason(phrase: str, key: str, *groups: tuple[str, ...]) -> _Reason:
        return _Reason(phrase, vfind(*groups), {key: vs.get(key)})

    r_smile = visual_reason("the smile", "smile_fraction", ("smil",))
    r_furrow = visual_reason(
        "the furrowed brows",
        "brow_furrow_fraction",
        ("brow",),
        ("furrow", "frown", "knit", "lower", "drawn"),
    )
    r_raise = visual_reason("the raised eyebrows", "brow_raise_fraction", ("brow",), ("rais",))
    r_widen = visual_reason("the widened eyes", "eye_widen_fraction", ("eye",), ("wide",))
    r_gaze = visual_reason("the averted gaze", "gaze_away_fraction", ("gaze",), ("away",))
    arousal_cues = afind(
        ("voice is loud", "grows louder", "pitch is high", "energetic", "fast", "varies widely")
    )
    r_high = _Reason(
        "the energetic voice" if arousal_cues else "the vocal arousal",
        arousal_cues,
        {"arousal": arousal},
    )
    r_low = _Reason(
        "the subdued voice",
        afind(("subdued", "voice is quiet", "slow", "flat")),
        {"arousal": arousal},
    )
    r_rise = _Reason("the rising pitch", afind(("rises",)), {"final_rises": rises})
    r_pos = _Reason("the positive words", tfind(("positive",)), {"valence": valence_text})
    r_neg = _Reason("the negative words", tfind(("negative",)), {"valence": valence_text})
    r_excl = _Reason("the exclamation", tfind(("exclamation",)), {"exclamation": exclaim})
    r_quest = _Reason("the question", tfind(("question",)), {"question": question})

    def words(emotion: str) -> _Reason:
        return _Reason(
            f"the {emotion} words",
            tfind((f"express {emotion}",)),
            {f"nrc_{emotion}": counts.get(emotion, 0)},
        )

    labels = {
        name: _Label(name)
        for name in ("happy", "excited", "angry", "sad", "surprised", "worried", "calm")
    }
    if smile:
        labels["happy"].add(0.45 + 0.3 * frac("smile_fraction"), r_smile)
    if positive:
        labels["happy"].add(0.35 * valence_text, r_pos)
    elif negative and smile:  # a smile over negative words: sarcasm or politeness, not joy
        labels["happy"].score += 0.35 * valence_text
    if counts.get("joy") and not negative:
        labels["happy"].add(0.1, words("joy"))
    if high and (positive or (smile and not negative)):
        labels["excited"].add(0.35, r_high)
        labels["excited"].add(0.25, r_pos if positive else r_smile)
        if exclaim:
            labels["excited"].add(0.1, r_excl)
    if furrow:
        labels["angry"].add(0.35, r_furrow)
    if high and (negative or furrow):
        labels["angry"].add(0.25, r_high)
    if negative:
        labels["angry"].add(0.3 if high else 0.1, r_neg)
        if exclaim:
            labels["angry"].add(0.1, r_excl)
    if counts.get("anger") and not positive:
        labels["angry"].add(0.15, words("anger"))
    if (negative or counts.get("sadness")) and not high and not smile:
        labels["sad"].add(0.3 if negative else 0.0, r_neg if negative else None)
        if counts.get("sadness"):
            labels["sad"].add(0.2, words("sadness"))
        labels["sad"].add(0.25 if low else 0.15, r_low if low else None)
    if raise_ and widen:
        labels["surprised"].add(0.4, r_raise)
        labels["surprised"].reasons.append(r_widen)
    if raise_ or widen or rises or counts.get("surprise"):
        if question or exclaim:
            labels["surprised"].add(0.15, r_quest if question else r_excl)
        if rises:
            labels["surprised"].add(0.15, r_rise)
        if counts.get("surprise"):
            labels["surprised"].add(0.1, words("surprise"))
        if high and labels["surprised"].score > 0:
            labels["surprised"].add(0.1, r_high)
    if counts.get("fear") and not positive:
        labels["worried"].add(0.3, words("fear"))
        if negative and not high:
            labels["worried"].add(0.15, r_neg)
        if furrow or raise_:
            labels["worried"].add(0.15, r_furrow if furrow else r_raise)
        if gaze_away:
            labels["worried"].add(0.1, r_gaze)
    if low and not positive and not negative:
        labels["calm"].add(0.35, r_low)
        if valence_text is not None:
            labels["calm"].add(0.1, None)

    ranked = sorted(
        (lab for lab in labels.values() if lab.score >= t.min_label_score),
        key=lambda lab: -lab.score,
    )[: t.max_labels]
    emotions = [(lab.name, round(min(lab.score, 1.0), 2)) for lab in ranked]
    result = ModalityResult()
    for lab in ranked:
        result.cues.append(_inference_cue(lab))
    if not emotions:
        emotions = [("neutral", t.neutral_score)]
        observed = [
            c.text
            for c in (
                *(visual.cues if visual else ()),
                *(auditory.cues if auditory else ()),
                *(text.cues if text else ()),
            )
            if c.kind != "unobservable"
        ]
        if observed:
            result.cues.append(
                ProposedCue(
                    "emotional",
                    NEUTRAL_TEXT,
                    None,
                    None,
                    round(t.neutral_score, 2),
                    {
                        "rule": "neutral: no label reached min_label_score",
                        "threshold": t.min_label_score,
                        "supports": [],
                    },
                    kind="inference",
                )
            )
    valence_parts = [
        v
        for v in (
            valence_text,
            (frac("smile_fraction") - frac("brow_furrow_fraction")) if face else None,
        )
        if v is not None
    ]
    result.summary = {
        "emotions": emotions,
        "valence": round(sum(valence_parts) / len(valence_parts), 3) if valence_parts else None,
        "arousal": arousal,
        "description": _paragraph(visual, auditory, text, emotions, result.cues),
    }
    return result


def _inference_cue(label: _Label) -> ProposedCue:
    reasons = [r for r in label.reasons if r.phrase]
    phrases = [r.phrase for r in reasons]
    joined = (
        (phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1])
        if phrases
        else "the cues"
    )
    verb = "suggests" if len(phrases) == 1 and not phrases[0].endswith("s") else "suggest"
    text = f"{joined[0].upper()}{joined[1:]} {verb} that the person is {_ADJECTIVE[label.name]}."
    supports = [c for r in reasons for c in r.supports]
    timed = [c for c in supports if c.start_ms is not None]
    start = min((c.start_ms for c in timed), default=None)
    end = max((c.end_ms for c in timed), default=None) if timed else None
    return ProposedCue(
        "emotional",
        text,
        start,
        end,
        round(min(label.score, 1.0), 2),
        {
            "rule": label.name,
            "score": round(label.score, 3),
            "supports": list(dict.fromkeys(c.text for c in supports)),
            "values": {k: v for r in reasons for k, v in r.values.items()},
        },
        kind="inference",
    )


def paragraph_from_cues(
    cues: Iterable[ProposedCue], emotions: list[tuple[str, float]], *, has_subtitle: bool
) -> str:
    """The EMER-style paragraph of a set of cues, as `fuse` writes it: for a proposal whose cues
    were filtered or whose emotion was re-estimated after fusion (the learned proposer).

    Args:
        cues: the cues to describe (visual, auditory, subtitle and inference cues).
        emotions: [(label or adjective, score)] best first.
        has_subtitle: whether the clip has a subtitle ("There is no subtitle." otherwise).
    Returns:
        "In the video, ... In the audio, ... Therefore, ..."
    """
    cues = list(cues)
    visual = ModalityResult(cues=[c for c in cues if c.modality == "visual"])
    auditory = ModalityResult(
        cues=[c for c in cues if c.modality == "auditory" and c.kind != "subtitle"]
    )
    text = ModalityResult(
        cues=[c for c in cues if c.kind == "subtitle"], summary={"has_subtitle": has_subtitle}
    )
    inference = [c for c in cues if c.kind == "inference"]
    return _paragraph(visual, auditory, text, list(emotions), inference)


# Unobservable cue texts that read badly after "In the audio, ".
_NO_AUDIO = {"No audio track.": "there is no audio track."}


def _sentences(cues: list[ProposedCue], limit: int = 6) -> list[str]:
    texts = list(dict.fromkeys(c.text.strip() for c in cues))[:limit]
    return [tx if tx[-1] in '.!?"' else tx + "." for tx in texts]


def _lead(prefix: str, sentences: list[str]) -> str:
    """ "In the video, the corners..." from the first sentence; the rest as they are."""
    first = sentences[0]
    if first[:1].isupper() and not first[:2].isupper() and not first.startswith("I "):
        first = first[0].lower() + first[1:]
    return " ".join([f"{prefix}, {first}", *sentences[1:]])


def _paragraph(
    visual: ModalityResult | None,
    auditory: ModalityResult | None,
    text: ModalityResult | None,
    emotions: list[tuple[str, float]],
    inference: list[ProposedCue],
) -> str:
    parts: list[str] = []
    vcues = visual.cues if visual else []
    seen = [c for c in vcues if c.kind == "observation"]
    if seen:
        parts.append(_lead("In the video", _sentences(seen)))
    else:
        missing = [c for c in vcues if c.kind == "unobservable"]
        parts.append(
            _lead("In the video", _sentences(missing))
            if missing
            else "In the video, no marked facial cue was found."
        )
    acues = [c for c in (auditory.cues if auditory else []) if c.kind != "subtitle"]
    heard = [c for c in acues if c.kind == "observation"]
    missing = [c for c in acues if c.kind == "unobservable"]
    if heard:
        parts.append(_lead("In the audio", _sentences(heard)))
        if missing:
            parts.append(" ".join(_sentences(missing)))
    elif missing:
        parts.append(_lead("In the audio", [_NO_AUDIO.get(tx, tx) for tx in _sentences(missing)]))
    else:
        parts.append("In the audio, no marked vocal cue was found.")
    tcues = text.cues if text else []
    quotes = [c.text for c in tcues if c.kind == "subtitle" and c.text.startswith('"')]
    derived = [c for c in tcues if c.kind == "subtitle" and not c.text.startswith('"')]
    if quotes:
        said = quotes[0] if len(quotes) == 1 else ", ".join(quotes[:-1]) + " and " + quotes[-1]
        # a quote that ends a sentence (English or Chinese punctuation) needs no full stop
        ends = said[-2:-1] in (".", "!", "?", "。", "！", "？", "…")
        sentence = f"In the text, the person says {said}" + ("" if ends else ".")
        parts.append(" ".join([sentence, *_sentences(derived)]))
    else:
        missing = [c for c in tcues if c.kind == "unobservable"]
        if missing:
            parts.append(" ".join(_sentences(missing)))
        elif text is not None and not text.summary.get("has_subtitle"):
            parts.append("There is no subtitle.")
    names = [_ADJECTIVE.get(name, name) for name, _ in emotions]
    if inference and names:
        state = (
            names[0] if len(names) == 1 else f"{names[0]}, possibly also {' and '.join(names[1:])}"
        )
        parts.append(f"Therefore, it is inferred that their emotional state is {state}.")
    else:
        parts.append(
            "Therefore, no particular emotion can be inferred; their emotional state seems neutral."
        )
    return " ".join(parts)
