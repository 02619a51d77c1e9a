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
            detail = (
                f"The request is {_mb(length)}; this server takes at most {_mb(limit)} per "
                "request (EMOCUE_MAX_REQUEST_BYTES). Upload fewer clips at a time, or use "
                "manage.py import_clips on the server."
            )
            if request.path.startswith("/api/"):
                response = JsonResponse({"code": "too_large", "detail": detail}, status=413)
            else:
                response = HttpResponse(
                    detail, status=413, content_type="text/plain; charset=utf-8"
                )
            # The body was not read: the connection cannot be reused for another request.
            response["Connection"] = "close"
            return response
        return self.get_response(request)


def _has_nul(values) -> bool:
    return any("\x00" in key or any("\x00" in v for v in items) for key, items in values.lists())


class NulCharacterMiddleware:
    """PostgreSQL text cannot hold a NUL character: a path, query parameter or form field with
    one (%00) could match nothing and would fail as a database error (a 500). No name, filter
    or text here has a use for it, so the request is refused up front with a 400 saying so."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        form = request.content_type == "application/x-www-form-urlencoded"
        if (
            "\x00" in request.path
            or _has_nul(request.GET)
            or (form and request.method == "POST" and _has_nul(request.POST))
        ):
            detail = (
                "The request contains a NUL character (%00) in its address or fields; "
                "no name, filter or text in EmoCue Studio can hold one."
            )
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "invalid", "detail": detail}, status=400)
            return HttpResponse(detail, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
