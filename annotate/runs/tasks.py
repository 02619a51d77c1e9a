"""The proposal task (queue chosen per proposer when a run is enqueued), and the refit of a
proposer version's calibrated confidence (cpu queue). Each takes an id and re-checks state
itself."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from annotate.runs import calibration, proposing
from annotate.runs.models import ModelRun


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


@shared_task(
    name="annotate.runs.tasks.proposer_calibrate",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=5 * 60,
    time_limit=6 * 60,
)
def proposer_calibrate(run_id: int) -> str:
    """Refit the calibrated confidence of a run's proposer version to the annotators' decisions
    as they are now (cpu queue). Safe to run twice: decisions that did not change leave the
    stored calibrators alone."""
    run = ModelRun.objects.select_related("project").filter(pk=run_id).first()
    if run is None:
        return "run deleted"
    done = calibration.proposer_calibrations_refresh(
        project=run.project, proposer=run.proposer, version=run.version
    )
    return "; ".join(f"{kind}: {what}" for kind, what in done.items()) or "no decisions yet"
