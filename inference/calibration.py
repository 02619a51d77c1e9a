"""Calibrated proposals: does a proposer's claimed confidence say how often annotators keep its
cues, and a confidence that does.

A proposed cue is *kept* when the annotator accepts it as it is or after an edit, and not kept
when they reject it. Given the confidences a proposer claimed and whether each cue was kept:

- :func:`reliability` bins the confidences (equal-width bins over [0, 1]) and gives, per bin,
  the mean claimed confidence beside the share kept: a reliability diagram. Its expected
  calibration error (ECE) is the bins' mean absolute gap between the two, weighted by the
  number of cues in each bin.
- :func:`calibrator_fit` fits a map from the claimed confidence to the share kept: Platt
  scaling (a logistic regression on the logit of the confidence) while decisions are few,
  isotonic regression once there are many (isotonic is a step function with a free value
  per step, and overfits small samples: Niculescu-Mizil and Caruana, "Predicting good
  probabilities with supervised learning", ICML 2005, found Platt better below about a
  thousand calibration cases). Both keep the proposer's order: the map never decreases (a
  Platt slope below 0, confidence that ranks kept cues backwards, is held at 0, as isotonic
  regression would flatten it). Fitting needs :data:`MIN_DECISIONS` decisions with at least
  :data:`MIN_EACH` of each outcome; fewer say too little about a share (at 50 decisions,
  the 95 % interval of a share near 0.5 is still about +-0.14).
- A :class:`Calibrator` is plain numbers (method, parameters, n, the sha256 of the data it
  was fitted on, the scikit-learn version), so a stored one predicts without scikit-learn
  and a refit on the same data gives the same numbers.

No Django here.

Example:
    >>> fit = calibrator_fit(
    ...     confidences=[0.9] * 40 + [0.2] * 40, kept=[1] * 30 + [0] * 10 + [0] * 40
    ... )
    >>> round(float(fit.predict([0.9])[0]), 2)
    0.75
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

__all__ = [
    "CV_FOLDS",
    "CV_SEED",
    "ISOTONIC_FROM",
    "METHODS",
    "MIN_DECISIONS",
    "MIN_EACH",
    "N_BINS",
    "Calibrator",
    "calibration_ready",
    "calibrator_fit",
    "fit_data_sha256",
    "reliability",
]

N_BINS = 10
MIN_DECISIONS = 50
MIN_EACH = 5
ISOTONIC_FROM = 1000
METHODS = ("platt", "isotonic")
CV_FOLDS = 5
CV_SEED = 0
_EDGE = 1e-4  # confidences are held inside [1e-4, 1 - 1e-4] before the logit


def _check(confidences: Sequence[float], kept: Sequence) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(confidences, dtype=np.float64).reshape(-1)
    y_raw = np.asarray(kept).reshape(-1)
    if len(x) != len(y_raw):
        raise ValueError(f"{len(x)} confidences but {len(y_raw)} outcomes")
    if not np.isfinite(x).all() or ((x < 0) | (x > 1)).any():
        bad = x[~np.isfinite(x) | (x < 0) | (x > 1)][0]
        raise ValueError(f"confidences must lie in [0, 1], got {float(bad)!r}")
    if not np.isin(y_raw, [0, 1, True, False]).all():
        raise ValueError("kept must be 0/1 or booleans (1: accepted or edited, 0: rejected)")
    return x, y_raw.astype(np.float64)


def reliability(*, confidences: Sequence[float], kept: Sequence, n_bins: int = N_BINS) -> dict:
    """The reliability diagram of claimed confidences against what annotators kept.

    Args:
        confidences: the confidence claimed for each cue, in [0, 1].
        kept: per cue, 1 (accepted or edited) or 0 (rejected).
        n_bins: equal-width bins over [0, 1]; a confidence of exactly 1 falls in the last.

    Returns:
        ``{"n", "kept", "ece", "bins": [{"lo", "hi", "n", "confidence", "kept_share"}]}``;
        a bin with no cue has ``n`` 0 and None for both means; ``ece`` is None without cues.

    Example:
        >>> reliability(confidences=[0.95, 0.95], kept=[1, 0])["ece"]
        0.45
    """
    if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
    x, y = _check(confidences, kept)
    index = np.minimum((x * n_bins).astype(int), n_bins - 1)
    bins, gap = [], 0.0
    for b in range(n_bins):
        inside = index == b
        n = int(inside.sum())
        mean_x = float(x[inside].mean()) if n else None
        share = float(y[inside].mean()) if n else None
        if n:
            gap += n * abs(mean_x - share)
        bins.append(
            {
                "lo": b / n_bins,
                "hi": (b + 1) / n_bins,
                "n": n,
                "confidence": mean_x,
                "kept_share": share,
            }
        )
    return {
        "n": int(len(x)),
        "kept": int(y.sum()),
        "ece": (gap / len(x)) if len(x) else None,
        "bins": bins,
    }


def calibration_ready(*, n: int, n_kept: int) -> str:
    """Why a calibrator cannot be fitted to these decisions yet, or "" when it can."""
    if n < MIN_DECISIONS:
        return f"{n} decisions; a calibrated confidence needs at least {MIN_DECISIONS}"
    if n_kept < MIN_EACH or n - n_kept < MIN_EACH:
        return (
            f"{n_kept} kept and {n - n_kept} rejected; a calibrated confidence needs at "
            f"least {MIN_EACH} of each"
        )
    return ""


def fit_data_sha256(*, confidences: Sequence[float], kept: Sequence) -> str:
    """Names the decisions a calibrator is fitted on, whatever their order: the sha256 of the
    sorted ``confidence,kept`` lines (confidence written with repr, so exactly)."""
    x, y = _check(confidences, kept)
    lines = sorted(f"{float(c)!r},{int(k)}" for c, k in zip(x, y, strict=True))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _logit(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, _EDGE, 1 - _EDGE)
    return np.log(x / (1 - x))


@dataclass(frozen=True)
class Calibrator:
    """A fitted map from claimed confidence to the share of cues kept.

    Attributes:
        method: "platt" or "isotonic".
        params: Platt: ``{"slope", "intercept"}`` of ``sigmoid(slope * logit(c) +
            intercept)``; isotonic: ``{"x", "y"}``, the breakpoints, interpolated linearly
            and held flat beyond the ends (scikit-learn's ``out_of_bounds="clip"``).
        n: decisions it was fitted on; n_kept: of which kept.
        fit_sha256: :func:`fit_data_sha256` of those decisions.
        library: the scikit-learn version that fitted it.
        ece_before: ECE of the claimed confidences on those decisions.
        ece_after: ECE of calibrated confidences predicted for each decision by a calibrator
            fitted on the other folds (CV_FOLDS folds, shuffled with CV_SEED), so it is not
            flattered by fitting and measuring on the same decisions.
    """

    method: str
    params: Mapping[str, object]
    n: int
    n_kept: int
    fit_sha256: str
    library: str = ""
    ece_before: float | None = None
    ece_after: float | None = None
    cv: Mapping[str, int] = field(default_factory=lambda: {"folds": CV_FOLDS, "seed": CV_SEED})

    def predict(self, confidences: Sequence[float]) -> np.ndarray:
        """Calibrated confidences (shares kept) for claimed ones, each in [0, 1]."""
        x = np.asarray(confidences, dtype=np.float64).reshape(-1)
        if self.method == "platt":
            z = float(self.params["slope"]) * _logit(x) + float(self.params["intercept"])
            return 1.0 / (1.0 + np.exp(-z))
        if self.method == "isotonic":
            return np.interp(x, self.params["x"], self.params["y"])
        raise ValueError(f"unknown calibration method {self.method!r}")

    def to_dict(self) -> dict:
        return asdict(self) | {"params": dict(self.params), "cv": dict(self.cv)}

    @classmethod
    def from_dict(cls, data: Mapping) -> Calibrator:
        if data.get("method") not in METHODS:
            raise ValueError(f"unknown calibration method {data.get('method')!r}")
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def _fit_params(method: str, x: np.ndarray, y: np.ndarray) -> dict:
    if method == "platt":
        from sklearn.linear_model import LogisticRegression

        if y.min() == y.max():  # one outcome only (a cross-validation fold can draw that)
            share = min(max(float(y.mean()), _EDGE), 1 - _EDGE)
            return {"slope": 0.0, "intercept": math.log(share / (1 - share))}
        model = LogisticRegression(C=1e6, solver="lbfgs", max_iter=1000)
        model.fit(_logit(x).reshape(-1, 1), y)
        slope, intercept = float(model.coef_[0, 0]), float(model.intercept_[0])
        if slope < 0:  # backwards confidence: keep the order, i.e. the share kept overall
            share = min(max(float(y.mean()), _EDGE), 1 - _EDGE)
            slope, intercept = 0.0, math.log(share / (1 - share))
        return {"slope": slope, "intercept": intercept}
    from sklearn.isotonic import IsotonicRegression

    model = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
    model.fit(x, y)
    return {
        "x": [float(v) for v in model.X_thresholds_],
        "y": [float(v) for v in model.y_thresholds_],
    }


def _cross_validated(method: str, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    from sklearn.model_selection import StratifiedKFold

    folds = StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=CV_SEED)
    out = np.empty_like(x)
    for train, test in folds.split(x.reshape(-1, 1), y):
        fitted = Calibrator(method, _fit_params(method, x[train], y[train]), 0, 0, "")
        out[test] = fitted.predict(x[test])
    return out


def calibrator_fit(
    *, confidences: Sequence[float], kept: Sequence, method: str = "auto"
) -> Calibrator:
    """Fit a calibrated confidence to annotators' decisions.

    Args:
        confidences: the confidence the proposer claimed for each decided cue, in [0, 1].
        kept: per cue, 1 (accepted or edited) or 0 (rejected).
        method: "platt", "isotonic", or "auto": Platt below :data:`ISOTONIC_FROM`
            decisions, isotonic from there.

    Returns:
        A :class:`Calibrator`; the same decisions (in any order) give the same one.

    Raises:
        ValueError: too few decisions (:func:`calibration_ready` says why), an unknown
            method, confidences outside [0, 1] or outcomes other than 0/1.
    """
    import sklearn

    x, y = _check(confidences, kept)
    why_not = calibration_ready(n=len(x), n_kept=int(y.sum()))
    if why_not:
        raise ValueError(why_not)
    if method == "auto":
        method = "isotonic" if len(x) >= ISOTONIC_FROM else "platt"
    if method not in METHODS:
        raise ValueError(f"method must be one of auto, {', '.join(METHODS)}; got {method!r}")
    order = np.lexsort((y, x))  # the fit does not depend on the decisions' order
    x, y = x[order], y[order]
    calibrated_cv = _cross_validated(method, x, y)
    return Calibrator(
        method=method,
        params=_fit_params(method, x, y),
        n=int(len(x)),
        n_kept=int(y.sum()),
        fit_sha256=fit_data_sha256(confidences=x, kept=y),
        library=f"scikit-learn {sklearn.__version__}",
        ece_before=reliability(confidences=x, kept=y)["ece"],
        ece_after=reliability(confidences=np.clip(calibrated_cv, 0, 1), kept=y)["ece"],
    )
