"""EmoCue-360: cue-level scoring of emotion explanations, and the cue extractor.

Public API::

    from inference.emocue360 import score, Scorer, extract_cues, RuleCueExtractor

No Django here: the web app calls into this package, never the other way round.
"""

from .cache import EmbeddingCache, EmbeddingStore, MemoryEmbeddingStore, SQLiteEmbeddingStore
from .chat import ChatCueExtractor, CueExtractionError, parse_chat_answer
from .cues import MODALITIES, Cue, cue_set_to_json, parse_cue_file
from .embedding import DEFAULT_MODEL_NAME, Encoder, SentenceTransformerEncoder
from .extract import CueExtractor, RuleCueExtractor, extract_cues, extract_many
from .metric import (
    DEFAULT_TAU,
    METRIC_VERSION,
    MODES,
    VARIANTS,
    Scorer,
    check_inputs,
    default_scorer,
    score,
)

__all__ = [
    "DEFAULT_MODEL_NAME",
    "DEFAULT_TAU",
    "METRIC_VERSION",
    "MODALITIES",
    "MODES",
    "VARIANTS",
    "ChatCueExtractor",
    "Cue",
    "CueExtractionError",
    "CueExtractor",
    "EmbeddingCache",
    "EmbeddingStore",
    "Encoder",
    "MemoryEmbeddingStore",
    "RuleCueExtractor",
    "SQLiteEmbeddingStore",
    "Scorer",
    "SentenceTransformerEncoder",
    "check_inputs",
    "cue_set_to_json",
    "default_scorer",
    "extract_cues",
    "extract_many",
    "parse_chat_answer",
    "parse_cue_file",
    "score",
]
