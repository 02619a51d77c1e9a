"""Importing a model's outside results (a cue JSON or an EMER-style CSV) as a run: the page."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from annotate.models import Membership, ModelRun
from annotate.selectors import projects as selectors
from annotate.services import run_imports as services

IMPORT_ROLES = (Membership.Role.MANAGER,)
MAX_IMPORT_BYTES = 50 * 1024 * 1024


def _page(request: HttpRequest, project, *, status: int = 200, **result) -> HttpResponse:
    # The form posts with hx-select="#import-result": htmx swaps that part of the page in, and
    # the same answer is a whole page for a browser without JavaScript.
    imports = (ModelRun.objects.filter(project=project, source=services.IMPORT_PROPOSER)
               .select_related("created_by").order_by("-created_at")[:20])
    return render(request, "runs/run_import.html", {
        "project": project, "imports": imports, "max_mb": MAX_IMPORT_BYTES // (1024 * 1024),
        "label": request.POST.get("label", ""), **result,
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def run_import_page(request: HttpRequest, slug: str) -> HttpResponse:
    project, _ = selectors.project_get_for_user(slug=slug, user=request.user, roles=IMPORT_ROLES)
    if request.method == "GET":
        return _page(request, project)
    upload = request.FILES.get("file")
    if upload is None:
        return _page(request, project, status=400, message="Choose a file: an EmoCue cue JSON "
                     "or an EMER-style CSV of descriptions.")
    if upload.size > MAX_IMPORT_BYTES:
        return _page(request, project, status=413,
                     message=f"{upload.name} is {upload.size / 1024 / 1024:.0f} MB; the limit is "
                             f"{MAX_IMPORT_BYTES // (1024 * 1024)} MB. Split the file by clips.")
    try:
        run = services.run_import(project=project, by=request.user, file_name=upload.name,
                                  data=upload.read(), label=request.POST.get("label", ""))
    except services.RunImportDuplicate as error:
        return _page(request, project, status=409, message=error.message, earlier=error.existing)
    except services.RunImportRejected as error:
        return _page(request, project, status=422, message=error.message, problems=error.problems)
    return _page(request, project, status=201, run=run)
