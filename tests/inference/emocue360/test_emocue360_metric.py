"""Hand-computed EmoCue-360 scores with a fixed tiny encoder."""

from __future__ import annotations

import math

import pytest

from inference.emocue360 import Scorer

from .conftest import TableEncoder

R2 = 1 / math.sqrt(2)
VECTORS = {
    "a": [1, 0, 0],
    "b": [0, 1, 0],
    "c": [1, 1, 0],  # cos(a, c) = cos(b, c) = 1/sqrt(2)
    "d": [0, 0, 1],
    "minus a": [-1, 0, 0],
    "The context is tense.": [1, 0, 0],  # contains "text": the reference filter drops it
    "He says hello.": [0, 1, 0],
    "Textured, husky voice.": [1, 0, 0],  # "Text" with a capital T: the reference keeps it
}


def scorer() -> Scorer:
    return Scorer(encoder=TableEncoder(VECTORS))


def sample(visual=(), auditory=(), emotional=()):
    return {"visual": list(visual), "auditory": list(auditory), "emotional": list(emotional)}


def paper(result, modality):
    row = result["scores"]["paper"][modality]
    return row["precision"], row["recall"], row["f1"]


def test_one_prediction_half_way_between_two_gold_cues():
    result = scorer().score(gold={"s": sample(["a", "b"])}, predicted={"s": sample(["c"])})
    assert paper(result, "visual") == pytest.approx((R2, R2, R2), abs=1e-12)
    assert result["scores"]["paper"]["visual"]["n_samples"] == 1


def test_precision_recall_f1_by_hand():
    # S = [[1], [0]]: recall = (1 + 0) / 2, precision = 1, F1 = 2 * 0.5 * 1 / 1.5
    result = scorer().score(gold={"s": sample(["a", "b"])}, predicted={"s": sample(["a"])})
    assert paper(result, "visual") == pytest.approx((1.0, 0.5, 2 / 3), abs=1e-12)


def test_orthogonal_cues_score_zero_and_f1_is_zero_not_nan():
    result = scorer().score(gold={"s": sample(["a"])}, predicted={"s": sample(["d"])})
    assert paper(result, "visual") == (0.0, 0.0, 0.0)


def test_negative_similarity_is_kept_in_paper_but_f1_rule_gives_zero():
    result = scorer().score(
        gold={"s": sample(["a"])},
        predicted={"s": sample(["minus a"])},
        variants=["one_to_one"],
    )
    assert paper(result, "visual") == pytest.approx((-1.0, -1.0, 0.0))
    one = result["scores"]["one_to_one"]["visual"]
    assert (one["precision"], one["recall"], one["f1"]) == (0.0, 0.0, 0.0)


def test_samples_are_averaged_per_modality_and_overall_is_mean_of_modalities():
    gold = {"s1": sample(["a", "b"], ["a"]), "s2": sample(["a"], ["b"])}
    pred = {"s1": sample(["a"], ["a"]), "s2": sample(["d"], ["c"])}
    result = scorer().score(gold=gold, predicted=pred)
    assert paper(result, "visual") == pytest.approx((0.5, 0.25, 1 / 3))
    assert paper(result, "auditory") == pytest.approx(((1 + R2) / 2,) * 3)
    assert result["scores"]["paper"]["emotional"]["n_samples"] == 0
    assert result["scores"]["paper"]["emotional"]["f1"] is None
    overall = result["scores"]["paper"]["overall"]
    assert overall["f1"] == pytest.approx((1 / 3 + (1 + R2) / 2) / 2)
    assert overall["modalities"] == ["visual", "auditory"]
    assert result["per_sample"]["s2"]["paper"]["visual"] == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
    }


def test_one_to_one_does_not_reward_repeating_one_good_cue():
    gold = {"s": sample(["a", "b"])}
    pred = {"s": sample(["a", "a", "a"])}
    result = scorer().score(gold=gold, predicted=pred, variants=["one_to_one"])
    assert paper(result, "visual") == pytest.approx((1.0, 0.5, 2 / 3))
    one = result["scores"]["one_to_one"]["visual"]
    assert one["precision"] == pytest.approx(1 / 3)
    assert one["recall"] == pytest.approx(1 / 2)
    assert one["f1"] == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))


def test_hit_rate_counts_cues_at_or_above_tau():
    gold = {"s": sample(["a", "b"])}
    pred = {"s": sample(["c", "d"])}  # best sims: gold a, b -> 0.707; pred c -> 0.707, d -> 0
    low = scorer().score(gold=gold, predicted=pred, variants=["hit_rate"], tau=0.7)
    high = scorer().score(gold=gold, predicted=pred, variants=["hit_rate"], tau=0.75)
    row = low["scores"]["hit_rate"]["visual"]
    assert (row["precision"], row["recall"]) == (0.5, 1.0)
    row = high["scores"]["hit_rate"]["visual"]
    assert (row["precision"], row["recall"], row["f1"]) == (0.0, 0.0, 0.0)
    assert low["scores"]["hit_rate"]["config"]["tau"] == 0.7
    assert low["scores"]["paper"]["config"]["tau"] is None


def test_every_score_records_its_configuration():
    result = scorer().score(
        gold={"s": sample(["a"])},
        predicted={"s": sample(["a"])},
        mode="reference",
        variants=["one_to_one", "hit_rate"],
        tau=0.3,
    )
    for variant, block in result["scores"].items():
        assert block["config"]["model_id"] == "table-encoder"
        assert block["config"]["mode"] == "reference"
        assert block["config"]["variant"] == variant
    assert list(result["scores"]) == ["paper", "one_to_one", "hit_rate"]


# -- strict and reference modes ------------------------------------------------------------


def test_gold_sample_without_prediction_scores_zero_in_strict_and_is_skipped_in_reference():
    gold = {"s1": sample(["a"]), "s2": sample(["b"])}
    pred = {"s1": sample(["a"])}
    strict = scorer().score(gold=gold, predicted=pred, mode="strict")
    reference = scorer().score(gold=gold, predicted=pred, mode="reference")
    assert paper(strict, "visual") == pytest.approx((0.5, 0.5, 0.5))
    assert strict["counts"]["gold_samples_without_prediction"] == 1
    assert paper(reference, "visual") == pytest.approx((1.0, 1.0, 1.0))
    assert reference["scores"]["paper"]["visual"]["n_samples"] == 1


def test_reference_drops_auditory_cues_containing_text_case_sensitively():
    gold = {"s": sample(auditory=["The context is tense.", "b"])}
    pred = {"s": sample(auditory=["a"])}
    reference = scorer().score(gold=gold, predicted=pred, mode="reference")
    strict = scorer().score(gold=gold, predicted=pred, mode="strict")
    # reference: gold becomes ["b"], a vs b = 0; strict keeps both: recall (1 + 0) / 2
    assert paper(reference, "auditory") == (0.0, 0.0, 0.0)
    assert paper(strict, "auditory") == pytest.approx((1.0, 0.5, 2 / 3))


def test_reference_text_filter_is_case_sensitive():
    gold = {"s": sample(auditory=["Textured, husky voice."])}
    pred = {"s": sample(auditory=["a"])}
    reference = scorer().score(gold=gold, predicted=pred, mode="reference")
    assert paper(reference, "auditory") == pytest.approx((1.0, 1.0, 1.0))


def test_strict_excludes_subtitle_kind_cues_reference_ignores_kinds():
    subtitle = {"text": "He says hello.", "kind": "subtitle"}
    gold = {"s": sample(auditory=["a", subtitle])}
    pred = {"s": sample(auditory=["a"])}
    strict = scorer().score(gold=gold, predicted=pred, mode="strict")
    reference = scorer().score(gold=gold, predicted=pred, mode="reference")
    assert paper(strict, "auditory") == pytest.approx((1.0, 1.0, 1.0))
    assert paper(reference, "auditory") == pytest.approx((1.0, 0.5, 2 / 3))


def test_strict_skips_gold_made_only_of_subtitles():
    gold = {"s": sample(["a"], [{"text": "He says hello.", "kind": "subtitle"}])}
    result = scorer().score(gold=gold, predicted={"s": sample(["a"], [])})
    assert result["scores"]["paper"]["auditory"]["n_samples"] == 0


def test_missing_modality_key_in_prediction():
    gold = {"s": sample(["a"], ["b"], [])}
    strict = scorer().score(gold=gold, predicted={"s": {"auditory": ["b"]}})
    assert paper(strict, "visual") == (0.0, 0.0, 0.0)
    assert strict["scores"]["paper"]["emotional"]["n_samples"] == 0
    # reference quirk: no "emotional" key scores 0 even though the gold list is empty
    reference = scorer().score(
        gold=gold, predicted={"s": {"visual": ["a"], "auditory": ["b"]}}, mode="reference"
    )
    assert reference["scores"]["paper"]["emotional"]["n_samples"] == 1
    assert paper(reference, "emotional") == (0.0, 0.0, 0.0)
    # the reference code crashes on a missing visual key; we say why instead
    with pytest.raises(ValueError, match=r"missing key\(s\) \['visual'\]"):
        scorer().score(gold=gold, predicted={"s": {"auditory": ["b"]}}, mode="reference")


def test_empty_prediction_list_scores_zero_in_both_modes():
    gold = {"s": sample(["a"])}
    for mode in ("strict", "reference"):
        result = scorer().score(gold=gold, predicted={"s": sample([])}, mode=mode)
        assert paper(result, "visual") == (0.0, 0.0, 0.0)


# -- confidence intervals --------------------------------------------------------------------


def test_bootstrap_ci_is_seeded_and_brackets_the_mean():
    gold = {f"s{i}": sample(["a", "b"]) for i in range(30)}
    pred = {f"s{i}": sample(["a"] if i % 3 else ["d"]) for i in range(30)}
    one = scorer().score(gold=gold, predicted=pred, ci=True, seed=7, n_resamples=500)
    two = scorer().score(gold=gold, predicted=pred, ci=True, seed=7, n_resamples=500)
    other = scorer().score(gold=gold, predicted=pred, ci=True, seed=8, n_resamples=500)
    row = one["scores"]["paper"]["visual"]
    lo, hi = row["ci"]["f1"]
    assert lo < row["f1"] < hi
    assert row["ci"] == two["scores"]["paper"]["visual"]["ci"]
    assert row["ci"] != other["scores"]["paper"]["visual"]["ci"]
    assert one["config"]["bootstrap"]["seed"] == 7


def test_ci_of_constant_scores_is_a_point():
    gold = {f"s{i}": sample(["a", "b"]) for i in range(5)}
    pred = {f"s{i}": sample(["a"]) for i in range(5)}
    row = scorer().score(gold=gold, predicted=pred, ci=True)["scores"]["paper"]["visual"]
    assert row["ci"]["recall"] == pytest.approx([0.5, 0.5])


def test_each_unique_text_is_encoded_once_per_call():
    encoder = TableEncoder(VECTORS)
    gold = {f"s{i}": sample(["a", "b"], ["a"]) for i in range(50)}
    pred = {f"s{i}": sample(["c", "a"], ["b"]) for i in range(50)}
    result = Scorer(encoder=encoder).score(gold=gold, predicted=pred)
    assert len(encoder.calls) == 1
    assert sorted(encoder.calls[0]) == ["a", "b", "c"]
    assert result["counts"]["unique_cue_texts"] == 3
