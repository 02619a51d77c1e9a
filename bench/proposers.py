"""Signal proposer budget: at most 0.5x real time (processing time / clip duration) on 2 cores.

Builds the demo clips into a temporary folder (or uses ``--demo DIR``), derives their WAVs
with inference.media (not timed: ingestion has its own bench), runs the proposer once to
warm up (model loading, imports; reported as the cold run), then times every clip
``--repeat`` times and keeps the best run per clip. Reports seconds per clip and the
real-time factor per stage (visual, auditory, text, fusion, total).

Usage:
    python bench/proposers.py [--repeat 3] [--demo DIR] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fixtures.demo import build_demo  # noqa: E402
from inference.media import derive, probe  # noqa: E402
from inference.proposers import ClipInput, SubtitleSegment, get_proposer  # noqa: E402
from inference.subtitles import parse_subtitles  # noqa: E402

BUDGET = 0.5
STAGES = ("visual", "auditory", "text", "fusion", "total")


def _clips(demo_dir: Path, media_dir: Path) -> list[ClipInput]:
    with contextlib.redirect_stdout(sys.stderr):  # keep stdout clean for --json
        demo = build_demo(demo_dir)
    clips = []
    for c in demo.clips:
        info = probe(c.video)
        derived = derive(c.video, media_dir / c.name, info=info)
        text, segments = "", ()
        if c.subtitles is not None:
            subs = parse_subtitles(c.subtitles.read_bytes(), filename=c.subtitles.name)
            text = subs.text
            segments = tuple(SubtitleSegment(s.start_ms, s.end_ms, s.text) for s in subs.segments)
        clips.append(
            ClipInput(
                name=c.name,
                video=c.video,
                audio=media_dir / c.name / derived.audio if derived.audio else None,
                duration_ms=info.duration_ms,
                fps_num=info.fps_num,
                fps_den=info.fps_den,
                subtitle_text=text,
                subtitle_segments=segments,
            )
        )
    return clips


def run(*, repeat: int, demo_dir: Path | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-proposers-") as tmp:
        clips = _clips(demo_dir or Path(tmp) / "demo", Path(tmp) / "media")
        proposer = get_proposer("signals")
        started = time.perf_counter()
        proposer.propose(clips[0])
        cold_s = time.perf_counter() - started
        rows = []
        for clip in clips:
            best: dict[str, float] | None = None
            for _ in range(repeat):
                started = time.perf_counter()
                timings = proposer.propose(clip).timings
                wall = time.perf_counter() - started
                if best is None or wall < best["wall"]:
                    best = {**{s: timings.get(s, 0.0) for s in STAGES}, "wall": wall}
            seconds = clip.duration_ms / 1000
            rows.append(
                {
                    "clip": clip.name,
                    "duration_s": seconds,
                    "seconds": {s: round(best[s], 4) for s in (*STAGES, "wall")},
                    "rtf": {s: round(best[s] / seconds, 4) for s in (*STAGES, "wall")},
                }
            )
    total_media = sum(r["duration_s"] for r in rows)
    overall = {
        s: round(sum(r["seconds"][s] for r in rows) / total_media, 4) for s in (*STAGES, "wall")
    }
    return {
        "date": date.today().isoformat(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "proposer": proposer.name,
        "version": proposer.version,
        "repeat": repeat,
        "cold_first_clip_s": round(cold_s, 3),
        "clips": rows,
        "rtf_overall": overall,
        "max_rtf_total": max(r["rtf"]["wall"] for r in rows),
        "budget": BUDGET,
        "within_budget": max(r["rtf"]["wall"] for r in rows) <= BUDGET,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--demo", type=Path, help="an existing (or new) demo folder to use")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(repeat=args.repeat, demo_dir=args.demo)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"{result['proposer']} {result['version']}, {result['cpus']} CPUs, best of "
        f"{result['repeat']}; cold first clip {result['cold_first_clip_s']:.2f} s"
    )
    print(f"{'clip':<16} {'dur s':>5} " + " ".join(f"{s:>9}" for s in STAGES) + "   (s / RTF)")
    for r in result["clips"]:
        print(
            f"{r['clip']:<16} {r['duration_s']:5.2f} "
            + " ".join(f"{r['seconds'][s]:5.2f}/{r['rtf'][s]:.2f}"[:9].rjust(9) for s in STAGES)
        )
    print("overall RTF: " + ", ".join(f"{s} {v:.3f}" for s, v in result["rtf_overall"].items()))
    print(
        f"max per-clip RTF {result['max_rtf_total']:.3f} (budget {BUDGET}): "
        f"{'OK' if result['within_budget'] else 'OVER BUDGET'}"
    )
    return 0 if result["within_budget"] else 1


if __name__ == "__main__":
    sys.exit(main())
