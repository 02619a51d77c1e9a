"""The training task (cpu queue, through the "annotate.*.tasks.*" route)."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from annotate.learning import training


@shared_task(
    name="annotate.learning.tasks.learned_proposer_train",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=30 * 60,
    time_limit=31 * 60,
)
def learned_proposer_train(learned_id: int) -> str | None:
    """Train one learned proposer into storage. Safe to run twice: a done or failed one is left
    alone, and the artefact's name is its sha256, so a retraining reuses the stored file."""
    try:
        learned = training.learned_proposer_train(learned_id=learned_id)
    except SoftTimeLimitExceeded:
        training.learned_proposer_failed(
            learned_id=learned_id,
            message="The training took longer than 30 minutes and was stopped.",
        )
        raise
    return learned.status if learned else None
