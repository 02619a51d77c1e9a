"""Sending work to the Celery broker after commit, honestly when the broker is down.

The rows that describe the work (a run's proposals, an export, a score job) are committed
before the task is sent, so that a worker never picks up a row it cannot see yet. If the send
then fails (Redis down: kombu's OperationalError), the rows would sit "pending" with no task to
ever move them. Instead they are marked failed with a message that says what happened and how
to start them again, and the request gets a 503 (studio/errors.py) that says the same."""

from collections.abc import Callable

from django.db import transaction
from kombu.exceptions import OperationalError as BrokerUnavailable


class QueueUnavailable(BrokerUnavailable):
    """The work was stored but could not be queued; its rows are marked failed. `message` is
    for the person who asked (the error handler answers it with a 503)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.code = "queue_unavailable"
        self.message = message


def send_on_commit(send: Callable[[], None], *, on_unavailable: Callable[[str], str]) -> None:
    """After commit, call `send`; if the broker cannot be reached, call
    `on_unavailable(reason)`, which marks the stored work failed and returns the sentence for
    the user, and raise QueueUnavailable with it."""

    def guarded() -> None:
        try:
            send()
        except BrokerUnavailable as error:
            if isinstance(error, QueueUnavailable):
                raise
            reason = (
                f"it could not be queued: the task queue was unreachable ({error}). "
                "Nothing will run it"
            )
            raise QueueUnavailable(on_unavailable(reason)) from error

    transaction.on_commit(guarded)
