"""Faults: what the studio does when a worker, PostgreSQL or Redis goes away, on loopback only,
bounded in time, and cleaned up afterwards (databases dropped, processes stopped, every
stopped service started again, also on failure).

  worker-kill  A real Celery worker (Redis broker) runs the signal proposer over the 8 demo
               clips, run after run; 10 times it is SIGKILLed in the middle of a clip (even
               rounds: the whole worker, main process and pool child, as an OOM kill or a
               crash of the host would; the message then comes back after the visibility
               timeout; odd rounds: the pool child only, which the main process reports as
               lost and requeues at once) and started again. Then every run must finish, every
               clip be done, each proposal hold as many cues as a clean run's, and no cue be
               duplicated.
  pg-restart   gunicorn serves clients (timeline page, cue saves, the API) while PostgreSQL
               stops and starts again. While it is down every request must get a 503 with a
               message (no 500, no traceback); once it is back, requests succeed without
               restarting gunicorn (CONN_MAX_AGE with CONN_HEALTH_CHECKS). Reports the downtime,
               the failed requests' status codes and the time to recovery.
  redis-down   With the broker stopped, a clip upload (the API and the upload page) is refused
               with a 503 and a message, and nothing is stored; pages still load. Redis is
               started again and the same uploads go in and are ingested by the worker.

pg-restart and redis-down stop servers of their own (a throwaway PostgreSQL cluster initdb'd
in a temporary folder, a redis-server on a free port), started with the same binaries and
options as the machine's: stopping the machine's shared servers would break every other test
run on it. `--shared` uses the machine's own instead (pg_ctlcluster / redis-server as the env
notes start them), for a machine where nothing else runs.

Usage:
    DATABASE_URL=postgres://postgres:emocue@127.0.0.1:5432/postgres \\
        python bench/faults.py worker-kill [--kills 10] [--broker redis://127.0.0.1:6379/14]
    python bench/faults.py pg-restart [--down 5] [--clients 4]
    DATABASE_URL=postgres://postgres:emocue@127.0.0.1:5432/postgres \\
        python bench/faults.py redis-down
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "studio.settings.base"

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
commands = parser.add_subparsers(dest="command", required=True)
kill_parser = commands.add_parser("worker-kill")
kill_parser.add_argument("--kills", type=int, default=10)
kill_parser.add_argument("--broker", default="redis://127.0.0.1:6379/14")
kill_parser.add_argument(
    "--visibility",
    type=int,
    default=10,
    help="EMOCUE_BROKER_VISIBILITY_TIMEOUT of the worker, seconds",
)
kill_parser.add_argument("--seed", type=int, default=0)
pg_parser = commands.add_parser("pg-restart")
pg_parser.add_argument("--down", type=float, default=5.0, help="seconds PostgreSQL stays stopped")
pg_parser.add_argument("--clients", type=int, default=4)
pg_parser.add_argument(
    "--shared",
    action="store_true",
    help="restart the machine's PostgreSQL cluster (pg_ctlcluster) instead of a private one",
)
redis_parser = commands.add_parser("redis-down")
redis_parser.add_argument("--down", type=float, default=10.0, help="seconds Redis stays stopped")
redis_parser.add_argument(
    "--shared",
    action="store_true",
    help="stop the machine's Redis on 6379 instead of a private one",
)
ARGS = parser.parse_args()

STARTED_AT = datetime.now(UTC)
WORK = Path(tempfile.mkdtemp(prefix=f"emocue-bench-faults-{ARGS.command}-"))


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def header() -> str:
    one, five, fifteen = os.getloadavg()
    return (
        f"# bench/faults.py {ARGS.command} {STARTED_AT:%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; load average at the start "
        f"{LOAD_AT_START}, at the end {one:.2f} {five:.2f} {fifteen:.2f}"
    )


LOAD_AT_START = " ".join(f"{x:.2f}" for x in os.getloadavg())


# ---- servers of the bench's own -----------------------------------------------------------------


def free_port() -> int:  # live_server has one, but importing it sets Django up, too early here
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivatePostgres:
    """A throwaway cluster of the machine's PostgreSQL (initdb in WORK), on a free port."""

    def __init__(self) -> None:
        version = max(os.listdir("/usr/lib/postgresql"), key=int)
        self.bin = Path(f"/usr/lib/postgresql/{version}/bin")
        self.dir = WORK / "pg"
        self.dir.mkdir()
        shutil.chown(WORK, "postgres")
        shutil.chown(self.dir, "postgres")
        self.port = free_port()
        self._as_postgres(
            self.bin / "initdb",
            "-D",
            str(self.dir / "data"),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        )

    def _as_postgres(self, *command) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *map(str, command)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=self.dir,
        )

    def start(self) -> None:
        self._as_postgres(
            self.bin / "pg_ctl",
            "-D",
            self.dir / "data",
            "-l",
            self.dir / "server.log",
            "-w",
            "-o",
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c max_connections=200",
            "start",
        )

    def stop(self) -> None:
        self._as_postgres(self.bin / "pg_ctl", "-D", self.dir / "data", "-m", "fast", "-w", "stop")

    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()


class SharedPostgres:
    """The machine's own cluster, stopped and started as the environment notes say."""

    def __init__(self) -> None:
        self.version = max(os.listdir("/etc/postgresql"), key=int)

    def start(self) -> None:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, "main", "start"],
            check=True,
        )

    def stop(self) -> None:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, "main", "stop"], check=True
        )

    def url(self) -> str:
        return os.environ.get("DATABASE_URL", "postgres://postgres:emocue@127.0.0.1:5432/postgres")

    def close(self) -> None:  # started again whatever happened
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, "main", "start"]
        )


class PrivateRedis:
    """redis-server with the machine's options (nothing on disk), on a free port of its own;
    `shared` drives the machine's Redis on 6379 the same way."""

    def __init__(self, *, shared: bool) -> None:
        self.shared = shared
        self.port = 6379 if shared else free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "-::1",
            "--port",
            str(self.port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(WORK),
        ]
        if self.shared:
            subprocess.run(
                [
                    *command,
                    "--daemonize",
                    "yes",
                    "--dir",
                    "/var/lib/redis",
                    "--logfile",
                    "/var/log/redis/ci.log",
                ],
                check=True,
            )
        else:
            self.process = subprocess.Popen(
                command,
                stdout=(WORK / "redis.log").open("a"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 20
        while (
            subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True
            ).stdout.strip()
            != "PONG"
        ):
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.1)

    def stop(self) -> None:
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "shutdown", "nosave"], capture_output=True
        )
        if self.process is not None:
            self.process.wait(timeout=10)
            self.process = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def close(self) -> None:
        if self.shared:
            if (
                subprocess.run(
                    ["redis-cli", "-p", "6379", "ping"], capture_output=True, text=True
                ).stdout.strip()
                != "PONG"
            ):
                self.start()
        elif self.process is not None:
            from live_server import stop_process_group

            stop_process_group(self.process)


# ---- celery workers ---------------------------------------------------------------------------


class Workers:
    """Real `celery worker` processes (prefork, concurrency 1, cpu queue), each in its own
    process group; every one is stopped at the end."""

    def __init__(self, env: dict, log: Path):
        self.env, self.log = env, log
        self.processes: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "studio",
                "worker",
                "-Q",
                "cpu",
                "--concurrency",
                "1",
                "--pool",
                "prefork",
                "-n",
                f"bench-{uuid.uuid4().hex[:8]}@%h",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    @staticmethod
    def children(pid: int) -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
        return found

    def stop_all(self) -> None:
        from live_server import stop_process_group

        for process in self.processes:
            stop_process_group(process, grace_s=20)

    def tail(self) -> str:
        return self.log.read_text()[-3000:] if self.log.exists() else ""


def wait_for(
    predicate, *, seconds: float, what: str, interval: float = 0.05, log: Workers | None = None
):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise RuntimeError(
        f"timed out after {seconds:.0f} s waiting for {what}"
        + (f"\nworker log:\n{log.tail()}" if log else "")
    )


# ---- worker-kill ------------------------------------------------------------------------------


def worker_kill() -> int:
    os.environ["CELERY_BROKER_URL"] = ARGS.broker
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    import live_server as live
    from django.conf import settings
    from django.core.files.storage import default_storage
    from django.db.models import Count
    from django.utils import timezone as tz

    from annotate.clips.imports import clips_import
    from annotate.runs import services as run_services
    from annotate.runs.models import Cue, ModelRun, Proposal
    from fixtures.demo import build_demo
    from studio.celery import app as celery_app

    rng = random.Random(ARGS.seed)
    media = WORK / "media"
    media.mkdir()
    settings.MEDIA_ROOT = media
    default_storage.__dict__.pop("_wrapped", None)
    default_storage._setup()
    celery_app.control.purge()
    env = live.server_env(
        MEDIA_ROOT=str(media),
        CELERY_BROKER_URL=ARGS.broker,
        CELERY_TASK_ALWAYS_EAGER="0",
        EMOCUE_BROKER_VISIBILITY_TIMEOUT=str(ARGS.visibility),
        EMOCUE_BROKER_RESTORE_SWEEP_S="1",
        DJANGO_LOG_LEVEL="INFO",
    )
    workers = Workers(env, WORK / "workers.log")
    with live.bench_database("workerkill"):
        from annotate.core.models import Project

        env["DATABASE_URL"] = live.database_url()
        try:
            project = Project.objects.create(name="Bench worker kill", slug="bench-kill")
            with contextlib.redirect_stdout(sys.stderr):
                demo = build_demo(WORK / "demo")
            report = clips_import(project=project, directory=demo.out_dir, manifest=demo.manifest)
            assert report.ok and report.count("ready") == 8, [
                (r.name, r.message) for r in report.rows
            ]
            worker = workers.start()

            def finished(run) -> bool:
                return ModelRun.objects.get(pk=run.pk).status == ModelRun.Status.FINISHED

            clean = run_services.run_create(project=project, proposer="signals", label="clean")
            t = time.monotonic()
            wait_for(lambda: finished(clean), seconds=300, what="the clean run", log=workers)
            say(f"clean run finished in {time.monotonic() - t:.1f} s")
            reference = {
                p.clip_id: sorted(
                    p.cues.values_list("modality", "kind", "text", "start_ms", "end_ms")
                )
                for p in clean.proposals.all()
            }

            runs, kills = [], []
            last_kill = tz.now()
            while len(kills) < ARGS.kills:
                if not Proposal.objects.filter(
                    run__in=runs, status__in=["pending", "running"]
                ).exists():
                    runs.append(
                        run_services.run_create(
                            project=project,
                            proposer="signals",
                            label=f"kill round {len(kills) + 1}",
                        )
                    )
                since = last_kill
                held = wait_for(
                    lambda since=since: Proposal.objects.filter(
                        run__in=runs, status="running", started_at__gt=since
                    ).first(),
                    seconds=120,
                    what="a clip in the worker's hands",
                    log=workers,
                )
                time.sleep(rng.uniform(0.0, 1.5))  # anywhere in the clip: proposer or store
                whole = len(kills) % 2 == 0
                children = Workers.children(worker.pid)
                if Proposal.objects.get(pk=held.pk).status != "running" or (
                    not whole and not children
                ):
                    continue  # finished meanwhile: not mid-task, wait for the next clip
                if whole:
                    os.killpg(worker.pid, signal.SIGKILL)
                    worker.wait(timeout=10)
                else:
                    for child in children:
                        os.kill(child, signal.SIGKILL)
                last_kill = tz.now()
                into = (last_kill - held.started_at).total_seconds()
                kills.append(
                    {
                        "round": len(kills) + 1,
                        "what": "whole worker" if whole else "pool child",
                        "proposal": held.pk,
                        "clip": held.clip.name,
                        "run": held.run_id,
                        "into": into,
                    }
                )
                say(
                    f"kill {len(kills)}: {kills[-1]['what']} {into:.2f} s into {held.clip.name} "
                    f"(run {held.run_id})"
                )
                if whole:
                    worker = workers.start()
            t = time.monotonic()
            wait_for(
                lambda: all(finished(r) for r in runs),
                seconds=600,
                what="every run to finish",
                interval=0.5,
                log=workers,
            )
            settle_s = time.monotonic() - t

            # Checks.
            all_runs = [clean, *runs]
            proposals = list(Proposal.objects.filter(run__in=all_runs).select_related("clip"))
            not_done = [
                (p.run_id, p.clip.name, p.status, p.error) for p in proposals if p.status != "done"
            ]
            count_mismatch, content_mismatch = [], 0
            for p in proposals:
                cues = sorted(p.cues.values_list("modality", "kind", "text", "start_ms", "end_ms"))
                if len(cues) != len(reference[p.clip_id]):
                    count_mismatch.append(
                        (p.run_id, p.clip.name, len(cues), len(reference[p.clip_id]))
                    )
                content_mismatch += cues != reference[p.clip_id]
            position_dupes = (
                Cue.objects.filter(proposal__run__in=all_runs)
                .values("proposal", "position")
                .annotate(n=Count("id"))
                .filter(n__gt=1)
                .count()
            )
            content_dupes = (
                Cue.objects.filter(proposal__run__in=all_runs)
                .values("proposal", "modality", "kind", "text", "start_ms", "end_ms")
                .annotate(n=Count("id"))
                .filter(n__gt=1)
                .count()
            )
            # A clip killed j times was claimed at least j + 1 times (attempts counts claims).
            killed_on = Counter(k["proposal"] for k in kills)
            interrupted = Proposal.objects.filter(pk__in=killed_on)
            retaken = sum(p.attempts >= killed_on[p.pk] + 1 for p in interrupted)
            attempts = Counter(p.attempts for p in proposals if p.run_id != clean.pk)
            total_cues = Cue.objects.filter(proposal__run__in=all_runs).count()
        finally:
            workers.stop_all()
            with contextlib.suppress(Exception):
                celery_app.control.purge()
                import redis as redis_client

                broker = redis_client.Redis.from_url(
                    ARGS.broker
                )  # what this run's workers left there
                for key in [
                    *broker.scan_iter("_kombu.*"),
                    "cpu",
                    "unacked",
                    "unacked_index",
                    "unacked_mutex",
                ]:
                    broker.delete(key)
    print(header())
    print(
        "# signal proposer over the 8 demo clips; worker prefork x 1, visibility timeout "
        f"{ARGS.visibility} s, restore sweep 1 s; broker {ARGS.broker}"
    )
    print(
        f"kills: {len(kills)} ({sum(k['what'] == 'whole worker' for k in kills)} whole worker, "
        f"{sum(k['what'] == 'pool child' for k in kills)} pool child), "
        "each while a clip was running"
    )
    for k in kills:
        print(
            f"  {k['round']:2d}. {k['what']:12s} {k['into']:.2f} s into {k['clip']} "
            f"(run {k['run']})"
        )
    print(
        f"runs: 1 clean + {len(runs)} under kills, "
        f"all finished {settle_s:.1f} s after the last kill"
    )
    print(f"proposals: {len(proposals)}, not done: {len(not_done)} {not_done[:3]}")
    print(
        f"interrupted clips taken up again after each kill (attempts > kills on it): {retaken}/"
        f"{len(killed_on)}; attempts over the "
        f"kill runs: {dict(sorted(attempts.items()))}"
    )
    print(
        f"cues: {total_cues}; proposals whose cue count differs from the clean run's: "
        f"{len(count_mismatch)} {count_mismatch[:3]}; whose cues differ at all: {content_mismatch}"
    )
    print(
        f"duplicate (proposal, position): {position_dupes}; "
        f"duplicate cue content within a proposal: {content_dupes}"
    )
    ok = (
        not not_done
        and not count_mismatch
        and not position_dupes
        and not content_dupes
        and len(kills) == ARGS.kills
        and retaken == len(killed_on)
    )
    print("result: " + ("every run completed, no duplicate cues" if ok else "FAILED"))
    return 0 if ok else 1


# ---- pg-restart -------------------------------------------------------------------------------


def pg_restart() -> int:
    server = SharedPostgres() if ARGS.shared else PrivatePostgres()
    try:
        if not ARGS.shared:
            server.start()
        os.environ["DATABASE_URL"] = server.url()
        import live_server as live

        with live.bench_database("pgrestart"):
            annotators = live.build_annotators(n=ARGS.clients, cues=20)
            env = live.server_env(
                MEDIA_ROOT=str(WORK / "media"), CELERY_BROKER_URL="redis://127.0.0.1:6379/14"
            )
            with live.gunicorn(env=env, workers=2, threads=4, log=WORK / "gunicorn.log") as (
                host,
                port,
            ):
                result = _pg_restart_drive(live, server, host, port, annotators)
    finally:
        server.close()
    return result


def _pg_restart_drive(live, server, host: str, port: int, annotators) -> int:
    records: list[tuple[float, str, int | None, str, float]] = []  # (t, kind, status, body, ms)
    lock = threading.Lock()
    stop = threading.Event()

    def client(annotator, seed: int) -> None:
        rng = random.Random(seed)
        browser = live.Browser(host, port, cookies={"sessionid": annotator.session_key}, timeout=20)
        base = f"/p/bench/annotate/{annotator.clip_name}/"
        versions: dict[int, int] = {}
        stale = True
        while not stop.is_set():
            # A stale client reloads the page (as the 409 / failure message says): versions, CSRF.
            kind = "page" if stale else rng.choice(("page", "workspace", "save", "save", "api"))
            started = time.monotonic()
            status, body = None, ""
            try:
                if kind == "page":
                    status, body = browser.get(base)
                elif kind == "workspace":
                    status, body = browser.get(base + "workspace/", htmx=True)
                elif kind == "api":
                    status, body = browser._request(
                        "GET", "/api/projects/", headers={"Accept": "application/json"}
                    )
                else:
                    cue_id = rng.choice(annotator.cue_ids)
                    status, body = browser.post(
                        f"{base}cues/{cue_id}/edit/",
                        {"version": versions[cue_id], "text": f"Saved at {started:.3f}."},
                    )
            except Exception as error:
                body = f"{type(error).__name__}: {error}"
            ms = (time.monotonic() - started) * 1000
            if status == 200 and kind in ("page", "workspace", "save"):
                versions.update({int(c): int(v) for c, v in live.CUE_RE.findall(body)})
                stale = False
            elif kind == "save":
                stale = True  # it may have landed before the connection went: re-read the versions
            with lock:
                records.append((started, kind, status, body[:300], ms))
            time.sleep(0.05)
        browser.close()

    threads = [
        threading.Thread(target=client, args=(a, i), daemon=True) for i, a in enumerate(annotators)
    ]
    for t in threads:
        t.start()
    time.sleep(3)
    say("stopping PostgreSQL")
    t_stop = time.monotonic()
    server.stop()
    t_stopped = time.monotonic()
    time.sleep(ARGS.down)
    say("starting PostgreSQL")
    t_start = time.monotonic()
    server.start()
    t_up = time.monotonic()

    # Run on until every client has had 10 answers in a row of 200 (or 60 s).
    def recovered() -> bool:
        with lock:
            after = [r for r in records if r[0] >= t_up]
        return len(after) >= 10 * len(threads) and all(
            r[2] == 200 for r in after[-10 * len(threads) :]
        )

    try:
        wait_for(recovered, seconds=60, what="recovery", interval=0.2)
    except RuntimeError as error:
        say(str(error))
    time.sleep(1)
    stop.set()
    for t in threads:
        t.join(timeout=30)

    def window(a: float, b: float):
        return [r for r in records if a <= r[0] < b]

    before = window(0, t_stop)
    down = window(t_stop, t_up)
    after = window(t_up, float("inf"))
    failed = [r for r in records if r[2] != 200]
    statuses = Counter(r[2] for r in failed)
    bad = [r for r in failed if r[2] != 503 or "Traceback" in r[3]]
    messages = Counter()
    for r in failed:
        if r[2] == 503:
            messages["json" if r[3].startswith("{") else "html/text"] += 1
            if "database is not reachable" not in r[3]:
                bad.append(r)
    first_fail = min((r[0] for r in failed), default=None)
    last_fail = max((r[0] for r in failed), default=None)
    first_ok_after = min((r[0] for r in after if r[2] == 200), default=None)
    after_failed = [r for r in after if r[2] != 200]
    print(header())
    print(
        f"# {'the machine' if ARGS.shared else 'a private'} PostgreSQL cluster, "
        f"stopped (pg_ctl -m fast) for {ARGS.down:.0f} s; gunicorn gthread 2 x 4; "
        f"{len(threads)} clients each looping page / workspace / save / save / API GET "
        "with 50 ms pauses"
    )
    print(
        f"stop took {t_stopped - t_stop:.2f} s, start {t_up - t_start:.2f} s; database down for "
        f"{t_up - t_stop:.2f} s (stop command to start returned)"
    )
    print(
        f"requests: {len(before)} before (failed {sum(r[2] != 200 for r in before)}), "
        f"{len(down)} while down, {len(after)} after (failed {len(after_failed)})"
    )
    print(
        f"failed requests by status: {dict(statuses)}; 503 bodies: {dict(messages)}; "
        f"anything else (500, traceback, no message, dropped): {len(bad)}"
    )
    for r in bad[:5]:
        print(f"  {r[1]} {r[2]} {r[3][:160]!r}")
    if failed:
        print(
            f"failures from {first_fail - t_stop:+.2f} s to {last_fail - t_up:+.2f} s "
            "after the start returned; "
            f"503 answered in p50 {live.percentile([r[4] for r in failed], 0.5):.0f} ms, "
            f"max {max(r[4] for r in failed):.0f} ms"
        )
    if first_ok_after is not None:
        print(
            f"recovery: first 200 {first_ok_after - t_up:.2f} s after the start returned; "
            f"last failure {max(0.0, (last_fail or t_up) - t_up):.2f} s after it; "
            "gunicorn not restarted"
        )
    ok = (
        not bad and first_ok_after is not None and not [r for r in before if r[2] != 200] and failed
    )
    print("result: " + ("clean 503s while down, recovered without a restart" if ok else "FAILED"))
    return 0 if ok else 1


# ---- redis-down -------------------------------------------------------------------------------


def redis_down() -> int:
    redis = PrivateRedis(shared=ARGS.shared)
    if not ARGS.shared:
        redis.start()
    os.environ["CELERY_BROKER_URL"] = redis.url(14 if ARGS.shared else 0)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    import live_server as live

    workers = None
    try:
        with live.bench_database("redisdown"):
            from django.contrib.auth import get_user_model
            from rest_framework.authtoken.models import Token

            from annotate.clips.models import Clip
            from annotate.core.models import Membership, Project
            from tests import mediafiles

            media = WORK / "media"
            env = live.server_env(
                MEDIA_ROOT=str(media),
                CELERY_BROKER_URL=os.environ["CELERY_BROKER_URL"],
                CELERY_TASK_ALWAYS_EAGER="0",
            )
            project = Project.objects.create(name="Bench broker", slug="bench")
            user = get_user_model().objects.create_user("manager", password="bench-pass")
            Membership.objects.create(project=project, user=user, role="manager")
            token = Token.objects.create(user=user).key
            session = live.second_session("manager")
            videos = {
                n: mediafiles.make_clip(WORK / f"talk{n}.mp4", seconds=1.0 + n / 5).read_bytes()
                for n in range(3)
            }
            workers = Workers(env, WORK / "worker.log")
            workers.start()
            with live.gunicorn(env=env, workers=2, threads=4, log=WORK / "gunicorn.log") as (
                host,
                port,
            ):
                api = live.Browser(host, port, timeout=60)
                page = live.Browser(host, port, cookies={"sessionid": session}, timeout=60)
                auth = {"Authorization": f"Token {token}"}

                def api_upload(n: int):
                    started = time.monotonic()
                    status, body, headers = api.post_files(
                        f"/api/projects/{project.slug}/clips/",
                        {},
                        [("file", f"talk{n}.mp4", videos[n])],
                        headers=auth,
                    )
                    return status, body, headers, time.monotonic() - started

                def page_upload(n: int):
                    page.get(f"/p/{project.slug}/")  # the CSRF token, as the page holds it
                    started = time.monotonic()
                    status, body, headers = page.post_files(
                        f"/p/{project.slug}/upload/",
                        {},
                        [("files", f"talk{n}.mp4", videos[n])],
                        headers={"HX-Request": "true"},
                    )
                    return status, body, headers, time.monotonic() - started

                def files_on_disk() -> int:
                    return sum(1 for p in media.rglob("*") if p.is_file())

                def ready(name: str) -> bool:
                    return Clip.objects.filter(project=project, name=name, status="ready").exists()

                lines = []
                status, body, _, took = api_upload(0)
                assert status == 201, (status, body)
                t = time.monotonic()
                wait_for(lambda: ready("talk0"), seconds=120, what="talk0 ingested", log=workers)
                lines.append(
                    f"broker up: API upload talk0.mp4 -> {status} in {took:.2f} s, ingested "
                    f"(ready) {time.monotonic() - t:.1f} s later"
                )
                files_before = files_on_disk()

                say("stopping Redis")
                redis.stop()
                t_down = time.monotonic()
                status_page, _ = page.get(f"/p/{project.slug}/")
                a_status, a_body, a_headers, a_took = api_upload(1)
                p_status, p_body, p_headers, p_took = page_upload(2)
                rows = sorted(Clip.objects.filter(project=project).values_list("name", flat=True))
                files_down = files_on_disk()
                lines.append(f"broker down: project page -> {status_page}")
                lines.append(
                    f"broker down: API upload talk1.mp4 -> {a_status} in {a_took:.2f} s, "
                    f"Retry-After {a_headers.get('retry-after')}: {a_body[:220]}"
                )
                detail = " ".join(p_body.split())
                lines.append(
                    f"broker down: upload page talk2.mp4 -> {p_status} in {p_took:.2f} s, "
                    f"X-Upload-Results {p_headers.get('x-upload-results')}: "
                    f"{detail[detail.find('talk2') :][:160]!r}"
                )
                lines.append(
                    f"broker down: clips in the database {rows}; files in storage {files_down} "
                    f"(before: {files_before})"
                )
                down_ok = (
                    status_page == 200
                    and a_status == 503
                    and p_status == 503
                    and json.loads(a_body)["code"] == "service_unavailable"
                    and "talk1.mp4 was not added" in a_body
                    and "talk2.mp4 was not added" in p_body
                    and rows == ["talk0"]
                    and files_down == files_before
                )

                time.sleep(max(0.0, ARGS.down - (time.monotonic() - t_down)))
                say("starting Redis")
                redis.start()
                t_up = time.monotonic()
                tries = 0
                while True:
                    tries += 1
                    a_status, a_body, _, _ = api_upload(1)
                    if a_status != 503 or time.monotonic() - t_up > 30:
                        break
                    time.sleep(1)
                p_status, p_body, _, _ = page_upload(2)
                lines.append(
                    f"broker back after {t_up - t_down:.1f} s down: API upload talk1.mp4 -> "
                    f"{a_status} (try {tries}), upload page talk2.mp4 -> {p_status}"
                )
                t = time.monotonic()
                try:
                    wait_for(
                        lambda: ready("talk1") and ready("talk2"),
                        seconds=120,
                        what="talk1 and talk2 ingested",
                        log=workers,
                    )
                    ingested = (
                        f"both ingested (ready) {time.monotonic() - t:.1f} s later "
                        "by the same worker"
                    )
                    up_ok = a_status == 201 and p_status == 201
                except RuntimeError:
                    ingested = "NOT ingested within 120 s"
                    up_ok = False
                lines.append(
                    f"broker back: {ingested}; clips "
                    f"{sorted(Clip.objects.values_list('name', 'status'))}"
                )
    finally:
        if workers is not None:
            workers.stop_all()
        redis.close()
    print(header())
    print(
        f"# {'the machine' if ARGS.shared else 'a private'} Redis (broker), "
        "gunicorn gthread 2 x 4, one Celery worker (prefork x 1) on the same broker; "
        "clips of 1.0-1.4 s made with ffmpeg"
    )
    for line in lines:
        print(line)
    ok = down_ok and up_ok
    print(
        "result: "
        + (
            "refused with a 503 and nothing stored while down; accepted and ingested once back"
            if ok
            else "FAILED"
        )
    )
    return 0 if ok else 1


def main() -> int:
    try:
        return {"worker-kill": worker_kill, "pg-restart": pg_restart, "redis-down": redis_down}[
            ARGS.command
        ]()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
