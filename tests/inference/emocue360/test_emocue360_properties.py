"""Properties of the metric, with a non-negative encoder (letter counts): cosines in [0, 1]."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inference.emocue360 import MODALITIES, Scorer

from .conftest import LetterCountEncoder

VARIANTS = ["one_to_one", "hit_rate"]
cue = st.text(alphabet="abcdexy ", min_size=1, max_size=8).filter(
    lambda t: any(c in "abcde" for c in t)
)
cues = st.lists(cue, min_size=1, max_size=5)
maybe_empty_cues = st.lists(cue, min_size=0, max_size=5)
names = st.lists(st.sampled_from([f"s{i}" for i in range(6)]), min_size=1, max_size=6, unique=True)


def cue_files(cue_lists):
    return names.flatmap(
        lambda ns: st.fixed_dictionaries(
            {n: st.fixed_dictionaries({m: cue_lists for m in MODALITIES}) for n in ns}
        )
    )


def rows(result):
    for variant, block in result["scores"].items():
        for key in (*MODALITIES, "overall"):
            yield variant, key, block[key]
    for sample in result.get("per_sample", {}).values():
        for variant, by_modality in sample.items():
            for modality, row in by_modality.items():
                yield variant, modality, row


@settings(max_examples=60, deadline=None)
@given(
    gold=cue_files(maybe_empty_cues),
    pred=cue_files(maybe_empty_cues),
    mode=st.sampled_from(["strict", "reference"]),
    tau=st.floats(0, 1),
)
def test_scores_are_in_unit_interval(gold, pred, mode, tau):
    pred = {k: v for k, v in pred.items() if k in gold} or {
        next(iter(gold)): next(iter(gold.values()))
    }
    result = Scorer(encoder=LetterCountEncoder()).score(
        gold=gold, predicted=pred, mode=mode, variants=VARIANTS, tau=tau, ci=True, n_resamples=20
    )
    for _, _, row in rows(result):
        for metric in ("precision", "recall", "f1"):
            if row[metric] is not None:
                assert -1e-12 <= row[metric] <= 1 + 1e-12
            for bound in (row.get("ci") or {}).get(metric) or []:
                assert -1e-12 <= bound <= 1 + 1e-12


@settings(max_examples=60, deadline=None)
@given(gold=cue_files(maybe_empty_cues), mode=st.sampled_from(["strict", "reference"]))
def test_identical_gold_and_prediction_score_one(gold, mode):
    result = Scorer(encoder=LetterCountEncoder()).score(
        gold=gold, predicted=gold, mode=mode, variants=VARIANTS, tau=1.0
    )
    for _, _, row in rows(result):
        for metric in ("precision", "recall", "f1"):
            if row[metric] is not None:
                assert row[metric] == pytest.approx(1.0, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_swapping_gold_and_prediction_swaps_precision_and_recall(data):
    gold = data.draw(cue_files(cues))
    pred = data.draw(
        st.fixed_dictionaries(
            {n: st.fixed_dictionaries({m: cues for m in MODALITIES}) for n in gold}
        )
    )
    mode = data.draw(st.sampled_from(["strict", "reference"]))
    scorer = Scorer(encoder=LetterCountEncoder())
    forward = scorer.score(gold=gold, predicted=pred, mode=mode, variants=VARIANTS)
    backward = scorer.score(gold=pred, predicted=gold, mode=mode, variants=VARIANTS)
    for variant in forward["scores"]:
        for key in (*MODALITIES, "overall"):
            f, b = forward["scores"][variant][key], backward["scores"][variant][key]
            assert f["precision"] == pytest.approx(b["recall"], abs=1e-9)
            assert f["recall"] == pytest.approx(b["precision"], abs=1e-9)
            assert f["f1"] == pytest.approx(b["f1"], abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(gold=cue_files(cues), data=st.data())
def test_order_of_cues_does_not_matter(gold, data):
    shuffled = {
        n: {m: data.draw(st.permutations(v)) for m, v in s.items()} for n, s in gold.items()
    }
    pred = data.draw(
        st.fixed_dictionaries(
            {n: st.fixed_dictionaries({m: cues for m in MODALITIES}) for n in gold}
        )
    )
    scorer = Scorer(encoder=LetterCountEncoder())
    a = scorer.score(gold=gold, predicted=pred, variants=VARIANTS)
    b = scorer.score(gold=shuffled, predicted=pred, variants=VARIANTS)
    for variant in a["scores"]:
        for key in (*MODALITIES, "overall"):
            for metric in ("precision", "recall", "f1"):
                x, y = a["scores"][variant][key][metric], b["scores"][variant][key][metric]
                assert (x is None and y is None) or x == pytest.approx(y, abs=1e-9)
