"""Load: 50 concurrent annotators for 60 s against gunicorn + PostgreSQL on loopback, each on
their own annotation: timeline page loads, workspace fragment loads and cue saves (the htmx
edit action with the cue's version and the page's CSRF token, as the browser sends them).
Reports p50/p95/p99 and throughput per request kind and the error count, which must be zero:
any status but 200 (a 409 too, since every client owns its cues and takes the new version
from each response) or a failed connection counts.

Closed loop, no think time: each client sends its next request when the last one answered.
The clients are threads of this process (one keep-alive connection each, plain http.client)
and share the machine's cores with gunicorn and PostgreSQL. At the end the database is checked:
one AnnotationEvent per acknowledged save, and every cue's version is 1 + its saves.

It also reports the CPU time per request over the measured window: the server's processes
(gunicorn's process group), the PostgreSQL backends of the bench database, and the client
threads. On a shared 2-core machine the throughput of one run moves by 10% or more with what
else runs, and so does the CPU per request (11.7 to 18.7 server ms in sixteen runs of two
checkouts, 2026-12-06). --serve PATH serves the code of another checkout (a
`git worktree add --detach /tmp/base REV`, with this checkout's .venv linked in) on the same
data and client, to compare two versions in one session; bench/compare.py runs the two in
turns, several pairs, and reports the median ratio:

    git worktree add --detach /tmp/base 784664f && ln -s "$PWD/.venv" /tmp/base/.venv
    python bench/compare.py /tmp/base --benches load --pairs 4

With --embedded, the same load against the embedded default instead: SQLite (WAL, busy
timeout, IMMEDIATE transactions: studio/settings/base.py) in a fresh EMOCUE_VAR_DIR, served by
`manage.py runstudio` (gunicorn and the Celery worker on the SQLite broker), as
`./studio.sh run` does; DATABASE_URL and CELERY_BROKER_URL are ignored. SQLite's "database is
locked" answers 503, which counts as an error like any status but 200.

Usage:
    DATABASE_URL=postgres://postgres:emocue@127.0.0.1:5432/postgres \\
        python bench/load.py [--clients 50] [--seconds 60] [--cues 40] [--workers 2] [--threads 4]
    python bench/load.py --embedded --clients 32 --mix 0,0,1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "studio.settings.base"

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--clients", type=int, default=50)
parser.add_argument("--seconds", type=float, default=60.0)
parser.add_argument("--cues", type=int, default=40, help="cues in each annotation")
parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (2 cores)")
parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
parser.add_argument(
    "--mix",
    default="1,2,7",
    help="weights of page load, workspace fragment, cue save (default 1,2,7)",
)
parser.add_argument(
    "--warmup",
    type=float,
    default=5.0,
    help="seconds of load before the measured ones (connections, caches); errors count",
)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument(
    "--serve",
    type=Path,
    default=None,
    help="serve the code of another checkout (e.g. a git worktree of an older commit) on the "
    "same data and client, to compare the two; it must run on this checkout's schema",
)
parser.add_argument(
    "--json", action="store_true", help="also print the figures as one line: JSON {...}"
)
parser.add_argument(
    "--embedded",
    action="store_true",
    help="SQLite and `manage.py runstudio`, as ./studio.sh run serves, instead of PostgreSQL",
)
ARGS = parser.parse_args()
VAR_DIR = Path(tempfile.mkdtemp(prefix="emocue-bench-load-var-")) if ARGS.embedded else None
if VAR_DIR is not None:  # before live_server sets Django up: the embedded profile's settings
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "MEDIA_ROOT", "STATIC_ROOT", "CACHE_URL"):
        os.environ.pop(name, None)
    os.environ["EMOCUE_VAR_DIR"] = str(VAR_DIR)

import live_server as live  # noqa: E402 (after the environment above)

KINDS = ("page", "workspace", "save")


class Client(threading.Thread):
    def __init__(
        self,
        host: str,
        port: int,
        annotator: live.Annotator,
        *,
        deadline: float,
        weights: list[float],
        seed: int,
        start_gate: threading.Barrier,
    ):
        super().__init__(daemon=True)
        self.browser = live.Browser(host, port, cookies={"sessionid": annotator.session_key})
        self.annotator = annotator
        self.base = f"/p/bench/annotate/{annotator.clip_name}/"
        self.deadline, self.weights, self.gate = deadline, weights, start_gate
        self.measure_from = deadline
        self.random = random.Random(seed)
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.saves: dict[int, int] = defaultdict(int)
        self.versions: dict[int, int] = {}

    def _read_versions(self, text: str) -> None:
        for cue_id, version in live.CUE_RE.findall(text):
            self.versions[int(cue_id)] = int(version)

    def _timed(self, kind: str, call) -> tuple[int, str] | None:
        started = time.perf_counter()
        try:
            status, text = call()
        except Exception as error:  # a refused or dropped connection is an error too
            self.errors.append(f"{kind}: {type(error).__name__}: {error}")
            return None
        if time.monotonic() >= self.measure_from:
            self.times[kind].append((time.perf_counter() - started) * 1000)
        if status != 200:
            self.errors.append(f"{kind}: HTTP {status}: {text[:200]!r}")
            return None
        return status, text

    def run(self) -> None:
        first = self.browser.get(self.base)  # the page: CSRF token, cookie and versions
        if first[0] != 200:
            self.errors.append(f"first page: HTTP {first[0]}")
        self._read_versions(first[1])
        self.gate.wait()
        while time.monotonic() < self.deadline:
            kind = self.random.choices(KINDS, weights=self.weights)[0]
            if kind == "page":
                result = self._timed(kind, lambda: self.browser.get(self.base))
                if result:
                    rows = result[1].count('<li class="cue-row')
                    if rows != len(self.annotator.cue_ids):
                        self.errors.append(
                            f"page: {rows} cue rows, expected {len(self.annotator.cue_ids)}"
                        )
                    self._read_versions(result[1])
            elif kind == "workspace":
                result = self._timed(
                    kind, lambda: self.browser.get(self.base + "workspace/", htmx=True)
                )
                if result:
                    self._read_versions(result[1])
            else:
                cue_id = self.random.choice(self.annotator.cue_ids)
                version = self.versions[cue_id]
                text = f"Edited by {self.annotator.username}, save {sum(self.saves.values())}."
                result = self._timed(
                    kind,
                    lambda cue_id=cue_id, version=version, text=text: self.browser.post(
                        f"{self.base}cues/{cue_id}/edit/", {"version": version, "text": text}
                    ),
                )
                if result:
                    self.saves[cue_id] += 1
                    self._read_versions(result[1])  # the changed row carries the new version
                    if self.versions[cue_id] != version + 1:
                        self.errors.append(
                            f"save: cue {cue_id} came back at version "
                            f"{self.versions[cue_id]}, expected {version + 1}"
                        )
        self.browser.close()


def main() -> int:
    weights = [float(w) for w in ARGS.mix.split(",")]
    started_at = datetime.now(UTC)
    load_before = live.machine_load()
    log = Path(tempfile.mkdtemp(prefix="emocue-bench-load-")) / "gunicorn.log"
    try:
        return _run(log, weights, started_at, load_before)
    finally:
        shutil.rmtree(log.parent, ignore_errors=True)
        if VAR_DIR is not None:
            shutil.rmtree(VAR_DIR, ignore_errors=True)


def _run(log: Path, weights: list[float], started_at: datetime, load_before: str) -> int:
    from annotate.annotation.models import AnnotationEvent
    from annotate.runs.models import Cue

    if ARGS.embedded:
        database, server, extra = live.embedded_database(), live.runstudio, {}
    else:
        database, server = live.bench_database("load"), live.gunicorn
        extra = {
            "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
        }
    with database as db_name:
        # Inside: server_env() names the bench's own database, which bench_database() switched to.
        env = live.server_env(MEDIA_ROOT=str(log.parent / "media"), **extra)
        annotators = live.build_annotators(n=ARGS.clients, cues=ARGS.cues)
        root = ARGS.serve.resolve() if ARGS.serve else live.ROOT
        with server(env=env, workers=ARGS.workers, threads=ARGS.threads, log=log, root=root) as (
            host,
            port,
        ):
            group = live.serving_pids()[-1]
            clients: list[Client] = []
            starts: list[float] = []

            def start_clock() -> None:  # runs once, before any client is let go
                starts.append(time.monotonic() + ARGS.warmup)
                for c in clients:
                    c.measure_from, c.deadline = starts[0], starts[0] + ARGS.seconds

            gate = threading.Barrier(ARGS.clients + 1, action=start_clock)
            clients += [
                Client(
                    host,
                    port,
                    a,
                    deadline=0,
                    weights=weights,
                    seed=ARGS.seed * 1000 + i,
                    start_gate=gate,
                )
                for i, a in enumerate(annotators)
            ]
            for c in clients:
                c.start()
            gate.wait(timeout=120)  # every client has loaded its page once
            t0 = starts[0]
            time.sleep(max(0.0, t0 - time.monotonic()))  # the end of the warm-up
            # CPU seconds over the measured window: this process (the client threads), the
            # server's process group, and the PostgreSQL backends of the bench database.
            backends = [] if ARGS.embedded else live.database_backends(db_name)
            cpu0 = time.process_time()
            server0 = live.cpu_split(group=group)
            backends0 = live.cpu_seconds(backends)
            for c in clients:
                c.join(timeout=ARGS.seconds + 120)
            elapsed = time.monotonic() - t0
            client_cpu = time.process_time() - cpu0
            server_user, server_system = (
                b - a for a, b in zip(server0, live.cpu_split(group=group), strict=True)
            )
            server_cpu = server_user + server_system
            # Backends that connected after t0 count whole (their CPU before t0 is small).
            now = [] if ARGS.embedded else live.database_backends(db_name)
            late = sorted(set(now) - set(backends))
            backends_cpu = live.cpu_seconds(backends) - backends0 + live.cpu_seconds(late)
            load_during = live.machine_load()
        # The database agrees with what the clients were told.
        acknowledged = sum(sum(c.saves.values()) for c in clients)
        events = AnnotationEvent.objects.filter(action="edit").count()
        version_mismatch = 0
        for c in clients:
            for cue_id, version in Cue.objects.filter(pk__in=c.annotator.cue_ids).values_list(
                "pk", "version"
            ):
                version_mismatch += version != 1 + c.saves.get(cue_id, 0)
    errors = [e for c in clients for e in c.errors]
    print(
        f"# bench/load.py {started_at:%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average before {load_before}, at the end {load_during}"
    )
    print(
        f"# {ARGS.clients} clients x {ARGS.seconds:.0f} s after {ARGS.warmup:.0f} s of warm-up "
        f"(measured {elapsed:.1f} s), {ARGS.cues} cues each, mix page:workspace:save = {ARGS.mix}; "
        f"gunicorn gthread {ARGS.workers} workers x {ARGS.threads} threads; "
        + (
            "embedded default: SQLite, served by manage.py runstudio"
            if ARGS.embedded
            else "PostgreSQL"
        )
    )
    print("| request | count | per s | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for kind in KINDS:
        times = [t for c in clients for t in c.times[kind]]
        if not times:
            continue
        print(
            f"| {kind} | {len(times)} | {len(times) / elapsed:.1f} | "
            f"{live.percentile(times, 0.5):.1f} | {live.percentile(times, 0.95):.1f} | "
            f"{live.percentile(times, 0.99):.1f} | {max(times):.1f} |"
        )
    everything = [t for c in clients for k in KINDS for t in c.times[k]] or [float("nan")]
    print(
        f"| all | {len(everything)} | {len(everything) / elapsed:.1f} | "
        f"{live.percentile(everything, 0.5):.1f} | {live.percentile(everything, 0.95):.1f} | "
        f"{live.percentile(everything, 0.99):.1f} | {max(everything):.1f} |"
    )
    print(
        f"client process CPU: {client_cpu:.1f} s over the {elapsed:.0f} s measured "
        f"({client_cpu / elapsed:.0%} of one core, taken from the same 2 cores as the server)"
    )
    served = max(len(everything), 1)
    print(
        "CPU ms per request (measured window): "
        f"server {server_cpu / served * 1000:.2f} (user {server_user / served * 1000:.2f}, "
        f"system {server_system / served * 1000:.2f}), "
        + ("" if ARGS.embedded else f"PostgreSQL backends {backends_cpu / served * 1000:.2f}, ")
        + f"client {client_cpu / served * 1000:.2f}"
        + (f"; served from {root}" if ARGS.serve else "")
    )
    print(f"errors: {len(errors)}")
    for error in errors[:10]:
        print(f"  {error}")
    print(
        f"database: {events} edit events for {acknowledged} acknowledged saves; "
        f"{version_mismatch} cues whose version is not 1 + their saves"
    )
    ok = not errors and events == acknowledged and version_mismatch == 0
    if ARGS.json:  # one line for bench/compare.py, after the table
        summary = {
            "requests_per_s": len(everything) / elapsed,
            "p50_ms": live.percentile(everything, 0.5),
            "p95_ms": live.percentile(everything, 0.95),
            "server_cpu_ms": server_cpu / served * 1000,
            "server_user_ms": server_user / served * 1000,
            "server_system_ms": server_system / served * 1000,
            "postgres_cpu_ms": None if ARGS.embedded else backends_cpu / served * 1000,
            "errors": len(errors),
            "ok": ok,
            "code": str(root),
        }
        print("JSON " + json.dumps(summary))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
