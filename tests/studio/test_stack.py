"""studio.stack: a request's frames in one roomy chunk of CPython's frame stack."""

from __future__ import annotations

import resource
import sys

import pytest
from django.test import Client, override_settings

from studio import stack

CALLS = 2_000


# A call with a frame of about 210 slots: wider than the step between two depths below, so
# that one of the depths puts it across the end of a chunk.
_namespace: dict = {}
exec(  # noqa: S102
    "def _leaf():\n    if False:\n        "
    + " = ".join(f"_{i}" for i in range(200))
    + " = None\n    return None\n",
    _namespace,
)
_leaf = _namespace["_leaf"]


def _calls_at(depth: int) -> int:
    """Minor page faults of CALLS calls of a small function from `depth` frames down (each
    frame of _down takes about 60 slots of the stack)."""

    def _down(n: int) -> int:
        # Locals that only make this frame larger, so that a few depths cover a chunk.
        a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = a8 = a9 = b0 = b1 = b2 = b3 = b4 = b5 = n  # noqa: F841
        c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = c8 = c9 = d0 = d1 = d2 = d3 = d4 = d5 = n  # noqa: F841
        e0 = e1 = e2 = e3 = e4 = e5 = e6 = e7 = e8 = e9 = f0 = f1 = f2 = f3 = f4 = f5 = n  # noqa: F841
        if n:
            return _down(n - 1)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(CALLS):
            _leaf()
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

    return _down(depth)


def _worst(run, depths: range) -> int:
    return max(run(d) for d in depths)


def test_with_room_keeps_a_request_deep_loop_off_the_end_of_a_chunk():
    # 16 KiB chunks of 2,048 slots and frames of about 60: 40 depths cross at least one end.
    depths = range(0, 40)
    without = _worst(_calls_at, depths)
    within = _worst(lambda d: stack.with_room(_calls_at, d), depths)
    # Without: at the depth where the leaf's frame falls just past a chunk's end, every call
    # maps a fresh chunk and faults on it (CPython 3.11's behaviour, gh-142183). Where the
    # interpreter caches a chunk (3.13 and 3.14 with the fix) there is nothing to see.
    if sys.version_info < (3, 13):
        assert without >= CALLS / 2, without
    # Within: all 40 depths (about 2,400 slots) sit inside the one chunk with_room opened.
    assert within < CALLS / 20, within


def test_with_room_calls_through():
    assert stack.with_room(lambda a, b: a + b, 2, 3) == 5
    with pytest.raises(KeyError, match="x"):
        stack.with_room({}.__getitem__, "x")
    code = stack.with_room.__code__
    # Larger than a 16 KiB chunk with its 1,000 slots of overhead: it always opens a new one.
    assert code.co_nlocals > 3_096
    assert code.co_stacksize < 10 and len(code.co_code) < 32  # the locals are never bound


@pytest.mark.django_db
def test_the_middleware_is_first_and_answers(settings):
    assert settings.MIDDLEWARE[0] == "studio.stack.StackRoomMiddleware"
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        response = Client().get("/login/")
    assert response.status_code == 200
