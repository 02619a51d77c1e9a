"""The learned proposer's model (inference/learning): labelling cues by the gold, fitting the
cue filter and the emotion model, the artefact's bytes, applying it, and the paired comparison.
Synthetic observations, a word-overlap similarity: no media, no sentence model."""

from __future__ import annotations

import json
import random
import re

import numpy as np
import pytest

from inference.learning import (
    ClipGold,
    ClipObservation,
    LearnedModel,
    LearnedSignalProposer,
    LearningError,
    apply_learned,
    fit,
    paired_difference,
    training_set,
)
from inference.proposers import Proposal, ProposalError, ProposedCue
from inference.proposers.signals import SIGNALS_VERSION

BASE = {"proposer": "signals", "version": SIGNALS_VERSION}
SMILE = "The corners of the mouth turn up (clear smile)."
LOUD = "The voice is loud."
POSITIVE = "The words are positive."


def overlap(a, b):
    """Word-set Jaccard: 1 for the same sentence, 0 for sentences sharing no word."""

    def words(text):
        return set(text.lower().strip(".").split())

    return np.array([[len(words(x) & words(y)) / len(words(x) | words(y)) for y in b] for x in a])


def observation(name: str, valence: float, arousal: float) -> tuple[ClipObservation, ClipGold]:
    """A clip of the astronaut (always smiling): the base always says happy from the smile. The
    gold's habit: the smile is kept only when the words are positive; the primary label comes
    from the words and the voice."""
    features = {
        "visual.smile_fraction": 1.0,
        "text.valence": valence,
        "auditory.arousal": arousal,
        "auditory.has_audio": 1.0,
    }
    cues = (
        ProposedCue("visual", SMILE, 0, 4000, 0.94, {"feature": "smile", "value": 0.17}),
        ProposedCue("auditory", LOUD, 300, 3400, 0.7, {"feature": "active_speech_level_dbfs"}),
        ProposedCue(
            "auditory", POSITIVE, 300, 1600, 0.8, {"feature": "vader_compound"}, kind="subtitle"
        ),
        ProposedCue(
            "emotional",
            "The smile suggests that the person is happy.",
            0,
            4000,
            0.75,
            {"rule": "happy"},
            kind="inference",
        ),
    )
    if valence > 0.2:
        primary = "happy"
    elif arousal > 0.6:
        primary = "angry"
    else:
        primary = "sad"
    gold_cues = {
        "visual": (SMILE,) if valence > 0.2 else ("Her face does not change.",),
        "auditory": (LOUD,) + ((POSITIVE,) if valence > 0.2 else ()),
        "emotional": (f"The words suggest that the person is {primary}.",),
    }
    obs = ClipObservation(
        name=name,
        features=features,
        emotions=(("happy", 0.75),),
        cues=cues,
        duration_ms=4000,
    )
    return obs, ClipGold(name=name, primary_label=primary, cues=gold_cues)


def clips(n: int, seed: int = 1):
    rng = random.Random(seed)
    pairs = [
        observation(f"c{i:03d}", rng.uniform(-0.9, 0.9), rng.uniform(0.1, 0.95)) for i in range(n)
    ]
    return [o for o, _ in pairs], {g.name: g for _, g in pairs}


def trained(n: int = 40, seed: int = 0) -> LearnedModel:
    observations, gold = clips(n)
    data = training_set(observations=observations, gold=gold, similarity=overlap, threshold=0.6)
    return fit(training=data, seed=seed, base=BASE, trained_on={"gold_version": 1, "seed": seed})


def proposal_of(obs: ClipObservation, version: str = SIGNALS_VERSION) -> Proposal:
    return Proposal(
        proposer="signals",
        version=version,
        description="In the video, ...",
        cues=obs.cues,
        emotions=obs.emotions,
        features=dict(obs.features),
    )


def test_cues_are_labelled_kept_by_their_similarity_to_the_gold_and_inference_cues_are_not():
    observations, gold = clips(10)
    data = training_set(observations=observations, gold=gold, similarity=overlap, threshold=0.6)
    assert len(data.clips) == 10 and len(data.cues) == 30  # 3 filterable cues a clip
    by = {(c.clip, c.rule): c for c in data.cues}
    for obs in observations:
        positive = obs.features["text.valence"] > 0.2
        assert by[(obs.name, "visual/smile")].kept is positive
        assert by[(obs.name, "auditory/active_speech_level_dbfs")].kept
        assert by[(obs.name, "auditory/vader_compound")].kept is positive
    assert not any(c.rule.startswith("emotional/") for c in data.cues)
    assert data.primary == {name: g.primary_label for name, g in gold.items()}


def test_the_training_hash_names_the_data_and_its_labels():
    observations, gold = clips(10)

    def sha(**changes):
        options = dict(observations=observations, gold=gold, similarity=overlap, threshold=0.6)
        return training_set(**(options | changes)).sha256

    assert sha() == sha(observations=list(reversed(observations)))  # order does not matter
    assert sha() != sha(threshold=0.2)  # other labels
    relabelled = dict(gold)
    relabelled["c000"] = ClipGold("c000", "calm", gold["c000"].cues)
    assert sha() != sha(gold=relabelled)
    with pytest.raises(ValueError, match="has no gold"):
        training_set(observations=observations, gold={}, similarity=overlap, threshold=0.6)


def test_the_filter_learns_when_the_gold_drops_the_smile_and_the_emotion_model_learns_labels():
    model = trained(60)
    assert model.data["cue_filter"]["rules"]["visual/smile"]["kind"] == "logistic"
    # A constant rule: the gold keeps every loud-voice cue.
    loud = model.data["cue_filter"]["rules"]["auditory/active_speech_level_dbfs"]
    assert loud["kind"] == "constant" and loud["p"] > 0.95
    test_obs, test_gold = clips(30, seed=99)
    right_keep = right_label = 0
    for obs in test_obs:
        p = model.keep_probability(obs.cues[0], features=obs.features, duration_ms=4000)
        right_keep += (p >= 0.5) == (obs.features["text.valence"] > 0.2)
        label = model.emotion_probabilities(features=obs.features, emotions=obs.emotions)[0][0]
        right_label += label == test_gold[obs.name].primary_label
    assert right_keep >= 27 and right_label >= 24, (right_keep, right_label)


def test_the_same_data_and_seed_give_the_same_bytes_and_the_bytes_load_back():
    first, second = trained(seed=0), trained(seed=0)
    assert first.to_bytes() == second.to_bytes() and first.sha256 == second.sha256
    loaded = LearnedModel.from_bytes(first.to_bytes())
    assert loaded.to_bytes() == first.to_bytes()
    assert trained(seed=1).to_bytes() != first.to_bytes()  # the seed is part of the record
    data = json.loads(first.to_bytes())
    assert data["trained_on"]["training_sha256"] and data["base"] == BASE
    with pytest.raises(LearningError, match="not a learned proposer artefact"):
        LearnedModel.from_bytes(b'{"format": "something else"}')
    with pytest.raises(LearningError, match="not JSON"):
        LearnedModel.from_bytes(b"\x80pickle")


def test_too_few_clips_are_refused_with_the_numbers():
    observations, gold = clips(4)
    data = training_set(observations=observations, gold=gold, similarity=overlap, threshold=0.6)
    with pytest.raises(LearningError, match="4 clip.*at least 6"):
        fit(training=data, seed=0, base=BASE, trained_on={})


def test_applying_the_model_filters_cues_and_states_the_learned_emotion():
    model = trained(60)
    sad, _ = observation("x", valence=-0.7, arousal=0.2)
    out = apply_learned(proposal_of(sad), model, duration_ms=4000)
    assert out.proposer == "signals+learned"
    assert out.version == f"{SIGNALS_VERSION}+learned+{model.sha256[:12]}"
    texts = [c.text for c in out.cues]
    assert POSITIVE not in texts and LOUD in texts
    assert SMILE in texts  # the only visual cue: kept, as an empty modality would score 0
    smile = next(c for c in out.cues if c.text == SMILE)
    assert smile.confidence < 0.5 and smile.evidence["learned"]["base_confidence"] == 0.94
    emotional = [c for c in out.cues if c.modality == "emotional"]
    assert [c.text for c in emotional] == ["The cues suggest that the person is sad."]
    assert out.emotions[0][0] == "sad" and emotional[0].confidence == round(out.emotions[0][1], 3)
    assert "Therefore, it is inferred that their emotional state is sad" in out.description
    assert any("dropped 1 of 3" in note for note in out.notes)

    happy, _ = observation("y", valence=0.8, arousal=0.9)
    out = apply_learned(proposal_of(happy), model, duration_ms=4000)
    emotional = [c for c in out.cues if c.modality == "emotional"]
    # The base's own sentence for the learned label is kept, with its reasons.
    assert [c.text for c in emotional] == ["The smile suggests that the person is happy."]


def test_a_model_refuses_the_output_of_another_base_version():
    model = trained()
    obs, _ = observation("x", 0.5, 0.5)
    with pytest.raises(
        ProposalError, match=f"trained on signals {re.escape(SIGNALS_VERSION)} proposals"
    ):
        apply_learned(
            proposal_of(obs, version=f"{SIGNALS_VERSION}+abcd1234"), model, duration_ms=4000
        )


def test_the_learned_proposer_needs_a_readable_artefact(tmp_path):
    with pytest.raises(ValueError, match="needs a trained model"):
        LearnedSignalProposer()
    with pytest.raises(ValueError, match="cannot be read"):
        LearnedSignalProposer(artefact=tmp_path / "gone.json")
    path = tmp_path / "model.json"
    path.write_bytes(trained().to_bytes())
    proposer = LearnedSignalProposer(artefact=path)
    assert proposer.version == f"{SIGNALS_VERSION}+learned" and proposer.needs_artefact


def test_paired_difference_pairs_the_clips_and_its_interval_holds_the_difference():
    rng = np.random.default_rng(3)
    base = {f"c{i}": {"visual": float(v), "emotional": 0.5} for i, v in enumerate(rng.random(40))}
    better = {c: {m: v + 0.1 for m, v in s.items()} for c, s in base.items()}
    result = paired_difference(base=base, other=better, n_resamples=500, seed=0)
    assert result["clips"] == 40
    assert result["difference"]["overall"] == pytest.approx(0.1)
    # Every clip gains 0.1: the paired interval is a point, though the clips vary widely.
    assert result["ci"]["overall"] == pytest.approx([0.1, 0.1])
    again = paired_difference(base=base, other=better, n_resamples=500, seed=0)
    assert again == result
    noisy = {c: {m: v + rng.normal(0, 0.2) for m, v in s.items()} for c, s in base.items()}
    lo, hi = paired_difference(base=base, other=noisy, n_resamples=500)["ci"]["overall"]
    assert lo < 0 < hi
    only = paired_difference(base={"a": {"visual": 1.0}}, other={"b": {"visual": 1.0}})
    assert only["clips"] == 0 and only["ci"] == {}
    with pytest.raises(ValueError, match="n_resamples"):
        paired_difference(base=base, other=better, n_resamples=0)
