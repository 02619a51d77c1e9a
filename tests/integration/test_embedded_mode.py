"""The embedded defaults, as `./studio.sh run` starts them: SQLite, kombu's SQLite broker and
the worker that runstudio starts itself; a clip uploaded over HTTP becomes ready."""

import contextlib
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests import mediafiles

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _multipart(fields: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = b""
    for name, (filename, data) in fields.items():
        body += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        body += data + b"\r\n"
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _embedded_env(tmp_path) -> dict:
    """This environment without the services profile's variables: the embedded defaults, with
    their files under tmp_path/var."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "MEDIA_ROOT",
            "STATIC_ROOT",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_DEBUG",
            "CELERY_TASK_ALWAYS_EAGER",
        )
    }
    env["EMOCUE_VAR_DIR"] = str(tmp_path / "var")
    return env


@pytest.fixture
def embedded_app(tmp_path):
    env = _embedded_env(tmp_path)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [
            *manage,
            "shell",
            "-c",
            "from annotate.core.services import *; "
            "u = user_ensure(username='lead', password='pw-embedded'); "
            "project_create(name='Embedded', created_by=u)",
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    port = _free_port()
    log = (tmp_path / "runstudio.log").open("w")
    process = subprocess.Popen(
        [*manage, "runstudio", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/login/", timeout=2)
            break
        except OSError:
            time.sleep(0.2)
    try:
        yield base, tmp_path / "runstudio.log", process
    finally:
        if process.poll() is None:
            process.terminate()  # runstudio stops the web server and its worker on the way out
        try:
            process.wait(timeout=30)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # whatever a failed test left behind
            log.close()
        started = re.search(
            r"Started Celery worker \(pid (\d+)\)", (tmp_path / "runstudio.log").read_text()
        )
        assert started, "runstudio did not say which worker it started"
        worker = int(started[1])
        for _ in range(50):  # the worker's warm shutdown may take a moment
            if not _alive(worker):
                break
            time.sleep(0.5)
        assert not _alive(worker), f"the worker (pid {worker}) outlived runstudio"


def _group(pgid: int) -> list[int]:
    """Live (not zombie) processes of the process group."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(") ", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) is gone for our purpose.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_embedded_defaults_ingest_an_upload_with_the_worker_runstudio_started(
    embedded_app, tmp_path
):
    base, log, _ = embedded_app
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    form = urllib.parse.urlencode(
        {"username": "lead", "password": "pw-embedded", "csrfmiddlewaretoken": token}
    ).encode()
    opener.open(
        urllib.request.Request(base + "/login/", data=form, headers={"Referer": base + "/"})
    )
    csrf = next(c.value for c in jar if c.name == "csrftoken")

    clip = mediafiles.make_clip(
        tmp_path / "hello.avi", seconds=1.5, container="avi", vcodec="mpeg4"
    )
    body, content_type = _multipart({"file": ("hello.avi", clip.read_bytes())})
    request = urllib.request.Request(
        base + "/api/projects/embedded/clips/",
        data=body,
        headers={"Content-Type": content_type, "X-CSRFToken": csrf, "Referer": base + "/"},
    )
    created = json.load(opener.open(request))
    assert created["name"] == "hello" and created["status"] == "pending"

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        detail = json.load(opener.open(base + "/api/projects/embedded/clips/hello/"))
        if detail["status"] in ("ready", "failed"):
            break
        time.sleep(0.2)
    assert detail["status"] == "ready", (detail, log.read_text()[-3000:])
    assert detail["proxy_mode"] == "transcode" and len(detail["frames"]) == 16
    # It came with no subtitle: the embedded worker reads one from the picture after ingestion
    # (there is none to find in this picture), on SQLite as on PostgreSQL.
    while time.monotonic() < deadline + 60:
        subtitle = json.load(opener.open(base + "/api/projects/embedded/clips/hello/subtitle/"))
        if subtitle["reading"]["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert subtitle["reading"]["status"] == "done", (subtitle, log.read_text()[-3000:])
    assert subtitle["source"] == "ocr" and subtitle["segments"] == []
    text = log.read_text()
    assert "sqla+sqlite" in text and "succeeded" in text  # the embedded worker did it
    assert (tmp_path / "var" / "db.sqlite3").exists() and (
        tmp_path / "var" / "broker.sqlite3"
    ).exists()


def test_runstudio_serves_pages_and_static_files_through_gunicorn_and_stops_on_sigterm(
    embedded_app,
):
    base, log, process = embedded_app
    page = urllib.request.urlopen(base + "/login/", timeout=10)
    assert page.status == 200 and page.headers["Server"].startswith("gunicorn")
    static = urllib.request.urlopen(base + "/static/studio/studio.css", timeout=10)
    assert static.status == 200 and static.headers["Content-Type"].startswith("text/css")
    assert static.read() == (ROOT / "frontend/static/studio/studio.css").read_bytes()
    # DEBUG is off: a missing page is the site's 404, not Django's technical page.
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(base + "/no-such-page/", timeout=10)
    assert missing.value.code == 404
    assert b"DEBUG = True" not in missing.value.read()
    text = log.read_text()
    assert "development server" not in text and "Booting worker" in text

    assert len(_group(process.pid)) >= 4  # runstudio, gunicorn's master and workers, Celery
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)  # to runstudio alone, as a service manager does first
    while _group(process.pid) and time.monotonic() - sent < 15:
        time.sleep(0.1)
    stopped_after = time.monotonic() - sent
    assert not _group(process.pid), (_group(process.pid), log.read_text()[-3000:])
    assert process.wait(timeout=1) == 0
    assert stopped_after < 8, f"runstudio and its children took {stopped_after:.1f} s to stop"


def test_the_embedded_database_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    env = _embedded_env(tmp_path)
    shown = subprocess.run(
        [
            *(sys.executable, "manage.py", "shell", "-c"),
            "from django.db import connection\n"
            "with connection.cursor() as c:\n"
            "    for pragma in ('journal_mode', 'busy_timeout', 'synchronous'):\n"
            "        c.execute(f'PRAGMA {pragma}'); print(pragma, c.fetchone()[0])\n"
            "print('transaction_mode', connection.transaction_mode)",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert dict(
        re.findall(r"^(journal_mode|busy_timeout|synchronous|transaction_mode) (\w+)$", shown, re.M)
    ) == {
        "journal_mode": "wal",
        "busy_timeout": "30000",
        "synchronous": "1",  # NORMAL: safe in WAL mode, one fsync per checkpoint
        "transaction_mode": "IMMEDIATE",
    }
    assert (tmp_path / "var" / "db.sqlite3").exists()
