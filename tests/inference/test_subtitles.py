"""inference.subtitles: SRT, WebVTT and plain text; every error names file, cue and line."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inference.subtitles import Segment, SubtitleError, parse_subtitles  # noqa: E402

SRT = """1
00:00:00,500 --> 00:00:02,000
<i>I really</i> didn't expect
to see you here.

2
00:00:02,100 --> 00:00:04,250
{\\an8}It makes me &amp; my sister <b>happy</b>.
"""

VTT = """WEBVTT
Kind: captions

NOTE written by hand

intro
00:00.500 --> 00:02.000 align:start position:10%
<v Anna>I really</v> didn't expect

00:00:02.100 --> 00:00:04.250
<c.yellow>It makes me happy.</c>
"""


def _error(data, filename="subs.srt") -> str:
    with pytest.raises(SubtitleError) as excinfo:
        parse_subtitles(data, filename=filename)
    return str(excinfo.value)


# ------------------------------------------------------------------------------- good files


def test_srt_segments_and_markup_stripped():
    subs = parse_subtitles(SRT.encode(), filename="clip.srt")
    assert subs.format == "srt"
    assert subs.segments == [
        Segment(500, 2000, "I really didn't expect to see you here."),
        Segment(2100, 4250, "It makes me & my sister happy."),
    ]
    assert subs.text == "I really didn't expect to see you here. It makes me & my sister happy."


def test_vtt_segments_header_notes_identifiers_settings():
    subs = parse_subtitles(VTT.encode(), filename="clip.vtt")
    assert subs.format == "vtt"
    assert subs.segments == [
        Segment(500, 2000, "I really didn't expect"),
        Segment(2100, 4250, "It makes me happy."),
    ]


@pytest.mark.parametrize("name", ["", "upload.txt", "clip.vtt.bak", "subs.vtt"])
def test_format_is_detected_from_content_not_name(name):
    assert parse_subtitles(SRT, filename=name if name != "subs.vtt" else "x.srt").format == "srt"
    assert parse_subtitles(VTT, filename=name).format == "vtt"


@pytest.mark.parametrize(
    "encoded",
    [
        SRT.encode("utf-8-sig"),
        SRT.replace("\n", "\r\n").encode(),
        SRT.encode("utf-16"),
    ],
)
def test_bom_crlf_and_utf16(encoded):
    assert len(parse_subtitles(encoded, filename="a.srt").segments) == 2


def test_plain_text_is_one_untimed_subtitle():
    subs = parse_subtitles(
        "  Je suis <b>très</b> content\nde te voir.\n".encode(), filename="a.txt"
    )
    assert subs.format == "text" and subs.segments == []
    assert subs.text == "Je suis très content de te voir."


def test_hours_in_vtt_and_long_srt_times():
    subs = parse_subtitles("WEBVTT\n\n01:02:03.004 --> 01:02:04.000\nlate\n")
    assert subs.segments == [Segment(3_723_004, 3_724_000, "late")]


# ------------------------------------------------------------------------------- bad files


def test_srt_bad_timestamp_names_cue_line_and_value():
    bad = SRT + "\n3\n00:00:0x,000 --> 00:00:05,000\nBroken\n"
    msg = _error(bad.encode())
    assert msg == "subs.srt, cue 3 (line 11): timestamp '00:00:0x,000' is not HH:MM:SS,mmm."


def test_srt_bad_timestamp_in_the_middle_is_not_skipped():
    bad = SRT.replace("00:00:02,100 --> 00:00:04,250", "00:00:02,100 --> 00:00:04;250")
    msg = _error(bad)  # srt alone reads this as 4.000 s, losing 250 ms
    assert "cue 2 (line 7)" in msg and "'00:00:04;250'" in msg


def test_srt_end_before_start():
    msg = _error("1\n00:00:05,000 --> 00:00:02,000\nBackwards\n")
    assert msg == (
        "subs.srt, cue 1 (line 2): the cue ends (00:00:02.000) before it starts (00:00:05.000)."
    )


def test_srt_cue_without_timing_line_is_not_glued_to_the_previous_cue():
    msg = _error(SRT + "\n3\nthis is not a cue\n\n4\n00:00:05,000 --> 00:00:06,000\nx\n")
    assert msg == (
        "subs.srt, cue 3 (line 11): cue number 3 is not followed by a "
        "'start --> end' timing line (found 'this is not a cue')."
    )


def test_vtt_bad_timestamp_names_cue_line_and_value():
    bad = VTT + "\n00:00:05.000 --> 00:00:6.000\nBroken\n"
    msg = _error(bad, filename="subs.vtt")
    assert msg == "subs.vtt, cue 3 (line 13): timestamp '00:00:6.000' is not [HH:]MM:SS.mmm."


def test_vtt_minutes_over_59_rejected():
    msg = _error("WEBVTT\n\n00:75.000 --> 01:00.000\nx\n", filename="a.vtt")
    assert "cue 1 (line 3)" in msg and "'00:75.000'" in msg


def test_vtt_end_before_start():
    msg = _error("WEBVTT\n\n00:03.000 --> 00:02.000\nx\n", filename="a.vtt")
    assert "a.vtt, cue 1 (line 3): the cue ends (00:00:02.000) before it starts" in msg


def test_vtt_named_file_without_header():
    msg = _error("00:01.000 --> 00:02.000\nx\n", filename="a.vtt")
    assert "a.vtt, line 1" in msg and "WEBVTT" in msg


@pytest.mark.parametrize("data", [b"", b"   \n\n", "\ufeff\n".encode()])
def test_empty_file(data):
    assert _error(data) == "subs.srt is empty: it holds no subtitle text."


def test_undecodable_bytes_name_the_line():
    msg = _error(b"1\n00:00:01,000 --> 00:00:02,000\n" + "caf\xe9\n".encode("latin-1"))
    assert "subs.srt, line 3" in msg and "not UTF-8" in msg and "0xe9" in msg


def test_binary_file():
    assert "binary data" in _error(b"\x00\x01\x02abc")


def test_subtitle_error_is_a_value_error():
    assert issubclass(SubtitleError, ValueError)


# ------------------------------------------------------------------------------- properties

_cue_text = st.text(
    alphabet=st.characters(categories=["L", "N"]) | st.sampled_from(" .,!?'"),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip())


def _srt_time(ms: int) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 10_000_000), st.integers(0, 60_000), _cue_text),
        min_size=1,
        max_size=8,
    )
)
def test_srt_round_trip(cues):
    blocks, expected = [], []
    for n, (start, length, text) in enumerate(cues, start=1):
        blocks.append(f"{n}\n{_srt_time(start)} --> {_srt_time(start + length)}\n{text}\n")
        expected.append(Segment(start, start + length, " ".join(text.split())))
    subs = parse_subtitles("\n".join(blocks), filename="gen.srt")
    assert subs.format == "srt" and subs.segments == expected


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 10_000_000), st.integers(0, 60_000), _cue_text),
        min_size=1,
        max_size=8,
    )
)
def test_vtt_round_trip(cues):
    blocks, expected = ["WEBVTT\n"], []
    for start, length, text in cues:
        t0, t1 = (_srt_time(x).replace(",", ".") for x in (start, start + length))
        blocks.append(f"{t0} --> {t1}\n{text}\n")
        expected.append(Segment(start, start + length, " ".join(text.split())))
    subs = parse_subtitles("\n".join(blocks), filename="gen.vtt")
    assert subs.format == "vtt" and subs.segments == expected
