"""A real Celery worker process, on Redis with PostgreSQL: clip ingestion end to end, and an
EmoCue-360 score job with the real all-MiniLM-L6-v2 and the shared embedding table."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from annotate.clips.models import Clip
from annotate.clips.services import clip_create
from annotate.core.models import CueEmbedding
from annotate.scoring.models import ScoreJob
from studio.celery import app as celery_app
from tests import mediafiles
from tests.factories import ProjectFactory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(require_services, media_root):
    """A worker on the cpu queue of the test broker (CI gives the tests a Redis database of
    their own), started after leftovers of earlier runs are purged."""
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="studio.settings.test",
        DATABASE_URL=_url_for(connection.settings_dict),
        MEDIA_ROOT=str(media_root),
        CELERY_TASK_ALWAYS_EAGER="0",
    )
    celery_app.control.purge()
    log = media_root.parent / "worker.log"
    with log.open("w") as out:
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
                f"test-{uuid.uuid4().hex[:8]}@%h",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        yield process, log
    finally:
        celery_app.conf.task_always_eager = eager
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
    clip = clip_create(
        project=project,
        source=path,
        filename="talk.mp4",
        subtitle="Hello from the worker test.",
        subtitle_filename="talk.txt",
    )
    _wait(clip, process, log)
    assert clip.status == Clip.Status.READY, (
        f"{clip.status} {clip.error}\n{log.read_text()[-3000:]}"
    )
    assert clip.ingest_attempts == 1
    assert len(clip.frames) == 16 and clip.proxy and clip.audio and clip.peaks
    assert "succeeded" in log.read_text()  # it really went through the worker


def _wait(obj, process, log, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        obj.refresh_from_db()
        if obj.is_settled:
            return
        assert process.poll() is None, f"worker exited early:\n{log.read_text()[-3000:]}"
        time.sleep(0.3)


def test_worker_process_scores_with_the_real_model(worker):
    from annotate.scoring.services import score_job_create

    process, log = worker
    gold = {
        "s1": {
            "visual": ["The corners of his mouth turn up.", "He raises his eyebrows."],
            "auditory": ["His voice is loud and fast."],
            "emotional": ["He is happy and excited."],
        }
    }
    job = score_job_create(project=ProjectFactory(), gold=gold, predicted=gold, ci=False)
    _wait(job, process, log)
    assert job.status == ScoreJob.Status.DONE, f"{job.error}\n{log.read_text()[-3000:]}"
    paper = job.result["scores"]["paper"]
    assert all(abs(paper[m]["f1"] - 1.0) < 1e-6 for m in ("visual", "auditory", "emotional"))
    assert job.result["config"]["model_id"].startswith("sentence-transformers/all-MiniLM-L6-v2@")
    assert CueEmbedding.objects.filter(model_id=job.result["config"]["model_id"]).count() == 4
