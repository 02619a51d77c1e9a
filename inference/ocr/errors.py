"""The one error of the OCR package."""

from __future__ import annotations


class OcrError(ValueError):
    """A video cannot be read for burned-in subtitles.

    The message names the file and the problem (missing, not a video, damaged, ffmpeg
    failed) in words a person can act on.
    """
