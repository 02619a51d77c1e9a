"""The review queue's first load on a fresh demo, in a fresh web process, and whether that
process loaded the sentence model (issue #15, point 4).

Three processes, one throwaway database (PostgreSQL when DATABASE_URL names it, created for
the run and dropped after it; else a temporary SQLite file):

1. load: `manage.py migrate` and `manage.py demo_load` (the demo clips, accounts, three
   annotators' submitted work and a review in progress). The broker is kombu's in-memory
   transport, so what the submissions queue is sent nowhere: no worker runs here.
2. align: what the cpu worker does with those messages, `annotate.review.tasks.clip_align`
   for every clip with a submitted annotation (skipped, and said so, on a checkout that has
   no such task: there the queue aligns inside the request).
3. serve: a fresh process that signs the demo manager in, then times the first GET of the
   demo project's review queue (Django's test client: the whole middleware stack and the
   template, no network; the answer is not streamed, so its first byte is its last), then a
   second GET; it reports the rows by state and whether `annotate.core.scorer` holds a
   scorer or `sentence_transformers` was imported in that process.

Usage (from the repository root; ffmpeg and espeak-ng as for the demo):
    DATABASE_URL=postgres://postgres:emocue@127.0.0.1:5432/postgres \\
        HF_HUB_OFFLINE=1 python bench/review_queue.py [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
DEMO_PROJECT = "Demo: talking clips"


def _django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings.base")
    import django

    django.setup()


def align() -> None:
    """Step 2, the worker's part: the alignment task on every clip with a submission."""
    _django()
    from annotate.annotation.models import Annotation

    try:
        from annotate.review.tasks import clip_align
    except ImportError:
        print(json.dumps({"aligned": None, "note": "no alignment task in this checkout"}))
        return
    clip_ids = sorted(
        set(
            Annotation.objects.filter(
                status=Annotation.Status.SUBMITTED, clip__project__name=DEMO_PROJECT
            ).values_list("clip_id", flat=True)
        )
    )
    started = time.perf_counter()
    results = [clip_align(clip_id) for clip_id in clip_ids]
    print(
        json.dumps(
            {
                "aligned": len(clip_ids),
                "results": sorted(set(results)),
                "seconds": round(time.perf_counter() - started, 2),
            }
        )
    )


def serve() -> None:
    """Step 3: a fresh web process's first and second GET of the queue."""
    started_process = time.perf_counter()
    _django()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from annotate.core import scorer as core_scorer
    from annotate.core.models import Project

    project = Project.objects.get(name=DEMO_PROJECT)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=os.environ["BENCH_USER"]))
    url = reverse("review-queue", args=[project.slug])
    setup_s = time.perf_counter() - started_process
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    body = response.content.decode()
    print(
        json.dumps(
            {
                "first_get_ms": round(timings[0] * 1000, 1),
                "second_get_ms": round(timings[1] * 1000, 1),
                "process_setup_ms": round(setup_s * 1000, 1),
                "ranked": body.count('data-state="ranked"'),
                "aligning": body.count('data-state="aligning"'),
                "waiting": body.count('class="waiting-row"'),
                "rows": body.count('class="queue-row'),
                "scorer_loaded": core_scorer._scorer is not None,
                "sentence_transformers_imported": "sentence_transformers" in sys.modules,
            }
        )
    )


def _run(step: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        step, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=1800
    )
    if done.returncode:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"{' '.join(step[:3])} failed ({done.returncode})")
    return done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--step", choices=["align", "serve"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step == "align":
        align()
        return 0
    if args.step == "serve":
        serve()
        return 0

    python = sys.executable
    env = {
        **os.environ,
        "CELERY_BROKER_URL": "memory://",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_SETTINGS_MODULE": "studio.settings.base",
        "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1"),
        "BENCH_USER": "demo",
    }
    env.pop("CACHE_URL", None)  # the old code's in-process cache, as by default
    scratch = Path(tempfile.mkdtemp(prefix="emocue-queue-bench-"))
    env["EMOCUE_VAR_DIR"] = str(scratch / "var")
    env["MEDIA_ROOT"] = str(scratch / "media")
    url = os.environ.get("DATABASE_URL", "")
    admin = None
    if url.startswith("postgres"):
        import psycopg

        name = f"emocue_queue_bench_{uuid.uuid4().hex[:8]}"
        parts = urlsplit(url)
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    else:
        env["DATABASE_URL"] = f"sqlite:///{scratch / 'bench.sqlite3'}"
    try:
        started = time.perf_counter()
        _run([python, "manage.py", "migrate", "--noinput"], env)
        _run(
            [python, "manage.py", "demo_load", "--out", str(scratch / "demo")],
            env,
        )
        load_s = time.perf_counter() - started
        aligned = json.loads(_run([python, __file__, "--step", "align"], env).strip())
        served = json.loads(_run([python, __file__, "--step", "serve"], env).strip())
    finally:
        if admin is not None:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    result = {
        "database": "postgresql" if admin else "sqlite",
        "demo_load_s": round(load_s, 1),
        "worker_alignment": aligned,
        **served,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"demo loaded into a fresh {result['database']} database in {load_s:.1f} s")
        if aligned.get("aligned") is None:
            print("worker alignment: none (this checkout has no alignment task)")
        else:
            print(
                f"worker alignment: {aligned['aligned']} clip(s) in {aligned['seconds']} s "
                f"({', '.join(aligned['results'])})"
            )
        print(
            f"review queue, fresh process: first GET {served['first_get_ms']} ms, second GET "
            f"{served['second_get_ms']} ms; rows: {served['rows']} "
            f"({served['ranked']} ranked, {served['aligning']} aligning), "
            f"{served['waiting']} waiting"
        )
        print(
            f"sentence model loaded in that process: {served['scorer_loaded']} "
            f"(sentence_transformers imported: {served['sentence_transformers_imported']})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
