"""Members-only media with HTTP Range support (browsers seek in video by byte ranges)."""

import mimetypes
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


@require_safe
def media_serve(request: HttpRequest, path: str) -> HttpResponse:
    match = _CLIP_PATH.match(path)
    if not request.user.is_authenticated or match is None or ".." in path:
        raise Http404("No such file.")
    clip = (
        Clip.objects.filter(project_id=int(match[1]), uid=match[2])
        .select_related("project")
        .first()
    )
    if clip is None or project_role_get(project=clip.project, user=request.user) is None:
        raise Http404("No such file.")
    # The original upload is not served: only what ingestion derived from it.
    if path == clip.source.name:
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
