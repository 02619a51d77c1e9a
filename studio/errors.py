"""The error handlers: 404, 403 and 500 as pages in the site's layout that say where to go
next (frontend/templates/errors/), and as JSON under /api/. A form refused by Django's CSRF
check (CSRF_FAILURE_VIEW) is such a 403 page too, saying why and how to send it again.

When a service a request needs is down (PostgreSQL restarting, the Celery broker unreachable),
the 500 handler answers 503 with a message a person can act on and a Retry-After, as JSON for
the API, plain text for htmx and a page elsewhere. The 500 and 503 pages are rendered without
the request, so no context processor runs and nothing is read from the database, which may be
the service that is down; nor do they show the error. A database error is called "not
reachable" only when the connection failed (a query the database refused, such as SQLite's
"too many SQL variables", is a bug, not an outage): any other error is a 500."""

import sys

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import REASON_NO_CSRF_COOKIE, REASON_NO_REFERER
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from kombu.exceptions import OperationalError as BrokerUnavailable

RETRY_AFTER_S = 10

DATABASE_DOWN = (
    "The database is not reachable right now (it may be restarting). Nothing was "
    "changed; try again in a moment."
)
DATABASE_BUSY = (
    "The database is busy with other writes right now. Nothing was changed; try again in a moment."
)
# Said of enqueues other than a clip upload's, whose rows may already be committed.
BROKER_DOWN = (
    "The task queue is not reachable right now, so the work this request starts may "
    "not have been queued; check its status and try again in a few minutes."
)


# PostgreSQL's SQLSTATEs that mean the server is going away or not taking connections yet
# (class 08 is every connection exception).
_SERVER_GOING = ("57P01", "57P02", "57P03")
# Words of a connection failure, for drivers that give no code (psycopg before a connection,
# and errors raised without their driver's cause).
_CONNECTION_WORDS = (
    "connection refused",
    "connection failed",
    "consuming input failed",
    "the connection is lost",
    "could not connect",
    "connection to server",
    "server closed the connection",
    "connection is closed",
    "connection already closed",
    "terminating connection",
    "could not translate host name",
    "no route to host",
    "timeout expired",
    "unable to open database file",
)


def _database_state(error: BaseException) -> str | None:
    """ "down" when the database cannot be reached, "busy" when SQLite is locked by another
    writer, None for any other database error."""
    if isinstance(error, InterfaceError):
        return "down"  # Django's and psycopg's "connection already closed"
    if not isinstance(error, OperationalError):
        return None
    cause = error.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate:
        return "down" if sqlstate.startswith("08") or sqlstate in _SERVER_GOING else None
    text = str(error).lower()
    if "database is locked" in text:
        return "busy"
    if any(words in text for words in _CONNECTION_WORDS):
        return "down"
    return None


def unavailable_message(error: BaseException | None) -> str | None:
    """What to tell the user when error means a service is down; None for any other error."""
    if isinstance(error, (OperationalError, InterfaceError)):
        return {"down": DATABASE_DOWN, "busy": DATABASE_BUSY}.get(_database_state(error))
    if isinstance(error, BrokerUnavailable):
        return getattr(error, "message", None) or BROKER_DOWN
    return None


SERVER_ERROR = "The server hit an error it did not expect; it has been logged."


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "json" in request.headers.get("Accept", "")


def _next_steps(request: HttpRequest) -> dict:
    """Where the error page's links lead: the page the user came from (only one on this
    site) and, for signing in, this page."""
    referer = request.headers.get("Referer", "")
    same_site = referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    back = referer if same_site and referer != request.build_absolute_uri() else ""
    return {"back": back, "next": request.get_full_path() if request.method == "GET" else ""}


def _page(request: HttpRequest, template: str, status: int, context: dict | None = None):
    """An error page with the request's context (the signed-in user in the top bar); without
    it when the database cannot give that (the session and user are read from it)."""
    context = {**_next_steps(request), **(context or {})}
    try:
        body = loader.render_to_string(template, context, request)
    except DatabaseError:
        body = loader.render_to_string(template, context)
    return HttpResponse(body, status=status)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    # The exception's text is not shown: it can name what the user may not see.
    if _wants_json(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return _page(request, "errors/404.html", 404)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            {"code": "forbidden", "detail": "You do not have permission to do this."}, status=403
        )
    return _page(request, "errors/403.html", 403)


CSRF_EXPIRED = (
    "This form's security token (CSRF) did not match: the page was open from before you "
    "signed in or out, or for too long. Nothing was saved. Go back, reload the page and send "
    "it again."
)
CSRF_NO_COOKIE = (
    "Your browser did not send this site's security cookie (CSRF), so the form was refused "
    "and nothing was saved. Allow cookies for this site, reload the page and send it again."
)
CSRF_NO_REFERER = (
    "Your browser did not say which page sent this form (the Referer header, which the CSRF "
    "check needs over HTTPS), so it was refused and nothing was saved. Allow it for this site, "
    "reload the page and send it again."
)
CSRF_OTHER_SITE = (
    "The form was sent from another address than this site's (a CSRF check), so it was "
    "refused and nothing was saved. Open the studio at its own address and send it from there."
)


def _csrf_message(reason: str) -> str:
    # Django's reasons (django.middleware.csrf.REASON_*): matched by their words, not shown.
    if reason == REASON_NO_CSRF_COOKIE:
        return CSRF_NO_COOKIE
    if reason == REASON_NO_REFERER:
        return CSRF_NO_REFERER
    if "origin" in reason.lower() or "referer" in reason.lower():
        return CSRF_OTHER_SITE
    return CSRF_EXPIRED


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a 403 that says why the form was refused and what to do, as a page
    in the site's layout, as text for htmx (the timeline keeps an htmx change and offers to
    sign in again) and as JSON for a client that asks for it."""
    message = _csrf_message(reason)
    if _wants_json(request):
        return JsonResponse({"code": "csrf_failed", "detail": message}, status=403)
    if request.headers.get("HX-Request"):
        return HttpResponse(message, status=403, content_type="text/plain; charset=utf-8")
    return _page(request, "errors/csrf.html", 403, {"message": message})


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls the handler inside its `except` block, so the error is still at hand.
    message = unavailable_message(sys.exc_info()[1])
    status = 500 if message is None else 503
    if _wants_json(request):
        code = "server_error" if message is None else "service_unavailable"
        response = JsonResponse({"code": code, "detail": message or SERVER_ERROR}, status=status)
    elif request.headers.get("HX-Request"):
        response = HttpResponse(
            message or SERVER_ERROR, status=status, content_type="text/plain; charset=utf-8"
        )
    else:
        # Without the request: no context processor, no query (the database may be down).
        template = "errors/500.html" if message is None else "errors/503.html"
        context = {"message": message, "next": request.path}
        response = HttpResponse(loader.render_to_string(template, context), status=status)
    if message is not None:
        response["Retry-After"] = str(RETRY_AFTER_S)
    return response
