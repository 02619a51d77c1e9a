"""The annotation timeline: one annotator's own annotation of one clip, changed one cue at a
time by htmx requests. Every write sends the version the browser holds; a stale one is a 409
with a message that offers to reload, never a silent overwrite. And the manager's assignments
page: every clip's k slots and the per-annotator counts, with htmx reassign and release; other
roles get a 404, as on every manager page."""

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from annotate.annotation import assignments, selectors, services
from annotate.annotation.assignments import AssignmentRejected
from annotate.core.auth import htmx_login_required
from annotate.core.models import Membership
from annotate.core.selectors import project_get_for_user

MESSAGE = "annotation/partials/timeline_message.html"


# An expired session keeps the change in the browser (timeline.js) and replays it after login.
login_for_htmx = htmx_login_required(lambda request: _message(
    request, "Your session has ended: log in again. Your change is kept in this browser and "
    "saved when you come back.", 401, login=True))


def _message(request, message: str, status: int, *, reload: bool = False, login: bool = False,
             trigger: dict | None = None) -> HttpResponse:
    response = render(request, MESSAGE, {"message": message, "ok": status < 400, "reload": reload,
                                         "login": login, "status": status,
                                         "next": request.headers.get("HX-Current-URL", "")},
                      status=status)
    response["HX-Retarget"] = "#timeline-message"
    response["HX-Reswap"] = "innerHTML"
    if trigger:
        response["HX-Trigger"] = json.dumps(trigger)
    return response


def _refused(request, error: services.AnnotationRejected) -> HttpResponse:
    if isinstance(error, services.StaleWrite):
        return _message(request, error.message, 409, reload=True)
    if isinstance(error, services.ReservationLost):
        return _message(request, error.message, 409)
    return _message(request, error.message, 422)


def _version(request) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


def _optional_ms(value: str | None) -> int | None:
    if value in (None, ""):
        return None
    return int(round(float(value)))


def _base(slug: str, name: str) -> str:
    return reverse("timeline", args=[slug, name])


@login_for_htmx
@require_http_methods(["GET", "POST"])
def annotate_next(request: HttpRequest, slug: str) -> HttpResponse:
    """The next clip for this user through the assignment slots (their own live lease first),
    or a plain 'nothing left'. GET is allowed because a submit's redirect lands here; asking
    again while a lease is live returns the same clip."""
    project, role = project_get_for_user(slug=slug, user=request.user)
    try:
        annotation = services.annotation_next(project=project, annotator=request.user)
    except AssignmentRejected as error:
        return HttpResponse(error.message, status=503, content_type="text/plain; charset=utf-8")
    if annotation is None:
        return render(request, "annotation/timeline.html", {"project": project, "timeline": None})
    return redirect("timeline", slug=project.slug, name=annotation.clip.name)


@login_for_htmx
@require_GET
def timeline_page(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    timeline = selectors.annotation_timeline_get(slug=slug, clip_name=name, user=request.user)
    return render(request, "annotation/timeline.html",
                  {"project": timeline.project, "timeline": timeline, "base": _base(slug, name),
                   "editable": timeline.annotation.status == "draft"})


@login_for_htmx
@require_GET
def timeline_workspace(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    timeline = selectors.annotation_timeline_get(slug=slug, clip_name=name, user=request.user)
    return render(request, "annotation/partials/timeline_workspace.html",
                  {"timeline": timeline, "base": _base(slug, name),
                   "editable": timeline.annotation.status == "draft"})


CUE_ACTIONS = ("accept", "reject", "edit", "retime", "delete")


@login_for_htmx
@require_POST
def cue_action(request: HttpRequest, slug: str, name: str, cue_id: int, action: str) -> HttpResponse:
    if action not in CUE_ACTIONS:
        return _message(request, f"Unknown cue action {action!r}.", 404)
    cue = selectors.annotation_cue_get(slug=slug, clip_name=name, cue_id=cue_id, user=request.user)
    version = _version(request)
    if version is None:
        return _message(request, "The request did not say which version of the cue you saw; "
                        "reload the page.", 400, reload=True)
    annotation = cue.annotation
    args = {"cue": cue, "user": request.user, "expected_version": version}
    try:
        if action == "accept":
            cue = services.cue_accept(**args)
        elif action == "reject":
            cue = services.cue_reject(**args, reason=request.POST.get("reason", ""))
        elif action == "edit":
            cue = services.cue_edit(**args, text=request.POST.get("text", ""))
        elif action == "retime":
            try:
                start, end = _optional_ms(request.POST.get("start_ms")), _optional_ms(request.POST.get("end_ms"))
            except ValueError:
                return _message(request, "Start and end must be numbers of milliseconds.", 400)
            cue = services.cue_retime(**args, start_ms=start, end_ms=end)
        else:
            services.cue_delete(**args)
            return _message(request, "Cue deleted (Ctrl+Z brings it back).", 200,
                            trigger={"cues-changed": {}})
    except services.AnnotationRejected as error:
        return _refused(request, error)
    # The row and its segment, and (out of band) the cue list's header counts.
    return render(request, "annotation/partials/timeline_cue_changed.html",
                  {"cue": cue, "base": _base(slug, name), "editable": True,
                   "duration_ms": annotation.clip.duration_ms,
                   "counts": selectors.annotation_cue_counts(annotation=annotation)})


@login_for_htmx
@require_POST
def cue_create(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    annotation = selectors.annotation_get_for_user(slug=slug, clip_name=name, user=request.user)
    try:
        start, end = _optional_ms(request.POST.get("start_ms")), _optional_ms(request.POST.get("end_ms"))
    except ValueError:
        return _message(request, "Start and end must be numbers of milliseconds.", 400)
    try:
        cue = services.cue_add(annotation=annotation, user=request.user,
                               modality=request.POST.get("modality", ""),
                               text=request.POST.get("text", ""), start_ms=start, end_ms=end)
    except services.AnnotationRejected as error:
        return _refused(request, error)
    return _message(request, f"Added a cue to the {cue.modality} lane.", 201,
                    trigger={"cues-changed": {"select": cue.pk}})


@login_for_htmx
@require_POST
def annotation_undo(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    annotation = selectors.annotation_get_for_user(slug=slug, clip_name=name, user=request.user)
    try:
        event = services.annotation_undo(annotation=annotation, user=request.user)
    except services.AnnotationRejected as error:
        return _refused(request, error)
    cue_id = (event.before or event.after or {}).get("id")
    return _message(request, f"Undid: {event.action}.", 200,
                    trigger={"cues-changed": {"select": cue_id}})


@login_for_htmx
@require_POST
def annotation_save(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    """Autosave of labels, primary label and reasoning description."""
    annotation = selectors.annotation_get_for_user(slug=slug, clip_name=name, user=request.user)
    version = _version(request)
    if version is None:
        return _message(request, "The request did not say which version you saw; reload.", 400,
                        reload=True)
    try:
        annotation = services.annotation_update(
            annotation=annotation, user=request.user, expected_version=version,
            labels=request.POST.getlist("labels"), primary_label=request.POST.get("primary_label", ""),
            description=request.POST.get("description") if "description" in request.POST else None)
    except services.AnnotationRejected as error:
        return _refused(request, error)
    return render(request, "annotation/partials/timeline_saved.html", {"annotation": annotation})


@login_for_htmx
@require_POST
def annotation_submit(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    annotation = selectors.annotation_get_for_user(slug=slug, clip_name=name, user=request.user)
    version = _version(request)
    if version is None:
        return _message(request, "The request did not say which version you saw; reload.", 400,
                        reload=True)
    try:
        services.annotation_submit(annotation=annotation, user=request.user, expected_version=version)
    except services.AnnotationRejected as error:
        return _refused(request, error)
    next_url = reverse("annotate-next", args=[slug])
    if request.htmx:
        response = _message(request, "Submitted. Opening the next clip…", 200)
        response["HX-Redirect"] = next_url
        return response
    return redirect(next_url)


MANAGER_ROLES = (Membership.Role.MANAGER,)


FORM_MESSAGE = "core/partials/form_message.html"


def _form_message(request, message: str, status: int) -> HttpResponse:
    response = render(request, FORM_MESSAGE, {"message": message, "ok": status < 400}, status=status)
    response["HX-Retarget"] = "#assignment-message"
    response["HX-Reswap"] = "innerHTML"
    return response


def _slot_version(request) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


def _changed(request, project, message: str) -> HttpResponse:
    # The whole board, not one row: table rows cannot travel beside out-of-band swaps, and the
    # counts change with every move. Three queries however many clips.
    return render(request, "annotation/partials/assignment_board.html",
                  {"project": project, "message": message,
                   "board": selectors.assignment_board_get(project=project)})


@login_required
@require_GET
def assignment_board(request: HttpRequest, slug: str) -> HttpResponse:
    project, _ = project_get_for_user(slug=slug, user=request.user, roles=MANAGER_ROLES)
    # Slots are created lazily; the page shows them all, also for clips nobody asked for yet.
    assignments.assignment_slots_ensure(project=project)
    board = selectors.assignment_board_get(project=project)
    return render(request, "annotation/assignments.html", {"project": project, "board": board})


def _slot_change(request, slug: str, assignment_id: int, change) -> HttpResponse:
    """The manager's POST on one slot: the slot of this project, the version the page saw,
    then `change(assignment, version)` -> (slot, what to say) or an HttpResponse refusal."""
    project, _ = project_get_for_user(slug=slug, user=request.user, roles=MANAGER_ROLES)
    assignment = selectors.assignment_get(project=project, assignment_id=assignment_id)
    version = _slot_version(request)
    if version is None:
        return _form_message(request, "The request did not say which version of the slot you saw; "
                        "reload the page.", 400)
    try:
        outcome = change(project, assignment, version)
    except assignments.AssignmentStale as error:
        return _form_message(request, error.message, 409)
    except assignments.AssignmentRejected as error:
        return _form_message(request, error.message, 422)
    if isinstance(outcome, HttpResponse):
        return outcome
    return _changed(request, project, outcome)


@login_required
@require_POST
def assignment_reassign(request: HttpRequest, slug: str, assignment_id: int) -> HttpResponse:
    def reassign(project, assignment, version):
        to_user = selectors.assignment_member_get(project=project, user_id=request.POST.get("to"))
        if to_user is None:
            return _form_message(request, "Choose the annotator of this project who should take the "
                            "slot.", 400)
        slot = assignments.assignment_reassign(assignment=assignment, to_user=to_user,
                                            by=request.user, expected_version=version)
        return f"Slot {slot.slot + 1} of {slot.clip.name} now belongs to {to_user.username}."

    return _slot_change(request, slug, assignment_id, reassign)


@login_required
@require_POST
def assignment_release(request: HttpRequest, slug: str, assignment_id: int) -> HttpResponse:
    def release(project, assignment, version):
        slot = assignments.assignment_release(assignment=assignment, by=request.user,
                                           expected_version=version)
        return (f"Slot {slot.slot + 1} of {slot.clip.name} is open again; the previous holder's "
                "draft is kept.")

    return _slot_change(request, slug, assignment_id, release)
