"""Learned proposers in the app: starting a training (everything checked first), the training's
work (reproducible from the seed, stored under its sha256, idempotent), the learned run, and
the held-out rule on the leaderboard: a learned run is never scored on its training clips."""

import hashlib
import json
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.http import Http404

from annotate.core import scorer as core_scorer
from annotate.core.embedding_store import DatabaseEmbeddingStore
from annotate.core.models import AuditEvent
from annotate.learning import services, training
from annotate.learning.models import LearnedProposer
from annotate.runs.models import Cue, ModelRun, Proposal
from annotate.scoring import compute, leaderboard
from annotate.scoring.comparison import learned_comparisons
from annotate.scoring.models import RunScore
from annotate.scoring.selectors import leaderboard_rows, sample_matches_get
from inference.emocue360 import Scorer
from inference.proposers.signals import SIGNALS_VERSION
from tests.annotate.learning import world
from tests.conftest import stored_files
from tests.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db
SPLIT = {"train": 0.7, "test": 0.3}


@pytest.fixture(autouse=True)
def text_scorer(monkeypatch):
    scorer = Scorer(encoder=world.TextEncoder(), store=DatabaseEmbeddingStore())
    monkeypatch.setattr(core_scorer, "_scorer", scorer)
    return scorer


@pytest.fixture
def learnable(media_root):
    project = ProjectFactory()
    manager = MembershipFactory(project=project, role="manager").user
    clips, run, gold_set = world.build(project)
    return project, manager, run, gold_set


def trained(project, manager, gold_set, seed=0, **kwargs) -> LearnedProposer:
    learned = services.learned_proposer_start(
        project=project,
        gold_set=gold_set,
        ratios=SPLIT,
        seed=seed,
        by=manager,
        enqueue=False,
        **kwargs,
    )
    return training.learned_proposer_train(learned_id=learned.pk)


def test_a_training_learns_from_the_newest_signal_run_and_stores_its_model(learnable):
    project, manager, run, gold_set = learnable
    learned = trained(project, manager, gold_set)
    assert learned.status == LearnedProposer.Status.DONE, learned.error
    assert (learned.number, learned.base_run_id, learned.base_version) == (1, run.pk, run.version)
    assert set(learned.split) == {"train", "test"}
    # 30 clips of 15 speakers, 0.7/0.3 with speakers kept whole: 20 and 10.
    assert len(learned.training_clips) == 20 and len(learned.heldout_clips) == 10
    assert not set(learned.training_clips) & set(learned.heldout_clips)
    with default_storage.open(learned.artefact, "rb") as handle:
        raw = handle.read()
    assert hashlib.sha256(raw).hexdigest() == learned.artefact_sha256
    assert learned.artefact == f"learned/{project.pk}/1/{learned.artefact_sha256}.json"
    artefact = json.loads(raw)
    # The artefact records what it learned from: gold version, split, seed, data hash.
    assert artefact["trained_on"]["gold_set"]["version"] == 1
    assert artefact["trained_on"]["split"] == learned.split and artefact["seed"] == 0
    assert artefact["trained_on"]["training_sha256"] == learned.training_sha256
    assert artefact["base"] == {"proposer": "signals", "version": run.version}
    rules = {r["rule"]: r for r in learned.report["rules"]}
    assert rules["visual/smile"]["kind"] == "logistic"
    assert learned.report["training"]["clips"] == 20
    assert (learned.progress_stage, learned.progress_done, learned.progress_total) == ("done", 1, 1)
    assert AuditEvent.objects.filter(action="learn", object_id=learned.pk).exists()


def test_the_same_gold_run_split_and_seed_give_byte_identical_models(learnable, media_root):
    project, manager, run, gold_set = learnable
    first = trained(project, manager, gold_set, seed=0)
    second = trained(project, manager, gold_set, seed=0)
    assert second.number == 2
    assert second.split == first.split
    assert (second.training_sha256, second.artefact_sha256) == (
        first.training_sha256,
        first.artefact_sha256,
    )
    with (
        default_storage.open(first.artefact, "rb") as a,
        default_storage.open(second.artefact, "rb") as b,
    ):
        assert a.read() == b.read()
    other = trained(project, manager, gold_set, seed=1)
    assert other.split != first.split and other.artefact_sha256 != first.artefact_sha256


def test_a_redelivered_training_is_a_no_op_or_trains_again_to_the_same_file(learnable, media_root):
    project, manager, run, gold_set = learnable
    learned = trained(project, manager, gold_set)
    files = stored_files(media_root)
    again = training.learned_proposer_train(learned_id=learned.pk)  # done: left alone
    assert again.artefact_sha256 == learned.artefact_sha256 and stored_files(media_root) == files
    # A worker that died mid-training left it running: the redelivery trains it again.
    LearnedProposer.objects.filter(pk=learned.pk).update(status=LearnedProposer.Status.RUNNING)
    again = training.learned_proposer_train(learned_id=learned.pk)
    assert again.status == LearnedProposer.Status.DONE
    assert again.artefact_sha256 == learned.artefact_sha256 and stored_files(media_root) == files


@pytest.mark.parametrize(
    "change,words",
    [
        ({"ratios": {"train": 1.0}}, 'needs a part named "train"'),
        ({"ratios": {"fit": 0.8, "test": 0.2}}, 'needs a part named "train"'),
        ({"ratios": {"train": 0.9, "test": 0.3}}, "must sum to 1"),
        ({"seed": "0"}, "seed must be a whole number"),
    ],
)
def test_an_impossible_request_is_refused_and_stores_nothing(learnable, change, words):
    project, manager, run, gold_set = learnable
    options = {"project": project, "gold_set": gold_set, "ratios": SPLIT, "seed": 0, "by": manager}
    with pytest.raises(services.LearningRejected, match=words):
        services.learned_proposer_start(**(options | change), enqueue=False)
    assert not LearnedProposer.objects.exists()


def test_only_a_finished_signal_run_of_the_current_version_is_learned_from(learnable):
    project, manager, run, gold_set = learnable
    options = {"project": project, "gold_set": gold_set, "ratios": SPLIT, "seed": 0, "by": manager}
    old = ModelRun.objects.create(
        project=project, proposer="signals", version="signals-1.0", status="finished"
    )
    with pytest.raises(services.LearningRejected, match="Re-run it first") as refused:
        services.learned_proposer_start(**options, base_run=old, enqueue=False)
    assert refused.value.http_status == 409
    running = ModelRun.objects.create(project=project, proposer="signals", version=run.version)
    with pytest.raises(services.LearningRejected, match="wait until it has finished"):
        services.learned_proposer_start(**options, base_run=running, enqueue=False)
    other = ModelRun.objects.create(
        project=project, proposer="xemogpt", version="x", status="finished"
    )
    with pytest.raises(services.LearningRejected, match="choose a signals run"):
        services.learned_proposer_start(**options, base_run=other, enqueue=False)
    ModelRun.objects.filter(proposer="signals").delete()
    with pytest.raises(services.LearningRejected, match="no finished run of the signal proposer"):
        services.learned_proposer_start(**options, enqueue=False)


def test_too_few_training_clips_fail_the_training_with_the_reason(media_root):
    project = ProjectFactory()
    manager = MembershipFactory(project=project, role="manager").user
    _, _, gold_set = world.build(project, n_clips=6)
    learned = trained(project, manager, gold_set)
    assert learned.status == LearnedProposer.Status.FAILED
    assert "at least 6 are needed" in learned.error and not learned.artefact
    assert stored_files(media_root) == []


def test_a_learned_run_runs_on_the_held_out_clips_and_records_what_it_learned_from(learnable):
    project, manager, run, gold_set = learnable
    learned = trained(project, manager, gold_set)
    learned_run = services.learned_run_start(learned=learned, by=manager, enqueue=False)
    assert learned_run.proposer == "signals+learned"
    assert learned_run.version == f"{SIGNALS_VERSION}+learned"
    assert sorted(learned_run.proposals.values_list("clip__name", flat=True)) == (
        learned.heldout_clips
    )
    parameters = learned_run.parameters
    assert parameters["artefact"] == {"name": learned.artefact, "sha256": learned.artefact_sha256}
    assert parameters["training_clips"] == sorted(learned.training_clips)
    assert (parameters["gold_version"], parameters["seed"]) == (1, 0)
    assert learned_run.training_clips == sorted(learned.training_clips)
    pending = LearnedProposer.objects.create(
        project=project, number=9, base_version="x", gold_set=gold_set, ratios=SPLIT
    )
    with pytest.raises(services.LearningRejected, match="once its training is done"):
        services.learned_run_start(learned=pending, by=manager, enqueue=False)


def _answer(run, clip, texts):
    """A done proposal of `run` on `clip` whose cues are these (modality, text) pairs."""
    proposal = Proposal.objects.create(run=run, clip=clip, status=Proposal.Status.DONE)
    Cue.objects.bulk_create(
        Cue(
            clip=clip,
            proposal=proposal,
            position=i,
            modality=m,
            text=t,
            origin="model",
            decision="proposed",
        )
        for i, (m, t) in enumerate(texts)
    )


def _score(project, run):
    leaderboard.run_scores_invalidate(project=project, run=run)
    for row in RunScore.objects.filter(run=run):
        compute.run_score_compute(run_score_id=row.pk)


def test_the_leaderboard_never_scores_a_learned_run_on_its_training_clips(learnable):
    project, manager, base_run, gold_set = learnable
    learned = trained(project, manager, gold_set)
    # Run (by hand) on every clip, training clips included: they are excluded from its score.
    learned_run = ModelRun.objects.create(
        project=project,
        proposer="signals+learned",
        version=f"{SIGNALS_VERSION}+learned",
        status=ModelRun.Status.FINISHED,
        parameters={"learned_proposer": learned.pk, "training_clips": learned.training_clips},
    )
    gold = {i.name: i for i in gold_set.items.all()}
    for clip in project.clips.all():
        cues = [(m, c["text"]) for m, cs in gold[clip.name].cues.items() for c in cs]
        _answer(learned_run, clip, cues)  # the gold itself: 1.0 wherever it is scored
    _score(project, learned_run)
    row = RunScore.objects.get(run=learned_run, gold_set=gold_set)
    assert row.config["coverage"]["excluded_training_clips"] == 20
    assert row.config["coverage"]["scored_clips"] == 10
    assert set(row.samples) == set(learned.heldout_clips)
    shown = next(r for r in leaderboard_rows(project=project, gold_set=gold_set) if r.pk == row.pk)
    assert shown.excluded_training_clips == 20 and shown.scorable
    with pytest.raises(Http404, match="trained on"):
        sample_matches_get(score=row, name=learned.training_clips[0])
    assert sample_matches_get(score=row, name=learned.heldout_clips[0])["name"]

    # A learned run on training clips only: not scorable, and the row says why.
    only_training = ModelRun.objects.create(
        project=project,
        proposer="signals+learned",
        version=f"{SIGNALS_VERSION}+learned",
        status=ModelRun.Status.FINISHED,
        parameters={"training_clips": learned.training_clips},
    )
    for clip in project.clips.filter(name__in=learned.training_clips[:3]):
        _answer(only_training, clip, [("visual", "A cue.")])
    _score(project, only_training)
    row = next(
        r
        for r in leaderboard_rows(project=project, gold_set=gold_set)
        if r.name.endswith(f"#{only_training.pk}")
    )
    assert not row.scorable and "held-out clips only" in row.not_scorable


def test_the_leaderboard_compares_learned_and_base_on_held_out_clips_with_a_paired_ci(learnable):
    project, manager, base_run, gold_set = learnable
    learned = trained(project, manager, gold_set)
    _score(project, base_run)
    (comparison,) = learned_comparisons(project=project, gold_set=gold_set)
    assert comparison.state == "no_run"
    learned_run = services.learned_run_start(learned=learned, by=manager, enqueue=False)
    gold = {i.name: i for i in gold_set.items.all()}
    for proposal in learned_run.proposals.select_related("clip"):
        cues = [(m, c) for m, cs in gold[proposal.clip.name].cues.items() for c in cs]
        Cue.objects.bulk_create(
            Cue(
                clip=proposal.clip,
                proposal=proposal,
                position=i,
                modality=m,
                text=c["text"],
                kind=c.get("kind", "observation"),
            )
            for i, (m, c) in enumerate(cues)
        )
    learned_run.proposals.update(status=Proposal.Status.DONE)
    ModelRun.objects.filter(pk=learned_run.pk).update(status=ModelRun.Status.FINISHED)
    _score(project, learned_run)
    (comparison,) = learned_comparisons(project=project, gold_set=gold_set)
    assert comparison.state == "ready", comparison.message
    result = comparison.result
    assert result["clips"] == 10 and set(result["names"]) == set(learned.heldout_clips)
    assert result["other"]["overall"] == pytest.approx(1.0)
    assert result["difference"]["overall"] > 0 and comparison.ahead
    lo, hi = result["ci"]["overall"]
    assert 0 < lo <= result["difference"]["overall"] <= hi


def test_the_command_trains_here_and_prints_what_it_learned_from(learnable):
    project, manager, run, gold_set = learnable
    out = StringIO()
    call_command(
        "learn_proposer",
        "--project",
        project.slug,
        "--gold-version",
        "1",
        "--split",
        "train=0.7,test=0.3",
        "--seed",
        "0",
        stdout=out,
    )
    learned = LearnedProposer.objects.get()
    text = out.getvalue()
    assert "signals+learned #1: gold v1" in text and "train 20, test 10" in text
    assert learned.training_sha256 in text and learned.artefact_sha256 in text
    with pytest.raises(CommandError, match="no gold set version 5"):
        call_command("learn_proposer", "--project", project.slug, "--gold-version", "5")
    with pytest.raises(CommandError, match="must sum to 1"):
        call_command(
            "learn_proposer",
            "--project",
            project.slug,
            "--gold-version",
            "1",
            "--split",
            "train=0.7,test=0.7",
        )
