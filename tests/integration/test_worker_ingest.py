"""A real Celery worker process, on Redis, ingests a clip end to end into PostgreSQL."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from annotate.models import Clip
from annotate.services.clips import clip_create
from studio.celery import app as celery_app
from tests import mediafiles
from tests.factories import ProjectFactory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(require_services, media_root, settings):
    queue = f"cpu-test-{uuid.uuid4().hex[:8]}"  # a queue of its own: no other worker steals the task
    env = dict(os.environ,
               DJANGO_SETTINGS_MODULE="studio.settings.test",
               DATABASE_URL=_url_for(connection.settings_dict),
               MEDIA_ROOT=str(media_root), CELERY_TASK_ALWAYS_EAGER="0")
    log = media_root.parent / "worker.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "studio", "worker", "-Q", queue,
             "--concurrency", "1", "--pool", "prefork", "-n", f"{queue}@%h", "--loglevel", "INFO"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    eager = celery_app.conf.task_always_eager
    routes = celery_app.conf.task_routes
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_routes = {"annotate.tasks.clip_ingest": {"queue": queue}}
    try:
        yield process, log
    finally:
        celery_app.conf.task_always_eager = eager
        celery_app.conf.task_routes = routes
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _url_for(db: dict) -> str:
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def test_worker_process_ingests_an_uploaded_clip(worker, tmp_path):
    process, log = worker
    project = ProjectFactory()
    path = mediafiles.make_clip(tmp_path / "talk.mp4", seconds=2.0)
    clip = clip_create(project=project, source=path, filename="talk.mp4",
                       subtitle="Hello from the worker test.", subtitle_filename="talk.txt")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        clip.refresh_from_db()
        if clip.is_settled:
            break
        assert process.poll() is None, f"worker exited early:\n{log.read_text()[-3000:]}"
        time.sleep(0.3)
    assert clip.status == Clip.Status.READY, f"{clip.status} {clip.error}\n{log.read_text()[-3000:]}"
    assert clip.ingest_attempts == 1
    assert len(clip.frames) == 16 and clip.proxy and clip.audio and clip.peaks
    assert "succeeded" in log.read_text()  # it really went through the worker
