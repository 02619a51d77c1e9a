"""What every API module shares: the two error shapes the schema documents, the JSON refusal
helpers, the `status` and choice filters, and the documented 401 and 404 answers."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.response import Response

from annotate.core.errors import errors_sentence


class RunErrorOutput(serializers.Serializer):
    """A refusal: a machine-readable code and a sentence saying what to do."""

    code = serializers.CharField()
    detail = serializers.CharField(help_text="What went wrong and what to do about it.")


class DetailOutput(serializers.Serializer):
    detail = serializers.CharField()


NOT_SIGNED_IN = OpenApiResponse(
    DetailOutput,
    description="Not signed in: no session and no valid `Authorization: Token <key>` header.",
)


class ErrorOutput(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    filename = serializers.CharField(required=False)
    suggested_name = serializers.CharField(
        required=False,
        help_text="With code name_taken: a clip name that is free now (send it as `name`).",
    )


class LimitOutput(serializers.Serializer):
    setting = serializers.CharField(help_text="The setting that holds the limit.")
    value = serializers.IntegerField(help_text="Its value.")


class OverLimitOutput(RunErrorOutput):
    """A refusal over a size limit (code too_large), naming the limit."""

    limit = LimitOutput()


OVER_LIMIT = OpenApiResponse(
    OverLimitOutput,
    description="Over a size limit (docs/security.md): `limit` names the setting and its value; "
    "nothing was stored.",
)


NO_PROJECT_DOC = OpenApiResponse(DetailOutput, description="No such project (or not a member).")


def error_response(code: str, detail: str, http_status: int) -> Response:
    return Response({"code": code, "detail": detail}, status=http_status)


def invalid_response(errors: dict) -> Response:
    """A serializer's errors as a 400 in the documented error shape."""
    return error_response("invalid", errors_sentence(errors), status.HTTP_400_BAD_REQUEST)


def status_filter(request, allowed: list[str]) -> tuple[str | None, Response | None]:
    value = request.query_params.get("status") or None
    if value is not None and value not in allowed:
        return None, error_response(
            "invalid",
            f"status must be one of {', '.join(allowed)}; got {value!r}.",
            status.HTTP_400_BAD_REQUEST,
        )
    return value, None


def status_parameter(values: list[str]) -> OpenApiParameter:
    return OpenApiParameter(
        "status", str, description=f"Only these: {', '.join(values)}.", enum=values
    )


def unreadable_response(error, example: str) -> Response:
    """A body that is not JSON (a ParseError), answered in the documented error shape."""
    return error_response(
        "invalid",
        f"The request body could not be read ({error.detail}); "
        f"send a JSON object such as {example}.",
        status.HTTP_400_BAD_REQUEST,
    )


def multipart_unreadable_response(error) -> Response:
    """An upload body that could not be parsed (a ParseError from the multipart parser)."""
    return error_response(
        "invalid",
        f"The request body could not be read ({error.detail}); send it as multipart/form-data.",
        status.HTTP_400_BAD_REQUEST,
    )


def form_invalid_response(form) -> Response:
    """A Django form's errors as one sentence naming each field at fault."""
    detail = "; ".join(
        f"{field}: {' '.join(map(str, errors))}" for field, errors in form.errors.items()
    )
    return error_response("invalid", detail, status.HTTP_400_BAD_REQUEST)


def query_choice(request, name: str, allowed, default: str) -> tuple[str, Response | None]:
    """A query parameter that must be one of `allowed`, or a 400 naming the choices."""
    value = request.query_params.get(name) or default
    if value not in allowed:
        return value, error_response(
            "invalid",
            f"{name} must be one of {', '.join(allowed)}; got {value!r}.",
            status.HTTP_400_BAD_REQUEST,
        )
    return value, None


def not_found_doc(what: str = "") -> OpenApiResponse:
    """The documented 404 of a project-scoped endpoint: `what` names the other objects."""
    return OpenApiResponse(
        DetailOutput,
        description=f"No such project{what}, or not a member with a role that sees it.",
    )


def request_body(request, example: str) -> tuple[object, Response | None]:
    """The parsed JSON body, or the documented 400 for one that is not JSON (naming an example
    of what to send)."""
    try:
        return request.data, None
    except ParseError as error:
        return None, unreadable_response(error, example)


def managers_only_response(action: str) -> Response:
    return error_response(
        "forbidden",
        f"Only a project manager can {action}; ask one of the project's managers.",
        status.HTTP_403_FORBIDDEN,
    )


QUEUE_UNAVAILABLE = OpenApiResponse(
    RunErrorOutput,
    description="The task queue (the Celery broker) is unreachable: the work "
    "was not queued. An upload is not kept; other work is stored and "
    "marked failed, to be retried. `Retry-After` says when to try.",
)
