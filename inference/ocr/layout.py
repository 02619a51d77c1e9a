"""Where a subtitle can be in a frame: the band that is read, and which text boxes in it are
subtitle lines (by size and position) rather than logos, signs or captions.

Pure geometry on boxes ``(x0, y0, x1, y1)`` in frame pixels (x to the right, y down); no
model and no video here, so the rules are unit-tested on synthetic boxes.

Why these numbers:

- **Band: the bottom third of the frame.** Dialogue subtitles of TV and film (the MER and
  EMER clips) sit in the bottom title-safe area, at most two lines (a Chinese line over an
  English one in bilingual releases); at 1080p two such lines with their margin take up
  15-25 % of the height, and the subtitles of letterboxed films sit in the bottom black bar.
  A third leaves room for a raised subtitle while keeping most of the picture (faces,
  signs, the top corners where channel logos sit) out of the detector's input.
- **Line height: 2.2 % to 15 % of the frame height.** The detector's boxes are about 1.2
  times the glyph height. Subtitles are set at 4-7 % of the height (26 px in a 360 p
  frame); smaller text is fine print or distant signage that nobody reads as dialogue, and
  bigger is a title card.
- **Centred: the line's centre within 12 % of the width from the middle.** Subtitles are
  centred (a detector that drops the first or last glyph moves the centre by about one
  glyph, 2-4 % of the width); corner logos, bugs and side captions are far from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "BAND_TOP",
    "Box",
    "band_rows",
    "group_lines",
    "is_subtitle_line",
    "subtitle_lines",
]

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in frame pixels

BAND_TOP = 2 / 3  # the band starts this far down the frame (see the module docstring)
MIN_LINE_HEIGHT = 0.022  # of the frame height
MAX_LINE_HEIGHT = 0.15
MAX_CENTRE_OFFSET = 0.12  # of the frame width
ROW_OVERLAP = 0.5  # boxes share a row when they overlap vertically by half the smaller height
SAME_SIZE = 0.75  # boxes of one line: the smaller at least this fraction of the taller,
SAME_MIDDLE = 0.3  # and their vertical middles less than this fraction of it apart
WORD_GAP = 1.0  # boxes of one row further apart than this many row heights are separate texts


def band_rows(height: int, *, top: float = BAND_TOP) -> tuple[int, int]:
    """First row and height of the subtitle band of a frame ``height`` pixels high.

    Both are even, so that the crop falls on whole chroma samples of a 4:2:0 video.

    Example:
        >>> band_rows(360)
        (240, 120)
    """
    if height < 2:
        raise ValueError(f"frame height must be at least 2 pixels, got {height}")
    first = min(int(height * top) // 2 * 2, height - 2)
    return first, (height - first) // 2 * 2


def _vertical_overlap(a: Box, b: Box) -> float:
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    smaller = min(a[3] - a[1], b[3] - b[1])
    return overlap / smaller if smaller > 0 else 0.0


def _union(boxes: Iterable[Box]) -> Box:
    boxes = list(boxes)
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def group_lines(boxes: Sequence[Box]) -> list[Box]:
    """Join the detector's boxes into text lines, top to bottom.

    Boxes whose vertical extents overlap by half the smaller height share a row; within a
    row, boxes of about the same height and middle less than ``WORD_GAP`` row heights apart
    are one line (the detector splits a subtitle at wide spaces and full-width punctuation);
    further apart, or of another size or baseline, they are separate texts (a subtitle and
    a logo beside it).
    """
    rows: list[list[Box]] = []
    for box in sorted(boxes, key=lambda b: (b[1] + b[3]) / 2):
        for row in rows:
            if _vertical_overlap(_union(row), box) >= ROW_OVERLAP:
                row.append(box)
                break
        else:
            rows.append([box])
    lines: list[Box] = []
    for row in rows:
        row.sort(key=lambda b: b[0])
        current = [row[0]]
        for box in row[1:]:
            span = _union(current)
            span_height, height = span[3] - span[1], box[3] - box[1]
            if box[0] - span[2] > WORD_GAP * span_height or min(
                span_height, height
            ) < SAME_SIZE * max(span_height, height):
                lines.append(span)
                current = [box]
            else:
                current.append(box)
        lines.append(_union(current))
    lines.sort(key=lambda b: (b[1], b[0]))
    return lines


def is_subtitle_line(box: Box, *, frame_width: int, frame_height: int) -> bool:
    """Whether a text line of this size and position can be a subtitle (module docstring)."""
    height = box[3] - box[1]
    if not MIN_LINE_HEIGHT * frame_height <= height <= MAX_LINE_HEIGHT * frame_height:
        return False
    centre = (box[0] + box[2]) / 2
    return abs(centre - frame_width / 2) <= MAX_CENTRE_OFFSET * frame_width


def subtitle_lines(boxes: Sequence[Box], *, frame_width: int, frame_height: int) -> list[Box]:
    """The lines among the detector's ``boxes`` that can be subtitles, top to bottom.

    Example:
        >>> subtitle_lines(
        ...     [(137, 307, 300, 338), (310, 308, 503, 338), (560, 300, 630, 325)],
        ...     frame_width=640,
        ...     frame_height=360,
        ... )
        [(137, 307, 503, 338)]
    """
    return [
        line
        for line in group_lines(boxes)
        if is_subtitle_line(line, frame_width=frame_width, frame_height=frame_height)
    ]
