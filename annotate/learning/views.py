"""Learned proposers in the browser: the list with the training form (managers), one learned
proposer's page (its data, split, rules and progress, polled while it trains) with the button
that runs it on its held-out clips. Reviewers and managers see them; for annotators and
non-members they do not exist (404), as gold sets."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from annotate.core.errors import DomainError, errors_sentence
from annotate.core.models import Membership
from annotate.core.selectors import project_get_for_user
from annotate.goldsets.exports import ExportRejected, export_ratios_parse
from annotate.goldsets.selectors import goldset_list
from annotate.learning import selectors
from annotate.learning import services as learning_services
from annotate.learning.inputs import LearnedProposerStartInput

VIEW_ROLES = (Membership.Role.REVIEWER, Membership.Role.MANAGER)
MANAGE_ROLES = (Membership.Role.MANAGER,)
DEFAULT_SPLIT = "train=0.8,test=0.2"


def _list(request, project, role, *, status: int = 200, message: str = "", form=None):
    form = form or {
        "split": DEFAULT_SPLIT,
        "seed": "0",
        "run": request.GET.get("run", ""),
        "gold_version": "",
    }
    return render(
        request,
        "learning/learned_list.html",
        {
            "project": project,
            "role": role,
            "can_manage": role in MANAGE_ROLES,
            "learned": list(selectors.learned_proposer_list(project=project)[:50]),
            "gold_sets": list(goldset_list(project=project)),
            "base_runs": selectors.base_run_choices(project=project),
            "form": form,
            "message": message,
        },
        status=status,
    )


@login_required
@require_GET
def learned_list(request: HttpRequest, slug: str) -> HttpResponse:
    project, role = project_get_for_user(slug=slug, user=request.user, roles=VIEW_ROLES)
    return _list(request, project, role)


@login_required
@require_POST
def learned_train(request: HttpRequest, slug: str) -> HttpResponse:
    project, role = project_get_for_user(slug=slug, user=request.user, roles=VIEW_ROLES)
    form = {
        key: request.POST.get(key, "").strip() for key in ("split", "seed", "run", "gold_version")
    }
    if role not in MANAGE_ROLES:
        return _list(
            request,
            project,
            role,
            status=403,
            form=form,
            message="Only a project manager can train a learned proposer.",
        )
    try:
        ratios = export_ratios_parse(text=form["split"])
    except ExportRejected as error:
        return _list(request, project, role, status=400, form=form, message=error.message)
    fields = LearnedProposerStartInput(
        data={
            "gold_version": form["gold_version"],
            "ratios": ratios,
            "seed": form["seed"] or "0",
            "run": form["run"] or None,
        },
        context={"project": project},
    )
    if not fields.is_valid():
        return _list(
            request, project, role, status=400, form=form, message=errors_sentence(fields.errors)
        )
    data = fields.validated_data
    try:
        learned = learning_services.learned_proposer_start(
            project=project,
            gold_set=data["gold_version"],
            ratios=data["ratios"],
            seed=data["seed"],
            base_run=data["run"],
            by=request.user,
        )
    except DomainError as error:
        return _list(
            request, project, role, status=error.http_status, form=form, message=error.message
        )
    return redirect("learned-detail", slug=project.slug, number=learned.number)


def _detail(request, project, role, learned, *, status: int = 200, message: str = ""):
    return render(
        request,
        "learning/learned_detail.html",
        {
            "project": project,
            "role": role,
            "can_manage": role in MANAGE_ROLES,
            "learned": learned,
            "runs": selectors.learned_runs(learned=learned),
            "busy": not learned.is_settled,
            "message": message,
        },
        status=status,
    )


@login_required
@require_GET
def learned_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    project, role = project_get_for_user(slug=slug, user=request.user, roles=VIEW_ROLES)
    learned = selectors.learned_proposer_get(project=project, number=number)
    return _detail(request, project, role, learned)


@login_required
@require_POST
def learned_run(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    project, role = project_get_for_user(slug=slug, user=request.user, roles=VIEW_ROLES)
    learned = selectors.learned_proposer_get(project=project, number=number)
    if role not in MANAGE_ROLES:
        return _detail(
            request,
            project,
            role,
            learned,
            status=403,
            message="Only a project manager can start runs.",
        )
    try:
        run = learning_services.learned_run_start(learned=learned, by=request.user)
    except DomainError as error:
        return _detail(
            request, project, role, learned, status=error.http_status, message=error.message
        )
    return redirect("run-detail", slug=project.slug, run_id=run.pk)
