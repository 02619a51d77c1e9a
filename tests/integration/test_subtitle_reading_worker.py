"""A real Celery worker process (Redis, PostgreSQL) ingests an uploaded clip with a subtitle burned
into the picture and no subtitle file, then reads that subtitle with the real OCR
(inference.ocr, PP-OCRv4 through rapidocr) in a task of its own; a clip uploaded with a file
is never read."""

import time

import pytest

from annotate.clips.models import Clip
from annotate.clips.services import clip_create
from annotate.core.models import AuditEvent
from fixtures.burned_subtitles import BurnedLine, render_burned_clip
from tests.factories import ProjectFactory
from tests.integration.test_worker import worker  # noqa: F401  (the real worker process)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LINES = [BurnedLine(400, 1800, "你好，世界"), BurnedLine(2200, 3600, "I waited for you.")]


def _wait_for_reading(clip: Clip, process, log, seconds: float = 180) -> Clip:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        clip.refresh_from_db()
        if clip.status == Clip.Status.FAILED or clip.subtitle_ocr_status in ("done", "failed"):
            return clip
        assert process.poll() is None, f"worker exited early:\n{log.read_text()[-3000:]}"
        time.sleep(0.3)
    raise AssertionError(f"not read in {seconds} s:\n{log.read_text()[-3000:]}")


def test_the_worker_reads_a_burned_in_subtitle_after_ingestion(worker, settings, tmp_path):  # noqa: F811
    process, log = worker
    settings.EMOCUE_SUBTITLE_OCR = True  # off in the test settings (tasks are eager there)
    project = ProjectFactory()
    burned = render_burned_clip(
        tmp_path / "burned.mp4", LINES, duration_ms=4000, camera="still"
    ).video
    clip = clip_create(project=project, source=burned, filename="burned.mp4")
    assert clip.subtitle_ocr_status == "pending"
    clip = _wait_for_reading(clip, process, log)
    assert clip.status == Clip.Status.READY and clip.proxy
    assert clip.subtitle_ocr_status == "done", (
        f"{clip.subtitle_ocr_error}\n{log.read_text()[-3000:]}"
    )
    assert clip.subtitle_source == "ocr"
    texts = [s["text"] for s in clip.subtitle_segments]
    assert texts == ["你好，世界", "I waited for you."], clip.subtitle_segments
    for segment, line in zip(clip.subtitle_segments, LINES, strict=True):
        # 4 samples a second: a boundary is off by at most half a sampling interval, plus a frame
        assert abs(segment["start_ms"] - line.start_ms) <= 250, segment
        assert abs(segment["end_ms"] - line.end_ms) <= 250, segment
        assert 0.6 <= segment["confidence"] <= 1.0
    assert "EmoTV" not in clip.subtitle_text  # the channel logo is not a subtitle
    event = AuditEvent.objects.get(clip=clip, object_type="subtitle")
    assert (event.action, event.actor_id) == ("read_from_picture", None)
    text = log.read_text()
    assert "Task annotate.clips.tasks.clip_ingest[" in text  # it went through the worker
    assert "Task annotate.clips.tasks.clip_subtitle_read[" in text


def test_a_clip_with_a_subtitle_file_is_not_read_by_the_worker(worker, settings, tmp_path):  # noqa: F811
    process, log = worker
    settings.EMOCUE_SUBTITLE_OCR = True
    project = ProjectFactory()
    burned = render_burned_clip(
        tmp_path / "filed.mp4", LINES[:1], duration_ms=2400, camera="still"
    ).video
    clip = clip_create(
        project=project,
        source=burned,
        filename="filed.mp4",
        subtitle="1\n00:00:00,400 --> 00:00:01,800\nHello, world\n",
        subtitle_filename="filed.srt",
    )
    deadline = time.monotonic() + 120
    while not clip.is_settled and time.monotonic() < deadline:
        time.sleep(0.3)
        clip.refresh_from_db()
    assert clip.status == Clip.Status.READY, log.read_text()[-3000:]
    time.sleep(1.0)  # a reading would have been queued right after the ingestion
    clip.refresh_from_db()
    assert clip.subtitle_ocr_status == "" and clip.subtitle_source == "file"
    assert clip.subtitle_text == "Hello, world"
    assert "Task annotate.clips.tasks.clip_subtitle_read[" not in log.read_text()
