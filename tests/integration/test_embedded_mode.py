"""The embedded defaults, as `./studio.sh run` starts them: SQLite, kombu's SQLite broker and
the worker that runstudio starts itself; a clip uploaded over HTTP becomes ready."""

import http.cookiejar
import json
import os
import re
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


@pytest.fixture
def embedded_app(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "MEDIA_ROOT",
            "DJANGO_SETTINGS_MODULE",
            "CELERY_TASK_ALWAYS_EAGER",
        )
    }
    env["EMOCUE_VAR_DIR"] = str(tmp_path / "var")
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
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/login/", timeout=2)
            break
        except OSError:
            time.sleep(0.2)
    try:
        yield base, tmp_path / "runstudio.log"
    finally:
        process.terminate()  # runstudio stops its worker on the way out
        process.wait(timeout=30)
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
    base, log = embedded_app
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
    text = log.read_text()
    assert "sqla+sqlite" in text and "succeeded" in text  # the embedded worker did it
    assert (tmp_path / "var" / "db.sqlite3").exists() and (
        tmp_path / "var" / "broker.sqlite3"
    ).exists()
