"""One JSON object per clip, for ``datasets.load_dataset("json", ...)`` and pandas.

Every row has the same keys and types (times are int or null, lists are lists even when
empty), so Arrow infers one schema for the whole file. ``subtitle`` says where the clip's
subtitle came from (``source`` "ocr": read from the picture, each segment with the reading's
``confidence``, and ``reader``: the OCR engine, models, rate and thresholds that read it;
"file", "manifest", "manual" or "none") and holds its text and segments; it is null for a
version frozen before subtitles were kept with it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from .clips import ExportClip, ExportSubtitle


def subtitle_record(subtitle: ExportSubtitle | None) -> dict | None:
    if subtitle is None:
        return None
    return {
        "source": subtitle.source,
        "corrected": subtitle.corrected,
        "text": subtitle.text,
        "chinese": subtitle.chinese,
        "segments": [
            {"start_ms": s.start_ms, "end_ms": s.end_ms, "text": s.text, "confidence": s.confidence}
            for s in subtitle.segments
        ],
        "reader": dict(subtitle.reader) if subtitle.reader else None,
    }


def clip_record(clip: ExportClip) -> dict:
    return {
        "name": clip.name,
        "group_key": clip.group_key,
        "media": clip.media,
        "duration_ms": clip.duration_ms,
        "labels": list(clip.labels),
        "primary_label": clip.primary_label,
        "description": clip.description,
        "cues": {
            modality: [
                {"text": c.text, "kind": c.kind, "start_ms": c.start_ms, "end_ms": c.end_ms}
                for c in cues
            ]
            for modality, cues in clip.cues.items()
        },
        "subtitle": subtitle_record(clip.subtitle),
    }


def clips_jsonl(clips: Sequence[ExportClip]) -> bytes:
    lines = [json.dumps(clip_record(clip), ensure_ascii=False) for clip in clips]
    return ("\n".join(lines) + "\n").encode("utf-8")
