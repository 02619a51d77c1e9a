"""The English word lexicons the text stage reads: VADER (valence, negations, boosters) and the
NRC emotion lexicon (the JSON inside the ``nrclex`` package; no NLTK or TextBlob downloads).
Shared by the English analysis (text.py) and by English words inside Chinese subtitles
(chinese.py)."""

from __future__ import annotations

import functools
import json
from importlib import resources

__all__ = ["NRC_EMOTIONS", "booster_factor", "is_negation", "nrc_lookup", "vader"]

# The eight NRC emotions (positive/negative sentiment are counted apart).
NRC_EMOTIONS = ("anger", "anticipation", "disgust", "fear", "joy", "sadness", "surprise", "trust")
_EXTRA_NEGATIONS = frozenset(
    {"no", "nobody", "noone", "not", "never", "neither", "none", "nothing", "nowhere"}
)


@functools.lru_cache(maxsize=1)
def _nrc() -> dict[str, list[str]]:
    with resources.files("nrclex.data").joinpath("nrc_en.json").open("r", encoding="utf-8") as fh:
        return json.load(fh)


@functools.lru_cache(maxsize=1)
def vader():
    """VADER's analyser (one per process)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


@functools.lru_cache(maxsize=1)
def _negations() -> frozenset[str]:
    from vaderSentiment.vaderSentiment import NEGATE

    return frozenset(NEGATE) | _EXTRA_NEGATIONS


def is_negation(token: str) -> bool:
    """A lower-case token that negates (VADER's list plus no/nobody/nothing..., or ...n't)."""
    return token in _negations() or token.endswith("n't")


def booster_factor(token: str) -> float | None:
    """1.25 for one of VADER's boosters ("very", "so"), 0.75 for a dampener ("slightly")."""
    from vaderSentiment.vaderSentiment import BOOSTER_DICT

    scalar = BOOSTER_DICT.get(token)
    return None if scalar is None else (1.25 if scalar > 0 else 0.75)


def nrc_lookup(token: str) -> list[str]:
    """NRC categories of a lower-case token, trying a few plain English suffixes (the lexicon
    lists base forms: "waited" -> "wait", "promises" -> "promise")."""
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
