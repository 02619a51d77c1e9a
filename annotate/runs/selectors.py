"""Run reads: a project's runs with their proposals counted per status (one query), one run,
a run's proposals with their cues."""

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from annotate.core.models import Project
from annotate.runs.models import Cue, ModelRun, Proposal

_PROGRESS = ("pending", "running", "done", "failed", "cancelled")


def runs_with_progress(*, project: Project, status: str | None = None) -> QuerySet[ModelRun]:
    """The project's runs, newest first, each annotated with its proposals per status."""
    counts = {
        f"n_{name}": Count("proposals", filter=Q(proposals__status=name)) for name in _PROGRESS
    }
    runs = (
        ModelRun.objects.filter(project=project)
        .select_related("created_by")
        .annotate(n_total=Count("proposals"), **counts)
    )
    if status:
        runs = runs.filter(status=status)
    return runs.order_by("-created_at", "-pk")


def run_get(*, project: Project, run_id: int) -> ModelRun:
    run = runs_with_progress(project=project).filter(pk=run_id).first()
    if run is None:
        raise Http404(
            f"No run {run_id} in project {project.slug!r}; "
            f"GET /api/projects/{project.slug}/runs/ lists them."
        )
    return run


def proposals_with_cues(*, run: ModelRun, status: str | None = None) -> QuerySet[Proposal]:
    """A run's proposals by clip name, with their cues in the proposer's order (decoys never:
    they belong to annotations, and must not leak even if one were ever attached here)."""
    cues = (
        Cue.objects.filter(decoy=False)
        .order_by("position", "pk")
        .only("proposal_id", "modality", "kind", "text", "start_ms", "end_ms", "confidence")
    )
    proposals = (
        Proposal.objects.filter(run=run)
        .select_related("clip")
        .prefetch_related(Prefetch("cues", queryset=cues))
    )
    if status:
        proposals = proposals.filter(status=status)
    return proposals.order_by("clip__name")
