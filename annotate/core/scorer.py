"""The EmoCue-360 scorer every process shares: one sentence model, loaded lazily (torch stays
out of processes that never score), with embeddings cached in the database."""

from annotate.core.embedding_store import DatabaseEmbeddingStore
from inference.emocue360 import Scorer

_scorer: Scorer | None = None


def scorer_get() -> Scorer:
    """The worker's scorer: all-MiniLM-L6-v2 loaded once per process, embeddings in the
    shared database table."""
    global _scorer
    if _scorer is None:
        _scorer = Scorer(store=DatabaseEmbeddingStore())
    return _scorer
