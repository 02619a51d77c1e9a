"""Computing scores (the work of annotate.scoring.tasks): a score job's EmoCue-360, and a
leaderboard row at its generation. Kept apart from the services that enqueue it, so the task
module can import it."""

import time

from django.db.models import BooleanField, Case, ExpressionWrapper, F, Q, Value, When
from django.utils import timezone

from annotate.core.scorer import scorer_get
from annotate.scoring.models import RunScore, ScoreJob
from annotate.scoring.selectors import empty_sample, row_inputs_get
from inference.emocue360 import DEFAULT_TAU, METRIC_VERSION, MODALITIES, MODES, VARIANTS
from inference.emocue360.cues import KIND_SUBTITLE, SUBTITLE_PREFIX


def _plain(cues: dict[str, dict]) -> dict[str, dict]:
    """Plain-string cue files, as the reference script reads them: subtitle cues become
    "Subtitle text: ..." so its substring filter drops them (docs/emocue360.md, --plain)."""
    return {
        name: {
            m: [
                SUBTITLE_PREFIX + c["text"] if c["kind"] == KIND_SUBTITLE else c["text"]
                for c in sample[m]
            ]
            for m in MODALITIES
        }
        for name, sample in cues.items()
    }


def _compact_samples(per_sample: dict, mode: str, samples: dict) -> None:
    for name, by_variant in per_sample.items():
        entry = samples.setdefault(name, {})
        entry[mode] = {
            v: {
                m: [round(x["precision"], 6), round(x["recall"], 6), round(x["f1"], 6)]
                for m, x in by_modality.items()
            }
            for v, by_modality in by_variant.items()
        }


def scores_compute(*, gold: dict, predicted: dict) -> tuple[dict, dict, dict]:
    """Both modes, every variant, with 95 % intervals: (result, samples, config).

    result = {mode: {"scores": ..., "counts": ...} or None when nothing is scorable};
    samples = {clip: {mode: {variant: {modality: [precision, recall, f1]}}}}.
    """
    result: dict = {}
    samples: dict = {}
    config = {
        "model_id": None,
        "modes": list(SCORE_MODES),
        "variants": list(SCORE_VARIANTS),
        "tau": SCORE_TAU,
        "metric_version": METRIC_VERSION,
        "bootstrap": {"n_resamples": CI_RESAMPLES, "seed": CI_SEED, "confidence": CI_CONFIDENCE},
    }
    options = dict(
        variants=SCORE_VARIANTS,
        tau=SCORE_TAU,
        ci=True,
        n_resamples=CI_RESAMPLES,
        seed=CI_SEED,
        confidence=CI_CONFIDENCE,
        per_sample=True,
    )
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
    config = config | {
        "coverage": coverage,
        "seconds": round(time.perf_counter() - started, 4),
        "generation": target,
    }
    newer = ExpressionWrapper(Q(generation__gt=target), output_field=BooleanField())
    RunScore.objects.filter(pk=row.pk, computed_generation__lt=target).update(
        result=result,
        samples=samples,
        config=config,
        error="",
        computed_generation=target,
        computed_at=timezone.now(),
        stale=newer,
        status=Case(
            When(generation__gt=target, then=Value(RunScore.Status.PENDING)),
            default=Value(RunScore.Status.DONE),
        ),
    )
    return RunScore.objects.filter(pk=row.pk).first()


def run_score_failed(*, run_score_id: int, message: str) -> None:
    """A computation failed: say so on the row (its last good numbers stay), unless another
    computation has brought it up to date meanwhile."""
    RunScore.objects.filter(pk=run_score_id, computed_generation__lt=F("generation")).update(
        status=RunScore.Status.FAILED, error=message[:2000]
    )


def score_job_run(*, job_id: int) -> ScoreJob | None:
    """Compute a job's scores. Idempotent: a settled job is left alone; a job left running
    by a worker that died is computed again (the result is deterministic)."""
    claimed = ScoreJob.objects.filter(
        pk=job_id, status__in=[ScoreJob.Status.PENDING, ScoreJob.Status.RUNNING]
    ).update(status=ScoreJob.Status.RUNNING, started_at=timezone.now(), error="")
    job = ScoreJob.objects.filter(pk=job_id).first()
    if job is None or not claimed:
        return job
    try:
        result = scorer_get().score(
            gold=job.gold,
            predicted=job.predicted,
            mode=job.mode,
            variants=job.variants,
            tau=job.tau,
            ci=job.ci,
        )
    except ValueError as error:  # input that passed check_inputs but not score: say so
        ScoreJob.objects.filter(pk=job_id).update(
            status=ScoreJob.Status.FAILED, error=str(error), finished_at=timezone.now()
        )
        return ScoreJob.objects.get(pk=job_id)
    ScoreJob.objects.filter(pk=job_id, status=ScoreJob.Status.RUNNING).update(
        status=ScoreJob.Status.DONE, result=result, finished_at=timezone.now()
    )
    return ScoreJob.objects.get(pk=job_id)


def score_job_failed(*, job_id: int, message: str) -> None:
    ScoreJob.objects.filter(pk=job_id).exclude(status=ScoreJob.Status.DONE).update(
        status=ScoreJob.Status.FAILED, error=message, finished_at=timezone.now()
    )


# What every leaderboard number is computed with (stored in each row's config).
SCORE_MODES = MODES  # ("strict", "reference")


SCORE_VARIANTS = VARIANTS  # ("paper", "one_to_one", "hit_rate")


SCORE_TAU = DEFAULT_TAU


CI_RESAMPLES = 1000


CI_SEED = 0


CI_CONFIDENCE = 0.95
