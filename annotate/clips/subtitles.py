"""A manager's writes of a clip's subtitle: correct it (segments' text and times, or an untimed
text), replace it with a file, or have it read from the picture again. Each is audited on the
clip (object type "subtitle"), with the subtitle before and after.

Every write counts up `subtitle_version`; a correction names the version it read, so that it
never overwrites a reading that finished, or another manager's correction, unseen (409)."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from annotate.clips.models import Clip, SubtitleReading, SubtitleSource
from annotate.clips.services import ClipRejected, subtitle_fields
from annotate.clips.subtitle_reading import (
    clip_subtitle_read_failed,
    subtitle_audit_state,
    subtitle_text_of,
)
from annotate.clips.tasks import clip_subtitle_read as clip_subtitle_read_task
from annotate.core.audit import audit_record
from annotate.core.limits import limit_check
from annotate.core.queueing import send_on_commit

__all__ = [
    "clip_subtitle_correct",
    "clip_subtitle_read_request",
    "clip_subtitle_replace",
]

_WRITTEN = [
    "subtitle_source",
    "subtitle_text",
    "subtitle_chinese",
    "subtitle_format",
    "subtitle_segments",
    "subtitle_corrected_at",
    "subtitle_version",
    "subtitle_ocr_status",
    "subtitle_ocr_error",
    "subtitle_ocr_progress",
    "updated_at",
]


def _locked(clip: Clip) -> Clip:
    return Clip.objects.select_for_update().get(pk=clip.pk)


def _reading_taken_back(clip: Clip) -> None:
    """A subtitle a manager gives replaces a reading still to come: the worker stops at its
    next progress report and stores nothing."""
    if clip.subtitle_reading:
        clip.subtitle_ocr_status = ""
        clip.subtitle_ocr_progress = 0.0
        clip.subtitle_ocr_error = ""


def _save_audited(clip: Clip, *, before: dict, by, action: str) -> Clip:
    clip.subtitle_version = F("subtitle_version") + 1
    clip.full_clean(
        exclude=["source", "project", "created_by", "subtitle_version"],
        validate_unique=False,
        validate_constraints=False,
    )
    clip.save(update_fields=_WRITTEN)
    clip.refresh_from_db()
    audit_record(
        actor=by,
        action=action,
        object_type="subtitle",
        object_id=clip.pk,
        before=before,
        after=subtitle_audit_state(clip),
        clip=clip,
    )
    return clip


def _with_confidence_kept(old: list[dict], new: list[dict]) -> list[dict]:
    """The new segments, each keeping the confidence of an old segment with the same text (the
    reading's words are unchanged, whatever its times); a segment whose words a person wrote
    has none."""
    unused: dict[str, list[float]] = {}
    for segment in old:
        if segment.get("confidence") is not None:
            unused.setdefault(segment["text"], []).append(segment["confidence"])
    kept = []
    for segment in new:
        row = {
            "start_ms": segment["start_ms"],
            "end_ms": segment["end_ms"],
            "text": segment["text"],
        }
        matches = unused.get(segment["text"])
        if matches:
            row["confidence"] = matches.pop(0)
        kept.append(row)
    return kept


@transaction.atomic
def clip_subtitle_correct(
    *,
    clip: Clip,
    by,
    version: int,
    segments: list[dict] | None = None,
    text: str | None = None,
    chinese: str | None = None,
) -> Clip:
    """Replace the clip's subtitle with a manager's: timed `segments` ({start_ms, end_ms, text},
    checked by SubtitleCorrectInput) or an untimed `text`; `chinese`, when given, replaces the
    chinese text shown beside it. The source stays what it was (a corrected reading is still
    "read from the picture", marked corrected); a clip that had none gets "manual".

    Refused: a version other than the current one (409 stale), a segment past the clip's end
    or more segments than EMOCUE_MAX_SUBTITLE_CUES (400, 413). Nothing is stored then."""
    if (segments is None) == (text is None):
        raise ValueError("give segments or text")
    clip = _locked(clip)
    if version != clip.subtitle_version:
        raise ClipRejected(
            "stale",
            f"The subtitle of {clip.name} changed since you opened it (version "
            f"{clip.subtitle_version}, you read {version}): it was read from the picture or "
            "corrected meanwhile. Reload the clip and make your correction again.",
        )
    before = subtitle_audit_state(clip)
    if segments is not None:
        limit_check(
            setting="EMOCUE_MAX_SUBTITLE_CUES",
            what=f"The subtitle of {clip.name}",
            count=len(segments),
            unit="segments",
        )
        ordered = sorted(segments, key=lambda s: (s["start_ms"], s["end_ms"]))
        if clip.duration_ms:
            for number, segment in enumerate(ordered, start=1):
                if segment["end_ms"] > clip.duration_ms:
                    raise ClipRejected(
                        "invalid",
                        f"segment {number} in time order (“{segment['text'][:40]}”) ends at "
                        f"{segment['end_ms']} ms, after the clip's end ({clip.duration_ms} ms).",
                        field="segments",
                    )
        clip.subtitle_segments = _with_confidence_kept(clip.subtitle_segments, ordered)
        clip.subtitle_text = subtitle_text_of(clip.subtitle_segments)
        clip.subtitle_format = ""
    else:
        clip.subtitle_segments = []
        clip.subtitle_text = " ".join(text.split())
        clip.subtitle_format = "text" if clip.subtitle_text else ""
    if chinese is not None:
        clip.subtitle_chinese = " ".join(chinese.split())
    if not clip.subtitle_source:
        clip.subtitle_source = SubtitleSource.MANUAL
    clip.subtitle_corrected_at = timezone.now()
    _reading_taken_back(clip)
    return _save_audited(clip, before=before, by=by, action="correct")


@transaction.atomic
def clip_subtitle_replace(*, clip: Clip, by, data: bytes, filename: str) -> Clip:
    """Replace the clip's subtitle with an SRT, WebVTT or text file, as an upload's subtitle
    is read (the same checks and messages: ClipRejected, nothing stored). Source "file"; a
    reading still to come is taken back."""
    fields = subtitle_fields(data, filename or "the subtitle file")
    clip = _locked(clip)
    before = subtitle_audit_state(clip)
    for name, value in fields.items():
        setattr(clip, name, value)
    clip.subtitle_corrected_at = None
    _reading_taken_back(clip)
    return _save_audited(clip, before=before, by=by, action="replace")


@transaction.atomic
def clip_subtitle_read_request(*, clip: Clip, by) -> Clip:
    """Have a worker read the clip's subtitle from the picture (again). What it reads replaces
    the current subtitle, whatever its source, when it ends. Refused while the clip is not
    ready or a reading is already queued or running (409); with the broker down, the reading
    is marked failed and the request answered 503."""
    clip = _locked(clip)
    if clip.status != Clip.Status.READY:
        raise ClipRejected(
            "not_ready",
            f"Clip {clip.name} is {clip.get_status_display().lower()}, not ready: its subtitle "
            "can be read from the picture once it is ingested.",
        )
    if clip.subtitle_reading:
        raise ClipRejected(
            "conflict",
            f"The subtitle of {clip.name} is already being read from the picture "
            f"({clip.get_subtitle_ocr_status_display().lower()}); wait for it to finish.",
        )
    before = {"reading": clip.subtitle_ocr_status or "never asked"}
    clip.subtitle_ocr_status = SubtitleReading.PENDING
    clip.subtitle_ocr_error = ""
    clip.subtitle_ocr_progress = 0.0
    clip.save(
        update_fields=[
            "subtitle_ocr_status",
            "subtitle_ocr_error",
            "subtitle_ocr_progress",
            "updated_at",
        ]
    )
    audit_record(
        actor=by,
        action="read_request",
        object_type="subtitle",
        object_id=clip.pk,
        before=before,
        after={"reading": SubtitleReading.PENDING.value},
        clip=clip,
    )
    clip_id = clip.pk

    def unsent(reason: str) -> str:
        clip_subtitle_read_failed(
            clip_id=clip_id, message=f"The reading was not started: {reason}."
        )
        return (
            f"The subtitle of {clip.name} could not be queued to be read (the task queue is "
            "unreachable); ask again in a few minutes."
        )

    send_on_commit(lambda: clip_subtitle_read_task.delay(clip_id), on_unavailable=unsent)
    return clip
