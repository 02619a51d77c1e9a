"""From a clip (ClipInput) to what XEmoGPT takes: 16 frames, 12 s of 16 kHz audio, subtitle.

Frames: the clip's stored frames (``ClipInput.frames``: the 16 that ingestion sampled with
:func:`inference.media.sample_frame_indices`, the reference loader's
``np.linspace(0, n - 1, 16, dtype=int)``, so the model sees what the annotator sees) or,
with ``frame_sampling="reference"`` or when there are none, the same indices decoded from
the video itself.
Audio: the 16 kHz mono WAV, first 12 s, as float in [-1, 1) (librosa's scale, which the
reference uses); HuBERT's normalisation is applied later by the feature extractor.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

from inference.media import MediaError, probe, sample_frame_indices
from inference.proposers.base import ClipInput, ProposalError

from .model import Sample

__all__ = [
    "FRAME_SAMPLINGS",
    "load_audio",
    "load_frames",
    "reference_frame_indices",
    "sample_from_clip",
]

FRAME_SAMPLINGS = ("studio", "reference")


def reference_frame_indices(frame_count: int, n_frames: int = 16) -> list[int]:
    """The reference loader's frame choice (the same as ingestion's)."""
    return sample_frame_indices(frame_count, n_frames)


def _open_rgb(path: Path):
    from PIL import Image

    with Image.open(path) as image:
        return image.convert("RGB")


def load_frames(clip: ClipInput, *, n_frames: int = 16, frame_sampling: str = "studio") -> list:
    """``n_frames`` RGB PIL images of the clip, in time order.

    Raises:
        ProposalError: no frame can be read (the message names the clip and the cause).
    """
    if frame_sampling not in FRAME_SAMPLINGS:
        raise ValueError(f"frame_sampling must be one of {FRAME_SAMPLINGS}, not {frame_sampling!r}")
    if clip.frames and frame_sampling == "studio":
        stored = [Path(p) for _, p in sorted(clip.frames, key=lambda item: item[0])]
        picks = sample_frame_indices(len(stored), n_frames)
        try:
            return [_open_rgb(stored[i]) for i in picks]
        except OSError as error:
            raise ProposalError(f"{clip.name}: a sampled frame cannot be read: {error}") from None
    return _decode_frames(clip, n_frames=n_frames, frame_sampling=frame_sampling)


def _decode_frames(clip: ClipInput, *, n_frames: int, frame_sampling: str) -> list:
    try:
        info = probe(clip.video)
    except MediaError as error:
        raise ProposalError(f"{clip.name}: the video cannot be read: {error.message}") from None
    except OSError as error:
        raise ProposalError(f"{clip.name}: the video cannot be read: {error}") from None
    if info.frame_count <= 0:
        raise ProposalError(f"{clip.name}: the video has no frames")
    pick = sample_frame_indices if frame_sampling == "studio" else reference_frame_indices
    indices = pick(info.frame_count, n_frames)
    unique = sorted(set(indices))
    select = "+".join(f"eq(n\\,{i})" for i in unique)
    work = Path(tempfile.mkdtemp(prefix="xemogpt-frames-"))
    try:
        command = [
            shutil.which("ffmpeg") or "ffmpeg",
            "-v",
            "error",
            "-nostdin",
            "-i",
            str(clip.video),
            "-map",
            "0:v:0",
            "-vf",
            f"select='{select}'",
            "-fps_mode",
            "passthrough",
            "-f",
            "image2",
            "-start_number",
            "0",
            str(work / "f_%03d.png"),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        files = sorted(work.glob("f_*.png"))
        if len(files) != len(unique):
            detail = done.stderr.strip().splitlines()[-1:] or ["no error text"]
            raise ProposalError(
                f"{clip.name}: only {len(files)} of {len(unique)} sampled frames could be "
                f"decoded ({detail[0]})"
            )
        by_index = {index: _open_rgb(file) for index, file in zip(unique, files, strict=True)}
        return [by_index[i] for i in indices]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def load_audio(path: Path, *, seconds: float = 12.0, sample_rate: int = 16_000) -> np.ndarray:
    """The first ``seconds`` of a 16 kHz mono 16-bit WAV as float32 in [-1, 1).

    Raises:
        ProposalError: not such a WAV (the message says what it is instead).
    """
    try:
        with wave.open(str(path), "rb") as wav:
            rate, channels, width = wav.getframerate(), wav.getnchannels(), wav.getsampwidth()
            if rate != sample_rate or channels != 1 or width != 2:
                raise ProposalError(
                    f"audio {Path(path).name} is {rate} Hz, {channels} channel(s), "
                    f"{8 * width}-bit; XEmoGPT needs {sample_rate} Hz mono 16-bit"
                )
            frames = wav.readframes(min(wav.getnframes(), int(round(seconds * sample_rate))))
    except (OSError, EOFError, wave.Error) as error:
        raise ProposalError(f"audio {Path(path).name} cannot be read: {error}") from None
    return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0


def sample_from_clip(
    clip: ClipInput,
    *,
    n_frames: int = 16,
    audio_seconds: float = 12.0,
    min_audio_samples: int = 400,
    use_video: bool = True,
    use_audio: bool = True,
    use_subtitle: bool = True,
    frame_sampling: str = "studio",
) -> tuple[Sample, list[str]]:
    """The model input for one clip, and notes on what was left out and why.

    Args:
        clip: the clip.
        n_frames, audio_seconds: from the model config.
        min_audio_samples: shorter audio gives HuBERT no frame and is left out.
        use_video, use_audio, use_subtitle: which parts to give the model.
        frame_sampling: "studio" (the ingested frames) or "reference" (see module doc).

    Raises:
        ProposalError: the clip leaves nothing to give the model, or its media is broken.
    """
    notes: list[str] = []
    frames = (
        load_frames(clip, n_frames=n_frames, frame_sampling=frame_sampling) if use_video else None
    )
    audio = None
    if use_audio:
        if clip.audio is None:
            notes.append("The clip has no audio; XEmoGPT saw video and subtitle only.")
        else:
            audio = load_audio(clip.audio, seconds=audio_seconds)
            if audio.size < min_audio_samples:
                notes.append(
                    "The audio is too short for HuBERT; XEmoGPT saw video and subtitle only."
                )
                audio = None
            elif clip.duration_ms > audio_seconds * 1000:
                notes.append(f"XEmoGPT heard the first {audio_seconds:g} s of the audio only.")
    subtitle = ""
    if use_subtitle:
        # the text, or the timed segments alone (a subtitle read from the picture, or one a
        # caller gave only as segments): the prompt gets the subtitle whatever its source
        subtitle = clip.subtitle_text.strip() or " ".join(
            " ".join(seg.text.split()) for seg in clip.subtitle_segments if seg.text.strip()
        )
    if frames is None and audio is None and not subtitle:
        raise ProposalError(
            f"{clip.name}: nothing to give XEmoGPT (no frames, no audio, no subtitle)"
        )
    return Sample(subtitle=subtitle, frames=frames, audio=audio), notes
