"""WebVTT, one file per clip: a cue block per timed cue, untimed cues in a NOTE block, and the
clip's subtitle as "[subtitle] text" cues.

Cue text is "[modality] text", escaped as WebVTT requires (&, <, > as entities, which also
keeps "-->" out of payloads and notes) and on one line. WebVTT needs end > start, so a
point cue (end == start) lasts 1 ms here. A subtitle read from the picture says so in a NOTE,
and each of its cues' identifiers carries the reading's confidence ("subtitle-3 (OCR
confidence 0.93)"); an untimed subtitle (and a chinese text kept beside it) is in the NOTE.
"""

from __future__ import annotations

from .clips import ExportClip, ExportCue


def _escape(text: str) -> str:
    one_line = " ".join(text.split())
    return one_line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _timestamp(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _payload(cue: ExportCue) -> str:
    return f"[{cue.modality}] {_escape(cue.text)}"


def _subtitle_note(clip: ExportClip) -> str | None:
    subtitle = clip.subtitle
    if subtitle is None or subtitle.source == "none":
        return None
    where = {
        "ocr": "read from the picture (OCR of the burned-in text); each subtitle cue's "
        "identifier gives the reading's confidence, 0 to 1",
        "file": "from a subtitle file",
        "manifest": "from the import manifest",
        "manual": "typed by a manager",
    }[subtitle.source]
    lines = [f"NOTE subtitle: {where}" + ("; corrected by a manager" if subtitle.corrected else "")]
    if not subtitle.segments and subtitle.text:
        lines.append(f"[subtitle] {_escape(subtitle.text)}")
    if subtitle.chinese:
        lines.append(f"[subtitle, chinese] {_escape(subtitle.chinese)}")
    return "\n".join(lines)


def clip_vtt(clip: ExportClip) -> bytes:
    blocks = ["WEBVTT"]
    untimed = [cue for cue in clip.all_cues() if not cue.timed]
    if untimed:
        blocks.append("\n".join(["NOTE untimed cues", *(_payload(c) for c in untimed)]))
    note = _subtitle_note(clip)
    if note:
        blocks.append(note)
    # (start, end, position, lane, payload, identifier suffix): cues and subtitle segments
    timed: list[tuple[int, int, int, str, str, str]] = []
    for position, cue in enumerate(clip.all_cues()):
        if cue.timed:
            end = max(cue.end_ms, cue.start_ms + 1)
            timed.append((cue.start_ms, end, position, cue.modality, _payload(cue), ""))
    segments = clip.subtitle.segments if clip.subtitle is not None else ()
    after_cues = len(clip.all_cues())
    for index, segment in enumerate(segments):
        reading = (
            f" (OCR confidence {segment.confidence:.2f})" if segment.confidence is not None else ""
        )
        end = max(segment.end_ms, segment.start_ms + 1)
        payload = f"[subtitle] {_escape(segment.text)}"
        timed.append((segment.start_ms, end, after_cues + index, "subtitle", payload, reading))
    timed.sort(key=lambda t: (t[0], t[1], t[2]))  # WebVTT wants start times in order
    counters: dict[str, int] = {}
    for start, end, _, lane, payload, suffix in timed:
        counters[lane] = counters.get(lane, 0) + 1
        blocks.append(
            f"{lane}-{counters[lane]}{suffix}\n{_timestamp(start)} --> {_timestamp(end)}\n{payload}"
        )
    return ("\n\n".join(blocks) + "\n").encode("utf-8")
