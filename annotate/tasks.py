"""Celery tasks that touch the database. Each takes ids only and re-checks state itself."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from annotate.services import clips as clip_services

log = logging.getLogger(__name__)


@shared_task(
    name="annotate.tasks.clip_ingest",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=30 * 60,
    time_limit=31 * 60,
    autoretry_for=(OSError,),
    retry_backoff=5,
    retry_kwargs={"max_retries": 3},
)
def clip_ingest(clip_id: int) -> str | None:
    """Probe and derive one clip's media (cpu queue). Safe to run twice."""
    try:
        clip = clip_services.clip_ingest(clip_id=clip_id)
    except SoftTimeLimitExceeded:
        clip_services.clip_ingest_failed(
            clip_id=clip_id, message="Ingestion took longer than 30 minutes and was stopped."
        )
        raise
    return clip.status if clip else None


@shared_task(
    name="annotate.tasks.score_job_run",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=20 * 60,
    time_limit=21 * 60,
)
def score_job_run(job_id: int) -> str | None:
    """EmoCue-360 for one score job (cpu queue). Safe to run twice."""
    from annotate.services import scores as score_services

    try:
        job = score_services.score_job_run(job_id=job_id)
    except SoftTimeLimitExceeded:
        score_services.score_job_failed(job_id=job_id, message="Scoring took longer than 20 minutes and was stopped.")
        raise
    except Exception as error:
        score_services.score_job_failed(job_id=job_id, message=f"Scoring failed: {error}")
        raise
    return job.status if job else None


@shared_task(
    bind=True,
    name="annotate.tasks.proposal_run",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=15 * 60,
    time_limit=16 * 60,
)
def proposal_run(self, proposal_id: int) -> str | None:
    """One proposer on one clip (queue chosen per proposer at enqueue time); a batching
    proposer takes more pending clips of the run along. Safe to run twice."""
    from annotate.services import runs as run_services

    try:
        proposal = run_services.proposal_run(proposal_id=proposal_id, claim=self.request.id)
    except SoftTimeLimitExceeded:
        run_services.proposal_task_failed(
            proposal_id=proposal_id, message="The proposer took longer than 15 minutes on this clip.")
        raise
    return proposal.status if proposal else None


@shared_task(
    name="annotate.tasks.clip_auto_promote",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=5 * 60,
    time_limit=6 * 60,
)
def clip_auto_promote(clip_id: int) -> str:
    """Make a clip's gold record without review when every annotator agrees and the project
    allows it (cpu queue; enqueued when the clip's k-th annotation is submitted). Safe to run
    twice: a clip that has a gold record is left alone."""
    from annotate.models import Clip
    from annotate.services.reviews import gold_auto_promote

    clip = Clip.objects.select_related("project").filter(pk=clip_id).first()
    if clip is None:
        return "clip deleted"
    result = gold_auto_promote(clip=clip)
    log.info("auto-promotion of %s: %s", clip.name, result.reason)
    return ("promoted: " if result.promoted else "not promoted: ") + result.reason
