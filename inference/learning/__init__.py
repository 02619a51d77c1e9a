"""A proposer that learns a project's gold: a cue filter and a primary-emotion model fitted on
a base proposer's own observations (its stored features and cues) against a frozen gold set,
and the paired comparison of two systems on held-out clips. No Django here.

    from inference.learning import training_set, fit, LearnedModel, apply_learned
    training = training_set(observations=..., gold=..., similarity=..., threshold=0.6)
    model = fit(training=training, seed=0, base={...}, trained_on={...})
    artefact = model.to_bytes()  # canonical JSON: the same data and seed give the same bytes

See docs/learning.md.
"""

from .compare import paired_difference
from .dataset import (
    ClipGold,
    ClipObservation,
    CueExample,
    TrainingSet,
    canonical_json,
    cue_rule,
    training_set,
)
from .model import ARTEFACT_FORMAT, MIN_CLIPS, LearnedModel, LearningError, fit
from .proposer import LEARNED_NAME, LEARNED_VERSION, LearnedSignalProposer, apply_learned

__all__ = [
    "ARTEFACT_FORMAT",
    "LEARNED_NAME",
    "LEARNED_VERSION",
    "MIN_CLIPS",
    "ClipGold",
    "ClipObservation",
    "CueExample",
    "LearnedModel",
    "LearnedSignalProposer",
    "LearningError",
    "TrainingSet",
    "apply_learned",
    "canonical_json",
    "cue_rule",
    "fit",
    "paired_difference",
    "training_set",
]
