"""XEmoGPT through a real `gpu`-queue worker process: tiny local weights, CPU explicitly
allowed (no GPU here), clips batched inside the worker, the exact model stamped per proposal."""

import os
import re
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


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory):
    from inference.xemogpt.tiny import write_tiny_weights

    return write_tiny_weights(tmp_path_factory.mktemp("xemogpt-tiny"))


def test_xemogpt_run_through_a_gpu_queue_worker(
    require_services, media_root, demo_set, tiny_weights, settings
):
    project = ProjectFactory(name="XEmoGPT under test")
    report = clips_import(project=project, directory=demo_set.out_dir, manifest=demo_set.manifest)
    assert report.ok
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="studio.settings.test",
        MEDIA_ROOT=str(media_root),
        CELERY_TASK_ALWAYS_EAGER="0",
        DATABASE_URL=(
            f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        EMOCUE_XEMOGPT_LLM_PATH=tiny_weights["llm_path"],
        EMOCUE_XEMOGPT_CLIP_PATH=tiny_weights["clip_path"],
        EMOCUE_XEMOGPT_HUBERT_PATH=tiny_weights["hubert_path"],
        EMOCUE_XEMOGPT_CHECKPOINT_PATH=tiny_weights["checkpoint_path"],
        EMOCUE_XEMOGPT_DEVICE="cpu",
        EMOCUE_XEMOGPT_ALLOW_CPU="1",
        EMOCUE_XEMOGPT_MAX_NEW_TOKENS=str(tiny_weights["max_new_tokens"]),
        EMOCUE_XEMOGPT_NUM_BEAMS=str(tiny_weights["num_beams"]),
        EMOCUE_XEMOGPT_BATCH_SIZE="4",
    )
    celery_app.control.purge()
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    log = media_root.parent / "gpu-worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "studio",
                "worker",
                "-Q",
                "gpu",
                "--concurrency",
                "1",
                "-n",
                f"gpu-{uuid.uuid4().hex[:8]}@%h",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        run = run_services.run_create(project=project, proposer="xemogpt", label="tiny XEmoGPT")
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if ModelRun.objects.get(pk=run.pk).status == ModelRun.Status.FINISHED:
                break
            assert worker.poll() is None, log.read_text()[-4000:]
            time.sleep(0.5)
        else:
            raise AssertionError(f"run did not finish:\n{log.read_text()[-4000:]}")
        # The run finishes when its clips are done; the tasks whose clips a batch already did
        # still have to be taken and acknowledged (each a no-op) before the worker is stopped.
        while time.monotonic() < deadline and log.read_text().count("succeeded") < 8:
            assert worker.poll() is None, log.read_text()[-4000:]
            time.sleep(0.5)
    finally:
        celery_app.conf.task_always_eager = eager
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)

    text = log.read_text()
    assert "[queues]" in text and ".> gpu" in text  # the worker consumed the gpu queue only
    proposals = Proposal.objects.filter(run=run)
    assert proposals.filter(status="done").count() == 8, list(
        proposals.values_list("clip__name", "status", "error")
    )
    # Batched inside the worker: fewer tasks did the work than there are clips.
    claims = set(proposals.values_list("claim", flat=True))
    succeeded = re.findall(r"proposal_run\[([0-9a-f-]+)\] succeeded", text)
    assert len(claims) < 8, claims
    # Every task that did a batch finished cleanly; the run's other tasks were taken and
    # acknowledged as no-ops (a re-delivery under load may add more, never fewer).
    assert claims <= set(succeeded) and len(set(succeeded)) >= 8, succeeded
    versions = set(proposals.values_list("model_version", flat=True))
    assert len(versions) == 1 and versions.pop().startswith("xemogpt-1+ckpt.")
    assert all(p.description for p in proposals)
    assert Cue.objects.filter(proposal__run=run, origin="model", decision="proposed").exists()
