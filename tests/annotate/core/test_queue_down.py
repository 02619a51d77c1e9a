"""Work stored but not queued because the broker is down: a run's clips, an export, a score
job, a clip's retry are marked failed with a message that says so (and how to start them
again), the request gets a 503 that says the same, and nothing sits "pending" forever. Once
the broker is back, "Retry failed" runs the clips."""

from unittest import mock

import pytest
from django.urls import reverse
from kombu.exceptions import OperationalError

from annotate.clips.models import Clip
from annotate.clips.services import clip_ingest_retry
from annotate.core.queueing import QueueUnavailable
from annotate.goldsets.exports import export_create
from annotate.goldsets.models import Export
from annotate.goldsets.services import goldset_freeze
from annotate.runs import services as run_services
from annotate.runs.models import ModelRun, Proposal
from annotate.scoring import services as scoring_services
from annotate.scoring.models import ScoreJob
from tests.annotate.annotation.test_assignments import make_ready_clips
from tests.annotate.goldsets.test_goldsets import gold_clip
from tests.annotate.runs.test_runs import FakeProposer, _fresh_fake  # noqa: F401

# The service's transaction must be the outermost one, so that its on-commit send runs (and
# fails) inside the call, as it does in a request.
pytestmark = pytest.mark.django_db(transaction=True)

BROKER_DOWN = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def _down(task: str, method: str = "apply_async"):
    return mock.patch(f"{task}.{method}", side_effect=BROKER_DOWN)


def test_a_runs_clips_are_failed_with_the_reason_and_retried_later(project):
    make_ready_clips(project, ["a", "b"])
    with _down("annotate.runs.tasks.proposal_run"), pytest.raises(QueueUnavailable) as caught:
        run_services.run_create(project=project, proposer="fake")
    assert isinstance(caught.value, OperationalError)  # the 503 handler's kind of error
    assert "2 of its 2 clip(s) could not be queued" in caught.value.message
    run = ModelRun.objects.get()
    assert run.status == ModelRun.Status.FINISHED  # settled: nothing left pending
    errors = set(run.proposals.values_list("status", "error"))
    assert len(errors) == 1
    status, error = errors.pop()
    assert status == Proposal.Status.FAILED
    assert "task queue was unreachable" in error and "Retry failed" in error
    # The broker is back: the failed clips go out again (eager in tests) and are run.
    with mock.patch("annotate.runs.tasks.proposal_run.apply_async") as sent:
        assert run_services.run_retry_failed(run=run) == 2
    assert sent.call_count == 2
    assert set(run.proposals.values_list("status", flat=True)) == {Proposal.Status.PENDING}


def test_a_send_that_fails_half_way_fails_only_the_unsent_clips(project):
    make_ready_clips(project, ["a", "b", "c"])
    outcomes = [None, BROKER_DOWN, BROKER_DOWN]
    with (
        mock.patch("annotate.runs.tasks.proposal_run.apply_async", side_effect=outcomes),
        pytest.raises(QueueUnavailable) as caught,
    ):
        run_services.run_create(project=project, proposer="fake")
    assert "2 of its 3 clip(s)" in caught.value.message
    counts = sorted(Proposal.objects.values_list("status", flat=True))
    assert counts == [Proposal.Status.FAILED, Proposal.Status.FAILED, Proposal.Status.PENDING]
    assert ModelRun.objects.get().status == ModelRun.Status.RUNNING  # one clip is on its way


def test_an_export_is_failed_with_the_reason(project, manager, media_root):
    gold_clip(project, "g1", cues=[("visual", "He smiles.", 0, 500)])
    gold_set = goldset_freeze(project=project, by=manager)
    with (
        _down("annotate.goldsets.tasks.export_build", "delay"),
        pytest.raises(QueueUnavailable) as caught,
    ):
        export_create(gold_set=gold_set, ratios={"train": 1.0}, seed=1, by=manager)
    assert "marked failed" in caught.value.message
    export = Export.objects.get()
    assert export.status == Export.Status.FAILED and "task queue was unreachable" in export.error


def test_a_score_job_is_failed_with_the_reason(project):
    cues = {"s1": {"visual": ["He smiles."], "auditory": [], "emotional": []}}
    with _down("annotate.scoring.tasks.score_job_run", "delay"), pytest.raises(QueueUnavailable):
        scoring_services.score_job_create(project=project, gold=cues, predicted=cues)
    job = ScoreJob.objects.get()
    assert job.status == ScoreJob.Status.FAILED and "submit it again" in job.error


def test_the_api_answers_503_with_what_happened(client, project, manager):
    make_ready_clips(project, ["a"])
    client.force_login(manager)
    client.raise_request_exception = False  # answer as the server does: the 503 handler
    with _down("annotate.runs.tasks.proposal_run"):
        response = client.post(
            reverse("api-run-list", args=[project.slug]),
            {"proposer": "fake"},
            content_type="application/json",
        )
    assert response.status_code == 503 and response["Retry-After"]
    assert "marked failed" in response.json()["detail"]
    assert ModelRun.objects.get().proposals.get().status == Proposal.Status.FAILED


def test_a_clip_retry_leaves_the_clip_failed_with_the_reason(project):
    clip = Clip.objects.create(
        project=project,
        name="bad",
        source="clips/x/bad",
        sha256="f" * 64,
        status=Clip.Status.FAILED,
        error="no video stream",
        error_code="no_video",
    )
    with _down("annotate.clips.tasks.clip_ingest"), pytest.raises(QueueUnavailable) as caught:
        clip_ingest_retry(clip=clip)
    assert "stays failed" in caught.value.message
    clip.refresh_from_db()
    assert clip.status == Clip.Status.FAILED and clip.error_code == "queue_unavailable"
    assert "task queue was unreachable" in clip.error
