"""Which thresholds should cue alignment use? A small measurement with all-MiniLM-L6-v2.

Text: hand-written EMER-style cues, three wordings of each observation (as three annotators
might write it), per modality. Pairs of wordings of one observation are *paraphrases*
(they should align); pairs of wordings of two different observations of the same
modality are *different* (they should not); among those, *near misses* are pairs of
observations written down as contrasts (smile / mouth turned down, loud / quiet,
happy / sad): the hardest different pairs. Reported: the similarity distributions, the
share of each kind at or above a threshold for a sweep of thresholds, the threshold
that best separates them (Youden's J = paraphrases kept - different pairs joined), and
the pairwise precision / recall of the whole procedure (``align_cues``) on simulated
clips built from these cues.

Time: the overlap threshold cannot be measured on text. It is simulated, with the
assumptions stated in the output: annotators mark one event with jittered boundaries
(and sometimes only part of it), and the same observation repeated a little later
(a second smile) should stay a separate group.

No data from ../shared/data: every cue here is written for this script.

    HF_HUB_OFFLINE=1 python bench/alignment_thresholds.py [--clips 300] [--seed 0] \\
        [--resamples 1000]
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from inference.alignment import (  # noqa: E402
    DEFAULT_OVERLAP,
    DEFAULT_SIMILARITY,
    AlignCue,
    align_cues,
    embedding_similarity,
)
from inference.emocue360 import MODALITIES, EmbeddingCache, SentenceTransformerEncoder  # noqa: E402

# One observation per row, in three wordings.
OBSERVATIONS: dict[str, list[tuple[str, str, str]]] = {
    "visual": [
        (
            "The corners of her mouth turn up.",
            "She smiles slightly.",
            "A faint smile appears on her face.",
        ),
        (
            "His eyebrows are furrowed.",
            "He knits his brows.",
            "He frowns, drawing his brows together.",
        ),
        ("Her eyebrows are raised high.", "She lifts her eyebrows.", "Her brows shoot up."),
        ("His eyes widen.", "He opens his eyes wide.", "His eyes grow big and round."),
        ("Tears roll down her cheeks.", "She is crying.", "Her eyes are wet with tears."),
        ("He looks down at the floor.", "His gaze is lowered.", "He keeps his eyes on the ground."),
        (
            "She avoids eye contact.",
            "She looks away from the other person.",
            "Her eyes turn aside.",
        ),
        (
            "His lips are pressed tightly together.",
            "He presses his lips into a thin line.",
            "His mouth is clamped shut.",
        ),
        (
            "She shakes her head.",
            "Her head moves from side to side.",
            "She gives a shake of the head.",
        ),
        ("He nods.", "He nods his head several times.", "His head bobs up and down."),
        (
            "She crosses her arms over her chest.",
            "Her arms are folded.",
            "She sits with folded arms.",
        ),
        (
            "He covers his face with his hands.",
            "He buries his face in his hands.",
            "His hands hide his face.",
        ),
        ("Her mouth falls open.", "Her jaw drops.", "She opens her mouth wide."),
        (
            "He leans toward the other person.",
            "He bends forward in his seat.",
            "His upper body tilts forward.",
        ),
        (
            "The corners of his mouth turn down.",
            "His mouth droops at the corners.",
            "His lips curve downward.",
        ),
    ],
    "auditory": [
        ("Her voice is loud.", "She speaks at a high volume.", "She almost shouts."),
        (
            "He speaks very softly.",
            "His voice is barely above a whisper.",
            "He talks in a low, quiet voice.",
        ),
        ("She speaks quickly.", "Her speech is rapid.", "She talks at a fast pace."),
        (
            "He speaks slowly.",
            "His speech is slow and drawn out.",
            "He talks at a slow pace, pausing often.",
        ),
        ("Her voice trembles.", "Her voice is shaky.", "She speaks with a quivering voice."),
        (
            "His pitch rises sharply.",
            "His voice goes up in pitch.",
            "He speaks in a high-pitched voice.",
        ),
        (
            "Her tone is flat and monotonous.",
            "She speaks in a monotone.",
            "Her intonation barely changes.",
        ),
        ("He sighs heavily.", "A deep sigh can be heard.", "He lets out a long breath."),
        ("She laughs.", "Laughter can be heard.", "She bursts out laughing."),
        ("He sobs.", "Crying sounds can be heard in his voice.", "He weeps audibly."),
        (
            "She hesitates and stammers.",
            "Her speech is halting, with many pauses.",
            "She stumbles over her words.",
        ),
        (
            "His tone is harsh and sharp.",
            "He speaks in a biting tone.",
            "His voice sounds cutting and aggressive.",
        ),
        (
            "Her tone is warm and gentle.",
            "Her voice sounds friendly and warm.",
            "She speaks in a kind, caring tone.",
        ),
    ],
    "emotional": [
        ("She is happy.", "She feels joyful.", "She is in a cheerful mood."),
        ("He is sad.", "He feels sorrowful.", "He is in low spirits."),
        ("She is angry.", "She is furious.", "She is full of rage."),
        ("He is frightened.", "He feels scared.", "He is afraid of what will happen."),
        ("She is surprised.", "She is caught off guard.", "She is astonished."),
        ("He seems anxious.", "He is worried.", "He feels nervous and uneasy."),
        ("She feels disgusted.", "She is repulsed.", "She finds it revolting."),
        ("He is calm.", "He appears composed and relaxed.", "He shows no strong emotion."),
        ("She is embarrassed.", "She feels awkward and ashamed.", "She is self-conscious."),
        ("He feels contempt.", "He is disdainful.", "He is scornful of the other person."),
        ("She is disappointed.", "She feels let down.", "Her hopes have been dashed."),
    ],
}

# Observations written as contrasts of one another (indices into OBSERVATIONS[modality]).
NEAR_MISSES: dict[str, list[tuple[int, int]]] = {
    "visual": [(0, 14), (1, 2), (5, 6), (8, 9), (7, 12), (3, 4)],
    "auditory": [(0, 1), (2, 3), (5, 6), (8, 9), (11, 12)],
    "emotional": [(0, 1), (2, 7), (3, 4), (5, 7), (0, 10)],
}

SWEEP = (0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70, 0.75, 0.80)
ANNOTATORS = ("u:1", "u:2", "u:3")


class PairTable:
    """Similarities of every wording pair of one modality, grouped by observation."""

    def __init__(self, modality: str, similarity) -> None:
        self.modality = modality
        self.rows = OBSERVATIONS[modality]
        texts = [t for row in self.rows for t in row]
        self.texts = texts
        self.matrix = np.asarray(similarity(texts, texts))
        self.near = {frozenset(p) for p in NEAR_MISSES[modality]}

    def block(self, i: int, j: int) -> np.ndarray:
        """The 3 x 3 similarities of the wordings of observations i and j."""
        return self.matrix[3 * i : 3 * i + 3, 3 * j : 3 * j + 3]

    def kinds(self, draws: list[int] | None = None) -> dict[str, np.ndarray]:
        """Paraphrase, different and near-miss similarities over ``draws`` (observation
        indices, repeats allowed for the bootstrap; default: each observation once)."""
        draws = list(range(len(self.rows))) if draws is None else draws
        out: dict[str, list[float]] = {"paraphrase": [], "different": [], "near miss": []}
        upper = np.triu_indices(3, k=1)
        for p, i in enumerate(draws):
            out["paraphrase"].extend(self.block(i, i)[upper])
            for j in draws[p + 1 :]:
                if i == j:
                    continue
                values = self.block(i, j).ravel()
                out["different"].extend(values)
                if frozenset((i, j)) in self.near:
                    out["near miss"].extend(values)
        return {k: np.array(v) for k, v in out.items()}

    def extremes(self, k: int = 4) -> tuple[list, list]:
        """The k least similar paraphrases and the k most similar different pairs."""
        same, diff = [], []
        for i, j in itertools.combinations_with_replacement(range(len(self.rows)), 2):
            for a, b in itertools.product(range(3), range(3)):
                if i == j and a >= b:
                    continue
                item = (float(self.block(i, j)[a, b]), self.rows[i][a], self.rows[j][b])
                (same if i == j else diff).append(item)
        return sorted(same)[:k], sorted(diff, reverse=True)[:k]


def pair_similarities(tables: dict[str, PairTable]) -> dict[str, dict[str, np.ndarray]]:
    """{modality | "all": {"paraphrase" | "different" | "near miss": similarities}}."""
    sims = {m: t.kinds() for m, t in tables.items()}
    sims["all"] = {
        k: np.concatenate([sims[m][k] for m in MODALITIES])
        for k in ("paraphrase", "different", "near miss")
    }
    return sims


def best_threshold(same: np.ndarray, different: np.ndarray) -> tuple[float, float]:
    """(threshold, Youden's J) maximising kept paraphrases minus joined different pairs."""
    grid = np.round(np.arange(0.30, 0.901, 0.01), 2)
    scores = [
        ((same >= t).mean() - (different >= t).mean(), -abs(t - DEFAULT_SIMILARITY), t)
        for t in grid
    ]
    j, _, t = max(scores)
    return float(t), float(j)


def print_distributions(sims) -> None:
    print("### Pair similarities (cosine, all-MiniLM-L6-v2)\n")
    print("| modality | pairs | n | min | median | max | share >= 0.6 |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for modality in (*MODALITIES, "all"):
        for kind in ("paraphrase", "different", "near miss"):
            values = sims[modality][kind]
            print(
                f"| {modality} | {kind} | {len(values)} | {values.min():.2f} | "
                f"{np.median(values):.2f} | {values.max():.2f} | "
                f"{(values >= DEFAULT_SIMILARITY).mean():.0%} |"
            )
    print()


def print_extremes(tables: dict[str, PairTable]) -> None:
    print("### Where the model disagrees with a person\n")
    print("| modality | kind | similarity | cue | cue |")
    print("|---|---|---:|---|---|")
    for modality, table in tables.items():
        same, diff = table.extremes()
        for kind, items in (("paraphrase (lowest)", same), ("different (highest)", diff)):
            for value, a, b in items:
                print(f"| {modality} | {kind} | {value:.2f} | {a} | {b} |")
    print()


def bootstrap_thresholds(tables: dict[str, PairTable], n: int, seed: int) -> dict[str, list]:
    """Best thresholds on resamples of the observations (with replacement, per modality)."""
    rng = np.random.default_rng(seed)
    best: dict[str, list[float]] = {m: [] for m in (*MODALITIES, "all")}
    for _ in range(n):
        parts = {}
        for modality, table in tables.items():
            draws = rng.integers(0, len(table.rows), len(table.rows)).tolist()
            parts[modality] = table.kinds(draws)
            best[modality].append(
                best_threshold(parts[modality]["paraphrase"], parts[modality]["different"])[0]
            )
        same = np.concatenate([parts[m]["paraphrase"] for m in MODALITIES])
        diff = np.concatenate([parts[m]["different"] for m in MODALITIES])
        best["all"].append(best_threshold(same, diff)[0])
    return best


def print_sweep(sims, tables: dict[str, PairTable], resamples: int, seed: int) -> None:
    print("### Threshold sweep: paraphrases kept / different pairs joined / near misses joined\n")
    print("| threshold | " + " | ".join(MODALITIES) + " | all |")
    print("|---:|" + "---|" * (len(MODALITIES) + 1))
    for t in SWEEP:
        cells = []
        for modality in (*MODALITIES, "all"):
            kinds = sims[modality]
            cells.append(
                f"{(kinds['paraphrase'] >= t).mean():.0%} / "
                f"{(kinds['different'] >= t).mean():.1%} / "
                f"{(kinds['near miss'] >= t).mean():.0%}"
            )
        print(f"| {t:.2f} | " + " | ".join(cells) + " |")
    print()
    boot = bootstrap_thresholds(tables, resamples, seed)
    print(
        f"Best threshold by Youden's J (paraphrases kept - different pairs joined), grid "
        f"0.01; the interval is the 5th-95th percentile of the best threshold over "
        f"{resamples} resamples of the observations.\n"
    )
    print("| modality | best threshold | 90 % interval | J there | J at 0.60 |")
    print("|---|---:|---|---:|---:|")
    for modality in (*MODALITIES, "all"):
        same, diff = sims[modality]["paraphrase"], sims[modality]["different"]
        t, j = best_threshold(same, diff)
        j60 = (same >= DEFAULT_SIMILARITY).mean() - (diff >= DEFAULT_SIMILARITY).mean()
        lo, hi = np.percentile(boot[modality], [5, 95])
        print(f"| {modality} | {t:.2f} | {lo:.2f}-{hi:.2f} | {j:.2f} | {j60:.2f} |")
    print()


def simulated_clips(n_clips: int, seed: int) -> list[tuple[list[AlignCue], dict[int, tuple]]]:
    """Untimed clips: 5 observations per modality, each written by each annotator with
    probability 0.7 in a wording of their own. Truth: cue id -> (modality, observation)."""
    rng = random.Random(seed)
    clips = []
    for _ in range(n_clips):
        cues, truth, next_id = [], {}, 1
        for modality in MODALITIES:
            for obs in rng.sample(range(len(OBSERVATIONS[modality])), 5):
                wordings = rng.sample(range(3), 3)
                for annotator, wording in zip(ANNOTATORS, wordings, strict=True):
                    if rng.random() < 0.7:
                        text = OBSERVATIONS[modality][obs][wording]
                        cues.append(AlignCue(next_id, annotator, modality, text))
                        truth[next_id] = (modality, obs)
                        next_id += 1
        clips.append((cues, truth))
    return clips


def pairwise_agreement(clips, similarity, threshold: float) -> tuple[float, float, float]:
    """Pairwise precision / recall / F1 of cross-annotator pairs placed in one group."""
    tp = fp = fn = 0
    for cues, truth in clips:
        groups = align_cues(
            cues=cues, annotators=ANNOTATORS, similarity=similarity, similarity_threshold=threshold
        )
        group_of = {i: g.key for g in groups for i in g.cue_ids}
        source = {c.id: c.source for c in cues}
        for a, b in itertools.combinations(sorted(truth), 2):
            if source[a] == source[b]:
                continue
            same_truth = truth[a] == truth[b]
            same_group = group_of[a] == group_of[b]
            tp += same_truth and same_group
            fp += same_group and not same_truth
            fn += same_truth and not same_group
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def print_agreement(clips, similarity) -> None:
    print(
        f"### The whole procedure on {len(clips)} simulated clips (untimed; 3 annotators, "
        "5 observations per modality, each written with probability 0.7)\n"
    )
    print("| similarity threshold | pair precision | pair recall | pair F1 |")
    print("|---:|---:|---:|---:|")
    for t in SWEEP:
        p, r, f = pairwise_agreement(clips, similarity, t)
        print(f"| {t:.2f} | {p:.3f} | {r:.3f} | {f:.3f} |")
    print()


def _jitter(rng: random.Random, start: float, end: float, sigma: float) -> tuple[int, int]:
    a = start + rng.gauss(0, sigma)
    b = end + rng.gauss(0, sigma)
    a, b = max(0.0, min(a, b)), max(0.0, max(a, b))
    return int(round(a)), int(round(b))


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> float:
    shorter = min(a[1] - a[0], b[1] - b[0])
    inter = min(a[1], b[1]) - max(a[0], b[0])
    if shorter == 0:
        return 1.0 if inter >= 0 else 0.0
    return max(inter, 0) / shorter


def timing_pairs(sigma: float, n: int, rng: random.Random) -> tuple[np.ndarray, np.ndarray]:
    """Overlaps of (same event, two annotators) and (one event, the same observation again)."""
    same, repeat = [], []
    for _ in range(n):
        duration = rng.uniform(400, 4000)
        start = rng.uniform(0, 20000)
        spans = []
        for _ in range(2):
            s, e = start, start + duration
            if rng.random() < 0.3:  # this annotator marks only part of the event
                part = rng.uniform(0.3, 1.0) * duration
                s = rng.uniform(start, start + duration - part)
                e = s + part
            spans.append(_jitter(rng, s, e, sigma))
        same.append(_overlap(*spans))
        gap = rng.uniform(0, 3000)
        second = start + duration + gap
        again = rng.uniform(400, 4000)
        repeat.append(
            _overlap(
                _jitter(rng, start, start + duration, sigma),
                _jitter(rng, second, second + again, sigma),
            )
        )
    return np.array(same), np.array(repeat)


def print_timing(seed: int, n: int = 20000) -> None:
    print(f"### Overlap (intersection / shorter span), simulated: {n} pairs per row\n")
    print(
        "Same event: duration U(0.4, 4) s, each annotator's boundaries jittered by "
        "N(0, sigma); 30 % of marks cover only a random 30-100 % part of the event. "
        "Repeat: the same observation again after a gap U(0, 3) s (duration U(0.4, 4) s), "
        "both marks jittered.\n"
    )
    print(
        "| sigma | same event: min / 5th pct / median | repeat: median / 95th pct / max | "
        + " | ".join(f"kept / joined at {t}" for t in (0.05, 0.1, 0.2, 0.3, 0.5))
        + " | best (J, grid 0.01) |"
    )
    print("|---:|---|---|" + "---|" * 6)
    rng = random.Random(seed)
    for sigma in (150, 300, 600):
        same, repeat = timing_pairs(sigma, n, rng)
        cells = []
        for t in (0.05, 0.1, 0.2, 0.3, 0.5):
            joined = (repeat >= t).mean()
            kept = (same >= t).mean()
            cells.append(f"{kept:.1%} / {joined:.1%}")
        grid = np.round(np.arange(0.01, 1.001, 0.01), 2)
        j, t_best = max(((same >= t).mean() - (repeat >= t).mean(), t) for t in grid)
        cells.append(
            f"{t_best:.2f} (J {j:.3f}; at 0.2: {(same >= 0.2).mean() - (repeat >= 0.2).mean():.3f})"
        )
        print(
            f"| {sigma} ms | {same.min():.2f} / {np.percentile(same, 5):.2f} / "
            f"{np.median(same):.2f} | {np.median(repeat):.2f} / "
            f"{np.percentile(repeat, 95):.2f} / {repeat.max():.2f} | " + " | ".join(cells) + " |"
        )
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args(argv)

    encoder = SentenceTransformerEncoder()
    similarity = embedding_similarity(EmbeddingCache(encoder))
    print(
        f"model: {encoder.model_id}; defaults: similarity {DEFAULT_SIMILARITY}, "
        f"overlap {DEFAULT_OVERLAP}\n"
    )
    tables = {m: PairTable(m, similarity) for m in MODALITIES}
    sims = pair_similarities(tables)
    print_distributions(sims)
    print_extremes(tables)
    print_sweep(sims, tables, args.resamples, args.seed)
    print_agreement(simulated_clips(args.clips, args.seed), similarity)
    print_timing(args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
