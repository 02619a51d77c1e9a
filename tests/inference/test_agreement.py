"""Agreement measures: pairwise and gold EmoCue-360 F1, Krippendorff's alpha, decision times."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from inference.agreement import (
    gold_f1,
    krippendorff_alpha_nominal,
    median_decision_seconds,
    pairwise_f1,
    primary_label_alpha,
)
from inference.emocue360 import Scorer

# Unit vectors with known cosines: smile.grin = 0.8, frown.grin = 0.6, smile.frown = 0.
VECTORS = {
    "He smiles.": [1.0, 0.0, 0.0],
    "He grins.": [0.8, 0.6, 0.0],
    "He frowns.": [0.0, 1.0, 0.0],
    "His voice is loud.": [0.0, 0.0, 1.0],
    "He is happy.": [0.6, 0.0, 0.8],
    "Subtitle text: hello.": [0.0, 0.0, 1.0],
}


class TableEncoder:
    model_id = "agreement-table"

    def __init__(self):
        self.texts: list[str] = []

    def encode(self, texts):
        self.texts += list(texts)
        return np.array([VECTORS[t] for t in texts], dtype=np.float32)


@pytest.fixture
def scorer():
    return Scorer(encoder=TableEncoder())


def cues(visual=(), auditory=(), emotional=()):
    return {"visual": list(visual), "auditory": list(auditory), "emotional": list(emotional)}


# 2PR/(P+R) with gold [smile, frown] and prediction [grin]: R = (0.8 + 0.6) / 2, P = 0.8.
MIXED_F1 = 2 * 0.8 * 0.7 / 1.5


def test_identical_cue_lists_agree_perfectly(scorer):
    same = cues(["He smiles.", "He frowns."], ["His voice is loud."], ["He is happy."])
    result = pairwise_f1(cues={"c1": {"ann": same, "bob": dict(same)}}, scorer=scorer)
    pair = result.get("bob", "ann")
    assert pair.by_modality == pytest.approx({"visual": 1.0, "auditory": 1.0, "emotional": 1.0})
    assert pair.overall == pytest.approx(1.0) and pair.n_clips == 1
    assert result.by_modality["overall"] == (pytest.approx(1.0), 1)


def test_hand_computed_f1_is_symmetric_and_averaged_over_clips(scorer):
    a = cues(["He smiles.", "He frowns."])
    b = cues(["He grins."])
    forward = pairwise_f1(
        cues={"c1": {"ann": a, "bob": b}, "c2": {"ann": a, "bob": a}}, scorer=scorer
    )
    backward = pairwise_f1(
        cues={"c1": {"bob": b, "ann": a}, "c2": {"bob": a, "ann": a}}, scorer=scorer
    )
    expected = (MIXED_F1 + 1.0) / 2
    assert forward.get("ann", "bob").by_modality["visual"] == pytest.approx(expected)
    assert backward.get("ann", "bob").by_modality["visual"] == pytest.approx(expected)
    # No auditory or emotional cue on either side: those modalities have no score at all.
    assert forward.get("ann", "bob").by_modality["auditory"] is None
    assert forward.get("ann", "bob").overall == pytest.approx(expected)


def test_one_empty_side_scores_zero_whichever_side_it_is(scorer):
    talker = cues(["He smiles."], ["His voice is loud."])
    silent = cues(["He smiles."])
    for order in (("ann", "bob"), ("bob", "ann")):
        people = dict(zip(order, (talker, silent), strict=True))
        pair = pairwise_f1(cues={"c1": people}, scorer=scorer).get("ann", "bob")
        assert pair.by_modality["auditory"] == 0.0
        assert pair.overall == pytest.approx(0.5)  # mean of visual 1.0 and auditory 0.0


def test_subtitle_cues_are_left_out(scorer):
    with_subtitle = cues(["He smiles."], [{"text": "Subtitle text: hello.", "kind": "subtitle"}])
    without = cues(["He smiles."])
    pair = pairwise_f1(cues={"c1": {"ann": with_subtitle, "bob": without}}, scorer=scorer).get(
        "ann", "bob"
    )
    assert pair.by_modality["auditory"] is None and pair.overall == pytest.approx(1.0)


def test_three_annotators_pairs_and_modality_summary(scorer):
    data = {
        "c1": {
            "ann": cues(["He smiles."]),
            "bob": cues(["He smiles."]),
            "cat": cues(["He frowns."]),
        },
        "c2": {"ann": cues(["He grins."]), "bob": cues(["He grins."])},
    }
    result = pairwise_f1(cues=data, scorer=scorer)
    assert result.annotators == ["ann", "bob", "cat"]
    assert set(result.pairs) == {("ann", "bob"), ("ann", "cat"), ("bob", "cat")}
    assert result.get("ann", "bob").n_clips == 2 and result.get("cat", "ann").n_clips == 1
    assert result.get("ann", "cat").by_modality["visual"] == pytest.approx(0.0, abs=1e-6)
    mean, n_pairs = result.by_modality["visual"]
    assert n_pairs == 3 and mean == pytest.approx(1 / 3, abs=1e-6)
    assert result.by_modality["emotional"] == (None, 0)


def test_unknown_modality_is_refused(scorer):
    with pytest.raises(ValueError, match="unknown modality"):
        pairwise_f1(cues={"c1": {"a": {"smell": ["x"]}, "b": cues()}}, scorer=scorer)


def test_gold_f1_follows_the_strict_metric(scorer):
    gold = {
        "c1": cues(["He smiles.", "He frowns."], ["His voice is loud."]),
        "c2": cues([], [], ["He is happy."]),
    }
    annotations = {
        "ann": {
            "c1": cues(["He grins."]),
            "c2": cues([], [], ["He is happy."]),
            "c9": cues(["He frowns."]),
        },
        "bob": {"c1": cues(["He smiles.", "He frowns."], ["His voice is loud."])},
    }
    result = gold_f1(gold=gold, cues=annotations, scorer=scorer)
    ann = result["ann"]
    assert ann.n_clips == 2  # c9 has no gold
    assert ann.by_modality["visual"] == pytest.approx(MIXED_F1)
    assert ann.by_modality["auditory"] == 0.0  # gold has a cue, ann wrote none
    assert ann.by_modality["emotional"] == pytest.approx(1.0)
    assert ann.overall == pytest.approx((MIXED_F1 + 0.0 + 1.0) / 3)
    assert (
        result["bob"].overall == pytest.approx(1.0)
        and result["bob"].by_modality["emotional"] is None
    )


def test_nothing_to_score_calls_no_model(scorer):
    result = pairwise_f1(cues={"c1": {"ann": cues(), "bob": cues()}}, scorer=scorer)
    assert result.get("ann", "bob").overall is None and result.get("ann", "bob").n_clips == 1
    assert scorer.cache.encoder.texts == []


# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: nominal data,
# 4 observers x 12 units with missing values; the paper's nominal alpha is 0.743.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def test_alpha_reproduces_krippendorffs_worked_example():
    assert round(krippendorff_alpha_nominal(KRIPPENDORFF_2011), 3) == 0.743


def test_alpha_of_labels_matches_the_numeric_codes():
    # The same matrix with emotion names instead of numbers: nominal alpha ignores the codes.
    names = {1: "happy", 2: "sad", 3: "angry", 4: "calm", 5: "fear"}
    labels = {}
    for unit in range(12):
        labels[f"c{unit}"] = {
            f"coder{i}": names[row[unit]]
            for i, row in enumerate(KRIPPENDORFF_2011)
            if row[unit] is not None
        }
    result = primary_label_alpha(labels=labels)
    # Unit 12 has one value only: it cannot be paired and is not counted.
    assert round(result.alpha, 3) == 0.743 and result.n_units == 11 and result.n_coders == 4


def test_alpha_by_hand_perfect_and_undefined():
    assert (
        primary_label_alpha(
            labels={"c1": {"a": "happy", "b": "happy"}, "c2": {"a": "sad", "b": "sad"}}
        ).alpha
        == 1.0
    )
    # 2 coders x 4 units: x x / x y / y y / y y. n = 8, n_x = 3, n_y = 5, two disagreeing
    # ordered pairs: alpha = 1 - (n - 1) * 2 / (2 * 3 * 5) = 1 - 14/30.
    assert krippendorff_alpha_nominal(
        [["x", "x", "y", "y"], ["x", "y", "y", "y"]]
    ) == pytest.approx(1 - 14 / 30)
    same = primary_label_alpha(
        labels={"c1": {"a": "happy", "b": "happy"}, "c2": {"a": "happy", "b": "happy"}}
    )
    assert same.alpha is None and "undefined" in same.reason and same.n_units == 2
    lonely = primary_label_alpha(labels={"c1": {"a": "happy", "b": ""}, "c2": {"a": "sad"}})
    assert lonely.alpha is None and lonely.n_units == 0 and "two" in lonely.reason
    with pytest.raises(ValueError, match="row lengths"):
        krippendorff_alpha_nominal([["x", "y"], ["x"]])


def test_median_decision_time_ignores_breaks_and_first_decisions():
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    first = [t0, t0 + timedelta(seconds=4), t0 + timedelta(seconds=10), t0 + timedelta(minutes=30)]
    second = [t0 + timedelta(seconds=20), t0]  # unsorted on purpose: one gap of 20 s
    median, n = median_decision_seconds([first, second, [t0]])
    assert (median, n) == (6.0, 3)  # gaps 4, 6, 20; the 29 min 50 s one is a break
    assert median_decision_seconds([[t0], []]) == (None, 0)
    assert median_decision_seconds([[0.0, 700.0]], break_seconds=800) == (700.0, 1)
    with pytest.raises(ValueError):
        median_decision_seconds([[0.0]], break_seconds=0)
