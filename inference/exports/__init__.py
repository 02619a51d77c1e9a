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
import json
import os
import shutil
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
from .judgements import FILE as JUDGEMENTS_FILE
from .judgements import check_judgements, judgement_rows, judgements_jsonl, judgements_summary
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


def _files(
    by_split: Mapping[str, list[ExportClip]],
    fields: Mapping,
    frozen_at,
    *,
    media_included: int,
    judgements: tuple | None = None,
) -> dict:
    """{path in the zip: bytes} for every file but the manifest and the media."""
    files: dict[str, bytes] = {}
    summary = None
    if judgements is not None:
        pairs, left_out, version = judgements
        split_of = {clip.name: split for split, clips in by_split.items() for clip in clips}
        rows = judgement_rows(pairs, split_of)
        files[JUDGEMENTS_FILE] = judgements_jsonl(rows)
        summary = judgements_summary(rows, left_out, version)
    for split, clips in by_split.items():
        files[f"{split}/emocue.json"] = emocue_json(clips)
        files[f"{split}/emer.csv"] = emer_csv(clips)
        files[f"{split}/clips.jsonl"] = clips_jsonl(clips)
        for clip in clips:
            files[f"{split}/vtt/{clip.name}.vtt"] = clip_vtt(clip)
            files[f"{split}/elan/{clip.name}.eaf"] = clip_eaf(clip, frozen_at=frozen_at)
    data = datasheet_data(fields, by_split, media_included=media_included, judgements=summary)
    files["datasheet.json"] = datasheet_json(data)
    files["datasheet.md"] = datasheet_md(data)
    split_lists = {split: [clip.name for clip in clips] for split, clips in by_split.items()}
    files["splits.json"] = (json.dumps(split_lists, indent=2) + "\n").encode()
    return files


def _manifest(digests: Mapping[str, str]) -> bytes:
    return "".join(f"{digests[path]}  {path}\n" for path in sorted(digests)).encode()


def _media_digest(open_media: Callable[[], BinaryIO]) -> str:
    digest = hashlib.sha256()
    with open_media() as stream:
        for chunk in iter(lambda: stream.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_media(media_files: Mapping, by_split: Mapping[str, list[ExportClip]]) -> dict:
    named = {clip.media for clips in by_split.values() for clip in clips if clip.media}
    for path in media_files:
        if path not in named:
            raise ValueError(f"media_files: {path!r} is not the media of any exported clip")
    return {path: media_files[path] for path in sorted(media_files)}


def _zip(
    stream: BinaryIO,
    files: Mapping[str, bytes],
    media_files: Mapping[str, Callable[[], BinaryIO]],
    date_time: tuple,
    progress: Callable[[int, int], None] | None,
) -> None:
    paths = sorted([*files, *media_files])
    with zipfile.ZipFile(stream, "w") as archive:
        for done, path in enumerate(paths, start=1):
            info = zipfile.ZipInfo(path, date_time=date_time)
            info.create_system = 3  # unix, so that external_attr means a file mode
            info.external_attr = FILE_MODE << 16
            if path in files:
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, files[path], compresslevel=COMPRESS_LEVEL)
            else:  # a video, already compressed: stored, streamed, zip64 whatever its size
                info.compress_type = zipfile.ZIP_STORED
                with (
                    media_files[path]() as source,
                    archive.open(info, "w", force_zip64=True) as entry,
                ):
                    shutil.copyfileobj(source, entry, 1024 * 1024)
            if progress is not None:
                progress(done, len(paths))


def _write_atomically(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write to a temporary file beside ``path``, then rename it: never a half-written zip."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "w+b") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _stream_digest(stream: BinaryIO) -> tuple[str, int]:
    stream.seek(0)
    digest, size = hashlib.sha256(), 0
    for chunk in iter(lambda: stream.read(1024 * 1024), b""):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def export_zip(
    *,
    items: Sequence[Mapping],
    splits: Mapping[str, list[str]],
    datasheet: Mapping,
    out: str | Path | BinaryIO,
    progress: Callable[[int, int], None] | None = None,
    media_files: Mapping[str, Callable[[], BinaryIO]] | None = None,
    judgements: Mapping | None = None,
) -> dict:
    """Write a frozen gold set with its splits as one zip, byte-identical for the same input.

    The zip holds, for each split S: ``S/emocue.json`` (EmoCue cue file), ``S/emer.csv``
    (name,english,openset,primary), ``S/clips.jsonl`` (one clip a line, with cue times),
    ``S/vtt/<name>.vtt`` (WebVTT) and ``S/elan/<name>.eaf`` (ELAN); at the top
    ``datasheet.md``, ``datasheet.json``, ``splits.json`` and ``MANIFEST.sha256``
    (``<sha256>  <path>`` for every other file, sorted by path); ``judgements.jsonl`` (the
    judged cue pairs of the exported clips) when ``judgements`` are given; and the videos of
    ``media_files``, at their items' media paths.

    Args:
        items: gold items, each {"name", "group_key", "duration_ms", "media", "labels",
            "primary_label", "description", "cues": {modality: [{"text", "start_ms",
            "end_ms", "kind"}]}, "subtitle": {"source", "corrected", "text", "chinese",
            "segments": [{"start_ms", "end_ms", "text", "confidence"}]} or null}; their
            order does not matter. Items in no split are left out. A subtitle's source is
            file, manifest, ocr (read from the picture, with each segment's confidence),
            manual or none; null means not recorded.
        splits: {split name: [clip names]}; split names ``[a-z0-9_-]+``, each non-empty;
            written in this order in splits.json and the datasheet, clips sorted by name.
        datasheet: {"project", "version", "frozen_at", "licence", "provenance",
            "agreement", "note", ...}, passed through into the datasheet with the computed
            counts; frozen_at (ISO 8601 string or datetime) also dates the zip entries and
            the ELAN files.
        out: a path (written atomically: a temporary file in the same folder, then a
            rename) or a writable binary file object.
        progress: called as ``progress(done, total)`` after each file is added.
        media_files: {an exported item's "media" path: a function that opens that video for
            reading in binary}: each is added at that path (stored, not deflated), where the
            item's ELAN file and clips.jsonl row point, and counted in the manifest; the
            datasheet says how many are included and how to attach the others.
        judgements: the judged cue pairs stored with the version ({"version", "pairs",
            "counts", "left_out"}, as annotate/review/judgements.py collects them): the pairs
            of exported clips go to ``judgements.jsonl``, each with its clip's split, and the
            datasheet counts them. None or empty: the version has none recorded (no file; the
            datasheet says so).

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
    media = _check_media(media_files or {}, by_split)
    files = _files(
        by_split,
        fields,
        frozen_at,
        media_included=len(media),
        judgements=check_judgements(judgements),
    )
    digests = {path: hashlib.sha256(data).hexdigest() for path, data in files.items()}
    digests.update({path: _media_digest(open_media) for path, open_media in media.items()})
    files[MANIFEST] = _manifest(digests)
    digests[MANIFEST] = hashlib.sha256(files[MANIFEST]).hexdigest()
    date_time = frozen_at.timetuple()[:6]
    written: list[tuple[str, int]] = []

    def write(stream: BinaryIO) -> None:
        _zip(stream, files, media, date_time, progress)
        written.append(_stream_digest(stream))

    if isinstance(out, (str, os.PathLike)):
        _write_atomically(Path(out), write)
    else:  # built in a seekable temporary file, so that the bytes are those a path gets
        with tempfile.TemporaryFile() as stream:
            write(stream)
            stream.seek(0)
            shutil.copyfileobj(stream, out, 1024 * 1024)
    counts = json.loads(files["datasheet.json"])["counts"]
    return {
        "sha256": written[0][0],
        "size_bytes": written[0][1],
        "files": {path: digests[path] for path in sorted(digests)},
        "counts": counts,
    }
