"""Members-only media with HTTP Range support (browsers seek in video by byte ranges).

Only what ingestion derived from a clip is served (its proxy, audio, peaks, thumbnail strip and
frames, by the names stored on the clip), never the original upload nor any other file under
the clip's folder: a path is first required to be in its normal form (no empty, "." or ".."
segment, no trailing slash, which local and S3 storage would both resolve to another file),
then to be one of those names. The rule reads only the database, so it holds for every
storage backend."""

import mimetypes
import posixpath
import re

from django.core.files.storage import default_storage
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_safe

from annotate.clips.models import Clip
from annotate.clips.storage import storage_object, storage_range_chunks
from annotate.core.selectors import project_role_get

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


_CLIP_PATH = re.compile(r"^clips/(\d+)/([0-9a-f-]{36})/[A-Za-z0-9_./-]+$")


_TYPES = {
    ".mp4": "video/mp4",
    ".wav": "audio/wav",
    ".json": "application/json",
    ".jpg": "image/jpeg",
    ".vtt": "text/vtt",
}


def clip_media_names(clip: Clip) -> frozenset[str]:
    """The storage names of the clip's derived media: the only files of a clip that are served."""
    names = [clip.proxy, clip.audio, clip.peaks, clip.thumbs]
    names += [frame.get("name", "") for frame in clip.frames if isinstance(frame, dict)]
    return frozenset(name for name in names if name)


@require_safe
def media_serve(request: HttpRequest, path: str) -> HttpResponse:
    match = _CLIP_PATH.match(path)
    # "a//b", "a/./b", "a/b/" and "a/../b" name another file once a storage joins them.
    normal = posixpath.normpath(path) == path
    if not request.user.is_authenticated or match is None or not normal:
        raise Http404("No such file.")
    clip = (
        Clip.objects.filter(project_id=int(match[1]), uid=match[2])
        .select_related("project")
        .first()
    )
    if clip is None or project_role_get(project=clip.project, user=request.user) is None:
        raise Http404("No such file.")
    # The original upload (and anything else stored beside it) is not served: only what
    # ingestion derived from it and recorded on the clip.
    if path not in clip_media_names(clip):
        raise Http404("No such file.")
    try:  # one open: a stat locally, one HEAD request on S3
        handle = default_storage.open(path, "rb")
    except (FileNotFoundError, IsADirectoryError):
        raise Http404("No such file.") from None
    size = handle.size
    # A video stream can last as long as someone watches; it must not pin a database connection.
    if not connection.in_atomic_block:
        connection.close()
    suffix = "." + path.rsplit(".", 1)[-1] if "." in path else ""
    content_type = _TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    header = request.headers.get("Range", "")
    match_range = _RANGE.match(header.strip()) if header else None
    if match_range and (match_range[1] or match_range[2]):
        first, last = match_range[1], match_range[2]
        if first:
            start = int(first)
            end = min(int(last), size - 1) if last else size - 1
        else:  # suffix range: the last N bytes
            start = max(size - int(last), 0)
            end = size - 1
        if start >= size or start > end:
            handle.close()
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        length = end - start + 1
        response = StreamingHttpResponse(
            storage_range_chunks(handle, start, length), status=206, content_type=content_type
        )
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(length)
    elif storage_object(handle) is None:
        response = FileResponse(handle, content_type=content_type)
        response["Content-Length"] = str(size)
    else:  # S3: stream the object as it arrives (its File would download it all first)
        response = StreamingHttpResponse(
            storage_range_chunks(handle, 0, size), content_type=content_type
        )
        response["Content-Length"] = str(size)
    response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
