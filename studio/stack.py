"""Room on CPython's frame stack for each request, against a slowdown of Python 3.11.

CPython 3.11 keeps the frames of Python calls on a per-thread stack made of chunks of 16 KiB,
allocated with mmap when a call does not fit in the current chunk and unmapped as soon as that
call returns. A loop that calls, over and over, across the end of a chunk (as Django's
template engine does for each cue row when the row's nested nodes happen to reach that depth)
maps and unmaps a chunk on every such call: on the timeline page of 300 cues that was 211
mmap/munmap pairs a request (strace), each a system call and a fresh zeroed page, which cost
10 to 15% of the page's time although the same Python instructions ran (bench/RESULTS.md).
Whether a loop sits on a boundary depends on how deep the request started (the middleware,
the decorators, the server), so any change to either could turn it on or off. This is CPython
issue gh-142183, fixed in 3.13 and 3.14 by caching one chunk per thread; the torch wheel the
studio pins is built for 3.11.

`with_room(call, *args)` calls through one frame that is large enough never to fit in an
ordinary chunk: CPython then maps a chunk for it of 64 KiB, and the frames of the request
follow it there, with about 40 KiB of room (the timeline page's deepest rendering stays inside
it: strace shows one map a request). The chunk is mapped when the request starts and unmapped
when it ends. That costs about 21 us a request on this machine (a map, an unmap and 7 page
faults on first touch: `with_room` around a call that does nothing, best of 7 x 5,000), under
0.3% of a cue save and 0.03% of the timeline page. The frame's locals are names in dead code:
never bound, they show nowhere (tracebacks and debuggers list bound locals only).

Drop this module when the studio moves to a Python with the fix.
"""

from __future__ import annotations

import sys

# The chunk is DATA_STACK_CHUNK_SIZE (16 KiB = 2,048 slots of 8 bytes), and a frame that does
# not fit gets a chunk of the first power of two times that size with room for the frame and
# MINIMUM_OVERHEAD (1,000) slots more (Python/pystate.c, push_chunk). A frame of 3,100 slots
# (a few more with the frame's own fields) needs over 4,096: a chunk of 8,192 slots, so that
# about 5,080 (40 KiB) are left after it. A larger frame would get the same chunk and leave
# less room, up to 7,192 slots, where the chunk doubles.
_SLOTS = 3_100
_SOURCE = (
    "def with_room(call, *args):\n"
    "    if False:  # never runs: only makes the frame this large\n"
    f"        {' = '.join(f'_{i}' for i in range(_SLOTS))} = None\n"
    "    return call(*args)\n"
)
_namespace: dict = {}
exec(compile(_SOURCE, __file__ + ":with_room", "exec"), _namespace)  # noqa: S102
with_room = _namespace["with_room"]
with_room.__doc__ = "call(*args), from a frame at the start of a roomy chunk of the stack."
with_room.__module__ = __name__

# CPython's frame stack (3.11 on); the fix of 3.13 and 3.14 came in patch releases, and where
# it is in, the large frame costs only its set-up (the cached chunk is not mapped again).
NEEDED = sys.implementation.name == "cpython" and sys.version_info >= (3, 11)


class StackRoomMiddleware:
    """First in MIDDLEWARE: everything below it, the view and the template rendering, runs in
    one chunk of CPython's frame stack (see the module's docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if NEEDED:
            return with_room(self.get_response, request)
        return self.get_response(request)
