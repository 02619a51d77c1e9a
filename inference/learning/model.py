"""A learned proposer's model: a cue filter and a primary-emotion model, fitted on a
:class:`~inference.learning.dataset.TrainingSet`, stored as one canonical JSON artefact.

Why logistic regression (scikit-learn's ``LogisticRegression``, L2, lbfgs):

- a project's gold holds tens to a few hundred clips: a linear model with L2 is well posed at
  that size, where boosted trees fit noise (and a grid search would have too little data to
  choose on);
- the filter is one model per cue *rule* (the evidence's feature, e.g. ``visual/smile``) on the
  clip's features, so a gold habit such as "the smile cue is dropped when the words are not
  positive" is one rule's coefficients, which the model page can show;
- its probabilities are usable as such: the filter keeps a cue at P(kept) >= 0.5, the emotion
  model's probabilities become the proposal's emotion scores (and the active-learning queue's
  uncertainty);
- the fitted model is a few arrays of numbers, written as JSON and applied with numpy: nothing
  is unpickled from storage (a pickle in an S3 bucket is code), and the same data and seed give
  the same bytes.

A rule with fewer than ``MIN_RULE_EXAMPLES`` training cues, or with cues of one outcome only,
keeps the smoothed share of its cues that the gold kept ((kept + 1) / (n + 2)); a rule never
seen keeps its modality's share. Numbers in the artefact are rounded to 10 significant digits
so that last-bit differences of floating point (another BLAS thread count) cannot change the
bytes.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .dataset import ClipObservation, TrainingSet, canonical_json, cue_rule

__all__ = [
    "ARTEFACT_FORMAT",
    "MIN_CLIPS",
    "MIN_RULE_EXAMPLES",
    "LearnedModel",
    "LearningError",
    "fit",
]

ARTEFACT_FORMAT = "emocue-learned-proposer/1"
MIN_CLIPS = 6  # fewer training clips than this: refused (nothing worth learning)
MIN_RULE_EXAMPLES = 6  # a rule's own model needs this many cues, of both outcomes
KEEP_THRESHOLD = 0.5
C = 1.0  # inverse L2 strength: scikit-learn's default, on standardised inputs
CUE_INPUTS = ("cue.confidence", "cue.timed", "cue.span_share")

Progress = Callable[[str, int, int], None]


class LearningError(ValueError):
    """The data cannot train a model; the message says what is missing."""


def _r(value: float) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise LearningError(f"a fitted number is not finite ({value}); the inputs are degenerate")
    return float(f"{value:.10g}")


def _rs(values) -> list[float]:
    return [_r(v) for v in np.asarray(values, dtype=float).ravel()]


@dataclass
class _Scaling:
    names: list[str]
    mean: np.ndarray
    scale: np.ndarray
    indicators: list[str]  # features with a missing value in training: one 0/1 input each

    def inputs(self) -> list[str]:
        return [*self.names, *(f"{n}:missing" for n in self.indicators)]

    def transform(self, features: Mapping[str, float | None]) -> np.ndarray:
        raw = np.array(
            [
                np.nan if features.get(n) is None else float(features[n])  # type: ignore[arg-type]
                for n in self.names
            ],
            dtype=float,
        )
        missing = np.isnan(raw)
        scaled = np.where(missing, 0.0, (np.where(missing, 0.0, raw) - self.mean) / self.scale)
        flags = np.array([1.0 if features.get(n) is None else 0.0 for n in self.indicators])
        return np.concatenate([scaled, flags])

    def to_json(self) -> dict[str, Any]:
        return {
            "names": self.names,
            "mean": _rs(self.mean),
            "scale": _rs(self.scale),
            "indicators": self.indicators,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> _Scaling:
        return cls(
            names=list(data["names"]),
            mean=np.asarray(data["mean"], dtype=float),
            scale=np.asarray(data["scale"], dtype=float),
            indicators=list(data["indicators"]),
        )

    @classmethod
    def fit(cls, clips: Sequence[ClipObservation]) -> _Scaling:
        names = sorted({n for obs in clips for n in obs.features})
        matrix = np.array(
            [
                [np.nan if obs.features.get(n) is None else float(obs.features[n]) for n in names]  # type: ignore[arg-type]
                for obs in clips
            ],
            dtype=float,
        ).reshape(len(clips), len(names))
        observed = ~np.isnan(matrix)
        keep = [j for j in range(len(names)) if observed[:, j].any()]
        names = [names[j] for j in keep]
        matrix, observed = matrix[:, keep], observed[:, keep]
        mean = np.array([matrix[observed[:, j], j].mean() for j in range(len(names))], dtype=float)
        std = np.array([matrix[observed[:, j], j].std() for j in range(len(names))], dtype=float)
        scale = np.where(std > 1e-12, std, 1.0)
        indicators = [names[j] for j in range(len(names)) if not observed[:, j].all()]
        scaling = cls(names=names, mean=mean, scale=scale, indicators=indicators)
        # Round-trip through the stored precision, so fitting and applying see the same numbers.
        return cls.from_json(scaling.to_json())


def _cue_inputs(cue, duration_ms: int) -> np.ndarray:
    timed = cue.start_ms is not None and cue.end_ms is not None
    span = (cue.end_ms - cue.start_ms) / duration_ms if timed and duration_ms > 0 else 0.0
    return np.array([float(cue.confidence or 0.0), 1.0 if timed else 0.0, min(span, 1.0)])


def _logistic(matrix: np.ndarray, labels: Sequence[Any], seed: int):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C, max_iter=2000, random_state=seed)
    model.fit(matrix, np.asarray(labels))
    return model


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def _smoothed(kept: int, n: int) -> float:
    return _r((kept + 1) / (n + 2))


def fit(
    *,
    training: TrainingSet,
    seed: int,
    base: Mapping[str, str],
    trained_on: Mapping[str, Any],
    progress: Progress | None = None,
) -> LearnedModel:
    """Fit the cue filter and the primary-emotion model.

    Args:
        training: the labelled training clips (:func:`~inference.learning.training_set`).
        seed: passed to every estimator (the split that chose the clips used it too).
        base: {"proposer", "version"} of the proposer whose observations these are; the
            learned proposer refuses to apply the model to another version's output.
        trained_on: what the artefact records about its data (gold version, split clip names,
            seed, ...); stored as given, with the training data's sha256 added.
        progress: called as progress(stage, done, total).

    Returns:
        The fitted :class:`LearnedModel`.

    Raises:
        LearningError: fewer than MIN_CLIPS training clips with a primary label.
    """
    report = progress or (lambda stage, done, total: None)
    if len(training.clips) < MIN_CLIPS:
        raise LearningError(
            f"The training split has {len(training.clips)} clip(s) with a gold primary label and "
            f"a proposal; at least {MIN_CLIPS} are needed to learn anything. Freeze a gold set "
            "with more clips, or give the training split a larger share."
        )
    scaling = _Scaling.fit(training.clips)
    by_name = {obs.name: obs for obs in training.clips}
    clip_x = {name: scaling.transform(obs.features) for name, obs in by_name.items()}

    rules: dict[str, list] = {}
    for example in training.cues:
        rules.setdefault(example.rule, []).append(example)
    total = len(rules) + 1
    filter_rules: dict[str, Any] = {}
    for done, rule in enumerate(sorted(rules), 1):
        examples = rules[rule]
        kept = sum(1 for e in examples if e.kept)
        entry: dict[str, Any] = {"n": len(examples), "kept": kept}
        if len(examples) >= MIN_RULE_EXAMPLES and 0 < kept < len(examples):
            matrix = np.stack(
                [
                    np.concatenate(
                        [
                            clip_x[e.clip],
                            _cue_inputs(by_name[e.clip].cues[e.index], by_name[e.clip].duration_ms),
                        ]
                    )
                    for e in examples
                ]
            )
            model = _logistic(matrix, [1 if e.kept else 0 for e in examples], seed)
            entry.update(
                kind="logistic", coef=_rs(model.coef_[0]), intercept=_r(model.intercept_[0])
            )
        else:
            entry.update(kind="constant", p=_smoothed(kept, len(examples)))
        filter_rules[rule] = entry
        report("cue filter", done, total)
    modality_default: dict[str, float] = {}
    for modality in ("visual", "auditory", "emotional"):
        mine = [e for e in training.cues if e.rule.startswith(modality + "/")]
        modality_default[modality] = _smoothed(sum(1 for e in mine if e.kept), len(mine))

    base_labels = sorted({label for obs in training.clips for label, _ in obs.emotions})
    emotion_inputs = [*scaling.inputs(), *(f"base_emotion.{label}" for label in base_labels)]
    classes = sorted(set(training.primary.values()))
    emotion: dict[str, Any] = {"classes": classes, "inputs": emotion_inputs}
    if len(classes) == 1:
        emotion.update(kind="constant")
    else:
        matrix = np.stack(
            [
                np.concatenate([clip_x[obs.name], _base_scores(obs.emotions, base_labels)])
                for obs in training.clips
            ]
        )
        model = _logistic(matrix, [training.primary[obs.name] for obs in training.clips], seed)
        coef = model.coef_ if len(classes) > 2 else np.vstack([-model.coef_[0], model.coef_[0]])
        intercept = (
            model.intercept_
            if len(classes) > 2
            else np.array([-model.intercept_[0], model.intercept_[0]])
        )
        # A two-class model as two rows (softmax of ±z/2 == sigmoid(z)): one formula applies.
        if len(classes) == 2:
            coef, intercept = coef / 2.0, intercept / 2.0
        emotion.update(
            kind="logistic",
            coef=[_rs(row) for row in coef],
            intercept=_rs(intercept),
        )
    report("emotion model", total, total)
    data = {
        "format": ARTEFACT_FORMAT,
        "base": {"proposer": str(base["proposer"]), "version": str(base["version"])},
        "trained_on": {**dict(trained_on), "training_sha256": training.sha256},
        "seed": seed,
        "estimator": f"sklearn LogisticRegression(C={C}, lbfgs, L2) on standardised features",
        "matching": {"threshold": training.threshold},
        "scaling": scaling.to_json(),
        "cue_inputs": list(CUE_INPUTS),
        "cue_filter": {
            "threshold": KEEP_THRESHOLD,
            "min_rule_examples": MIN_RULE_EXAMPLES,
            "rules": filter_rules,
            "modality_default": modality_default,
        },
        "emotion": emotion,
        "training": training.describe(),
    }
    return LearnedModel(data)


def _base_scores(emotions: Sequence[tuple[str, float]], labels: Sequence[str]) -> np.ndarray:
    scores = dict(emotions)
    return np.array([float(scores.get(label, 0.0)) for label in labels])


class LearnedModel:
    """A fitted cue filter and emotion model, as stored (canonical JSON).

    Example:
        >>> model = LearnedModel.from_bytes(path.read_bytes())  # doctest: +SKIP
        >>> model.keep_probability(cue, features=proposal.features, duration_ms=4000)
        0.93
    """

    def __init__(self, data: Mapping[str, Any]) -> None:
        if data.get("format") != ARTEFACT_FORMAT:
            raise LearningError(
                f"not a learned proposer artefact (format {data.get('format')!r}, "
                f"expected {ARTEFACT_FORMAT!r})"
            )
        self.data = dict(data)
        self._scaling = _Scaling.from_json(data["scaling"])
        self._base_labels = [
            name.split(".", 1)[1]
            for name in data["emotion"]["inputs"]
            if name.startswith("base_emotion.")
        ]

    def to_bytes(self) -> bytes:
        return canonical_json(self.data) + b"\n"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.to_bytes()).hexdigest()

    @classmethod
    def from_bytes(cls, raw: bytes) -> LearnedModel:
        import json

        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise LearningError(f"the artefact is not JSON: {error}") from None
        if not isinstance(data, dict):
            raise LearningError("the artefact is not a JSON object")
        return cls(data)

    @property
    def base(self) -> dict[str, str]:
        return dict(self.data["base"])

    @property
    def classes(self) -> list[str]:
        return list(self.data["emotion"]["classes"])

    def keep_probability(
        self, cue, *, features: Mapping[str, float | None], duration_ms: int
    ) -> float:
        """P(the gold keeps this proposed cue), by its rule's model."""
        spec = self.data["cue_filter"]
        entry = spec["rules"].get(cue_rule(cue))
        if entry is None:
            return float(spec["modality_default"].get(cue.modality, 1.0))
        if entry["kind"] == "constant":
            return float(entry["p"])
        x = np.concatenate([self._scaling.transform(features), _cue_inputs(cue, duration_ms)])
        return _sigmoid(float(np.dot(np.asarray(entry["coef"]), x) + entry["intercept"]))

    def emotion_probabilities(
        self, *, features: Mapping[str, float | None], emotions: Sequence[tuple[str, float]]
    ) -> list[tuple[str, float]]:
        """[(label, probability)] over the gold's primary labels, most probable first."""
        spec = self.data["emotion"]
        classes = spec["classes"]
        if spec["kind"] == "constant":
            return [(classes[0], 1.0)]
        x = np.concatenate(
            [self._scaling.transform(features), _base_scores(emotions, self._base_labels)]
        )
        z = np.asarray(spec["coef"]) @ x + np.asarray(spec["intercept"])
        z = z - z.max()
        p = np.exp(z) / np.exp(z).sum()
        return sorted(
            ((label, float(v)) for label, v in zip(classes, p, strict=True)),
            key=lambda item: (-item[1], item[0]),
        )
