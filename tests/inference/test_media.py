"""inference.media: every bad upload gets a clear MediaError; good clips derive real media."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import ffmpeg
import numpy as np
import pytest
from PIL import Image

from inference.media import (  # noqa: E402
    MediaError,
    derive,
    probe,
    sample_frame_indices,
    sha256_file,
    waveform_peaks,
)
from tests import mediafiles  # noqa: E402


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """Clips made once for the module; derived outputs go to per-test folders."""
    d = tmp_path_factory.mktemp("media")
    return {
        "clip": mediafiles.make_clip(d / "clip.mp4", seconds=2.0),
        "noaudio": mediafiles.make_clip(d / "silent.mp4", seconds=2.0, audio=False),
        "offset": mediafiles.make_clip(d / "offset.mp4", seconds=2.0, start_offset_s=1.0),
        "mpeg4": mediafiles.make_clip(d / "old.avi", seconds=2.0, vcodec="mpeg4", container="avi"),
        "vp9": mediafiles.make_clip(
            d / "web.webm", seconds=1.0, vcodec="libvpx-vp9", container="webm"
        ),
    }


def _error(path, **kwargs) -> MediaError:
    with pytest.raises(MediaError) as excinfo:
        probe(path, **kwargs)
    return excinfo.value


# ------------------------------------------------------------------------------- bad inputs


def test_zero_length_file_is_empty(tmp_path):
    err = _error(mediafiles.make_zero_length(tmp_path / "clip.mp4"))
    assert err.code == "empty"
    assert "clip.mp4" in str(err) and "empty" in str(err)


def test_text_named_mp4_is_not_media(tmp_path):
    err = _error(mediafiles.make_text_as_mp4(tmp_path / "notes.mp4"))
    assert err.code == "not_media"
    assert "notes.mp4" in str(err) and "not a video" in str(err)
    assert " @ 0x" not in str(err)  # ffmpeg's context pointers are noise to a user


def test_mp4_with_moov_cut_off_is_damaged(tmp_path):
    err = _error(mediafiles.make_truncated_mp4(tmp_path / "cut.mp4", kind="moov_at_end"))
    assert err.code == "damaged"
    assert "cut.mp4" in str(err) and "moov atom not found" in str(err)


def test_faststart_mp4_cut_in_the_middle_is_damaged(tmp_path):
    err = _error(mediafiles.make_truncated_mp4(tmp_path / "half.mp4", kind="mdat_cut"))
    assert err.code == "damaged"
    assert "half.mp4" in str(err) and "50 video frames" in str(err)


def test_truncated_mkv_that_ffprobe_accepts_fails_derive_as_damaged(tmp_path):
    full = mediafiles.make_clip(tmp_path / "full.mkv", seconds=2.0, container="mkv")
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    info = probe(cut)  # Matroska has no frame count in its header: ffprobe is satisfied
    with pytest.raises(MediaError) as excinfo:
        derive(cut, tmp_path / "out", info=info)
    assert excinfo.value.code == "damaged"
    assert "cut.mkv" in str(excinfo.value) and "ended prematurely" in str(excinfo.value)
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_corrupted_bytes_fail_derive_as_damaged(tmp_path, media):
    data = bytearray(media["clip"].read_bytes())
    for k in range(len(data) // 3, len(data) // 3 + 3000):
        data[k] = (data[k] * 7 + 13) & 255
    bad = tmp_path / "bitrot.mp4"
    bad.write_bytes(bytes(data))
    with pytest.raises(MediaError) as excinfo:
        derive(bad, tmp_path / "out", info=probe(bad))
    assert excinfo.value.code == "damaged"
    assert "bitrot.mp4" in str(excinfo.value) and "decod" in str(excinfo.value)
    assert not (tmp_path / "out").exists()


def test_audio_only_is_no_video(tmp_path):
    err = _error(mediafiles.make_audio_only(tmp_path / "voice.mp4"))
    assert err.code == "no_video"
    assert str(err) == (
        "voice.mp4 is not a video: ffprobe found no video stream (it holds audio only)."
    )


@pytest.mark.parametrize("fmt", ["png", "jpeg"])
def test_still_image_is_not_a_clip(tmp_path, fmt):
    err = _error(mediafiles.make_still_image(tmp_path / "frame.mp4", fmt=fmt))
    assert err.code == "no_video"
    assert "frame.mp4" in str(err) and "still image" in str(err)


def test_unknown_fourcc_is_unsupported_codec(tmp_path):
    err = _error(mediafiles.make_unknown_codec(tmp_path / "odd.avi", tag=b"ZQXW"))
    assert err.code == "unsupported_codec"
    assert "odd.avi" in str(err) and "ZQXW" in str(err)


def test_too_large(media):
    size = media["clip"].stat().st_size
    err = _error(media["clip"], max_bytes=1000)
    assert err.code == "too_large"
    assert "1000 bytes" in str(err) and f"{size / 1024:.1f} KiB" in str(err)


def test_too_long(media):
    err = _error(media["clip"], max_duration_ms=1500)
    assert err.code == "too_long"
    assert "2.0 s" in str(err) and "limit of 1.5 s" in str(err)


def test_media_error_is_a_value_error_and_pickles():
    import pickle

    err = pickle.loads(pickle.dumps(MediaError("damaged", "x.mp4 is damaged")))
    assert isinstance(err, ValueError) and err.code == "damaged" and str(err) == "x.mp4 is damaged"


# ------------------------------------------------------------------------------- probe


def test_probe_reads_streams_not_the_file_name(tmp_path, media):
    renamed = tmp_path / "clip.txt"
    renamed.write_bytes(media["clip"].read_bytes())
    info = probe(renamed)
    assert (info.width, info.height, info.fps_num, info.fps_den) == (320, 240, 25, 1)
    assert info.fps == 25.0
    assert info.duration_ms == 2000 and info.start_ms == 0
    assert info.frame_count == 50 and info.frame_count_exact
    assert (info.video_codec, info.pix_fmt) == ("h264", "yuv420p")
    assert info.has_audio and info.audio_codec == "aac" and info.audio_channels == 1
    assert info.audio_sample_rate == 44100
    assert info.size_bytes == renamed.stat().st_size
    assert "mp4" in info.format_name


def test_probe_ntsc_rate_is_the_exact_rational(tmp_path):
    clip = mediafiles.make_clip(tmp_path / "ntsc.mp4", seconds=1.0, fps="30000/1001", audio=False)
    info = probe(clip)
    assert (info.fps_num, info.fps_den) == (30000, 1001)
    assert info.frame_time_ms(15) == 501  # frame 15 starts at 500.5 ms
    assert (info.frame_at_ms(500), info.frame_at_ms(501)) == (14, 15)
    assert info.frame_at_ms(5000) == 29  # clamped to the last frame


def test_probe_start_offset(media):
    info = probe(media["offset"])
    assert info.start_ms == 1000
    assert info.duration_ms == 2000  # measured from the first frame, not from zero


def test_sha256_file_streams(tmp_path):
    import hashlib

    path = tmp_path / "blob.bin"
    payload = bytes(range(256)) * 9000
    path.write_bytes(payload)
    assert sha256_file(path, chunk_size=4096) == hashlib.sha256(payload).hexdigest()


# ------------------------------------------------------------------------------- sampling


@pytest.mark.parametrize(
    "vlen,expected",
    [
        (50, [0, 3, 6, 9, 13, 16, 19, 22, 26, 29, 32, 35, 39, 42, 45, 49]),
        (16, list(range(16))),
        (5, [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4]),  # short clips repeat frames
        (250, [int(i * 249 / 15) for i in range(16)]),
    ],
)
def test_frame_indices_match_xemogpt(vlen, expected):
    assert sample_frame_indices(vlen, 16) == expected


@pytest.mark.parametrize("vlen", [1, 7, 17, 49, 99, 301, 1001, 4999])
def test_frame_indices_always_n_increasing_in_range(vlen):
    idx = sample_frame_indices(vlen, 16)
    assert len(idx) == 16 and idx == sorted(idx) and 0 <= idx[0] and idx[-1] < vlen


def test_waveform_peaks_vectorised_matches_a_loop():
    rng = np.random.default_rng(7)
    pcm = rng.integers(-32768, 32767, size=1000, dtype=np.int16)
    peaks = waveform_peaks(pcm, samples_per_pixel=160)
    assert peaks["length"] == 7 and len(peaks["data"]) == 14
    expected = []
    for start in range(0, 1000, 160):
        block = pcm[start : start + 160].astype(int)
        expected += [block.min() >> 8, block.max() >> 8]
    assert peaks["data"] == expected
    assert all(-128 <= v <= 127 for v in peaks["data"])


# ------------------------------------------------------------------------------- derive


def _streams(path):
    return {s["codec_type"]: s for s in ffmpeg.probe(str(path))["streams"]}


def _moov_before_mdat(path) -> bool:
    data = Path(path).read_bytes()
    return 0 <= data.find(b"moov") < data.find(b"mdat")


def _wav(path):
    with wave.open(str(path), "rb") as w:
        return w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()


def test_derive_h264_clip_is_remuxed(tmp_path, media):
    info = probe(media["clip"])
    out = tmp_path / "clip7"
    d = derive(media["clip"], out, info=info)
    assert d.proxy_mode == "remux"
    streams = _streams(out / d.proxy)
    assert streams["video"]["codec_name"] == "h264" and streams["video"]["pix_fmt"] == "yuv420p"
    assert streams["audio"]["codec_name"] == "aac"
    assert _moov_before_mdat(out / d.proxy)

    rate, channels, width, nframes = _wav(out / d.audio)
    assert (rate, channels, width) == (16000, 1, 2)
    assert abs(nframes / 16 - 2000) <= 50 and abs(d.audio_duration_ms - 2000) <= 50

    assert len(d.frames) == 16
    assert [f.file for f in d.frames] == [f"frames/frame_{i:02d}.jpg" for i in range(16)]
    assert [f.index for f in d.frames] == sample_frame_indices(50, 16)
    times = [f.time_ms for f in d.frames]
    assert times == sorted(set(times)) and times[0] == 0 and times[-1] == 49 * 40
    for f in d.frames:
        with Image.open(out / f.file) as im:
            assert im.size == (320, 240)

    with Image.open(out / d.thumbs) as strip:
        assert strip.size == (10 * d.thumbnails[0].width, 90)
    thumb_times = [t.time_ms for t in d.thumbnails]
    assert len(thumb_times) == 10 and thumb_times == sorted(set(thumb_times))
    assert thumb_times[0] < 200 and thumb_times[-1] > 1800
    assert [t.x for t in d.thumbnails] == [k * d.thumbnails[0].width for k in range(10)]

    peaks = json.loads((out / d.peaks).read_text())
    assert {
        k: peaks[k] for k in ("version", "channels", "sample_rate", "samples_per_pixel", "bits")
    } == {"version": 2, "channels": 1, "sample_rate": 16000, "samples_per_pixel": 160, "bits": 8}
    assert peaks["length"] == -(-nframes // 160) and len(peaks["data"]) == 2 * peaks["length"]
    assert max(peaks["data"]) >= 15 and min(peaks["data"]) <= -15  # a 1/8 full-scale tone

    assert sorted(p.name for p in out.iterdir()) == [
        "audio.wav",
        "frames",
        "peaks.json",
        "proxy.mp4",
        "thumbs.jpg",
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["clip7"]  # no temp folders left


def test_sampled_frames_show_the_right_moment(tmp_path):
    """A clip whose brightness encodes the frame number: each JPEG must be its frame."""
    clip = tmp_path / "ramp.mp4"
    mediafiles._ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "color=c=black:s=64x64:r=25:d=2",
            "-vf",
            "geq=lum='N*5':cb=128:cr=128",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-qp",
            "0",
            "-pix_fmt",
            "yuv420p",
            str(clip),
        ]
    )
    d = derive(clip, tmp_path / "out", info=probe(clip))
    for f in d.frames:
        with Image.open(tmp_path / "out" / f.file) as im:
            luma = np.asarray(im.convert("L"), dtype=float).mean()
        expected = min(
            255.0, max(0.0, (f.index * 5 - 16) * 255 / 219)
        )  # limited-range luma, full-range JPEG
        assert abs(luma - expected) < 4, (f.index, luma)


def test_derive_clip_without_audio(tmp_path, media):
    d = derive(media["noaudio"], tmp_path / "out", info=probe(media["noaudio"]))
    assert d.proxy_mode == "remux"
    assert d.audio is None and d.peaks is None and d.audio_duration_ms is None
    assert "audio" not in _streams(tmp_path / "out" / d.proxy)
    assert len(d.frames) == 16
    assert not (tmp_path / "out" / "audio.wav").exists()
    assert not (tmp_path / "out" / "peaks.json").exists()


def test_derive_times_are_measured_from_the_first_frame(tmp_path, media):
    info = probe(media["offset"])
    d = derive(media["offset"], tmp_path / "out", info=info)
    assert d.frames[0].time_ms == 0 and d.frames[-1].time_ms == 49 * 40
    assert d.thumbnails[-1].time_ms < 2000
    # Audio that starts 24 ms before the first frame (AAC priming) is cut, not shifted.
    assert abs(d.audio_duration_ms - 2000) <= 50
    assert probe(tmp_path / "out" / d.proxy).duration_ms == pytest.approx(2000, abs=50)


@pytest.mark.parametrize("key,codec", [("mpeg4", "mpeg4"), ("vp9", "vp9")])
def test_non_h264_source_is_transcoded(tmp_path, media, key, codec):
    info = probe(media[key])
    assert info.video_codec == codec
    d = derive(media[key], tmp_path / "out", info=info)
    assert d.proxy_mode == "transcode"
    streams = _streams(tmp_path / "out" / d.proxy)
    assert streams["video"]["codec_name"] == "h264" and streams["video"]["pix_fmt"] == "yuv420p"
    assert streams["audio"]["codec_name"] == "aac"
    assert _moov_before_mdat(tmp_path / "out" / d.proxy)
    assert _wav(tmp_path / "out" / d.audio)[:2] == (16000, 1)
    assert len(d.frames) == 16


def test_large_yuv444_source_gets_an_even_720p_yuv420_proxy(tmp_path):
    clip = mediafiles.make_clip(
        tmp_path / "big.mp4", seconds=0.4, size=(1282, 962), audio=False, pix_fmt="yuv444p"
    )
    info = probe(clip)
    d = derive(clip, tmp_path / "out", info=info, proxy_max_height=720)
    assert d.proxy_mode == "transcode"
    v = _streams(tmp_path / "out" / d.proxy)["video"]
    assert v["height"] == 720 and v["width"] % 2 == 0 and v["pix_fmt"] == "yuv420p"
    assert (v["width"], v["height"]) == (d.proxy_width, d.proxy_height)
    with Image.open(tmp_path / "out" / d.frames[0].file) as im:
        assert im.size == (1282, 962)  # model frames keep the source resolution


def test_derive_replaces_an_existing_folder_only_on_success(tmp_path, media):
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.txt").write_text("old")
    derive(media["noaudio"], out, info=probe(media["noaudio"]))
    assert not (out / "stale.txt").exists() and (out / "proxy.mp4").exists()

    bad = mediafiles.make_clip(tmp_path / "bad.mkv", seconds=2.0, container="mkv")
    info = probe(bad)
    bad.write_bytes(bad.read_bytes()[: bad.stat().st_size // 2])
    with pytest.raises(MediaError):
        derive(bad, out, info=info)
    assert (out / "proxy.mp4").exists()  # the previous good output is untouched
