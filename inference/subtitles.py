"""Parse a clip's subtitle upload (SRT, WebVTT or plain text) into text and timed segments.

The format is detected from the content (a WEBVTT header; SRT cue blocks with ``-->``),
not only from the file name. SRT is parsed by ``srt`` (strict: it reports the first block
it cannot read instead of skipping it); WebVTT by ``webvtt-py``, after checking every
timing line here, because webvtt-py silently drops cues whose timestamps it cannot read.
No Django.

Example:
    >>> subs = parse_subtitles(b"1\\n00:00:01,000 --> 00:00:02,500\\nHello!\\n", filename="a.srt")
    >>> subs.format, subs.segments[0]
    ('srt', Segment(start_ms=1000, end_ms=2500, text='Hello!'))
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass, field

import srt
import webvtt
import webvtt.errors

__all__ = ["Segment", "SubtitleError", "Subtitles", "parse_subtitles"]


class SubtitleError(ValueError):
    """A subtitle file cannot be read; the message names the file, cue and line."""


@dataclass(frozen=True)
class Segment:
    start_ms: int
    end_ms: int
    text: str


@dataclass(frozen=True)
class Subtitles:
    text: str  # the whole subtitle as one string (segments joined by spaces)
    segments: list[Segment] = field(default_factory=list)  # empty for plain text
    format: str = "text"  # "srt" | "vtt" | "text"


_TAG = re.compile(r"<[^>\n]*>")
_ASS_OVERRIDE = re.compile(r"\{\\[^}]*\}")  # {\an8} and friends in SRT exported from ASS
_ARROW = re.compile(r"-->")
_SRT_TIME = re.compile(r"^\d{1,3}:\d{1,2}:\d{1,2}[,.]\d{1,3}$")
_VTT_TIME = re.compile(r"^(?:\d{2,}:)?[0-5]\d:[0-5]\d\.\d{3}$")
_SRT_TIMING_LINE = re.compile(r"^\s*(\S+)\s*-->\s*(\S+)")


def _clean(text: str) -> str:
    text = _ASS_OVERRIDE.sub("", _TAG.sub("", text))
    return " ".join(html.unescape(text).split())


def _decode(data: bytes | str, label: str) -> str:
    if isinstance(data, str):
        text = data
    else:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            try:
                text = data.decode("utf-16")
            except UnicodeDecodeError as exc:
                raise SubtitleError(
                    f"{label}: the text is not valid UTF-16 ({exc.reason} at byte {exc.start})."
                ) from None
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                line = data[: exc.start].count(b"\n") + 1
                raise SubtitleError(
                    f"{label}, line {line}: the file is not UTF-8 text "
                    f"(byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                    "save it as UTF-8 and upload it again."
                ) from None
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise SubtitleError(f"{label}: the file holds binary data (NUL bytes), not subtitle text.")
    return text


def _detect(text: str, filename: str) -> str:
    first = text.lstrip().split("\n", 1)[0]
    if first.startswith("WEBVTT"):
        return "vtt"
    lines = text.split("\n")
    if any(_ARROW.search(ln) for ln in lines):
        # A name that says .vtt but no header is still read as VTT, so the user hears
        # about the missing header rather than about SRT cue numbers.
        return "vtt" if filename.lower().endswith(".vtt") else "srt"
    return "text"


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _srt_error(text: str, label: str, exc: srt.SRTParseError) -> SubtitleError:
    """Turn srt's character offsets into a cue number, a line and what is wrong there."""
    start = exc.expected_start
    block = text[start:].lstrip("\n")
    line = _line_of(text, start + (len(text[start:]) - len(block)))
    cue_no = text[:start].count("-->") + 1
    head = block.split("\n")
    where = f"{label}, cue {cue_no} (line {line})"
    timing_idx = next((i for i, ln in enumerate(head[:3]) if "-->" in ln), None)
    if timing_idx is None:
        snippet = head[0][:60]
        return SubtitleError(
            f"{where}: expected a cue number and a 'start --> end' timing line, found '{snippet}'."
        )
    m = _SRT_TIMING_LINE.match(head[timing_idx])
    for stamp in m.groups() if m else ():
        if not _SRT_TIME.match(stamp):
            return SubtitleError(
                f"{label}, cue {cue_no} (line {line + timing_idx}): timestamp "
                f"'{stamp}' is not HH:MM:SS,mmm."
            )
    return SubtitleError(f"{where}: cannot read this cue ('{head[timing_idx][:60]}').")


def _check_srt_timing_lines(text: str, label: str) -> list[int]:
    """Check every timing line strictly; return their line numbers.

    srt is lenient in ways that lose data silently: '00:00:04;250' reads as 4.000 s.
    """
    lines = text.split("\n")
    timing = []
    for i, ln in enumerate(lines, start=1):
        if "-->" not in ln:
            continue
        cue_no = len(timing) + 1
        m = _SRT_TIMING_LINE.match(ln)
        if not m:
            raise SubtitleError(
                f"{label}, cue {cue_no} (line {i}): expected 'start --> end', "
                f"found '{ln.strip()[:60]}'."
            )
        for stamp in m.groups():
            if not _SRT_TIME.match(stamp):
                raise SubtitleError(
                    f"{label}, cue {cue_no} (line {i}): timestamp '{stamp}' is not HH:MM:SS,mmm."
                )
        timing.append(i)
    # A cue number after a blank line whose next line is no timing line is a broken cue
    # block that srt would silently glue onto the previous cue's text.
    for i in range(1, len(lines) - 1):
        if lines[i].strip().isdigit() and not lines[i - 1].strip() and "-->" not in lines[i + 1]:
            cue_no = sum(1 for t in timing if t <= i + 1) + 1
            raise SubtitleError(
                f"{label}, cue {cue_no} (line {i + 2}): cue number "
                f"{lines[i].strip()} is not followed by a 'start --> end' "
                f"timing line (found '{lines[i + 1].strip()[:60]}')."
            )
    return timing


def _parse_srt(text: str, label: str) -> list[Segment]:
    timing_lines = _check_srt_timing_lines(text, label)
    try:
        cues = list(srt.parse(text, ignore_errors=False))
    except srt.SRTParseError as exc:
        raise _srt_error(text, label, exc) from None
    if len(cues) != len(timing_lines):
        raise SubtitleError(
            f"{label}: {len(timing_lines)} cue timing lines but {len(cues)} "
            "cues could be read; check the blank lines between cues."
        )
    segments = []
    for n, cue in enumerate(cues, start=1):
        line = timing_lines[n - 1]
        start = round(cue.start.total_seconds() * 1000)
        end = round(cue.end.total_seconds() * 1000)
        _check_order(start, end, f"{label}, cue {n} (line {line})")
        segments.append(Segment(start, end, _clean(cue.content)))
    return segments


def _check_order(start: int, end: int, where: str) -> None:
    if end < start:
        raise SubtitleError(
            f"{where}: the cue ends ({_fmt(end)}) before it starts ({_fmt(start)})."
        )


def _fmt(ms: int) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def _vtt_ms(stamp) -> int:
    return ((stamp.hours * 60 + stamp.minutes) * 60 + stamp.seconds) * 1000 + stamp.milliseconds


def _parse_vtt(text: str, label: str) -> list[Segment]:
    lines = text.split("\n")
    if not lines[0].startswith("WEBVTT"):
        raise SubtitleError(
            f"{label}, line 1: a WebVTT file must start with 'WEBVTT', found '{lines[0][:40]}'."
        )
    timing = []  # (line number, start, end) of every cue, checked before webvtt-py skips any
    for i, ln in enumerate(lines, start=1):
        if "-->" not in ln:
            continue
        parts = ln.strip().split()
        cue_no = len(timing) + 1
        if len(parts) < 3 or parts[1] != "-->":
            raise SubtitleError(
                f"{label}, cue {cue_no} (line {i}): expected 'start --> end', "
                f"found '{ln.strip()[:60]}'."
            )
        for stamp in (parts[0], parts[2]):
            if not _VTT_TIME.match(stamp):
                raise SubtitleError(
                    f"{label}, cue {cue_no} (line {i}): timestamp '{stamp}' is not [HH:]MM:SS.mmm."
                )
        timing.append(i)
    try:
        captions = webvtt.from_buffer(io.StringIO(text)).captions
    except webvtt.errors.MalformedFileError as exc:
        raise SubtitleError(f"{label}: not a valid WebVTT file ({exc}).") from None
    if len(captions) != len(timing):
        raise SubtitleError(
            f"{label}: {len(timing)} cue timing lines but only {len(captions)} "
            "cues could be read; check the blank lines between cues."
        )
    segments = []
    for n, (line, cap) in enumerate(zip(timing, captions, strict=True), start=1):
        start, end = _vtt_ms(cap.start_time), _vtt_ms(cap.end_time)
        _check_order(start, end, f"{label}, cue {n} (line {line})")
        segments.append(Segment(start, end, _clean(cap.raw_text)))
    return segments


def parse_subtitles(data: bytes | str, *, filename: str = "") -> Subtitles:
    """Read a subtitle upload.

    Args:
        data: the file's bytes (UTF-8, with or without BOM; UTF-16 with BOM) or text.
        filename: the uploaded name, used in messages (and to prefer VTT for a header-less
            ``.vtt`` file); the format itself is detected from the content.
    Returns:
        :class:`Subtitles`: ``format`` "srt" or "vtt" with timed segments (markup stripped,
        times in ms), or "text" with the whole file as one untimed subtitle.
    Raises:
        SubtitleError: empty file, undecodable bytes, a malformed cue or timestamp, or a cue
            that ends before it starts; the message names the file, cue and line.
    Example:
        >>> parse_subtitles("I can't believe it!").format
        'text'
    """
    label = filename or "the subtitle file"
    text = _decode(data, label)
    if not text.strip():
        raise SubtitleError(f"{label} is empty: it holds no subtitle text.")
    fmt = _detect(text, filename)
    if fmt == "text":
        return Subtitles(text=_clean(text), segments=[], format="text")
    segments = _parse_srt(text, label) if fmt == "srt" else _parse_vtt(text, label)
    if not segments:
        raise SubtitleError(f"{label} holds no cues.")
    return Subtitles(
        text=" ".join(s.text for s in segments if s.text), segments=segments, format=fmt
    )
