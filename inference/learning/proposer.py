"""The learned proposer ("signals+learned"): the signal proposer's proposal, filtered and
re-labelled by a model learned from a project's gold.

On each clip it runs the signal proposer, then

1. keeps each observation, subtitle or unobservable cue whose P(kept by the gold) reaches the
   filter's threshold (its confidence becomes that probability; the base confidence stays in
   the evidence). A modality whose every cue would go keeps its most probable one: EmoCue-360
   scores an empty prediction 0 against a non-empty gold, and a wrong cue never below 0;
2. estimates the primary emotion with the emotion model; the emotional cue states it: the
   base's own inference cue for that label when there is one (its reasons are real), else
   "The cues suggest that the person is <label>." over the base inference cues' span;
3. writes the paragraph again from the kept cues, as the signal proposer does.

Its version is the signal proposer's plus "+learned" and, per proposal, the artefact's sha256
(Proposal.version "signals-1.2+learned+<12 hex>"). No Django here.

Example:
    >>> proposer = LearnedSignalProposer(artefact="learned.json")  # doctest: +SKIP
    >>> proposer.propose(clip).emotions[0]  # doctest: +SKIP
    ('sad', 0.81)
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from inference.proposers.base import ClipInput, Proposal, ProposalError, ProposedCue
from inference.proposers.signals import SIGNALS_VERSION, SignalProposer
from inference.proposers.signals.fusion import NEUTRAL_TEXT, paragraph_from_cues

from .model import LearnedModel, LearningError

__all__ = ["LEARNED_NAME", "LEARNED_VERSION", "LearnedSignalProposer", "apply_learned"]

LEARNED_NAME = "signals+learned"
LEARNED_VERSION = f"{SIGNALS_VERSION}+learned"

# Vocabulary labels that are nouns, as the adjective a sentence needs ("the person is ...").
_ADJECTIVES = {"surprise": "surprised", "fear": "afraid", "disgust": "disgusted"}
_STATES = re.compile(r"the person is (\w+)\.$")


def adjective(label: str) -> str:
    return _ADJECTIVES.get(label, label)


def _emotional_cue(label: str, probability: float, inference: list[ProposedCue]) -> ProposedCue:
    wanted = adjective(label)
    for cue in inference:
        rule = cue.evidence.get("rule") if isinstance(cue.evidence, dict) else None
        match = _STATES.search(cue.text)
        if rule == label or (match and match.group(1) in (label, wanted)):
            evidence = {**cue.evidence, "learned": {"probability": round(probability, 4)}}
            return dataclasses.replace(cue, confidence=round(probability, 3), evidence=evidence)
    if label == "neutral":
        text = NEUTRAL_TEXT
    else:
        text = f"The cues suggest that the person is {wanted}."
    timed = [c for c in inference if c.start_ms is not None and c.end_ms is not None]
    start = min((c.start_ms for c in timed), default=None)  # type: ignore[type-var]
    end = max((c.end_ms for c in timed), default=None) if timed else None  # type: ignore[type-var]
    return ProposedCue(
        "emotional",
        text,
        start,
        end,
        round(probability, 3),
        {
            "rule": label,
            "learned": {"probability": round(probability, 4)},
            "base_rules": [
                c.evidence.get("rule") for c in inference if isinstance(c.evidence, dict)
            ],
        },
        kind="inference",
    )


def apply_learned(proposal: Proposal, model: LearnedModel, *, duration_ms: int) -> Proposal:
    """The learned proposal made from a base proposal (what the proposer does after the signal
    proposer ran; the bench applies it to stored proposals the same way).

    Raises:
        ProposalError: the base proposal comes from another proposer version than the one the
            model learned from.
    """
    base = model.base
    if (proposal.proposer, proposal.version) != (base["proposer"], base["version"]):
        raise ProposalError(
            f"This learned model was trained on {base['proposer']} {base['version']} "
            f"proposals, but the worker's proposer is {proposal.proposer} {proposal.version}: "
            "train it again on a run of the current version."
        )
    features = proposal.features
    kept: list[ProposedCue] = []
    dropped: list[ProposedCue] = []
    best: dict[str, tuple[float, ProposedCue]] = {}
    threshold = float(model.data["cue_filter"]["threshold"])
    for cue in proposal.cues:
        if cue.kind == "inference":
            continue
        p = model.keep_probability(cue, features=features, duration_ms=duration_ms)
        evidence = {
            **cue.evidence,
            "learned": {"keep_probability": round(p, 4), "base_confidence": cue.confidence},
        }
        scored = dataclasses.replace(cue, confidence=round(p, 3), evidence=evidence)
        if p >= threshold:
            kept.append(scored)
        else:
            dropped.append(scored)
            if cue.modality not in best or p > best[cue.modality][0]:
                best[cue.modality] = (p, scored)
    for modality, (_, cue) in best.items():
        if not any(c.modality == modality for c in kept):
            kept.append(cue)
            dropped.remove(cue)
    probabilities = model.emotion_probabilities(features=features, emotions=proposal.emotions)
    label, probability = probabilities[0]
    inference = [c for c in proposal.cues if c.kind == "inference"]
    kept.append(_emotional_cue(label, probability, inference))
    order = {"visual": 0, "auditory": 1, "emotional": 2}
    kept.sort(
        key=lambda c: (
            order[c.modality],
            -1 if c.start_ms is None else c.start_ms,
            -1 if c.end_ms is None else c.end_ms,
        )
    )
    emotions = tuple((name, round(p, 4)) for name, p in probabilities[:3])
    notes = list(proposal.notes)
    if dropped:
        rules = sorted({c.evidence.get("feature") or c.kind for c in dropped})
        notes.append(
            f"learned: the filter dropped {len(dropped)} of {len(dropped) + len(kept) - 1} "
            f"observed cues ({', '.join(map(str, rules))})."
        )
    description = paragraph_from_cues(
        kept,
        [(adjective(name), p) for name, p in emotions],
        has_subtitle=bool(features.get("text.has_subtitle")),
    )
    return Proposal(
        proposer=LEARNED_NAME,
        version=f"{LEARNED_VERSION}+{model.sha256[:12]}",
        description=description,
        cues=tuple(kept),
        emotions=emotions,
        notes=tuple(notes),
        timings=dict(proposal.timings),
        features=dict(features),
    )


class LearnedSignalProposer:
    """The signal proposer with a learned cue filter and emotion model (name "signals+learned").

    Args:
        artefact: the trained model's JSON file (inference.learning.fit's bytes); required.
        **options: threshold overrides for the signal proposer underneath (as "signals"
            takes them); the model refuses a base version other than the one it learned from.
    Raises:
        ValueError: no artefact, or one that is not a learned proposer's.
    """

    name = LEARNED_NAME
    version = LEARNED_VERSION
    # Built per trained model: a run names its artefact; the generic "start a run" form cannot.
    needs_artefact = True

    def __init__(self, *, artefact: str | Path | None = None, **options: Any) -> None:
        if artefact is None:
            raise ValueError(
                "signals+learned needs a trained model: train one from a gold set "
                "(manage.py learn_proposer) and start its run from the learned proposer's page."
            )
        try:
            self.model = LearnedModel.from_bytes(Path(artefact).read_bytes())
        except OSError as error:
            raise ValueError(f"the learned model file cannot be read: {error}") from None
        except LearningError as error:
            raise ValueError(str(error)) from None
        self.base = SignalProposer(**options)

    def propose(self, clip: ClipInput) -> Proposal:
        return apply_learned(self.base.propose(clip), self.model, duration_ms=clip.duration_ms)
