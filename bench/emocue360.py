"""EmoCue-360 speed and agreement: our Scorer vs a per-sample re-encoding implementation.

Both score the same generated set (default 400 samples x 3 modalities x about 8 cues) with
the same all-MiniLM-L6-v2 model object, in one run. The baseline follows the published
reference code: for every sample and modality it encodes the gold list and the predicted
list afresh and takes the max over a cosine matrix. Ours deduplicates texts, embeds each
once, caches by (model id, sha256) and computes the same formula per sample.

Reported: baseline time; ours cold (empty cache), warm (memory cache, the case of live
scoring in a worker), warm from the SQLite store only (a fresh worker, shared file);
the speed ratios; and the largest absolute difference of any per-sample or averaged
precision / recall / F1.

    HF_HUB_OFFLINE=1 python bench/emocue360.py [--samples 400] [--cues 8] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from inference.emocue360 import MODALITIES, Scorer, SentenceTransformerEncoder  # noqa: E402

PARTS = {
    "visual": (
        ["He", "She", "The man", "The woman", "The speaker", "The girl", "The boy"],
        [
            "frowns",
            "smiles slightly",
            "raises the eyebrows",
            "looks down",
            "stares ahead",
            "narrows the eyes",
            "nods slowly",
            "shakes the head",
            "clenches the jaw",
            "covers the face",
            "leans back",
            "glances away",
            "bites the lip",
            "tilts the head",
            "crosses the arms",
            "wipes away tears",
            "blinks rapidly",
            "opens the mouth wide",
        ],
        [
            "",
            " at the other person",
            " for a moment",
            " repeatedly",
            " near the window",
            " while sitting on the sofa",
            " with red eyes",
            " in a dim room",
            " without a word",
        ],
    ),
    "auditory": (
        [
            "His voice",
            "Her voice",
            "The tone",
            "The speech",
            "The volume",
            "The pitch",
            "The speaking rate",
            "The laughter",
            "The sigh",
        ],
        [
            "is loud",
            "is soft",
            "trembles",
            "rises sharply",
            "drops at the end",
            "is flat",
            "is fast",
            "is slow",
            "breaks",
            "sounds hoarse",
            "is cheerful",
            "is cold",
            "is hesitant",
            "is choked",
        ],
        [
            "",
            " throughout",
            " with long pauses",
            " near the end",
            " at first",
            " in short bursts",
            " when answering",
        ],
    ),
    "emotional": (
        ["He", "She", "The speaker", "The character"],
        [
            "feels angry",
            "is delighted",
            "is worried",
            "feels ashamed",
            "is surprised",
            "is disappointed",
            "feels relieved",
            "is anxious",
            "is grieving",
            "is frustrated",
            "feels hopeful",
            "is embarrassed",
            "is contemptuous",
            "is calm",
        ],
        [
            "",
            " about the news",
            " with the other person",
            " about the future",
            " after the argument",
            " but hides it",
            " and wants to leave",
        ],
    ),
}


def make_cue(rng: random.Random, modality: str) -> str:
    subjects, predicates, tails = PARTS[modality]
    return f"{rng.choice(subjects)} {rng.choice(predicates)}{rng.choice(tails)}."


def generate(n_samples: int, cues: int, seed: int) -> tuple[dict, dict]:
    """Gold and predicted cue files; predictions reuse, perturb, drop and invent cues."""
    rng = random.Random(seed)
    gold, predicted = {}, {}
    for i in range(n_samples):
        name = f"sample_{i:08d}"
        g_sample, p_sample = {}, {}
        for modality in MODALITIES:
            k = max(1, cues + rng.randint(-3, 3))
            g = [make_cue(rng, modality) for _ in range(k)]
            p = []
            for cue in g:
                roll = rng.random()
                if roll < 0.35:
                    p.append(cue)  # exact hit
                elif roll < 0.75:
                    p.append(make_cue(rng, modality))  # another statement
                elif roll < 0.85:
                    p.append(cue.rstrip(".") + " again.")  # near paraphrase
            p += [make_cue(rng, modality) for _ in range(rng.randint(0, 3))]
            g_sample[modality] = g
            p_sample[modality] = p
        gold[name], predicted[name] = g_sample, p_sample
    return gold, predicted


def baseline_score(model, gold: dict, predicted: dict) -> dict:
    """Per-sample re-encoding, as in the reference code; returns per-unit and mean P/R/F1."""
    per_unit, means = {}, {}
    for modality in MODALITIES:
        rows = []
        for name, p_sample in predicted.items():
            g, p = gold[name][modality], p_sample[modality]
            if not g:
                continue
            if not p:
                r = pr = f = 0.0
            else:
                sim = model.similarity(model.encode(g), model.encode(p))
                r = torch.max(sim, dim=1).values.mean().item()
                pr = torch.max(sim, dim=0).values.mean().item()
                f = 2 * pr * r / (pr + r) if pr + r > 0 else 0.0
            per_unit[(name, modality)] = (pr, r, f)
            rows.append((pr, r, f))
        means[modality] = tuple(float(np.mean([row[j] for row in rows])) for j in range(3))
    return {"per_unit": per_unit, "means": means}


def max_abs_difference(ours: dict, base: dict) -> float:
    worst = 0.0
    for (name, modality), values in base["per_unit"].items():
        row = ours["per_sample"][name]["paper"][modality]
        for a, b in zip((row["precision"], row["recall"], row["f1"]), values, strict=True):
            worst = max(worst, abs(a - b))
    for modality, values in base["means"].items():
        row = ours["scores"]["paper"][modality]
        for a, b in zip((row["precision"], row["recall"], row["f1"]), values, strict=True):
            worst = max(worst, abs(a - b))
    return worst


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--cues", type=int, default=8, help="mean cues per gold list")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=5, help="warm runs (median reported)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    gold, predicted = generate(args.samples, args.cues, args.seed)
    n_gold = sum(len(s[m]) for s in gold.values() for m in MODALITIES)
    n_pred = sum(len(s[m]) for s in predicted.values() for m in MODALITIES)
    unique = len(
        {t for f in (gold, predicted) for s in f.values() for m in MODALITIES for t in s[m]}
    )

    encoder = SentenceTransformerEncoder()
    model = encoder.model
    model.encode(["warm up the model"])  # first-call overhead belongs to neither side

    t_base, base = timed(lambda: baseline_score(model, gold, predicted))

    scorer = Scorer(encoder=encoder)
    t_cold, ours = timed(lambda: scorer.score(gold=gold, predicted=predicted, mode="reference"))
    t_warm, ours_warm = timed(
        lambda: scorer.score(gold=gold, predicted=predicted, mode="reference"), args.repeat
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "embeddings.sqlite"
        Scorer(encoder=encoder, store=store).score(gold=gold, predicted=predicted, mode="reference")
        t_store, ours_store = timed(
            lambda: Scorer(encoder=encoder, store=store).score(
                gold=gold, predicted=predicted, mode="reference"
            ),
            args.repeat,
        )
        assert ours_store["counts"]["cue_texts_encoded"] == 0
    assert ours_warm["counts"]["cue_texts_encoded"] == 0

    diff = max(max_abs_difference(r, base) for r in (ours, ours_warm, ours_store))
    report = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, "
        f"torch {torch.__version__} threads {torch.get_num_threads()}",
        "samples": args.samples,
        "gold_cues": n_gold,
        "predicted_cues": n_pred,
        "unique_texts": unique,
        "baseline_s": round(t_base, 3),
        "ours_cold_s": round(t_cold, 3),
        "ours_warm_memory_s": round(t_warm, 4),
        "ours_warm_sqlite_s": round(t_store, 4),
        "speedup_cold": round(t_base / t_cold, 1),
        "speedup_warm_memory": round(t_base / t_warm, 1),
        "speedup_warm_sqlite": round(t_base / t_store, 1),
        "max_abs_difference": diff,
        "budget": "warm speedup >= 20x, max abs difference <= 1e-6",
        "within_budget": bool(t_base / t_warm >= 20 and diff <= 1e-6),
        "paper_f1": {m: round(ours["scores"]["paper"][m]["f1"], 4) for m in MODALITIES},
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key:>22}: {value}")
    return 0 if report["within_budget"] else 1


if __name__ == "__main__":
    sys.exit(main())
