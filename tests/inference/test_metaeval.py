"""inference/metaeval.py: AUC, its bootstrap interval, the best threshold and the disagreements
on constructed similarities whose answers are known."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from inference.emocue360 import EmbeddingCache
from inference.metaeval import _weighted_aucs, judgement_report, pair_similarities


def _pairs(labels, modality="visual", clips=None):
    return [
        {
            "id": f"p{i}",
            "clip": clips[i] if clips else f"clip{i}",
            "modality": modality,
            "label": label,
        }
        for i, label in enumerate(labels)
    ]


def test_auc_threshold_and_rates_on_a_known_example():
    # positives 0.9, 0.7, 0.5 against negatives 0.8, 0.4, 0.3: 7 of the 9 cross pairs are
    # ordered right, so AUC = 7/9; J is best at 0.5 (all positives, one negative of three).
    scores = [0.9, 0.7, 0.5, 0.8, 0.4, 0.3]
    pairs = _pairs(["same", "close", "same", "different", "different", "different"])
    report = judgement_report(pairs=pairs, similarities=scores, threshold=0.6)
    visual = report["modalities"]["visual"]
    assert visual["auc"] == pytest.approx(7 / 9)
    assert visual["counts"] == {"same": 2, "close": 1, "different": 3}
    assert visual["best"]["threshold"] == pytest.approx(0.5)
    assert visual["best"]["tpr"] == 1.0 and visual["best"]["fpr"] == pytest.approx(1 / 3)
    assert visual["best"]["j"] == pytest.approx(2 / 3)
    at = visual["at_threshold"]  # 0.6: 0.9 and 0.7 of the positives, 0.8 of the negatives
    assert (at["tpr"], at["fpr"]) == (pytest.approx(2 / 3), pytest.approx(1 / 3))
    assert at["agreement"] == pytest.approx(4 / 6)
    assert report["threshold_rule"] == "youden_j"
    assert report["modalities"]["overall"]["auc"] == pytest.approx(7 / 9)
    assert report["modalities"]["auditory"]["auc"] is None
    assert report["modalities"]["auditory"]["why_none"] == "no judged pair"


def test_perfect_separation_and_ties():
    perfect = judgement_report(
        pairs=_pairs(["same", "same", "different"]), similarities=[0.8, 0.7, 0.2], threshold=0.6
    )["modalities"]["visual"]
    assert perfect["auc"] == 1.0 and perfect["auc_ci"] == [1.0, 1.0]
    assert perfect["best"]["j"] == 1.0 and perfect["best"]["threshold"] == pytest.approx(0.7)
    tied = judgement_report(
        pairs=_pairs(["same", "different"]), similarities=[0.5, 0.5], threshold=0.6
    )["modalities"]["visual"]
    assert tied["auc"] == 0.5


def test_one_class_gives_no_auc_and_says_why():
    same_only = judgement_report(
        pairs=_pairs(["same", "close"]), similarities=[0.9, 0.4], threshold=0.6
    )["modalities"]["visual"]
    assert same_only["auc"] is None and same_only["best"] is None
    assert "kept apart" in same_only["why_none"]
    different_only = judgement_report(
        pairs=_pairs(["different"]), similarities=[0.9], threshold=0.6
    )["modalities"]["visual"]
    assert different_only["auc"] is None and "same or close" in different_only["why_none"]


def test_the_batched_bootstrap_auc_is_roc_auc_score_with_weights():
    rng = np.random.default_rng(3)
    scores = np.round(rng.normal(size=300), 1)  # many ties
    positive = rng.random(300) < 0.4
    weights = rng.integers(0, 4, size=(25, 300)).astype(float)
    batched = _weighted_aucs(scores, positive, weights)
    expected = [roc_auc_score(positive, scores, sample_weight=w) for w in weights]
    assert np.allclose(batched, expected, atol=1e-12)


def test_the_bootstrap_resamples_clips_is_seeded_and_brackets_the_estimate():
    rng = np.random.default_rng(0)
    labels = rng.choice(["same", "close", "different"], size=240)
    scores = np.where(
        labels == "different", rng.normal(0.35, 0.15, 240), rng.normal(0.6, 0.15, 240)
    )
    clips = [f"c{i % 30}" for i in range(240)]
    pairs = _pairs(list(labels), clips=clips)
    one = judgement_report(pairs=pairs, similarities=scores, threshold=0.6, n_resamples=400)
    two = judgement_report(pairs=pairs, similarities=scores, threshold=0.6, n_resamples=400)
    visual = one["modalities"]["visual"]
    assert visual == two["modalities"]["visual"]
    low, high = visual["auc_ci"]
    assert low < visual["auc"] < high and visual["resamples_used"] == 400
    assert one["bootstrap"] == {"n_resamples": 400, "seed": 0, "confidence": 0.95, "unit": "clip"}
    other_seed = judgement_report(
        pairs=pairs, similarities=scores, threshold=0.6, n_resamples=400, seed=1
    )["modalities"]["visual"]
    assert other_seed["auc"] == visual["auc"] and other_seed["auc_ci"] != visual["auc_ci"]
    # All pairs from one clip: every resample draws that clip, so the interval is a point.
    single = judgement_report(
        pairs=_pairs(list(labels), clips=["only"] * 240), similarities=scores, threshold=0.6
    )["modalities"]["visual"]
    assert single["auc_ci"] == [pytest.approx(single["auc"])] * 2


def test_the_disagreements_are_the_pairs_furthest_on_the_wrong_side():
    labels = ["same", "close", "same", "different", "different", "different"]
    scores = [0.9, 0.3, 0.55, 0.95, 0.6, 0.1]
    report = judgement_report(
        pairs=_pairs(labels), similarities=scores, threshold=0.6, n_disagreements=3
    )
    rows = [(row["id"], row["label"], row["gap"]) for row in report["disagreements"]]
    # close at 0.3 is 0.3 below; different at 0.95 is 0.35 above; same at 0.55 is 0.05 below
    # (and different at exactly 0.6 counts too, as the metric calls it the same: gap 0).
    assert rows == [
        ("p3", "different", pytest.approx(0.35)),
        ("p1", "close", pytest.approx(0.3)),
        ("p2", "same", pytest.approx(0.05)),
    ]
    assert report["disagreements"][0]["similarity"] == pytest.approx(0.95)
    everything = judgement_report(pairs=_pairs(labels), similarities=scores, threshold=0.6)
    assert [row["id"] for row in everything["disagreements"]] == ["p3", "p1", "p2", "p4"]


@pytest.mark.parametrize(
    ("pairs", "scores", "message"),
    [
        (_pairs(["maybe"]), [0.5], "label must be one of same, close, different"),
        ([{"label": "same", "modality": "smell"}], [0.5], "modality must be one of"),
        (_pairs(["same", "different"]), [0.5], "2 pairs but 1 similarities"),
        (_pairs(["same"]), [float("nan")], "finite"),
    ],
)
def test_bad_input_is_refused_with_the_reason(pairs, scores, message):
    with pytest.raises(ValueError, match=message):
        judgement_report(pairs=pairs, similarities=scores, threshold=0.6)


def test_pair_similarities_is_the_metrics_cosine():
    vectors = {"a": [1.0, 0.0], "b": [3.0, 4.0], "c": [0.0, 2.0]}

    class Encoder:
        model_id = "fixed"

        def encode(self, texts):
            return np.array([vectors[t] for t in texts], dtype=np.float32)

    cache = EmbeddingCache(Encoder())
    similarity = pair_similarities(pairs=[("a", "b"), ("b", "c"), ("a", "a")], cache=cache)
    assert np.allclose(similarity, [0.6, 0.8, 1.0])
    assert cache.encoded == 3  # each distinct text once
    with pytest.raises(ValueError, match="pair 0 must be two texts"):
        pair_similarities(pairs=[("a",)], cache=cache)
