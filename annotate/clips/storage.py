"""Media in the configured storage, for code that needs more than Django's Storage API: a
local path for ffmpeg and the proposers, and byte ranges for playback.

Local storage (the default: MEDIA_ROOT, a shared volume in deployment) gives its own paths.
Remote storage (S3 through django-storages) has none: a worker copies what it reads into a
temporary folder of its own, and playback asks S3 for the requested range only (the
storage's own File would download the whole object first)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from django.core.files.storage import default_storage


class StorageReadError(Exception):
    """A stored file that cannot be read (missing, or the store did not answer)."""


def storage_local_path(name: str) -> Path | None:
    """The file's path when the storage keeps files on a local filesystem, else None."""
    try:
        return Path(default_storage.path(name))
    except NotImplementedError:
        return None


def storage_object(handle):
    """The boto3 Object behind an opened file of S3 storage (django-storages' S3File.obj), or
    None for any other storage."""
    return getattr(handle, "obj", None)


def storage_download(name: str, folder: Path) -> Path:
    """Copy a stored file to folder/name (its sub-folders kept) and return that path.
    StorageReadError names the file when it is missing or the store fails."""
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise StorageReadError(f"Refusing to copy {name!r}: not a relative storage name.")
    target = folder.joinpath(*relative.parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with default_storage.open(name, "rb") as source:
            remote = storage_object(source)
            if remote is not None:
                remote.download_file(str(target))  # boto3's managed transfer, parts in parallel
            else:
                with target.open("wb") as copy:
                    shutil.copyfileobj(source, copy, 1024 * 1024)
    except FileNotFoundError as error:
        target.unlink(missing_ok=True)
        raise StorageReadError(f"media file {name} is missing from storage") from error
    except Exception as error:  # botocore's ClientError / EndpointConnectionError, OSError
        target.unlink(missing_ok=True)
        if _is_not_found(error):
            raise StorageReadError(f"media file {name} is missing from storage") from error
        raise StorageReadError(
            f"media file {name} could not be read from storage ({type(error).__name__}: {error})"
        ) from error
    return target


def _is_not_found(error: Exception) -> bool:
    response = getattr(error, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    return code in {"404", "NoSuchKey", "NotFound"}


def storage_range_chunks(
    handle, start: int, length: int, chunk: int = 256 * 1024
) -> Iterator[bytes]:
    """Bytes start .. start + length - 1 of an opened stored file, in chunks; the handle is
    closed at the end. From S3 this is one ranged GET; from other storage, a seek."""
    remote = storage_object(handle)
    if length <= 0:
        handle.close()
        return iter(())
    if remote is not None:
        body = remote.get(Range=f"bytes={start}-{start + length - 1}")["Body"]
        handle.close()  # nothing was downloaded through it
        return _closing_chunks(body.iter_chunks(chunk), body)
    return _seeked_chunks(handle, start, length, chunk)


def _closing_chunks(chunks: Iterator[bytes], body) -> Iterator[bytes]:
    try:
        yield from chunks
    finally:
        body.close()


def _seeked_chunks(handle, start: int, length: int, chunk: int) -> Iterator[bytes]:
    try:
        handle.seek(start)
        while length > 0:
            data = handle.read(min(chunk, length))
            if not data:
                break
            length -= len(data)
            yield data
    finally:
        handle.close()
