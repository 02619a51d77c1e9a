"""The EmoCue-360 metric.

For one sample and one modality, with gold cues G and predicted cues P, S[g, p] is the
cosine similarity of their sentence embeddings (all-MiniLM-L6-v2 by default);
recall = mean over g of max over p of S, precision = mean over p of max over g of S,
F1 = 2PR / (P + R) (0 when P + R = 0). Scores are averaged over samples per modality;
samples whose gold list is empty are skipped and an empty prediction scores 0.

Two modes:

``strict`` (default)
    Subtitle cues are those with ``kind == "subtitle"`` (the extractor marks them) and
    are excluded in every modality; a gold sample with no prediction, and a missing
    modality key in a prediction, score 0; input is validated strictly (unknown keys,
    blank cues, missing gold modalities are errors).
``reference``
    Reproduces the public reference code (EmoCue-360/compute_prf.py), quirks included:
    auditory cues containing the case-sensitive substring "text" are dropped (also
    "context", "textual"); samples missing from the prediction are skipped; a prediction
    without an "emotional" key scores 0 in that modality even when the gold list is
    empty; cue kinds are ignored.

Variants (beyond the paper, always reported beside it):

``paper``       the definition above.
``one_to_one``  Hungarian assignment on max(S, 0): each cue matches at most one cue, so
                repeating one good cue is not rewarded; recall = matched sum / |G|,
                precision = matched sum / |P|.
``hit_rate``    a cue counts when its best similarity is >= tau (less 1e-9, so an identical
                cue counts at tau = 1); recall and precision
                are the fractions of gold and predicted cues that count.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .cache import EmbeddingCache, EmbeddingStore, SQLiteEmbeddingStore
from .cues import KIND_SUBTITLE, MODALITIES, Cue, load_json_file, parse_cue_file
from .embedding import Encoder

METRIC_VERSION = "1.0"
MODES = ("strict", "reference")
VARIANTS = ("paper", "one_to_one", "hit_rate")
DEFAULT_TAU = 0.5
TAU_TOLERANCE = 1e-9


@dataclass(frozen=True, slots=True)
class _Unit:
    """One (sample, modality) to score."""

    sample: str
    modality: str
    gold: tuple[str, ...]
    predicted: tuple[str, ...]
    forced_zero: bool = False  # reference mode: prediction lacks "emotional"


def _load(value: Any, role: str) -> Any:
    if isinstance(value, (str, Path)):
        return load_json_file(value, role=role)
    return value


def _check_names(gold_names: Sequence[str], predicted_names: Sequence[str]) -> None:
    known = set(gold_names)
    unknown = [n for n in predicted_names if n not in known]
    if unknown:
        shown = ", ".join(repr(n) for n in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise ValueError(
            f"predicted: {len(unknown)} sample name(s) not in gold: {shown}{more}; "
            "check that both files use the same sample names (e.g. 'sample_00000007')"
        )


def _units_strict(gold: Any, predicted: Any) -> tuple[list[_Unit], dict[str, int]]:
    gold_p = parse_cue_file(gold, role="gold")
    pred_p = parse_cue_file(predicted, role="predicted", require_modalities=())
    _check_names(list(gold_p), list(pred_p))

    def texts(cues: list[Cue]) -> tuple[str, ...]:
        return tuple(c.text for c in cues if c.kind != KIND_SUBTITLE)

    units = []
    for name, gold_sample in gold_p.items():
        pred_sample = pred_p.get(name, {})
        for modality in MODALITIES:
            g = texts(gold_sample[modality])
            if not g:
                continue
            units.append(_Unit(name, modality, g, texts(pred_sample.get(modality, []))))
    counts = {
        "gold_samples": len(gold_p),
        "predicted_samples": len(pred_p),
        "gold_samples_without_prediction": sum(1 for n in gold_p if n not in pred_p),
    }
    return units, counts


def _units_reference(gold: Any, predicted: Any) -> tuple[list[_Unit], dict[str, int]]:
    gold_p = parse_cue_file(gold, role="gold", allow_extra_keys=True, allow_blank=True)
    pred_p = parse_cue_file(
        predicted,
        role="predicted",
        require_modalities=("visual", "auditory"),
        allow_extra_keys=True,
        allow_blank=True,
    )
    _check_names(list(gold_p), list(pred_p))

    def texts(cues: list[Cue], *, drop_text: bool = False) -> tuple[str, ...]:
        return tuple(c.text for c in cues if not (drop_text and "text" in c.text))

    units = []
    for name, pred_sample in pred_p.items():
        gold_sample = gold_p[name]
        for modality in MODALITIES:
            if modality == "emotional" and modality not in pred_sample:
                units.append(_Unit(name, modality, (), (), forced_zero=True))
                continue
            drop = modality == "auditory"
            g = texts(gold_sample[modality], drop_text=drop)
            if not g:
                continue
            units.append(_Unit(name, modality, g, texts(pred_sample[modality], drop_text=drop)))
    counts = {
        "gold_samples": len(gold_p),
        "predicted_samples": len(pred_p),
        "gold_samples_without_prediction": sum(1 for n in gold_p if n not in pred_p),
    }
    return units, counts


def _units(gold: Any, predicted: Any, mode: str) -> tuple[list[_Unit], dict[str, int]]:
    build = _units_strict if mode == "strict" else _units_reference
    return build(_load(gold, "gold"), _load(predicted, "predicted"))


def check_inputs(
    *, gold: Mapping | str | Path, predicted: Mapping | str | Path, mode: str = "strict"
) -> dict[str, int]:
    """Validate gold and predicted cue files exactly as :func:`score` would, encoding nothing.

    Lets a service refuse bad input at once (and cheaply) before queueing the real work.

    Returns:
        The counts :func:`score` reports (gold_samples, predicted_samples, ...) plus
        ``scorable_units``: the (sample, modality) pairs that will be scored.
    Raises:
        ValueError: naming the problem, as :func:`score` does.
    Example:
        >>> check_inputs(gold={"s1": {"visual": ["He frowns."], "auditory": [],
        ...              "emotional": []}}, predicted={"s1": {"visual": ["Brows down."]}}) == {
        ...     "gold_samples": 1, "predicted_samples": 1,
        ...     "gold_samples_without_prediction": 0, "scorable_units": 1,
        ... }
        True
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    units, counts = _units(gold, predicted, mode)
    return {**counts, "scorable_units": len(units)}


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


def _unit_scores(sim: np.ndarray, variants: Sequence[str], tau: float) -> dict[str, tuple]:
    """(precision, recall, f1) per variant for one similarity matrix (|G| x |P|)."""
    out = {}
    for variant in variants:
        if variant == "paper":
            recall = float(sim.max(axis=1).mean())
            precision = float(sim.max(axis=0).mean())
        elif variant == "one_to_one":
            from scipy.optimize import linear_sum_assignment

            gain = np.clip(sim, 0.0, None)
            rows, cols = linear_sum_assignment(gain, maximize=True)
            matched = float(gain[rows, cols].sum())
            recall = matched / sim.shape[0]
            precision = matched / sim.shape[1]
        else:  # hit_rate
            # the tolerance lets identical cues (cosine 1 - 1e-16) count at tau = 1
            recall = float((sim.max(axis=1) >= tau - TAU_TOLERANCE).mean())
            precision = float((sim.max(axis=0) >= tau - TAU_TOLERANCE).mean())
        out[variant] = (precision, recall, _f1(precision, recall))
    return out


def _normalise(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def _mean_or_none(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def _bootstrap(
    units: list[_Unit],
    per_unit: list[dict[str, tuple]],
    variants: Sequence[str],
    *,
    n_resamples: int,
    seed: int,
    confidence: float,
) -> dict[str, dict[str, dict[str, list[float] | None]]]:
    """Percentile CIs, resampling samples (with replacement) jointly across modalities."""
    names = list(dict.fromkeys(u.sample for u in units))
    index = {n: i for i, n in enumerate(names)}
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(len(names), np.full(len(names), 1.0 / len(names)), size=n_resamples)
    lo_q, hi_q = 50 * (1 - confidence), 100 - 50 * (1 - confidence)
    result: dict[str, dict[str, dict[str, list[float] | None]]] = {}
    for variant in variants:
        result[variant] = {}
        by_modality: dict[str, np.ndarray] = {}
        for modality in MODALITIES:
            rows = [i for i, u in enumerate(units) if u.modality == modality]
            if not rows:
                continue
            weights = counts[:, [index[units[i].sample] for i in rows]].astype(np.float64)
            values = np.array([per_unit[i][variant] for i in rows])  # (k, 3)
            total = weights.sum(axis=1, keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                by_modality[modality] = (weights @ values) / total  # (B, 3), nan if none drawn
        stacked = {**by_modality}
        if by_modality:
            with np.errstate(invalid="ignore"), _ignore_nan_warnings():
                stacked["overall"] = np.nanmean(np.stack(list(by_modality.values())), axis=0)
        for key, draws in stacked.items():
            result[variant][key] = {}
            for j, metric in enumerate(("precision", "recall", "f1")):
                column = draws[:, j]
                column = column[~np.isnan(column)]
                result[variant][key][metric] = (
                    [float(np.percentile(column, lo_q)), float(np.percentile(column, hi_q))]
                    if column.size
                    else None
                )
    return result


class _ignore_nan_warnings:
    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


def _check_options(
    mode: str, variants: Sequence[str], tau: float, n_resamples: int, confidence: float
) -> tuple[str, ...]:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r}")
    if isinstance(variants, str):
        variants = (variants,)
    variants = tuple(dict.fromkeys(variants))
    if not variants:
        raise ValueError(f"variants must name at least one of {list(VARIANTS)}")
    bad = [v for v in variants if v not in VARIANTS]
    if bad:
        raise ValueError(f"unknown variant(s) {bad}; choose from {list(VARIANTS)}")
    if isinstance(tau, bool) or not isinstance(tau, (int, float)) or not -1.0 <= tau <= 1.0:
        raise ValueError(f"tau must be a number in [-1, 1], got {tau!r}")
    if not isinstance(n_resamples, int) or n_resamples < 1:
        raise ValueError(f"n_resamples must be a positive integer, got {n_resamples!r}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    return variants


class Scorer:
    """Scores cue files with EmoCue-360, keeping the sentence model loaded between calls.

    Args:
        encoder: an :class:`Encoder`; default: all-MiniLM-L6-v2 loaded offline
            (or the sentence-transformers folder ``model_path``).
        model_path: a local sentence-transformers model folder (ignored with ``encoder``).
        store: a persistent :class:`EmbeddingStore` shared with other workers, or a path
            to a SQLite file to use as one.
        show_progress: draw tqdm bars on stderr for long inputs.

    Example:
        >>> scorer = Scorer()
        >>> result = scorer.score(gold="gold.json", predicted="pred.json", ci=True)
        >>> result["scores"]["paper"]["visual"]["f1"]
        0.61...
    """

    def __init__(
        self,
        *,
        encoder: Encoder | None = None,
        model_path: str | Path | None = None,
        store: EmbeddingStore | str | Path | None = None,
        show_progress: bool = False,
    ) -> None:
        if encoder is None:
            from .embedding import SentenceTransformerEncoder

            encoder = SentenceTransformerEncoder(model_path)
        if isinstance(store, (str, Path)):
            store = SQLiteEmbeddingStore(store)
        self.cache = EmbeddingCache(encoder, store)
        self.show_progress = show_progress

    @property
    def model_id(self) -> str:
        return self.cache.model_id

    def score(
        self,
        *,
        gold: Mapping | str | Path,
        predicted: Mapping | str | Path,
        mode: str = "strict",
        variants: Sequence[str] = ("paper",),
        tau: float = DEFAULT_TAU,
        ci: bool = False,
        n_resamples: int = 1000,
        seed: int = 0,
        confidence: float = 0.95,
        per_sample: bool = True,
    ) -> dict:
        """Score predicted cues against gold cues.

        Args:
            gold: cue-file JSON (already decoded) or a path to one.
            predicted: the same for the model's cues.
            mode: "strict" (default) or "reference"; see the module docstring.
            variants: any of "paper", "one_to_one", "hit_rate"; "paper" is always
                computed and reported first.
            tau: similarity threshold of the "hit_rate" variant.
            ci: add bootstrap confidence intervals over samples (percentile method).
            n_resamples: bootstrap resamples.
            seed: bootstrap seed (results are reproducible for a seed).
            confidence: CI level, 0.95 for 95 %.
            per_sample: include per-sample scores.

        Returns:
            A JSON-ready dict: ``config`` (what produced the scores), ``scores``
            {variant: {"config", "visual", "auditory", "emotional", "overall"}} where each
            modality holds precision, recall, f1, n_samples (and ci), ``per_sample``
            {sample: {variant: {modality: {precision, recall, f1}}}} and ``counts``.
            A modality with no scorable sample has None scores.

        Raises:
            ValueError: for bad options or input, with a message naming the problem.
        """
        variants = _check_options(mode, ("paper", *variants), tau, n_resamples, confidence)
        units, counts = _units(gold, predicted, mode)

        texts = {t for u in units for t in (*u.gold, *u.predicted)}
        vectors = self.cache.embed_unique(sorted(texts), progress=self.show_progress)
        order = list(vectors)
        row = {t: i for i, t in enumerate(order)}
        matrix = _normalise(np.stack([vectors[t] for t in order])) if order else None

        zero = (0.0, 0.0, 0.0)
        per_unit: list[dict[str, tuple]] = []
        for unit in _progress(units, self.show_progress, "scoring"):
            if unit.forced_zero or not unit.predicted:
                per_unit.append({v: zero for v in variants})
                continue
            g = matrix[[row[t] for t in unit.gold]]
            p = matrix[[row[t] for t in unit.predicted]]
            per_unit.append(_unit_scores(g @ p.T, variants, tau))

        base_config = {"model_id": self.model_id, "mode": mode, "metric_version": METRIC_VERSION}
        scores: dict[str, dict] = {}
        for variant in variants:
            block: dict[str, Any] = {
                "config": {
                    **base_config,
                    "variant": variant,
                    "tau": tau if variant == "hit_rate" else None,
                }
            }
            modality_means = {}
            for modality in MODALITIES:
                rows = [per_unit[i][variant] for i, u in enumerate(units) if u.modality == modality]
                block[modality] = {
                    "precision": _mean_or_none([r[0] for r in rows]),
                    "recall": _mean_or_none([r[1] for r in rows]),
                    "f1": _mean_or_none([r[2] for r in rows]),
                    "n_samples": len(rows),
                }
                if rows:
                    modality_means[modality] = block[modality]
            block["overall"] = {
                metric: _mean_or_none([m[metric] for m in modality_means.values()])
                for metric in ("precision", "recall", "f1")
            }
            block["overall"]["modalities"] = list(modality_means)
            scores[variant] = block

        bootstrap_config = None
        if ci and units:
            intervals = _bootstrap(
                units,
                per_unit,
                variants,
                n_resamples=n_resamples,
                seed=seed,
                confidence=confidence,
            )
            for variant, by_key in intervals.items():
                for key, interval in by_key.items():
                    scores[variant][key]["ci"] = interval
            bootstrap_config = {
                "method": "percentile, samples resampled jointly across modalities",
                "n_resamples": n_resamples,
                "seed": seed,
                "confidence": confidence,
            }

        result: dict[str, Any] = {
            "config": {
                **base_config,
                "variants": list(variants),
                "tau": tau,
                "bootstrap": bootstrap_config,
            },
            "scores": scores,
            "counts": {
                **counts,
                "unique_cue_texts": len(order),
                "cue_texts_encoded": self.cache.last_encoded,
            },
        }
        if per_sample:
            samples: dict[str, dict] = {}
            for unit, values in zip(units, per_unit, strict=True):
                entry = samples.setdefault(unit.sample, {v: {} for v in variants})
                for variant in variants:
                    p, r, f = values[variant]
                    entry[variant][unit.modality] = {"precision": p, "recall": r, "f1": f}
            result["per_sample"] = samples
        return result


def _progress(items: list, enabled: bool, desc: str, threshold: int = 200):
    if enabled and len(items) >= threshold:
        from tqdm import tqdm

        return tqdm(items, desc=desc, unit="item", leave=False)
    return items


_default_scorer: Scorer | None = None


def default_scorer() -> Scorer:
    """A process-wide Scorer on all-MiniLM-L6-v2, created on first use.

    If the environment variable ``EMOCUE360_CACHE`` names a file, embeddings persist there
    (SQLite) and are shared with every process that names the same file.
    """
    global _default_scorer
    if _default_scorer is None:
        _default_scorer = Scorer(store=os.environ.get("EMOCUE360_CACHE") or None)
    return _default_scorer


def score(
    *,
    gold: Mapping | str | Path,
    predicted: Mapping | str | Path,
    mode: str = "strict",
    variants: Sequence[str] = ("paper",),
    scorer: Scorer | None = None,
    **options: Any,
) -> dict:
    """Score predicted cues against gold cues with EmoCue-360.

    Args:
        gold: cue-file JSON ({sample: {"visual": [...], "auditory": [...],
            "emotional": [...]}}) or a path to one.
        predicted: the same for the model's cues.
        mode: "strict" (default) or "reference" (the public reference code, quirks included).
        variants: extra variants beside "paper": "one_to_one", "hit_rate".
        scorer: a :class:`Scorer` to reuse; default: :func:`default_scorer`.
        **options: ``tau``, ``ci``, ``n_resamples``, ``seed``, ``confidence``,
            ``per_sample``, as in :meth:`Scorer.score`.

    Returns:
        See :meth:`Scorer.score`.

    Example:
        >>> result = score(gold="gold.json", predicted="pred.json", variants=["one_to_one"])
        >>> result["scores"]["paper"]["overall"]["f1"]
    """
    if mode not in MODES:  # fail before loading a model
        raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r}")
    return (scorer or default_scorer()).score(
        gold=gold, predicted=predicted, mode=mode, variants=variants, **options
    )
