"""From per-frame readings of the subtitle band to timed subtitle segments.

Pure Python (rapidfuzz for the edit distance); the video and the model are elsewhere, so
these rules are unit-tested on synthetic readings.

1. **Static text is dropped.** A line is followed from frame to frame (similar text, same
   row); a line that stays on screen longer than ``max_line_ms`` (10 s: subtitle standards
   keep a line up for at most about 7 s) is a caption, a sign or a logo that never changes,
   and is removed from every frame before merging.
2. **Consecutive similar readings merge.** Two readings are the same subtitle when their
   normalised Levenshtein similarity is at least ``similarity`` (0.8: one misread character
   in five); one frame without text, or with another text, inside a subtitle (a missed
   detection, a misreading) is bridged when the readings around it are nearly identical
   (0.9).
3. **Each segment keeps its most frequent reading** (ties: the more confident), the mean
   recogniser confidence over its frames, and boundaries halfway between the last frame
   without it and the first with it (and the same at the end), so that the boundary error is
   at most half the sampling interval.
4. **Unreadable text is dropped:** segments whose confidence is below ``min_confidence``, and
   readings with no letter, digit or CJK character.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from inference.ocr.layout import Box

__all__ = [
    "FrameReading",
    "LineReading",
    "OcrSegment",
    "merge_readings",
    "similar",
    "tidy_line",
]

SOURCE = "ocr"
SIMILARITY = 0.8
GAP_SIMILARITY = 0.9  # across a frame without the text: two short lines that differ in one
# character of five ("第1句", "第2句") are two subtitles with a gap, not one misread
MAX_GAP_FRAMES = 1
MAX_LINE_MS = 10_000
MIN_CONFIDENCE = 0.6

_WORD_CHAR = re.compile(r"[^\W_]")  # a letter or digit of any script, CJK included
_SPACES = re.compile(r"\s+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")  # Chinese characters
_LATIN = re.compile(r"[A-Za-z]")
# The recogniser has one character set for both scripts and sometimes reads a Chinese
# line's comma as an ASCII one, or an English full stop as "。".
_TO_ASCII = str.maketrans("，。！？：；（）“”‘’", ",.!?:;()\"\"''")
_TO_FULL_WIDTH = {",": "，", "!": "！", "?": "？", ":": "：", ";": "；"}
_ASCII_AFTER_CJK = re.compile(r"(?<=[\u3400-\u9fff])\s*([,!?:;])\s*")


@dataclass(frozen=True)
class OcrSegment:
    """A subtitle read from the picture.

    Attributes:
        start_ms: media time (ms from the first presented frame) it appears.
        end_ms: media time it disappears.
        text: its lines joined with ``"\\n"``, top to bottom.
        confidence: mean recogniser score (0-1) over the frames it was read in.
        lines: the same text, one string per line.
        source: always ``"ocr"``: read from the picture, not from a subtitle file.
    """

    start_ms: int
    end_ms: int
    text: str
    confidence: float
    lines: tuple[str, ...] = ()
    source: str = SOURCE

    def to_dict(self) -> dict:
        """The JSON form: start_ms, end_ms, text, confidence, source."""
        return {
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "text": self.text,
            "confidence": self.confidence,
            "source": self.source,
        }


@dataclass(frozen=True)
class LineReading:
    """One line of text the recogniser read in a frame."""

    text: str
    confidence: float
    box: Box  # in frame pixels


@dataclass(frozen=True)
class FrameReading:
    """What was read in the subtitle band of one sampled frame (no lines: no text)."""

    time_ms: int
    lines: tuple[LineReading, ...] = field(default=())

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def tidy_line(text: str) -> str:
    """One recognised line with its spaces collapsed and its punctuation in its own script.

    A line with Latin letters and no Chinese character gets ASCII punctuation; in a line
    with Chinese, ASCII punctuation after a Chinese character becomes full-width.

    Example:
        >>> tidy_line(" I waited  for you all evening。"), tidy_line("你好,世界!")
        ('I waited for you all evening.', '你好，世界！')
    """
    text = _SPACES.sub(" ", text).strip()
    if _LATIN.search(text) and not _CJK.search(text):
        return text.translate(_TO_ASCII)
    return _ASCII_AFTER_CJK.sub(lambda m: _TO_FULL_WIDTH[m.group(1)], text)


def _normal(text: str) -> str:
    return _SPACES.sub(" ", text).strip().casefold()


def similar(a: str, b: str, *, threshold: float = SIMILARITY) -> bool:
    """Whether two readings are the same subtitle (normalised Levenshtein similarity).

    Example:
        >>> similar("今天天气真好", "今天天气直好"), similar("好", "好的")
        (True, False)
    """
    return Levenshtein.normalized_similarity(_normal(a), _normal(b)) >= threshold


def _same_row(a: Box, b: Box) -> bool:
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    return overlap >= 0.5 * min(a[3] - a[1], b[3] - b[1])


def _drop_static_lines(
    readings: Sequence[FrameReading], *, max_line_ms: int, similarity: float, max_gap: int
) -> list[FrameReading]:
    """Remove the lines that stay on screen longer than ``max_line_ms``."""
    # track id of every (frame, line); a track continues a line of the last few frames with
    # a similar text in the same row.
    track_of: dict[tuple[int, int], int] = {}
    spans: list[list[int]] = []  # per track: first and last frame index
    last_line: dict[int, tuple[int, LineReading]] = {}  # track -> (frame index, line)
    for i, reading in enumerate(readings):
        taken: set[int] = set()
        for j, line in enumerate(reading.lines):
            match = None
            for track, (frame, previous) in last_line.items():
                if (
                    track not in taken
                    and i - frame <= max_gap + 1
                    and _same_row(previous.box, line.box)
                    and similar(previous.text, line.text, threshold=similarity)
                ):
                    match = track
                    break
            if match is None:
                match = len(spans)
                spans.append([i, i])
            spans[match][1] = i
            taken.add(match)
            last_line[match] = (i, line)
            track_of[(i, j)] = match
    interval = _interval(readings)
    static = {
        track
        for track, (first, last) in enumerate(spans)
        if readings[last].time_ms - readings[first].time_ms + interval > max_line_ms
    }
    if not static:
        return list(readings)
    return [
        FrameReading(
            reading.time_ms,
            tuple(line for j, line in enumerate(reading.lines) if track_of[(i, j)] not in static),
        )
        for i, reading in enumerate(readings)
    ]


def _interval(readings: Sequence[FrameReading]) -> int:
    if len(readings) < 2:
        return 0
    return round((readings[-1].time_ms - readings[0].time_ms) / (len(readings) - 1))


def _segment(readings: Sequence[FrameReading], run: list[int], duration_ms: int) -> OcrSegment:
    first, last = run[0], run[-1]
    start = 0 if first == 0 else (readings[first - 1].time_ms + readings[first].time_ms) // 2
    if last == len(readings) - 1:
        end = max(duration_ms, readings[last].time_ms + 1)
    else:
        end = (readings[last].time_ms + readings[last + 1].time_ms) // 2
    counts = Counter(readings[i].text for i in run)
    scores: dict[str, list[float]] = {}
    for i in run:
        scores.setdefault(readings[i].text, []).extend(x.confidence for x in readings[i].lines)
    text = max(counts, key=lambda t: (counts[t], sum(scores[t]) / len(scores[t])))
    lines = next(readings[i].lines for i in run if readings[i].text == text)
    frame_scores = [
        sum(line.confidence for line in readings[i].lines) / len(readings[i].lines) for i in run
    ]
    return OcrSegment(
        start_ms=start,
        end_ms=max(end, start + 1),
        text=text,
        confidence=round(sum(frame_scores) / len(frame_scores), 3),
        lines=tuple(line.text for line in lines),
    )


def merge_readings(
    readings: Sequence[FrameReading],
    *,
    duration_ms: int,
    similarity: float = SIMILARITY,
    max_gap: int = MAX_GAP_FRAMES,
    max_line_ms: int = MAX_LINE_MS,
    min_confidence: float = MIN_CONFIDENCE,
) -> list[OcrSegment]:
    """Turn the readings of frames sampled at a steady rate into subtitle segments.

    Args:
        readings: one per sampled frame, in time order, frames without text included
            (their times give the boundaries).
        duration_ms: the clip's duration; a subtitle still up in the last frame ends there.
        similarity: readings at least this similar (0-1) are the same subtitle.
        max_gap: frames without text, or with another text, bridged inside one subtitle.
        max_line_ms: a line on screen longer than this is static text, not a subtitle.
        min_confidence: segments read with a lower mean recogniser score are dropped.

    Returns:
        The segments in time order.

    Example:
        >>> box = (200, 300, 440, 330)
        >>> hello = (LineReading("Hello there", 0.98, box),)
        >>> merge_readings(
        ...     [FrameReading(0), FrameReading(250, hello), FrameReading(500, hello),
        ...      FrameReading(750)],
        ...     duration_ms=1000,
        ... )
        [OcrSegment(start_ms=125, end_ms=625, text='Hello there', confidence=0.98, lines=('Hello there',), source='ocr')]
    """  # noqa: E501
    if duration_ms < 0:
        raise ValueError(f"duration_ms must not be negative, got {duration_ms}")
    if not 0 < similarity <= 1:
        raise ValueError(f"similarity must be in (0, 1], got {similarity}")
    if any(b.time_ms < a.time_ms for a, b in zip(readings, readings[1:], strict=False)):
        raise ValueError("readings must be in time order")
    readings = _drop_static_lines(
        readings, max_line_ms=max_line_ms, similarity=similarity, max_gap=max_gap
    )
    segments: list[OcrSegment] = []
    run: list[int] = []  # frame indices of the subtitle being followed

    def continues(i: int) -> bool:
        gap = i - run[-1] - 1
        threshold = similarity if gap == 0 else max(similarity, GAP_SIMILARITY)
        return gap <= max_gap and similar(
            readings[run[-1]].text, readings[i].text, threshold=threshold
        )

    for i, reading in enumerate(readings):
        if not reading.text:
            continue
        if run and continues(i):
            run.append(i)
            continue
        ahead = range(i + 1, min(i + 1 + max_gap, len(readings)))
        if run and i - run[-1] == 1 and any(readings[k].text and continues(k) for k in ahead):
            continue  # one misread frame inside a subtitle
        if run:
            segments.append(_segment(readings, run, duration_ms))
        run = [i]
    if run:
        segments.append(_segment(readings, run, duration_ms))
    return [
        segment
        for segment in segments
        if segment.confidence >= min_confidence and _WORD_CHAR.search(segment.text)
    ]
