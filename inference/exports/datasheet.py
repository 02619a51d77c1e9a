"""The datasheet: what the export holds, where it came from and under what terms.

``datasheet.json`` carries the caller's fields (project, version, frozen_at, licence,
provenance, agreement, note, ...) and the computed ``counts``, ``label_distribution``,
``media`` (how many videos the zip holds), ``subtitles`` (where each clip's subtitle came
from; which were read from the picture) and ``formats``; ``datasheet.md`` says the same
for people, with how to attach the videos it lacks. An empty licence reads
"not stated", never blank.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

from inference.emocue360.cues import MODALITIES

from .clips import ExportClip
from .judgements import FILE as JUDGEMENTS_FILE
from .judgements import WHAT as JUDGEMENTS_WHAT

NO_LABEL = "(none)"  # as in inference.splits

FORMAT_FILES = {
    "emocue_json": (
        "<split>/emocue.json",
        "EmoCue cue file {name: {visual, auditory, "
        'emotional}} of plain strings; subtitle cues begin "Subtitle text: "',
    ),
    "emer_csv": (
        "<split>/emer.csv",
        "CSV name,english,openset,primary (EMER description, "
        "MER2024/2025 open-set labels as a Python-list string, primary emotion); "
        "cells made spreadsheet-safe: datasheet.md says how to undo it",
    ),
    "jsonl": (
        "<split>/clips.jsonl",
        "one JSON object per clip with timed cues and its subtitle (source, segments, the "
        "reading's confidence of a subtitle read from the picture), for "
        'datasets.load_dataset("json", ...)',
    ),
    "webvtt": (
        "<split>/vtt/<name>.vtt",
        'WebVTT of the timed cues, "[modality] text", and the subtitle, "[subtitle] text" '
        "(a NOTE says its source; read from the picture, each cue's identifier gives the "
        "reading's confidence); untimed cues in a NOTE",
    ),
    "elan": (
        "<split>/elan/<name>.eaf",
        "ELAN, one tier per modality (untimed cues on "
        '"<modality> (untimed)") and a "subtitle" tier whose ANNOTATOR says its source (read '
        'from the picture: a "subtitle confidence" tier beside it); media linked relative to '
        "the export root",
    ),
    "datasheet": ("datasheet.md, datasheet.json", "this datasheet"),
}


def _split_counts(clips: list[ExportClip]) -> dict:
    cues = Counter()
    timed = Counter()
    kinds = Counter()
    for clip in clips:
        for cue in clip.all_cues():
            cues[cue.modality] += 1
            timed[cue.modality] += cue.timed
            kinds[cue.kind] += 1
    primary = Counter(clip.primary_label or NO_LABEL for clip in clips)
    return {
        "clips": len(clips),
        "groups": len({clip.group_key or f"\0{clip.name}" for clip in clips}),
        "primary_labels": dict(sorted(primary.items())),
        "open_labels": dict(sorted(Counter(label for c in clips for label in c.labels).items())),
        "cues": {m: cues[m] for m in MODALITIES},
        "timed_cues": {m: timed[m] for m in MODALITIES},
        "cue_kinds": dict(sorted(kinds.items())),
        "with_media": sum(1 for clip in clips if clip.media),
        "with_description": sum(1 for clip in clips if clip.description.strip()),
    }


SUBTITLE_SOURCE_WORDS = {
    "ocr": "read from the picture (OCR of the burned-in text)",
    "file": "from a subtitle file",
    "manifest": "from the import manifest",
    "manual": "typed by a manager",
    "none": "no subtitle",
}


def _subtitles(clips: list[ExportClip]) -> dict:
    """Where the clips' subtitles came from: counts by source, and the clips whose subtitle was
    read from the picture (and which of those a manager corrected), by name."""
    recorded = [clip for clip in clips if clip.subtitle is not None]
    sources = Counter(clip.subtitle.source for clip in recorded)
    from_picture = sorted(clip.name for clip in recorded if clip.subtitle.from_picture)
    readers = {
        json.dumps(clip.subtitle.reader, sort_keys=True): clip.subtitle.reader
        for clip in recorded
        if clip.subtitle.reader
    }
    return {
        "sources": dict(sorted(sources.items())),
        # what read them (engine, models, rate, thresholds): each distinct one once
        "readers": [readers[key] for key in sorted(readers)],
        "not_recorded": len(clips) - len(recorded),
        "read_from_picture": from_picture,
        "read_from_picture_corrected": sorted(
            clip.name for clip in recorded if clip.subtitle.from_picture and clip.subtitle.corrected
        ),
    }


def datasheet_data(
    fields: Mapping[str, Any],
    by_split: Mapping[str, list[ExportClip]],
    *,
    media_included: int = 0,
    judgements: Mapping | None = None,
) -> dict:
    everything = [clip for clips in by_split.values() for clip in clips]
    total = _split_counts(everything)
    splits = {name: _split_counts(clips) for name, clips in by_split.items()}
    labels = sorted(total["primary_labels"])
    distribution = {
        label: {
            "clips": total["primary_labels"][label],
            "share": total["primary_labels"][label] / total["clips"],
            "by_split": {name: s["primary_labels"].get(label, 0) for name, s in splits.items()},
        }
        for label in labels
    }
    return {
        **fields,
        "counts": {"total": total, "splits": splits},
        "label_distribution": distribution,
        # clips whose video the zip holds at their media path (clips.jsonl's "media")
        "media": {"included": media_included},
        "subtitles": _subtitles(everything),
        # the judged cue pairs' counts; {"recorded": False} for a version frozen without them
        "judgements": dict(judgements) if judgements is not None else {"recorded": False},
        "formats": {
            key: {"files": files, "what": what}
            for key, (files, what) in {
                **FORMAT_FILES,
                **({"judgements": (JUDGEMENTS_FILE, JUDGEMENTS_WHAT)} if judgements else {}),
            }.items()
        },
    }


def datasheet_json(data: Mapping) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def _cell(value: Any) -> str:
    text = (
        value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    )
    return " ".join(text.split()).replace("|", "\\|")


def _fields_list(mapping: Mapping) -> list[str]:
    if not mapping:
        return ["Not recorded."]
    return [f"- **{_cell(key)}**: {_cell(mapping[key])}" for key in sorted(mapping)]


def _media_lines(data: Mapping) -> list[str]:
    total = data["counts"]["total"]
    with_media, included = total["with_media"], data["media"]["included"]
    if not with_media:
        return ["No clip names a video."]
    where = (
        "Each clip's video has a path relative to the folder that holds this datasheet: the "
        '"media" of its row in `clips.jsonl`, which its ELAN file links as '
        "RELATIVE_MEDIA_URL (`../../<media>` from `<split>/elan/`)."
    )
    if included == with_media:
        return [
            f"{where} All {with_media} videos are in the export at those paths: unzip it "
            "and the ELAN files open with their video."
        ]
    return [
        f"{where} {included} of the {with_media} videos are in the export. To open the ELAN "
        "files with their video, put each clip's video (its proxy, the video the app plays) "
        "at its path before opening them, or export again with the media included (tick "
        '"with media" on the export page, or `manage.py export_goldset ... --with-media`). In '
        "ELAN, Edit > Linked Files... also "
        "points a single file at a video kept elsewhere."
    ]


def _subtitle_lines(data: Mapping) -> list[str]:
    subtitles = data["subtitles"]
    total = data["counts"]["total"]["clips"]
    lines = [
        f"- {count} clip(s): {SUBTITLE_SOURCE_WORDS.get(source, _cell(source))}"
        for source, count in subtitles["sources"].items()
    ]
    if subtitles["not_recorded"]:
        lines.append(
            f"- {subtitles['not_recorded']} clip(s): not recorded (this version was frozen "
            "before subtitles were kept with a version)"
        )
    if not lines:
        return ["No clip."]
    picture = subtitles["read_from_picture"]
    if picture:
        corrected = subtitles["read_from_picture_corrected"]
        lines += [
            "",
            f"The subtitles of {len(picture)} of the {total} clips were read from the picture "
            "(OCR of the text burned into the video), not given as text: "
            + ", ".join(f"`{_cell(name)}`" for name in picture)
            + ". "
            + (
                f"A manager corrected {len(corrected)} of them: "
                + ", ".join(f"`{_cell(name)}`" for name in corrected)
                + ". "
                if corrected
                else "None was corrected by hand. "
            )
            + "Each segment's reading confidence (0 to 1; none where a manager changed its "
            'words) is in `clips.jsonl` ("subtitle"), in the identifiers of the WebVTT subtitle '
            'cues and on the ELAN tier "subtitle confidence".',
        ]
        for reader in subtitles["readers"]:
            lines.append(
                "Read by "
                + ", ".join(f"{_cell(key)} {_cell(reader[key])}" for key in sorted(reader))
                + "."
            )
    return lines


def _judgement_lines(summary: Mapping) -> list[str]:
    if summary.get("recorded") is False:
        return [
            "Not recorded: this version was frozen before judged cue pairs were kept with "
            "gold set versions."
        ]
    lines = [
        f"`{summary['file']}` holds {summary['pairs']} pair(s) of cue texts whose meaning "
        "people decided while making this gold (rules version "
        f"{_cell(summary.get('rules_version'))}), one JSON object a line:",
        "",
        "- **same**: two annotators' cues a reviewer settled into one gold cue, by accepting "
        "their alignment group (`accepted_together`) or merging groups (`merged`);",
        "- **close**: a proposed cue (`a`) and the text an annotator edited it into (`b`) "
        "(`edited`);",
        "- **different**: two annotators' cues a reviewer kept as separate gold cues of one "
        "clip and modality whose times overlap, an untimed cue counting as the whole clip "
        "(`kept_apart`).",
        "",
        "| modality | same | close | different |",
        "|---|---:|---:|---:|",
    ]
    for modality in MODALITIES:
        n = summary["by_modality"][modality]
        lines.append(f"| {modality} | {n['same']} | {n['close']} | {n['different']} |")
    splits = ", ".join(f"{_cell(k)} {v}" for k, v in summary["by_split"].items()) or "none"
    left = summary.get("left_out_of_version") or {}
    lines += [
        "",
        f"By split (of the pair's clip): {splits}. Left out of the whole version: "
        f"{left.get('identical_text', 0)} pair(s) of identical wording (similarity 1 by "
        f"construction), {left.get('decoys', 0)} with a decoy (known-wrong cues), and the "
        f"pairs of {left.get('auto_promoted_decisions', 0)} auto-promoted decision(s) (no "
        "reviewer judged those).",
        "",
        "Each row names its provenance: `project`, `clip`, `gold_set_version`, `gold_record` "
        "(id, version), `reviewer` (same, different) or `annotator` and `annotation` (close), "
        "and the ids of the `review_decisions`, `annotation_events` and `audit_events` behind "
        "it. `aligned_together` says whether the studio's alignment, which groups cues by the "
        "EmoCue-360 similarity at the project's threshold, had already put the two cues in one "
        "group before the reviewer decided: such pairs partly agree with that similarity by "
        "construction; merges across groups and edits do not. `manage.py metric_report "
        "--project SLUG --version N` reports how well EmoCue-360 separates them "
        "(docs/learning.md).",
    ]
    return lines


def datasheet_md(data: Mapping) -> bytes:
    counts = data["counts"]
    splits = counts["splits"]
    names = list(splits)
    lines = [
        f"# Datasheet: {_cell(data.get('project') or 'gold set')}, "
        f"version {_cell(data.get('version', ''))}",
        "",
        f"- **Frozen at**: {_cell(data.get('frozen_at') or 'not recorded')}",
        f"- **Licence**: {_cell(data['licence'])}",
        f"- **Clips**: {counts['total']['clips']} in {len(names)} split(s), "
        f"{counts['total']['groups']} speaker/source group(s); no group is in two splits",
    ]
    if data.get("note"):
        lines += ["", "## Note", "", str(data["note"]).strip()]
    lines += [
        "",
        "## Splits",
        "",
        "| split | clips | groups | visual cues | auditory cues | emotional cues | timed cues |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    # A single split is the whole set: a total beside it would only repeat it (and read
    # "all | all" when the split is named all).
    with_total = len(names) > 1
    total_name = "total" if "total" not in names else "total of all splits"
    for name in [*names, None] if with_total else names:
        s = splits[name] if name else counts["total"]
        lines.append(
            f"| {_cell(name) if name else f'**{total_name}**'} | {s['clips']} | {s['groups']} | "
            + " | ".join(str(s["cues"][m]) for m in MODALITIES)
            + f" | {sum(s['timed_cues'].values())} |"
        )
    lines += [
        "",
        "## Primary emotion by split",
        "",
        "| label | "
        + " | ".join(_cell(n) for n in names)
        + (f" | {total_name}" if with_total else "")
        + " | share |",
        "|---|" + "---:|" * (len(names) + 1 + with_total),
    ]
    for label, entry in data["label_distribution"].items():
        lines.append(
            f"| {_cell(label)} | "
            + " | ".join(str(entry["by_split"][n]) for n in names)
            + (f" | {entry['clips']}" if with_total else "")
            + f" | {entry['share']:.1%} |"
        )
    lines += ["", "## Inter-annotator agreement", "", *_fields_list(data.get("agreement") or {})]
    lines += ["", "## Judged cue pairs", "", *_judgement_lines(data["judgements"])]
    lines += ["", "## Provenance", "", *_fields_list(data.get("provenance") or {})]
    extra = {
        k: v
        for k, v in data.items()
        if k
        not in {
            "project",
            "version",
            "frozen_at",
            "licence",
            "note",
            "agreement",
            "provenance",
            "counts",
            "label_distribution",
            "formats",
            "media",
            "subtitles",
            "judgements",
        }
    }
    if extra:
        lines += ["", "## Other fields", "", *_fields_list(extra)]
    lines += ["", "## Files", "", "| format | files | what |", "|---|---|---|"]
    for key, entry in data["formats"].items():
        lines.append(f"| {key} | `{entry['files']}` | {_cell(entry['what'])} |")
    lines += [
        "",
        "`splits.json` lists the clips of each split; `MANIFEST.sha256` holds the "
        "sha256 of every other file (`sha256sum -c MANIFEST.sha256`).",
        "",
        "## Media",
        "",
        *_media_lines(data),
        "",
        "## Subtitles",
        "",
        *_subtitle_lines(data),
        "",
        "## Spreadsheet-safe CSV cells",
        "",
        "So that a spreadsheet never runs a cell of `emer.csv` as a formula (OWASP "
        '"CSV injection"), a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage '
        "return is written with one apostrophe (`'`) in front, and so is a cell that already "
        "begins with apostrophes followed by one of those characters. Plain numbers such as "
        "`-0.5` are written as they are. To get the exact text back, drop the first character "
        "of every cell that begins with an apostrophe and, after its leading apostrophes, "
        "with one of those characters (in Python: `inference.csv_cells.csv_cell_text`, or "
        '`cell[1:] if cell.startswith("\'") and cell.lstrip("\'")[:1] in '
        "('=', '+', '-', '@', '\\t', '\\r') else cell`). `emocue.json` and `clips.jsonl` hold "
        "the text unchanged.",
        "",
    ]
    return "\n".join(lines).encode("utf-8")
