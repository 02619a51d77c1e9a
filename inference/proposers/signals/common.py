"""What each analysis (visual, auditory, text) hands to the fusion step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from inference.proposers.base import ProposedCue


@dataclass
class ModalityResult:
    """One analysis of one clip.

    Attributes:
        cues: time-anchored cues (an "unobservable" cue when the modality could not be
            observed, e.g. no face, no speech).
        notes: problems a user should know of ("face lost from 2.1 s to 3.0 s").
        summary: clip-level numbers and flags the fusion step reads (documented per
            analysis: e.g. smile_fraction, loudness_z, valence).
        timings: seconds per stage.
    """

    cues: list[ProposedCue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
