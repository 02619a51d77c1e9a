"""Learned proposers with a real Celery worker (PostgreSQL, Redis, the real sentence model): the
training task on the cpu queue, reproducible to the byte, and a learned run of the real signal
proposer underneath on an ingested clip; then the manager's path in Chromium, from the run
page's button to a trained model and its run on the held-out clips."""

import time

import pytest
from django.core.files.storage import default_storage
from playwright.sync_api import expect

from annotate.clips.models import Clip
from annotate.clips.services import clip_create
from annotate.learning import services as learning_services
from annotate.learning.models import LearnedProposer
from annotate.runs.models import ModelRun, Proposal
from inference.proposers.signals import SIGNALS_VERSION
from tests import mediafiles
from tests.annotate.learning import world
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.integration.test_worker import worker  # noqa: F401  (the real worker process)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
SPLIT = {"train": 0.7, "test": 0.3}


def _wait(obj, process, log, done, seconds=240):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        obj.refresh_from_db()
        if done(obj):
            return obj
        assert process.poll() is None, f"worker exited early:\n{log.read_text()[-3000:]}"
        time.sleep(0.3)
    raise AssertionError(f"timed out:\n{log.read_text()[-3000:]}")


@pytest.fixture
def learnable(require_services, media_root, tmp_path):
    """The world of tests/annotate/learning, plus one real ingested clip (eagerly, before the
    worker starts)."""
    manager = UserFactory(username="lead")
    project = ProjectFactory(name="Learning test", slug="learning-test")
    MembershipFactory(project=project, user=manager, role="manager")
    _, run, gold_set = world.build(project)
    path = mediafiles.make_clip(tmp_path / "talk.mp4", seconds=2.0)
    clip = clip_create(
        project=project,
        source=path,
        filename="talk.mp4",
        subtitle="We actually won the grant!",
        subtitle_filename="talk.txt",
    )
    clip.refresh_from_db()
    assert clip.status == Clip.Status.READY, clip.error
    return project, manager, run, gold_set


def test_a_worker_trains_to_the_same_bytes_and_the_learned_proposer_runs_on_media(
    learnable, request
):
    project, manager, run, gold_set = learnable
    process, log = request.getfixturevalue("worker")
    settled = lambda learned: learned.is_settled  # noqa: E731

    first = learning_services.learned_proposer_start(
        project=project, gold_set=gold_set, ratios=SPLIT, seed=0, by=manager
    )
    first = _wait(first, process, log, settled)
    assert first.status == LearnedProposer.Status.DONE, f"{first.error}\n{log.read_text()[-3000:]}"
    assert "learned_proposer_train" in log.read_text()  # it really went through the worker
    assert first.progress_stage == "done" and first.started_at and first.finished_at
    assert first.report["matching"]["model_id"].startswith("sentence-transformers/all-MiniLM")

    again = learning_services.learned_proposer_start(
        project=project, gold_set=gold_set, ratios=SPLIT, seed=0, by=manager
    )
    again = _wait(again, process, log, settled)
    assert (again.training_sha256, again.artefact_sha256) == (
        first.training_sha256,
        first.artefact_sha256,
    )
    with (
        default_storage.open(first.artefact, "rb") as a,
        default_storage.open(again.artefact, "rb") as b,
    ):
        assert a.read() == b.read()

    learned_run = learning_services.learned_run_start(
        learned=first, by=manager, clip_names=["talk"]
    )
    learned_run = _wait(
        learned_run, process, log, lambda r: r.status != ModelRun.Status.RUNNING, seconds=180
    )
    proposal = learned_run.proposals.get()
    assert proposal.status == Proposal.Status.DONE, f"{proposal.error}\n{log.read_text()[-3000:]}"
    assert proposal.model_version == f"{SIGNALS_VERSION}+learned+{first.artefact_sha256[:12]}"
    assert proposal.features["visual.face_fraction"] is not None  # the signal proposer ran
    assert proposal.emotions and proposal.emotions[0]["label"] in first.report["classes"]
    emotional = list(proposal.cues.filter(modality="emotional"))
    assert len(emotional) == 1 and "learned" in emotional[0].evidence


def test_a_manager_trains_from_the_run_page_and_runs_it_on_the_held_out_clips(
    learnable, live_server, browser, request
):
    project, manager, run, gold_set = learnable
    process, log = request.getfixturevalue("worker")
    page = browser.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "lead")
    page.fill("input[name=password]", "pw-for-tests")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/p/learning-test/runs/{run.pk}/")
    page.click("#learn-from-gold button")
    form = page.locator("#learned-train-form")
    expect(form.locator("select[name=run]")).to_have_value(str(run.pk))
    form.locator("select[name=gold_version]").select_option("1")
    form.locator("input[name=split]").fill("train=0.7,test=0.3")
    form.locator("input[name=seed]").fill("0")
    form.locator("button[type=submit]").click()

    # The detail page polls until the worker has trained it.
    detail = page.locator('#learned-detail[data-status="done"]')
    expect(detail).to_be_visible(timeout=240_000)
    learned = LearnedProposer.objects.get(project=project)
    expect(page.locator("#learned-report")).to_contain_text(
        f"{len(learned.training_clips)} training"
    )
    expect(page.locator('#learned-report tr[data-rule="visual/smile"]')).to_be_visible()
    page.click("#learned-run-form button")
    expect(page.locator("h1")).to_contain_text("signals+learned #1 (gold v1, seed 0)")
    expect(page.locator("body")).to_contain_text(
        f"never scored on its {len(learned.training_clips)} training clips"
    )
    learned_run = ModelRun.objects.get(proposer="signals+learned")
    assert sorted(learned_run.proposals.values_list("clip__name", flat=True)) == (
        learned.heldout_clips
    )
