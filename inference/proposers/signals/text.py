"""Subtitle cues: what is said, its polarity (VADER), emotion words (NRC emotion lexicon),
questions, exclamations and negations.

The subtitle is an input the annotator can read, so every cue here is of kind "subtitle"
(modality "auditory": EMER descriptions treat the words as part of the audio, and
EmoCue-360's strict mode recognises such cues by kind and leaves them out of scoring).
Cues are timed by the subtitle segment they come from, untimed (``None``) when the
subtitle is plain text. English lexicons are applied only to English text: a subtitle in
another language or script gets a note and one "unobservable" cue instead.

No NLTK or TextBlob: tokens come from a regular expression, the NRC lexicon is read from
the JSON file that ships inside the ``nrclex`` package.

Summary keys (read by the fusion step):
    has_subtitle, analysable (bools); language ("en", or a description such as "Han
    script"); valence (VADER compound of the whole text, in [-1, 1]; None when not
    analysable); emotion_counts ({NRC category: tokens}); emotion_words ({category:
    [words]}); question, exclamation, negation (bools); n_tokens.

Example:
    >>> analyse_text(clip).summary["valence"]  # doctest: +SKIP
    0.7574
"""

from __future__ import annotations

import functools
import json
import re
import time
import unicodedata
from collections import Counter
from importlib import resources
from typing import Any

from inference.proposers.base import ClipInput, ProposedCue

from .common import ModalityResult
from .thresholds import TEXT, TextThresholds

__all__ = ["analyse_text", "NRC_EMOTIONS"]

# The eight NRC emotions (positive/negative sentiment are counted apart). Cues name only
# the first six, basic emotions: NRC tags "trust" and "anticipation" on many everyday
# words ("good", "ready", "table"), which would make noise as cues.
NRC_EMOTIONS = ("anger", "anticipation", "disgust", "fear", "joy", "sadness", "surprise", "trust")
_CUE_EMOTIONS = ("joy", "sadness", "anger", "fear", "surprise", "disgust")
_NEGATIVE_EMOTIONS = frozenset({"sadness", "anger", "fear", "disgust"})
_EMOTION_NOUN = {
    "joy": "joy",
    "sadness": "sadness",
    "anger": "anger",
    "fear": "fear",
    "surprise": "surprise",
    "disgust": "disgust",
}
_TOKEN = re.compile(r"[A-Za-z]+(?:['\u2019][A-Za-z]+)?")
# English function words: with the lexicons' vocabularies they tell English from other
# Latin-script languages.
_STOPWORDS = frozenset(
    """a about after again all also am an and any are as at be because been
before being but by can could did do does doing down for from had has have having he her here
hers him his how i if in into is it its just me more most my no nor not now of off on once
only or other our out over own same she should so some such than that the their them then
there these they this those through to too under until up very was we were what when where
which while who whom why will with would you your yours yes oh ok okay well really""".split()
)
_EXTRA_NEGATIONS = frozenset(
    {"no", "nobody", "noone", "not", "never", "neither", "none", "nothing", "nowhere"}
)


@functools.lru_cache(maxsize=1)
def _nrc() -> dict[str, list[str]]:
    with resources.files("nrclex.data").joinpath("nrc_en.json").open("r", encoding="utf-8") as fh:
        return json.load(fh)


@functools.lru_cache(maxsize=1)
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


@functools.lru_cache(maxsize=1)
def _negations() -> frozenset[str]:
    from vaderSentiment.vaderSentiment import NEGATE

    return frozenset(NEGATE) | _EXTRA_NEGATIONS


def _nrc_lookup(token: str) -> list[str]:
    """NRC categories of a token, trying a few plain English suffixes (the lexicon lists
    base forms: "waited" -> "wait", "promises" -> "promise")."""
    lexicon = _nrc()
    if token in lexicon:
        return lexicon[token]
    for suffix, repl in (
        ("ies", "y"),
        ("es", ""),
        ("s", ""),
        ("ed", ""),
        ("ed", "e"),
        ("ing", ""),
        ("ing", "e"),
        ("ly", ""),
    ):
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            base = token[: -len(suffix)] + repl
            if base in lexicon:
                return lexicon[base]
    return []


def _script_of(text: str) -> tuple[float, str]:
    """Share of letters that are Latin, and the name of the commonest other script."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 1.0, "no letters"
    scripts: Counter[str] = Counter()
    latin = 0
    for ch in letters:
        name = unicodedata.name(ch, "")
        if name.startswith("LATIN"):
            latin += 1
        else:
            first = name.split(" ")[0] if name else "unknown"
            scripts["Han" if first == "CJK" else first.title()] += 1
    other = scripts.most_common(1)[0][0] if scripts else "Latin"
    return latin / len(letters), other


def _english_share(tokens: list[str]) -> float:
    if not tokens:
        return 0.0
    vader = _vader().lexicon
    known = sum(1 for tok in tokens if tok in _STOPWORDS or tok in vader or _nrc_lookup(tok))
    return known / len(tokens)


def _analyse_span(text: str) -> dict[str, Any]:
    tokens = [tok.lower().replace("\u2019", "'") for tok in _TOKEN.findall(text)]
    emotion_words: dict[str, list[str]] = {}
    for tok in tokens:
        for category in _nrc_lookup(tok):
            words = emotion_words.setdefault(category, [])
            if tok not in words:
                words.append(tok)
    negations = [tok for tok in tokens if tok in _negations() or tok.endswith("n't")]
    return {
        "tokens": tokens,
        "valence": round(_vader().polarity_scores(text)["compound"], 4),
        "emotion_words": emotion_words,
        "question": "?" in text or "\uff1f" in text,
        "exclamation": "!" in text or "\uff01" in text,
        "negations": negations,
    }


def analyse_text(clip: ClipInput, *, thresholds: TextThresholds = TEXT) -> ModalityResult:
    """Subtitle cues of one clip.

    Args:
        clip: the clip; reads ``subtitle_text`` and ``subtitle_segments``.
        thresholds: polarity cut-offs and the English-detection shares.
    Returns:
        A :class:`ModalityResult` whose cues are auditory cues of kind "subtitle" (or one
        "unobservable" cue for a subtitle that is not English), with the summary described
        in the module docstring.
    Example:
        >>> [c.text for c in analyse_text(clip).cues][:2]  # doctest: +SKIP
        ['"We actually won the grant!"', 'The words are positive.']
    """
    t = thresholds
    started = time.perf_counter()
    result = ModalityResult()
    summary: dict[str, Any] = {
        "has_subtitle": False,
        "analysable": False,
        "language": None,
        "valence": None,
        "emotion_counts": {},
        "emotion_words": {},
        "question": False,
        "exclamation": False,
        "negation": False,
        "n_tokens": 0,
    }
    result.summary = summary
    text = " ".join((clip.subtitle_text or "").split())
    if not text and clip.subtitle_segments:
        text = " ".join(seg.text for seg in clip.subtitle_segments if seg.text.strip())
    if not text:
        result.notes.append("The clip has no subtitle: no text cues.")
        return result
    summary["has_subtitle"] = True

    latin, script = _script_of(text)
    tokens = [tok.lower() for tok in _TOKEN.findall(text)]
    english = _english_share(tokens) if latin >= t.min_latin_fraction else 0.0
    if latin < t.min_latin_fraction or english < t.min_english_fraction:
        what = (
            f"not in English ({script} script)"
            if latin < t.min_latin_fraction
            else "not recognisably English"
        )
        summary["language"] = script if latin < t.min_latin_fraction else "unknown"
        result.notes.append(
            f"The subtitle is {what}: the English text lexicons (VADER, NRC) "
            "were not applied, so the text was not analysed."
        )
        timed = clip.subtitle_segments
        start = min(seg.start_ms for seg in timed) if timed else None
        end = max(seg.end_ms for seg in timed) if timed else None
        result.cues.append(
            ProposedCue(
                "auditory",
                f"The subtitle is {what} and could not be analysed.",
                start,
                end,
                0.9,
                {
                    "feature": "subtitle_language",
                    "latin_letter_fraction": round(latin, 3),
                    "english_token_fraction": round(english, 3),
                    "script": script,
                    "threshold_latin": t.min_latin_fraction,
                    "threshold_english": t.min_english_fraction,
                },
                kind="unobservable",
            )
        )
        result.timings["text"] = time.perf_counter() - started
        return result

    summary["analysable"] = True
    summary["language"] = "en"
    whole = _analyse_span(text)
    summary["valence"] = whole["valence"]
    summary["emotion_words"] = whole["emotion_words"]
    summary["emotion_counts"] = {cat: len(words) for cat, words in whole["emotion_words"].items()}
    summary["question"] = whole["question"]
    summary["exclamation"] = whole["exclamation"]
    summary["negation"] = bool(whole["negations"])
    summary["n_tokens"] = len(whole["tokens"])

    spans: list[tuple[str, int | None, int | None]] = [
        (" ".join(seg.text.split()), seg.start_ms, seg.end_ms)
        for seg in clip.subtitle_segments
        if seg.text.strip()
    ] or [(text, None, None)]
    for span_text, start, end in spans:
        result.cues.extend(_span_cues(span_text, start, end, t))
    result.timings["text"] = time.perf_counter() - started
    return result


def _span_cues(
    text: str, start: int | None, end: int | None, t: TextThresholds
) -> list[ProposedCue]:
    info = _analyse_span(text)
    cues = [
        ProposedCue(
            "auditory",
            f'"{text}"',
            start,
            end,
            1.0,
            {"feature": "subtitle", "source": "subtitle text"},
            kind="subtitle",
        )
    ]

    def add(cue_text: str, confidence: float, evidence: dict[str, Any]) -> None:
        cues.append(
            ProposedCue(
                "auditory",
                cue_text,
                start,
                end,
                round(confidence, 2),
                {"subtitle": text, **evidence},
                kind="subtitle",
            )
        )

    valence = info["valence"]
    if valence >= t.positive_compound:
        add(
            "The words are positive.",
            0.5 + 0.45 * valence,
            {"feature": "vader_compound", "value": valence, "threshold": t.positive_compound},
        )
    elif valence <= t.negative_compound:
        add(
            "The words are negative.",
            0.5 + 0.45 * -valence,
            {"feature": "vader_compound", "value": valence, "threshold": t.negative_compound},
        )
    for emotion in _CUE_EMOTIONS:
        words = info["emotion_words"].get(emotion, [])
        # NRC tags words out of context ("promise" is joy even in "you broke your promise"):
        # an emotion whose polarity contradicts the sentence's is counted, not cued.
        if emotion == "joy" and valence <= t.negative_compound:
            continue
        if emotion in _NEGATIVE_EMOTIONS and valence >= t.positive_compound:
            continue
        if words:
            quoted = ", ".join(f'"{w}"' for w in words)
            add(
                f"The words express {_EMOTION_NOUN[emotion]} ({quoted}).",
                min(0.5 + 0.1 * len(words), 0.8),
                {
                    "feature": f"nrc_{emotion}_words",
                    "value": len(words),
                    "words": words,
                    "threshold": 1,
                    "source": "NRC Emotion Lexicon",
                },
            )
    if info["question"]:
        add("It is a question.", 0.9, {"feature": "question_mark", "value": True})
    if info["exclamation"]:
        add("It is an exclamation.", 0.9, {"feature": "exclamation_mark", "value": True})
    if info["negations"]:
        quoted = ", ".join(f'"{w}"' for w in dict.fromkeys(info["negations"]))
        add(
            f"The sentence contains a negation ({quoted}).",
            0.85,
            {
                "feature": "negation_words",
                "value": len(info["negations"]),
                "words": list(dict.fromkeys(info["negations"])),
            },
        )
    return cues
