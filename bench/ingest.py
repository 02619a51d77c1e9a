"""Ingest budget: probe + derive must take at most 2x a bare ffmpeg decode of the same clip.

Generates representative clips into a temporary folder, then for each one times, in the
same run, a bare ``ffmpeg -i CLIP -f null -`` decode and ``probe`` + ``derive`` (best of
``--repeat`` each), and prints a table with the ratio.

Usage:
    python bench/ingest.py [--repeat 3] [--seconds 10] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inference.media import derive, probe  # noqa: E402
from tests.mediafiles import make_clip  # noqa: E402

BUDGET = 2.0


def _talking_head(
    path: Path, *, seconds: float, size=(1280, 720), fps=25, vcodec="libx264", container="mp4"
) -> Path:
    """A 'talking head': a face photo (scikit-image's astronaut) with slow zoom and speech.

    The content matters for the encoder: a mostly static face with small motion, like the
    corpus clips, not a noise pattern. Falls back to testsrc2 without scikit-image/espeak.
    """
    w, h = size
    try:
        from PIL import Image
        from skimage import data
    except ImportError:
        return make_clip(
            path, seconds=seconds, fps=fps, size=size, vcodec=vcodec, container=container
        )
    face = path.with_suffix(".face.png")
    Image.fromarray(data.astronaut()).save(face)
    speech = path.with_suffix(".speech.wav")
    text = (
        "I really did not expect to see you here today. Honestly, it makes me so happy. "
        "But why did you not call me first? "
    ) * 3
    have_espeak = shutil.which("espeak-ng") is not None
    if have_espeak:
        subprocess.run(["espeak-ng", "-w", str(speech), text], check=True, capture_output=True)
    audio_in = (
        ["-i", str(speech)]
        if have_espeak
        else ["-f", "lavfi", "-i", f"sine=frequency=220:duration={seconds}"]
    )
    acodec = {"mp4": "aac", "webm": "libopus", "avi": "libmp3lame"}.get(container, "aac")
    venc = {
        "libx264": ["-preset", "medium", "-crf", "23", "-pix_fmt", "yuv420p"],
        "libvpx-vp9": ["-deadline", "realtime", "-cpu-used", "8", "-b:v", "1500k", "-row-mt", "1"],
        "mpeg4": ["-q:v", "4"],
    }[vcodec]
    frames = int(seconds * fps)
    vf = (
        f"scale=-2:{h * 2},zoompan=z='1.1+0.05*sin(2*PI*on/{fps * 4})':"
        f"x='iw/2-(iw/zoom/2)+20*sin(2*PI*on/{fps * 3})':y='ih/2-(ih/zoom/2)':"
        f"d={frames}:s={w}x{h}:fps={fps},noise=alls=6:allf=t"
    )
    cmd = [
        "ffmpeg",
        "-hide_banner",
        "-nostdin",
        "-v",
        "error",
        "-y",
        "-loop",
        "1",
        "-i",
        str(face),
        *audio_in,
        "-filter_complex",
        f"[0:v]{vf}[v];[1:a]apad[a]",
        "-map",
        "[v]",
        "-map",
        "[a]",
        "-t",
        str(seconds),
        "-c:v",
        vcodec,
        *venc,
        "-c:a",
        acodec,
        "-ar",
        "48000",
        "-ac",
        "2",
        "-f",
        container,
        str(path),
    ]
    subprocess.run(cmd, check=True, capture_output=True)
    face.unlink()
    speech.unlink(missing_ok=True)
    return path


def _best_of(repeat: int, fn) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _decode_to_null(clip: Path) -> None:
    """The bare decode the budget is measured against: every frame decoded, nothing kept."""
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-i", str(clip), "-f", "null", "-"],
        check=True,
        capture_output=True,
    )


def _ingest(clip: Path, out: Path, modes: list[str]) -> None:
    """probe + derive once; records the proxy mode derive chose."""
    info = probe(clip)
    modes.append(derive(clip, out, info=info).proxy_mode)


def bench(*, repeat: int = 3, seconds: float = 10.0) -> dict:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        tmp = Path(tmp)
        clips = [
            (
                "talking head 720p25 H.264+AAC (remux)",
                _talking_head(tmp / "head_h264.mp4", seconds=seconds),
            ),
            (
                "talking head 720p25 VP9+Opus webm (transcode)",
                _talking_head(
                    tmp / "head_vp9.webm", seconds=seconds, vcodec="libvpx-vp9", container="webm"
                ),
            ),
            (
                "talking head 720p25 MPEG-4 part 2+MP3 avi (transcode)",
                _talking_head(
                    tmp / "head_mpeg4.avi", seconds=seconds, vcodec="mpeg4", container="avi"
                ),
            ),
            (
                "talking head 1080p25 H.264+AAC (remux: browsers play 1080p H.264)",
                _talking_head(tmp / "head_1080.mp4", seconds=seconds, size=(1920, 1080)),
            ),
        ]
        for label, clip in clips:
            bare = _best_of(repeat, partial(_decode_to_null, clip))
            modes: list[str] = []
            t_ingest = _best_of(repeat, partial(_ingest, clip, tmp / "out" / clip.stem, modes))
            t_probe = _best_of(repeat, partial(probe, clip))
            rows.append(
                {
                    "clip": label,
                    "file": clip.name,
                    "size_bytes": clip.stat().st_size,
                    "proxy_mode": modes[-1],
                    "bare_decode_s": round(bare, 3),
                    "probe_s": round(t_probe, 3),
                    "ingest_s": round(t_ingest, 3),
                    "ratio": round(t_ingest / bare, 2),
                    "within_budget": t_ingest / bare <= BUDGET,
                }
            )
    return {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
        "ffmpeg": subprocess.run(
            ["ffmpeg", "-version"], capture_output=True, text=True
        ).stdout.split("\n")[0],
        "clip_seconds": seconds,
        "repeat": repeat,
        "budget_ratio": BUDGET,
        "rows": rows,
    }


def _table(result: dict) -> str:
    head = (
        f"ingest = probe + derive, best of {result['repeat']}; bare = ffmpeg -i CLIP -f null -"
        f", best of {result['repeat']}; {result['clip_seconds']:g} s clips\n"
        f"{result['date']}, {result['machine']}, {result['ffmpeg']}\n\n"
    )
    lines = [
        "| clip | proxy | bare decode s | probe s | ingest s | ratio | <= 2x |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['clip']} | {r['proxy_mode']} | {r['bare_decode_s']:.3f} | "
            f"{r['probe_s']:.3f} | {r['ingest_s']:.3f} | {r['ratio']:.2f} | "
            f"{'yes' if r['within_budget'] else 'NO'} |"
        )
    return head + "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    result = bench(repeat=args.repeat, seconds=args.seconds)
    print(json.dumps(result, indent=2) if args.json else _table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
