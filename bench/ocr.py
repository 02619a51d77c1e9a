"""Burned-in subtitle OCR (issue #18): accuracy, boundaries, false segments and speed.

Generates clips with subtitles burned into the picture at known, frame-exact times
(``fixtures/burned_subtitles.py``: the demo's moving face, ffmpeg drawtext in Noto Sans CJK
SC, a channel logo inside the subtitle band), reads them with
:func:`inference.ocr.read_subtitles` and reports:

- character error rate (Levenshtein distance / reference characters) per language, with
  spaces counted, and without spaces for English as well;
- start and end error of the segments matched to a subtitle (mean and max);
- false segments (matching no subtitle; the logo among them) and missed subtitles;
- the real-time factor, wall time / clip duration, on this machine (model loading, done
  once per process, reported apart), and the CPU time of the process and its ffmpeg child.

Budgets: CER <= 3 % on this clean text, boundaries within 250 ms, no logo segment, at most
0.3x real time.

Usage:
    python bench/ocr.py [--json] [--keep DIR] [--english-from CSV]

``--english-from`` takes the English lines from a CSV's ``english`` or ``subtitles`` column
(MER subtitles, EMER v1), wrapped at 42 characters as subtitles are, instead of the demo's
sentences: real dialogue with its names, apostrophes and question marks.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import re
import resource
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rapidfuzz.distance import Levenshtein  # noqa: E402

from fixtures.burned_subtitles import FRAME_MS, BurnedLine, render_burned_clip  # noqa: E402
from fixtures.demo import CLIP_SPECS  # noqa: E402
from inference.ocr import DEFAULT_FPS, OcrSegment, read_subtitles  # noqa: E402
from inference.ocr.recognizer import recognizer, threads  # noqa: E402

CER_BUDGET = 0.03
BOUNDARY_BUDGET_MS = 250
RTF_BUDGET = 0.3

# Dialogue lines of the kind MER's TV excerpts hold (written for this bench).
CHINESE = (
    "你怎么现在才回来",
    "我等了你一整晚",
    "这件事我们说好的",
    "你又一次食言了",
    "我真的没想到会在这里见到你",
    "别担心，一切都会好起来的",
    "外面的雨越下越大了",
    "他们为什么不提前告诉我",
    "今天是我这辈子最开心的一天",
    "你让我一个人静一静",
    "我们明天早上再谈吧",
    "这不是我想要的结果",
)
# The demo's own sentences (fixtures/demo.py), spoken by the same face.
ENGLISH = tuple(sentence for spec in CLIP_SPECS for sentence in spec.sentences)
LOGO = "EmoTV 情感台"
_CHINESE_CHAR = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class BenchClip:
    name: str
    language: str  # "zh", "en" or "zh+en"
    size: tuple[int, int]
    camera: str
    logo_corner: str
    seconds: int


CLIPS = (
    BenchClip("zh-calm-360p", "zh", (640, 360), "calm", "band-right", 20),
    BenchClip("en-excited-360p", "en", (640, 360), "excited", "band-left", 20),
    BenchClip("bilingual-calm-720p", "zh+en", (1280, 720), "calm", "band-right", 20),
)


def english_from(path: Path) -> tuple[str, ...]:
    """Subtitle lines of at most 42 characters from a CSV's english or subtitles column."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        column = next((c for c in ("english", "subtitles") if c in (reader.fieldnames or [])), None)
        if column is None:
            raise SystemExit(f"{path}: no 'english' or 'subtitles' column")
        lines = [
            line for row in reader for line in textwrap.wrap(" ".join(row[column].split()), 42)
        ]
    if not lines:
        raise SystemExit(f"{path}: no subtitle text in column {column!r}")
    return tuple(lines)


def _script(
    clip: BenchClip, rng: random.Random, english: tuple[str, ...] = ENGLISH
) -> list[BurnedLine]:
    """Subtitles 1.2-3.2 s long with 0-0.8 s between them (some back to back)."""
    lines, t, n = [], rng.choice((0, 200, 400)), 0
    end_ms = clip.seconds * 1000
    while True:
        length = rng.randrange(1200, 3240, FRAME_MS)
        if t + length > end_ms - 200:
            break
        zh, en = CHINESE[n % len(CHINESE)], english[n % len(english)]
        text = {"zh": zh, "en": en, "zh+en": f"{zh}\n{en}"}[clip.language]
        lines.append(BurnedLine(t, t + length, text))
        t += length + rng.choice((0, 200, 400, 800))
        n += 1
    return lines


def _language(text: str) -> str:
    return "zh" if _CHINESE_CHAR.search(text) else "en"


def _overlap(segment: OcrSegment, line: BurnedLine) -> int:
    return min(segment.end_ms, line.end_ms) - max(segment.start_ms, line.start_ms)


def _score(segments: list[OcrSegment], lines: list[BurnedLine]) -> dict:
    """Match segments to subtitles by time overlap (each at most once) and measure them."""
    pairs, used = [], set()
    for line in lines:
        best = max(
            (i for i in range(len(segments)) if i not in used),
            key=lambda i: _overlap(segments[i], line),
            default=None,
        )
        if best is not None and _overlap(segments[best], line) > 0:
            used.add(best)
            pairs.append((line, segments[best]))
        else:
            pairs.append((line, None))
    errors: dict[str, list[int]] = {"zh": [0, 0], "en": [0, 0], "en_nospace": [0, 0]}
    starts, ends = [], []
    for line, segment in pairs:
        truth_rows = line.text.split("\n")
        read_rows = list(segment.lines) if segment else []
        if len(read_rows) != len(truth_rows):  # compare the whole text instead
            truth_rows, read_rows = [" ".join(truth_rows)], [" ".join(read_rows)]
        for truth, read in zip(truth_rows, read_rows, strict=True):
            language = _language(truth)
            errors[language][0] += Levenshtein.distance(truth, read)
            errors[language][1] += len(truth)
            if language == "en":
                errors["en_nospace"][0] += Levenshtein.distance(
                    truth.replace(" ", ""), read.replace(" ", "")
                )
                errors["en_nospace"][1] += len(truth.replace(" ", ""))
        if segment is not None:
            starts.append(abs(segment.start_ms - line.start_ms))
            ends.append(abs(segment.end_ms - line.end_ms))
    false = [s for i, s in enumerate(segments) if i not in used]
    return {
        "subtitles": len(lines),
        "segments": len(segments),
        "missed": sum(1 for _, s in pairs if s is None),
        "false_segments": len(false),
        "false_texts": [s.text for s in false],
        "logo_segments": sum(1 for s in segments if "EmoTV" in s.text or "情感台" in s.text),
        "edits": errors,
        "start_errors_ms": starts,
        "end_errors_ms": ends,
        "misread": [
            {"truth": line.text, "read": segment.text}
            for line, segment in pairs
            if segment is not None and segment.text != line.text
        ],
    }


def _cer(edits: list[int]) -> float | None:
    return edits[0] / edits[1] if edits[1] else None


def run(keep: Path | None = None, english: tuple[str, ...] = ENGLISH) -> dict:
    rng = random.Random(18)
    started = datetime.now(UTC)
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    recognizer()
    load_s = time.perf_counter() - t0
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-ocr-") as tmp:
        folder = keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for clip in CLIPS:
            lines = _script(clip, rng, english)
            made = render_burned_clip(
                folder / f"{clip.name}.mp4",
                lines,
                duration_ms=clip.seconds * 1000,
                logo=LOGO,
                logo_corner=clip.logo_corner,
                size=clip.size,
                camera=clip.camera,
            )
            cpu0, children0 = time.process_time(), resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            segments = read_subtitles(made.video)
            wall = time.perf_counter() - t
            children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = time.process_time() - cpu0
            ffmpeg_cpu = (children1.ru_utime + children1.ru_stime) - (
                children0.ru_utime + children0.ru_stime
            )
            score = _score(segments, lines)
            rows.append(
                {
                    "clip": clip.name,
                    "language": clip.language,
                    "size": f"{clip.size[0]}x{clip.size[1]}",
                    "camera": clip.camera,
                    "seconds": clip.seconds,
                    "wall_s": round(wall, 3),
                    "rtf": round(wall / clip.seconds, 3),
                    "cpu_s": round(cpu, 3),
                    "ffmpeg_cpu_s": round(ffmpeg_cpu, 3),
                    **score,
                }
            )
    result = _summary(rows, started, load_before, load_s)
    result["english_text"] = "demo sentences" if english == ENGLISH else f"{len(english)} lines"
    return result


def _summary(rows: list[dict], started: datetime, load_before, load_s: float) -> dict:
    totals: dict[str, list[int]] = {"zh": [0, 0], "en": [0, 0], "en_nospace": [0, 0]}
    for row in rows:
        for key, (edits, chars) in row["edits"].items():
            totals[key][0] += edits
            totals[key][1] += chars
    starts = [e for row in rows for e in row["start_errors_ms"]]
    ends = [e for row in rows for e in row["end_errors_ms"]]
    seconds = sum(row["seconds"] for row in rows)
    wall = sum(row["wall_s"] for row in rows)
    cer = {key: _cer(value) for key, value in totals.items()}
    result = {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
        "python": platform.python_version(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "fps": DEFAULT_FPS,
        "onnx_threads": threads(),
        "model_load_s": round(load_s, 3),
        "clips": rows,
        "cer": {k: (round(v, 4) if v is not None else None) for k, v in cer.items()},
        "start_error_ms": {"mean": _mean(starts), "max": max(starts, default=None)},
        "end_error_ms": {"mean": _mean(ends), "max": max(ends, default=None)},
        "false_segments": sum(row["false_segments"] for row in rows),
        "logo_segments": sum(row["logo_segments"] for row in rows),
        "missed": sum(row["missed"] for row in rows),
        "subtitles": sum(row["subtitles"] for row in rows),
        "rtf": round(wall / seconds, 3),
        "rtf_cpu": round(sum(row["cpu_s"] + row["ffmpeg_cpu_s"] for row in rows) / seconds, 3),
    }
    result["budgets"] = {
        "cer_zh": cer["zh"] is not None and cer["zh"] <= CER_BUDGET,
        "cer_en": cer["en"] is not None and cer["en"] <= CER_BUDGET,
        "boundaries": max(starts + ends, default=BOUNDARY_BUDGET_MS + 1) <= BOUNDARY_BUDGET_MS,
        "no_logo_segment": result["logo_segments"] == 0,
        "rtf": result["rtf"] <= RTF_BUDGET,
    }
    return result


def _mean(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f} %"


def _table(result: dict) -> str:
    out = [
        f"OCR bench, {result['date']}, {result['machine']}, Python {result['python']}, "
        f"{result['fps']:g} fps sampled, onnxruntime threads {result['onnx_threads']}, "
        f"load average {result['load_average_before'][0]} -> {result['load_average_after'][0]}",
        f"model load (once per process): {result['model_load_s']:.2f} s; English text: "
        f"{result['english_text']}",
        "",
        "| clip | size | camera | subtitles | segments | missed | false | wall s | RTF "
        "| CPU s (+ffmpeg) |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in result["clips"]:
        out.append(
            f"| {row['clip']} | {row['size']} | {row['camera']} | {row['subtitles']} "
            f"| {row['segments']} | {row['missed']} | {row['false_segments']} "
            f"| {row['wall_s']:.2f} | {row['rtf']:.3f} | {row['cpu_s']:.2f} "
            f"(+{row['ffmpeg_cpu_s']:.2f}) |"
        )
    cer, budgets = result["cer"], result["budgets"]
    out += [
        "",
        f"CER Chinese {_pct(cer['zh'])}, English {_pct(cer['en'])} "
        f"(without spaces {_pct(cer['en_nospace'])}); budget <= 3 %: "
        f"{'met' if budgets['cer_zh'] and budgets['cer_en'] else 'NOT met'}",
        f"start error mean {result['start_error_ms']['mean']} ms, max "
        f"{result['start_error_ms']['max']} ms; end error mean {result['end_error_ms']['mean']}"
        f" ms, max {result['end_error_ms']['max']} ms; budget <= 250 ms: "
        f"{'met' if budgets['boundaries'] else 'NOT met'}",
        f"false segments {result['false_segments']} (logo {result['logo_segments']}), missed "
        f"{result['missed']} of {result['subtitles']}; no logo segment: "
        f"{'met' if budgets['no_logo_segment'] else 'NOT met'}",
        f"real-time factor {result['rtf']:.3f} (CPU time {result['rtf_cpu']:.3f} x duration); "
        f"budget <= 0.3x: {'met' if budgets['rtf'] else 'NOT met'}",
    ]
    misread = [m for row in result["clips"] for m in row["misread"]]
    if misread:
        out += ["", "misread:"]
        out += [f"  {m['truth']!r} -> {m['read']!r}" for m in misread]
    false = [t for row in result["clips"] for t in row["false_texts"]]
    if false:
        out += ["", "false segments:"] + [f"  {t!r}" for t in false]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--keep", type=Path, help="write the generated clips here and keep them")
    parser.add_argument(
        "--english-from", type=Path, help="CSV whose english/subtitles column gives the English"
    )
    args = parser.parse_args()
    result = run(args.keep, english_from(args.english_from) if args.english_from else ENGLISH)
    print(json.dumps(result, indent=2, ensure_ascii=False) if args.json else _table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
