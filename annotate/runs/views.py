"""Model runs in the browser: start, watch progress live, cancel, retry failed, re-run, and
the page that imports a model's outside results (a cue JSON or an EMER-style CSV) as a run."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from annotate.core import selectors as core_selectors
from annotate.core.errors import errors_sentence
from annotate.core.models import Membership
from annotate.runs import imports as services
from annotate.runs import services as run_services
from annotate.runs.calibration import KindCalibration
from annotate.runs.calibration_queue import run_calibration_get
from annotate.runs.inputs import RunImportInput, RunStartInput, startable_proposer_names
from annotate.runs.models import ModelRun
from annotate.runs.selectors import runs_with_progress

RUN_ROLES = (Membership.Role.MANAGER,)


def _run_rows(request, project, role, status=200, message="", ok=True):
    runs = list(runs_with_progress(project=project)[:20])
    return render(
        request,
        "runs/partials/run_rows.html",
        {
            "project": project,
            "runs": runs,
            "can_run": role in RUN_ROLES,
            "busy": any(r.status == ModelRun.Status.RUNNING for r in runs),
            "message": message,
            "ok": ok,
        },
        status=status,
    )


@login_required
@require_GET
def run_rows(request: HttpRequest, slug: str) -> HttpResponse:
    project, role = core_selectors.project_get_for_model_output(slug=slug, user=request.user)
    return _run_rows(request, project, role)


@login_required
@require_POST
def run_start(request: HttpRequest, slug: str) -> HttpResponse:
    project, role = core_selectors.project_get_for_model_output(slug=slug, user=request.user)
    if role not in RUN_ROLES:
        return _run_rows(
            request, project, role, 403, "Only a project manager can start runs.", False
        )
    post, fields = request.POST, {"label": request.POST.get("label", "")}
    if post.get("proposer"):
        fields["proposer"] = post["proposer"]
    if post.getlist("clips"):
        fields["clips"] = post.getlist("clips")
    form = RunStartInput(data=fields, context={"project": project})
    if not form.is_valid():
        return _run_rows(request, project, role, 400, errors_sentence(form.errors), False)
    data = form.validated_data
    try:
        run = run_services.run_create(
            project=project,
            proposer=data.get("proposer"),
            clip_names=data.get("clips"),
            label=data["label"],
            created_by=request.user,
        )
    except run_services.RunRejected as error:
        return _run_rows(request, project, role, error.http_status, error.message, False)
    return _run_rows(request, project, role, 201, f"Started {run}.")


@login_required
@require_POST
def run_action(request: HttpRequest, slug: str, run_id: int, action: str) -> HttpResponse:
    project, role = core_selectors.project_get_for_model_output(slug=slug, user=request.user)
    if role not in RUN_ROLES:
        return _run_rows(
            request, project, role, 403, "Only a project manager can change runs.", False
        )
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
        return _run_rows(request, project, role, error.http_status, error.message, False)
    if request.htmx:
        return _run_rows(request, project, role, 200, message)
    return redirect("run-detail", slug=project.slug, run_id=run.pk)


@login_required
@require_GET
def run_detail(request: HttpRequest, slug: str, run_id: int) -> HttpResponse:
    project, role = core_selectors.project_get_for_model_output(slug=slug, user=request.user)
    run = ModelRun.objects.filter(project=project, pk=run_id).first()
    if run is None:
        raise Http404("No such run.")
    proposals = (
        run.proposals.select_related("clip").annotate(n_cues=Count("cues")).order_by("clip__name")
    )
    busy = run.status == ModelRun.Status.RUNNING
    # A running run's page polls every second: its calibration waits until it has finished.
    seeds = run.source == ModelRun.Source.PROPOSER and not busy
    calibration = run_calibration_get(run=run) if seeds else []
    return render(
        request,
        "runs/run_detail.html",
        {
            "project": project,
            "run": run,
            "proposals": proposals,
            "can_run": role in RUN_ROLES,
            "progress": run_services.run_progress(run=run),
            "busy": busy,
            "calibration": [_reliability_chart(entry) for entry in calibration],
        },
    )


CHART = {"size": 200, "left": 52, "top": 14, "bottom": 38, "right": 12}


def _reliability_chart(entry: KindCalibration) -> dict:
    """A reliability diagram as SVG geometry: per confidence bin, a bar of the share kept
    (its width the bin's) and a dot at its mean claimed confidence (seen even where nothing
    was kept), the diagonal of perfect calibration, and the calibrated confidence as a line
    when there is one."""
    size, left, top = CHART["size"], CHART["left"], CHART["top"]

    def x(value: float) -> float:
        return round(left + value * size, 1)

    def y(value: float) -> float:
        return round(top + (1 - value) * size, 1)

    bars = []
    for b in entry.diagram["bins"]:
        if not b["n"]:
            continue
        share = b["kept_share"]
        bars.append(
            {
                "x": x(b["lo"]) + 1,
                "w": round((b["hi"] - b["lo"]) * size - 2, 1),
                "y": y(share),
                "h": round(share * size, 1),
                "n": b["n"],
                "lo": b["lo"],
                "hi": b["hi"],
                "share": share,
                "confidence": b["confidence"],
                "dot_x": x(b["confidence"]),  # the bin's mean claimed confidence
                "dot_y": y(share),
            }
        )
    curve = ""
    if entry.calibrator is not None:
        grid = [i / 50 for i in range(51)]
        values = entry.calibrator.predict(grid)
        curve = " ".join(f"{x(g)},{y(float(v))}" for g, v in zip(grid, values, strict=True))
    ticks = [{"value": v, "x": x(v), "y": y(v)} for v in (0, 0.25, 0.5, 0.75, 1)]
    return {
        "entry": entry,
        "bars": bars,
        "curve": curve,
        "ticks": ticks,
        "left": left,
        "top": top,
        "right": left + size,
        "bottom": top + size,
        "width": left + size + CHART["right"],
        "height": top + size + CHART["bottom"],
        "tick_x": left - 6,
        "label_y": top + size + 15,
        "name_y": top + size + 30,
        "mid_x": left + size / 2,
        "mid_y": top + size / 2,
    }


def run_start_context(role: str) -> dict:
    return {"proposer_names": startable_proposer_names(), "can_run": role in RUN_ROLES}


IMPORT_ROLES = (Membership.Role.MANAGER,)


def _page(request: HttpRequest, project, *, status: int = 200, **result) -> HttpResponse:
    # The form posts with hx-select="#import-result": htmx swaps that part of the page in, and
    # the same answer is a whole page for a browser without JavaScript.
    imports = (
        ModelRun.objects.filter(project=project, source=services.IMPORT_PROPOSER)
        .select_related("created_by")
        .order_by("-created_at")[:20]
    )
    return render(
        request,
        "runs/run_import.html",
        {
            "project": project,
            "imports": imports,
            "max_mb": settings.EMOCUE_MAX_RUN_IMPORT_BYTES // (1024 * 1024),
            "label": request.POST.get("label", ""),
            **result,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def run_import_page(request: HttpRequest, slug: str) -> HttpResponse:
    project, _ = core_selectors.project_get_for_user(
        slug=slug, user=request.user, roles=IMPORT_ROLES
    )
    if request.method == "GET":
        return _page(request, project)
    upload = request.FILES.get("file")
    if upload is None:
        return _page(
            request,
            project,
            status=400,
            message="Choose a file: an EmoCue cue JSON or an EMER-style CSV of descriptions.",
        )
    form = RunImportInput(data={"file": upload, "label": request.POST.get("label", "")})
    if not form.is_valid():
        return _page(request, project, status=400, message=errors_sentence(form.errors))
    try:
        services.run_import_size_check(size=upload.size, file_name=upload.name)
        run = services.run_import(
            project=project,
            by=request.user,
            file_name=upload.name,
            data=upload.read(),
            label=form.validated_data["label"],
        )
    except services.RunImportDuplicate as error:
        return _page(
            request,
            project,
            status=error.http_status,
            message=error.message,
            earlier=error.existing,
        )
    except services.RunImportRejected as error:
        return _page(
            request,
            project,
            status=error.http_status,
            message=error.message,
            problems=error.problems,
        )
    return _page(request, project, status=201, run=run)
