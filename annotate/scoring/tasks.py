"""Scoring tasks (cpu queue): a score job, a leaderboard row. Each takes an id and re-checks
state itself."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from annotate.scoring import compute


@shared_task(
    name="annotate.scoring.tasks.score_job_run",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=20 * 60,
    time_limit=21 * 60,
)
def score_job_run(job_id: int) -> str | None:
    """EmoCue-360 for one score job (cpu queue). Safe to run twice."""
    try:
        job = compute.score_job_run(job_id=job_id)
    except SoftTimeLimitExceeded:
        compute.score_job_failed(
            job_id=job_id, message="Scoring took longer than 20 minutes and was stopped."
        )
        raise
    except Exception as error:
        compute.score_job_failed(job_id=job_id, message=f"Scoring failed: {error}")
        raise
    return job.status if job else None


@shared_task(
    name="annotate.scoring.tasks.run_score_compute",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=10 * 60,
    time_limit=11 * 60,
)
def run_score_compute(run_score_id: int) -> str | None:
    """EmoCue-360 of one leaderboard row at its current generation. Safe to run twice: a row
    already computed at its generation is left alone."""
    try:
        row = compute.run_score_compute(run_score_id=run_score_id)
    except SoftTimeLimitExceeded:
        compute.run_score_failed(
            run_score_id=run_score_id,
            message="Scoring took longer than 10 minutes and was stopped.",
        )
        raise
    except Exception as error:
        compute.run_score_failed(run_score_id=run_score_id, message=f"Scoring failed: {error}")
        raise
    return f"{row.status} at generation {row.computed_generation}" if row else None
