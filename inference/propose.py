"""Propose cues for one clip from the command line, with no web app involved.

    python -m inference.propose CLIP [--subtitle TEXT_OR_FILE] [--proposer signals] [--json]

The clip is probed and derived (16 kHz WAV, frames) into a temporary folder with
:mod:`inference.media`; ``--subtitle`` takes an SRT/VTT/plain-text file or literal text.
Prints the description and a cue table, or JSON (``description``, ``cues`` with modality,
text, start_ms, end_ms, confidence, evidence, kind; ``proposer``, ``version``,
``emotions``, ``notes``, ``timings``). Bad input exits with status 2 and one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from inference.media import MediaError, derive, probe
from inference.proposers import (
    ClipInput,
    ProposalError,
    SubtitleSegment,
    get_proposer,
    proposer_names,
)
from inference.subtitles import SubtitleError, parse_subtitles


class InputError(ValueError):
    """Bad command-line input; the message is shown as it is."""


def _subtitle(arg: str | None) -> tuple[str, tuple[SubtitleSegment, ...]]:
    if not arg:
        return "", ()
    path = Path(arg)
    looks_like_file = (
        len(arg) < 4096 and "\n" not in arg and path.suffix.lower() in {".srt", ".vtt", ".txt"}
    )
    if looks_like_file and not path.is_file():
        raise InputError(f"subtitle file not found: {arg}")
    if len(arg) < 4096 and "\n" not in arg and path.is_file():
        try:
            subs = parse_subtitles(path.read_bytes(), filename=path.name)
        except SubtitleError as exc:
            raise InputError(str(exc)) from None
    else:
        subs = parse_subtitles(arg)
    return subs.text, tuple(SubtitleSegment(s.start_ms, s.end_ms, s.text) for s in subs.segments)


def build_clip(video: Path, work: Path, *, subtitle: str | None = None) -> ClipInput:
    """Probe and derive ``video`` into ``work`` and describe it as a :class:`ClipInput`.

    Raises:
        InputError: the clip or subtitle cannot be used.
    """
    if not video.is_file():
        raise InputError(f"clip not found: {video}")
    try:
        info = probe(video)
        derived = derive(video, work / "media", info=info)
    except MediaError as exc:
        raise InputError(exc.message) from None
    text, segments = _subtitle(subtitle)
    media = work / "media"
    return ClipInput(
        name=video.stem,
        video=video,
        audio=media / derived.audio if derived.audio else None,
        duration_ms=info.duration_ms,
        fps_num=info.fps_num,
        fps_den=info.fps_den,
        subtitle_text=text,
        subtitle_segments=segments,
        frames=tuple((f.time_ms, media / f.file) for f in derived.frames),
    )


def _ms(value: int | None) -> str:
    return "   -  " if value is None else f"{value / 1000:6.2f}"


def _table(payload: dict) -> str:
    lines = [payload["description"], ""]
    if payload["emotions"]:
        lines.append(
            "Emotions: " + ", ".join(f"{e['label']} {e['score']:.2f}" for e in payload["emotions"])
        )
        lines.append("")
    lines.append(f"{'modality':<10} {'kind':<12} {'start':>6} {'end':>6} {'conf':>4}  text")
    for cue in payload["cues"]:
        lines.append(
            f"{cue['modality']:<10} {cue['kind']:<12} {_ms(cue['start_ms'])} "
            f"{_ms(cue['end_ms'])} {cue['confidence']:4.2f}  {cue['text']}"
        )
    if payload["notes"]:
        lines.append("")
        lines.extend(f"note: {note}" for note in payload["notes"])
    lines.append("")
    lines.append(f"{payload['proposer']} {payload['version']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m inference.propose",
        description="Propose an EMER-style description and time-anchored cues for one clip.",
    )
    parser.add_argument("clip", type=Path, help="the video file")
    parser.add_argument("--subtitle", help="subtitle file (SRT, VTT, plain text) or literal text")
    parser.add_argument(
        "--proposer", default="signals", help=f"one of: {', '.join(proposer_names())}"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    try:
        proposer = get_proposer(args.proposer)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="propose-") as tmp:
        try:
            clip = build_clip(args.clip, Path(tmp), subtitle=args.subtitle)
            proposal = proposer.propose(clip)
        except (InputError, ProposalError, SubtitleError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    payload = proposal.to_json()
    if args.json:
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        print(_table(payload))
    return 0


if __name__ == "__main__":
    sys.exit(main())
