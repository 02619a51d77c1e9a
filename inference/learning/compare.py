"""Two systems scored on the same clips: their EmoCue-360 F1 and the CI of the difference, by a
paired bootstrap over clips.

The figure per system is the leaderboard's: per modality the mean F1 over the clips whose gold
has cues of that modality, overall the mean of the modalities. Each bootstrap draw resamples
clips with replacement, the same draw for both systems (the pairing: a clip that is hard for
one is hard for the other, which a CI of each alone ignores), and recomputes the difference;
the interval is the percentile one, as the leaderboard's own CIs. No Django here.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from inference.proposers.base import MODALITIES

__all__ = ["paired_difference"]


def _means(values: np.ndarray, present: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(draws, modalities) weighted means over clips; NaN where no drawn clip has the modality."""
    w = weights[:, :, None] * present[None, :, :]
    total = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (w * np.nan_to_num(values)[None, :, :]).sum(axis=1) / total


def paired_difference(
    *,
    base: Mapping[str, Mapping[str, float]],
    other: Mapping[str, Mapping[str, float]],
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> dict:
    """F1 of two systems on their common clips, and other − base with a paired bootstrap CI.

    Args:
        base, other: {clip: {modality: F1}} of each system (the modalities its gold scores).
        n_resamples: bootstrap draws.
        seed: the bootstrap's seed (the same seed gives the same interval).
        confidence: the interval's level.

    Returns:
        {"clips": n, "base": {modality|"overall": F1}, "other": {...},
         "difference": {modality|"overall": other − base},
         "ci": {modality|"overall": [lo, hi] or None}, "bootstrap": {...}}; a modality no
        common clip scores is left out. "clips" is 0 (and the rest empty) when the systems
        share no clip.

    Raises:
        ValueError: n_resamples < 1 or confidence outside (0, 1).

    Example:
        >>> paired_difference(base={"a": {"visual": 0.5}, "b": {"visual": 0.4}},
        ...                   other={"a": {"visual": 0.7}, "b": {"visual": 0.6}},
        ...                   n_resamples=200)["difference"]["overall"]
        0.2
    """
    if not isinstance(n_resamples, int) or n_resamples < 1:
        raise ValueError(f"n_resamples must be a positive integer, got {n_resamples!r}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence!r}")
    clips = sorted(set(base) & set(other))
    config = {
        "method": "paired percentile bootstrap over clips",
        "n_resamples": n_resamples,
        "seed": seed,
        "confidence": confidence,
    }
    empty = {
        "clips": 0,
        "names": [],
        "base": {},
        "other": {},
        "difference": {},
        "ci": {},
        "bootstrap": config,
    }
    if not clips:
        return empty
    modalities = [m for m in MODALITIES if any(m in base[c] and m in other[c] for c in clips)]
    shape = (len(clips), len(modalities))
    a, b = np.full(shape, np.nan), np.full(shape, np.nan)
    for i, clip in enumerate(clips):
        for j, m in enumerate(modalities):
            if m in base[clip] and m in other[clip]:
                a[i, j], b[i, j] = float(base[clip][m]), float(other[clip][m])
    present = (~np.isnan(a)).astype(float)
    ones = np.ones((1, len(clips)))
    mean_a, mean_b = _means(a, present, ones)[0], _means(b, present, ones)[0]

    def summary(means: np.ndarray) -> dict[str, float]:
        out = {m: round(float(v), 6) for m, v in zip(modalities, means, strict=True)}
        out["overall"] = round(float(np.mean(means)), 6)
        return out

    rng = np.random.default_rng(seed)
    weights = rng.multinomial(len(clips), np.full(len(clips), 1 / len(clips)), size=n_resamples)
    draws_a = _means(a, present, weights.astype(float))
    draws_b = _means(b, present, weights.astype(float))
    diff = draws_b - draws_a
    with np.errstate(invalid="ignore"):
        overall = np.nanmean(draws_b, axis=1) - np.nanmean(draws_a, axis=1)
    lo_q, hi_q = 50 * (1 - confidence), 100 - 50 * (1 - confidence)

    def interval(column: np.ndarray) -> list[float] | None:
        column = column[~np.isnan(column)]
        if not column.size:
            return None
        return [
            round(float(np.percentile(column, lo_q)), 6),
            round(float(np.percentile(column, hi_q)), 6),
        ]

    base_summary, other_summary = summary(mean_a), summary(mean_b)
    return {
        "clips": len(clips),
        "names": clips,
        "base": base_summary,
        "other": other_summary,
        "difference": {
            key: round(other_summary[key] - base_summary[key], 6) for key in base_summary
        },
        "ci": {
            **{m: interval(diff[:, j]) for j, m in enumerate(modalities)},
            "overall": interval(overall),
        },
        "bootstrap": config,
    }
