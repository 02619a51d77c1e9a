"""The proposal task (queue chosen per proposer when a run is enqueued). It takes a proposal id
and re-checks state itself."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from annotate.runs import proposing


@shared_task(
    bind=True,
    name="annotate.runs.tasks.proposal_run",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=15 * 60,
    time_limit=16 * 60,
)
def proposal_run(self, proposal_id: int) -> str | None:
    """One proposer on one clip (queue chosen per proposer at enqueue time); a batching
    proposer takes more pending clips of the run along. Safe to run twice."""
    try:
        proposal = proposing.proposal_run(proposal_id=proposal_id, claim=self.request.id)
    except SoftTimeLimitExceeded:
        proposing.proposal_task_failed(
            proposal_id=proposal_id,
            message="The proposer took longer than 15 minutes on this clip.",
        )
        raise
    return proposal.status if proposal else None
