"""What django-axes answers to a locked-out sign-in, and the address it counts failures by.

A lockout is a 429 with a Retry-After and a message saying when to try again: JSON for the API
and for scripts (the code and detail every API error has), the site's page otherwise."""

import math

from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

LOCKED_OUT_STATUS = 429


def lockout_message(minutes: int) -> str:
    return (
        f"Too many failed sign-ins for this user name or from this address. Sign-in is "
        f"refused, even with the right password, for {minutes} minute{'s' if minutes != 1 else ''}"
        f" after the last failed attempt; try again then, or ask an administrator to unlock "
        f"the account (manage.py axes_reset_username <name>)."
    )


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    cool_off = get_cool_off(request)
    seconds = max(1, int(cool_off.total_seconds())) if cool_off else 0
    minutes = max(1, math.ceil(seconds / 60))
    message = lockout_message(minutes)
    retry_at = timezone.now() + cool_off if cool_off else None
    wants_json = (
        request.path.startswith("/api/")
        or "json" in request.headers.get("Accept", "")
        or request.headers.get("X-Requested-With") == "XMLHttpRequest"
    )
    if wants_json:
        response = JsonResponse(
            {
                "code": "locked_out",
                "detail": message,
                "failure_limit": get_failure_limit(request, credentials),
                "retry_after_seconds": seconds,
            },
            status=LOCKED_OUT_STATUS,
        )
    else:
        response = render(
            request,
            "registration/locked_out.html",
            {"message": message, "retry_at": retry_at},
            status=LOCKED_OUT_STATUS,
        )
    if seconds:
        response["Retry-After"] = str(seconds)
    return response


def client_address(request: HttpRequest) -> str | None:
    """The client's address: the connection's, or behind EMOCUE_LOGIN_PROXY_COUNT proxies the
    entry they added to X-Forwarded-For (entries before it are the client's to forge)."""
    proxies = settings.EMOCUE_LOGIN_PROXY_COUNT
    if proxies > 0:
        forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")
