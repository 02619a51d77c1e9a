"""The embedding cache: memory layer, pluggable store, SQLite file shared by processes."""

from __future__ import annotations

import multiprocessing

import numpy as np
import pytest

from inference.emocue360 import (
    EmbeddingCache,
    EmbeddingStore,
    MemoryEmbeddingStore,
    Scorer,
    SQLiteEmbeddingStore,
)
from inference.emocue360.cache import text_key

from .conftest import LetterCountEncoder, TableEncoder

TABLE = {"a": [1, 0, 0], "bb": [0, 1, 0], "ccc": [0, 0, 1]}


def test_stores_satisfy_the_protocol(tmp_path):
    assert isinstance(MemoryEmbeddingStore(), EmbeddingStore)
    assert isinstance(SQLiteEmbeddingStore(tmp_path / "e.sqlite"), EmbeddingStore)


def test_memory_layer_encodes_each_unique_text_once_shortest_first():
    encoder = TableEncoder(TABLE)
    cache = EmbeddingCache(encoder)
    first = cache.embed_unique(["ccc", "a", "ccc", "bb", "a"])
    assert encoder.calls == [["a", "bb", "ccc"]]
    assert list(first) == ["ccc", "a", "bb"]
    np.testing.assert_array_equal(first["bb"], [0, 1, 0])
    cache.embed_unique(["a", "bb"])
    assert len(encoder.calls) == 1 and cache.last_encoded == 0


def test_store_is_read_before_the_encoder_and_written_after():
    store = MemoryEmbeddingStore()
    EmbeddingCache(TableEncoder(TABLE), store).embed_unique(["a", "bb"])
    assert len(store) == 2
    encoder = TableEncoder(TABLE)
    vectors = EmbeddingCache(encoder, store).embed_unique(["a", "bb", "ccc"])
    assert encoder.calls == [["ccc"]]
    np.testing.assert_array_equal(vectors["a"], [1, 0, 0])


def test_keys_include_the_model_id():
    store = MemoryEmbeddingStore()
    EmbeddingCache(TableEncoder(TABLE, model_id="m1"), store).embed_unique(["a"])
    other = TableEncoder({"a": [0, 0, 1]}, model_id="m2")
    vectors = EmbeddingCache(other, store).embed_unique(["a"])
    assert other.calls == [["a"]]
    np.testing.assert_array_equal(vectors["a"], [0, 0, 1])


def test_sqlite_round_trip_and_missing_keys(tmp_path):
    store = SQLiteEmbeddingStore(tmp_path / "sub" / "e.sqlite")
    vector = np.array([0.25, -1.5, 3.0], dtype=np.float32)
    store.put_many("m", {text_key("x"): vector})
    store.put_many("m", {text_key("x"): vector})  # a second writer of one key is fine
    found = store.get_many("m", [text_key("x"), text_key("y")])
    assert list(found) == [text_key("x")]
    np.testing.assert_array_equal(found[text_key("x")], vector)
    assert store.get_many("other-model", [text_key("x")]) == {}
    reopened = SQLiteEmbeddingStore(tmp_path / "sub" / "e.sqlite")
    assert len(reopened) == 1


def test_sqlite_get_many_beyond_the_parameter_limit(tmp_path):
    store = SQLiteEmbeddingStore(tmp_path / "e.sqlite")
    items = {text_key(str(i)): np.full(4, i, dtype=np.float32) for i in range(1300)}
    store.put_many("m", items)
    found = store.get_many("m", list(items))
    assert len(found) == 1300
    assert found[text_key("1299")][0] == 1299


def _writer(path: str, start: int, queue) -> None:
    store = SQLiteEmbeddingStore(path, timeout_s=60)
    for batch in range(10):
        items = {
            text_key(f"t{i}"): np.full(8, i, dtype=np.float32)
            for i in range(start + batch * 20, start + batch * 20 + 40)
        }
        store.put_many("m", items)
    queue.put(len(store.get_many("m", [text_key(f"t{i}") for i in range(start, start + 220)])))


def test_sqlite_store_shared_by_concurrent_processes(tmp_path):
    path = str(tmp_path / "shared.sqlite")
    SQLiteEmbeddingStore(path)
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    workers = [
        ctx.Process(target=_writer, args=(path, start, queue)) for start in (0, 100, 150, 150)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    assert sorted(queue.get(timeout=5) for _ in workers) == [220, 220, 220, 220]
    store = SQLiteEmbeddingStore(path)
    assert len(store) == 370  # t0 .. t369, each written once despite overlaps
    assert store.get_many("m", [text_key("t369")])[text_key("t369")][0] == 369


def test_scorer_with_a_file_store_skips_the_encoder_on_the_second_run(tmp_path):
    gold = {"s": {"visual": ["ab", "cd"], "auditory": ["e"], "emotional": ["abc"]}}
    pred = {"s": {"visual": ["a"], "auditory": ["e"], "emotional": ["bcd"]}}
    first_encoder = LetterCountEncoder()
    first = Scorer(encoder=first_encoder, store=tmp_path / "e.sqlite").score(
        gold=gold, predicted=pred
    )
    second_encoder = LetterCountEncoder()
    second = Scorer(encoder=second_encoder, store=tmp_path / "e.sqlite").score(
        gold=gold, predicted=pred
    )
    assert first["counts"]["cue_texts_encoded"] == 6
    assert second["counts"]["cue_texts_encoded"] == 0 and second_encoder.calls == 0
    assert first["scores"] == second["scores"]


def test_encoder_returning_the_wrong_number_of_vectors_is_an_error():
    class Broken:
        model_id = "broken"

        def encode(self, texts):
            return np.zeros((1, 3))

    with pytest.raises(ValueError, match="returned 1 vectors for 2 texts"):
        EmbeddingCache(Broken()).embed_unique(["a", "b"])
