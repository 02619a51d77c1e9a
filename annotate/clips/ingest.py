"""Ingestion: probe a clip and derive its media (proxy, audio, frames, thumbnails, peaks) in one
ffmpeg pass, idempotently. Runs in a cpu worker (annotate.clips.tasks) or in-process for
import_clips; kept apart from the services that enqueue it, so the task module can import it."""

import contextlib
import logging
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db.models import F
from django.utils import timezone

from annotate.clips.models import Clip
from annotate.clips.storage import StorageReadError, storage_download, storage_local_path
from inference import media as media_lib

log = logging.getLogger(__name__)


def _probe_fields(info: "media_lib.MediaInfo") -> dict:
    return {
        "duration_ms": info.duration_ms,
        "fps_num": info.fps_num,
        "fps_den": info.fps_den,
        "frame_count": info.frame_count,
        "width": info.width,
        "height": info.height,
        "start_ms": info.start_ms,
        "video_codec": info.video_codec or "",
        "has_audio": info.has_audio,
        "audio_codec": info.audio_codec or "",
    }


@contextlib.contextmanager
def _storage_local_path(name: str) -> Iterator[Path]:
    path = storage_local_path(name)
    if path is not None:
        yield path
        return
    # Remote storage (S3): ffmpeg needs a seekable local file.
    with tempfile.TemporaryDirectory(prefix="emocue-source-") as folder:
        yield storage_download(name, Path(folder))


def _derived_names(clip: Clip) -> list[str]:
    names = [clip.proxy, clip.audio, clip.peaks, clip.thumbs]
    names += [frame["name"] for frame in clip.frames]
    return [name for name in names if name]


def _delete_quietly(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            log.warning("could not delete %s", name, exc_info=True)


def clip_ingest(*, clip_id: int) -> Clip | None:
    """Probe and derive a clip's media. Idempotent: a ready or failed clip is left alone, and
    a clip left `ingesting` by a worker that died is taken up again."""
    claimed = Clip.objects.filter(
        pk=clip_id, status__in=[Clip.Status.PENDING, Clip.Status.INGESTING]
    ).update(
        status=Clip.Status.INGESTING,
        ingest_attempts=F("ingest_attempts") + 1,
        error="",
        error_code="",
        updated_at=timezone.now(),
    )
    clip = Clip.objects.filter(pk=clip_id).first()
    if clip is None or not claimed:
        return clip

    started = time.monotonic()
    stale = _derived_names(clip)  # from an attempt that died half-way
    written: list[str] = []
    try:
        with (
            _storage_local_path(clip.source.name) as source,
            tempfile.TemporaryDirectory(prefix="emocue-ingest-") as work,
        ):
            info = media_lib.probe(
                source,
                max_bytes=settings.EMOCUE_MAX_UPLOAD_BYTES,
                max_duration_ms=settings.EMOCUE_MAX_CLIP_DURATION_MS,
                display_name=clip.original_filename or clip.name,
            )
            out = Path(work) / "media"
            derived = media_lib.derive(
                source,
                out,
                info=info,
                n_frames=settings.EMOCUE_FRAMES_PER_CLIP,
                proxy_max_height=settings.EMOCUE_PROXY_MAX_HEIGHT,
                remux_max_height=settings.EMOCUE_PROXY_REMUX_MAX_HEIGHT,
                display_name=clip.original_filename or clip.name,
            )
            _delete_quietly(stale)

            def store(relative: str | None) -> str:
                if not relative:
                    return ""
                name = f"{clip.media_dir}/{relative}"
                default_storage.delete(name)
                with (out / relative).open("rb") as handle:
                    saved = default_storage.save(name, File(handle))
                written.append(saved)
                return saved

            fields = _probe_fields(info)
            fields.update(
                proxy=store(derived.proxy),
                proxy_mode=derived.proxy_mode,
                audio=store(derived.audio),
                peaks=store(derived.peaks),
                thumbs=store(derived.thumbs),
                thumb_times_ms=[t.time_ms for t in derived.thumbnails],
                frames=[
                    {"index": f.index, "time_ms": f.time_ms, "name": store(f.file)}
                    for f in derived.frames
                ],
            )
    except media_lib.MediaError as error:
        _delete_quietly(written)
        return _clip_mark_failed(clip_id=clip_id, code=error.code, message=str(error))
    except StorageReadError as error:
        _delete_quietly(written)
        return _clip_mark_failed(
            clip_id=clip_id,
            code="storage_error",
            message=f"The upload could not be read back: {error}. Retry the clip "
            "once the media storage answers again.",
        )
    except Exception:
        _delete_quietly(written)
        raise

    fields.update(
        status=Clip.Status.READY,
        ingested_at=timezone.now(),
        ingest_seconds=round(time.monotonic() - started, 3),
        updated_at=timezone.now(),
    )
    updated = Clip.objects.filter(pk=clip_id, status=Clip.Status.INGESTING).update(**fields)
    if not updated:  # deleted or retaken meanwhile: what we wrote belongs to nobody
        _delete_quietly(written)
    return Clip.objects.filter(pk=clip_id).first()


def _clip_mark_failed(*, clip_id: int, code: str, message: str) -> Clip | None:
    Clip.objects.filter(pk=clip_id).update(
        status=Clip.Status.FAILED,
        error_code=code[:32],
        error=message,
        updated_at=timezone.now(),
    )
    return Clip.objects.filter(pk=clip_id).first()


def clip_ingest_failed(*, clip_id: int, message: str) -> None:
    """Called when the task itself gives up (time limit, worker lost too often)."""
    _clip_mark_failed(clip_id=clip_id, code="ingest_error", message=message)
