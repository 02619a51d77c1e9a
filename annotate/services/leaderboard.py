"""The leaderboard: every finished model run, and every annotator (the human row), scored
live with EmoCue-360 against the project's working gold (and its frozen gold set versions).

Changes call `run_scores_invalidate`, which bumps the affected rows' `generation` and queues
one recomputation per row after commit. A computation scores the generation it read and
records it in `computed_generation` with a guarded update, so tasks coalesce (a task that
finds its row up to date does nothing) and a change during a computation is never lost (it
bumped the generation past the one being computed, and its own task computes again).
"""

import logging
import time

from django.db import transaction
from django.db.models import BooleanField, Case, ExpressionWrapper, F, Q, Value, When
from django.utils import timezone

from annotate.models import Annotation, GoldSet, ModelRun, Project, RunScore
from annotate.selectors.leaderboard import empty_sample, row_inputs_get
from inference.emocue360 import DEFAULT_TAU, METRIC_VERSION, MODALITIES, MODES, VARIANTS
from inference.emocue360.cues import KIND_SUBTITLE, SUBTITLE_PREFIX

log = logging.getLogger(__name__)

# What every leaderboard number is computed with (stored in each row's config).
SCORE_MODES = MODES  # ("strict", "reference")
SCORE_VARIANTS = VARIANTS  # ("paper", "one_to_one", "hit_rate")
SCORE_TAU = DEFAULT_TAU
CI_RESAMPLES = 1000
CI_SEED = 0
CI_CONFIDENCE = 0.95


# ---- invalidation --------------------------------------------------------------------------------

def _subjects(project: Project) -> tuple[list[int], list[int]]:
    """Ids of the runs and annotators the leaderboard lists: finished runs, and users with a
    submitted annotation on one of the project's clips."""
    runs = list(ModelRun.objects.filter(project=project, status=ModelRun.Status.FINISHED)
                .values_list("pk", flat=True))
    annotators = list(Annotation.objects.filter(clip__project=project,
                                                status=Annotation.Status.SUBMITTED)
                      .values_list("annotator_id", flat=True).distinct())
    return runs, annotators


def _rows_ensure(*, project: Project, runs: list[int], annotators: list[int]) -> list[int]:
    """Create the missing rows of these runs and annotators, for the working gold and each
    frozen gold set; returns the ids of the rows created."""
    gold_sets = [None, *GoldSet.objects.filter(project=project).values_list("pk", flat=True)]
    existing = set(RunScore.objects.filter(project=project)
                   .filter(Q(run_id__in=runs) | Q(annotator_id__in=annotators))
                   .values_list("gold_set_id", "run_id", "annotator_id"))
    missing = [RunScore(project=project, gold_set_id=gs, run_id=r, annotator_id=a, generation=0)
               for gs in gold_sets
               for r, a in [*((r, None) for r in runs), *((None, a) for a in annotators)]
               if (gs, r, a) not in existing]
    if not missing:
        return []
    # A concurrent invalidation may create the same row: its creation wins, ours is skipped.
    RunScore.objects.bulk_create(missing, ignore_conflicts=True)
    keys = {(m.gold_set_id, m.run_id, m.annotator_id) for m in missing}
    return [pk for pk, gs, r, a in RunScore.objects.filter(project=project, generation=0)
            .values_list("pk", "gold_set_id", "run_id", "annotator_id") if (gs, r, a) in keys]


@transaction.atomic
def run_scores_invalidate(*, project: Project, run: ModelRun | None = None, annotator=None,
                          gold_changed: bool = False) -> None:
    """Mark the scores a change affects as stale and queue their recomputation after commit.

    Args:
        project: the project whose gold or outputs changed.
        run: a run whose proposals (or status) changed. A run that is not finished leaves the
            leaderboard (its rows are removed); a finished one gets its rows if missing.
        annotator: a user whose submitted annotations changed (the human row).
        gold_changed: the working gold changed: every working-gold row is recomputed (and the
            rows of every finished run and every annotator are created when missing).
    """
    runs: list[int] = []  # named by this change
    annotators: list[int] = []
    if run is not None:
        if run.project_id != project.pk:
            raise ValueError(f"run {run.pk} is not in project {project.pk}")
        status = ModelRun.objects.filter(pk=run.pk).values_list("status", flat=True).first()
        if status == ModelRun.Status.FINISHED:
            runs.append(run.pk)
        else:
            RunScore.objects.filter(project=project, run_id=run.pk).delete()
    if annotator is not None:
        annotators.append(annotator.pk)
    listed_runs, listed_annotators = _subjects(project) if gold_changed else ([], [])
    created = _rows_ensure(project=project, runs=sorted({*runs, *listed_runs}),
                           annotators=sorted({*annotators, *listed_annotators}))

    which = Q(pk__in=created) | Q(run_id__in=runs) | Q(annotator_id__in=annotators)
    if gold_changed:  # frozen versions do not change with the working gold
        which |= Q(gold_set__isnull=True)
    _queue(RunScore.objects.filter(project=project).filter(which).values_list("pk", flat=True))


def run_scores_invalidate_by_run(*, run_id: int) -> None:
    """run_scores_invalidate for a run known by its id (a proposal settled, the run finished)."""
    run = ModelRun.objects.select_related("project").filter(pk=run_id).first()
    if run is not None:
        run_scores_invalidate(project=run.project, run=run)


@transaction.atomic
def gold_set_scores_queue(*, gold_set: GoldSet) -> int:
    """Score every finished run and every annotator against a frozen version (call it when a
    version is frozen; rows that exist are left as they are). Returns the rows queued."""
    runs, annotators = _subjects(gold_set.project)
    created = _rows_ensure(project=gold_set.project, runs=runs, annotators=annotators)
    ids = list(RunScore.objects.filter(pk__in=created, gold_set=gold_set)
               .values_list("pk", flat=True))
    _queue(created)
    return len(ids)


def _queue(ids) -> None:
    ids = list(ids)
    if not ids:
        return
    RunScore.objects.filter(pk__in=ids).update(
        generation=F("generation") + 1, stale=True, changed_at=timezone.now())
    from annotate.tasks_leaderboard import run_score_compute

    def send(pk: int):
        # a closure, not functools.partial: robust on_commit logs failures by __qualname__
        return lambda: run_score_compute.delay(pk)

    for pk in ids:
        # robust: a broker hiccup must not turn the committed change into an error page
        transaction.on_commit(send(pk), robust=True)


# ---- the computation -----------------------------------------------------------------------------

def _plain(cues: dict[str, dict]) -> dict[str, dict]:
    """Plain-string cue files, as the reference script reads them: subtitle cues become
    "Subtitle text: ..." so its substring filter drops them (docs/emocue360.md, --plain)."""
    return {name: {m: [SUBTITLE_PREFIX + c["text"] if c["kind"] == KIND_SUBTITLE else c["text"]
                       for c in sample[m]] for m in MODALITIES}
            for name, sample in cues.items()}


def _compact_samples(per_sample: dict, mode: str, samples: dict) -> None:
    for name, by_variant in per_sample.items():
        entry = samples.setdefault(name, {})
        entry[mode] = {v: {m: [round(x["precision"], 6), round(x["recall"], 6), round(x["f1"], 6)]
                           for m, x in by_modality.items()}
                       for v, by_modality in by_variant.items()}


def scores_compute(*, gold: dict, predicted: dict) -> tuple[dict, dict, dict]:
    """Both modes, every variant, with 95 % intervals: (result, samples, config).

    result = {mode: {"scores": ..., "counts": ...} or None when nothing is scorable};
    samples = {clip: {mode: {variant: {modality: [precision, recall, f1]}}}}.
    """
    from annotate.services.scores import scorer_get

    result: dict = {}
    samples: dict = {}
    config = {"model_id": None, "modes": list(SCORE_MODES),
              "variants": list(SCORE_VARIANTS), "tau": SCORE_TAU,
              "metric_version": METRIC_VERSION,
              "bootstrap": {"n_resamples": CI_RESAMPLES, "seed": CI_SEED,
                            "confidence": CI_CONFIDENCE}}
    options = dict(variants=SCORE_VARIANTS, tau=SCORE_TAU, ci=True, n_resamples=CI_RESAMPLES,
                   seed=CI_SEED, confidence=CI_CONFIDENCE, per_sample=True)
    for mode in SCORE_MODES:
        if mode == "strict":
            # Every gold clip is predicted (empty when the run has no answer): a miss scores 0.
            mode_gold = gold
            mode_pred = {name: predicted.get(name, empty_sample()) for name in gold}
        else:
            # The reference script reads plain strings and skips clips without a prediction.
            mode_gold, mode_pred = _plain(gold), _plain(predicted)
        if not mode_gold or not mode_pred:
            result[mode] = None
            continue
        scorer = scorer_get()  # loaded only when there is something to score
        config["model_id"] = scorer.model_id
        scored = scorer.score(gold=mode_gold, predicted=mode_pred, mode=mode, **options)
        _compact_samples(scored.pop("per_sample", {}), mode, samples)
        result[mode] = {"scores": scored["scores"], "counts": scored["counts"]}
    return result, samples, config


def run_score_compute(*, run_score_id: int) -> RunScore | None:
    """Recompute one row if its generation moved past the one last computed. Idempotent and
    coalescing: the row's generation is read first and stored with the result only if no
    later computation stored a newer one already."""
    row = RunScore.objects.select_related("project", "gold_set").filter(pk=run_score_id).first()
    if row is None or row.computed_generation >= row.generation:
        return row
    target = row.generation
    RunScore.objects.filter(pk=row.pk).update(status=RunScore.Status.RUNNING)
    started = time.perf_counter()
    gold, predicted, coverage = row_inputs_get(row=row)
    result, samples, config = scores_compute(gold=gold, predicted=predicted)
    config = config | {"coverage": coverage, "seconds": round(time.perf_counter() - started, 4),
                       "generation": target}
    newer = ExpressionWrapper(Q(generation__gt=target), output_field=BooleanField())
    RunScore.objects.filter(pk=row.pk, computed_generation__lt=target).update(
        result=result, samples=samples, config=config, error="", computed_generation=target,
        computed_at=timezone.now(), stale=newer,
        status=Case(When(generation__gt=target, then=Value(RunScore.Status.PENDING)),
                    default=Value(RunScore.Status.DONE)))
    return RunScore.objects.filter(pk=row.pk).first()


def run_score_failed(*, run_score_id: int, message: str) -> None:
    """A computation failed: say so on the row (its last good numbers stay), unless another
    computation has brought it up to date meanwhile."""
    RunScore.objects.filter(pk=run_score_id, computed_generation__lt=F("generation")).update(
        status=RunScore.Status.FAILED, error=message[:2000])

