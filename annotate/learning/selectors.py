"""Reads of learned proposers: a project's list, one by number, its runs, and the base runs a
training may start from."""

from django.http import Http404

from annotate.core.models import Project
from annotate.learning.models import LearnedProposer
from annotate.runs.models import ModelRun
from inference.learning import LEARNED_NAME
from inference.proposers import proposer_factory


def learned_proposer_list(*, project: Project):
    return (
        LearnedProposer.objects.filter(project=project)
        .select_related("gold_set", "base_run", "created_by")
        .order_by("-number")
    )


def learned_proposer_get(*, project: Project, number: int) -> LearnedProposer:
    learned = learned_proposer_list(project=project).filter(number=number).first()
    if learned is None:
        raise Http404(
            f"{project.name} has no learned proposer #{number}; GET "
            f"/api/projects/{project.slug}/learned/ lists them."
        )
    return learned


def learned_runs(*, learned: LearnedProposer) -> list[ModelRun]:
    """The runs of this trained model, newest first."""
    return list(
        ModelRun.objects.filter(
            project_id=learned.project_id,
            proposer=LEARNED_NAME,
            parameters__learned_proposer=learned.pk,
        ).order_by("-created_at", "-pk")
    )


def base_run_choices(*, project: Project) -> list[ModelRun]:
    """Finished signal runs at the version the workers run now: what a training can learn from."""
    return list(
        ModelRun.objects.filter(
            project=project,
            proposer="signals",
            version=str(proposer_factory("signals").version),
            status=ModelRun.Status.FINISHED,
            source=ModelRun.Source.PROPOSER,
        ).order_by("-created_at", "-pk")[:50]
    )
