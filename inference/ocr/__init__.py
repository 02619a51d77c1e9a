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

from inference.ocr.errors import OcrError
from inference.ocr.reading import DEFAULT_FPS, ocr_settings, read_subtitles
from inference.ocr.segments import OcrSegment

__all__ = ["DEFAULT_FPS", "OcrError", "OcrSegment", "ocr_settings", "read_subtitles"]
