"""Benchmark splits: reproducible, grouped by speaker, stratified by label, honest about failure."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from inference.splits import SplitError, SplitItem, split_items, split_report

RATIOS = {"train": 0.8, "val": 0.1, "test": 0.1}
LABELS = ("happy", "sad", "angry", "neutral", "surprise", "worried")


def generated_items(n: int = 400, speakers: int = 60, seed: int = 7) -> list[SplitItem]:
    """400 clips from 60 speakers of uneven size, 6 labels of uneven frequency."""
    rng = random.Random(seed)
    weights = [rng.randint(2, 12) for _ in range(speakers)]
    items = []
    for i in range(n):
        # every speaker has a clip; the rest go to speakers unevenly
        speaker = i if i < speakers else rng.choices(range(speakers), weights=weights)[0]
        label = rng.choices(LABELS, weights=[30, 20, 15, 15, 10, 10])[0]
        items.append(SplitItem(f"sample_{i:08d}", label, f"spk{speaker:02d}"))
    return items


def worst_label_gap(items: list[SplitItem], splits: dict[str, list[str]]) -> float:
    """The largest |share of a label within a split - its share overall|."""
    overall = Counter(item.label for item in items)
    report = split_report(items=items, splits=splits)
    return max(
        abs(n / part["clips"] - overall[label] / len(items))
        for part in report["splits"].values()
        for label, n in part["labels"].items()
    )


@pytest.fixture(scope="module")
def items():
    return generated_items()


def test_same_inputs_give_the_same_split_whatever_the_order(items):
    first = split_items(items=items, ratios=RATIOS, seed=3)
    shuffled = items[:]
    random.Random(99).shuffle(shuffled)
    assert split_items(items=shuffled, ratios=RATIOS, seed=3) == first
    assert split_items(items=list(reversed(items)), ratios=RATIOS, seed=3) == first
    assert list(first) == ["train", "val", "test"]
    for names in first.values():
        assert names == sorted(names)


def test_another_seed_gives_another_split(items):
    assert split_items(items=items, ratios=RATIOS, seed=1) != split_items(
        items=items, ratios=RATIOS, seed=2
    )


def test_every_clip_lands_in_exactly_one_split(items):
    splits = split_items(items=items, ratios=RATIOS, seed=0)
    placed = [name for names in splits.values() for name in names]
    assert sorted(placed) == sorted(item.name for item in items)
    assert len(placed) == len(set(placed))


@pytest.mark.parametrize("seed", range(5))
def test_no_speaker_is_in_two_splits(items, seed):
    splits = split_items(items=items, ratios=RATIOS, seed=seed)
    group_of = {item.name: item.group for item in items}
    where: dict[str, set[str]] = {}
    for split, names in splits.items():
        for name in names:
            where.setdefault(group_of[name], set()).add(split)
    assert all(len(splits_of_group) == 1 for splits_of_group in where.values())
    assert len(where) == 60


@pytest.mark.parametrize("seed", range(5))
def test_shares_are_within_tolerance_of_the_ratios(items, seed):
    splits = split_items(items=items, ratios=RATIOS, seed=seed, tolerance=0.02)
    for split, ratio in RATIOS.items():
        assert abs(len(splits[split]) / len(items) - ratio) <= 0.02


@pytest.mark.parametrize("seed", range(5))
def test_each_label_has_about_its_overall_share_in_every_split(items, seed):
    splits = split_items(items=items, ratios=RATIOS, seed=seed)
    assert worst_label_gap(items, splits) <= 0.05


def test_stratifying_balances_labels_better_than_not(items):
    on = [worst_label_gap(items, split_items(items=items, ratios=RATIOS, seed=s)) for s in range(6)]
    off = [
        worst_label_gap(items, split_items(items=items, ratios=RATIOS, seed=s, stratify=False))
        for s in range(6)
    ]
    assert sum(on) < sum(off) / 2


def test_ungrouped_clips_may_share_a_speaker_across_splits(items):
    splits = split_items(items=items, ratios=RATIOS, seed=0, grouped=False)
    group_of = {item.name: item.group for item in items}
    speakers = [{group_of[n] for n in names} for names in splits.values()]
    assert speakers[0] & speakers[1]  # 60 speakers over 40 val clips: some must recur
    assert [len(names) for names in splits.values()] == [320, 40, 40]


def test_empty_group_and_empty_label_are_their_own():
    items = [SplitItem(f"c{i:02d}", "" if i % 2 else "sad", "") for i in range(20)]
    splits = split_items(items=items, ratios={"a": 0.5, "b": 0.5}, seed=0)
    report = split_report(items=items, splits=splits)
    assert report["labels"] == ["(none)", "sad"]
    assert report["splits"]["a"] == {
        "clips": 10,
        "groups": 10,
        "share": 0.5,
        "labels": {"(none)": 5, "sad": 5},
    }


def test_a_group_named_like_a_clip_is_not_merged_with_that_clip():
    items = [SplitItem("x", "sad", ""), SplitItem("y", "sad", "x")]
    splits = split_items(items=items, ratios={"a": 0.5, "b": 0.5}, seed=0)
    assert sorted(splits.values()) == [["x"], ["y"]]


def test_every_split_gets_a_group_even_with_a_tiny_ratio():
    items = [SplitItem(f"c{i}", "sad", f"g{i}") for i in range(3)]
    splits = split_items(
        items=items, ratios={"train": 0.9, "val": 0.05, "test": 0.05}, seed=0, tolerance=0.6
    )
    assert all(len(names) == 1 for names in splits.values())


def test_report_counts_clips_groups_shares_and_labels():
    items = [
        SplitItem("a", "sad", "s1"),
        SplitItem("b", "happy", "s1"),
        SplitItem("c", "sad", "s2"),
        SplitItem("d", "sad", ""),
    ]
    report = split_report(items=items, splits={"train": ["a", "b", "d"], "test": ["c"]})
    assert report == {
        "splits": {
            "train": {"clips": 3, "groups": 2, "share": 0.75, "labels": {"happy": 1, "sad": 2}},
            "test": {"clips": 1, "groups": 1, "share": 0.25, "labels": {"happy": 0, "sad": 1}},
        },
        "labels": ["happy", "sad"],
        "total": 4,
    }


def test_report_refuses_unknown_clips_and_clips_in_two_splits():
    items = [SplitItem("a", "sad", ""), SplitItem("b", "sad", "")]
    with pytest.raises(SplitError, match=r"'test'.*'zz'"):
        split_report(items=items, splits={"test": ["zz"]})
    with pytest.raises(SplitError, match=r"'a' is in two splits: 'train' and 'test'"):
        split_report(items=items, splits={"train": ["a"], "test": ["a", "b"]})


def test_too_few_groups_names_the_splits_and_the_groups():
    items = [SplitItem(f"c{i}", "sad", "spk_a" if i < 7 else "spk_b") for i in range(10)]
    with pytest.raises(SplitError) as caught:
        split_items(items=items, ratios=RATIOS, seed=0)
    message = str(caught.value)
    assert "3 splits (train, val, test)" in message
    assert "only 2" in message
    assert "'spk_a' (7 clips, 70%)" in message


def test_a_dominant_group_is_refused_with_targets_achieved_shares_and_groups():
    items = [SplitItem(f"c{i:03d}", "sad", "big" if i < 70 else f"s{i}") for i in range(100)]
    with pytest.raises(SplitError) as caught:
        split_items(items=items, ratios={"a": 0.5, "b": 0.5}, seed=0)
    message = str(caught.value)
    assert (
        "a: target 50.0%, achieved 70.0%" in message or "b: target 50.0%, achieved 70.0%" in message
    )
    assert "achieved 30.0%" in message
    assert "'big' (70 clips, 70%)" in message
    # the same clips split without grouping honour the ratios exactly
    splits = split_items(items=items, ratios={"a": 0.5, "b": 0.5}, seed=0, grouped=False)
    assert [len(v) for v in splits.values()] == [50, 50]


@pytest.mark.parametrize(
    ("ratios", "fragment"),
    [
        ({"train": 0.8, "test": 0.1}, "sum to 0.9"),
        ({"train": 1.1, "test": -0.1}, "'test' must be positive"),
        ({"train": 1.0, "test": 0.0}, "'test' must be positive"),
        ({"Train": 0.5, "test": 0.5}, "'Train' is not allowed"),
        ({"train set": 0.5, "test": 0.5}, "'train set' is not allowed"),
        ({"train": "0.5", "test": 0.5}, "'train' must be a number"),
        ({"train": float("nan"), "test": 0.5}, "'train' must be a number"),
        ({}, "ratios must map"),
    ],
)
def test_bad_ratios_are_refused(items, ratios, fragment):
    with pytest.raises(SplitError, match=fragment) as caught:
        split_items(items=items, ratios=ratios, seed=0)
    assert isinstance(caught.value, ValueError)


def test_ratios_within_a_millionth_of_one_are_accepted(items):
    splits = split_items(
        items=items, ratios={"train": 0.7, "val": 0.15, "test": 0.15 + 5e-7}, seed=0
    )
    assert sum(len(v) for v in splits.values()) == 400


def test_bad_items_and_options_are_refused(items):
    with pytest.raises(SplitError, match="no clips"):
        split_items(items=[], ratios=RATIOS, seed=0)
    clash = [SplitItem("a", "sad", "g1"), SplitItem("a", "happy", "g1")]
    with pytest.raises(SplitError, match="'a' appears twice"):
        split_items(items=clash, ratios={"x": 1.0}, seed=0)
    with pytest.raises(SplitError, match="seed must be an integer"):
        split_items(items=items, ratios=RATIOS, seed="1")
    with pytest.raises(SplitError, match="tolerance"):
        split_items(items=items, ratios=RATIOS, seed=0, tolerance=-0.1)


def test_an_identical_duplicate_counts_once():
    items = [SplitItem("a", "sad", "g1"), SplitItem("a", "sad", "g1"), SplitItem("b", "sad", "g2")]
    splits = split_items(items=items, ratios={"x": 0.5, "y": 0.5}, seed=0)
    assert sorted(n for names in splits.values() for n in names) == ["a", "b"]
