"""EmoCue-360's persistent embedding store as a database table (inference.emocue360's
EmbeddingStore protocol): every web process and worker shares one cache."""

from collections.abc import Mapping, Sequence

import numpy as np

from annotate.core.models import CueEmbedding

_CHUNK = 500  # keeps IN (...) lists within SQLite's variable limit


class DatabaseEmbeddingStore:
    def get_many(self, model_id: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        keys = list(keys)
        for start in range(0, len(keys), _CHUNK):
            rows = CueEmbedding.objects.filter(
                model_id=model_id, text_sha256__in=keys[start : start + _CHUNK]
            ).values_list("text_sha256", "dim", "vector")
            for key, dim, vector in rows:
                array = np.frombuffer(bytes(vector), dtype="<f4")
                if array.shape == (dim,):
                    found[key] = array
        return found

    def put_many(self, model_id: str, items: Mapping[str, np.ndarray]) -> None:
        rows = []
        for key, vector in items.items():
            array = np.ascontiguousarray(vector, dtype="<f4").reshape(-1)
            rows.append(
                CueEmbedding(
                    model_id=model_id, text_sha256=key, dim=array.shape[0], vector=array.tobytes()
                )
            )
        # A vector another worker stored first is the same vector: keep theirs.
        CueEmbedding.objects.bulk_create(rows, batch_size=_CHUNK, ignore_conflicts=True)
