"""Model runs: one idempotent task per clip, progress, failures, cancel, retry, re-run."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from annotate.clips.ingest import clip_ingest
from annotate.clips.models import Clip
from annotate.clips.services import clip_create
from annotate.runs import proposing
from annotate.runs import services as run_services
from annotate.runs.models import Cue, ModelRun, Proposal
from inference.proposers import ClipInput, ProposalError, ProposedCue, register_proposer
from inference.proposers import Proposal as ProposalResult
from tests import mediafiles

pytestmark = pytest.mark.django_db


class FakeProposer:
    """A deterministic proposer for the run machinery: three timed cues per clip; clips named
    'broken*' raise ProposalError, 'crash*' raise an unexpected error."""

    name = "fake"
    version = "1.0"
    calls: list[str] = []

    def propose(self, clip: ClipInput) -> ProposalResult:
        FakeProposer.calls.append(clip.name)
        if clip.name.startswith("broken"):
            raise ProposalError(f"{clip.name}: the face could not be tracked")
        if clip.name.startswith("crash"):
            raise RuntimeError("boom")
        assert clip.video.is_file() and clip.duration_ms > 0
        half = clip.duration_ms // 2
        return ProposalResult(
            proposer=self.name,
            version=self.version,
            description="In the video, the corners of the mouth turn up. Therefore, happy.",
            cues=(
                ProposedCue("visual", "The corners of the mouth turn up.", 0, half, 0.8, {"f": 1}),
                ProposedCue("auditory", "The voice is loud.", half, clip.duration_ms, 0.6),
                ProposedCue("emotional", "He is happy.", None, None, 0.5, kind="inference"),
            ),
            emotions=(("happy", 0.7), ("neutral", 0.2)),
            notes=("a note",),
            timings={"total_s": 0.01},
        )


register_proposer("fake", FakeProposer)


@pytest.fixture(autouse=True)
def _fresh_fake():
    FakeProposer.calls = []
    proposing._proposers.pop("fake", None)


def test_run_proposes_every_ready_clip_and_stores_timeline_cues(
    project, ready_clips, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = run_services.run_create(project=project, proposer="fake", label="first")
    # One on-commit hook sends one task per clip; the run finishing (eagerly, inside it) adds
    # one that queues the run's scoring against the gold.
    assert len(callbacks) == 2
    run.refresh_from_db()
    progress = run_services.run_progress(run=run)
    assert (progress["total"], progress["done"], progress["failed"]) == (3, 2, 1)
    assert run.status == ModelRun.Status.FINISHED and run.finished_at is not None
    done = Proposal.objects.get(run=run, clip__name="a")
    assert done.emotions[0] == {"label": "happy", "score": 0.7} and done.notes == ["a note"]
    assert done.uncertainty == pytest.approx(0.5)  # 1 − (0.7 − 0.2): the queue reads it
    cues = list(Cue.objects.filter(proposal=done).order_by("position"))
    assert [c.modality for c in cues] == ["visual", "auditory", "emotional"]
    assert all(c.origin == "model" and c.decision == "proposed" for c in cues)
    assert cues[0].start_ms == 0 and cues[0].end_ms == 500 and cues[2].start_ms is None
    failed = Proposal.objects.get(run=run, clip__name="broken")
    assert failed.status == "failed" and "could not be tracked" in failed.error
    assert not failed.cues.exists()


def test_a_redelivered_task_never_duplicates_cues(project, ready_clips):
    run = run_services.run_create(project=project, proposer="fake", clip_names=["a"], enqueue=False)
    proposal = run.proposals.get()
    proposing.proposal_run(proposal_id=proposal.pk, claim="task-1")
    proposing.proposal_run(proposal_id=proposal.pk, claim="task-1")  # settled: a no-op
    assert FakeProposer.calls == ["a"] and proposal.cues.count() == 3
    # As if the worker died after storing cues but before its status update was committed.
    Proposal.objects.filter(pk=proposal.pk).update(status=Proposal.Status.RUNNING)
    ModelRun.objects.filter(pk=run.pk).update(status=ModelRun.Status.RUNNING)
    # Another task does not take a clip that a task holds ...
    assert proposing.proposal_run(proposal_id=proposal.pk, claim="task-2").status == "running"
    # ... but the redelivery of the same task (same id) does, and replaces the cues.
    again = proposing.proposal_run(proposal_id=proposal.pk, claim="task-1")
    assert again.status == "done" and again.attempts == 2 and FakeProposer.calls == ["a", "a"]
    assert Cue.objects.filter(proposal=proposal).count() == 3


def test_a_redelivery_closes_a_run_its_dead_worker_left_open(project, ready_clips):
    """The worker died after committing the run's last clip and before marking the run
    finished: the redelivered task (the same id) finds nothing to claim, and closes the run."""
    run = run_services.run_create(project=project, proposer="fake", clip_names=["a"], enqueue=False)
    proposal = run.proposals.get()
    proposing.proposal_run(proposal_id=proposal.pk, claim="task-1")
    ModelRun.objects.filter(pk=run.pk).update(status=ModelRun.Status.RUNNING, finished_at=None)
    again = proposing.proposal_run(proposal_id=proposal.pk, claim="task-1")
    assert again.status == "done" and again.attempts == 1 and FakeProposer.calls == ["a"]
    run.refresh_from_db()
    assert run.status == ModelRun.Status.FINISHED and run.finished_at is not None


def test_cancel_stops_pending_clips(project, ready_clips):
    run = run_services.run_create(project=project, proposer="fake", enqueue=False)
    first = run.proposals.order_by("clip__name").first()
    proposing.proposal_run(proposal_id=first.pk)
    run_services.run_cancel(run=run)
    for proposal in run.proposals.exclude(pk=first.pk):
        assert proposing.proposal_run(proposal_id=proposal.pk).status == "cancelled"
    assert FakeProposer.calls == ["a"]
    progress = run_services.run_progress(run=run)
    assert (progress["done"], progress["cancelled"]) == (1, 2)
    with pytest.raises(run_services.RunRejected, match="only a running run"):
        run_services.run_cancel(run=run)


def test_retry_failed_and_rerun_beside_the_old(
    project, ready_clips, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = run_services.run_create(project=project, proposer="fake")
    Clip.objects.filter(name="broken").update(name="fixed")  # what a fixed clip would do
    FakeProposer.calls = []
    with django_capture_on_commit_callbacks(execute=True):
        assert run_services.run_retry_failed(run=run) == 1
    run.refresh_from_db()
    assert FakeProposer.calls == ["fixed"] and run.status == "finished"
    assert run_services.run_progress(run=run)["done"] == 3
    with pytest.raises(run_services.RunRejected, match="no failed clips"):
        run_services.run_retry_failed(run=run)
    FakeProposer.version = "1.1"
    try:
        with pytest.raises(run_services.RunRejected, match="re-run instead"):
            Proposal.objects.filter(run=run, clip__name="a").update(status="failed")
            run_services.run_retry_failed(run=run)
        with django_capture_on_commit_callbacks(execute=True):
            new = run_services.run_rerun(run=run)
    finally:
        FakeProposer.version = "1.0"
    assert new.previous == run and new.version == "1.1"
    assert ModelRun.objects.count() == 2 and Cue.objects.filter(proposal__run=run).count() == 9


def test_unexpected_errors_fail_the_clip_and_propagate(project, media_root, tmp_path):
    path = mediafiles.make_clip(tmp_path / "crash.mp4", seconds=1.0)
    clip_ingest(
        clip_id=clip_create(project=project, source=path, filename="crash.mp4", enqueue=False).pk
    )
    run = run_services.run_create(project=project, proposer="fake", enqueue=False)
    with pytest.raises(RuntimeError):
        proposing.proposal_run(proposal_id=run.proposals.get().pk)
    proposal = run.proposals.get()
    assert proposal.status == "failed" and "RuntimeError: boom" in proposal.error


@pytest.mark.parametrize(
    "kwargs,words",
    [
        ({"proposer": "nope"}, "unknown proposer 'nope'"),
        ({"proposer": "fake", "clip_names": ["zzz"]}, "No clip named 'zzz'"),
    ],
)
def test_bad_run_requests(project, ready_clips, kwargs, words):
    with pytest.raises(run_services.RunRejected, match=words):
        run_services.run_create(project=project, **kwargs)
    assert ModelRun.objects.count() == 0


def test_clips_that_are_not_ready_are_refused(project, media_root, tmp_path):
    path = mediafiles.make_clip(tmp_path / "p.mp4", seconds=1.0)
    clip_create(project=project, source=path, filename="p.mp4", enqueue=False)
    with pytest.raises(run_services.RunRejected, match="not ready"):
        run_services.run_create(project=project, proposer="fake", clip_names=["p"])
    with pytest.raises(run_services.RunRejected, match="no ready clips"):
        run_services.run_create(project=project, proposer="fake")


def test_missing_media_is_a_clear_per_clip_error(project, ready_clips, media_root):
    (media_root / ready_clips[0].proxy).unlink()
    run = run_services.run_create(project=project, proposer="fake", clip_names=["a"], enqueue=False)
    proposal = proposing.proposal_run(proposal_id=run.proposals.get().pk)
    assert proposal.status == "failed" and "missing from storage" in proposal.error


def test_propose_command_in_process(project, ready_clips):
    out = StringIO()
    with pytest.raises(CommandError, match="2 done, 1 failed of 3"):
        call_command(
            "propose",
            "--project",
            project.name,
            "--proposer",
            "fake",
            stdout=out,
            stderr=StringIO(),
        )
    assert "FAILED broken" in out.getvalue()
    out = StringIO()
    call_command(
        "propose",
        "--project",
        project.name,
        "--proposer",
        "fake",
        "--clips",
        "a,b",
        stdout=out,
        stderr=StringIO(),
    )
    assert "2 done, 0 failed of 2" in out.getvalue()
    with pytest.raises(CommandError, match="No project named"):
        call_command("propose", "--project", "nope", stdout=StringIO())


class BatchingFakeProposer(FakeProposer):
    name = "batchfake"
    version = "2.0"
    batches: list[list[str]] = []

    def __init__(self, weights: str = "w1"):
        self.version = f"2.0+{weights}"

    def propose_batch(self, clips):
        BatchingFakeProposer.batches.append([c.name for c in clips])
        out = []
        for clip in clips:
            try:
                result = FakeProposer.propose(self, clip)
                out.append(ProposalResult(**{**result.__dict__, "version": self.version}))
            except ProposalError as error:
                out.append(error)
        return out


register_proposer("batchfake", BatchingFakeProposer)


def test_a_batching_proposer_takes_pending_clips_along(project, ready_clips, settings):
    settings.EMOCUE_PROPOSER_BATCH_SIZES = {"batchfake": 2}
    BatchingFakeProposer.batches = []
    proposing._proposers.pop("batchfake", None)
    run = run_services.run_create(project=project, proposer="batchfake", enqueue=False)
    assert run.version == "2.0"
    ordered = list(run.proposals.order_by("pk"))
    proposing.proposal_run(proposal_id=ordered[0].pk, claim="t1")
    assert BatchingFakeProposer.batches == [["a", "b"]]
    assert [p.status for p in run.proposals.order_by("pk")] == ["done", "done", "pending"]
    assert run.proposals.get(pk=ordered[1].pk).model_version == "2.0+w1"
    # The partner's own task finds its clip done: nothing runs twice.
    proposing.proposal_run(proposal_id=ordered[1].pk, claim="t2")
    proposing.proposal_run(proposal_id=ordered[2].pk, claim="t3")
    assert BatchingFakeProposer.batches == [["a", "b"]]  # a batch of one goes through propose()
    statuses = dict(run.proposals.values_list("clip__name", "status"))
    assert statuses == {"a": "done", "b": "done", "broken": "failed"}
    assert Cue.objects.filter(proposal__run=run).count() == 6


def test_a_batch_held_by_a_dead_task_is_finished_by_its_redelivery(project, ready_clips, settings):
    settings.EMOCUE_PROPOSER_BATCH_SIZES = {"batchfake": 3}
    proposing._proposers.pop("batchfake", None)
    run = run_services.run_create(project=project, proposer="batchfake", enqueue=False)
    first, second, third = run.proposals.order_by("pk")
    # The task of `first` claimed all three and died before storing anything.
    Proposal.objects.filter(run=run).update(status="running", claim="t1", attempts=1)
    assert proposing.proposal_run(proposal_id=second.pk, claim="t2").status == "running"
    BatchingFakeProposer.batches = []
    proposing.proposal_run(proposal_id=first.pk, claim="t1")
    assert BatchingFakeProposer.batches == [["a", "b", "broken"]]
    assert dict(run.proposals.values_list("clip__name", "attempts")) == {
        "a": 2,
        "b": 2,
        "broken": 2,
    }
    assert ModelRun.objects.get(pk=run.pk).status == "finished"


class ArtefactProposer:
    """A proposer built from a stored file (as a learned one is): its one cue says what the
    file holds."""

    name = "artefake"
    version = "1.0"
    needs_artefact = True

    def __init__(self, *, artefact=None):
        if artefact is None:
            raise ValueError("artefake needs an artefact")
        self.text = open(artefact, encoding="utf-8").read().strip()

    def propose(self, clip: ClipInput) -> ProposalResult:
        return ProposalResult(
            proposer=self.name,
            version=self.version,
            description=self.text,
            cues=(ProposedCue("visual", self.text, None, None, 0.5),),
            features={"visual.smile_fraction": 0.25},
        )


register_proposer("artefake", ArtefactProposer)


def test_a_proposer_built_from_an_artefact_runs_the_file_its_run_names(project, ready_clips):
    import hashlib

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from annotate.runs.inputs import RunStartInput

    with pytest.raises(proposing.RunRejected, match="start its run from the learned proposer"):
        run_services.run_create(project=project, proposer="artefake")
    form = RunStartInput(data={"proposer": "artefake"}, context={"project": project})
    assert not form.is_valid() and "learned proposer's page" in str(form.errors["proposer"])

    raw = b"The model says hello.\n"
    name = default_storage.save("learned/test/model.json", ContentFile(raw))
    artefact = {"name": name, "sha256": hashlib.sha256(raw).hexdigest()}
    proposal = run_one(project, artefact)
    assert proposal.status == Proposal.Status.DONE, proposal.error
    assert [c.text for c in proposal.cues.all()] == ["The model says hello."]
    assert proposal.features == {"visual.smile_fraction": 0.25}  # stored with the proposal

    changed = {"name": name, "sha256": "0" * 64}
    proposal = run_one(project, changed)
    assert proposal.status == Proposal.Status.FAILED
    assert "is not the one this run was started with" in proposal.error
    gone = {"name": "learned/test/gone.json", "sha256": "0" * 64}
    proposal = run_one(project, gone)
    assert proposal.status == Proposal.Status.FAILED
    assert "missing from storage" in proposal.error


def run_one(project, artefact: dict) -> Proposal:
    run = run_services.run_create(
        project=project,
        proposer="artefake",
        clip_names=["a"],
        parameters={"artefact": artefact},
        enqueue=False,
    )
    return proposing.proposal_run(proposal_id=run.proposals.get().pk)
