"""What the load, fault and concurrent-edit benches share: a throwaway PostgreSQL database
migrated for the run and dropped after it, gunicorn serving it on a loopback port (in its own
process group, killed when the bench ends, also on failure), annotators who each hold one
clip's annotation with N cues and a logged-in session, and a small keep-alive HTTP client
that does what the timeline's htmx does (CSRF token from the page, the cue's version with
every write).

Import it after setting DJANGO_SETTINGS_MODULE and DATABASE_URL (the server to use; the
database name in it is replaced by the bench's own, emocue_bench_<kind>_<pid>). For the
embedded default instead (SQLite, served by `manage.py runstudio` as `./studio.sh run` does),
leave DATABASE_URL and CELERY_BROKER_URL unset, set EMOCUE_VAR_DIR to an empty folder and use
embedded_database() and runstudio().
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import django
from django.conf import settings
from django.db import connection, connections

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings.base")
django.setup()

CSRF_RE = re.compile(r'"X-CSRFToken": "([^"]+)"')
CUE_RE = re.compile(r'data-cue-id="(\d+)" data-version="(\d+)"')


def machine_load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


# The process groups of the servers that _serving() runs now (each is its Popen's pid).
_SERVING: list[int] = []


def serving_pids() -> list[int]:
    """Process groups of the servers running now, newest last."""
    return list(_SERVING)


def cpu_seconds(pids: Iterable[int] = (), *, group: int | None = None) -> float:
    """User + system CPU seconds used so far by the live processes `pids` and by every live
    process of process group `group` (from /proc: Linux only). A process that is gone counts 0,
    so take both readings while the processes live."""
    return sum(cpu_split(pids, group=group))


def cpu_split(pids: Iterable[int] = (), *, group: int | None = None) -> tuple[float, float]:
    """cpu_seconds() as (user, system): time in the kernel (system calls, page faults) is not
    in an instruction count of the process's own code."""
    tick = os.sysconf("SC_CLK_TCK")
    wanted = set(pids)
    user = system = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone, or not ours to read
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        pgrp, utime, stime = int(fields[2]), int(fields[11]), int(fields[12])
        if int(entry.name) in wanted or (group is not None and pgrp == group):
            user += utime
            system += stime
    return user / tick, system / tick


def database_backends(name: str) -> list[int]:
    """Pids of the PostgreSQL backends connected to database `name` now (the server must be on
    this machine for cpu_seconds() to read them)."""
    import psycopg

    db = settings.DATABASES["default"]
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        dbname="postgres",
    ) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [name])
        return [pid for (pid,) in rows]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(name: str | None = None) -> str:
    """DATABASE_URL for the current default database (or another name on the same server)."""
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{name or db['NAME']}"
    )


def _admin(sql: str) -> None:
    import psycopg

    db = settings.DATABASES["default"]
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
        connect_timeout=10,
    ) as admin:
        admin.execute(sql)


@contextlib.contextmanager
def bench_database(kind: str) -> Iterator[str]:
    """A fresh database emocue_bench_<kind>_<pid> with every migration, the default connection
    pointed at it; dropped afterwards (WITH (FORCE): a killed server's sessions may linger)."""
    from django.core.management import call_command

    assert connection.vendor == "postgresql", "the benches need PostgreSQL: set DATABASE_URL"
    name = f"emocue_bench_{kind}_{os.getpid()}"
    assert name.startswith("emocue_bench_")
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{name}"')
    old = settings.DATABASES["default"]["NAME"]
    try:
        connections.close_all()
        settings.DATABASES["default"]["NAME"] = name
        connection.settings_dict["NAME"] = name
        started = time.monotonic()
        call_command("migrate", verbosity=0, interactive=False)
        print(f"database {name} migrated in {time.monotonic() - started:.1f} s", file=sys.stderr)
        yield name
    finally:
        connections.close_all()
        settings.DATABASES["default"]["NAME"] = old
        connection.settings_dict["NAME"] = old
        try:
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except Exception as error:  # the server may be the thing a fault bench stopped
            print(f"could not drop {name}: {error}", file=sys.stderr)


@contextlib.contextmanager
def embedded_database() -> Iterator[Path]:
    """The embedded SQLite database (EMOCUE_VAR_DIR/db.sqlite3, which must not exist yet),
    migrated for the run; the caller removes the folder."""
    from django.core.management import call_command

    assert connection.vendor == "sqlite", "leave DATABASE_URL unset for the embedded default"
    path = Path(settings.DATABASES["default"]["NAME"])
    assert not path.exists(), f"{path} exists: the bench wants a fresh EMOCUE_VAR_DIR"
    started = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"database {path} migrated in {time.monotonic() - started:.1f} s", file=sys.stderr)
    try:
        yield path
    finally:
        connections.close_all()


def stop_process_group(process: subprocess.Popen, *, grace_s: float = 10.0) -> None:
    """SIGTERM the process's group (it was started with start_new_session), SIGKILL after grace."""
    if process.poll() is not None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # leftover children of an exited leader
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def server_env(**extra: str) -> dict:
    """The environment of a server or worker process of the bench: base settings (DEBUG off),
    the bench database (PostgreSQL's by URL; the embedded one through EMOCUE_VAR_DIR, which the
    environment already holds), quiet logs."""
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="studio.settings.base",
        DJANGO_DEBUG="0",
        DJANGO_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = database_url()
    env.update(extra)
    return env


@contextlib.contextmanager
def gunicorn(
    *, env: dict, workers: int, threads: int, log: Path, root: Path = ROOT
) -> Iterator[tuple[str, int]]:
    """gunicorn (gthread, as docker-compose runs it) on a free loopback port, serving the code
    of the checkout at `root` (this one by default); yields (host, port) once /login/ answers.
    The server's process group is the Popen's pid (`serving_pids()[-1]`, for CPU accounting)."""
    port = free_port()
    command = [
        *(sys.executable, "-m", "gunicorn", "studio.wsgi:application"),
        *("--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads)),
        *("--worker-class", "gthread", "--timeout", "120", "--graceful-timeout", "5"),
        *("--keep-alive", "30"),
    ]
    with _serving(command, env=env, port=port, log=log, name="gunicorn", cwd=root) as address:
        yield address


@contextlib.contextmanager
def runstudio(
    *, env: dict, workers: int, threads: int, log: Path, root: Path = ROOT
) -> Iterator[tuple[str, int]]:
    """`manage.py runstudio` (gunicorn and the embedded Celery worker, as `./studio.sh run`
    starts them) on a free loopback port; yields (host, port) once /login/ answers."""
    port = free_port()
    command = [
        *(sys.executable, "manage.py", "runstudio", f"127.0.0.1:{port}"),
        *("--web-workers", str(workers), "--web-threads", str(threads)),
    ]
    with _serving(command, env=env, port=port, log=log, name="runstudio", cwd=root) as address:
        yield address


@contextlib.contextmanager
def _serving(
    command: list[str], *, env: dict, port: int, log: Path, name: str, cwd: Path = ROOT
) -> Iterator[tuple[str, int]]:
    with log.open("a") as out:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{name} exited ({process.returncode}):\n{log.read_text()[-3000:]}"
                )
            try:
                status, _ = Browser("127.0.0.1", port).get("/login/")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not answer in 60 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        _SERVING.append(process.pid)
        yield "127.0.0.1", port
    finally:
        if process.pid in _SERVING:
            _SERVING.remove(process.pid)
        stop_process_group(process)


@dataclass
class Browser:
    """One browser: a keep-alive connection, its cookies, the CSRF token read from the page."""

    host: str
    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""
    timeout: float = 30.0
    _conn: http.client.HTTPConnection | None = None
    last_headers: dict = field(default_factory=dict)

    def _request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, str]:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        all_headers = {"Host": f"{self.host}:{self.port}"}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        all_headers.update(headers or {})
        try:
            self._conn.request(method, path, body=body, headers=all_headers)
            response = self._conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.close()  # the next request opens a new connection
            raise
        self.last_headers = {k.lower(): v for k, v in response.getheaders()}
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return response.status, text

    def get(self, path: str, *, htmx: bool = False) -> tuple[int, str]:
        status, text = self._request("GET", path, headers={"HX-Request": "true"} if htmx else None)
        token = CSRF_RE.search(text)
        if token:
            self.csrf = token.group(1)
        return status, text

    def post(self, path: str, data: dict, *, htmx: bool = True) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": self.csrf}
        if htmx:
            headers["HX-Request"] = "true"
        return self._request("POST", path, body=body, headers=headers)

    def post_files(
        self,
        path: str,
        fields: dict,
        files: list[tuple[str, str, bytes]],
        *,
        headers: dict | None = None,
    ) -> tuple[int, str, dict]:
        """A multipart/form-data POST (an upload form, or the API with a token header); also
        returns the response headers that the fault benches check."""
        boundary = f"----emocue-bench-{time.monotonic_ns()}"
        parts = []
        for name, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        for name, filename, content in files:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
                + content
                + b"\r\n"
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        all_headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        if self.csrf:
            all_headers["X-CSRFToken"] = self.csrf
        all_headers.update(headers or {})
        status, text = self._request("POST", path, body=body, headers=all_headers)
        return status, text, dict(self.last_headers)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


@dataclass
class Annotator:
    username: str
    session_key: str
    clip_name: str
    cue_ids: list[int]


def build_annotators(*, n: int, cues: int, slug: str = "bench") -> list[Annotator]:
    """A project with n annotators (k = 1), each holding the lease of one ready clip with their
    draft annotation of `cues` proposed cues, and a logged-in session (as after the login form;
    the password hash is computed once, not 50 times)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from annotate.annotation.assignments import assignment_next
    from annotate.clips.models import Clip
    from annotate.core.models import Membership, Project
    from annotate.runs.models import Cue

    User = get_user_model()
    project = Project.objects.create(name=f"Bench {slug}", slug=slug, annotators_per_clip=1)
    password = make_password("bench-pass")
    users = User.objects.bulk_create(
        [User(username=f"annotator{i:03d}", password=password) for i in range(n)]
    )
    Membership.objects.bulk_create(
        [Membership(project=project, user=u, role="annotator") for u in users]
    )
    Clip.objects.bulk_create(
        [
            Clip(
                project=project,
                name=f"clip_{i:05d}",
                source=f"bench/source_{i}",
                sha256=f"{i:064x}",
                status=Clip.Status.READY,
                duration_ms=60_000,
                fps_num=25,
                fps_den=1,
                width=640,
                height=360,
                proxy=f"clips/x/{i}/proxy.mp4",
                peaks=f"clips/x/{i}/peaks.json",
                has_audio=True,
                subtitle_segments=[
                    {"start_ms": s * 2000, "end_ms": s * 2000 + 1500, "text": f"subtitle line {s}"}
                    for s in range(30)
                ],
            )
            for i in range(n)
        ]
    )
    modalities = ("visual", "auditory", "emotional")
    annotators = []
    for user in users:
        annotation = assignment_next(project=project, annotator=user).annotation
        created = Cue.objects.bulk_create(
            [
                Cue(
                    clip=annotation.clip,
                    annotation=annotation,
                    position=c,
                    modality=modalities[c % 3],
                    text=f"The corners of the mouth turn up, observation number {c}.",
                    start_ms=(c * 197) % 58_000,
                    end_ms=(c * 197) % 58_000 + 900,
                    confidence=0.7,
                    origin="model",
                    decision="proposed",
                )
                for c in range(cues)
            ]
        )
        annotators.append(
            Annotator(
                user.username, _session_for(user), annotation.clip.name, [cue.pk for cue in created]
            )
        )
    return annotators


def _session_for(user) -> str:
    """A logged-in session of the user, as the login form leaves it; returns its key."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def second_session(username: str) -> str:
    """Another logged-in session of the same user (a second browser)."""
    from django.contrib.auth import get_user_model

    return _session_for(get_user_model().objects.get(username=username))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]
