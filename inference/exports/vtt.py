"""WebVTT, one file per clip: a cue block per timed cue, untimed cues in a NOTE block.

Cue text is "[modality] text", escaped as WebVTT requires (&, <, > as entities, which also
keeps "-->" out of payloads and notes) and on one line. WebVTT needs end > start, so a
point cue (end == start) lasts 1 ms here.
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


def clip_vtt(clip: ExportClip) -> bytes:
    blocks = ["WEBVTT"]
    untimed = [cue for cue in clip.all_cues() if not cue.timed]
    if untimed:
        blocks.append("\n".join(["NOTE untimed cues", *(_payload(c) for c in untimed)]))
    timed: list[tuple[int, int, int, str, ExportCue]] = []
    for position, cue in enumerate(clip.all_cues()):
        if cue.timed:
            end = max(cue.end_ms, cue.start_ms + 1)
            timed.append((cue.start_ms, end, position, cue.modality, cue))
    timed.sort(key=lambda t: (t[0], t[1], t[2]))  # WebVTT wants start times in order
    counters: dict[str, int] = {}
    for start, end, _, modality, cue in timed:
        counters[modality] = counters.get(modality, 0) + 1
        blocks.append(
            f"{modality}-{counters[modality]}\n"
            f"{_timestamp(start)} --> {_timestamp(end)}\n{_payload(cue)}"
        )
    return ("\n\n".join(blocks) + "\n").encode("utf-8")
