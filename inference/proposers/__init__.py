"""Cue proposers: media in, an EMER-style description and time-anchored cues out.

    from inference.proposers import ClipInput, get_proposer
    proposal = get_proposer("signals").propose(ClipInput.from_files(...))

No Django here. The app, the CLI (`python -m inference.propose`) and the benchmarks all go
through :func:`get_proposer`; the XEmoGPT backend registers itself under "xemogpt".
"""

from .base import (
    MODALITIES,
    ClipInput,
    Proposal,
    ProposalError,
    ProposedCue,
    Proposer,
    SubtitleSegment,
    emotion_uncertainty,
    get_proposer,
    proposer_factory,
    proposer_names,
    register_proposer,
)

__all__ = [
    "MODALITIES",
    "ClipInput",
    "Proposal",
    "ProposalError",
    "ProposedCue",
    "Proposer",
    "SubtitleSegment",
    "emotion_uncertainty",
    "get_proposer",
    "proposer_factory",
    "proposer_names",
    "register_proposer",
]
