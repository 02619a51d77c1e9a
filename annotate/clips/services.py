"""Clip writes: create from an upload or a file, ingest its media, retry, delete."""

import contextlib
import logging
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from kombu.exceptions import OperationalError as BrokerUnavailable

from annotate.clips.ingest import _delete_quietly, _derived_names, _probe_fields
from annotate.clips.models import Clip, SubtitleReading, SubtitleSource
from annotate.clips.selectors import clip_name_free
from annotate.clips.tasks import clip_ingest as clip_ingest_task
from annotate.core.deletion import rows_delete
from annotate.core.display_names import display_name_problem
from annotate.core.errors import DomainError
from annotate.core.limits import limit_message, limit_value
from annotate.core.models import Project
from annotate.core.queueing import send_on_commit
from inference import media as media_lib
from inference.subtitles import SubtitleError, parse_subtitles

log = logging.getLogger(__name__)


_NAME_PUNCTUATION = set(" -_.()+,'&@#=~[]")


class ClipRejected(DomainError):
    """A clip could not be created or changed; `message` says why in words a user can act on.
    422, or by its code (duplicate and name_taken 409, too_large 413, conflict 409)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        filename: str = "",
        field: str | None = None,
        suggested_name: str = "",
    ):
        super().__init__(message, code=code, field=field)
        self.filename = filename
        self.suggested_name = suggested_name

    def api_body(self) -> dict:
        body = {**super().api_body(), "filename": self.filename}
        if self.suggested_name:
            body["suggested_name"] = self.suggested_name
        return body


class ClipQueueUnavailable(BrokerUnavailable):
    """The clip could not be queued for ingestion (broker down), so it was not kept. A kombu
    OperationalError, which the error handler (studio/errors.py) answers with a 503; `message`
    is for the uploader."""

    def __init__(self, message: str, *, filename: str = ""):
        super().__init__(message)
        self.code = "queue_unavailable"
        self.message = message
        self.filename = filename


class ClipDuplicate(ClipRejected):
    def __init__(self, message: str, *, existing: Clip, filename: str = ""):
        super().__init__("duplicate", message, filename=filename)
        self.existing = existing


def clip_name_from_filename(filename: str) -> str:
    """The clip name for an uploaded file: its stem, refused when it smuggles a path.

    Letters and digits of any script, and ordinary punctuation, are kept as typed; path
    separators, `..`, control characters and other symbols are refused with the reason.
    """
    if not filename or not filename.strip():
        raise ClipRejected("bad_name", "The file has no name.")
    raw = unicodedata.normalize("NFC", filename)
    if (
        "/" in raw
        or "\\" in raw
        or PurePosixPath(raw).name != raw
        or PureWindowsPath(raw).name != raw
    ):
        raise ClipRejected(
            "bad_name",
            f"File name {filename!r} contains a path (/, \\ or ..); upload the file itself.",
            filename=filename,
        )
    stem = raw.rsplit(".", 1)[0] if "." in raw.lstrip(".") else raw
    return clip_name_validate(stem, filename=filename)


def clip_name_validate(name: str, *, filename: str = "") -> str:
    name = unicodedata.normalize("NFC", name).strip()
    label = filename or name
    if not name:
        raise ClipRejected(
            "bad_name", f"File name {label!r} gives an empty clip name.", filename=filename
        )
    problem = display_name_problem(name, what=f"The clip name from {label!r}")
    if problem:  # a 400 on the name, as the API's serializers answer it
        raise ClipRejected("bad_name", problem, filename=filename, field="name")
    if name.startswith(".") or ".." in name:
        raise ClipRejected(
            "bad_name",
            f"Clip name {name!r} may not start with a dot or contain '..'.",
            filename=filename,
        )
    if len(name) > 200:
        raise ClipRejected(
            "bad_name",
            f"Clip name is {len(name)} characters long; the limit is 200.",
            filename=filename,
        )
    for ch in name:
        if ch.isalnum() or ch in _NAME_PUNCTUATION:
            continue
        shown = f"U+{ord(ch):04X}" if not ch.isprintable() else repr(ch)
        raise ClipRejected(
            "bad_name",
            f"Clip name {name!r} contains the character {shown}; use letters, digits, spaces "
            "and - _ . ( ) only.",
            filename=filename,
        )
    return name


@contextlib.contextmanager
def _local_copy(source: Path | UploadedFile) -> Iterator[Path]:
    """A local path for ffprobe/ffmpeg, copying an in-memory upload to a temporary file."""
    if isinstance(source, Path):
        yield source
        return
    temporary = getattr(source, "temporary_file_path", None)
    if temporary is not None:
        yield Path(temporary())
        return
    with tempfile.NamedTemporaryFile(prefix="emocue-upload-", delete=True) as handle:
        for chunk in source.chunks():
            handle.write(chunk)
        handle.flush()
        yield Path(handle.name)


def subtitle_size_check(*, size: int, filename: str) -> None:
    """Refuse a subtitle file over EMOCUE_MAX_SUBTITLE_BYTES (413), before it is read."""
    setting = "EMOCUE_MAX_SUBTITLE_BYTES"
    if size > limit_value(setting):
        raise ClipRejected(
            "too_large",
            limit_message(
                setting=setting, what=f"Subtitle file {filename}", count=size, unit="bytes"
            ),
            filename=filename,
        )


def subtitle_upload_read(upload: UploadedFile) -> bytes:
    """An uploaded subtitle file's bytes, refused over EMOCUE_MAX_SUBTITLE_BYTES unread."""
    subtitle_size_check(size=upload.size or 0, filename=upload.name or "")
    return upload.read()


def subtitle_fields(
    subtitle: bytes | str | None,
    subtitle_filename: str,
    *,
    source: str = SubtitleSource.FILE,
    chinese: str = "",
) -> dict:
    """A subtitle file's (or a manifest's text's) clip fields, refused (ClipRejected) when it
    cannot be read or is over the limits. None: no subtitle, no fields."""
    if subtitle is None:
        return {}
    size = len(subtitle.encode("utf-8") if isinstance(subtitle, str) else subtitle)
    subtitle_size_check(size=size, filename=subtitle_filename)
    try:
        parsed = parse_subtitles(subtitle, filename=subtitle_filename)
    except SubtitleError as error:
        raise ClipRejected("subtitle", str(error), filename=subtitle_filename) from error
    setting = "EMOCUE_MAX_SUBTITLE_CUES"
    if len(parsed.segments) > limit_value(setting):
        raise ClipRejected(
            "too_large",
            limit_message(
                setting=setting,
                what=f"Subtitle file {subtitle_filename}",
                count=len(parsed.segments),
                unit="cues",
            ),
            filename=subtitle_filename,
        )
    return {
        "subtitle_text": parsed.text,
        "subtitle_format": parsed.format,
        "subtitle_segments": [
            {"start_ms": s.start_ms, "end_ms": s.end_ms, "text": s.text} for s in parsed.segments
        ],
        "subtitle_source": source,
        "subtitle_chinese": " ".join(chinese.split()),
    }


def clip_create(
    *,
    project: Project,
    source: Path | UploadedFile,
    filename: str,
    name: str | None = None,
    subtitle: bytes | str | None = None,
    subtitle_filename: str = "",
    subtitle_source: str = SubtitleSource.FILE,
    subtitle_chinese: str = "",
    group_key: str = "",
    metadata: dict | None = None,
    created_by=None,
    enqueue: bool = True,
) -> Clip:
    """Validate a video (with ffprobe, never by extension), store it and queue its ingestion.

    Everything that can be checked cheaply is checked before anything is stored, so a
    refused upload leaves no row and no file behind. Raises ClipRejected (or ClipDuplicate).
    A clip with no subtitle (no file, no manifest text) has it read from the picture after
    its ingestion (EMOCUE_SUBTITLE_OCR), by a cpu task of its own.
    """
    clip_name = (
        clip_name_validate(name, filename=filename) if name else clip_name_from_filename(filename)
    )
    subtitle_values = subtitle_fields(
        subtitle, subtitle_filename, source=subtitle_source, chinese=subtitle_chinese
    )
    if not subtitle_values and settings.EMOCUE_SUBTITLE_OCR:
        subtitle_values = {"subtitle_ocr_status": SubtitleReading.PENDING}

    with _local_copy(source) as path:
        try:
            info = media_lib.probe(
                path,
                max_bytes=settings.EMOCUE_MAX_UPLOAD_BYTES,
                max_duration_ms=settings.EMOCUE_MAX_CLIP_DURATION_MS,
                display_name=filename,
            )
        except media_lib.MediaError as error:
            raise ClipRejected(error.code, str(error), filename=filename) from error
        digest = media_lib.sha256_file(path)
        existing = Clip.objects.filter(project=project, sha256=digest).first()
        if existing is not None:
            state = (
                " (its ingestion failed: retry or delete it)"
                if existing.status == Clip.Status.FAILED
                else ""
            )
            raise ClipDuplicate(
                f"{filename} is the same file as clip {existing.name!r}{state} already in "
                f"{project.name!r} (sha256 {digest[:12]}…); it was not added again.",
                existing=existing,
                filename=filename,
            )
        same_name = Clip.objects.filter(project=project, name=clip_name).first()
        # A failed clip gives way to a new file of the same name; anything else keeps its name.
        if same_name is not None and same_name.status != Clip.Status.FAILED:
            free = clip_name_free(project=project, name=clip_name)
            raise ClipRejected(
                "name_taken",
                f"Project {project.name!r} already has a clip named {clip_name!r}; give this "
                f"upload another name, such as {free!r}.",
                filename=filename,
                suggested_name=free,
            )
        clip = Clip(
            project=project,
            name=clip_name,
            original_filename=unicodedata.normalize("NFC", filename)[:255],
            sha256=digest,
            size_bytes=info.size_bytes,
            group_key=group_key,
            metadata=metadata or {},
            created_by=created_by,
            **_probe_fields(info),
            **subtitle_values,
        )
        clip.full_clean(exclude=["source"], validate_unique=False, validate_constraints=False)
        stored_name = ""
        try:
            with transaction.atomic():
                if same_name is not None:
                    clip_delete(clip=same_name)
                with path.open("rb") as handle:
                    clip.source.save("source", File(handle), save=False)
                stored_name = clip.source.name
                clip.save()
                if enqueue:
                    transaction.on_commit(lambda: _ingest_enqueue(clip))
        except IntegrityError as error:
            # Lost a race with a concurrent upload of the same name or bytes.
            if stored_name:
                default_storage.delete(stored_name)
            raise ClipRejected(
                "duplicate",
                f"{filename}: a clip with this name or content was added meanwhile.",
                filename=filename,
            ) from error
        except BaseException:
            if stored_name:
                default_storage.delete(stored_name)
            raise
    return clip


def _ingest_enqueue(clip: Clip) -> None:
    """Queue a stored clip's ingestion (after its row is committed). With the broker down, the
    clip would sit "pending" with no task to ingest it and nothing to say so: it is taken out
    again, row and file, and the upload refused (ClipQueueUnavailable, HTTP 503), so that the
    uploader, who still has the file, sends it again once the queue is back."""
    try:
        clip_ingest_task.delay(clip.pk)
    except BrokerUnavailable as error:
        Clip.objects.filter(pk=clip.pk, status=Clip.Status.PENDING).delete()
        default_storage.delete(clip.source.name)
        log.error("clip %s refused: its ingestion could not be queued (%s)", clip.name, error)
        raise ClipQueueUnavailable(
            f"{clip.original_filename or clip.name} was not added: the task queue that ingests "
            "clips is not reachable right now. Nothing was stored; upload it again in a few "
            "minutes (tell the administrator if this persists).",
            filename=clip.original_filename,
        ) from error


@transaction.atomic
def clip_ingest_retry(*, clip: Clip) -> Clip:
    if clip.status != Clip.Status.FAILED:
        raise ClipRejected(
            "conflict", f"Clip {clip.name!r} is {clip.status}; only a failed clip can be retried."
        )
    clip.status = Clip.Status.PENDING
    clip.error = ""
    clip.error_code = ""
    clip.save(update_fields=["status", "error", "error_code", "updated_at"])
    clip_id = clip.pk

    def failed(reason: str) -> str:
        Clip.objects.filter(pk=clip_id, status=Clip.Status.PENDING).update(
            status=Clip.Status.FAILED,
            error_code="queue_unavailable",
            error=f"The retry was not started: {reason}; retry again once the queue is back.",
        )
        return (
            f"Clip {clip.name!r} could not be queued again (the task queue is unreachable); "
            "it stays failed. Retry it in a few minutes."
        )

    send_on_commit(lambda: clip_ingest_task.delay(clip_id), on_unavailable=failed)
    return clip


def clip_delete(*, clip: Clip) -> None:
    names = [clip.source.name, *_derived_names(clip)]
    with transaction.atomic():
        # In batches: a clip may carry more cues and events than one statement may name.
        rows_delete(Clip.objects.filter(pk=clip.pk))
        transaction.on_commit(lambda: _delete_quietly(names))


@dataclass
class UploadResult:
    filename: str
    ok: bool
    code: str = ""
    message: str = ""
    clip: Clip | None = None
    suggested_name: str = ""  # a free name, when the file's name is taken


def clips_upload(
    *,
    project: Project,
    files: list[UploadedFile],
    subtitles: list[UploadedFile] | None = None,
    names: list[str] | None = None,
    created_by=None,
) -> list[UploadResult]:
    """Create clips from browser/API uploads; subtitle files pair with videos by file stem.
    names[i], when given and not blank, is the clip name of files[i] (default: its stem)."""
    by_stem: dict[str, UploadedFile] = {}
    results: list[UploadResult] = []
    for sub in subtitles or []:
        stem = (sub.name or "").rsplit(".", 1)[0]
        by_stem[stem] = sub
    used: set[str] = set()
    queue_down: ClipQueueUnavailable | None = None
    names = names or []
    for index, upload in enumerate(files):
        filename = upload.name or ""
        name = names[index].strip() if index < len(names) else ""
        stem = filename.rsplit(".", 1)[0]
        sub = by_stem.get(stem)
        if queue_down is not None:  # the rest would be stored and taken out again, one by one
            used.add(stem)
            results.append(
                UploadResult(
                    filename,
                    False,
                    queue_down.code,
                    f"{filename} was not added: the task queue is not reachable "
                    "(see above); upload it again later.",
                )
            )
            continue
        try:
            if sub is not None:
                used.add(stem)
                sub_bytes, sub_name = subtitle_upload_read(sub), sub.name
            else:
                sub_bytes, sub_name = None, ""
            clip = clip_create(
                project=project,
                source=upload,
                filename=filename,
                name=name or None,
                subtitle=sub_bytes,
                subtitle_filename=sub_name,
                created_by=created_by,
            )
        except (ClipRejected, ClipQueueUnavailable) as error:
            results.append(
                UploadResult(
                    filename,
                    False,
                    error.code,
                    error.message,
                    suggested_name=getattr(error, "suggested_name", ""),
                )
            )
            if isinstance(error, ClipQueueUnavailable):
                queue_down = error
        else:
            results.append(UploadResult(filename, True, "created", "", clip))
    for stem, sub in by_stem.items():
        if stem not in used:
            results.append(
                UploadResult(
                    sub.name,
                    False,
                    "subtitle_unmatched",
                    f"Subtitle {sub.name} matches no uploaded video (name it like the video: "
                    f"{stem}.mp4).",
                )
            )
    return results
