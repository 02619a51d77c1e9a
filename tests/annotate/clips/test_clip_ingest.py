"""clip_ingest: derived media, statuses, idempotency, and failures that leave no files."""

import json
import subprocess

import pytest

from annotate.clips.ingest import clip_ingest
from annotate.clips.models import Clip
from annotate.clips.services import clip_create, clip_delete, clip_ingest_retry
from tests import mediafiles
from tests.conftest import stored_files

pytestmark = pytest.mark.django_db


def _ffprobe(path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def test_ingest_makes_every_derived_file(project, media_root, tmp_path):
    path = mediafiles.make_clip(
        tmp_path / "talk.mkv", seconds=2.0, fps=25, container="mkv", vcodec="mpeg4"
    )
    clip = clip_create(project=project, source=path, filename="talk.mkv", enqueue=False)
    clip = clip_ingest(clip_id=clip.pk)

    assert clip.status == Clip.Status.READY, clip.error
    assert clip.ingest_attempts == 1 and clip.ingested_at is not None
    assert abs(clip.duration_ms - 2000) <= 50 and clip.has_audio
    proxy = _ffprobe(media_root / clip.proxy)
    codecs = {s["codec_type"]: s["codec_name"] for s in proxy["streams"]}
    assert codecs == {"video": "h264", "audio": "aac"}
    assert clip.proxy_mode == "transcode"
    wav = _ffprobe(media_root / clip.audio)["streams"][0]
    assert (wav["sample_rate"], wav["channels"]) == ("16000", 1)
    assert len(clip.frames) == 16
    times = [f["time_ms"] for f in clip.frames]
    assert times == sorted(times) and times[0] >= 0 and times[-1] < clip.duration_ms
    assert all((media_root / f["name"]).stat().st_size > 0 for f in clip.frames)
    peaks = json.loads((media_root / clip.peaks).read_text())
    assert peaks["sample_rate"] == 16000 and len(peaks["data"]) == 2 * peaks["length"]
    assert (media_root / clip.thumbs).stat().st_size > 0
    assert all(name.startswith(clip.media_dir + "/") for name in stored_files(media_root))


def test_ingest_of_a_clip_without_audio(project, media_root, tmp_path):
    path = mediafiles.make_clip(tmp_path / "mute.mp4", seconds=1.0, audio=False)
    clip = clip_create(project=project, source=path, filename="mute.mp4", enqueue=False)
    clip = clip_ingest(clip_id=clip.pk)
    assert clip.status == Clip.Status.READY, clip.error
    assert not clip.has_audio and clip.audio == "" and clip.peaks == ""
    assert len(clip.frames) == 16


def test_ingest_twice_is_a_no_op(project, media_root, tmp_path):
    path = mediafiles.make_clip(tmp_path / "a.mp4", seconds=1.0)
    clip = clip_create(project=project, source=path, filename="a.mp4", enqueue=False)
    clip_ingest(clip_id=clip.pk)
    files = stored_files(media_root)
    again = clip_ingest(clip_id=clip.pk)
    assert again.status == Clip.Status.READY and again.ingest_attempts == 1
    assert stored_files(media_root) == files


def test_a_clip_left_ingesting_by_a_dead_worker_is_taken_up_again(project, media_root, tmp_path):
    path = mediafiles.make_clip(tmp_path / "a.mp4", seconds=1.0)
    clip = clip_create(project=project, source=path, filename="a.mp4", enqueue=False)
    clip_ingest(clip_id=clip.pk)
    files = stored_files(media_root)
    # As if a worker died after writing its files but before its final update.
    Clip.objects.filter(pk=clip.pk).update(status=Clip.Status.INGESTING)
    clip = clip_ingest(clip_id=clip.pk)
    assert clip.status == Clip.Status.READY and clip.ingest_attempts == 2
    assert stored_files(media_root) == files  # rewritten in place, not duplicated


def test_a_file_that_fails_to_decode_ends_failed_with_no_derived_files(
    project, media_root, tmp_path, django_capture_on_commit_callbacks
):
    # Intact container, garbled pictures: ffprobe is content, only decoding finds out.
    path = mediafiles.make_clip(tmp_path / "cut.mp4", seconds=2.0, size=(320, 240))
    data = bytearray(path.read_bytes())
    start, end = len(data) // 3, 2 * len(data) // 3
    data[start:end] = bytes((i * 7919) % 251 for i in range(end - start))
    path.write_bytes(bytes(data))
    clip = clip_create(project=project, source=path, filename="cut.mp4", enqueue=False)
    clip = clip_ingest(clip_id=clip.pk)
    assert clip.status == Clip.Status.FAILED
    assert clip.error_code == "damaged" and "cut.mp4" in clip.error
    assert stored_files(media_root) == [clip.source.name]
    # Retrying queues it again; deleting removes every file.
    with django_capture_on_commit_callbacks(execute=True):
        clip_ingest_retry(clip=clip)
    clip.refresh_from_db()
    assert clip.status == Clip.Status.FAILED  # eager in tests: retried at once, fails again
    assert clip.ingest_attempts == 2
    with django_capture_on_commit_callbacks(execute=True):
        clip_delete(clip=clip)
    assert Clip.objects.count() == 0 and stored_files(media_root) == []


def test_times_are_measured_from_the_first_frame(project, media_root, tmp_path):
    path = mediafiles.make_clip(tmp_path / "late.mp4", seconds=1.0, start_offset_s=1.5)
    clip = clip_create(project=project, source=path, filename="late.mp4", enqueue=False)
    assert clip.start_ms >= 1400
    clip = clip_ingest(clip_id=clip.pk)
    assert clip.status == Clip.Status.READY, clip.error
    assert clip.frames[0]["time_ms"] < 100 and abs(clip.duration_ms - 1000) <= 50


def test_delete_removes_every_file(
    project, media_root, tmp_path, django_capture_on_commit_callbacks
):
    path = mediafiles.make_clip(tmp_path / "a.mp4", seconds=1.0)
    clip = clip_create(project=project, source=path, filename="a.mp4", enqueue=False)
    clip_ingest(clip_id=clip.pk)
    assert len(stored_files(media_root)) > 16
    with django_capture_on_commit_callbacks(execute=True):
        clip_delete(clip=Clip.objects.get(pk=clip.pk))
    assert Clip.objects.count() == 0
    assert stored_files(media_root) == []
