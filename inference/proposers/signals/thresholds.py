"""Every threshold of the signal proposer, in one place, each with the reason for its value.

Changing a value changes proposals: bump SIGNALS_VERSION in inference/proposers/signals/__init__.py.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VisualThresholds:
    """Face-landmark features (mediapipe face mesh). Owned by the visual analysis."""


@dataclass(frozen=True)
class AuditoryThresholds:
    """Acoustic features (opensmile eGeMAPSv02, parselmouth). Owned by the auditory analysis."""


@dataclass(frozen=True)
class TextThresholds:
    """Subtitle text (VADER, NRC emotion lexicon). Owned by the text analysis."""


@dataclass(frozen=True)
class FusionThresholds:
    """The fused emotion estimate and the paragraph. Owned by the fusion step."""


VISUAL = VisualThresholds()
AUDITORY = AuditoryThresholds()
TEXT = TextThresholds()
FUSION = FusionThresholds()
