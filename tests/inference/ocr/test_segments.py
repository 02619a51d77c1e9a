"""inference.ocr.segments: merging and filtering per-frame readings (synthetic readings)."""

from __future__ import annotations

import pytest

from inference.ocr.segments import (
    FrameReading,
    LineReading,
    OcrSegment,
    merge_readings,
    similar,
    tidy_line,
)

STEP = 250
BOTTOM = (200, 310, 440, 340)
ABOVE = (220, 272, 420, 302)
CAPTION = (280, 250, 360, 276)


def frames(*texts, start=0, confidence=0.95, box=BOTTOM):
    """One reading per sample, 250 ms apart; None or "" is a frame without text."""
    return [
        FrameReading(start + i * STEP, (LineReading(t, confidence, box),) if t else ())
        for i, t in enumerate(texts)
    ]


def test_consecutive_readings_of_one_subtitle_become_one_segment():
    readings = frames(None, "你好", "你好", "你好", None, "再见", "再见", None)
    segments = merge_readings(readings, duration_ms=2000)
    assert [(s.start_ms, s.end_ms, s.text) for s in segments] == [
        (125, 875, "你好"),  # halfway between the samples around each boundary
        (1125, 1625, "再见"),
    ]
    assert all(s.source == "ocr" and s.lines == (s.text,) for s in segments)


def test_a_subtitle_up_at_the_first_or_last_sample_runs_to_the_clip_edge():
    segments = merge_readings(frames("开始", "开始", None, "结束"), duration_ms=1100)
    assert [(s.start_ms, s.end_ms) for s in segments] == [(0, 375), (625, 1100)]


def test_near_identical_readings_merge_and_the_most_frequent_wins():
    readings = frames(
        "I waited all evening.", "I waitcd all evening.", "I waited all evening.", None
    )
    (segment,) = merge_readings(readings, duration_ms=1000)
    assert segment.text == "I waited all evening."
    assert (segment.start_ms, segment.end_ms) == (0, 625)


def test_a_tie_goes_to_the_more_confident_reading():
    readings = [
        FrameReading(0, (LineReading("今天天气真好", 0.99, BOTTOM),)),
        FrameReading(250, (LineReading("今天天气直好", 0.70, BOTTOM),)),
    ]
    (segment,) = merge_readings(readings, duration_ms=500)
    assert segment.text == "今天天气真好"
    assert segment.confidence == pytest.approx((0.99 + 0.70) / 2, abs=1e-3)


def test_one_missed_or_misread_frame_inside_a_subtitle_is_bridged():
    missed = frames("我等了你一整晚", None, "我等了你一整晚", None, None, None)
    assert len(merge_readings(missed, duration_ms=1500)) == 1
    misread = frames("我等了你一整晚", "EmoTV", "我等了你一整晚", None)
    (segment,) = merge_readings(misread, duration_ms=1000)
    assert segment.text == "我等了你一整晚" and segment.end_ms == 625
    two_gaps = frames("我等了你一整晚", None, None, "我等了你一整晚")
    assert len(merge_readings(two_gaps, duration_ms=1000)) == 2


def test_different_subtitles_back_to_back_split_at_the_change():
    segments = merge_readings(frames("好", "好", "好的", "好的"), duration_ms=1000)
    assert [(s.text, s.start_ms, s.end_ms) for s in segments] == [
        ("好", 0, 375),
        ("好的", 375, 1000),
    ]


def test_two_line_subtitles_keep_their_lines_top_to_bottom():
    lines = (
        LineReading("我等了你一整晚。", 0.99, ABOVE),
        LineReading("I waited for you all evening.", 0.97, BOTTOM),
    )
    readings = [FrameReading(0), FrameReading(250, lines), FrameReading(500, lines)]
    (segment,) = merge_readings(readings, duration_ms=750)
    assert segment.text == "我等了你一整晚。\nI waited for you all evening."
    assert segment.lines == ("我等了你一整晚。", "I waited for you all evening.")
    assert segment.confidence == pytest.approx(0.98)


def test_a_line_that_stays_up_longer_than_a_subtitle_can_is_dropped():
    # a caption on screen for 12 s above subtitles that change every 2 s
    readings = []
    for i in range(48):
        subtitle = f"第{i // 8 + 1}句台词" if i % 8 < 6 else None
        lines = [LineReading("第一集", 0.99, CAPTION)]
        if subtitle:
            lines.append(LineReading(subtitle, 0.97, BOTTOM))
        readings.append(FrameReading(i * STEP, tuple(lines)))
    segments = merge_readings(readings, duration_ms=12_000)
    assert [s.text for s in segments] == [f"第{n}句台词" for n in range(1, 7)]
    assert all("第一集" not in s.text for s in segments)


def test_a_subtitle_over_a_whole_short_clip_is_kept():
    # MER clips are 2-6 s and often hold one line throughout: persistence alone cannot
    # call that a caption.
    segments = merge_readings(frames(*["我真的很难过"] * 20), duration_ms=5000)
    assert [(s.start_ms, s.end_ms, s.text) for s in segments] == [(0, 5000, "我真的很难过")]


def test_unreadable_and_punctuation_only_readings_are_dropped():
    low = frames(None, "模糊", "模糊", None, confidence=0.55)
    assert merge_readings(low, duration_ms=1000) == []
    assert merge_readings(frames("……", "……"), duration_ms=500) == []
    assert merge_readings(frames(None, None), duration_ms=500) == []


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="time order"):
        merge_readings(list(reversed(frames("a", "b"))), duration_ms=500)
    with pytest.raises(ValueError, match="duration_ms"):
        merge_readings([], duration_ms=-1)
    with pytest.raises(ValueError, match="similarity"):
        merge_readings([], duration_ms=0, similarity=0)


def test_similarity_is_normalised_edit_distance():
    assert similar("今天天气真好", "今天天气直好")  # 5 of 6
    assert not similar("好", "好的")
    assert similar("I waited  all evening", "i waited all evening")  # case, spaces


def test_tidy_line_puts_punctuation_in_the_line_s_script():
    assert tidy_line("  Nobody called me back。 ") == "Nobody called me back."
    assert tidy_line("你好,世界!") == "你好，世界！"
    assert tidy_line("3.5 分") == "3.5 分"


def test_segment_json_form():
    segment = OcrSegment(100, 900, "你好\nHello", 0.97, ("你好", "Hello"))
    assert segment.to_dict() == {
        "start_ms": 100,
        "end_ms": 900,
        "text": "你好\nHello",
        "confidence": 0.97,
        "source": "ocr",
    }
