"""The leaderboard's Celery task (cpu queue through the "annotate.tasks.*" route)."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded


@shared_task(
    name="annotate.tasks.run_score_compute",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=10 * 60,
    time_limit=11 * 60,
)
def run_score_compute(run_score_id: int) -> str | None:
    """EmoCue-360 of one leaderboard row at its current generation. Safe to run twice: a row
    already computed at its generation is left alone."""
    from annotate.services import leaderboard

    try:
        row = leaderboard.run_score_compute(run_score_id=run_score_id)
    except SoftTimeLimitExceeded:
        leaderboard.run_score_failed(run_score_id=run_score_id,
                                     message="Scoring took longer than 10 minutes and was stopped.")
        raise
    except Exception as error:
        leaderboard.run_score_failed(run_score_id=run_score_id, message=f"Scoring failed: {error}")
        raise
    return f"{row.status} at generation {row.computed_generation}" if row else None
