"""Propose cues for one clip from the command line, with no web app involved.

    python -m inference.propose CLIP [--subtitle TEXT_OR_FILE | --no-ocr]
        [--proposer signals] [--chinese-lexicon FILE] [--json]

The clip is probed and derived (16 kHz WAV, frames) into a temporary folder with
:mod:`inference.media`; ``--subtitle`` takes an SRT/VTT/plain-text file or literal text.
Without it the subtitle burned into the picture is read (:mod:`inference.ocr`), unless
``--no-ocr`` is given. The first line says which subtitle was used ("Subtitle: read from the
picture (OCR, 3 segments, mean confidence 0.96)"); JSON output carries it as ``subtitle``
(``source``: file | text | ocr | none, ``description``, ``segments``, ``text``).
Prints the description and a cue table, or JSON (``description``, ``cues`` with modality,
text, start_ms, end_ms, confidence, evidence, kind; ``proposer``, ``version``,
``emotions``, ``notes``, ``timings``, ``subtitle``). Bad input exits with status 2 and one
line on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
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


@dataclass(frozen=True)
class SubtitleSource:
    """Where the clip's subtitle came from, as the CLI reports it.

    Attributes:
        source: "file", "text" (literal text given with --subtitle), "ocr" (read from the
            picture) or "none".
        description: the words after "Subtitle: " ("read from the picture (OCR, 2 segments,
            mean confidence 0.97)").
        segments: timed segments (0 for plain text or none).
        text: the subtitle as the proposer reads it.
    """

    source: str
    description: str
    segments: int = 0
    text: str = ""


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _subtitle(arg: str) -> tuple[str, tuple[SubtitleSegment, ...], SubtitleSource]:
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
        how = _plural(len(subs.segments), "segment") if subs.segments else "plain text"
        source = SubtitleSource("file", f"from the file {path.name} ({how})", len(subs.segments))
    else:
        subs = parse_subtitles(arg)
        source = SubtitleSource("text", "the text given with --subtitle")
    segments = tuple(SubtitleSegment(s.start_ms, s.end_ms, s.text) for s in subs.segments)
    return subs.text, segments, source


def _subtitle_from_picture(
    video: Path,
) -> tuple[str, tuple[SubtitleSegment, ...], SubtitleSource]:
    # imported here: onnxruntime and the OCR models load only when the picture is read
    from inference.ocr import OcrError, read_subtitles

    try:
        read = read_subtitles(video)
    except OcrError as exc:
        raise InputError(
            f"reading the subtitle from the picture failed: {exc} "
            "(give the subtitle with --subtitle, or --no-ocr to go on without one)"
        ) from None
    read = [seg for seg in read if seg.text.strip()]
    if not read:
        return "", (), SubtitleSource("none", "none: no subtitle was found in the picture (OCR)")
    segments = tuple(SubtitleSegment(seg.start_ms, seg.end_ms, seg.text) for seg in read)
    confidence = sum(seg.confidence for seg in read) / len(read)
    description = (
        f"read from the picture (OCR, {_plural(len(read), 'segment')}, "
        f"mean confidence {confidence:.2f})"
    )
    return (
        " ".join(seg.text for seg in read),
        segments,
        SubtitleSource("ocr", description, len(read)),
    )


def build_clip(
    video: Path, work: Path, *, subtitle: str | None = None, ocr: bool = True
) -> tuple[ClipInput, SubtitleSource]:
    """Probe and derive ``video`` into ``work`` and describe it as a :class:`ClipInput`.

    Args:
        video: the clip.
        work: a folder for the derived media.
        subtitle: an SRT/VTT/plain-text file or literal text; None or "" reads the subtitle
            burned into the picture when ``ocr`` is true.
        ocr: whether to read the picture when no subtitle is given.
    Returns:
        The clip, and where its subtitle came from.
    Raises:
        InputError: the clip or subtitle cannot be used, or reading the picture failed.
    """
    if not video.is_file():
        raise InputError(f"clip not found: {video}")
    try:
        info = probe(video)
        derived = derive(video, work / "media", info=info)
    except MediaError as exc:
        raise InputError(exc.message) from None
    if subtitle:
        text, segments, source = _subtitle(subtitle)
    elif ocr:
        text, segments, source = _subtitle_from_picture(video)
    else:
        text, segments, source = "", (), SubtitleSource("none", "none (--no-ocr)")
    source = SubtitleSource(source.source, source.description, source.segments, text)
    media = work / "media"
    clip = ClipInput(
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
    return clip, source


def _ms(value: int | None) -> str:
    return "   -  " if value is None else f"{value / 1000:6.2f}"


def _table(payload: dict) -> str:
    lines = [f"Subtitle: {payload['subtitle']['description']}", "", payload["description"], ""]
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
    parser.add_argument(
        "--subtitle",
        help="subtitle file (SRT, VTT, plain text) or literal text; without it the subtitle "
        "burned into the picture is read",
    )
    parser.add_argument(
        "--no-ocr",
        action="store_true",
        help="without --subtitle, do not read the picture: the clip has no subtitle",
    )
    parser.add_argument(
        "--proposer", default="signals", help=f"one of: {', '.join(proposer_names())}"
    )
    parser.add_argument(
        "--chinese-lexicon",
        metavar="FILE",
        help="the signal proposer's Chinese emotion lexicon: DUTIR's affective lexicon "
        "ontology (xlsx or CSV) or a word/emotions/valence list (default: the built-in one)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    options = {}
    if args.chinese_lexicon:
        if args.proposer != "signals":
            print("error: --chinese-lexicon is read by the signal proposer only", file=sys.stderr)
            return 2
        options["text"] = {"chinese_lexicon": args.chinese_lexicon}
    try:
        proposer = get_proposer(args.proposer, **options)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="propose-") as tmp:
        try:
            clip, source = build_clip(
                args.clip, Path(tmp), subtitle=args.subtitle, ocr=not args.no_ocr
            )
            proposal = proposer.propose(clip)
        except (InputError, ProposalError, SubtitleError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    payload = proposal.to_json()
    payload["subtitle"] = asdict(source)
    if args.json:
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        print(_table(payload))
    return 0


if __name__ == "__main__":
    sys.exit(main())
