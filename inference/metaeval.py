"""EmoCue-360 judged by reviewers: how well the metric's similarity separates cue pairs that
people judged to mean the same from those they kept apart (meta-evaluation).

A *judged pair* is two cue texts and a label a person's decision implies:

``same``       two cues a reviewer settled into one gold cue (accepted together, or merged);
``close``      a proposed cue and the text an annotator edited it into;
``different``  two cues a reviewer kept as separate gold cues of one clip and modality whose
               times overlap.

``same`` and ``close`` are the positive class. For each modality (and all together) this
module reports, from the EmoCue-360 similarity of every pair (the cosine of the sentence
embeddings, exactly as the metric and the alignment compute it):

- ROC AUC (scikit-learn's ``roc_auc_score``), with a percentile bootstrap interval that
  resamples *clips* with replacement (pairs of one clip share annotators and a reviewer, so
  they are not independent), a fixed number of resamples from a fixed seed. A resample is
  the same pairs with whole-number weights (how often its clip was drawn); its AUC is the
  area roc_auc_score gives with those sample weights, computed for all resamples at once
  (a thousand calls would take seconds; the tests hold the two equal);
- the threshold that best matches the reviewers, by Youden's J (true-positive rate minus
  false-positive rate, over the thresholds of scikit-learn's ``roc_curve``), beside the
  rates at the project's own threshold;
- the pairs on the wrong side of the project's threshold, furthest first.

No Django here: the app collects the pairs (annotate/review/judgements.py) and calls in.

Example:
    >>> pairs = [
    ...     {"id": "1", "clip": "a", "modality": "visual", "label": "same"},
    ...     {"id": "2", "clip": "b", "modality": "visual", "label": "different"},
    ... ]
    >>> report = judgement_report(pairs=pairs, similarities=[0.8, 0.3], threshold=0.6)
    >>> report["modalities"]["visual"]["auc"]
    1.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .emocue360.cues import MODALITIES

__all__ = [
    "BOOTSTRAP_CONFIDENCE",
    "BOOTSTRAP_RESAMPLES",
    "BOOTSTRAP_SEED",
    "LABELS",
    "POSITIVE_LABELS",
    "THRESHOLD_RULE",
    "judgement_report",
    "pair_similarities",
]

LABELS = ("same", "close", "different")
POSITIVE_LABELS = ("same", "close")
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 0
BOOTSTRAP_CONFIDENCE = 0.95
THRESHOLD_RULE = "youden_j"
_TOLERANCE = 1e-9  # a similarity at the threshold counts as "same" (as in the alignment)


def pair_similarities(*, pairs: Sequence[tuple[str, str]], cache) -> np.ndarray:
    """The EmoCue-360 similarity of each pair of texts: the cosine of their sentence
    embeddings, each distinct text embedded once (normalised as the metric's Scorer does).

    Args:
        pairs: ``[(text_a, text_b), ...]``.
        cache: an :class:`~inference.emocue360.cache.EmbeddingCache`, e.g. ``Scorer().cache``.

    Returns:
        An array of ``len(pairs)`` floats in [-1, 1].

    Example:
        >>> pair_similarities(pairs=[("She smiles.", "She smiles.")], cache=Scorer().cache)
        array([1.])
    """
    from .emocue360.metric import _normalise

    pairs = list(pairs)
    for index, pair in enumerate(pairs):
        if len(pair) != 2 or not all(isinstance(text, str) for text in pair):
            raise ValueError(f"pair {index} must be two texts, got {pair!r}")
    if not pairs:
        return np.zeros(0, dtype=np.float64)
    vectors = cache.embed_unique([text for pair in pairs for text in pair])
    left = _normalise(np.stack([vectors[a] for a, _ in pairs]))
    right = _normalise(np.stack([vectors[b] for _, b in pairs]))
    return np.einsum("ij,ij->i", left, right)


def _check(pairs: Sequence[Mapping], similarities: Sequence[float], threshold: float) -> np.ndarray:
    if isinstance(pairs, (str, bytes, Mapping)):
        raise ValueError("pairs must be a list of judged pairs")
    scores = np.asarray(similarities, dtype=np.float64).reshape(-1)
    if len(scores) != len(pairs):
        raise ValueError(f"{len(pairs)} pairs but {len(scores)} similarities")
    if not np.isfinite(scores).all():
        raise ValueError("similarities must be finite numbers")
    for index, pair in enumerate(pairs):
        if pair.get("label") not in LABELS:
            raise ValueError(
                f"pair {index}: label must be one of {', '.join(LABELS)}, got {pair.get('label')!r}"
            )
        if pair.get("modality") not in MODALITIES:
            raise ValueError(
                f"pair {index}: modality must be one of {', '.join(MODALITIES)}, "
                f"got {pair.get('modality')!r}"
            )
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise ValueError(f"threshold must be a number, got {threshold!r}")
    if not -1.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must lie in [-1, 1], got {threshold}")
    return scores


def _rates(scores: np.ndarray, positive: np.ndarray, threshold: float) -> dict:
    said_same = scores >= threshold - _TOLERANCE
    tpr = float(said_same[positive].mean())
    fpr = float(said_same[~positive].mean())
    return {
        "threshold": round(float(threshold), 6),
        "tpr": tpr,
        "fpr": fpr,
        "j": tpr - fpr,
        "agreement": float((said_same == positive).mean()),
    }


def _weighted_aucs(scores: np.ndarray, positive: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The AUC under each row of ``weights`` (resamples x pairs) at once: the weighted share
    of (positive, negative) pairs the similarity orders right, ties counting half, which is
    the area roc_auc_score computes with those sample weights (tests hold the two equal).
    Rows that draw no positive or no negative give NaN."""
    order = np.argsort(scores, kind="stable")
    ordered = scores[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])  # one per distinct score
    w = weights[:, order]
    is_positive = positive[order]
    pos = np.add.reduceat(np.where(is_positive, w, 0.0), starts, axis=1)
    neg = np.add.reduceat(np.where(is_positive, 0.0, w), starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    with np.errstate(invalid="ignore", divide="ignore"):
        return (pos * (below + 0.5 * neg)).sum(axis=1) / (pos.sum(axis=1) * neg.sum(axis=1))


def _bootstrap_auc(
    scores: np.ndarray,
    positive: np.ndarray,
    clips: np.ndarray,
    *,
    n_resamples: int,
    seed: int,
    confidence: float,
) -> tuple[list[float] | None, int]:
    """Percentile interval of the AUC over resamples of clips (drawn with replacement, each
    clip bringing all its pairs); a resample that draws only one class has no AUC and is left
    out. Returns (interval or None, resamples used)."""
    names, index = np.unique(clips, return_inverse=True)
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(len(names), np.full(len(names), 1.0 / len(names)), size=n_resamples)
    values = _weighted_aucs(scores, positive, counts[:, index].astype(np.float64))
    values = values[np.isfinite(values)]
    if not values.size:
        return None, 0
    tail = 50 * (1 - confidence)
    interval = [float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))]
    return interval, int(values.size)


def _separation(
    scores: np.ndarray,
    labels: np.ndarray,
    clips: np.ndarray,
    *,
    threshold: float,
    n_resamples: int,
    seed: int,
    confidence: float,
) -> dict:
    counts = {label: int((labels == label).sum()) for label in LABELS}
    means = {
        label: (float(scores[labels == label].mean()) if counts[label] else None)
        for label in LABELS
    }
    entry: dict = {
        "n": int(len(scores)),
        "counts": counts,
        "mean_similarity": means,
        "clips": int(len(np.unique(clips))) if len(clips) else 0,
        "auc": None,
        "auc_ci": None,
        "resamples_used": 0,
        "best": None,
        "at_threshold": None,
        "roc": [],
        "why_none": "",
    }
    positive = np.isin(labels, POSITIVE_LABELS)
    if not len(scores):
        entry["why_none"] = "no judged pair"
        return entry
    if positive.all():
        entry["why_none"] = "no pair the reviewers kept apart (different)"
        return entry
    if not positive.any():
        entry["why_none"] = "no pair judged the same or close"
        return entry
    from sklearn.metrics import roc_auc_score, roc_curve

    entry["auc"] = float(roc_auc_score(positive, scores))
    entry["auc_ci"], entry["resamples_used"] = _bootstrap_auc(
        scores, positive, clips, n_resamples=n_resamples, seed=seed, confidence=confidence
    )
    fpr, tpr, thresholds = roc_curve(positive, scores, drop_intermediate=False)
    finite = np.isfinite(thresholds)
    j = np.where(finite, tpr - fpr, -np.inf)
    best = int(np.argmax(j))  # the first, i.e. the highest threshold, among equal J
    entry["best"] = _rates(scores, positive, float(thresholds[best]))
    entry["at_threshold"] = _rates(scores, positive, threshold)
    entry["roc"] = [
        [round(float(x), 4), round(float(y), 4)]
        for x, y in zip(*roc_curve(positive, scores)[:2], strict=True)
    ]
    return entry


def _disagreements(
    pairs: Sequence[Mapping], scores: np.ndarray, threshold: float, limit: int
) -> list[dict]:
    """Pairs on the wrong side of the threshold, the furthest first: a pair judged the same
    (or close) that the metric scores below it, or one kept apart that it scores at or above."""
    rows = []
    for pair, score in zip(pairs, scores, strict=True):
        positive = pair["label"] in POSITIVE_LABELS
        gap = (threshold - score) if positive else (score - threshold)
        if (positive and score < threshold - _TOLERANCE) or (
            not positive and score >= threshold - _TOLERANCE
        ):
            rows.append((-gap, str(pair.get("id", "")), dict(pair) | {"similarity": float(score)}))
    rows.sort(key=lambda row: (row[0], row[1]))
    return [row[2] | {"gap": round(-row[0], 6)} for row in rows[:limit]]


def judgement_report(
    *,
    pairs: Sequence[Mapping],
    similarities: Sequence[float],
    threshold: float,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    confidence: float = BOOTSTRAP_CONFIDENCE,
    n_disagreements: int = 10,
) -> dict:
    """How well the similarity separates judged pairs, per modality and overall.

    Args:
        pairs: judged pairs, each a mapping with at least ``label`` (one of :data:`LABELS`),
            ``modality`` and ``clip`` (the unit the bootstrap resamples; pairs without one
            are each their own unit); any other keys (texts, provenance) are passed through
            into the disagreements.
        similarities: the metric's similarity of each pair, in the order of ``pairs``
            (e.g. :func:`pair_similarities`).
        threshold: the similarity at which the project calls two cues the same (its
            alignment threshold); a similarity at it counts as the same.
        n_resamples: bootstrap resamples of clips for the AUC interval.
        seed: seed of the resampling (numpy's default_rng).
        confidence: the interval's coverage, e.g. 0.95.
        n_disagreements: how many disagreeing pairs to return.

    Returns:
        ``{"threshold", "threshold_rule": "youden_j", "positive_labels", "bootstrap":
        {"n_resamples", "seed", "confidence", "unit": "clip"}, "modalities": {visual,
        auditory, emotional, overall: {"n", "counts", "mean_similarity", "clips", "auc",
        "auc_ci", "resamples_used", "best": {"threshold", "tpr", "fpr", "j", "agreement"},
        "at_threshold": {...the same at the project's threshold}, "roc": [[fpr, tpr]],
        "why_none"}}, "disagreements": [pair + {"similarity", "gap"}]}``. ``auc``, ``best``
        and ``at_threshold`` are None where one class is missing (``why_none`` says which).

    Raises:
        ValueError: a label or modality outside the known ones, a similarity that is not a
            finite number, lengths that differ, or bad bootstrap settings.
    """
    scores = _check(pairs, similarities, threshold)
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int) or n_resamples < 1:
        raise ValueError(f"n_resamples must be a positive integer, got {n_resamples!r}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence!r}")
    labels = np.array([pair["label"] for pair in pairs], dtype=object)
    modalities = np.array([pair["modality"] for pair in pairs], dtype=object)
    clips = np.array(
        [str(pair.get("clip") or f"\0pair{i}") for i, pair in enumerate(pairs)], dtype=object
    )
    options = {
        "threshold": float(threshold),
        "n_resamples": n_resamples,
        "seed": seed,
        "confidence": confidence,
    }
    by_modality = {}
    for modality in (*MODALITIES, "overall"):
        rows = np.ones(len(pairs), dtype=bool) if modality == "overall" else modalities == modality
        by_modality[modality] = _separation(
            scores[rows], labels[rows].astype(str), clips[rows].astype(str), **options
        )
    return {
        "threshold": float(threshold),
        "threshold_rule": THRESHOLD_RULE,
        "positive_labels": list(POSITIVE_LABELS),
        "bootstrap": {
            "n_resamples": n_resamples,
            "seed": seed,
            "confidence": confidence,
            "unit": "clip",
        },
        "modalities": by_modality,
        "disagreements": _disagreements(pairs, scores, float(threshold), n_disagreements),
    }
