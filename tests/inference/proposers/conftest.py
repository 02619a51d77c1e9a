"""The demo clips, derived once per session (16 kHz WAV through inference.media), and the
signal proposer's proposals for all of them, shared by the signal-proposer tests."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from fixtures.demo import build_demo
from inference.media import derive, probe
from inference.proposers import ClipInput, Proposal, SubtitleSegment
from inference.subtitles import parse_subtitles

CALM = ("sample_00000001", "sample_00000003", "sample_00000005", "sample_00000008")
EXCITED = ("sample_00000002", "sample_00000004", "sample_00000006")


@dataclass
class SignalDemo:
    root: Path
    clips: dict[str, ClipInput]
    proposals: dict[str, Proposal]
    expected: dict[str, str]  # name -> emotion in the manifest


def _clip(video: Path, media: Path, srt: Path | None) -> ClipInput:
    info = probe(video)
    derived = derive(video, media, info=info, thumb_count=1, n_frames=2)
    text, segments = "", ()
    if srt is not None and srt.is_file():
        subs = parse_subtitles(srt.read_bytes(), filename=srt.name)
        text = subs.text
        segments = tuple(SubtitleSegment(s.start_ms, s.end_ms, s.text) for s in subs.segments)
    return ClipInput(
        name=video.stem,
        video=video,
        audio=media / derived.audio if derived.audio else None,
        duration_ms=info.duration_ms,
        fps_num=info.fps_num,
        fps_den=info.fps_den,
        subtitle_text=text,
        subtitle_segments=segments,
    )


@pytest.fixture(scope="session")
def signal_demo(tmp_path_factory) -> SignalDemo:
    from inference.proposers.signals import SignalProposer

    root = tmp_path_factory.mktemp("signal-demo")
    demo = build_demo(root / "demo")
    clips = {c.name: _clip(c.video, root / "media" / c.name, c.subtitles) for c in demo.clips}
    proposer = SignalProposer()
    proposals = {name: proposer.propose(clip) for name, clip in clips.items()}
    return SignalDemo(
        root=root,
        clips=clips,
        proposals=proposals,
        expected={c.name: c.emotion for c in demo.clips},
    )


@pytest.fixture
def write_wav():
    """write_wav(path, samples in [-1, 1] (float), rate=16000) -> path, as 16-bit PCM."""

    def write(path: Path, samples: np.ndarray, rate: int = 16_000) -> Path:
        pcm = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2")
        with wave.open(str(path), "wb") as fh:
            fh.setnchannels(1)
            fh.setsampwidth(2)
            fh.setframerate(rate)
            fh.writeframes(pcm.tobytes())
        return path

    return write
