"""EmoCue-360 score jobs: one cue file against another, computed by a cpu worker."""

import json
import logging

from django.db import transaction
from django.utils import timezone

from annotate.models import Project, ScoreJob
from annotate.services.queueing import send_on_commit
from inference.emocue360 import MODES, VARIANTS, Scorer, check_inputs

log = logging.getLogger(__name__)
_scorer: Scorer | None = None


class ScoreRejected(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def scorer_get() -> Scorer:
    """The worker's scorer: all-MiniLM-L6-v2 loaded once per process, embeddings in the
    shared database table."""
    global _scorer
    if _scorer is None:
        from annotate.embedding_store import DatabaseEmbeddingStore

        _scorer = Scorer(store=DatabaseEmbeddingStore())
    return _scorer


def _decode(data: bytes | str | dict, role: str, filename: str) -> dict:
    if isinstance(data, dict):
        return data
    label = filename or role
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ScoreRejected(f"{label} is not UTF-8 text (byte {error.start}).") from error
    try:
        return json.loads(data)
    except json.JSONDecodeError as error:
        raise ScoreRejected(
            f"{label} is not JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        ) from error


@transaction.atomic
def score_job_create(
    *,
    project: Project,
    gold: bytes | str | dict,
    predicted: bytes | str | dict,
    gold_filename: str = "",
    predicted_filename: str = "",
    label: str = "",
    mode: str = "strict",
    variants: list[str] | None = None,
    tau: float = 0.5,
    ci: bool = True,
    created_by=None,
) -> ScoreJob:
    """Validate both cue files now (so bad input is a 4xx, not a failed job) and queue the
    scoring for a cpu worker."""
    if mode not in MODES:
        raise ScoreRejected(f"Mode must be one of {', '.join(MODES)}, not {mode!r}.")
    variants = [v for v in (variants or []) if v != "paper"]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise ScoreRejected(f"Unknown variant(s) {', '.join(unknown)}; known: {', '.join(VARIANTS)}.")
    if not 0.0 <= tau <= 1.0:
        raise ScoreRejected(f"tau must lie in [0, 1], not {tau}.")
    gold_data = _decode(gold, "gold", gold_filename)
    predicted_data = _decode(predicted, "predicted", predicted_filename)
    try:
        counts = check_inputs(gold=gold_data, predicted=predicted_data, mode=mode)
    except ValueError as error:
        raise ScoreRejected(str(error)) from error
    if counts["scorable_units"] == 0:
        raise ScoreRejected("Nothing to score: no gold sample has a cue in any modality "
                            "that a prediction covers.")
    job = ScoreJob(
        project=project, label=label or predicted_filename, gold=gold_data,
        predicted=predicted_data, gold_filename=gold_filename[:255],
        predicted_filename=predicted_filename[:255], mode=mode, variants=variants, tau=tau,
        ci=ci, created_by=created_by,
    )
    job.full_clean()
    job.save()
    from annotate.tasks import score_job_run as score_job_run_task

    job_id = job.pk

    def failed(reason: str) -> str:
        ScoreJob.objects.filter(pk=job_id, status=ScoreJob.Status.PENDING).update(
            status=ScoreJob.Status.FAILED, error=f"Not scored: {reason}; submit it again once "
                                                 "the queue is back.", finished_at=timezone.now())
        return ("The score job was stored but could not be queued (the task queue is "
                "unreachable); it is marked failed. Submit it again in a few minutes.")

    send_on_commit(lambda: score_job_run_task.delay(job_id), on_unavailable=failed)
    return job


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
            gold=job.gold, predicted=job.predicted, mode=job.mode, variants=job.variants,
            tau=job.tau, ci=job.ci,
        )
    except ValueError as error:  # input that passed check_inputs but not score: say so
        ScoreJob.objects.filter(pk=job_id).update(
            status=ScoreJob.Status.FAILED, error=str(error), finished_at=timezone.now())
        return ScoreJob.objects.get(pk=job_id)
    ScoreJob.objects.filter(pk=job_id, status=ScoreJob.Status.RUNNING).update(
        status=ScoreJob.Status.DONE, result=result, finished_at=timezone.now())
    return ScoreJob.objects.get(pk=job_id)


def score_job_failed(*, job_id: int, message: str) -> None:
    ScoreJob.objects.filter(pk=job_id).exclude(status=ScoreJob.Status.DONE).update(
        status=ScoreJob.Status.FAILED, error=message, finished_at=timezone.now())
