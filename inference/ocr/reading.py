"""Read the burned-in subtitle of a video: sample the band, detect, recognise, merge.

Work is skipped wherever the picture says nothing new:

- a band that did not change since the previous sample (a still shot) is not looked at
  again: its reading is the previous one;
- a line found again where it was in the previous sample (the same subtitle) keeps that
  line's reading; only new lines are recognised, queued across frames and handed to the
  recogniser ``RECOGNITION_BATCH`` at a time (one on a CPU: see :mod:`recognizer`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import cv2
import numpy as np

from inference.media import MediaError, probe
from inference.ocr.band import BandGeometry, band_geometry, sample_band, sampling_step
from inference.ocr.errors import OcrError
from inference.ocr.layout import BAND_TOP, Box, subtitle_lines
from inference.ocr.recognizer import DETECTION_WIDTH, MODELS, Recognizer, recognizer
from inference.ocr.segments import (
    MAX_LINE_MS,
    MIN_CONFIDENCE,
    SIMILARITY,
    FrameReading,
    LineReading,
    OcrSegment,
    merge_readings,
    tidy_line,
)

__all__ = ["DEFAULT_FPS", "ocr_settings", "read_subtitles"]

# A subtitle line stays up for at least about 1 s (subtitle standards: 5/6 s minimum, MER
# clips hold each line 1-5 s), so 4 samples a second see every line 4+ times and put each
# boundary within one 250 ms interval; :mod:`segments` halves that to 125 ms by placing it
# between the two samples around it.
DEFAULT_FPS = 4.0
STILL_BAND = 2.0  # mean absolute difference (0-255) of two 1/4-size grey bands: no change
# The same subtitle as in the previous sample: the old line image is found again within
# SEARCH_PX pixels with a normalised correlation of at least SAME_LINE (a one-character
# change in a 14-character line measured 0.89; the same line over a moving picture
# 0.88-0.99, so a moving picture is often recognised again: correct, only slower), in a
# box that overlaps the old one by SAME_BOX (IoU) and is about as wide (SAME_WIDTH).
SAME_LINE = 0.97
SEARCH_PX = 4
SAME_BOX = 0.5
SAME_WIDTH = 0.9
# Over a moving picture the same line correlates less. A line in a steady box (STEADY_BOX
# of its height) that still correlates at LIKELY_SAME_LINE keeps its reading for one
# sample only, then is recognised again: recognition runs at most at half the sampling
# rate there, and a change that keeps the box (one character) is seen one sample late.
LIKELY_SAME_LINE = 0.9
STEADY_BOX = 0.25
CROP_PAD = 0.25  # line height added left and right of a line before recognition
MIN_LINE_SCORE = 0.5  # recogniser score below which a line is taken as no text
PENDING_LINES = 32  # recognise the queued new lines when this many wait


@dataclass
class _Line:
    box: Box  # frame pixels
    band_box: tuple[int, int, int, int]  # band pixels
    grey: np.ndarray  # the line image in grey, for comparing with the next sample
    slot: int  # index of its text in the recognised results
    recognised_now: bool  # its text was recognised in this sample, not carried over


def _grey(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def _iou(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union


def _match(grey: np.ndarray, old: _Line, box: Box) -> float:
    """How well the line image of the previous sample is found again in ``grey``, where it
    was (give or take a few pixels of detector jitter): the best normalised correlation,
    0 when the new box is elsewhere or of another width."""
    if _iou(old.box, box) < SAME_BOX:
        return 0.0
    old_width, new_width = old.box[2] - old.box[0], box[2] - box[0]
    if not SAME_WIDTH <= new_width / old_width <= 1 / SAME_WIDTH:
        return 0.0
    template = old.grey
    if template.size == 0 or float(template.std()) < 1.0:
        return 0.0
    x0, y0, x1, y1 = old.band_box
    height, width = grey.shape
    region = grey[
        max(0, y0 - SEARCH_PX) : min(height, y1 + SEARCH_PX),
        max(0, x0 - SEARCH_PX) : min(width, x1 + SEARCH_PX),
    ]
    if region.shape[0] < template.shape[0] or region.shape[1] < template.shape[1]:
        return 0.0
    return float(cv2.matchTemplate(region, template, cv2.TM_CCOEFF_NORMED).max())


def _steady(old: Box, new: Box) -> bool:
    """The box did not move or resize by more than a quarter of the line height."""
    limit = STEADY_BOX * (old[3] - old[1])
    return all(abs(a - b) <= limit for a, b in zip(old, new, strict=True))


class _Reader:
    def __init__(self, ocr: Recognizer, geometry: BandGeometry):
        self.ocr = ocr
        self.geometry = geometry
        self.crops: list[np.ndarray] = []  # line images waiting for recognition
        self.results: list[tuple[str, float]] = []
        self.previous_small: np.ndarray | None = None
        self.previous: list[_Line] = []

    def lines(self, band: np.ndarray) -> list[_Line]:
        grey = _grey(band)
        small = cv2.resize(
            grey,
            (max(1, grey.shape[1] // 4), max(1, grey.shape[0] // 4)),
            interpolation=cv2.INTER_AREA,
        )
        still = (
            self.previous_small is not None
            and float(np.mean(cv2.absdiff(small, self.previous_small))) < STILL_BAND
        )
        self.previous_small = small
        if still:
            return self.previous
        geometry = self.geometry
        detected = {geometry.to_frame(box): box for box in self.ocr.detect(band)}
        kept = subtitle_lines(
            list(detected),
            frame_width=geometry.frame_width,
            frame_height=geometry.frame_height,
        )
        lines = []
        height, width = grey.shape
        for box in kept:
            # the band box of the line: the union of its detected boxes, in band pixels
            parts = [b for frame_box, b in detected.items() if _inside(frame_box, box)]
            top, bottom = min(b[1] for b in parts), max(b[3] for b in parts)
            pad = CROP_PAD * (bottom - top)  # the detector's box can shave the last glyph
            x0 = max(0, math.floor(min(b[0] for b in parts) - pad))
            y0 = max(0, math.floor(top))
            x1 = min(width, math.ceil(max(b[2] for b in parts) + pad))
            y1 = min(height, math.ceil(bottom))
            line_grey = grey[y0:y1, x0:x1]
            slot, recognised_now = None, True
            for old in self.previous:
                score = _match(grey, old, box)
                if score >= SAME_LINE or (
                    score >= LIKELY_SAME_LINE and old.recognised_now and _steady(old.box, box)
                ):
                    slot, recognised_now = old.slot, False
                    break
            if slot is None:
                slot = len(self.results) + len(self.crops)
                self.crops.append(band[y0:y1, x0:x1])
            lines.append(_Line(box, (x0, y0, x1, y1), line_grey, slot, recognised_now))
        self.previous = lines
        return lines

    def flush(self) -> None:
        self.results.extend(self.ocr.recognize(self.crops))
        self.crops = []


def _inside(inner: Box, outer: Box) -> bool:
    return (
        inner[0] >= outer[0]
        and inner[1] >= outer[1]
        and inner[2] <= outer[2]
        and inner[3] <= outer[3]
    )


def ocr_settings(*, fps: float = DEFAULT_FPS) -> dict:
    """What reads the subtitles, to store beside a reading: the engine and its models, the
    sampling rate and the rules' thresholds (a change in any may change the result).

    Example:
        >>> ocr_settings()["models"]
        ['ch_PP-OCRv4_det_infer', 'ch_PP-OCRv4_rec_infer']
    """
    return {
        "engine": f"rapidocr-onnxruntime {version('rapidocr-onnxruntime')}",
        "onnxruntime": version("onnxruntime"),
        "models": list(MODELS),
        "fps": fps,
        "band_top": round(BAND_TOP, 4),
        "detection_width": DETECTION_WIDTH,
        "similarity": SIMILARITY,
        "max_line_ms": MAX_LINE_MS,
        "min_confidence": MIN_CONFIDENCE,
    }


def read_subtitles(
    video: Path,
    *,
    fps: float = DEFAULT_FPS,
    progress: Callable[[float], None] | None = None,
) -> list[OcrSegment]:
    """Read the subtitle burned into a video's picture as timed segments.

    Args:
        video: the clip (any container and codec ffmpeg decodes).
        fps: frames sampled a second (about; the step is a whole number of frames, so that
            the rate is at least this). 4 puts every boundary within 125 ms.
        progress: called with the fraction done (0-1) as frames are read.

    Returns:
        The subtitle segments in time order, times in ms of media time; empty when the
        picture holds no subtitle.

    Raises:
        OcrError: the file is missing or is not a video ffmpeg can decode.

    Example:
        >>> for s in read_subtitles(Path("sample_00000007.mp4")):  # doctest: +SKIP
        ...     print(s.start_ms, s.end_ms, s.text, s.confidence)
        480 2520 今天天气真好 0.993
    """
    video = Path(video)
    if not video.exists():
        raise OcrError(f"{video}: no such file.")
    if not video.is_file():
        raise OcrError(f"{video}: not a file.")
    if not math.isfinite(fps) or fps <= 0:
        raise ValueError(f"fps must be a positive number, got {fps}")
    try:
        info = probe(video)
    except MediaError as exc:
        raise OcrError(exc.message) from None
    geometry = band_geometry(info)
    expected = max(1, math.ceil(info.frame_count / sampling_step(info, fps)))
    reader = _Reader(recognizer(), geometry)
    frames: list[tuple[int, list[tuple[Box, int]]]] = []  # time, (box, slot) of each line
    for n, frame in enumerate(sample_band(video, info, fps=fps, geometry=geometry), start=1):
        lines = reader.lines(frame.pixels)
        frames.append((frame.time_ms, [(line.box, line.slot) for line in lines]))
        if len(reader.crops) >= PENDING_LINES:
            reader.flush()
        if progress is not None:
            progress(min(n / expected, 1.0) * 0.99)
    reader.flush()
    readings = []
    for time_ms, found in frames:
        read = []
        for box, slot in found:
            text, score = reader.results[slot]
            text = tidy_line(text)
            if text and score >= MIN_LINE_SCORE:
                read.append(LineReading(text, score, box))
        readings.append(FrameReading(time_ms, tuple(read)))
    segments = merge_readings(readings, duration_ms=info.duration_ms)
    if progress is not None:
        progress(1.0)
    return segments
