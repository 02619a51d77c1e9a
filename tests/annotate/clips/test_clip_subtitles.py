"""A clip's subtitle read from the picture after ingestion, and a manager's correction,
replacement and new reading (services and the task's work, on the real database).

The OCR itself is replaced here by a double of inference.ocr.read_subtitles (these tests are
about the app's logic around it); tests/integration/test_subtitle_reading_worker.py runs the
real OCR on a clip with burned-in text through a real worker."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from kombu.exceptions import OperationalError

from annotate.annotation.opening import annotation_open
from annotate.clips import subtitle_reading, tasks
from annotate.clips.ingest import clip_ingest
from annotate.clips.models import Clip
from annotate.clips.services import ClipRejected, clip_create, clips_upload
from annotate.clips.subtitles import (
    clip_subtitle_correct,
    clip_subtitle_read_request,
    clip_subtitle_replace,
)
from annotate.core.limits import LimitExceeded
from annotate.core.models import AuditEvent
from annotate.core.queueing import QueueUnavailable
from annotate.runs import proposing
from annotate.runs import services as run_services
from inference.ocr import OcrError, OcrSegment
from inference.proposers import ClipInput, register_proposer
from inference.proposers import Proposal as ProposalResult
from tests import mediafiles

pytestmark = pytest.mark.django_db

READ = [
    OcrSegment(200, 900, "你好，世界", 0.97, ("你好，世界",)),
    OcrSegment(1000, 1800, "I am\nfine", 0.71, ("I am", "fine")),
]


class FakeReading:
    """Stands in for inference.ocr.read_subtitles: records each call (and the clip's state
    while it runs), reports progress, then returns `segments` or raises `error`."""

    def __init__(self, segments=READ, error: Exception | None = None, during=None):
        self.segments, self.error, self.during = segments, error, during
        self.calls = []

    def __call__(self, video, *, fps=None, progress=None):
        self.calls.append(video)
        if progress is not None:
            progress(0.5)
        if self.during is not None:
            self.during()
        if progress is not None:
            progress(1.0)
        if self.error is not None:
            raise self.error
        return list(self.segments)


@pytest.fixture
def reading(monkeypatch, settings):
    """OCR after ingestion on (the test settings turn it off), with the double installed."""
    settings.EMOCUE_SUBTITLE_OCR = True
    fake = FakeReading()
    monkeypatch.setattr(subtitle_reading, "read_subtitles", fake)
    monkeypatch.setattr(subtitle_reading, "PROGRESS_EVERY_S", 0.0)
    return fake


def _upload(project, tmp_path, name="talk", *, subtitle=None, seconds=2.0, **kwargs):
    path = mediafiles.make_clip(tmp_path / f"{name}.mp4", seconds=seconds, audio=False)
    return clip_create(
        project=project,
        source=path,
        filename=f"{name}.mp4",
        subtitle=subtitle,
        subtitle_filename=f"{name}.srt" if subtitle else "",
        **kwargs,
    )


def _ingested(project, tmp_path, capture, name="talk", **kwargs) -> Clip:
    with capture(execute=True):
        clip = _upload(project, tmp_path, name, **kwargs)
    clip.refresh_from_db()
    return clip


def test_a_clip_without_a_subtitle_is_read_from_the_picture_after_ingestion(
    project, manager, reading, media_root, tmp_path, django_capture_on_commit_callbacks
):
    states = []
    reading.during = lambda: states.append(
        Clip.objects.values_list("status", "subtitle_ocr_status").get()
    )
    clip = _ingested(project, tmp_path, django_capture_on_commit_callbacks)
    # The clip was ready (annotatable) while its subtitle was being read.
    assert states == [(Clip.Status.READY, Clip.Reading.RUNNING)]
    assert reading.calls == [media_root / clip.source.name]  # the upload, not the proxy
    assert clip.subtitle_source == "ocr" and clip.subtitle_ocr_status == "done"
    assert clip.subtitle_ocr_progress == 1.0 and clip.subtitle_ocr_at is not None
    assert clip.subtitle_segments == [
        {"start_ms": 200, "end_ms": 900, "text": "你好，世界", "confidence": 0.97},
        {"start_ms": 1000, "end_ms": 1800, "text": "I am fine", "confidence": 0.71},
    ]
    assert clip.subtitle_text == "你好，世界 I am fine"
    assert clip.subtitle_version == 1 and clip.subtitle_corrected_at is None
    # stamped with what read it
    assert clip.subtitle_ocr_settings["models"] == [
        "ch_PP-OCRv4_det_infer",
        "ch_PP-OCRv4_rec_infer",
    ]
    assert clip.subtitle_ocr_settings["engine"].startswith("rapidocr-onnxruntime ")
    event = AuditEvent.objects.get(clip=clip, object_type="subtitle")
    assert (event.action, event.actor, event.object_id) == ("read_from_picture", None, clip.pk)
    assert event.before["source"] == "" and event.after["source"] == "ocr"
    assert event.after["segments"][1]["confidence"] == 0.71


def test_the_clip_can_be_annotated_while_its_subtitle_is_read(
    project, annotator, reading, media_root, tmp_path, django_capture_on_commit_callbacks
):
    opened = []
    reading.during = lambda: opened.append(
        annotation_open(clip=Clip.objects.get(), annotator=annotator).status
    )
    clip = _ingested(project, tmp_path, django_capture_on_commit_callbacks)
    assert opened == ["draft"] and clip.subtitle_source == "ocr"


def test_a_subtitle_file_or_manifest_text_is_never_read_from_the_picture(
    project, reading, media_root, tmp_path, django_capture_on_commit_callbacks
):
    srt = "1\n00:00:00,100 --> 00:00:01,000\nHello.\n"
    with_file = _ingested(project, tmp_path, django_capture_on_commit_callbacks, subtitle=srt)
    with_text = _ingested(
        project,
        tmp_path,
        django_capture_on_commit_callbacks,
        name="mer",
        seconds=1.5,
        subtitle="Thanks, really.",
        subtitle_source="manifest",
        subtitle_chinese="谢谢，真的。",
    )
    assert reading.calls == []
    assert (with_file.subtitle_source, with_file.subtitle_ocr_status) == ("file", "")
    assert (with_text.subtitle_source, with_text.subtitle_chinese) == ("manifest", "谢谢，真的。")
    assert with_text.subtitle_ocr_status == ""
    assert not AuditEvent.objects.filter(object_type="subtitle").exists()


def test_with_the_setting_off_nothing_is_read_on_its_own(
    project, reading, settings, media_root, tmp_path, django_capture_on_commit_callbacks
):
    settings.EMOCUE_SUBTITLE_OCR = False
    clip = _ingested(project, tmp_path, django_capture_on_commit_callbacks)
    assert reading.calls == [] and clip.subtitle_ocr_status == "" and clip.subtitle_source == ""


def test_an_upload_page_clip_without_a_subtitle_file_is_queued_to_be_read(
    project, manager, reading, media_root, tmp_path
):
    path = mediafiles.make_clip(tmp_path / "a.mp4", seconds=1.0, audio=False)
    srt = b"1\n00:00:00,000 --> 00:00:00,500\nHi.\n"
    results = clips_upload(
        project=project,
        files=[
            SimpleUploadedFile("a.mp4", path.read_bytes()),
            SimpleUploadedFile(
                "b.mp4",
                mediafiles.make_clip(tmp_path / "b.mp4", seconds=1.2, audio=False).read_bytes(),
            ),
        ],
        subtitles=[SimpleUploadedFile("b.srt", srt)],
        created_by=manager,
    )
    states = {r.clip.name: (r.clip.subtitle_source, r.clip.subtitle_ocr_status) for r in results}
    assert states == {"a": ("", "pending"), "b": ("file", "")}


@pytest.mark.parametrize(
    "error, says",
    [
        (OcrError("clip.mp4: no video stream"), "could not be read from the picture: clip.mp4"),
        (RuntimeError("onnxruntime broke"), "failed unexpectedly (RuntimeError: onnxruntime"),
    ],
)
def test_a_failed_reading_says_why_and_never_blocks_the_clip(
    project,
    annotator,
    reading,
    media_root,
    tmp_path,
    django_capture_on_commit_callbacks,
    error,
    says,
):
    reading.error = error
    clip = _ingested(project, tmp_path, django_capture_on_commit_callbacks)
    assert clip.status == Clip.Status.READY and clip.proxy  # ingestion is untouched
    assert clip.subtitle_ocr_status == "failed" and says in clip.subtitle_ocr_error
    assert clip.subtitle_source == "" and clip.subtitle_segments == []
    assert annotation_open(clip=clip, annotator=annotator).status == "draft"


def test_a_reading_that_finds_nothing_is_done_with_no_segments(
    project, reading, media_root, tmp_path, django_capture_on_commit_callbacks
):
    reading.segments = []
    clip = _ingested(project, tmp_path, django_capture_on_commit_callbacks)
    assert clip.subtitle_ocr_status == "done" and clip.subtitle_source == "ocr"
    assert clip.subtitle_text == "" and clip.subtitle_segments == []


def test_the_reading_is_idempotent_and_a_second_delivery_changes_nothing(
    project, reading, media_root, tmp_path, django_capture_on_commit_callbacks
):
    clip = _ingested(project, tmp_path, django_capture_on_commit_callbacks)
    assert tasks.clip_subtitle_read(clip.pk) == "done"
    assert len(reading.calls) == 1 and clip.subtitle_version == 1
    assert AuditEvent.objects.filter(object_type="subtitle").count() == 1


def test_a_reading_left_running_by_a_dead_worker_is_taken_up_again(
    project, reading, media_root, tmp_path, django_capture_on_commit_callbacks
):
    reading.error = OcrError("first")
    clip = _ingested(project, tmp_path, django_capture_on_commit_callbacks)
    Clip.objects.filter(pk=clip.pk).update(subtitle_ocr_status="running", subtitle_ocr_error="")
    reading.error = None
    assert tasks.clip_subtitle_read(clip.pk) == "done"


def test_a_file_given_while_the_reading_runs_wins_and_the_reading_stops(
    project, manager, reading, media_root, tmp_path, django_capture_on_commit_callbacks
):
    srt = b"1\n00:00:00,000 --> 00:00:01,000\nFrom the file.\n"

    def replace():
        clip_subtitle_replace(clip=Clip.objects.get(), by=manager, data=srt, filename="f.srt")

    reading.during = replace
    clip = _ingested(project, tmp_path, django_capture_on_commit_callbacks)
    assert clip.subtitle_source == "file" and clip.subtitle_text == "From the file."
    assert clip.subtitle_ocr_status == ""  # taken back, not "done" over the file
    assert list(
        AuditEvent.objects.filter(object_type="subtitle").values_list("action", flat=True)
    ) == ["replace"]


def test_the_ingestion_marks_the_reading_failed_when_the_queue_is_down(
    project, reading, media_root, tmp_path, django_capture_on_commit_callbacks, monkeypatch
):
    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis")

    monkeypatch.setattr(tasks.clip_subtitle_read, "delay", down)
    clip = _ingested(project, tmp_path, django_capture_on_commit_callbacks)
    assert clip.status == Clip.Status.READY
    assert clip.subtitle_ocr_status == "failed" and "could not be queued" in clip.subtitle_ocr_error


# --- a manager's correction ---------------------------------------------------------------


@pytest.fixture
def read_clip(project, reading, media_root, tmp_path, django_capture_on_commit_callbacks):
    return _ingested(project, tmp_path, django_capture_on_commit_callbacks)


def test_a_correction_keeps_the_reading_confidence_of_unchanged_words_only(read_clip, manager):
    clip = clip_subtitle_correct(
        clip=read_clip,
        by=manager,
        version=1,
        segments=[
            {"start_ms": 1000, "end_ms": 1900, "text": "I am fine."},  # words changed
            {"start_ms": 150, "end_ms": 900, "text": "你好，世界"},  # retimed only
            {"start_ms": 1950, "end_ms": 2000, "text": "Added."},
        ],
    )
    assert clip.subtitle_segments == [
        {"start_ms": 150, "end_ms": 900, "text": "你好，世界", "confidence": 0.97},
        {"start_ms": 1000, "end_ms": 1900, "text": "I am fine."},
        {"start_ms": 1950, "end_ms": 2000, "text": "Added."},
    ]
    assert clip.subtitle_text == "你好，世界 I am fine. Added."
    assert clip.subtitle_source == "ocr" and clip.subtitle_corrected_at is not None
    assert clip.subtitle_version == 2
    event = AuditEvent.objects.filter(object_type="subtitle").latest("pk")
    assert (event.action, event.actor_id) == ("correct", manager.pk)
    assert event.before["segments"][1]["text"] == "I am fine"
    assert event.after["segments"][1]["text"] == "I am fine."


def test_an_untimed_correction_and_a_chinese_text(read_clip, manager):
    clip = clip_subtitle_correct(
        clip=read_clip, by=manager, version=1, text="  Thanks,\n really. ", chinese="谢谢"
    )
    assert (clip.subtitle_text, clip.subtitle_chinese) == ("Thanks, really.", "谢谢")
    assert clip.subtitle_segments == [] and clip.subtitle_format == "text"


def test_a_stale_correction_is_refused_and_nothing_is_stored(read_clip, manager):
    with pytest.raises(ClipRejected) as refused:
        clip_subtitle_correct(clip=read_clip, by=manager, version=0, text="Typed before.")
    assert refused.value.http_status == 409 and "changed since you opened it" in str(refused.value)
    read_clip.refresh_from_db()
    assert read_clip.subtitle_version == 1 and read_clip.subtitle_text.startswith("你好")
    assert AuditEvent.objects.filter(object_type="subtitle", action="correct").count() == 0


def test_a_segment_past_the_clips_end_is_refused_naming_it(read_clip, manager):
    with pytest.raises(ClipRejected) as refused:
        clip_subtitle_correct(
            clip=read_clip,
            by=manager,
            version=1,
            segments=[
                {"start_ms": 0, "end_ms": 500, "text": "ok"},
                {"start_ms": 1500, "end_ms": 99_000, "text": "Too long"},
            ],
        )
    assert refused.value.http_status == 400
    assert "segment 2" in refused.value.message and "99000 ms" in refused.value.message
    read_clip.refresh_from_db()
    assert read_clip.subtitle_version == 1


def test_more_segments_than_the_limit_are_refused_with_413(read_clip, manager, settings):
    settings.EMOCUE_MAX_SUBTITLE_CUES = 2
    segments = [{"start_ms": i * 100, "end_ms": i * 100 + 50, "text": f"s{i}"} for i in range(3)]
    with pytest.raises(LimitExceeded) as refused:
        clip_subtitle_correct(clip=read_clip, by=manager, version=1, segments=segments)
    assert refused.value.http_status == 413 and "EMOCUE_MAX_SUBTITLE_CUES" in str(refused.value)


def test_a_clip_with_no_subtitle_gets_a_typed_one(project, manager, media_root, tmp_path):
    clip = clip_ingest(clip_id=_upload(project, tmp_path).pk)
    clip = clip_subtitle_correct(
        clip=clip, by=manager, version=0, segments=[{"start_ms": 0, "end_ms": 700, "text": "Hi"}]
    )
    assert clip.subtitle_source == "manual" and clip.subtitle_segments[0] == {
        "start_ms": 0,
        "end_ms": 700,
        "text": "Hi",
    }


# --- replacement with a file, and a new reading --------------------------------------------


def test_a_replacement_file_is_read_as_an_upload_and_audited(read_clip, manager):
    vtt = b"WEBVTT\n\n00:00.100 --> 00:00.800\n<i>Hello</i> there\n"
    clip = clip_subtitle_replace(clip=read_clip, by=manager, data=vtt, filename="talk.vtt")
    assert (clip.subtitle_source, clip.subtitle_format) == ("file", "vtt")
    assert clip.subtitle_segments == [{"start_ms": 100, "end_ms": 800, "text": "Hello there"}]
    assert clip.subtitle_version == 2 and clip.subtitle_corrected_at is None
    event = AuditEvent.objects.filter(object_type="subtitle").latest("pk")
    assert (event.action, event.before["source"], event.after["source"]) == (
        "replace",
        "ocr",
        "file",
    )


def test_a_broken_replacement_file_is_refused_and_nothing_changes(read_clip, manager):
    broken = b"1\n00:00:01,000 --> 00:00:0x,000\nHello\n"
    with pytest.raises(ClipRejected) as refused:
        clip_subtitle_replace(clip=read_clip, by=manager, data=broken, filename="bad.srt")
    assert refused.value.http_status == 422 and "bad.srt, cue 1 (line 2)" in refused.value.message
    read_clip.refresh_from_db()
    assert read_clip.subtitle_source == "ocr" and read_clip.subtitle_version == 1
    assert not AuditEvent.objects.filter(action="replace").exists()


def test_a_manager_has_a_file_subtitle_read_from_the_picture_on_request(
    project, manager, reading, media_root, tmp_path, django_capture_on_commit_callbacks
):
    srt = "1\n00:00:00,100 --> 00:00:01,000\nFrom the file.\n"
    clip = _ingested(project, tmp_path, django_capture_on_commit_callbacks, subtitle=srt)
    assert reading.calls == []
    with django_capture_on_commit_callbacks(execute=True):
        asked = clip_subtitle_read_request(clip=clip, by=manager)
        assert asked.subtitle_ocr_status == "pending"
    clip.refresh_from_db()
    assert len(reading.calls) == 1
    assert clip.subtitle_source == "ocr" and clip.subtitle_text.startswith("你好")
    actions = list(
        AuditEvent.objects.filter(object_type="subtitle")
        .order_by("pk")
        .values_list("action", "actor_id")
    )
    assert actions == [("read_request", manager.pk), ("read_from_picture", None)]


def test_a_new_reading_is_refused_while_one_is_queued_or_the_clip_is_not_ready(
    project, manager, media_root, tmp_path, settings
):
    settings.EMOCUE_SUBTITLE_OCR = True
    clip = _upload(project, tmp_path, enqueue=False)  # pending ingestion, reading pending
    with pytest.raises(ClipRejected) as refused:
        clip_subtitle_read_request(clip=clip, by=manager)
    assert refused.value.code == "not_ready" and refused.value.http_status == 409
    clip = clip_ingest(clip_id=clip.pk)
    with pytest.raises(ClipRejected) as refused:
        clip_subtitle_read_request(clip=clip, by=manager)
    assert refused.value.code == "conflict" and "already being read" in refused.value.message


def test_a_new_reading_with_the_queue_down_is_marked_failed_and_answered_503(
    read_clip, manager, monkeypatch, django_capture_on_commit_callbacks
):
    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis")

    monkeypatch.setattr(tasks.clip_subtitle_read, "delay", down)
    with pytest.raises(QueueUnavailable) as refused:
        with django_capture_on_commit_callbacks(execute=True):
            clip_subtitle_read_request(clip=read_clip, by=manager)
    assert "could not be queued" in refused.value.message
    read_clip.refresh_from_db()
    assert read_clip.subtitle_ocr_status == "failed" and read_clip.subtitle_source == "ocr"


# --- what the proposers receive --------------------------------------------------------------


class SubtitleEcho:
    """A proposer that keeps the subtitle each clip gave it."""

    name = "subtitle-echo"
    version = "1.0"
    given: dict[str, tuple] = {}

    def propose(self, clip: ClipInput) -> ProposalResult:
        SubtitleEcho.given[clip.name] = (
            clip.subtitle_text,
            [(s.start_ms, s.end_ms, s.text) for s in clip.subtitle_segments],
        )
        return ProposalResult(
            proposer=self.name, version=self.version, description="In the video, ...", cues=()
        )


register_proposer("subtitle-echo", SubtitleEcho)


def _proposals(project, capture):
    SubtitleEcho.given = {}
    proposing._proposers.pop("subtitle-echo", None)
    with capture(execute=True):
        run = run_services.run_create(project=project, proposer="subtitle-echo")
    return {p.clip.name: p for p in run.proposals.select_related("clip")}


def test_the_proposers_receive_the_subtitle_read_from_the_picture(
    project, read_clip, django_capture_on_commit_callbacks
):
    proposals = _proposals(project, django_capture_on_commit_callbacks)
    assert SubtitleEcho.given["talk"] == (
        "你好，世界 I am fine",
        [(200, 900, "你好，世界"), (1000, 1800, "I am fine")],
    )
    assert proposals["talk"].notes == []


def test_a_proposal_made_while_the_subtitle_is_read_says_so(
    project, media_root, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.EMOCUE_SUBTITLE_OCR = True
    clip = clip_ingest(clip_id=_upload(project, tmp_path, enqueue=False).pk)
    assert clip.subtitle_ocr_status == "pending"  # ingested in process: not sent here
    proposals = _proposals(project, django_capture_on_commit_callbacks)
    assert SubtitleEcho.given["talk"] == ("", [])
    (note,) = proposals["talk"].notes
    assert "still being read from the picture" in note and "re-run" in note
