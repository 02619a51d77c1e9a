"""The live leaderboard: invalidation, coalescing recomputation, the numbers, the hooks."""

import hashlib

import numpy as np
import pytest

from annotate.annotation.models import Annotation
from annotate.clips.models import Clip
from annotate.core import scorer as core_scorer
from annotate.core.embedding_store import DatabaseEmbeddingStore
from annotate.review.models import GoldCue, GoldRecord
from annotate.runs.models import Cue, ModelRun, Proposal
from annotate.scoring import compute, leaderboard
from annotate.scoring.models import RunScore
from inference.emocue360 import Scorer
from tests.factories import MembershipFactory

WORDS = [
    "frown",
    "smile",
    "tears",
    "loud",
    "soft",
    "trembling",
    "angry",
    "happy",
    "sad",
    "calm",
    "shout",
    "sigh",
    "laugh",
    "glare",
    "nod",
    "whisper",
]


class WordEncoder:
    """Deterministic: one dimension per known word a text contains (a bag of concepts),
    else one dimension from the text's hash."""

    model_id = "test-words"

    def __init__(self):
        self.calls = 0

    def encode(self, texts):
        self.calls += 1
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for i, text in enumerate(texts):
            hits = [d for d, w in enumerate(WORDS) if w in text.lower()]
            if hits:
                out[i, hits] = 1.0
            else:
                out[i, 16 + int(hashlib.sha256(text.encode()).hexdigest(), 16) % 48] = 1.0
        return out


@pytest.fixture(autouse=True)
def word_scorer(monkeypatch):
    scorer = Scorer(encoder=WordEncoder(), store=DatabaseEmbeddingStore())
    monkeypatch.setattr(core_scorer, "_scorer", scorer)
    return scorer


def clip_make(project, name):
    return Clip.objects.create(
        project=project,
        name=name,
        source=f"clips/{name}",
        sha256=hashlib.sha256(name.encode()).hexdigest(),
        status=Clip.Status.READY,
    )


def gold_make(clip, cues, status=GoldRecord.Status.GOLD):
    record = GoldRecord.objects.create(
        clip=clip, status=status, primary_label="happy", labels=["happy"]
    )
    for position, (modality, text, *kind) in enumerate(cues):
        GoldCue.objects.create(
            record=record,
            modality=modality,
            text=text,
            position=position,
            kind=kind[0] if kind else "observation",
        )
    return record


def run_make(project, answers, status=ModelRun.Status.FINISHED, label="run"):
    """answers: {clip: [(modality, text[, kind])] or None for a failed proposal}."""
    run = ModelRun.objects.create(
        project=project, proposer="fake", version="1", label=label, status=status
    )
    for clip, cues in answers.items():
        proposal = Proposal.objects.create(
            run=run,
            clip=clip,
            status=Proposal.Status.FAILED if cues is None else Proposal.Status.DONE,
        )
        for position, (modality, text, *kind) in enumerate(cues or []):
            Cue.objects.create(
                clip=clip,
                proposal=proposal,
                position=position,
                modality=modality,
                text=text,
                kind=kind[0] if kind else "observation",
                origin=Cue.Origin.MODEL,
                decision=Cue.Decision.PROPOSED,
            )
    return run


def annotation_make(clip, user, cues, status=Annotation.Status.SUBMITTED):
    """cues: [(modality, text, options)] with options among decision, decoy, derived_from."""
    annotation = Annotation.objects.create(
        clip=clip,
        annotator=user,
        status=status,
        primary_label="happy",
        labels=["happy"],
        description="x",
    )
    made = []
    for position, (modality, text, options) in enumerate(cues):
        made.append(
            Cue.objects.create(
                clip=clip,
                annotation=annotation,
                position=position,
                modality=modality,
                text=text,
                **options,
            )
        )
    return annotation, made


@pytest.fixture
def clips(project):
    return [clip_make(project, f"sample_{i:08d}") for i in range(3)]


def rows(project, **filters):
    return list(RunScore.objects.filter(project=project, **filters).order_by("pk"))


def test_invalidate_creates_rows_for_finished_runs_and_annotators(
    project, clips, annotator, django_capture_on_commit_callbacks
):
    finished = run_make(project, {clips[0]: [("visual", "He smiles.")]})
    run_make(project, {clips[0]: [("visual", "He smiles.")]}, status=ModelRun.Status.RUNNING)
    annotation_make(clips[0], annotator, [("visual", "He smiles.", {})])
    annotation_make(
        clips[1],
        MembershipFactory(project=project).user,
        [("visual", "x", {})],
        status=Annotation.Status.DRAFT,
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        leaderboard.run_scores_invalidate(project=project, gold_changed=True)
    made = rows(project)
    assert {(r.run_id, r.annotator_id) for r in made} == {(finished.pk, None), (None, annotator.pk)}
    assert all(r.generation == 1 and r.stale and r.changed_at for r in made)
    assert len(callbacks) == 2  # one task per row, after commit

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        leaderboard.run_scores_invalidate(project=project, run=finished)
    by_run = {r.run_id: r.generation for r in rows(project)}
    assert by_run == {finished.pk: 2, None: 1}
    assert len(callbacks) == 1


def computed(project, **filters):
    [row] = rows(project, **filters)
    return row


def test_identical_cues_score_one_and_a_modality_without_gold_is_skipped(
    project, clips, django_capture_on_commit_callbacks
):
    gold_make(
        clips[0],
        [
            ("visual", "He smiles."),
            ("auditory", "A loud shout."),
            ("auditory", "I am fine", "subtitle"),
        ],
    )
    gold_make(clips[1], [("visual", "Tears run down."), ("auditory", "A sigh.")])
    run = run_make(
        project,
        {
            clips[0]: [
                ("visual", "He smiles."),
                ("auditory", "A loud shout."),
                ("emotional", "He is happy."),
            ],
            clips[1]: [("visual", "Tears run down."), ("auditory", "A sigh.")],
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        leaderboard.run_scores_invalidate(project=project, gold_changed=True)
    row = computed(project, run=run)
    assert (row.status, row.stale, row.computed_generation) == ("done", False, 1)
    strict = row.result["strict"]["scores"]
    for modality in ("visual", "auditory"):
        assert strict["paper"][modality]["f1"] == pytest.approx(1.0)
        assert strict["paper"][modality]["n_samples"] == 2
        assert strict["paper"][modality]["ci"]["f1"] == [pytest.approx(1.0), pytest.approx(1.0)]
        assert strict["one_to_one"][modality]["f1"] == pytest.approx(1.0)
        assert strict["hit_rate"][modality]["f1"] == pytest.approx(1.0)
    # no gold emotional cue anywhere: skipped, not 0 (the extra predicted one costs nothing)
    assert strict["paper"]["emotional"]["f1"] is None
    assert strict["paper"]["emotional"]["n_samples"] == 0
    assert strict["paper"]["overall"]["modalities"] == ["visual", "auditory"]
    assert strict["paper"]["overall"]["f1"] == pytest.approx(1.0)
    assert row.result["reference"]["scores"]["paper"]["overall"]["f1"] == pytest.approx(1.0)
    assert row.samples[clips[0].name]["strict"]["paper"]["visual"] == [1.0, 1.0, 1.0]
    assert set(row.samples) == {clips[0].name, clips[1].name}
    assert row.config["modes"] == ["strict", "reference"]
    assert row.config["variants"] == ["paper", "one_to_one", "hit_rate"]
    assert row.config["model_id"] == "test-words" and row.config["tau"] == 0.5
    assert row.config["coverage"] == {
        "gold_clips": 2,
        "scored_clips": 2,
        "predicted_clips": 2,
        "excluded_training_clips": 0,
    }


def test_partial_predictions_score_the_formula(project, clips, django_capture_on_commit_callbacks):
    # gold {smile, tears}; predicted {smile}: recall = (1 + 0) / 2, precision = 1 -> F1 = 2/3
    gold_make(clips[0], [("visual", "A smile."), ("visual", "Tears.")])
    gold_make(clips[1], [("visual", "A frown.")])
    gold_make(clips[2], [("visual", "A glare."), ("emotional", "Calm.")], status="in_review")
    run = run_make(
        project,
        {clips[0]: [("visual", "A smile.")], clips[1]: None, clips[2]: [("visual", "A glare.")]},
    )
    with django_capture_on_commit_callbacks(execute=True):
        leaderboard.run_scores_invalidate(project=project, run=run)
    row = computed(project, run=run)
    strict = row.result["strict"]["scores"]["paper"]
    # the failed proposal scores 0 in strict mode; the in-review record is not gold
    assert strict["visual"]["f1"] == pytest.approx((2 / 3 + 0) / 2)
    assert strict["visual"]["n_samples"] == 2
    # reference mode skips the clip without a prediction
    reference = row.result["reference"]["scores"]["paper"]
    assert reference["visual"]["f1"] == pytest.approx(2 / 3)
    assert reference["visual"]["n_samples"] == 1


def test_subtitle_cues_follow_each_mode(project, clips, django_capture_on_commit_callbacks):
    gold_make(clips[0], [("auditory", "A loud voice."), ("auditory", "get out now", "subtitle")])
    run = run_make(project, {clips[0]: [("auditory", "A loud voice.")]})
    with django_capture_on_commit_callbacks(execute=True):
        leaderboard.run_scores_invalidate(project=project, run=run)
    row = computed(project, run=run)
    # strict drops kind subtitle; reference sees "Subtitle text: ..." and its filter drops it
    assert row.result["strict"]["scores"]["paper"]["auditory"]["f1"] == pytest.approx(1.0)
    assert row.result["reference"]["scores"]["paper"]["auditory"]["f1"] == pytest.approx(1.0)


def test_two_invalidations_before_a_compute_give_one_computation_of_the_latest(
    project, clips, word_scorer, django_capture_on_commit_callbacks, monkeypatch
):
    gold_make(clips[0], [("visual", "A smile.")])
    run = run_make(project, {clips[0]: [("visual", "A smile.")]})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        leaderboard.run_scores_invalidate(project=project, run=run)
        leaderboard.run_scores_invalidate(project=project, gold_changed=True)
    assert len(callbacks) == 2
    computations = []
    real = compute.scores_compute
    monkeypatch.setattr(
        compute, "scores_compute", lambda **kw: computations.append(1) or real(**kw)
    )
    for callback in callbacks:
        callback()
    row = computed(project, run=run)
    assert computations == [1]
    assert (row.generation, row.computed_generation, row.stale, row.status) == (2, 2, False, "done")


def test_a_change_during_a_computation_is_not_lost(
    project, clips, monkeypatch, django_capture_on_commit_callbacks
):
    gold_make(clips[0], [("visual", "A smile.")])
    run = run_make(project, {clips[0]: [("visual", "A smile.")]})
    with django_capture_on_commit_callbacks(execute=False) as first:
        leaderboard.run_scores_invalidate(project=project, run=run)
    real = compute.scores_compute
    later = []

    def meanwhile(**kw):
        # the gold changes while the first computation runs
        if not later:
            with django_capture_on_commit_callbacks(execute=False) as second:
                leaderboard.run_scores_invalidate(project=project, gold_changed=True)
            later.extend(second)
        return real(**kw)

    monkeypatch.setattr(compute, "scores_compute", meanwhile)
    first[0]()
    row = computed(project, run=run)
    assert (row.generation, row.computed_generation, row.stale, row.status) == (
        2,
        1,
        True,
        "pending",
    )
    later[0]()
    row = computed(project, run=run)
    assert (row.generation, row.computed_generation, row.stale, row.status) == (2, 2, False, "done")


def test_the_human_row_scores_kept_cues_without_decoys(
    project, clips, annotator, django_capture_on_commit_callbacks
):
    gold_make(clips[0], [("visual", "A smile."), ("auditory", "A soft sigh.")])
    gold_make(clips[1], [("visual", "A frown.")])
    _, (decoy, *_) = annotation_make(
        clips[0],
        annotator,
        [
            ("visual", "Tears.", {"decoy": True, "origin": "model", "decision": "accepted"}),
            ("visual", "A smile.", {}),
            ("visual", "A glare.", {"decision": "rejected"}),
            ("auditory", "A soft sigh.", {}),
        ],
    )
    Cue.objects.create(
        clip=clips[0],
        annotation=decoy.annotation,
        modality="visual",
        text="Tears and a laugh.",
        derived_from=decoy,
        decision="edited",
        position=9,
    )
    with django_capture_on_commit_callbacks(execute=True):
        leaderboard.run_scores_invalidate(project=project, annotator=annotator)
    row = computed(project, annotator=annotator)
    strict = row.result["strict"]["scores"]["paper"]
    # only clip 0 (the one they submitted) is scored; decoy, its edit and the rejection are out
    assert strict["visual"]["f1"] == pytest.approx(1.0)
    assert strict["auditory"]["f1"] == pytest.approx(1.0)
    assert strict["visual"]["n_samples"] == 1
    assert set(row.samples) == {clips[0].name}


def test_a_cancelled_run_leaves_the_leaderboard(project, clips, django_capture_on_commit_callbacks):
    gold_make(clips[0], [("visual", "A smile.")])
    run = run_make(project, {clips[0]: [("visual", "A smile.")]})
    with django_capture_on_commit_callbacks(execute=True):
        leaderboard.run_scores_invalidate(project=project, run=run)
    assert rows(project, run=run)
    ModelRun.objects.filter(pk=run.pk).update(status=ModelRun.Status.CANCELLED)
    leaderboard.run_scores_invalidate(project=project, run=run)
    assert rows(project, run=run) == []


def test_no_gold_yet_is_done_without_numbers(project, clips, django_capture_on_commit_callbacks):
    run = run_make(project, {clips[0]: [("visual", "A smile.")]})
    with django_capture_on_commit_callbacks(execute=True):
        leaderboard.run_scores_invalidate(project=project, run=run)
    row = computed(project, run=run)
    assert row.status == "done" and row.result == {"strict": None, "reference": None}


def test_finalize_and_reopen_recompute_through_the_hook(
    project, clips, manager, django_capture_on_commit_callbacks
):
    from annotate.review.services import gold_record_finalize, gold_record_reopen

    kept = gold_make(clips[0], [("visual", "A smile.")])
    changing = gold_make(clips[1], [("visual", "A frown.")])
    run = run_make(project, {clips[0]: [("visual", "A smile.")], clips[1]: [("visual", "Tears.")]})
    with django_capture_on_commit_callbacks(execute=True):
        leaderboard.run_scores_invalidate(project=project, run=run)
    assert computed(project, run=run).result["strict"]["scores"]["paper"]["visual"][
        "f1"
    ] == pytest.approx(0.5)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        changing = gold_record_reopen(
            record=changing, reviewer=manager, expected_version=changing.version
        )
    assert len(callbacks) == 1
    row = computed(project, run=run)
    assert (row.generation, row.computed_generation, row.stale) == (2, 2, False)
    assert row.result["strict"]["scores"]["paper"]["visual"]["f1"] == pytest.approx(1.0)
    assert set(row.samples) == {clips[0].name}

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        gold_record_finalize(record=changing, reviewer=manager, expected_version=changing.version)
    assert len(callbacks) == 1
    row = computed(project, run=run)
    assert (row.generation, row.computed_generation) == (3, 3)
    assert row.result["strict"]["scores"]["paper"]["visual"]["f1"] == pytest.approx(0.5)
    assert kept.status == "gold"


def test_real_model_ranks_a_paraphrase_above_an_unrelated_run(
    project, clips, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(core_scorer, "_scorer", None)  # all-MiniLM-L6-v2, offline
    gold_make(
        clips[0],
        [("visual", "He frowns and looks down."), ("auditory", "His voice is loud and angry.")],
    )
    same = run_make(
        project,
        {
            clips[0]: [
                ("visual", "He frowns and looks down."),
                ("auditory", "His voice is loud and angry."),
            ]
        },
    )
    close = run_make(
        project,
        {
            clips[0]: [
                ("visual", "His brows are furrowed and his gaze drops."),
                ("auditory", "He shouts furiously."),
            ]
        },
    )
    far = run_make(
        project,
        {clips[0]: [("visual", "The sky is blue."), ("auditory", "Birds sing in the garden.")]},
    )
    with django_capture_on_commit_callbacks(execute=True):
        leaderboard.run_scores_invalidate(project=project, gold_changed=True)
    f1 = {
        run.pk: computed(project, run=run).result["strict"]["scores"]["paper"]["overall"]["f1"]
        for run in (same, close, far)
    }
    assert f1[same.pk] == pytest.approx(1.0, abs=1e-6)
    assert 0.4 < f1[close.pk] < 0.95
    assert f1[far.pk] < f1[close.pk] - 0.2
    assert (
        computed(project, run=same)
        .config["model_id"]
        .startswith("sentence-transformers/all-MiniLM-L6-v2@sha256:")
    )


def test_a_frozen_version_is_scored_and_keeps_its_numbers(
    project, clips, manager, django_capture_on_commit_callbacks
):
    from annotate.goldsets.services import goldset_freeze
    from annotate.review.services import gold_record_reopen

    gold_make(clips[0], [("visual", "A smile.")])
    changing = gold_make(clips[1], [("visual", "A frown.")])
    run = run_make(project, {clips[0]: [("visual", "A smile.")], clips[1]: [("visual", "Tears.")]})
    with django_capture_on_commit_callbacks(execute=True):
        gold_set = goldset_freeze(project=project, by=manager)
    frozen = computed(project, run=run, gold_set=gold_set)
    assert frozen.result["strict"]["scores"]["paper"]["visual"]["f1"] == pytest.approx(0.5)
    assert set(frozen.samples) == {clips[0].name, clips[1].name}

    with django_capture_on_commit_callbacks(execute=True):
        gold_record_reopen(record=changing, reviewer=manager, expected_version=changing.version)
    working = computed(project, run=run, gold_set__isnull=True)
    assert working.result["strict"]["scores"]["paper"]["visual"]["f1"] == pytest.approx(1.0)
    again = computed(project, run=run, gold_set=gold_set)
    assert (again.generation, again.computed_generation) == (frozen.generation, frozen.generation)
    assert again.result == frozen.result


def test_a_failed_computation_says_so_and_the_next_change_recovers(
    project, clips, monkeypatch, django_capture_on_commit_callbacks
):
    gold_make(clips[0], [("visual", "A smile.")])
    run = run_make(project, {clips[0]: [("visual", "A smile.")]})
    real = compute.scores_compute

    def broken(**kw):
        raise RuntimeError("the model is missing")

    monkeypatch.setattr(compute, "scores_compute", broken)
    with django_capture_on_commit_callbacks(execute=True):  # robust: the change still commits
        leaderboard.run_scores_invalidate(project=project, run=run)
    row = computed(project, run=run)
    assert (row.status, row.stale, row.computed_generation) == ("failed", True, 0)
    assert "the model is missing" in row.error
    monkeypatch.setattr(compute, "scores_compute", real)
    with django_capture_on_commit_callbacks(execute=True):
        leaderboard.run_scores_invalidate(project=project, run=run)
    row = computed(project, run=run)
    assert (row.status, row.stale, row.computed_generation, row.error) == ("done", False, 2, "")
