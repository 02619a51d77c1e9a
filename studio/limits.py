"""A ceiling on the request body, checked on the Content-Length header before Django reads a
byte of it: a request over EMOCUE_MAX_REQUEST_BYTES gets a 413 that says the limit and what to
do, instead of filling the upload folder first. (Form fields are capped separately by Django's
DATA_UPLOAD_MAX_MEMORY_SIZE; a single clip by EMOCUE_MAX_UPLOAD_BYTES, after ffprobe.)"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:,.0f} MB" if n >= 1024 * 1024 else f"{n:,} bytes"


class RequestSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.EMOCUE_MAX_REQUEST_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            detail = (f"The request is {_mb(length)}; this server takes at most {_mb(limit)} per "
                      "request (EMOCUE_MAX_REQUEST_BYTES). Upload fewer clips at a time, or use "
                      "manage.py import_clips on the server.")
            if request.path.startswith("/api/"):
                response = JsonResponse({"code": "too_large", "detail": detail}, status=413)
            else:
                response = HttpResponse(detail, status=413, content_type="text/plain; charset=utf-8")
            # The body was not read: the connection cannot be reused for another request.
            response["Connection"] = "close"
            return response
        return self.get_response(request)
