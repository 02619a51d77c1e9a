"""The export's input, checked once: gold items, the split lists and the datasheet fields.

Every format module reads the checked :class:`ExportClip` objects, never the raw mappings,
so a bad item is refused before anything is written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from inference.emocue360.cues import MODALITIES

# As on cues (annotate.models.Cue.kind, inference.proposers.base.CUE_KINDS).
CUE_KINDS = ("observation", "subtitle", "inference", "unobservable")
SPLIT_NAME = re.compile(r"[a-z0-9_-]+")
# clip names become file names inside the zip (vtt/<name>.vtt): no folders, no hidden files
CLIP_NAME = re.compile(r"[^./\\\x00-\x1f][^/\\\x00-\x1f]*")
EPOCH = datetime(1980, 1, 1, tzinfo=UTC)  # the earliest time a zip entry can carry
# keys the export computes into the datasheet; a caller's datasheet may not set them
COMPUTED_KEYS = (
    "counts",
    "label_distribution",
    "files",
    "formats",
    "media",
    "subtitles",
    "judgements",
)
# Where a clip's subtitle came from (as the app's Clip.subtitle_source, "none" for no subtitle).
SUBTITLE_SOURCES = ("file", "manifest", "ocr", "manual", "none")


@dataclass(frozen=True)
class ExportCue:
    modality: str
    text: str
    kind: str
    start_ms: int | None
    end_ms: int | None

    @property
    def timed(self) -> bool:
        return self.start_ms is not None


@dataclass(frozen=True)
class ExportSubtitleSegment:
    start_ms: int
    end_ms: int
    text: str
    confidence: float | None  # the reading's, for a segment read from the picture


@dataclass(frozen=True)
class ExportSubtitle:
    """The clip's subtitle as the gold set version froze it: where it came from ("ocr": read
    from the picture), whether a manager corrected it, its text (and a chinese text kept beside
    an english one) and its timed segments."""

    source: str
    corrected: bool
    text: str
    chinese: str
    segments: tuple[ExportSubtitleSegment, ...]
    reader: Mapping[str, Any] | None = None  # what read it from the picture (engine, models...)

    @property
    def from_picture(self) -> bool:
        return self.source == "ocr"


@dataclass(frozen=True)
class ExportClip:
    name: str
    group_key: str
    duration_ms: int | None
    media: str
    labels: tuple[str, ...]
    primary_label: str
    description: str
    cues: dict[str, tuple[ExportCue, ...]]  # every modality present, in MODALITIES order
    # None: not recorded (a version frozen before subtitles were kept with it)
    subtitle: ExportSubtitle | None = None

    def all_cues(self) -> list[ExportCue]:
        return [cue for modality in MODALITIES for cue in self.cues[modality]]


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{where} must be a string, got {_type_name(value)}")
    return value


def _media(value: Any, where: str) -> str:
    media = _text(value, where)
    if not media:
        return ""
    posix, windows = PurePosixPath(media), PureWindowsPath(media)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or ".." in posix.parts:
        raise ValueError(f"{where} must be a path relative to the media folder, got {media!r}")
    return media


def _cue(value: Any, modality: str, where: str) -> ExportCue:
    if not isinstance(value, Mapping):
        raise ValueError(
            f"{where} must be an object with text, start_ms, end_ms, kind, got {_type_name(value)}"
        )
    unknown = set(value) - {"text", "start_ms", "end_ms", "kind"}
    if unknown:
        raise ValueError(f"{where} has unknown field(s) {sorted(unknown)}")
    text = value.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{where}.text must be a non-empty string, got {text!r}")
    kind = value.get("kind") or "observation"
    if kind not in CUE_KINDS:
        raise ValueError(f"{where}.kind must be one of {', '.join(CUE_KINDS)}, got {kind!r}")
    start, end = value.get("start_ms"), value.get("end_ms")
    for field, ms in (("start_ms", start), ("end_ms", end)):
        if ms is not None and (not _is_int(ms) or ms < 0):
            raise ValueError(
                f"{where}.{field} must be a whole number of ms >= 0 or null, got {ms!r}"
            )
    if (start is None) != (end is None):
        raise ValueError(
            f"{where}: start_ms and end_ms must both be set or both be null, "
            f"got {start!r} and {end!r}"
        )
    if start is not None and end < start:
        raise ValueError(f"{where}: end_ms {end} is before start_ms {start}")
    return ExportCue(modality, text, kind, start, end)


def _subtitle_segment(value: Any, where: str) -> ExportSubtitleSegment:
    if not isinstance(value, Mapping):
        raise ValueError(
            f"{where} must be an object with start_ms, end_ms, text, confidence, "
            f"got {_type_name(value)}"
        )
    unknown = set(value) - {"start_ms", "end_ms", "text", "confidence"}
    if unknown:
        raise ValueError(f"{where} has unknown field(s) {sorted(unknown)}")
    start, end = value.get("start_ms"), value.get("end_ms")
    for field, ms in (("start_ms", start), ("end_ms", end)):
        if not _is_int(ms) or ms < 0:
            raise ValueError(f"{where}.{field} must be a whole number of ms >= 0, got {ms!r}")
    if end < start:
        raise ValueError(f"{where}: end_ms {end} is before start_ms {start}")
    text = value.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{where}.text must be a non-empty string, got {text!r}")
    confidence = value.get("confidence")
    if confidence is not None and (
        isinstance(confidence, bool)
        or not isinstance(confidence, int | float)
        or not 0 <= confidence <= 1
    ):
        raise ValueError(
            f"{where}.confidence must be a number from 0 to 1 or null, got {confidence!r}"
        )
    return ExportSubtitleSegment(
        start, end, text, None if confidence is None else float(confidence)
    )


def _subtitle(value: Any, where: str) -> ExportSubtitle | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValueError(f"{where} must be an object or null, got {_type_name(value)}")
    unknown = set(value) - {"source", "corrected", "text", "chinese", "segments", "reader"}
    if unknown:
        raise ValueError(f"{where} has unknown field(s) {sorted(unknown)}")
    source = value.get("source") or "none"
    if source not in SUBTITLE_SOURCES:
        raise ValueError(
            f"{where}.source must be one of {', '.join(SUBTITLE_SOURCES)}, got {source!r}"
        )
    corrected = value.get("corrected", False)
    if not isinstance(corrected, bool):
        raise ValueError(f"{where}.corrected must be true or false, got {corrected!r}")
    segments = value.get("segments") or []
    if not isinstance(segments, Sequence) or isinstance(segments, str):
        raise ValueError(f"{where}.segments must be a list, got {_type_name(segments)}")
    reader = value.get("reader")
    if reader is not None:
        if not isinstance(reader, Mapping):
            raise ValueError(f"{where}.reader must be an object or null, got {_type_name(reader)}")
        try:
            json.dumps(reader, allow_nan=False, sort_keys=True)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{where}.reader cannot be written as JSON: {error}") from None
    return ExportSubtitle(
        source=source,
        corrected=corrected,
        text=_text(value.get("text"), f"{where}.text"),
        chinese=_text(value.get("chinese"), f"{where}.chinese"),
        segments=tuple(
            _subtitle_segment(v, f"{where}.segments[{i}]") for i, v in enumerate(segments)
        ),
        reader=dict(reader) if reader else None,
    )


def check_item(item: Any, index: int) -> ExportClip:
    """One gold item as an :class:`ExportClip`, or a ValueError naming the item and field."""
    if not isinstance(item, Mapping):
        raise ValueError(f"items[{index}] must be a mapping, got {_type_name(item)}")
    name = item.get("name")
    if not isinstance(name, str) or not CLIP_NAME.fullmatch(name):
        raise ValueError(
            f"items[{index}].name must be a clip name without '/', '\\' or a "
            f"leading '.', got {name!r}"
        )
    where = f"item {name!r}"
    duration = item.get("duration_ms")
    if duration is not None and (not _is_int(duration) or duration < 0):
        raise ValueError(
            f"{where}: duration_ms must be a whole number of ms >= 0 or null, got {duration!r}"
        )
    labels = item.get("labels") or []
    if (
        not isinstance(labels, Sequence)
        or isinstance(labels, str)
        or not all(isinstance(label, str) for label in labels)
    ):
        raise ValueError(f"{where}: labels must be a list of strings, got {labels!r}")
    cues_in = item.get("cues") or {}
    if not isinstance(cues_in, Mapping):
        raise ValueError(f"{where}: cues must map modalities to lists, got {_type_name(cues_in)}")
    unknown = [m for m in cues_in if m not in MODALITIES]
    if unknown:
        raise ValueError(
            f"{where}: unknown modality {unknown[0]!r} in cues; expected {', '.join(MODALITIES)}"
        )
    cues: dict[str, tuple[ExportCue, ...]] = {}
    for modality in MODALITIES:
        values = cues_in.get(modality) or []
        if not isinstance(values, Sequence) or isinstance(values, str):
            raise ValueError(
                f"{where}: cues[{modality!r}] must be a list, got {_type_name(values)}"
            )
        cues[modality] = tuple(
            _cue(v, modality, f"{where}: cues[{modality!r}][{i}]") for i, v in enumerate(values)
        )
    return ExportClip(
        name=name,
        group_key=_text(item.get("group_key"), f"{where}: group_key"),
        duration_ms=duration,
        media=_media(item.get("media"), f"{where}: media"),
        labels=tuple(labels),
        primary_label=_text(item.get("primary_label"), f"{where}: primary_label"),
        description=_text(item.get("description"), f"{where}: description"),
        cues=cues,
        subtitle=_subtitle(item.get("subtitle"), f"{where}: subtitle"),
    )


def check_splits(splits: Any, clips: Mapping[str, ExportClip]) -> dict[str, list[str]]:
    """The split lists, each sorted by name; a ValueError for a clip unknown or in two."""
    if not isinstance(splits, Mapping) or not splits:
        raise ValueError("splits must map split names to clip names, e.g. {'test': [...]}")
    seen: dict[str, str] = {}
    checked: dict[str, list[str]] = {}
    for split in splits:
        if not isinstance(split, str) or not SPLIT_NAME.fullmatch(split):
            raise ValueError(
                f"split name {split!r} is not allowed: use lower-case letters, digits, '_' or '-'"
            )
        names = splits[split]
        if not isinstance(names, Sequence) or isinstance(names, str):
            raise ValueError(f"split {split!r} must be a list of clip names")
        if not names:
            raise ValueError(f"split {split!r} has no clips")
        for name in names:
            if name not in clips:
                raise ValueError(f"split {split!r} names clip {name!r}, which has no item")
            if name in seen:
                if seen[name] == split:
                    raise ValueError(f"item {name!r} is listed twice in split {split!r}")
                raise ValueError(f"item {name!r} is in two splits: {seen[name]!r} and {split!r}")
            seen[name] = split
        checked[split] = sorted(names)
    return checked


def frozen_time(value: Any) -> datetime:
    """frozen_at as an aware UTC datetime (naive values are taken as UTC); 1980 when absent."""
    if value is None or value == "":
        return EPOCH
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(
                f"datasheet: frozen_at {value!r} is not an ISO 8601 date-time"
            ) from None
    if not isinstance(value, datetime):
        raise ValueError(
            f"datasheet: frozen_at must be an ISO 8601 string or a datetime, "
            f"got {_type_name(value)}"
        )
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return max(value.astimezone(UTC), EPOCH)


def check_datasheet(datasheet: Any) -> tuple[dict, datetime]:
    """The caller's datasheet fields as JSON-ready data, and frozen_at as a UTC datetime."""
    if not isinstance(datasheet, Mapping):
        raise ValueError(f"datasheet must be a mapping, got {_type_name(datasheet)}")
    clash = [key for key in COMPUTED_KEYS if key in datasheet]
    if clash:
        raise ValueError(f"datasheet: {clash[0]!r} is computed by the export; do not pass it")
    frozen = frozen_time(datasheet.get("frozen_at"))
    fields = dict(datasheet)
    if isinstance(fields.get("frozen_at"), datetime):
        fields["frozen_at"] = frozen.isoformat()
    for key in ("provenance", "agreement"):
        if fields.get(key) is None:
            fields[key] = {}
        elif not isinstance(fields[key], Mapping):
            raise ValueError(f"datasheet: {key} must be a mapping, got {_type_name(fields[key])}")
    licence = fields.get("licence")
    if licence is not None and not isinstance(licence, str):
        raise ValueError(f"datasheet: licence must be a string, got {_type_name(licence)}")
    fields["licence"] = (licence or "").strip() or "not stated"
    for key, value in fields.items():
        try:
            json.dumps(value, allow_nan=False, sort_keys=True)
        except (TypeError, ValueError) as error:
            raise ValueError(f"datasheet: {key} cannot be written as JSON: {error}") from None
    return fields, frozen
