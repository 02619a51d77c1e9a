"""The signal proposer through real worker processes on Redis, over the demo project:
proposals become timeline cues, and a worker killed mid-run (SIGKILL, the whole process
group) leaves the run completing after a restart, with no duplicate cues."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from annotate.clips.imports import clips_import
from annotate.runs import services as run_services
from annotate.runs.models import Cue, ModelRun, Proposal
from studio.celery import app as celery_app
from tests.factories import ProjectFactory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_project(require_services, media_root, demo_set):
    project = ProjectFactory(name="Demo under test")
    report = clips_import(project=project, directory=demo_set.out_dir, manifest=demo_set.manifest)
    assert report.ok and report.count("ready") == 8, [(r.name, r.message) for r in report.rows]
    return project


class Workers:
    """Starts and kills real `celery worker` processes sharing the test database and media."""

    def __init__(self, media_root: Path):
        db = connection.settings_dict
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        self.env = dict(
            os.environ,
            DJANGO_SETTINGS_MODULE="studio.settings.test",
            MEDIA_ROOT=str(media_root),
            CELERY_TASK_ALWAYS_EAGER="0",
            EMOCUE_BROKER_VISIBILITY_TIMEOUT="3",
            EMOCUE_BROKER_RESTORE_SWEEP_S="1",
            DATABASE_URL=(
                f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
            ),
        )
        self.log = media_root.parent / "workers.log"
        self.processes: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        out = self.log.open("a")
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
                "-n",
                f"test-{uuid.uuid4().hex[:8]}@%h",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        os.killpg(process.pid, signal.SIGKILL)  # the main process and its pool child, no goodbye
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)

    def tail(self) -> str:
        return self.log.read_text()[-4000:]


@pytest.fixture
def workers(media_root):
    celery_app.control.purge()
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    pool = Workers(media_root)
    try:
        yield pool
    finally:
        celery_app.conf.task_always_eager = eager
        pool.stop_all()


def _wait_for(predicate, workers, seconds=240, interval=0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out; worker log:\n{workers.tail()}")


def test_worker_proposes_over_the_demo_project_and_survives_a_kill(demo_project, workers):
    first = workers.start()
    run = run_services.run_create(project=demo_project, proposer="signals", label="kill test")
    proposals = Proposal.objects.filter(run=run)

    # Kill the worker while a clip is in its hands, after at least one clip finished.
    _wait_for(
        lambda: (
            proposals.filter(status="done").exists() and proposals.filter(status="running").exists()
        ),
        workers,
        interval=0.05,
    )
    workers.kill(first)
    interrupted = list(proposals.filter(status="running").values_list("pk", flat=True))
    assert interrupted, "no clip was in progress when the worker was killed"
    done_before = set(proposals.filter(status="done").values_list("pk", flat=True))

    workers.start()
    _wait_for(lambda: ModelRun.objects.get(pk=run.pk).status == ModelRun.Status.FINISHED, workers)

    assert proposals.filter(status="done").count() == 8, list(
        proposals.values_list("clip__name", "status", "error")
    )
    for pk in interrupted:
        assert Proposal.objects.get(pk=pk).attempts >= 2  # taken up again after the restart
    for pk in done_before:
        assert Proposal.objects.get(pk=pk).attempts == 1  # finished work is not redone
    for proposal in proposals:
        cues = list(
            Cue.objects.filter(proposal=proposal).values_list(
                "modality", "text", "start_ms", "end_ms"
            )
        )
        assert cues, proposal.clip.name
        assert len(cues) == len(set(cues)), f"duplicate cues in {proposal.clip.name}"
    # The cues are timeline cues: proposals of the model, time-anchored where observed.
    timed = Cue.objects.filter(proposal__run=run, start_ms__isnull=False)
    assert (
        timed.exists()
        and not Cue.objects.filter(proposal__run=run)
        .exclude(origin="model", decision="proposed")
        .exists()
    )
    no_face = Cue.objects.get(
        proposal__run=run, clip__name="sample_00000008", kind="unobservable", modality="visual"
    )
    assert "face" in no_face.text.lower()
    assert not Cue.objects.filter(
        proposal__run=run, clip__name="sample_00000007", modality="auditory", kind="observation"
    ).exists()
