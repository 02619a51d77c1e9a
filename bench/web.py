"""Web budgets of the timeline: the page's server time with 300 cues (p95 under 150 ms) and
one cue save at a time (p95 under 50 ms), with the SQL statements per request.

Runs Django's test client (the whole middleware stack and template rendering, no network;
without the test environment's template instrumentation)
against a throwaway database created for the run and dropped after it: PostgreSQL when
DATABASE_URL names it (as in deployment), else the embedded SQLite.

--serve PATH runs the code of another checkout (a `git worktree add --detach /tmp/base REV`)
in this same script, to compare two versions (bench/compare.py takes turns between them); its
own migrations build its throwaway database.

Usage:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/emocue \\
        python bench/web.py [--n 200] [--cues 300] [--json] [--serve PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--n", type=int, default=200, help="timed requests of each kind")
parser.add_argument("--cues", type=int, default=300)
parser.add_argument("--json", action="store_true")
parser.add_argument(
    "--lockstep", action="store_true", help="serve requests one at a time when told on stdin"
)
parser.add_argument(
    "--serve", type=Path, default=None, help="run the code of another checkout (default: this one)"
)
ARGS = parser.parse_args() if __name__ == "__main__" else None
CODE = (ARGS.serve if ARGS and ARGS.serve else Path(__file__).parents[1]).resolve()
sys.path.insert(0, str(CODE))
if ARGS is not None:  # run as a script: in the served checkout, as its server would be
    os.chdir(CODE)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings.test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

PAGE_BUDGET_MS, SAVE_BUDGET_MS = 150.0, 50.0


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _build(cues: int):
    from django.contrib.auth import get_user_model

    try:
        from annotate.annotation.models import Annotation
        from annotate.clips.models import Clip
        from annotate.core.models import Membership, Project
        from annotate.runs.models import Cue
    except ImportError:  # --serve of a checkout from before the capability layout (issue #14)
        from annotate.models import Annotation, Clip, Cue, Membership, Project

    user = get_user_model().objects.create_user("bench", password="bench-pass")
    project = Project.objects.create(name="Bench", slug="bench")
    Membership.objects.create(project=project, user=user, role="annotator")
    clip = Clip.objects.create(
        project=project,
        name="sample_00000001",
        source="bench/source",
        sha256="0" * 64,
        status=Clip.Status.READY,
        duration_ms=60_000,
        fps_num=25,
        fps_den=1,
        width=640,
        height=360,
        proxy="clips/1/x/proxy.mp4",
        peaks="clips/1/x/peaks.json",
        has_audio=True,
        subtitle_segments=[
            {"start_ms": i * 2000, "end_ms": i * 2000 + 1500, "text": f"subtitle line {i}"}
            for i in range(30)
        ],
    )
    annotation = Annotation.objects.create(clip=clip, annotator=user)
    modalities = ("visual", "auditory", "emotional")
    Cue.objects.bulk_create(
        [
            Cue(
                clip=clip,
                annotation=annotation,
                position=n,
                modality=modalities[n % 3],
                text=f"The corners of the mouth turn up, observation number {n}.",
                start_ms=None if n % 10 == 9 else (n * 197) % 58_000,
                end_ms=None if n % 10 == 9 else (n * 197) % 58_000 + 900,
                confidence=0.7,
                origin="model",
                decision="proposed",
            )
            for n in range(cues)
        ]
    )
    return user, project, clip, annotation


def run(*, n: int, cues: int) -> dict:
    user, project, clip, annotation = _build(cues)
    client = Client()
    client.force_login(user)
    page_url = f"/p/{project.slug}/annotate/{clip.name}/"
    ids = list(annotation.cues.order_by("position").values_list("pk", flat=True))
    versions = {pk: 1 for pk in ids}

    def page() -> int:
        response = client.get(page_url)
        assert response.status_code == 200 and response.content.count(b'<li class="cue-row') == cues
        return 200

    def save(i: int) -> int:
        pk = ids[i % len(ids)]
        response = client.post(
            f"{page_url}cues/{pk}/edit/",
            {"version": versions[pk], "text": f"Edited text {i}."},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 200, response.content[:300]
        versions[pk] += 1
        return 200

    calls = {"page": lambda i: page(), "save": save}
    for call in calls.values():
        for i in range(min(20, n)):  # warm-up: template loading, connection, caches
            call(i)
    if ARGS is not None and ARGS.lockstep:
        return _lockstep(calls)
    results = {}
    for name, call in calls.items():
        with CaptureQueriesContext(connection) as queries:
            call(n)
        statements = len(queries.captured_queries)
        times, cpu = [], []
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for i in range(n):
            started, cpu_started = time.perf_counter(), time.process_time()
            call(i + 1000)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
        results[name] = {
            "p50_ms": round(statistics.median(times), 2),
            # This process's CPU (the server's share; PostgreSQL's is not in it). It moves by
            # 10-15% from one process to the next on a shared machine, as the wall clock does:
            # compare checkouts with bench/compare.py.
            "cpu_p50_ms": round(statistics.median(cpu), 2),
            # Minor page faults a request: memory mapped afresh each time (studio/stack.py
            # tells of 211 maps and unmaps a page that were invisible in an instruction count).
            "page_faults": round(faults / n, 1),
            "p95_ms": round(_percentile(times, 0.95), 2),
            "max_ms": round(max(times), 2),
            "n": n,
            "sql_statements": statements,
        }
    results["page"]["budget_p95_ms"] = PAGE_BUDGET_MS
    results["save"]["budget_p95_ms"] = SAVE_BUDGET_MS
    results["page"]["within_budget"] = results["page"]["p95_ms"] < PAGE_BUDGET_MS
    results["save"]["within_budget"] = results["save"]["p95_ms"] < SAVE_BUDGET_MS
    return results


def _lockstep(calls: dict) -> dict:
    """Serve one request at a time on the word of bench/compare.py --lockstep, which runs two
    of these (two checkouts) in turns: each line read names a kind, and the answer is a line
    of JSON with its wall-clock and CPU ms. An empty line ends."""
    print("ready", flush=True)
    done = 0
    for line in sys.stdin:
        kind = line.strip()
        if not kind:
            break
        started, cpu_started = time.perf_counter(), time.process_time()
        calls[kind](done + 1000)
        cpu = (time.process_time() - cpu_started) * 1000
        print(json.dumps({"ms": (time.perf_counter() - started) * 1000, "cpu_ms": cpu}), flush=True)
        done += 1
    return {"lockstep": done}


def main() -> int:
    args = ARGS

    # Not setup_test_environment(): its instrumented template rendering copies the context on
    # every include (600 here), which measures the test harness, not the server.
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    db = settings.DATABASES["default"]
    db.setdefault("TEST", {})["NAME"] = (
        None if connection.vendor == "sqlite" else f"test_emocue_bench_web_{os.getpid()}"
    )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        results = run(n=args.n, cues=args.cues)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    results["setup"] = {
        "database": connection.vendor,
        "cues": args.cues,
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "client": "django.test.Client",
        "code": str(CODE),
    }
    if args.lockstep:
        return 0
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"database: {connection.vendor}; {args.cues} cues; {args.n} timed requests each")
        for name, label in (("page", "timeline page"), ("save", "cue save (edit)")):
            r = results[name]
            print(
                f"{label:18} p50 {r['p50_ms']:7.2f} ms  p95 {r['p95_ms']:7.2f} ms  max "
                f"{r['max_ms']:7.2f} ms  CPU p50 {r['cpu_p50_ms']:7.2f} ms  "
                f"{r['page_faults']:6.1f} faults  "
                f"{r['sql_statements']} SQL  budget p95 < "
                f"{r['budget_p95_ms']:.0f} ms: {'yes' if r['within_budget'] else 'NO'}"
            )
    return 0 if results["page"]["within_budget"] and results["save"]["within_budget"] else 1


if __name__ == "__main__":
    sys.exit(main())
