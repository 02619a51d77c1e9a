"""inference.ocr.layout: which detected boxes are subtitle lines (synthetic boxes)."""

from __future__ import annotations

import pytest

from inference.ocr.layout import band_rows, group_lines, is_subtitle_line, subtitle_lines

W, H = 640, 360


def test_band_is_the_bottom_third_in_even_rows():
    assert band_rows(360) == (240, 120)
    assert band_rows(1080) == (720, 360)
    top, height = band_rows(721)
    assert top % 2 == 0 and height % 2 == 0 and top + height <= 721 and top >= 721 * 2 / 3 - 2
    with pytest.raises(ValueError, match="at least 2"):
        band_rows(1)


def test_pieces_of_one_line_join_and_rows_stay_apart():
    boxes = [
        (137, 307, 300, 338),  # first half of a Chinese line
        (310, 308, 503, 338),  # second half after a full-width comma
        (215, 270, 409, 302),  # the line above it (bilingual subtitle)
    ]
    assert group_lines(boxes) == [(215, 270, 409, 302), (137, 307, 503, 338)]


def test_a_logo_beside_a_line_is_not_joined_to_it():
    line, logo = (142, 306, 487, 344), (506, 325, 632, 353)  # smaller, lower, close by
    assert group_lines([line, logo]) == [line, logo]
    far = (560, 307, 630, 338)  # same size and row, but more than a line height away
    assert group_lines([line, far]) == [line, far]


@pytest.mark.parametrize(
    ("box", "expected", "why"),
    [
        ((200, 300, 440, 330), True, "centred, 30 px high"),
        ((260, 300, 380, 330), True, "a short centred line"),
        ((520, 300, 630, 330), False, "bottom-right corner (logo)"),
        ((5, 300, 120, 330), False, "bottom-left corner"),
        ((250, 300, 390, 306), False, "6 px high: fine print"),
        ((100, 250, 540, 320), False, "70 px high: a title card"),
        ((240, 300, 480, 330), True, "centre 40 px right of the middle (6 %)"),
        ((300, 300, 520, 330), False, "centre 90 px right of the middle (14 %)"),
    ],
)
def test_subtitle_lines_are_centred_and_subtitle_sized(box, expected, why):
    assert is_subtitle_line(box, frame_width=W, frame_height=H) is expected, why


def test_subtitle_lines_keeps_the_subtitle_and_drops_the_rest():
    boxes = [
        (137, 307, 300, 338),
        (310, 308, 503, 338),
        (520, 250, 630, 272),  # a channel bug at the right edge
        (300, 262, 340, 266),  # a speck
    ]
    assert subtitle_lines(boxes, frame_width=W, frame_height=H) == [(137, 307, 503, 338)]
    assert subtitle_lines([], frame_width=W, frame_height=H) == []
