"""Model runs: a proposer over a project's clips, one Celery task per clip."""

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from annotate.clips.models import Clip
from annotate.core import signals
from annotate.core.models import Project
from annotate.core.queueing import send_on_commit
from annotate.runs.models import ModelRun, Proposal
from annotate.runs.proposing import (
    RunRejected,
    _run_finish_if_settled,
    proposer_needs_artefact,
    proposer_version,
)
from annotate.runs.tasks import proposal_run as proposal_run_task

log = logging.getLogger(__name__)


def _enqueue(proposal_ids: list[int], proposer: str) -> None:
    queue = settings.EMOCUE_PROPOSER_QUEUES.get(proposer, "cpu")

    sent: list[int] = []

    def send() -> None:
        for proposal_id in proposal_ids:
            proposal_run_task.apply_async(args=[proposal_id], queue=queue)
            sent.append(proposal_id)

    def unsent_failed(reason: str) -> str:
        unsent = [pk for pk in proposal_ids if pk not in set(sent)]
        proposals = Proposal.objects.filter(pk__in=unsent, status=Proposal.Status.PENDING)
        run_id = proposals.values_list("run_id", flat=True).first()
        n = proposals.update(
            status=Proposal.Status.FAILED,
            error=f"This clip was not run: {reason}; use “Retry failed” once the queue is back.",
            finished_at=timezone.now(),
        )
        if run_id is not None:
            _run_finish_if_settled(run_id)
        return (
            f"The run was stored, but {n} of its {len(proposal_ids)} clip(s) could not be "
            "queued (the task queue is unreachable); they are marked failed. Retry them "
            "from the run once the queue is back."
        )

    send_on_commit(send, on_unavailable=unsent_failed)


@transaction.atomic
def run_create(
    *,
    project: Project,
    proposer: str | None = None,
    clip_names: list[str] | None = None,
    label: str = "",
    parameters: dict | None = None,
    created_by=None,
    enqueue: bool = True,
    previous: ModelRun | None = None,
) -> ModelRun:
    """Start a run over the project's ready clips (or the named ones, which must be ready).
    A proposer built from a stored artefact (a learned one) needs parameters["artefact"]
    ({"name", "sha256"}): its run is started from that artefact's page."""
    proposer = proposer or settings.EMOCUE_DEFAULT_PROPOSER
    version = proposer_version(proposer)
    if proposer_needs_artefact(proposer) and not (
        parameters and isinstance(parameters.get("artefact"), dict)
    ):
        raise RunRejected(
            f"{proposer} runs a model trained on this project's gold: start its run from the "
            "learned proposer's page (Learned proposers), or with manage.py learn_proposer."
        )
    clips = Clip.objects.filter(project=project)
    if clip_names:
        found = {c.name: c for c in clips.filter(name__in=clip_names)}
        missing = [n for n in clip_names if n not in found]
        if missing:
            raise RunRejected(
                f"No clip named {', '.join(map(repr, missing[:5]))} in {project.name!r}."
            )
        not_ready = [c.name for c in found.values() if c.status != Clip.Status.READY]
        if not_ready:
            raise RunRejected(
                f"Clip(s) {', '.join(not_ready[:5])} are not ready (still ingesting or failed)."
            )
        selected = list(found.values())
    else:
        selected = list(clips.filter(status=Clip.Status.READY))
    if not selected:
        raise RunRejected(f"Project {project.name!r} has no ready clips to run {proposer} on.")
    run = ModelRun(
        project=project,
        proposer=proposer,
        version=version,
        label=label,
        parameters=parameters or {},
        created_by=created_by,
        previous=previous,
    )
    run.full_clean()
    run.save()
    proposals = Proposal.objects.bulk_create([Proposal(run=run, clip=clip) for clip in selected])
    if enqueue:
        _enqueue([p.pk for p in proposals], proposer)
    return run


def run_progress(*, run: ModelRun) -> dict[str, int]:
    counts = {status: 0 for status in Proposal.Status.values}
    for row in run.proposals.values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    counts["total"] = sum(counts[s] for s in Proposal.Status.values)
    counts["settled"] = counts["done"] + counts["failed"] + counts["cancelled"]
    return counts


@transaction.atomic
def run_cancel(*, run: ModelRun) -> ModelRun:
    if run.status != ModelRun.Status.RUNNING:
        raise RunRejected(
            f"Run {run} is {run.status}; only a running run can be cancelled.", code="conflict"
        )
    run.proposals.filter(status=Proposal.Status.PENDING).update(status=Proposal.Status.CANCELLED)
    run.status = ModelRun.Status.CANCELLED
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])
    signals.scores_stale.send(sender=ModelRun, project=run.project, run=run)
    return run


@transaction.atomic
def run_retry_failed(*, run: ModelRun) -> int:
    """Queue the failed clips of a run again (the run reopens if it had finished)."""
    try:
        version = proposer_version(run.proposer)
    except RunRejected as error:  # a proposer gone from this deployment: the run's state
        raise RunRejected(error.message, code="conflict") from error
    if run.version != version:
        raise RunRejected(
            f"{run.proposer} is now at version {proposer_version(run.proposer)}; "
            f"this run used {run.version}: re-run instead of retrying.",
            code="conflict",
        )
    failed = list(run.proposals.filter(status=Proposal.Status.FAILED).values_list("pk", flat=True))
    if not failed:
        raise RunRejected(f"Run {run} has no failed clips.", code="conflict")
    Proposal.objects.filter(pk__in=failed).update(status=Proposal.Status.PENDING, error="")
    ModelRun.objects.filter(pk=run.pk).update(status=ModelRun.Status.RUNNING, finished_at=None)
    _enqueue(failed, run.proposer)
    return len(failed)


def run_rerun(*, run: ModelRun, created_by=None, label: str = "") -> ModelRun:
    """The same clips with the proposer's current version, as a new run beside the old."""
    if run.status == ModelRun.Status.RUNNING:
        raise RunRejected(
            f"Run {run} is still running: cancel it or let it finish before re-running.",
            code="conflict",
        )
    names = list(run.proposals.values_list("clip__name", flat=True))
    try:
        return run_create(
            project=run.project,
            proposer=run.proposer,
            clip_names=names,
            label=label or (f"{run.label} (re-run)" if run.label else ""),
            parameters=run.parameters,
            created_by=created_by,
            previous=run,
        )
    except RunRejected as error:  # the old run's proposer or clips no longer allow it
        raise RunRejected(error.message, code="conflict") from error
