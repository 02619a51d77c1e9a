"""Generate small test media with ffmpeg: good clips and every kind of bad upload.

Plain functions (no pytest, no Django) so that inference tests, Django service tests and
the benchmark can all share them. Each takes the output path first, writes that one file
and returns it as a Path. Every file is small and takes well under a second to make.

Example:
    >>> clip = make_clip(tmp_path / "clip.mp4", seconds=2.0, audio=True)
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

__all__ = [
    "make_audio_only",
    "make_clip",
    "make_still_image",
    "make_text_as_mp4",
    "make_truncated_mp4",
    "make_unknown_codec",
    "make_zero_length",
]

# Audio codec each container can hold without complaint.
_AUDIO_CODEC = {"mp4": "aac", "mov": "aac", "mkv": "aac", "avi": "libmp3lame", "webm": "libopus"}
# Fast settings per video encoder, so that a 2 s test clip takes tens of milliseconds.
_VIDEO_ARGS = {
    "libx264": ["-preset", "ultrafast", "-pix_fmt", "yuv420p"],
    "mpeg4": ["-q:v", "5"],
    "libvpx-vp9": ["-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k"],
    "mjpeg": ["-q:v", "5", "-pix_fmt", "yuvj420p"],
}


def _ffmpeg(args: list[str]) -> None:
    cmd = ["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y", *args]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"ffmpeg failed making test media: {' '.join(cmd)}\n{done.stderr}")


def make_clip(
    path,
    *,
    seconds: float = 2.0,
    fps: int | str = 25,
    size: tuple[int, int] = (320, 240),
    audio: bool = True,
    vcodec: str = "libx264",
    container: str = "mp4",
    faststart: bool = True,
    start_offset_s: float = 0,
    acodec: str | None = None,
    audio_rate: int = 44100,
    pix_fmt: str | None = None,
    extra_args: tuple[str, ...] = (),
) -> Path:
    """A test-pattern video (moving, so encoders do real work) with an optional sine tone.

    Args:
        path: output file; its name does not have to match ``container``.
        seconds: clip length.
        fps: frame rate (an int or an ffmpeg rational such as "30000/1001").
        size: (width, height).
        audio: add a 440 Hz tone of the same length.
        vcodec: ffmpeg encoder name (libx264, mpeg4, libvpx-vp9, mjpeg, ...).
        container: ffmpeg muxer (mp4, mov, mkv -> matroska, avi, webm).
        faststart: for mp4/mov, put the moov atom before mdat.
        start_offset_s: shift every timestamp so the first frame starts at this time.
        acodec: audio encoder; default depends on the container.
        audio_rate: sample rate of the tone.
        pix_fmt: override the encoder's pixel format (e.g. "yuv444p" for H.264 4:4:4).
        extra_args: more output options, passed through.
    Returns:
        The path written.
    """
    path = Path(path)
    w, h = size
    args = ["-f", "lavfi", "-i", f"testsrc2=size={w}x{h}:rate={fps}:duration={seconds}"]
    if audio:
        args += [
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:sample_rate={audio_rate}:duration={seconds}",
        ]
    args += ["-map", "0:v"]
    if audio:
        args += ["-map", "1:a", "-c:a", acodec or _AUDIO_CODEC.get(container, "aac")]
    args += ["-c:v", vcodec, *_VIDEO_ARGS.get(vcodec, [])]
    if pix_fmt:
        args += ["-pix_fmt", pix_fmt]
    if container in ("mp4", "mov") and faststart:
        args += ["-movflags", "+faststart"]
    if start_offset_s:
        args += ["-output_ts_offset", str(start_offset_s)]
    muxer = {"mkv": "matroska"}.get(container, container)
    args += [*extra_args, "-f", muxer, str(path)]
    _ffmpeg(args)
    return path


def make_audio_only(path, *, seconds: float = 1.0, container: str = "mp4") -> Path:
    """An AAC tone in an MP4 container: it looks like a clip by name, but has no picture."""
    path = Path(path)
    _ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=330:sample_rate=16000:duration={seconds}",
            "-c:a",
            "aac",
            "-f",
            container,
            str(path),
        ]
    )
    return path


def make_text_as_mp4(path, *, text: str = "This is not a video, just some notes.\n") -> Path:
    """A plain text file under a video's name."""
    path = Path(path)
    path.write_text(text * 20, encoding="utf-8")
    return path


def make_truncated_mp4(
    path, *, kind: str = "moov_at_end", keep: float = 0.5, seconds: float = 2.0
) -> Path:
    """An MP4 cut short, as an interrupted upload leaves it.

    Args:
        kind: "moov_at_end": a non-faststart file whose tail (holding the moov atom) is cut
            off, so ffprobe cannot read it at all; "mdat_cut": a faststart file cut in the
            middle of its media data, so ffprobe reads the header and reports the full
            duration but half the frames are missing.
        keep: fraction of the bytes kept.
    """
    if kind not in ("moov_at_end", "mdat_cut"):
        raise ValueError(f"kind must be 'moov_at_end' or 'mdat_cut', not {kind!r}")
    path = Path(path)
    make_clip(path, seconds=seconds, faststart=(kind == "mdat_cut"))
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def make_zero_length(path) -> Path:
    """An empty file, as a failed upload leaves it."""
    path = Path(path)
    path.write_bytes(b"")
    return path


def make_unknown_codec(path, *, tag: bytes = b"ZQXW") -> Path:
    """An AVI whose video fourcc is patched to a tag that no decoder knows.

    ffprobe still reads the container and finds a video stream, but cannot say what codec
    it is; ffmpeg cannot decode it.
    """
    if len(tag) != 4:
        raise ValueError("a fourcc is 4 bytes")
    path = Path(path)
    make_clip(
        path,
        seconds=0.5,
        vcodec="mpeg4",
        container="avi",
        audio=False,
        extra_args=("-vtag", "FMP4"),
    )
    data = path.read_bytes()
    # The tag sits in the stream header (strh fccHandler) and the format (strf biCompression).
    patched = data.replace(b"FMP4", tag)
    if patched == data:
        raise RuntimeError("fourcc FMP4 not found in the AVI; ffmpeg's AVI muxer changed")
    path.write_bytes(patched)
    return path


def make_still_image(path, *, fmt: str = "png", size: tuple[int, int] = (320, 240)) -> Path:
    """A single picture (PNG or JPEG), which is not a clip."""
    path = Path(path)
    codec = {"png": ("png", "image2"), "jpeg": ("mjpeg", "image2"), "jpg": ("mjpeg", "image2")}
    vcodec, muxer = codec[fmt]
    w, h = size
    _ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size={w}x{h}:rate=1",
            "-frames:v",
            "1",
            "-c:v",
            vcodec,
            "-f",
            muxer,
            "-update",
            "1",
            str(path),
        ]
    )
    return path


def ffmpeg_available() -> bool:
    return shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None
