"""Embedding cache: an in-process layer over a pluggable persistent store.

Keys are (model id, sha256 of the cue text). The persistent store is anything with
``get_many``/``put_many`` (:class:`EmbeddingStore`): the SQLite file store here for the
command line and single machines, a database-table store in the Django app.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from .embedding import Encoder


def text_key(text: str) -> str:
    """The cache key of a text: hex sha256 of its UTF-8 bytes (no normalisation)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@runtime_checkable
class EmbeddingStore(Protocol):
    """A persistent map (model_id, text_sha256) -> float32 vector, shared by workers.

    Implementations must be safe to call from several processes at once; ``put_many``
    of a key that is already present is not an error (first write wins or last write
    wins: both are the same vector for the same model).
    """

    def get_many(self, model_id: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """Return the vectors found, by key; missing keys are simply absent."""
        ...

    def put_many(self, model_id: str, items: Mapping[str, np.ndarray]) -> None:
        """Store vectors by key."""
        ...


class MemoryEmbeddingStore:
    """An EmbeddingStore in a dict: for tests and for one-process use."""

    def __init__(self) -> None:
        self._data: dict[tuple[str, str], np.ndarray] = {}
        self.gets = 0
        self.puts = 0

    def get_many(self, model_id: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        self.gets += 1
        return {k: self._data[(model_id, k)] for k in keys if (model_id, k) in self._data}

    def put_many(self, model_id: str, items: Mapping[str, np.ndarray]) -> None:
        self.puts += 1
        for k, v in items.items():
            self._data[(model_id, k)] = np.asarray(v, dtype=np.float32).copy()

    def __len__(self) -> int:
        return len(self._data)


class SQLiteEmbeddingStore:
    """An EmbeddingStore in one SQLite file that several processes may share.

    WAL journal (readers never block the writer), a busy timeout for concurrent writers,
    ``INSERT OR IGNORE`` so racing writers of one key cannot fail. Connections are per
    process and thread, so the object survives a fork (Celery prefork workers).

    Args:
        path: the database file; its folder is created if needed.
        timeout_s: how long a writer waits for the lock.
    """

    _SCHEMA = (
        "CREATE TABLE IF NOT EXISTS embedding ("
        " model_id TEXT NOT NULL,"
        " text_sha256 TEXT NOT NULL,"
        " dim INTEGER NOT NULL,"
        " vector BLOB NOT NULL,"
        " PRIMARY KEY (model_id, text_sha256)"
        ") WITHOUT ROWID"
    )
    _CHUNK = 500  # stay under SQLite's host-parameter limit

    def __init__(self, path: str | Path, *, timeout_s: float = 60.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.timeout_s = timeout_s
        self._local = threading.local()
        conn = self._connection()
        with conn:
            conn.execute(self._SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            conn = sqlite3.connect(self.path, timeout=self.timeout_s, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            self._local.pid = os.getpid()
        return conn

    def get_many(self, model_id: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        conn = self._connection()
        found: dict[str, np.ndarray] = {}
        keys = list(keys)
        for start in range(0, len(keys), self._CHUNK):
            chunk = keys[start : start + self._CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                f"SELECT text_sha256, dim, vector FROM embedding "
                f"WHERE model_id = ? AND text_sha256 IN ({marks})",
                [model_id, *chunk],
            )
            for key, dim, blob in rows:
                vector = np.frombuffer(blob, dtype="<f4")
                if vector.shape[0] == dim:
                    found[key] = vector
        return found

    def put_many(self, model_id: str, items: Mapping[str, np.ndarray]) -> None:
        if not items:
            return
        rows = []
        for key, vector in items.items():
            v = np.ascontiguousarray(vector, dtype="<f4").ravel()
            rows.append((model_id, key, int(v.shape[0]), v.tobytes()))
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(
                "INSERT OR IGNORE INTO embedding (model_id, text_sha256, dim, vector) "
                "VALUES (?, ?, ?, ?)",
                rows,
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def __len__(self) -> int:
        return self._connection().execute("SELECT COUNT(*) FROM embedding").fetchone()[0]


class EmbeddingCache:
    """Embeds texts once: memory first, then the persistent store, then the encoder.

    Args:
        encoder: the sentence encoder; its ``model_id`` is half of every key.
        store: optional persistent :class:`EmbeddingStore` shared with other workers.

    Attributes:
        encoded: how many texts the encoder was actually asked to embed (for tests and
            benchmarks).
    """

    def __init__(self, encoder: Encoder, store: EmbeddingStore | None = None) -> None:
        self.encoder = encoder
        self.store = store
        self._memory: dict[str, np.ndarray] = {}
        self.encoded = 0
        self.last_encoded = 0

    @property
    def model_id(self) -> str:
        return self.encoder.model_id

    def embed_unique(
        self, texts: Iterable[str], *, progress: bool = False, chunk: int = 1024
    ) -> dict[str, np.ndarray]:
        """Return {text: vector} for every distinct text, encoding only cache misses.

        Misses are encoded shortest first, so batches pad little; with ``progress`` a tqdm
        bar on stderr follows chunks of ``chunk`` texts.
        """
        model_id = self.encoder.model_id
        self.last_encoded = 0
        by_key: dict[str, str] = {}
        for text in texts:
            by_key.setdefault(text_key(text), text)
        memory_key = {k: f"{model_id}\x00{k}" for k in by_key}
        missing = [k for k in by_key if memory_key[k] not in self._memory]
        if missing and self.store is not None:
            for key, vector in self.store.get_many(model_id, missing).items():
                self._memory[memory_key[key]] = np.asarray(vector, dtype=np.float32)
            missing = [k for k in missing if memory_key[k] not in self._memory]
        if missing:
            missing.sort(key=lambda k: (len(by_key[k]), by_key[k]))
            ordered = [by_key[k] for k in missing]
            if progress and len(ordered) > chunk:
                from tqdm import tqdm

                parts = []
                with tqdm(total=len(ordered), desc="embedding cues", unit="cue") as bar:
                    for start in range(0, len(ordered), chunk):
                        parts.append(
                            np.asarray(self.encoder.encode(ordered[start : start + chunk]))
                        )
                        bar.update(len(parts[-1]))
                vectors = np.concatenate(parts)
            else:
                vectors = np.asarray(self.encoder.encode(ordered))
            if vectors.shape[0] != len(missing):
                raise ValueError(
                    f"encoder {model_id!r} returned {vectors.shape[0]} vectors "
                    f"for {len(missing)} texts"
                )
            self.encoded += len(missing)
            self.last_encoded = len(missing)
            fresh = {k: vectors[i].astype(np.float32) for i, k in enumerate(missing)}
            for k, v in fresh.items():
                self._memory[memory_key[k]] = v
            if self.store is not None:
                self.store.put_many(model_id, fresh)
        return {text: self._memory[memory_key[k]] for k, text in by_key.items()}

    def clear_memory(self) -> None:
        """Drop the in-process layer (the persistent store keeps its vectors)."""
        self._memory.clear()
