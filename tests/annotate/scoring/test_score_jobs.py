"""EmoCue-360 score jobs: validated at once, computed by the cpu task, embeddings in the DB."""

import json

import numpy as np
import pytest

from annotate.core import scorer as core_scorer
from annotate.core.embedding_store import DatabaseEmbeddingStore
from annotate.core.models import CueEmbedding
from annotate.scoring import compute
from annotate.scoring import services as scoring_services
from annotate.scoring.models import ScoreJob
from inference.emocue360 import Scorer, score

pytestmark = pytest.mark.django_db

GOLD = {
    "s1": {
        "visual": ["He frowns.", "His eyes widen."],
        "auditory": ["His voice is loud."],
        "emotional": ["He is angry."],
    },
    "s2": {"visual": ["She smiles."], "auditory": [], "emotional": ["She is happy."]},
}
PRED = {
    "s1": {"visual": ["He frowns deeply."], "auditory": ["He shouts."], "emotional": ["Angry."]},
    "s2": {"visual": ["She smiles."], "auditory": ["Quiet voice."], "emotional": ["Sad."]},
}


class TrigramEncoder:
    """A fixed, tiny, deterministic encoder: hashed character trigrams in 64 dimensions."""

    model_id = "test-trigram-64"

    def __init__(self):
        self.calls = 0

    def encode(self, texts):
        self.calls += 1
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for i, text in enumerate(texts):
            padded = f"  {text.lower()} "
            for j in range(len(padded) - 2):
                out[i, sum(map(ord, padded[j : j + 3])) % 64] += 1.0
        return out


@pytest.fixture
def db_scorer(monkeypatch):
    encoder = TrigramEncoder()
    scorer = Scorer(encoder=encoder, store=DatabaseEmbeddingStore())
    monkeypatch.setattr(core_scorer, "_scorer", scorer)
    return scorer, encoder


def test_database_store_round_trip_and_conflicts():
    store = DatabaseEmbeddingStore()
    a, b = np.arange(4, dtype=np.float32), np.ones(4, dtype=np.float32)
    store.put_many("m", {"k1": a, "k2": b})
    store.put_many("m", {"k1": b})  # a second worker writing the same key is not an error
    found = store.get_many("m", ["k1", "k2", "missing"])
    assert set(found) == {"k1", "k2"} and np.array_equal(found["k1"], a)
    assert store.get_many("other-model", ["k1"]) == {}
    keys = [f"k{i}" for i in range(1200)]  # more than one IN (...) chunk
    store.put_many("big", {k: np.full(3, i, dtype=np.float32) for i, k in enumerate(keys)})
    assert len(store.get_many("big", keys)) == 1200


def test_job_runs_and_matches_the_library(project, db_scorer, django_capture_on_commit_callbacks):
    scorer, encoder = db_scorer
    with django_capture_on_commit_callbacks(execute=True):
        job = scoring_services.score_job_create(
            project=project,
            gold=json.dumps(GOLD).encode(),
            predicted=PRED,
            gold_filename="gold.json",
            predicted_filename="run.json",
            variants=["one_to_one", "hit_rate"],
            tau=0.6,
            ci=True,
        )
    job.refresh_from_db()
    assert job.status == ScoreJob.Status.DONE, job.error
    expected = score(
        gold=GOLD,
        predicted=PRED,
        variants=("one_to_one", "hit_rate"),
        tau=0.6,
        ci=True,
        scorer=Scorer(encoder=TrigramEncoder()),
    )
    assert job.result["scores"] == json.loads(json.dumps(expected["scores"]))
    assert job.result["config"]["model_id"] == "test-trigram-64"
    # Every text of a scored (sample, modality) pair; s2's auditory prediction is not one,
    # since s2 has no gold auditory cue.
    assert job.result["counts"]["unique_cue_texts"] == 10
    assert CueEmbedding.objects.filter(model_id="test-trigram-64").count() == 10

    # A fresh worker process starts with an empty memory cache but finds every vector in
    # the table: nothing is encoded again.
    fresh_encoder = TrigramEncoder()
    monkey = Scorer(encoder=fresh_encoder, store=DatabaseEmbeddingStore())
    core_scorer._scorer = monkey
    with django_capture_on_commit_callbacks(execute=True):
        again = scoring_services.score_job_create(project=project, gold=GOLD, predicted=PRED)
    again.refresh_from_db()
    assert again.status == ScoreJob.Status.DONE and fresh_encoder.calls == 0
    assert again.result["counts"]["cue_texts_encoded"] == 0


def test_running_a_settled_job_again_is_a_no_op(
    project, db_scorer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = scoring_services.score_job_create(project=project, gold=GOLD, predicted=PRED)
    job.refresh_from_db()
    finished = job.finished_at
    assert compute.score_job_run(job_id=job.pk).finished_at == finished


@pytest.mark.parametrize(
    "gold,predicted,kwargs,words",
    [
        (b"{not json", PRED, {}, "gold.json is not JSON: Expecting property name"),
        (b"\xff\xfe", PRED, {}, "not UTF-8"),
        ([1, 2], PRED, {}, "expected a JSON object"),
        (GOLD, {"s9": {"visual": ["x"]}}, {}, "not in gold: 's9'"),
        (GOLD, {"s1": {"visual": [3]}}, {}, "s1"),
        (GOLD, PRED, {"mode": "loose"}, "Mode must be one of strict, reference"),
        (GOLD, PRED, {"variants": ["best"]}, "Unknown variant(s) best"),
        (GOLD, PRED, {"tau": 1.5}, "tau must lie in [0, 1]"),
    ],
)
def test_bad_input_is_refused_before_anything_is_queued(
    project, gold, predicted, kwargs, words, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(scoring_services.ScoreRejected) as caught,
    ):
        scoring_services.score_job_create(
            project=project,
            gold=gold if not isinstance(gold, list) else json.dumps(gold).encode(),
            predicted=predicted,
            gold_filename="gold.json",
            **kwargs,
        )
    assert words in caught.value.message
    assert callbacks == [] and ScoreJob.objects.count() == 0
