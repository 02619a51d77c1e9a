"""Subtitle cues: what is said, its polarity, emotion words, questions, exclamations and
negations, for English and Chinese subtitles.

English: VADER for polarity and the NRC emotion lexicon for emotion words (english.py).
Chinese: jieba's segmentation, an emotion lexicon (EmoCue's built-in one, or a lab's DUTIR
file), negation and degree adverbs, scored by VADER's rules (chinese.py); English words inside
a Chinese subtitle are read with the English lexicons. Both give the same cues.

The subtitle is an input the annotator can read, so every cue here is of kind "subtitle"
(modality "auditory": EMER descriptions treat the words as part of the audio, and
EmoCue-360's strict mode recognises such cues by kind and leaves them out of scoring).
Cues are timed by the subtitle segment they come from, untimed (``None``) when the
subtitle is plain text. A subtitle in another language or script gets a note and one
"unobservable" cue instead.

Summary keys (read by the fusion step):
    has_subtitle, analysable (bools); language ("en", "zh", or a description such as
    "Hangul script"); lexicon (the word lists read); valence (the compound score of the
    whole text, in [-1, 1]; None when not analysable); emotion_counts ({emotion: words});
    emotion_words ({emotion: [words]}); question, exclamation, negation (bools); n_tokens;
    traditional (a Chinese subtitle read after conversion to simplified characters).

Example:
    >>> analyse_text(clip).summary["valence"]  # doctest: +SKIP
    0.7574
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Any

from inference.proposers.base import ClipInput, ProposedCue

from .chinese import analyse_chinese, load_chinese_lexicon
from .common import ModalityResult
from .english import NRC_EMOTIONS, is_negation, nrc_lookup, vader
from .thresholds import TEXT, TextThresholds

__all__ = ["analyse_text", "NRC_EMOTIONS"]

# Cues name only the six basic emotions: NRC tags "trust" and "anticipation" on many
# everyday words ("good", "ready", "table"), which would make noise as cues; DUTIR's "good"
# (praise, respect) likewise.
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
_ENGLISH_LEXICONS = "VADER + NRC Emotion Lexicon"


def _script_of(text: str) -> tuple[float, str]:
    """Share of letters that are Latin, and the name of the commonest other script."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 1.0, "no letters"
    scripts: Counter[str] = Counter()
    latin = 0
    for ch in letters:
        name = unicodedata.name(ch, "")
        if name.startswith(("LATIN", "FULLWIDTH LATIN")):
            latin += 1
        else:
            first = name.split(" ")[0] if name else "unknown"
            scripts["Han" if first == "CJK" else first.title()] += 1
    other = scripts.most_common(1)[0][0] if scripts else "Latin"
    return latin / len(letters), other


def _is_chinese(text: str, t: TextThresholds) -> bool:
    """Han characters, at least as many as Latin words (a character carries about a word),
    and next to no kana or Hangul (Japanese and Korean also write Han characters)."""
    han = kana = 0
    for ch in text:
        name = unicodedata.name(ch, "") if ch.isalpha() else ""
        if name.startswith("CJK"):
            han += 1
        elif name.startswith(("HIRAGANA", "KATAKANA", "HANGUL")):
            kana += 1
    latin_words = len(_TOKEN.findall(unicodedata.normalize("NFKC", text)))
    return (
        han > 0
        and han >= t.min_han_per_latin_word * latin_words
        and kana <= t.max_kana_hangul_fraction * (han + kana)
    )


def _english_share(tokens: list[str]) -> float:
    if not tokens:
        return 0.0
    words = vader().lexicon
    known = sum(1 for tok in tokens if tok in _STOPWORDS or tok in words or nrc_lookup(tok))
    return known / len(tokens)


def _analyse_span(text: str) -> dict[str, Any]:
    tokens = [tok.lower().replace("\u2019", "'") for tok in _TOKEN.findall(text)]
    emotion_words: dict[str, list[str]] = {}
    for tok in tokens:
        for category in nrc_lookup(tok):
            words = emotion_words.setdefault(category, [])
            if tok not in words:
                words.append(tok)
    negations = [tok for tok in tokens if is_negation(tok)]
    return {
        "tokens": tokens,
        "valence": round(vader().polarity_scores(text)["compound"], 4),
        "emotion_words": emotion_words,
        "question": "?" in text or "\uff1f" in text,
        "question_marker": "?",
        "exclamation": "!" in text or "\uff01" in text,
        "negations": negations,
    }


def analyse_text(clip: ClipInput, *, thresholds: TextThresholds = TEXT) -> ModalityResult:
    """Subtitle cues of one clip.

    Args:
        clip: the clip; reads ``subtitle_text`` and ``subtitle_segments``.
        thresholds: polarity cut-offs, the language-detection shares and the Chinese lexicon.
    Returns:
        A :class:`ModalityResult` whose cues are auditory cues of kind "subtitle" (or one
        "unobservable" cue for a subtitle in neither English nor Chinese), with the summary
        described in the module docstring.
    Raises:
        LexiconError: the Chinese lexicon file set in the thresholds cannot be used.
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
        "lexicon": None,
        "valence": None,
        "emotion_counts": {},
        "emotion_words": {},
        "question": False,
        "exclamation": False,
        "negation": False,
        "n_tokens": 0,
        "traditional": False,
    }
    result.summary = summary
    text = " ".join((clip.subtitle_text or "").split())
    if not text and clip.subtitle_segments:
        text = " ".join(seg.text for seg in clip.subtitle_segments if seg.text.strip())
    if not text:
        result.notes.append("The clip has no subtitle: no text cues.")
        return result
    summary["has_subtitle"] = True

    if _is_chinese(text, t):
        lexicon = load_chinese_lexicon(t.chinese_lexicon)
        summary["language"] = "zh"
        summary["lexicon"] = lexicon.name

        def analyse(span: str) -> dict[str, Any]:
            return analyse_chinese(span, lexicon)

        how = _Reading(
            valence_feature="lexicon_valence",
            emotion_prefix="lexicon",
            source=lexicon.name,
            language="zh",
        )
    else:
        latin, script = _script_of(text)
        tokens = [tok.lower() for tok in _TOKEN.findall(text)]
        english = _english_share(tokens) if latin >= t.min_latin_fraction else 0.0
        if latin < t.min_latin_fraction or english < t.min_english_fraction:
            _not_analysable(result, clip, t, latin, english, script)
            result.timings["text"] = time.perf_counter() - started
            return result
        summary["language"] = "en"
        summary["lexicon"] = _ENGLISH_LEXICONS
        analyse = _analyse_span
        how = _Reading(
            valence_feature="vader_compound",
            emotion_prefix="nrc",
            source="NRC Emotion Lexicon",
            language="en",
        )

    summary["analysable"] = True
    whole = analyse(text)
    summary["valence"] = whole["valence"]
    summary["emotion_words"] = whole["emotion_words"]
    summary["emotion_counts"] = {cat: len(words) for cat, words in whole["emotion_words"].items()}
    summary["question"] = whole["question"]
    summary["exclamation"] = whole["exclamation"]
    summary["negation"] = bool(whole["negations"])
    summary["n_tokens"] = len(whole["tokens"])
    summary["traditional"] = bool(whole.get("traditional"))

    spans: list[tuple[str, int | None, int | None]] = [
        (" ".join(seg.text.split()), seg.start_ms, seg.end_ms)
        for seg in clip.subtitle_segments
        if seg.text.strip()
    ] or [(text, None, None)]
    for span_text, start, end in spans:
        result.cues.extend(_span_cues(span_text, start, end, t, analyse(span_text), how))
    result.timings["text"] = time.perf_counter() - started
    return result


def _not_analysable(
    result: ModalityResult,
    clip: ClipInput,
    t: TextThresholds,
    latin: float,
    english: float,
    script: str,
) -> None:
    what = (
        f"not in English or Chinese ({script} script)"
        if latin < t.min_latin_fraction
        else "not recognisably English"
    )
    result.summary["language"] = script if latin < t.min_latin_fraction else "unknown"
    result.notes.append(
        f"The subtitle is {what}: the English (VADER, NRC) and Chinese text lexicons "
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


@dataclass(frozen=True)
class _Reading:
    """How a language's words were read, for the cues' evidence."""

    valence_feature: str  # "vader_compound" or "lexicon_valence"
    emotion_prefix: str  # "nrc" or "lexicon": the feature is "<prefix>_<emotion>_words"
    source: str  # the emotion lexicon's name
    language: str


def _span_cues(
    text: str,
    start: int | None,
    end: int | None,
    t: TextThresholds,
    info: dict[str, Any],
    how: _Reading,
) -> list[ProposedCue]:
    said: dict[str, Any] = {"feature": "subtitle", "source": "subtitle text"}
    if how.language != "en":
        said["language"] = how.language
    cues = [ProposedCue("auditory", f'"{text}"', start, end, 1.0, said, kind="subtitle")]

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
    # what moved the Chinese score (the English one is VADER's own)
    scoring = (
        {
            "lexicon": how.source,
            "words": [word for word, _ in info["scored"]],
            "negated": info["negated"],
            "intensified": info["intensified"],
        }
        if "scored" in info
        else {}
    )
    if valence >= t.positive_compound:
        add(
            "The words are positive.",
            0.5 + 0.45 * valence,
            {
                "feature": how.valence_feature,
                "value": valence,
                "threshold": t.positive_compound,
                **scoring,
            },
        )
    elif valence <= t.negative_compound:
        add(
            "The words are negative.",
            0.5 + 0.45 * -valence,
            {
                "feature": how.valence_feature,
                "value": valence,
                "threshold": t.negative_compound,
                **scoring,
            },
        )
    for emotion in _CUE_EMOTIONS:
        words = info["emotion_words"].get(emotion, [])
        # Lexicons tag words out of context ("promise" is joy even in "you broke your
        # promise"): an emotion whose polarity contradicts the sentence's is counted, not cued.
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
                    "feature": f"{how.emotion_prefix}_{emotion}_words",
                    "value": len(words),
                    "words": words,
                    "threshold": 1,
                    "source": how.source,
                },
            )
    if info["question"]:
        marker = info["question_marker"]
        add(
            "It is a question.",
            0.9 if marker == "?" else 0.8,
            {"feature": "question_mark", "value": True}
            if marker == "?"
            else {"feature": "question_particle", "value": marker},
        )
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
