"""Sample the subtitle band of a video with one ffmpeg process.

ffmpeg decodes the clip once, keeps every ``step``-th frame (``select``), crops the band
(the bottom third, :mod:`inference.ocr.layout`), scales very wide bands down and pipes raw
BGR pixels, so Python only ever sees a few small images a second. Frames are picked by
number at the clip's real frame rate, as everywhere in :mod:`inference.media`, and each
carries its media time in ms from the first presented frame.
"""

from __future__ import annotations

import math
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import ffmpeg
import numpy as np

from inference.media import MediaInfo
from inference.ocr.errors import OcrError
from inference.ocr.layout import band_rows

__all__ = ["BandFrame", "BandGeometry", "band_geometry", "sample_band", "sampling_step"]

MAX_BAND_WIDTH = 1280  # wider bands are scaled down: subtitles stay 25+ px high at 1280


@dataclass(frozen=True)
class BandGeometry:
    """Where the band is in the frame and how it is scaled for reading."""

    top: int  # first row of the band, frame pixels
    height: int  # rows of the band, frame pixels
    frame_width: int
    frame_height: int
    scale: float  # band pixels per frame pixel (<= 1)

    @property
    def out_width(self) -> int:
        return max(2, round(self.frame_width * self.scale) // 2 * 2)

    @property
    def out_height(self) -> int:
        return max(2, round(self.height * self.scale) // 2 * 2)

    def to_frame(self, box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
        """A box in band pixels as whole frame pixels."""
        sx = self.frame_width / self.out_width
        sy = self.height / self.out_height
        x0, y0, x1, y1 = box
        return (
            math.floor(x0 * sx),
            self.top + math.floor(y0 * sy),
            math.ceil(x1 * sx),
            self.top + math.ceil(y1 * sy),
        )


@dataclass(frozen=True)
class BandFrame:
    index: int  # frame number in the source, from 0 at the first presented frame
    time_ms: int
    pixels: np.ndarray  # out_height x out_width x 3, BGR, uint8


def band_geometry(info: MediaInfo) -> BandGeometry:
    top, height = band_rows(info.height)
    scale = min(1.0, MAX_BAND_WIDTH / info.width)
    return BandGeometry(top, height, info.width, info.height, scale)


def sampling_step(info: MediaInfo, fps: float) -> int:
    """Keep every step-th frame: the largest step whose rate is still at least ``fps``."""
    if not math.isfinite(fps) or fps <= 0:
        raise ValueError(f"fps must be a positive number, got {fps}")
    return max(1, math.floor(info.fps / fps + 1e-9))


def sample_band(
    video: Path, info: MediaInfo, *, fps: float, geometry: BandGeometry | None = None
) -> Iterator[BandFrame]:
    """Yield the subtitle band of every ``sampling_step``-th frame of ``video``, in order.

    Raises:
        OcrError: ffmpeg cannot decode the clip (the message names the file and quotes
            ffmpeg's reason).
    """
    geometry = geometry or band_geometry(info)
    step = sampling_step(info, fps)
    stream = ffmpeg.input(str(video)).video.filter("select", f"not(mod(n,{step}))")
    stream = stream.crop(0, geometry.top, info.width, geometry.height)
    if (geometry.out_width, geometry.out_height) != (info.width, geometry.height):
        stream = stream.filter("scale", geometry.out_width, geometry.out_height, flags="area")
    args = stream.output(
        "pipe:", format="rawvideo", pix_fmt="bgr24", fps_mode="passthrough"
    ).compile(cmd=["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error"])
    frame_bytes = geometry.out_width * geometry.out_height * 3
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=errors)
        assert process.stdout is not None
        k, finished = 0, False
        try:
            while True:
                data = process.stdout.read(frame_bytes)
                if len(data) < frame_bytes:
                    break
                index = k * step
                pixels = np.frombuffer(data, np.uint8).reshape(
                    geometry.out_height, geometry.out_width, 3
                )
                yield BandFrame(index, info.frame_time_ms(index), pixels)
                k += 1
            finished = True
        finally:
            if not finished:  # the caller stopped early, or reading failed
                process.kill()
            process.stdout.close()
            returncode = process.wait()
        if returncode != 0:
            errors.seek(0)
            detail = errors.read().decode("utf-8", "replace").strip().splitlines()
            raise OcrError(
                f"{video.name}: ffmpeg could not decode the video "
                f"({'; '.join(detail[:3]) or f'exit status {returncode}'})."
            )
        if k == 0:
            raise OcrError(f"{video.name}: ffmpeg decoded no video frame from it.")
