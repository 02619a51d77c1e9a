"""Alignment of annotators' cues (inference/alignment.py): groups, labels, model proposals."""

from __future__ import annotations

import hashlib
import itertools
import os
import random

import numpy as np
import pytest

from inference.alignment import (
    DEFAULT_OVERLAP,
    DEFAULT_SIMILARITY,
    AlignCue,
    CueGroup,
    align_cues,
    embedding_similarity,
)
from inference.emocue360 import MODALITIES, EmbeddingCache

os.environ.setdefault("HF_HUB_OFFLINE", "1")

A, B, C, D = "u:1", "u:2", "u:3", "u:4"


class TableSimilarity:
    """A hand-written similarity: 1.0 for identical texts, the table's value, else 0.0."""

    def __init__(self, pairs: dict[tuple[str, str], float] | None = None) -> None:
        self.pairs = {frozenset(k): v for k, v in (pairs or {}).items()}
        self.calls: list[tuple[list[str], list[str]]] = []

    def value(self, x: str, y: str) -> float:
        return 1.0 if x == y else self.pairs.get(frozenset((x, y)), 0.0)

    def __call__(self, a: list[str], b: list[str]) -> np.ndarray:
        self.calls.append((list(a), list(b)))
        return np.array([[self.value(x, y) for y in b] for x in a], dtype=np.float64).reshape(
            len(a), len(b)
        )


def cue(id, source, text, start=None, end=None, modality="visual"):
    return AlignCue(id=id, source=source, modality=modality, text=text, start_ms=start, end_ms=end)


def align(cues, annotators=(A, B, C), pairs=None, **options):
    return align_cues(
        cues=cues, annotators=list(annotators), similarity=TableSimilarity(pairs), **options
    )


def by_ids(groups: list[CueGroup]) -> dict[tuple[int, ...], CueGroup]:
    return {tuple(g.cue_ids) or tuple(g.model_cue_ids): g for g in groups}


SMILE = {
    ("She smiles.", "The corners of her mouth turn up."): 0.8,
    ("She smiles.", "She is smiling."): 0.9,
    ("The corners of her mouth turn up.", "She is smiling."): 0.7,
}


# --- groups and labels -------------------------------------------------------------------


def test_three_annotators_agreeing_form_one_consensus_group():
    groups = align(
        [
            cue(3, C, "She is smiling."),
            cue(1, A, "She smiles."),
            cue(2, B, "The corners of her mouth turn up."),
        ],
        pairs=SMILE,
    )
    assert len(groups) == 1
    group = groups[0]
    assert group.cue_ids == [1, 2, 3]
    assert group.sources == [A, B, C]
    assert group.label == "consensus"
    assert group.similarity == pytest.approx((0.8 + 0.9 + 0.7) / 3)
    assert group.model_cue_ids == []
    assert group.start_ms is None and group.end_ms is None


def test_two_of_three_is_consensus_and_the_third_cue_a_singleton():
    groups = align(
        [cue(1, A, "She smiles."), cue(2, B, "She is smiling."), cue(3, C, "He frowns.")],
        pairs=SMILE,
    )
    found = by_ids(groups)
    assert set(found) == {(1, 2), (3,)}
    assert found[(1, 2)].label == "consensus"
    assert found[(3,)].label == "singleton"
    assert found[(3,)].similarity == 1.0


def test_two_of_four_is_disputed_but_two_of_three_is_consensus():
    cues = [cue(1, A, "She smiles."), cue(2, B, "She is smiling.")]
    assert [g.label for g in align(cues, annotators=(A, B, C, D), pairs=SMILE)] == ["disputed"]
    assert [g.label for g in align(cues, annotators=(A, B, C), pairs=SMILE)] == ["consensus"]
    assert [g.label for g in align(cues, annotators=(A, B), pairs=SMILE)] == ["consensus"]


def test_three_of_five_is_consensus_two_of_five_disputed():
    three = [cue(1, A, "She smiles."), cue(2, B, "She is smiling."), cue(3, C, "She smiles.")]
    five = (A, B, C, D, "u:5")
    assert [g.label for g in align(three, annotators=five, pairs=SMILE)] == ["consensus"]
    assert [g.label for g in align(three[:2], annotators=five, pairs=SMILE)] == ["disputed"]


def test_one_annotator_alone_is_a_singleton_even_when_k_is_one():
    groups = align([cue(1, A, "She smiles.")], annotators=(A,))
    assert [(g.cue_ids, g.label) for g in groups] == [([1], "singleton")]


def test_same_text_with_non_overlapping_times_makes_separate_groups():
    groups = align(
        [cue(1, A, "He raises his voice.", 0, 1000), cue(2, B, "He raises his voice.", 5000, 6000)]
    )
    assert sorted(g.cue_ids for g in groups) == [[1], [2]]
    assert all(g.label == "singleton" for g in groups)


def test_same_text_with_overlapping_times_groups_and_takes_the_union_span():
    groups = align(
        [cue(1, A, "He raises his voice.", 0, 1000), cue(2, B, "He raises his voice.", 600, 3000)]
    )
    assert [(g.cue_ids, g.start_ms, g.end_ms) for g in groups] == [([1, 2], 0, 3000)]


def test_an_untimed_cue_joins_a_timed_one_on_text_alone():
    groups = align(
        [cue(1, A, "She smiles.", 4000, 4500), cue(2, B, "She is smiling.")], pairs=SMILE
    )
    assert [(g.cue_ids, g.start_ms, g.end_ms) for g in groups] == [([1, 2], 4000, 4500)]


def test_two_cues_of_one_annotator_never_share_a_group():
    groups = align(
        [cue(1, A, "She smiles."), cue(2, A, "She is smiling."), cue(3, B, "She smiles.")],
        pairs=SMILE,
    )
    found = by_ids(groups)
    # cue 3 is identical to cue 1 (1.0) and close to cue 2 (0.9): it takes cue 1
    assert set(found) == {(1, 3), (2,)}
    assert all(len(set(g.sources)) == len(g.sources) for g in groups)


def test_identical_cues_of_one_annotator_stay_apart():
    groups = align([cue(1, A, "She smiles."), cue(2, A, "She smiles.")])
    assert sorted(g.cue_ids for g in groups) == [[1], [2]]


def test_complete_linkage_keeps_a_chain_apart():
    # A~B and B~C are similar, A and C are not: B joins its closer neighbour, C stays out
    pairs = {("x", "y"): 0.9, ("y", "z"): 0.7, ("x", "z"): 0.1}
    groups = align([cue(1, A, "x"), cue(2, B, "y"), cue(3, C, "z")], pairs=pairs)
    assert set(by_ids(groups)) == {(1, 2), (3,)}


def test_the_most_similar_pair_is_merged_first():
    # annotator A's cue could pair with either of B's; the closer one wins
    pairs = {("x", "y1"): 0.7, ("x", "y2"): 0.95}
    groups = align([cue(1, A, "x"), cue(2, B, "y1"), cue(3, B, "y2")], pairs=pairs)
    assert set(by_ids(groups)) == {(1, 3), (2,)}


def test_average_linkage_prefers_the_group_closer_on_average():
    # cue 4 (annotator C) fits both {1, 2} and {3}; its single best partner is cue 1 (0.9),
    # but its mean to {1, 2} is 0.775, below its 0.8 to {3}: the higher mean wins
    pairs = {
        ("a1", "b1"): 0.95,
        ("a1", "c"): 0.9,
        ("b1", "c"): 0.65,
        ("d", "c"): 0.8,
        ("a1", "d"): 0.1,
        ("b1", "d"): 0.1,
    }
    cues = [cue(1, A, "a1"), cue(2, B, "b1"), cue(3, D, "d"), cue(4, C, "c")]
    groups = align(cues, annotators=(A, B, C, D), pairs=pairs)
    assert set(by_ids(groups)) == {(1, 2), (3, 4)}
    assert by_ids(groups)[(1, 2)].label == "disputed"  # 2 of 4
    pairs[("d", "c")] = 0.7
    groups = align(cues, annotators=(A, B, C, D), pairs=pairs)
    assert set(by_ids(groups)) == {(1, 2, 4), (3,)}
    assert by_ids(groups)[(1, 2, 4)].label == "consensus"  # 3 of 4
    assert by_ids(groups)[(1, 2, 4)].similarity == pytest.approx((0.95 + 0.9 + 0.65) / 3)


def test_modalities_are_aligned_separately():
    groups = align(
        [
            cue(1, A, "She sounds sad.", modality="auditory"),
            cue(2, B, "She sounds sad.", modality="emotional"),
        ]
    )
    assert [(g.modality, g.cue_ids) for g in groups] == [("auditory", [1]), ("emotional", [2])]


# --- model proposals ---------------------------------------------------------------------


def test_a_matching_model_cue_attaches_without_counting_toward_the_majority():
    groups = align([cue(1, A, "She smiles."), cue(9, "model", "She is smiling.")], pairs=SMILE)
    assert len(groups) == 1
    group = groups[0]
    assert (group.cue_ids, group.model_cue_ids, group.sources) == ([1], [9], [A])
    assert group.label == "singleton"
    assert group.similarity == 1.0  # human members only
    assert group.key == hashlib.sha256(b"visual:1,9").hexdigest()[:16]


def test_an_unmatched_model_cue_is_model_only_with_its_own_span():
    groups = align(
        [cue(1, A, "She smiles.", 0, 1000), cue(9, "model", "He shouts.", 200, 900)], pairs=SMILE
    )
    found = by_ids(groups)
    assert found[(9,)].label == "model_only"
    assert found[(9,)].cue_ids == [] and found[(9,)].sources == []
    assert (found[(9,)].start_ms, found[(9,)].end_ms) == (200, 900)
    assert found[(9,)].similarity == 1.0
    assert found[(1,)].model_cue_ids == []


def test_a_model_cue_outside_the_group_span_does_not_attach():
    groups = align(
        [
            cue(1, A, "She smiles.", 0, 1000),
            cue(2, B, "She is smiling.", 0, 2000),
            cue(9, "model", "She smiles.", 5000, 6000),
        ],
        pairs=SMILE,
    )
    assert set(by_ids(groups)) == {(1, 2), (9,)}
    assert by_ids(groups)[(9,)].label == "model_only"


def test_a_model_cue_attaches_on_the_group_mean_similarity():
    pairs = {("a", "b"): 0.9, ("m", "a"): 0.9, ("m", "b"): 0.4}  # mean 0.65
    groups = align([cue(1, A, "a"), cue(2, B, "b"), cue(9, "model", "m")], pairs=pairs)
    assert [(g.cue_ids, g.model_cue_ids) for g in groups] == [([1, 2], [9])]
    pairs[("m", "b")] = 0.2  # mean 0.55
    groups = align([cue(1, A, "a"), cue(2, B, "b"), cue(9, "model", "m")], pairs=pairs)
    assert set(by_ids(groups)) == {(1, 2), (9,)}


def test_a_model_cue_attaches_to_its_best_group_and_several_may_share_one():
    pairs = {("x", "m1"): 0.7, ("y", "m1"): 0.9, ("y", "m2"): 0.8, ("x", "m2"): 0.1}
    groups = align(
        [cue(1, A, "x"), cue(2, A, "y"), cue(8, "model", "m1"), cue(9, "model", "m2")], pairs=pairs
    )
    found = by_ids(groups)
    assert found[(1,)].model_cue_ids == []
    assert found[(2,)].model_cue_ids == [8, 9]


def test_model_cues_never_shape_the_human_groups():
    # the model cue is close to both humans, who are not close to each other
    pairs = {("x", "m"): 0.9, ("y", "m"): 0.9, ("x", "y"): 0.3}
    groups = align([cue(1, A, "x"), cue(2, B, "y"), cue(9, "model", "m")], pairs=pairs)
    assert sorted(g.cue_ids for g in groups) == [[1], [2]]
    assert by_ids(groups)[(1,)].model_cue_ids == [9]  # a tie on similarity breaks on ids


def test_only_model_cues_give_model_only_groups():
    groups = align([cue(9, "model", "She smiles."), cue(8, "model", "She smiles.")])
    assert sorted(g.model_cue_ids for g in groups) == [[8], [9]]
    assert {g.label for g in groups} == {"model_only"}


# --- thresholds at the boundary ----------------------------------------------------------


@pytest.mark.parametrize(("value", "grouped"), [(0.6, True), (0.6 - 1e-6, False)])
def test_similarity_threshold_is_inclusive(value, grouped):
    groups = align([cue(1, A, "x"), cue(2, B, "y")], pairs={("x", "y"): value})
    assert (len(groups) == 1) is grouped


def test_a_custom_similarity_threshold_is_honoured():
    cues = [cue(1, A, "x"), cue(2, B, "y")]
    assert len(align(cues, pairs={("x", "y"): 0.7}, similarity_threshold=0.75)) == 2
    assert len(align(cues, pairs={("x", "y"): 0.7}, similarity_threshold=0.7)) == 1
    assert len(align(cues, pairs={("x", "y"): 0.0}, similarity_threshold=0.0)) == 1


@pytest.mark.parametrize(
    ("second", "grouped"),
    [
        ((800, 2000), True),  # overlaps 200 of the shorter 1000 ms: exactly 0.2
        ((801, 2000), False),  # 199 / 1000
        ((0, 0), True),  # a zero-length span at the other's start
        ((1000, 1000), True),  # ... at its end
        ((1001, 1001), False),  # ... just after it
        ((1000, 5000), False),  # touching spans share no time
    ],
)
def test_overlap_threshold_is_inclusive_and_handles_zero_length_spans(second, grouped):
    groups = align([cue(1, A, "x", 0, 1000), cue(2, B, "x", *second)])
    assert (len(groups) == 1) is grouped


def test_two_identical_instants_overlap_fully():
    groups = align([cue(1, A, "x", 500, 500), cue(2, B, "x", 500, 500)], overlap_threshold=1.0)
    assert [g.cue_ids for g in groups] == [[1, 2]]


def test_a_custom_overlap_threshold_is_honoured():
    cues = [cue(1, A, "x", 0, 1000), cue(2, B, "x", 500, 3000)]  # overlap 0.5
    assert len(align(cues, overlap_threshold=0.5)) == 1
    assert len(align(cues, overlap_threshold=0.51)) == 2
    disjoint = [cue(1, A, "x", 0, 1000), cue(2, B, "x", 5000, 6000)]
    assert len(align(disjoint, overlap_threshold=0.0)) == 1  # zero ignores timing


def test_defaults_are_the_documented_ones():
    assert (DEFAULT_SIMILARITY, DEFAULT_OVERLAP) == (0.6, 0.2)
    cues = [cue(1, A, "x", 0, 1000), cue(2, B, "y", 800, 2000)]
    assert len(align(cues, pairs={("x", "y"): 0.6})) == 1
    assert len(align(cues, pairs={("x", "y"): 0.59})) == 2


# --- determinism and output ----------------------------------------------------------------


def _mixed_clip() -> tuple[list[AlignCue], dict]:
    pairs = {
        **SMILE,
        ("He frowns.", "His brows knit."): 0.75,
        ("She smiles.", "He frowns."): 0.2,
        ("Loud voice.", "He shouts."): 0.7,
        ("x", "y"): 0.65,
        ("y", "z"): 0.65,
        ("x", "z"): 0.65,
    }
    cues = [
        cue(1, A, "She smiles.", 0, 1000),
        cue(2, B, "She is smiling.", 100, 900),
        cue(3, C, "The corners of her mouth turn up.", 200, 1200),
        cue(4, A, "He frowns.", 3000, 4000),
        cue(5, B, "His brows knit."),
        cue(6, C, "He frowns.", 9000, 9500),
        cue(7, A, "Loud voice.", 100, 500, "auditory"),
        cue(8, C, "He shouts.", 0, 400, "auditory"),
        cue(9, "model", "He shouts.", 50, 450, "auditory"),
        cue(10, "model", "She is smiling.", 0, 800),
        cue(11, A, "x", modality="emotional"),
        cue(12, B, "y", modality="emotional"),
        cue(13, C, "z", modality="emotional"),
        cue(14, C, "x", modality="emotional"),
        cue(15, "model", "Nothing like it.", modality="emotional"),
    ]
    return cues, pairs


def test_shuffled_input_gives_the_same_groups():
    cues, pairs = _mixed_clip()
    expected = align(cues, pairs=pairs)
    rng = random.Random(7)
    for _ in range(25):
        shuffled = cues[:]
        rng.shuffle(shuffled)
        assert align(shuffled, pairs=pairs) == expected
    assert len({g.key for g in expected}) == len(expected)


def test_mixed_clip_groups_and_order():
    cues, pairs = _mixed_clip()
    groups = align(cues, pairs=pairs)
    summary = [(g.modality, g.cue_ids, g.model_cue_ids, g.label, g.start_ms) for g in groups]
    assert summary[:4] == [
        ("visual", [1, 2, 3], [10], "consensus", 0),
        ("visual", [4, 5], [], "consensus", 3000),  # cue 6 says the same as 4, but later
        ("visual", [6], [], "singleton", 9000),
        ("auditory", [7, 8], [9], "consensus", 0),
    ]
    # emotional: untimed, so ordered by key; cues 11 and 14 are identical and merge first,
    # and C's second cue (13) cannot join a group that holds C's cue 14
    assert sorted(summary[4:]) == [
        ("emotional", [], [15], "model_only", None),
        ("emotional", [11, 12, 14], [], "consensus", None),
        ("emotional", [13], [], "singleton", None),
    ]
    assert [g.key for g in groups[4:]] == sorted(g.key for g in groups[4:])


def test_every_cue_lands_in_exactly_one_group():
    cues, pairs = _mixed_clip()
    groups = align(cues, pairs=pairs)
    placed = [i for g in groups for i in (*g.cue_ids, *g.model_cue_ids)]
    assert sorted(placed) == sorted(c.id for c in cues)


def test_untimed_groups_come_last_within_a_modality():
    groups = align([cue(1, A, "x"), cue(2, A, "y", 5000, 6000), cue(3, A, "z", 100, 200)])
    assert [g.cue_ids for g in groups] == [[3], [2], [1]]


def test_group_key_covers_modality_and_all_member_ids():
    groups = align(
        [
            cue(5, B, "x", modality="auditory"),
            cue(2, A, "x", modality="auditory"),
            cue(7, "model", "x", modality="auditory"),
        ]
    )
    assert [g.key for g in groups] == [hashlib.sha256(b"auditory:2,5,7").hexdigest()[:16]]


def test_similarity_is_asked_once_with_the_sorted_distinct_texts():
    table = TableSimilarity(SMILE)
    align_cues(
        cues=[
            cue(2, B, "She smiles."),
            cue(1, A, "She smiles."),
            cue(3, C, "She is smiling.", modality="auditory"),
        ],
        annotators=[A, B, C],
        similarity=table,
    )
    assert table.calls == [(["She is smiling.", "She smiles."], ["She is smiling.", "She smiles."])]


def test_no_cues_gives_no_groups():
    assert align([]) == []


# --- properties on random clips ---------------------------------------------------------


def _overlap(a: AlignCue, b: AlignCue) -> float:
    shorter = min(a.end_ms - a.start_ms, b.end_ms - b.start_ms)
    inter = min(a.end_ms, b.end_ms) - max(a.start_ms, b.start_ms)
    if shorter == 0:
        return 1.0 if inter >= 0 else 0.0
    return max(inter, 0) / shorter


def _timed_apart(a_span, b_span, threshold) -> bool:
    if a_span[0] is None or b_span[0] is None:
        return False
    return _overlap(cue(0, A, "", *a_span), cue(0, A, "", *b_span)) < threshold


def _random_clip(rng: random.Random):
    annotators = [f"u:{i}" for i in range(rng.randint(2, 5))]
    words = [f"w{i}" for i in range(rng.randint(2, 8))]
    pairs = {(x, y): round(rng.random(), 2) for x, y in itertools.combinations(words, 2)}
    cues = []
    for id in rng.sample(range(1, 1000), rng.randint(1, 25)):
        source = rng.choice([*annotators, "model"])
        start = rng.choice([None, rng.randrange(0, 5000, 250)])
        end = None if start is None else start + rng.randrange(0, 3000, 250)
        cues.append(
            cue(id, source, rng.choice(words), start, end, rng.choice(["visual", "auditory"]))
        )
    return cues, annotators, pairs


@pytest.mark.parametrize("seed", range(40))
def test_random_clips_keep_every_rule(seed):
    rng = random.Random(seed)
    cues, annotators, pairs = _random_clip(rng)
    threshold, overlap = rng.choice([0.3, 0.5, 0.6]), rng.choice([0.0, 0.2, 0.5])
    table = TableSimilarity(pairs)
    groups = align_cues(
        cues=cues,
        annotators=annotators,
        similarity=table,
        similarity_threshold=threshold,
        overlap_threshold=overlap,
    )
    by_id = {c.id: c for c in cues}

    def compatible(a: AlignCue, b: AlignCue) -> bool:
        timed = a.start_ms is not None and b.start_ms is not None
        return (
            a.source != b.source
            and table.value(a.text, b.text) >= threshold
            and (not timed or _overlap(a, b) >= overlap)
        )

    placed = [i for g in groups for i in (*g.cue_ids, *g.model_cue_ids)]
    assert sorted(placed) == sorted(by_id)
    human_groups = [g for g in groups if g.cue_ids]
    for g in groups:
        members = [by_id[i] for i in g.cue_ids]
        assert {m.modality for m in members} <= {g.modality}
        assert g.sources == [m.source for m in members]
        assert len(set(g.sources)) == len(g.sources)
        assert all(compatible(a, b) for a, b in itertools.combinations(members, 2))
        distinct = len(set(g.sources))
        expected = (
            "model_only"
            if not distinct
            else "singleton"
            if distinct == 1
            else "consensus"
            if 2 * distinct > len(annotators)
            else "disputed"
        )
        assert g.label == expected
        for model_id in g.model_cue_ids:
            proposal = by_id[model_id]
            assert proposal.source == "model" and proposal.modality == g.modality
            if g.cue_ids:
                mean = np.mean([table.value(proposal.text, m.text) for m in members])
                assert mean >= threshold
                assert not _timed_apart(
                    (proposal.start_ms, proposal.end_ms), (g.start_ms, g.end_ms), overlap
                )
    # maximal: no two human groups could still merge
    for g, h in itertools.combinations(human_groups, 2):
        if g.modality == h.modality:
            assert not all(compatible(by_id[a], by_id[b]) for a in g.cue_ids for b in h.cue_ids)
    # a model_only proposal had no human group to join
    for g in groups:
        if g.cue_ids:
            continue
        proposal = by_id[g.model_cue_ids[0]]
        for h in human_groups:
            if h.modality != g.modality:
                continue
            mean = np.mean([table.value(proposal.text, by_id[i].text) for i in h.cue_ids])
            assert mean < threshold or _timed_apart(
                (proposal.start_ms, proposal.end_ms), (h.start_ms, h.end_ms), overlap
            )
    shuffled = cues[:]
    rng.shuffle(shuffled)
    assert (
        align_cues(
            cues=shuffled,
            annotators=annotators,
            similarity=table,
            similarity_threshold=threshold,
            overlap_threshold=overlap,
        )
        == groups
    )


# --- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cues", "annotators", "options", "message"),
    [
        ([cue(1, A, "x", modality="haptic")], (A,), {}, "unknown modality 'haptic'"),
        ([cue(1, "u:99", "x")], (A, B), {}, "source 'u:99' is neither"),
        ([cue(1, A, "x"), cue(1, B, "y")], (A, B), {}, "cue id 1 appears more than once"),
        ([cue(1, A, "x", 500, 400)], (A,), {}, "end_ms 400 is before start_ms 500"),
        ([cue(1, A, "x", 500, None)], (A,), {}, "both start_ms and end_ms or neither"),
        ([cue(1, A, "x", -5, 10)], (A,), {}, "must not be negative"),
        ([cue(1, A, "x")], (A,), {"similarity_threshold": 1.2}, "similarity_threshold must be"),
        ([cue(1, A, "x")], (A,), {"similarity_threshold": -0.1}, "similarity_threshold must be"),
        ([cue(1, A, "x")], (A,), {"overlap_threshold": 1.5}, "overlap_threshold must be"),
        ([cue(1, A, "x")], (A,), {"overlap_threshold": float("nan")}, "overlap_threshold must be"),
        ([cue(1, A, "x")], (A,), {"overlap_threshold": True}, "overlap_threshold must be"),
        ([cue(1, A, "x")], (A, A), {}, "more than once"),
        ([cue(1, "model", "x")], ("model",), {}, "reserved for model proposals"),
        ([cue(1, A, "x")], "u:1", {}, "not the string"),
    ],
)
def test_bad_input_raises_a_clear_value_error(cues, annotators, options, message):
    with pytest.raises(ValueError, match=message):
        align_cues(cues=cues, annotators=annotators, similarity=TableSimilarity(), **options)


def test_thresholds_are_checked_even_without_cues():
    with pytest.raises(ValueError, match="similarity_threshold"):
        align([], similarity_threshold=2)


def test_a_similarity_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match=r"shape \(1, 1\) for 2 x 2 texts"):
        align_cues(
            cues=[cue(1, A, "x"), cue(2, B, "y")],
            annotators=[A, B],
            similarity=lambda a, b: np.ones((1, 1)),
        )
    with pytest.raises(ValueError, match="non-finite"):
        align_cues(
            cues=[cue(1, A, "x")], annotators=[A], similarity=lambda a, b: np.full((1, 1), np.nan)
        )


# --- the embedding similarity -------------------------------------------------------------


class CountingEncoder:
    model_id = "counting"
    vectors = {"a": [3.0, 4.0, 0.0], "b": [0.0, 2.0, 0.0], "c": [0.0, 0.0, -1.0]}

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.encoded.extend(texts)
        return np.array([self.vectors[t] for t in texts], dtype=np.float32).reshape(len(texts), 3)


def test_embedding_similarity_is_the_cosine_and_embeds_each_text_once():
    encoder = CountingEncoder()
    similarity = embedding_similarity(EmbeddingCache(encoder))
    matrix = similarity(["a", "b", "a"], ["b", "c", "a"])
    assert matrix.shape == (3, 3)
    assert matrix == pytest.approx(np.array([[0.8, 0.0, 1.0], [1.0, 0.0, 0.8], [0.8, 0.0, 1.0]]))
    assert sorted(encoder.encoded) == ["a", "b", "c"]
    similarity(["c"], ["a"])
    assert sorted(encoder.encoded) == ["a", "b", "c"]  # cached
    assert similarity([], ["a"]).shape == (0, 1)
    assert similarity.model_id == "counting"


def test_modalities_constant_matches_emocue360():
    groups = align([cue(i, A, "x", modality=m) for i, m in enumerate(reversed(MODALITIES))])
    assert [g.modality for g in groups] == list(MODALITIES)


# --- with the real all-MiniLM-L6-v2 -------------------------------------------------------


@pytest.fixture(scope="module")
def real_similarity():
    from inference.emocue360 import SentenceTransformerEncoder

    return embedding_similarity(EmbeddingCache(SentenceTransformerEncoder()))


def test_real_model_groups_what_a_person_would_group(real_similarity):
    # every pair meant to align scores >= 0.69 with all-MiniLM-L6-v2, every other pair of
    # one modality and time <= 0.54: the expected groups do not hang on the third decimal
    cues = [
        # visual: a smile and tears (two annotators each), a look away (one)
        cue(1, A, "She is smiling widely.", 0, 2000),
        cue(2, B, "She has a big smile on her face.", 300, 1800),
        cue(3, A, "Tears are running down her cheeks.", 6000, 8000),
        cue(4, B, "Tears stream down her face.", 6500, 7500),
        cue(5, C, "She looks away from the camera.", 9000, 9800),
        # auditory: a trembling voice (two), a laugh earlier (one)
        cue(6, A, "Her voice trembles.", 6000, 8000, "auditory"),
        cue(7, C, "Her voice is shaking.", 6200, 7900, "auditory"),
        cue(8, B, "She laughs briefly.", 0, 3000, "auditory"),
        # emotional: all three say she is happy; A also thinks she is nervous
        cue(9, A, "She is overjoyed.", modality="emotional"),
        cue(10, B, "She feels very happy.", modality="emotional"),
        cue(11, C, "She is extremely happy.", modality="emotional"),
        cue(12, A, "She seems nervous.", modality="emotional"),
        # model proposals: one matches the smile, one says something nobody said
        cue(20, "model", "She has a big smile.", 200, 1500),
        cue(21, "model", "A car horn honks in the background.", 4000, 5000, "auditory"),
    ]
    groups = align_cues(cues=cues, annotators=[A, B, C], similarity=real_similarity)
    summary = [(g.modality, g.cue_ids, g.model_cue_ids, g.label) for g in groups]
    assert summary == [
        ("visual", [1, 2], [20], "consensus"),
        ("visual", [3, 4], [], "consensus"),
        ("visual", [5], [], "singleton"),
        ("auditory", [8], [], "singleton"),
        ("auditory", [], [21], "model_only"),
        ("auditory", [6, 7], [], "consensus"),
        *sorted(
            [("emotional", [9, 10, 11], [], "consensus"), ("emotional", [12], [], "singleton")],
            key=lambda s: next(g.key for g in groups if g.cue_ids == s[1]),
        ),
    ]
    happy = next(g for g in groups if g.cue_ids == [9, 10, 11])
    assert happy.similarity == pytest.approx(np.mean([0.69, 0.73, 0.89]), abs=0.01)
    smile = groups[0]
    assert (smile.start_ms, smile.end_ms) == (0, 2000)


def test_real_model_keeps_the_same_words_apart_when_times_differ(real_similarity):
    groups = align_cues(
        cues=[
            cue(1, A, "He raises his voice.", 0, 1000, "auditory"),
            cue(2, B, "He starts shouting.", 4000, 5000, "auditory"),
            cue(3, C, "He raises his voice.", 4200, 4800, "auditory"),
        ],
        annotators=[A, B, C],
        similarity=real_similarity,
    )
    assert sorted(g.cue_ids for g in groups) == [[1], [2, 3]]


def test_real_model_result_does_not_depend_on_input_order(real_similarity):
    cues = [
        cue(1, A, "She smiles."),
        cue(2, B, "She is smiling."),
        cue(3, C, "He frowns."),
        cue(4, B, "His brows are knitted."),
        cue(5, A, "She grins."),
    ]
    keys = {
        tuple(
            g.key
            for g in align_cues(cues=list(order), annotators=[A, B, C], similarity=real_similarity)
        )
        for order in itertools.permutations(cues)
    }
    assert len(keys) == 1
