"""Model runs in the browser: start, watch progress live, cancel, retry failed, re-run."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from annotate.models import Membership, ModelRun, Proposal
from annotate.selectors import projects as selectors
from annotate.services import runs as run_services
from inference.proposers import proposer_names

RUN_ROLES = (Membership.Role.MANAGER,)


def runs_with_progress(project) -> list[ModelRun]:
    statuses = Proposal.Status
    return list(
        ModelRun.objects.filter(project=project).annotate(
            total=Count("proposals"),
            n_done=Count("proposals", filter=Q(proposals__status=statuses.DONE)),
            n_failed=Count("proposals", filter=Q(proposals__status=statuses.FAILED)),
            n_running=Count("proposals", filter=Q(proposals__status=statuses.RUNNING)),
        ).order_by("-created_at")[:20]
    )


def _run_rows(request, project, role, status=200, message="", ok=True):
    runs = runs_with_progress(project)
    return render(request, "runs/partials/run_rows.html", {
        "project": project, "runs": runs, "can_run": role in RUN_ROLES,
        "busy": any(r.status == ModelRun.Status.RUNNING for r in runs),
        "message": message, "ok": ok,
    }, status=status)


@login_required
@require_GET
def run_rows(request: HttpRequest, slug: str) -> HttpResponse:
    project, role = selectors.project_get_for_model_output(slug=slug, user=request.user)
    return _run_rows(request, project, role)


@login_required
@require_POST
def run_start(request: HttpRequest, slug: str) -> HttpResponse:
    project, role = selectors.project_get_for_model_output(slug=slug, user=request.user)
    if role not in RUN_ROLES:
        return _run_rows(request, project, role, 403, "Only a project manager can start runs.", False)
    proposer = request.POST.get("proposer") or None
    names = request.POST.getlist("clips") or None
    try:
        run = run_services.run_create(project=project, proposer=proposer, clip_names=names,
                                      label=request.POST.get("label", ""), created_by=request.user)
    except run_services.RunRejected as error:
        return _run_rows(request, project, role, 422, error.message, False)
    return _run_rows(request, project, role, 201, f"Started {run}.")


@login_required
@require_POST
def run_action(request: HttpRequest, slug: str, run_id: int, action: str) -> HttpResponse:
    project, role = selectors.project_get_for_model_output(slug=slug, user=request.user)
    if role not in RUN_ROLES:
        return _run_rows(request, project, role, 403, "Only a project manager can change runs.", False)
    run = ModelRun.objects.filter(project=project, pk=run_id).first()
    if run is None:
        raise Http404("No such run.")
    try:
        if action == "cancel":
            run_services.run_cancel(run=run)
            message = f"Cancelled {run}."
        elif action == "retry":
            n = run_services.run_retry_failed(run=run)
            message = f"Queued {n} failed clip(s) of {run} again."
        elif action == "rerun":
            new = run_services.run_rerun(run=run, created_by=request.user)
            message = f"Started {new} beside {run}."
        else:
            raise Http404("No such action.")
    except run_services.RunRejected as error:
        return _run_rows(request, project, role, 409, error.message, False)
    if request.htmx:
        return _run_rows(request, project, role, 200, message)
    return redirect("run-detail", slug=project.slug, run_id=run.pk)


@login_required
@require_GET
def run_detail(request: HttpRequest, slug: str, run_id: int) -> HttpResponse:
    project, role = selectors.project_get_for_model_output(slug=slug, user=request.user)
    run = ModelRun.objects.filter(project=project, pk=run_id).first()
    if run is None:
        raise Http404("No such run.")
    proposals = (run.proposals.select_related("clip").annotate(n_cues=Count("cues"))
                 .order_by("clip__name"))
    return render(request, "runs/run_detail.html", {
        "project": project, "run": run, "proposals": proposals, "can_run": role in RUN_ROLES,
        "progress": run_services.run_progress(run=run),
        "busy": run.status == ModelRun.Status.RUNNING,
    })


def run_start_context(role: str) -> dict:
    return {"proposer_names": proposer_names(), "can_run": role in RUN_ROLES}
