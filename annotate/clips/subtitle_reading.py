"""Reading a clip's subtitle from the picture (OCR of the text burned into the video): the work
of annotate.clips.tasks.clip_subtitle_read, run by a cpu worker after ingestion for a clip
that has no subtitle file and no manifest text, or again when a manager asks.

The clip is annotatable all along: the reading only fills its subtitle when it ends. It never
overwrites a subtitle that a manager gave meanwhile (a file, a correction): those take the
reading back to no state, and the reading stops at its next progress report. Kept apart from
the services that enqueue it, so the task module can import it."""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from annotate.clips.models import Clip, SubtitleReading, SubtitleSource
from annotate.clips.storage import StorageReadError, storage_download, storage_local_path
from annotate.core.audit import audit_record
from inference.ocr import OcrError

if TYPE_CHECKING:
    from inference.ocr import OcrSegment

log = logging.getLogger(__name__)

# Progress is written at most this often (seconds): a page polls it, a worker reads frames.
PROGRESS_EVERY_S = 1.0

# The clip fields a subtitle's audit event keeps, before and after.
SUBTITLE_AUDIT_FIELDS = (
    "subtitle_source",
    "subtitle_text",
    "subtitle_chinese",
    "subtitle_format",
    "subtitle_segments",
)


def read_subtitles(video: Path, **options) -> list[OcrSegment]:
    """inference.ocr.read_subtitles, imported when a worker first reads (not at the web
    process's start: see inference/ocr/__init__.py)."""
    from inference.ocr import read_subtitles as read

    return read(video, **options)


def ocr_settings() -> dict:
    """inference.ocr.ocr_settings, imported on first use as read_subtitles is."""
    from inference.ocr import ocr_settings as settings_of_the_reader

    return settings_of_the_reader()


def subtitle_audit_state(clip: Clip) -> dict:
    """A clip's subtitle as the audit trail keeps it (the history shows its differences)."""
    return {
        "source": clip.subtitle_source,
        "text": clip.subtitle_text,
        "chinese": clip.subtitle_chinese,
        "format": clip.subtitle_format,
        "segments": clip.subtitle_segments,
    }


def subtitle_segments_from_ocr(segments: list[OcrSegment]) -> list[dict]:
    """The OCR's segments as a clip keeps them, in time order, each with its confidence."""
    rows = [
        {
            "start_ms": int(s.start_ms),
            "end_ms": int(s.end_ms),
            "text": " ".join(s.text.split()),
            "confidence": round(float(s.confidence), 3),
        }
        for s in segments
        if s.text.strip()
    ]
    return sorted(rows, key=lambda r: (r["start_ms"], r["end_ms"]))


def subtitle_text_of(segments: list[dict]) -> str:
    """The whole subtitle as one string: the segments' texts joined by spaces, as a subtitle
    file's text is."""
    return " ".join(s["text"] for s in segments if s["text"])


class _Superseded(Exception):
    """The reading was taken back (a manager gave the subtitle, or the clip is gone)."""


@contextlib.contextmanager
def _source_path(clip: Clip) -> Iterator[Path]:
    path = storage_local_path(clip.source.name)
    if path is not None:
        if not path.is_file():
            raise StorageReadError(f"the upload {clip.source.name} is missing from storage")
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="emocue-ocr-") as folder:
        yield storage_download(clip.source.name, Path(folder))


def _progress_reporter(clip_id: int):
    last = [0.0]

    def report(fraction: float) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY_S and fraction < 1.0:
            return
        last[0] = now
        still = Clip.objects.filter(pk=clip_id, subtitle_ocr_status=SubtitleReading.RUNNING).update(
            subtitle_ocr_progress=max(0.0, min(1.0, float(fraction)))
        )
        if not still:
            raise _Superseded

    return report


def clip_subtitle_read(*, clip_id: int) -> Clip | None:
    """Read the subtitle of a ready clip whose reading is pending (or was left running by a
    worker that died) and store it as the clip's subtitle, source "ocr", with what read it
    (ocr_settings), audited as the system's. Idempotent: a reading that is done, failed or
    taken back is left alone; two deliveries of one task both read, and the first to finish
    stores (the other stops)."""
    claimed = Clip.objects.filter(
        pk=clip_id,
        status=Clip.Status.READY,
        subtitle_ocr_status__in=[SubtitleReading.PENDING, SubtitleReading.RUNNING],
    ).update(
        subtitle_ocr_status=SubtitleReading.RUNNING,
        subtitle_ocr_progress=0.0,
        subtitle_ocr_error="",
    )
    clip = Clip.objects.filter(pk=clip_id).first()
    if clip is None or not claimed:
        return clip
    started = time.monotonic()
    try:
        with _source_path(clip) as source:
            segments = read_subtitles(source, progress=_progress_reporter(clip_id))
    except _Superseded:
        log.info("reading the subtitle of clip %s was taken back", clip_id)
        return Clip.objects.filter(pk=clip_id).first()
    except OcrError as error:
        return clip_subtitle_read_failed(
            clip_id=clip_id, message=f"The subtitle could not be read from the picture: {error}"
        )
    except StorageReadError as error:
        return clip_subtitle_read_failed(
            clip_id=clip_id,
            message=f"The video could not be read back ({error}); ask again once the media "
            "storage answers.",
        )
    except Exception as error:
        log.exception("reading the subtitle of clip %s failed", clip_id)
        return clip_subtitle_read_failed(
            clip_id=clip_id,
            message=f"Reading the subtitle from the picture failed unexpectedly "
            f"({type(error).__name__}: {error}).",
        )
    stored = _store(clip_id=clip_id, segments=subtitle_segments_from_ocr(segments))
    log.info(
        "clip %s: %d subtitle segment(s) read from the picture in %.1f s",
        clip_id,
        len(segments),
        time.monotonic() - started,
    )
    return stored


@transaction.atomic
def _store(*, clip_id: int, segments: list[dict]) -> Clip | None:
    clip = (
        Clip.objects.select_for_update()
        .filter(pk=clip_id, subtitle_ocr_status=SubtitleReading.RUNNING)
        .first()
    )
    if clip is None:  # taken back meanwhile: what was read belongs to nobody
        return Clip.objects.filter(pk=clip_id).first()
    before = subtitle_audit_state(clip)
    clip.subtitle_source = SubtitleSource.OCR
    clip.subtitle_segments = segments
    clip.subtitle_text = subtitle_text_of(segments)
    clip.subtitle_chinese = ""
    clip.subtitle_format = ""
    clip.subtitle_corrected_at = None
    clip.subtitle_version = F("subtitle_version") + 1
    clip.subtitle_ocr_status = SubtitleReading.DONE
    clip.subtitle_ocr_progress = 1.0
    clip.subtitle_ocr_error = ""
    clip.subtitle_ocr_at = timezone.now()
    clip.subtitle_ocr_settings = ocr_settings()
    clip.save(
        update_fields=[
            "subtitle_ocr_settings",
            "subtitle_source",
            "subtitle_segments",
            "subtitle_text",
            "subtitle_chinese",
            "subtitle_format",
            "subtitle_corrected_at",
            "subtitle_version",
            "subtitle_ocr_status",
            "subtitle_ocr_progress",
            "subtitle_ocr_error",
            "subtitle_ocr_at",
            "updated_at",
        ]
    )
    clip.refresh_from_db()
    audit_record(
        actor=None,
        action="read_from_picture",
        object_type="subtitle",
        object_id=clip.pk,
        before=before,
        after=subtitle_audit_state(clip),
        clip=clip,
    )
    return clip


def clip_subtitle_read_failed(*, clip_id: int, message: str) -> Clip | None:
    """Mark an unfinished reading failed with the reason; the clip itself is untouched."""
    Clip.objects.filter(
        pk=clip_id, subtitle_ocr_status__in=[SubtitleReading.PENDING, SubtitleReading.RUNNING]
    ).update(
        subtitle_ocr_status=SubtitleReading.FAILED,
        subtitle_ocr_error=message[:5000],
        subtitle_ocr_at=timezone.now(),
    )
    return Clip.objects.filter(pk=clip_id).first()
