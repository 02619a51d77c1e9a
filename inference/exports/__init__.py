"""Exports of a frozen gold set as one reproducible zip, in the formats the field already reads.

    from inference.exports import export_zip
    result = export_zip(items=items, splits={"train": [...], "test": [...]},
                        datasheet={"project": "...", "version": 3, "frozen_at": "...",
                                   "licence": "CC BY-NC 4.0", "provenance": {}, ...},
                        out="gold-v3.zip")

No Django here: the app gathers the items and calls in. The same inputs (items in any order)
give the same zip, byte for byte: entries sorted by path, each stamped with the gold set's
frozen_at, mode 0644, deflated at level 9, no folders, no absolute paths.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

from .clips import ExportClip, check_datasheet, check_item, check_splits
from .datasheet import datasheet_data, datasheet_json, datasheet_md
from .elan import clip_eaf
from .emer_csv import emer_csv
from .emocue_json import emocue_json
from .jsonl import clips_jsonl
from .vtt import clip_vtt

FORMATS = ("emocue_json", "emer_csv", "jsonl", "webvtt", "elan", "datasheet")
MANIFEST = "MANIFEST.sha256"
COMPRESS_LEVEL = 9
FILE_MODE = 0o100644  # a regular file, rw-r--r--

__all__ = ["FORMATS", "MANIFEST", "export_zip"]


def _check(items: Sequence[Mapping], splits: Mapping, datasheet: Mapping):
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Sequence):
        raise ValueError("items must be a list of gold items")
    clips: dict[str, ExportClip] = {}
    for index, item in enumerate(items):
        clip = check_item(item, index)
        if clip.name in clips:
            raise ValueError(f"item {clip.name!r} appears twice in items")
        clips[clip.name] = clip
    by_split = {
        split: [clips[name] for name in names]
        for split, names in check_splits(splits, clips).items()
    }
    fields, frozen_at = check_datasheet(datasheet)
    return by_split, fields, frozen_at


def _files(by_split: Mapping[str, list[ExportClip]], fields: Mapping, frozen_at) -> dict:
    """{path in the zip: bytes} for every file but the manifest."""
    files: dict[str, bytes] = {}
    for split, clips in by_split.items():
        files[f"{split}/emocue.json"] = emocue_json(clips)
        files[f"{split}/emer.csv"] = emer_csv(clips)
        files[f"{split}/clips.jsonl"] = clips_jsonl(clips)
        for clip in clips:
            files[f"{split}/vtt/{clip.name}.vtt"] = clip_vtt(clip)
            files[f"{split}/elan/{clip.name}.eaf"] = clip_eaf(clip, frozen_at=frozen_at)
    data = datasheet_data(fields, by_split)
    files["datasheet.json"] = datasheet_json(data)
    files["datasheet.md"] = datasheet_md(data)
    split_lists = {split: [clip.name for clip in clips] for split, clips in by_split.items()}
    files["splits.json"] = (json.dumps(split_lists, indent=2) + "\n").encode()
    return files


def _manifest(files: Mapping[str, bytes]) -> bytes:
    lines = [f"{hashlib.sha256(files[path]).hexdigest()}  {path}\n" for path in sorted(files)]
    return "".join(lines).encode()


def _zip(
    files: Mapping[str, bytes], date_time: tuple, progress: Callable[[int, int], None] | None
) -> bytes:
    buffer = io.BytesIO()
    paths = sorted(files)
    with zipfile.ZipFile(buffer, "w") as archive:
        for done, path in enumerate(paths, start=1):
            info = zipfile.ZipInfo(path, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so that external_attr means a file mode
            info.external_attr = FILE_MODE << 16
            archive.writestr(info, files[path], compresslevel=COMPRESS_LEVEL)
            if progress is not None:
                progress(done, len(paths))
    return buffer.getvalue()


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, then rename it: never a half-written zip."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def export_zip(
    *,
    items: Sequence[Mapping],
    splits: Mapping[str, list[str]],
    datasheet: Mapping,
    out: str | Path | BinaryIO,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Write a frozen gold set with its splits as one zip, byte-identical for the same input.

    The zip holds, for each split S: ``S/emocue.json`` (EmoCue cue file), ``S/emer.csv``
    (name,english,openset,primary), ``S/clips.jsonl`` (one clip a line, with cue times),
    ``S/vtt/<name>.vtt`` (WebVTT) and ``S/elan/<name>.eaf`` (ELAN); at the top
    ``datasheet.md``, ``datasheet.json``, ``splits.json`` and ``MANIFEST.sha256``
    (``<sha256>  <path>`` for every other file, sorted by path).

    Args:
        items: gold items, each {"name", "group_key", "duration_ms", "media", "labels",
            "primary_label", "description", "cues": {modality: [{"text", "start_ms",
            "end_ms", "kind"}]}}; their order does not matter. Items in no split are left out.
        splits: {split name: [clip names]}; split names ``[a-z0-9_-]+``, each non-empty;
            written in this order in splits.json and the datasheet, clips sorted by name.
        datasheet: {"project", "version", "frozen_at", "licence", "provenance",
            "agreement", "note", ...}, passed through into the datasheet with the computed
            counts; frozen_at (ISO 8601 string or datetime) also dates the zip entries and
            the ELAN files.
        out: a path (written atomically: a temporary file in the same folder, then a
            rename) or a writable binary file object.
        progress: called as ``progress(done, total)`` after each file is added.

    Returns:
        {"sha256": of the zip, "size_bytes": its size, "files": {path: sha256} for every
        entry, manifest included, "counts": the datasheet's counts}.

    Raises:
        ValueError: naming the item and field (unknown modality, end before start, a clip
            in two splits, a split naming a clip with no item, ...). Nothing is written.

    Example:
        >>> result = export_zip(items=items, splits={"test": ["sample_00000007"]},
        ...                     datasheet={"project": "demo", "version": 1,
        ...                                "frozen_at": "2026-12-01T10:00:00+00:00"},
        ...                     out="demo-v1.zip")
        >>> result["files"]["test/emocue.json"]
        '3f1c...'
    """
    by_split, fields, frozen_at = _check(items, splits, datasheet)
    files = _files(by_split, fields, frozen_at)
    files[MANIFEST] = _manifest(files)
    date_time = frozen_at.timetuple()[:6]
    data = _zip(files, date_time, progress)
    if isinstance(out, (str, os.PathLike)):
        _write_atomically(Path(out), data)
    else:
        out.write(data)
    counts = json.loads(files["datasheet.json"])["counts"]
    return {
        "sha256": hashlib.sha256(data).hexdigest(),
        "size_bytes": len(data),
        "files": {path: hashlib.sha256(files[path]).hexdigest() for path in sorted(files)},
        "counts": counts,
    }
