"""Gold set pages: the frozen versions and the working gold (managers freeze the next version),
a version's items and its exports (managers ask for one; the zip is built by a worker and the
list polls until it is done), and the download of a finished zip. Reviewers and managers see
them; for annotators and non-members they do not exist (404)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from annotate.core.auth import htmx_login_required
from annotate.core.errors import DomainError, answers_refusals, errors_sentence
from annotate.core.models import Membership
from annotate.core.pagination import MAX_OFFSET, page_number
from annotate.core.selectors import project_get_for_user
from annotate.goldsets import exports as export_services
from annotate.goldsets import selectors
from annotate.goldsets import services as goldset_services
from annotate.goldsets.downloads import export_file_response
from annotate.goldsets.inputs import ExportCreateInput, GoldSetFreezeInput
from annotate.goldsets.models import Export

VIEW_ROLES = (Membership.Role.REVIEWER, Membership.Role.MANAGER)


MANAGE_ROLES = (Membership.Role.MANAGER,)


WORKING = "goldsets/partials/goldset_working.html"


EXPORTS = "goldsets/partials/goldset_exports.html"


DEFAULT_SPLIT = "train=0.8,val=0.1,test=0.1"


login_for_goldsets = htmx_login_required(
    lambda request: render(
        request,
        "core/partials/form_message.html",
        {"ok": False, "message": "Your session has ended: log in again, then repeat the request."},
        status=401,
    )
)


def _gold_set(project, version: int):
    gold_set = selectors.goldset_get(project=project, version=version)
    if gold_set is None:
        raise Http404(f"{project.name} has no gold set version {version}.")
    return gold_set


def _working(request, project, role, *, status: int = 200, message: str = "", ok: bool = True):
    return render(
        request,
        WORKING,
        {
            "project": project,
            "working": selectors.gold_working_get(project=project),
            "can_manage": role in MANAGE_ROLES,
            "message": message,
            "ok": ok,
        },
        status=status,
    )


def _export_rows(gold_set) -> list[dict]:
    rows = []
    for export in selectors.goldset_exports_list(gold_set=gold_set):
        ratios = export_services.export_ratios(export)
        head, table = (
            selectors.export_report_rows(export.report, order=list(ratios))
            if export.status == Export.Status.DONE and export.report
            else ([], [])
        )
        rows.append({"export": export, "ratios": ratios, "head": head, "table": table})
    return rows


def _exports(
    request,
    project,
    gold_set,
    role,
    *,
    status: int = 200,
    message: str = "",
    ok: bool = True,
    form: dict | None = None,
):
    rows = _export_rows(gold_set)
    return render(
        request,
        EXPORTS,
        {
            "project": project,
            "gold_set": gold_set,
            "rows": rows,
            "can_manage": role in MANAGE_ROLES,
            "busy": any(
                r["export"].status in (Export.Status.PENDING, Export.Status.RUNNING) for r in rows
            ),
            "message": message,
            "ok": ok,
            "form": form or {"split": DEFAULT_SPLIT, "seed": 0},
        },
        status=status,
    )


@login_for_goldsets
@require_GET
def goldset_list(request: HttpRequest, slug: str) -> HttpResponse:
    project, role = project_get_for_user(slug=slug, user=request.user, roles=VIEW_ROLES)
    return render(
        request,
        "goldsets/goldsets.html",
        {
            "project": project,
            "role": role,
            "can_manage": role in MANAGE_ROLES,
            "gold_sets": list(selectors.goldset_list(project=project)),
            "working": selectors.gold_working_get(project=project),
        },
    )


@login_for_goldsets
@require_POST
def goldset_freeze(request: HttpRequest, slug: str) -> HttpResponse:
    project, role = project_get_for_user(slug=slug, user=request.user, roles=VIEW_ROLES)
    if role not in MANAGE_ROLES:
        return _working(
            request,
            project,
            role,
            status=403,
            ok=False,
            message="Only a project manager can freeze a gold set version.",
        )
    form = GoldSetFreezeInput(
        data={key: request.POST[key] for key in ("note", "licence") if key in request.POST}
    )
    if not form.is_valid():
        return _working(
            request, project, role, status=400, ok=False, message=errors_sentence(form.errors)
        )
    try:
        gold_set = goldset_services.goldset_freeze(
            project=project,
            by=request.user,
            note=form.validated_data["note"],
            licence=form.validated_data["licence"],
        )
    except goldset_services.GoldSetRejected as error:
        return _working(
            request, project, role, status=error.http_status, ok=False, message=error.message
        )
    url = reverse("goldset-detail", args=[project.slug, gold_set.version])
    if request.htmx:
        response = HttpResponse(status=201)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@login_for_goldsets
@require_GET
def goldset_detail(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    project, role = project_get_for_user(slug=slug, user=request.user, roles=VIEW_ROLES)
    gold_set = _gold_set(project, version)
    number = page_number(request.GET.get("page"))
    if number is None:
        return HttpResponse(
            f"page must be a whole number from 1 to {MAX_OFFSET}, "
            f"not {request.GET['page'][:40]!r}.",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    rows = _export_rows(gold_set)
    page = selectors.goldset_items_page(gold_set=gold_set, page=number)
    for item in page.object_list:  # one column per modality, in the header's order
        item.cue_columns = [item.cues.get(modality, []) for modality in selectors.MODALITIES]
    return render(
        request,
        "goldsets/goldsets_version.html",
        {
            "project": project,
            "role": role,
            "gold_set": gold_set,
            "can_manage": role in MANAGE_ROLES,
            "page": page,
            "modalities": selectors.MODALITIES,
            "rows": rows,
            "busy": any(
                r["export"].status in (Export.Status.PENDING, Export.Status.RUNNING) for r in rows
            ),
            "form": {"split": DEFAULT_SPLIT, "seed": 0},
            "changes": (gold_set.provenance or {}).get("changes", {}),
        },
    )


@login_for_goldsets
@require_http_methods(["GET", "POST"])
def goldset_exports(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    project, role = project_get_for_user(slug=slug, user=request.user, roles=VIEW_ROLES)
    gold_set = _gold_set(project, version)
    if request.method == "GET":
        return _exports(request, project, gold_set, role)
    form = {
        "split": request.POST.get("split", "").strip(),
        "seed": request.POST.get("seed", "0"),
        "with_media": request.POST.get("with_media", "") != "",  # a ticked box sends "on"
    }
    if role not in MANAGE_ROLES:
        return _exports(
            request,
            project,
            gold_set,
            role,
            status=403,
            ok=False,
            form=form,
            message="Only a project manager can export a gold set version.",
        )
    try:
        ratios = export_services.export_ratios_parse(text=form["split"])
    except export_services.ExportRejected as error:
        return _exports(
            request,
            project,
            gold_set,
            role,
            status=error.http_status,
            ok=False,
            form=form,
            message=error.message,
        )
    fields = ExportCreateInput(
        data={
            "ratios": ratios,
            "seed": form["seed"].strip() or "0",
            "with_media": request.POST.get("with_media", "false"),
        }
    )
    if not fields.is_valid():
        return _exports(
            request,
            project,
            gold_set,
            role,
            status=400,
            ok=False,
            form=form,
            message=errors_sentence(fields.errors),
        )
    try:
        export = export_services.export_create(
            gold_set=gold_set,
            ratios=ratios,
            seed=fields.validated_data["seed"],
            by=request.user,
            with_media=fields.validated_data["with_media"],
        )
    except export_services.ExportRejected as error:
        return _exports(
            request,
            project,
            gold_set,
            role,
            status=error.http_status,
            ok=False,
            form=form,
            message=error.message,
        )
    return _exports(
        request,
        project,
        gold_set,
        role,
        status=201,
        form=form,
        message=f"Export #{export.pk} is queued; the list updates when it is built.",
    )


def _plain_refusal(request, error: DomainError) -> HttpResponse:
    return HttpResponse(error.message, content_type="text/plain; charset=utf-8")


@login_for_goldsets
@require_GET
@answers_refusals(_plain_refusal)
def export_download(request: HttpRequest, slug: str, version: int, export_id: int) -> HttpResponse:
    project, _ = project_get_for_user(slug=slug, user=request.user, roles=VIEW_ROLES)
    gold_set = _gold_set(project, version)
    export = selectors.export_get(gold_set=gold_set, export_id=export_id)
    if export is None:
        raise Http404(f"Version {version} has no export #{export_id}.")
    return export_file_response(project=project, gold_set=gold_set, export=export)
