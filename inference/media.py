"""Clip ingestion, media side: check an uploaded file with ffprobe and derive what the
studio and the models need from it in one ffmpeg pass.

Pure Python on top of the ffmpeg/ffprobe binaries (through ffmpeg-python); no Django.

Every time here is integer milliseconds of media time measured from the first presented
video frame (ffprobe's start_time of the video stream is subtracted); frame numbers are
derived from time and the real frame rate, never the other way round.

Example:
    >>> info = probe("clip.mp4", max_bytes=500 * 2**20, max_duration_ms=120_000)
    >>> derived = derive("clip.mp4", "media/clips/7", info=info)
    >>> derived.proxy, derived.frames[0].time_ms
    ('proxy.mp4', 0)
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import ffmpeg
import numpy as np

__all__ = [
    "DerivedMedia",
    "MediaError",
    "MediaInfo",
    "SampledFrame",
    "Thumbnail",
    "derive",
    "probe",
    "sample_frame_indices",
    "sha256_file",
    "waveform_peaks",
]

AUDIO_SAMPLE_RATE = 16_000
# Container signatures: a file that starts like one of these but that ffprobe cannot read
# is a damaged video (an upload cut short), not some other kind of file.
_CONTAINER_MAGIC = (
    (4, b"ftyp"),
    (4, b"moov"),
    (4, b"mdat"),
    (4, b"free"),
    (4, b"wide"),
    (4, b"skip"),
    (0, b"RIFF"),
    (0, b"\x1a\x45\xdf\xa3"),
    (0, b"OggS"),
    (0, b"FLV"),
    (0, b"\x00\x00\x01\xba"),
)
_IMAGE_FORMATS = {
    "image2",
    "png_pipe",
    "jpeg_pipe",
    "bmp_pipe",
    "webp_pipe",
    "tiff_pipe",
    "gif",
    "gif_pipe",
    "jpegls_pipe",
    "j2k_pipe",
    "pgm_pipe",
    "ppm_pipe",
}
_IMAGE_CODECS = {"png", "mjpeg", "bmp", "webp", "tiff", "gif", "jpegls", "jpeg2000", "ppm", "pgm"}


class MediaError(ValueError):
    """An uploaded file cannot become a clip.

    Attributes:
        code: short machine code: "empty", "not_media", "damaged", "no_video",
            "unsupported_codec", "too_long", "too_large" or "ffmpeg_failed".
        message: what is wrong, naming the file, in words an uploader can act on.
    """

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def __reduce__(self):  # picklable, so it survives a Celery result backend
        return (type(self), (self.code, self.message))


@dataclass(frozen=True)
class MediaInfo:
    """What ffprobe found in a clip. Times in ms from the first presented video frame."""

    duration_ms: int
    fps_num: int
    fps_den: int
    width: int
    height: int
    start_ms: int
    frame_count: int
    frame_count_exact: bool
    video_codec: str
    pix_fmt: str
    has_audio: bool
    audio_codec: str | None
    audio_sample_rate: int | None
    audio_channels: int | None
    audio_start_ms: int | None  # relative to the first video frame; may be negative
    size_bytes: int
    format_name: str
    rotation: int = 0

    @property
    def fps(self) -> float:
        return self.fps_num / self.fps_den

    def frame_time_ms(self, index: int) -> int:
        """Media time of frame ``index`` at the real frame rate: the first whole ms inside it,
        so that ``frame_at_ms(frame_time_ms(i)) == i``."""
        return -(-index * 1000 * self.fps_den // self.fps_num)

    def frame_at_ms(self, time_ms: int) -> int:
        """The frame shown at ``time_ms`` (clamped to the clip)."""
        index = math.floor(time_ms * self.fps_num / (1000 * self.fps_den) + 1e-9)
        return min(max(index, 0), max(self.frame_count - 1, 0))


@dataclass(frozen=True)
class SampledFrame:
    file: str  # relative to the derived-media folder, e.g. "frames/frame_00.jpg"
    index: int  # frame number in the source, from 0 at the first presented frame
    time_ms: int


@dataclass(frozen=True)
class Thumbnail:
    index: int  # frame number in the source
    time_ms: int
    x: int  # left edge of this thumbnail in thumbs.jpg, in pixels
    width: int


@dataclass
class DerivedMedia:
    """Files written by :func:`derive`, relative to its ``out_dir``, with their metadata."""

    proxy: str
    proxy_mode: str  # "remux" (video stream copied) or "transcode"
    proxy_width: int
    proxy_height: int
    audio: str | None
    audio_duration_ms: int | None
    frames: list[SampledFrame]
    thumbs: str
    thumb_height: int
    thumbnails: list[Thumbnail]
    peaks: str | None
    peaks_samples_per_pixel: int | None
    settings: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------------- hashing


def sha256_file(path, *, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks so that large uploads do not fill memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------- probing


@functools.cache
def _decodable_codecs() -> frozenset[str]:
    out = subprocess.run(
        ["ffmpeg", "-hide_banner", "-codecs"], capture_output=True, text=True, check=True
    ).stdout
    names = set()
    for line in out.splitlines():
        m = re.match(r"^ (D)[.E][VASDT][.I][.L][.S] (\S+)", line)
        if m:
            names.add(m.group(2))
    return frozenset(names)


def _rate(text: str | None) -> Fraction | None:
    if not text or "/" not in text:
        return None
    num, den = text.split("/", 1)
    try:
        num_i, den_i = int(num), int(den)
    except ValueError:
        return None
    if num_i <= 0 or den_i <= 0:
        return None
    return Fraction(num_i, den_i)


def _real_frame_rate(stream: dict, frame_count: int | None, duration_s: float | None) -> Fraction:
    """Pick the clip's real frame rate.

    r_frame_rate is the exact base rate of a constant-rate stream but is inflated for
    variable-rate or field-coded streams (e.g. 1000/1 in some MKVs, or 50/1 for 25i);
    avg_frame_rate is frames / duration. Take r when the two agree within 1%, else avg.
    """
    r = _rate(stream.get("r_frame_rate"))
    avg = _rate(stream.get("avg_frame_rate"))
    if r and avg:
        return r if abs(r - avg) / avg < Fraction(1, 100) else avg
    if avg or r:
        return avg or r
    if frame_count and duration_s:
        return Fraction(frame_count / duration_s).limit_denominator(1001)
    return Fraction(25)


def _seconds(value) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _tag_duration(stream: dict) -> float | None:
    # Matroska/WebM keep per-stream durations in a tag such as "00:00:02.007000000".
    text = (stream.get("tags") or {}).get("DURATION")
    if not text:
        return None
    m = re.match(r"^(\d+):(\d\d):(\d\d(?:\.\d+)?)$", text.strip())
    if not m:
        return None
    return int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))


def _first_error_lines(stderr: str, limit: int = 3) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    # Drop ffmpeg's banner and configuration lines; keep what explains the failure.
    lines = [
        ln
        for ln in lines
        if not re.match(r"^(ffmpeg|ffprobe) version|^built with|^configuration:|^lib\w+\s+\d", ln)
    ]
    # "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55e2...] moov atom not found" -> "mov,mp4,...: moov ..."
    lines = [re.sub(r"^\[([^\]@]+?) @ 0x[0-9a-f]+\]\s*", r"\1: ", ln) for ln in lines]
    return "; ".join(lines[:limit])


def _looks_like_container(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(16)
    return any(head[off : off + len(magic)] == magic for off, magic in _CONTAINER_MAGIC)


def _human_bytes(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"  # pragma: no cover


def _human_ms(ms: int) -> str:
    return f"{ms / 1000:.1f} s"


def probe(
    path,
    *,
    max_bytes: int | None = None,
    max_duration_ms: int | None = None,
    display_name: str | None = None,
) -> MediaInfo:
    """Read a clip's streams with ffprobe (never trusting its file name) and check it.

    Args:
        path: the uploaded file.
        max_bytes: reject files larger than this ("too_large").
        max_duration_ms: reject clips longer than this ("too_long").
        display_name: the name to use in messages (the user's file name, where ``path`` is
            a temporary or generated one).
    Returns:
        A :class:`MediaInfo`.
    Raises:
        MediaError: with ``code`` empty, not_media, damaged, no_video, unsupported_codec,
            too_large or too_long.
    Example:
        >>> probe("clip.mp4").fps
        25.0
    """
    path = Path(path)
    name = display_name or path.name
    size = path.stat().st_size
    if size == 0:
        raise MediaError(
            "empty",
            f"{name} is empty (0 bytes): the upload did not complete; upload the file again.",
        )
    if max_bytes is not None and size > max_bytes:
        raise MediaError(
            "too_large",
            f"{name} is too large: {_human_bytes(size)}, over the "
            f"limit of {_human_bytes(max_bytes)}.",
        )
    try:
        # count_packets demuxes (without decoding) to count the frames really present,
        # which exposes files cut short behind an intact header.
        data = ffmpeg.probe(str(path), count_packets=None)
    except ffmpeg.Error as exc:
        stderr = exc.stderr.decode("utf-8", "replace") if exc.stderr else ""
        detail = _first_error_lines(stderr)
        if "detected only with low score" not in stderr and (
            _looks_like_container(path) or "moov atom not found" in stderr
        ):
            raise MediaError(
                "damaged",
                f"{name} is damaged: it starts like a video file but "
                f"ffprobe cannot read it ({detail}); it was probably "
                "cut short during upload or export.",
            ) from None
        raise MediaError(
            "not_media", f"{name} is not a video or audio file that ffprobe can read ({detail})."
        ) from None

    fmt = data.get("format", {})
    streams = data.get("streams", [])
    format_name = fmt.get("format_name", "")
    videos = [
        s
        for s in streams
        if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")
    ]
    audios = [s for s in streams if s.get("codec_type") == "audio"]
    if not videos:
        holds = "audio only" if audios else "no audio or video streams"
        raise MediaError(
            "no_video", f"{name} is not a video: ffprobe found no video stream (it holds {holds})."
        )
    video = videos[0]
    codec = video.get("codec_name")
    packets = int(video.get("nb_read_packets") or 0)
    if format_name in _IMAGE_FORMATS or (codec in _IMAGE_CODECS and packets <= 1):
        raise MediaError(
            "no_video",
            f"{name} is a still image ({codec or format_name}), "
            "not a video clip: upload the video it was taken from.",
        )
    if not codec or codec in ("none", "unknown") or codec not in _decodable_codecs():
        tag = video.get("codec_tag_string") or "?"
        what = (
            f"codec '{codec}'" if codec and codec not in ("none", "unknown") else "an unknown codec"
        )
        raise MediaError(
            "unsupported_codec",
            f"{name} uses {what} (fourcc/tag '{tag}') that "
            "this server's ffmpeg cannot decode; re-encode "
            "it as H.264 MP4.",
        )

    header_frames = int(video.get("nb_frames") or 0)
    if header_frames and packets < header_frames * 0.9 - 1:
        raise MediaError(
            "damaged",
            f"{name} is damaged: its header lists {header_frames} "
            f"video frames but only {packets} are in the file; it was "
            "probably cut short during upload.",
        )
    if packets == 0:
        raise MediaError("damaged", f"{name} is damaged: its video stream holds no frames.")

    start_s = _seconds(video.get("start_time"))
    if start_s is None:
        start_s = _seconds(fmt.get("start_time")) or 0.0
    dur_s = _seconds(video.get("duration")) or _tag_duration(video)
    if dur_s is None:
        fmt_dur = _seconds(fmt.get("duration"))
        if fmt_dur is not None:
            dur_s = (_seconds(fmt.get("start_time")) or 0.0) + fmt_dur - start_s
    rate = _real_frame_rate(video, packets, dur_s)
    if dur_s is None or dur_s <= 0:
        dur_s = packets / rate
    frame_count = packets or max(1, round(dur_s * rate))
    duration_ms = round(dur_s * 1000)
    if max_duration_ms is not None and duration_ms > max_duration_ms:
        raise MediaError(
            "too_long",
            f"{name} is too long: {_human_ms(duration_ms)}, over the "
            f"limit of {_human_ms(max_duration_ms)}; cut it into "
            "shorter clips.",
        )

    rotation = 0
    for side in video.get("side_data_list") or []:
        if "rotation" in side:
            rotation = int(float(side["rotation"])) % 360
    rotation = rotation or int(float((video.get("tags") or {}).get("rotate", 0))) % 360
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if rotation in (90, 270):  # ffmpeg rotates while decoding: report what is seen
        width, height = height, width
    if not width or not height:
        raise MediaError("damaged", f"{name} is damaged: its video stream has no picture size.")

    audio = audios[0] if audios else None
    audio_start_ms = None
    if audio is not None:
        a_start = _seconds(audio.get("start_time"))
        audio_start_ms = round(((a_start if a_start is not None else start_s) - start_s) * 1000)
    return MediaInfo(
        duration_ms=duration_ms,
        fps_num=rate.numerator,
        fps_den=rate.denominator,
        width=width,
        height=height,
        start_ms=round(start_s * 1000),
        frame_count=frame_count,
        frame_count_exact=bool(packets),
        video_codec=codec,
        pix_fmt=video.get("pix_fmt") or "",
        has_audio=audio is not None,
        audio_codec=audio.get("codec_name") if audio else None,
        audio_sample_rate=int(audio["sample_rate"]) if audio and audio.get("sample_rate") else None,
        audio_channels=int(audio["channels"]) if audio and audio.get("channels") else None,
        audio_start_ms=audio_start_ms,
        size_bytes=size,
        format_name=format_name,
        rotation=rotation,
    )


# --------------------------------------------------------------------------------- deriving


def sample_frame_indices(frame_count: int, n_frames: int = 16) -> list[int]:
    """Indices of the frames the model sees, exactly as XEmoGPT's reference code picks them.

    W11H08Z/XEmoGPT, utils/video_processor.py, load_video(num_frames=16):
    ``np.linspace(0, total_frames - 1, num=num_frames, dtype=int)`` — the first and the last
    frame included, and indices repeated when a clip has fewer frames than that.
    """
    if frame_count <= 0 or n_frames <= 0:
        raise ValueError("frame_count and n_frames must be positive")
    return np.linspace(0, frame_count - 1, num=n_frames, dtype=int).tolist()


def waveform_peaks(
    samples: np.ndarray, *, samples_per_pixel: int, sample_rate: int = AUDIO_SAMPLE_RATE
) -> dict:
    """Min/max peaks of mono int16 audio in BBC audiowaveform's JSON format (version 2, 8 bit).

    Each pixel covers ``samples_per_pixel`` samples; the last may cover fewer.
    """
    if samples_per_pixel <= 0:
        raise ValueError("samples_per_pixel must be positive")
    samples = np.asarray(samples, dtype=np.int16).ravel()
    n = samples.size
    length = -(-n // samples_per_pixel)
    data = np.zeros((length, 2), dtype=np.int16)
    full = n // samples_per_pixel
    if full:
        blocks = samples[: full * samples_per_pixel].reshape(full, samples_per_pixel)
        data[:full, 0] = blocks.min(axis=1)
        data[:full, 1] = blocks.max(axis=1)
    if full < length:
        tail = samples[full * samples_per_pixel :]
        data[full] = (tail.min(), tail.max())
    data = np.right_shift(data, 8)  # 16-bit to 8-bit, as audiowaveform -b 8 does
    return {
        "version": 2,
        "channels": 1,
        "sample_rate": sample_rate,
        "samples_per_pixel": samples_per_pixel,
        "bits": 8,
        "length": int(length),
        "data": data.ravel().tolist(),
    }


def _even(x: float) -> int:
    return max(2, int(x) // 2 * 2)


def _select_expr(indices: list[int]) -> str:
    return "+".join(f"eq(n\\,{i})" for i in indices)


def _can_remux(info: MediaInfo, remux_max_height: int) -> bool:
    return (
        info.video_codec == "h264"
        and info.pix_fmt == "yuv420p"
        and info.height <= remux_max_height
        and info.width % 2 == 0
        and info.height % 2 == 0
        and info.rotation == 0
    )


def _read_progress(path: Path) -> dict:
    last: dict = {}
    block: dict = {}
    if not path.exists():
        return last
    for line in path.read_text(errors="replace").splitlines():
        key, _, value = line.partition("=")
        block[key.strip()] = value.strip()
        if key == "progress":
            last, block = block, {}
    return last


_DAMAGE_HINTS = re.compile(
    r"partial file|invalid nal|error splitting|corrupt|truncat|end of file|"
    r"invalid data|error while decoding|concealing|missing picture|decode_slice|"
    r"reference picture missing|packet too small|non-existing pps|no frame",
    re.I,
)


def derive(
    source,
    out_dir,
    *,
    info: MediaInfo,
    n_frames: int = 16,
    thumb_count: int = 10,
    thumb_height: int = 90,
    proxy_max_height: int = 720,
    remux_max_height: int = 1080,
    peaks_samples_per_pixel: int = 160,
    x264_preset: str = "superfast",
    crf: int = 23,
    display_name: str | None = None,
) -> DerivedMedia:
    """Write the browser proxy, 16 kHz WAV, model frames, thumbnail strip and waveform peaks.

    One ffmpeg process decodes the clip once: the video is split to the proxy encoder (or
    the proxy is a stream copy when the source already is browser-ready H.264), the frame
    sampler and the thumbnail strip; the audio goes to the WAV (and the proxy). Output is
    built in a temporary folder beside ``out_dir`` and renamed into place at the end, so a
    failure leaves no half-written media (a previous ``out_dir`` is replaced only on
    success).

    Args:
        source: the clip, already checked by :func:`probe`.
        out_dir: folder to create (or replace) with the derived files.
        info: :func:`probe`'s result for ``source``.
        n_frames: frames sampled for the model (XEmoGPT uses 16).
        thumb_count: thumbnails in the timeline strip, evenly spaced in time.
        thumb_height: thumbnail height in pixels.
        proxy_max_height: a transcoded proxy is scaled down to at most this height.
        remux_max_height: browser-ready H.264 up to this height is stream-copied as it is
            (browsers play it; re-encoding would cost several decodes of the clip).
        peaks_samples_per_pixel: waveform resolution (16 kHz samples per peak pair).
        display_name: the name to use in messages (defaults to ``source``'s file name).
    Returns:
        A :class:`DerivedMedia` with file names relative to ``out_dir``.
    Raises:
        MediaError: "damaged" if decoding hits errors or stops short, "ffmpeg_failed"
            otherwise.
    Example:
        >>> d = derive("clip.mp4", "media/7", info=probe("clip.mp4"))
        >>> [f.time_ms for f in d.frames][:3]
        [0, 120, 240]
    """
    source = Path(source)
    out_dir = Path(out_dir)
    name = display_name or source.name
    if n_frames <= 0 or thumb_count <= 0 or thumb_height <= 0 or peaks_samples_per_pixel <= 0:
        raise ValueError(
            "n_frames, thumb_count, thumb_height and peaks_samples_per_pixel must be positive"
        )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        result = _derive_into(
            source,
            work,
            info=info,
            n_frames=n_frames,
            thumb_count=thumb_count,
            thumb_height=thumb_height,
            proxy_max_height=proxy_max_height,
            remux_max_height=remux_max_height,
            peaks_samples_per_pixel=peaks_samples_per_pixel,
            x264_preset=x264_preset,
            crf=crf,
            name=name,
        )
        (work / "ffmpeg-progress.txt").unlink(missing_ok=True)
        old = None
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}-{id(work)}")
            out_dir.rename(old)
        work.rename(out_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return result
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _derive_into(
    source: Path,
    work: Path,
    *,
    info: MediaInfo,
    n_frames: int,
    thumb_count: int,
    thumb_height: int,
    proxy_max_height: int,
    remux_max_height: int,
    peaks_samples_per_pixel: int,
    x264_preset: str,
    crf: int,
    name: str,
) -> DerivedMedia:
    (work / "frames").mkdir()
    frame_count = max(1, info.frame_count)

    # Model frames: indices by XEmoGPT's formula; times follow from the real frame rate.
    frame_indices = sample_frame_indices(frame_count, n_frames)
    unique_frames = sorted(set(frame_indices))

    # Thumbnails: evenly spaced in time (the middle of each of thumb_count equal slices).
    n_thumbs = min(thumb_count, frame_count)
    thumb_indices = sorted(
        {info.frame_at_ms(round((k + 0.5) * info.duration_ms / n_thumbs)) for k in range(n_thumbs)}
    )
    n_thumbs = len(thumb_indices)
    thumb_w = _even(info.width * thumb_height / info.height + 1)

    remux = _can_remux(info, max(remux_max_height, proxy_max_height))
    if remux:
        proxy_w, proxy_h = info.width, info.height
    else:
        proxy_h = _even(min(info.height, proxy_max_height))
        proxy_w = _even(info.width * proxy_h / info.height + 1)

    graph = [
        "[0:v:0]split=3[vp][vf][vt]",
        f"[vf]select='{_select_expr(unique_frames)}'[frames]",
        f"[vt]select='{_select_expr(thumb_indices)}',scale={thumb_w}:{thumb_height},"
        f"setsar=1,tile={n_thumbs}x1[thumbs]",
    ]
    if remux:
        graph[0] = "[0:v:0]split=2[vf][vt]"
    else:
        graph.append(f"[vp]scale={proxy_w}:{proxy_h},setsar=1,format=yuv420p[proxy]")
    if info.has_audio:
        # Align the WAV with the first video frame: drop audio before it, pad a late start.
        offset = info.audio_start_ms or 0
        align = (
            f"atrim=start={-offset / 1000:.3f},asetpts=PTS-STARTPTS,"
            if offset < 0
            else f"adelay={offset}:all=1,"
            if offset > 0
            else ""
        )
        graph.append(
            f"[0:a:0]{align}aresample={AUDIO_SAMPLE_RATE},"
            f"aformat=sample_fmts=s16:channel_layouts=mono[wav]"
        )

    progress = work / "ffmpeg-progress.txt"
    cmd = [
        "ffmpeg",
        "-hide_banner",
        "-nostdin",
        "-nostats",
        "-v",
        "error",
        "-y",
        "-progress",
        str(progress),
        "-i",
        str(source),
        "-filter_complex",
        ";".join(graph),
    ]
    # Proxy.
    if remux:
        cmd += ["-map", "0:v:0", "-c:v", "copy"]
    else:
        cmd += [
            "-map",
            "[proxy]",
            "-c:v",
            "libx264",
            "-preset",
            x264_preset,
            "-crf",
            str(crf),
            "-profile:v",
            "high",
            "-pix_fmt",
            "yuv420p",
        ]
    if info.has_audio:
        cmd += ["-map", "0:a:0"]
        if remux and info.audio_codec == "aac":
            cmd += ["-c:a", "copy"]
        else:
            cmd += ["-c:a", "aac", "-b:a", "128k"]
            if (info.audio_channels or 1) > 2:
                cmd += ["-ac", "2"]
    cmd += [
        "-fps_mode",
        "passthrough",
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
        str(work / "proxy.mp4"),
    ]
    # Model frames (full resolution), numbered in the order they were selected.
    cmd += [
        "-map",
        "[frames]",
        "-fps_mode",
        "passthrough",
        "-q:v",
        "2",
        "-f",
        "image2",
        "-start_number",
        "0",
        str(work / "frames" / "sel_%02d.jpg"),
    ]
    # Thumbnail strip.
    cmd += [
        "-map",
        "[thumbs]",
        "-frames:v",
        "1",
        "-q:v",
        "4",
        "-f",
        "image2",
        "-update",
        "1",
        str(work / "thumbs.jpg"),
    ]
    if info.has_audio:
        cmd += ["-map", "[wav]", "-c:a", "pcm_s16le", "-f", "wav", str(work / "audio.wav")]

    done = subprocess.run(cmd, capture_output=True, text=True)
    stderr = done.stderr or ""
    if done.returncode != 0:
        detail = _first_error_lines(stderr)
        if _DAMAGE_HINTS.search(stderr):
            raise MediaError(
                "damaged", f"{name} is damaged: ffmpeg could not decode it ({detail})."
            )
        raise MediaError(
            "ffmpeg_failed",
            f"Processing {name} failed: ffmpeg exited with status {done.returncode} ({detail}).",
        )
    if stderr.strip():
        # -v error: anything printed is a decode or demux error. A clip with broken frames
        # must not become a proxy that silently skips them.
        raise MediaError(
            "damaged",
            f"{name} is damaged: ffmpeg reported errors while "
            f"decoding it ({_first_error_lines(stderr)}).",
        )
    report = _read_progress(progress)
    out_us = _seconds(report.get("out_time_us"))
    if out_us is not None and info.duration_ms > 1000:
        decoded_ms = out_us / 1000
        if decoded_ms < info.duration_ms * 0.9 - 100:
            raise MediaError(
                "damaged",
                f"{name} is damaged: only {_human_ms(round(decoded_ms))} "
                f"of its {_human_ms(info.duration_ms)} could be decoded.",
            )

    # Frames came out in index order; name them by sample position (repeats are copied).
    selected = sorted((work / "frames").glob("sel_*.jpg"))
    if len(selected) != len(unique_frames):
        raise MediaError(
            "damaged",
            f"{name} is damaged: only {len(selected)} of the "
            f"{len(unique_frames)} sampled frames could be decoded.",
        )
    by_index = dict(zip(unique_frames, selected, strict=True))
    frames = []
    for pos, index in enumerate(frame_indices):
        rel = f"frames/frame_{pos:02d}.jpg"
        shutil.copyfile(by_index[index], work / rel)
        frames.append(SampledFrame(file=rel, index=index, time_ms=info.frame_time_ms(index)))
    for path in selected:
        path.unlink()
    if not (work / "thumbs.jpg").exists() or not (work / "proxy.mp4").exists():
        raise MediaError(
            "ffmpeg_failed", f"Processing {name} failed: ffmpeg wrote no proxy or thumbnails."
        )
    thumbnails = [
        Thumbnail(index=i, time_ms=info.frame_time_ms(i), x=k * thumb_w, width=thumb_w)
        for k, i in enumerate(thumb_indices)
    ]

    audio_rel = peaks_rel = None
    audio_ms = None
    if info.has_audio:
        audio_rel = "audio.wav"
        with wave.open(str(work / audio_rel), "rb") as wav:
            pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        audio_ms = round(pcm.size * 1000 / AUDIO_SAMPLE_RATE)
        peaks_rel = "peaks.json"
        peaks = waveform_peaks(pcm, samples_per_pixel=peaks_samples_per_pixel)
        (work / peaks_rel).write_text(json.dumps(peaks, separators=(",", ":")))

    return DerivedMedia(
        proxy="proxy.mp4",
        proxy_mode="remux" if remux else "transcode",
        proxy_width=proxy_w,
        proxy_height=proxy_h,
        audio=audio_rel,
        audio_duration_ms=audio_ms,
        frames=frames,
        thumbs="thumbs.jpg",
        thumb_height=thumb_height,
        thumbnails=thumbnails,
        peaks=peaks_rel,
        peaks_samples_per_pixel=peaks_samples_per_pixel if peaks_rel else None,
        settings={
            "n_frames": n_frames,
            "frame_sampling": "xemogpt-linspace",
            "thumb_count": thumb_count,
            "proxy_max_height": proxy_max_height,
            "remux_max_height": remux_max_height,
            "x264_preset": x264_preset,
            "crf": crf,
            "audio_sample_rate": AUDIO_SAMPLE_RATE,
        },
    )
