"""Print the subtitle burned into a clip's picture.

    python -m inference.ocr CLIP [--json] [--fps F]

One segment a line (start and end in ms of media time, confidence, text with its lines
joined by " / "), or with ``--json`` a JSON list of objects with start_ms, end_ms, text,
confidence and source ("ocr"). A missing or unreadable clip exits with status 2 and one line
on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from inference.ocr import DEFAULT_FPS, OcrError, read_subtitles


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m inference.ocr",
        description="Read the subtitle burned into a video's picture (offline OCR).",
    )
    parser.add_argument("clip", type=Path, help="the video file")
    parser.add_argument("--json", action="store_true", help="print a JSON list of segments")
    parser.add_argument(
        "--fps",
        type=float,
        default=DEFAULT_FPS,
        help=f"frames sampled a second (default {DEFAULT_FPS:g})",
    )
    args = parser.parse_args(argv)
    if not args.fps > 0:
        parser.error(f"--fps must be a positive number, got {args.fps:g}")
    try:
        segments = read_subtitles(args.clip, fps=args.fps)
    except OcrError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([s.to_dict() for s in segments], indent=2, ensure_ascii=False))
        return 0
    if not segments:
        print(f"no subtitle found in the picture of {args.clip.name}")
        return 0
    print(f"{'start_ms':>8} {'end_ms':>8} {'conf':>5}  text")
    for s in segments:
        print(f"{s.start_ms:>8} {s.end_ms:>8} {s.confidence:5.3f}  {' / '.join(s.lines)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
