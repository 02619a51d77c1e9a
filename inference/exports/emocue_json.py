"""EmoCue cue files: ``{name: {"visual": [...], "auditory": [...], "emotional": [...]}}``.

Plain strings, as the reference scorer reads them (json.load, then each list as texts);
subtitle cues carry the prefix "Subtitle text: " (see :func:`cue_set_to_json`), so the
reference code's auditory filter drops them as it drops the subtitle restatements it
was written for.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from inference.emocue360.cues import Cue, cue_set_to_json

from .clips import ExportClip


def emocue_json(clips: Sequence[ExportClip]) -> bytes:
    data = {
        clip.name: cue_set_to_json(
            {m: [Cue(c.text, c.kind) for c in cues] for m, cues in clip.cues.items()},
            plain=True,
        )
        for clip in clips
    }
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
