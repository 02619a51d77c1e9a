"""The 500 handler: when a service a request needs is down (PostgreSQL restarting, the Celery
broker unreachable), answer 503 with a message a person can act on and a Retry-After, as JSON
for the API and plain HTML elsewhere, instead of the generic 500. It reads nothing from the
database, which may be the service that is down. Any other error keeps Django's 500: a
database error is called "not reachable" only when the connection failed (a query the
database refused, such as SQLite's "too many SQL variables", is a bug, not an outage)."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape
from django.views.defaults import server_error as django_server_error
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


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls the handler inside its `except` block, so the error is still at hand.
    message = unavailable_message(sys.exc_info()[1])
    if message is None:
        return django_server_error(request)
    wants_json = request.path.startswith("/api/") or "json" in request.headers.get("Accept", "")
    if wants_json:
        response = JsonResponse({"code": "service_unavailable", "detail": message}, status=503)
    elif request.headers.get("HX-Request"):
        response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    else:
        response = HttpResponse(
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Service '
            "unavailable · EmoCue Studio</title></head><body><h1>Service unavailable</h1>"
            f"<p>{escape(message)}</p></body></html>",
            status=503,
        )
    response["Retry-After"] = str(RETRY_AFTER_S)
    return response
