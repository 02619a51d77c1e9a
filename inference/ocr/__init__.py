"""Subtitles burned into the picture, read offline (PP-OCRv4 through rapidocr-onnxruntime).

    from inference.ocr import OcrSegment, OcrError, read_subtitles
    segments = read_subtitles(Path("clip.mp4"))  # [OcrSegment(start_ms, end_ms, text, ...)]

or from the command line: ``python -m inference.ocr CLIP [--json] [--fps F]``.

The pipeline: :mod:`band` samples the bottom third of the frame about 4 times a second with
ffmpeg; :mod:`recognizer` detects text there and recognises new lines; :mod:`layout` keeps
the lines that are placed and sized like subtitles; :mod:`segments` drops static text and
merges consecutive similar readings into timed segments. docs/ocr.md explains the choices
and the limits. No Django here; nothing is downloaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from inference.ocr.errors import OcrError

if TYPE_CHECKING:
    from inference.ocr.reading import DEFAULT_FPS, ocr_settings, read_subtitles
    from inference.ocr.segments import OcrSegment

# The rest is imported on first use (PEP 562): OpenCV, RapidFuzz and the OCR's modules cost a
# process about 50 ms and OpenCV's memory, and the web process, which imports this package
# through annotate.clips, never reads a picture; the cpu worker does.
_LAZY = {
    "DEFAULT_FPS": "inference.ocr.reading",
    "ocr_settings": "inference.ocr.reading",
    "read_subtitles": "inference.ocr.reading",
    "OcrSegment": "inference.ocr.segments",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["DEFAULT_FPS", "OcrError", "OcrSegment", "ocr_settings", "read_subtitles"]
