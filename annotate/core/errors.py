"""Domain errors: a refusal a person can act on, with one HTTP status wherever it surfaces.

Services raise a DomainError (or a capability's subclass of it). The API answers it through
`api_exception_handler` (REST_FRAMEWORK's EXCEPTION_HANDLER) as `{"code", "detail"}`; a page
answers it through the `answers_refusals` decorator with its own message partial. Both take
the status from `DomainError.http_status`, so a refusal never gets one status in the API and
another on a page. The table is in docs/architecture.md.
"""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

# Codes whose meaning fixes the status, whichever class carries them.
STATUS_BY_CODE = {
    "invalid": 400,  # one input is at fault (the error names it in `field`)
    "forbidden": 403,  # the caller's role does not allow it
    "stale": 409,  # the object changed since the client read it
    "conflict": 409,  # the object's state does not allow it now
    "lease_lost": 409,
    "no_slot": 409,
    "duplicate": 409,
    "name_taken": 409,
    "exists": 409,
    "not_ready": 409,
    "too_large": 413,
    "busy": 503,  # contention that passes: try again
    "queue_unavailable": 503,
}


def errors_sentence(errors: dict) -> str:
    """A serializer's errors as one sentence naming each field (and list item) at fault: the
    API's 400 and a page's message say the same."""

    def flat(value) -> list[str]:
        if isinstance(value, dict):
            return [f"item {key}: {text}" for key, inner in value.items() for text in flat(inner)]
        if isinstance(value, list):
            return [text for inner in value for text in flat(inner)]
        return [str(value)]

    return (
        "; ".join(
            f"{field}: {' '.join(flat(value)).rstrip('.')}" for field, value in errors.items()
        )
        + "."
    )


class DomainError(Exception):
    """A refused request. `message` says what to do about it; `code` names the refusal for
    the API; `field`, when set, names the input at fault (always a 400). Subclasses set the
    status of their other refusals in `status`."""

    code = "rejected"
    status = 422  # well-formed, but it cannot be done as asked

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or type(self).code
        self.field = field

    @property
    def http_status(self) -> int:
        if self.field:
            return 400
        return STATUS_BY_CODE.get(self.code, type(self).status)

    def api_body(self) -> dict:
        """The JSON answer; subclasses add what a client needs to act (a filename, a version)."""
        if self.field:
            return {"code": "invalid", "detail": f"{self.field}: {self.message}"}
        return {"code": self.code, "detail": self.message}


def api_exception_handler(exc, context):
    """DRF's handler, plus DomainError answered as its code, message and status."""
    if isinstance(exc, DomainError):
        return Response(exc.api_body(), status=exc.http_status)
    return drf_exception_handler(exc, context)


RefusalRenderer = Callable[[HttpRequest, DomainError], HttpResponse]


def answers_refusals(render_refusal: RefusalRenderer):
    """A page view's decorator: a DomainError the view lets through is answered by
    `render_refusal(request, error)`, which renders the page's message partial; the status is
    always the error's own."""

    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                return view(request, *args, **kwargs)
            except DomainError as error:
                response = render_refusal(request, error)
                response.status_code = error.http_status
                return response

        return wrapped

    return decorator
