"""Every bad input gives a ValueError that says what is wrong."""

from __future__ import annotations

import json

import pytest

from inference.emocue360 import Scorer, score

from .conftest import TableEncoder

GOOD = {"s1": {"visual": ["a"], "auditory": ["a"], "emotional": ["a"]}}


def scorer() -> Scorer:
    return Scorer(encoder=TableEncoder({"a": [1, 0], "b": [0, 1]}))


@pytest.mark.parametrize(
    ("gold", "predicted", "message"),
    [
        ([], GOOD, r"gold: expected a JSON object mapping sample names"),
        (GOOD, "not json either", r"predicted file 'not json either' does not exist"),
        ({}, GOOD, r"gold: the file has no samples"),
        (GOOD, {}, r"predicted: the file has no samples"),
        ({"s1": ["a"]}, GOOD, r"gold\['s1'\]: expected an object with keys"),
        (
            GOOD,
            {"s1": {"visual": "a"}},
            r"predicted\['s1'\]\['visual'\]: expected a list of cues, got str",
        ),
        (
            GOOD,
            {"s1": {"visual": [3]}},
            r"predicted\['s1'\]\['visual'\]\[0\]: a cue must be a string",
        ),
        (GOOD, {"s1": {"visual": [None]}}, r"got null"),
        (GOOD, {"s1": {"visual": [{"text": 3}]}}, r"cue 'text' must be a string, got int"),
        (GOOD, {"s1": {"visual": [{"text": "a", "kind": 1}]}}, r"cue 'kind' must be a string"),
        (GOOD, {"s1": {"visual": [{"txt": "a"}]}}, r"unknown field\(s\) \['txt'\]"),
        (GOOD, {"s1": {"visuals": ["a"]}}, r"unknown key\(s\) \['visuals'\]"),
        (
            {"s1": {"visual": ["a"]}},
            GOOD,
            r"gold\['s1'\]: missing key\(s\) \['auditory', 'emotional'\]",
        ),
        (GOOD, {"s1": {"visual": ["  "]}}, r"\[0\]: cue text is empty"),
        (GOOD, {"s2": {"visual": ["a"]}, "s3": {}}, r"2 sample name\(s\) not in gold: 's2', 's3'"),
    ],
)
def test_bad_input_strict(gold, predicted, message):
    with pytest.raises(ValueError, match=message):
        scorer().score(gold=gold, predicted=predicted)


def test_unknown_sample_names_are_errors_in_reference_mode_too():
    with pytest.raises(ValueError, match="not in gold"):
        scorer().score(gold=GOOD, predicted={"nope": GOOD["s1"]}, mode="reference")


def test_reference_mode_accepts_what_the_reference_code_accepts():
    pred = {"s1": {"visual": [""], "auditory": ["a"], "extra": 1}}
    result = Scorer(encoder=TableEncoder({"a": [1, 0], "": [0, 0]})).score(
        gold=GOOD, predicted=pred, mode="reference"
    )
    assert result["scores"]["paper"]["visual"]["f1"] == 0.0


def test_files(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(GOOD))
    (tmp_path / "bad.json").write_text("{'s1': }")
    (tmp_path / "empty.json").write_text("  \n")
    assert scorer().score(gold=good, predicted=str(good))["scores"]["paper"]["overall"]["f1"] == 1.0
    with pytest.raises(ValueError, match=r"bad.json' is not valid JSON"):
        scorer().score(gold=good, predicted=tmp_path / "bad.json")
    with pytest.raises(ValueError, match=r"gold file .*empty.json' is empty"):
        scorer().score(gold=tmp_path / "empty.json", predicted=good)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"mode": "loose"}, r"mode must be one of \['strict', 'reference'\]"),
        ({"variants": ["bertscore"]}, r"unknown variant\(s\) \['bertscore'\]"),
        ({"tau": 1.5}, r"tau must be a number in \[-1, 1\]"),
        ({"tau": "0.5"}, r"tau must be a number"),
        ({"n_resamples": 0}, r"n_resamples must be a positive integer"),
        ({"confidence": 95}, r"confidence must be in \(0, 1\)"),
    ],
)
def test_bad_options(options, message):
    with pytest.raises(ValueError, match=message):
        scorer().score(gold=GOOD, predicted=GOOD, **options)


def test_module_level_score_rejects_a_bad_mode_before_loading_any_model():
    with pytest.raises(ValueError, match="mode must be one of"):
        score(gold=GOOD, predicted=GOOD, mode="paper")
