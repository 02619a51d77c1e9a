"""The annotation timeline: one annotator's own annotation of one clip, changed one cue at a
time by htmx requests. Every write sends the version the browser holds; a stale one is a 409
with a message that offers to reload, never a silent overwrite.

The read-only timeline of a clip (timeline_view): the same lanes and player, no editing control,
showing the proposals of a chosen run (?run=) or, for reviewers and managers, one annotator's
submitted work (?annotation=), named as the review screen names them. Whoever may see the
project's model output may open it; the annotators of a blind project and non-members get a 404.
It only reads: every write above still needs one's own annotation.

And the manager's assignments page: every clip's k slots and the per-annotator counts, with htmx
reassign and release; other roles get a 404, as on every manager page."""

import json
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from annotate.annotation import assignments, inputs, selectors, services
from annotate.annotation.assignments import AssignmentRejected
from annotate.clips.selectors import clip_get
from annotate.core.auth import htmx_login_required
from annotate.core.errors import DomainError, answers_refusals, errors_sentence
from annotate.core.models import REVIEWER_ROLES, Membership
from annotate.core.pagination import whole_number
from annotate.core.selectors import (
    project_get_for_model_output,
    project_get_for_user,
)

MESSAGE = "annotation/partials/timeline_message.html"


# An expired session keeps the change in the browser (timeline.js) and replays it after login.
login_for_htmx = htmx_login_required(
    lambda request: _message(
        request,
        "Your session has ended: log in again. Your change is kept in this browser and "
        "saved when you come back.",
        401,
        login=True,
    )
)


def _message(
    request,
    message: str,
    status: int,
    *,
    reload: bool = False,
    login: bool = False,
    trigger: dict | None = None,
) -> HttpResponse:
    response = render(
        request,
        MESSAGE,
        {
            "message": message,
            "ok": status < 400,
            "reload": reload,
            "login": login,
            "status": status,
            "next": request.headers.get("HX-Current-URL", ""),
        },
        status=status,
    )
    response["HX-Retarget"] = "#timeline-message"
    response["HX-Reswap"] = "innerHTML"
    if trigger:
        response["HX-Trigger"] = json.dumps(trigger)
    return response


def _refusal(request, error: DomainError) -> HttpResponse:
    """A refused write in the timeline's message bar; a stale one offers to reload."""
    return _message(request, error.message, error.http_status, reload=error.code == "stale")


answers_in_timeline = answers_refusals(_refusal)


def _version(request) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


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
        return HttpResponse(
            error.message, status=error.http_status, content_type="text/plain; charset=utf-8"
        )
    just_submitted = _just_submitted(request, slug)
    if annotation is None:
        return render(
            request,
            "annotation/timeline.html",
            {"project": project, "timeline": None, "just_submitted": just_submitted},
        )
    return redirect(_next_url(slug, annotation.clip.name, just_submitted))


def _next_url(slug: str, name: str, just_submitted) -> str:
    url = reverse("timeline", args=[slug, name])
    if just_submitted is not None:
        url += "?" + urlencode({"submitted": just_submitted.clip.name})
    return url


def _just_submitted(request, slug: str):
    """The user's own submitted annotation named by ?submitted= (the clip they just submitted,
    for the "Submitted X — next: Y" notice and its undo), else None."""
    name = request.GET.get("submitted")
    if not name:
        return None
    try:
        annotation = selectors.annotation_get_for_user(slug=slug, clip_name=name, user=request.user)
    except Http404:
        return None
    return annotation if annotation.status == "submitted" else None


@login_for_htmx
@require_GET
def timeline_page(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    """One's own annotation of the clip; without one, the clip's read-only timeline (the same
    query string), for whoever may see it; a 404 for everyone else."""
    try:
        timeline = selectors.annotation_timeline_get(slug=slug, clip_name=name, user=request.user)
    except Http404:
        project, _ = project_get_for_model_output(slug=slug, user=request.user)
        clip_get(project=project, name=name)
        query = request.GET.urlencode()
        url = reverse("timeline-view", args=[slug, name])
        return redirect(f"{url}?{query}" if query else url)
    return render(
        request,
        "annotation/timeline.html",
        {
            "project": timeline.project,
            "timeline": timeline,
            "base": _base(slug, name),
            "slug": slug,
            "clip_name": name,
            "editable": timeline.annotation.status == "draft",
            # Named, not left missing: the cue rows and segments test them per cue, and a
            # missing variable costs Django's lookup caught exceptions every time.
            "read_only": False,
            "oob": False,
            "just_submitted": _just_submitted(request, slug),
            # Reviewers and managers who annotate too reach the clip's read-only timeline.
            "sees_read_only": timeline.role in REVIEWER_ROLES,
        },
    )


_MAX_ID = 2**31 - 1


def _id_param(request, key: str, what: str) -> tuple[int | None, str]:
    """A query parameter naming an object by its number: (the number or None, a problem)."""
    raw = request.GET.get(key, "")
    if raw == "":
        return None, ""
    value = whole_number(raw, default=0, low=1, high=_MAX_ID)
    if value is None:
        return None, (
            f"?{key}= takes {what}'s number, as its picker sets it; {raw[:40]!r} is not one."
        )
    return value, ""


def _view_missing(
    view, name: str, run_id: int | None, annotation_id: int | None, *, sees_work: bool
) -> tuple[str, int]:
    """What the read-only timeline was asked for and cannot show: (the sentence, 404), or ("",
    200). The same sentence whether the object does not exist or is not the viewer's to see."""
    if annotation_id is not None and view.shown is None:
        offer = " Choose one of the submitted annotations offered." if sees_work else ""
        return f"{name} has no submitted annotation #{annotation_id} that you can see.{offer}", 404
    if run_id is not None and view.proposal is None:
        offer = " Choose one in the run picker." if view.proposals else " No run has any yet."
        return f"Run #{run_id} has no proposals for {name}.{offer}", 404
    return "", 200


@login_required
@require_GET
def timeline_view(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    """The clip's read-only timeline. An unknown run or annotation, or one the viewer may not
    see, is a 404 that says so above the pickers; a malformed number a 400."""
    project, role = project_get_for_model_output(slug=slug, user=request.user)
    clip = clip_get(project=project, name=name)
    clip.project = project  # already loaded: no second query
    sees_work = role in REVIEWER_ROLES
    run_id, run_problem = _id_param(request, "run", "a run")
    annotation_id, annotation_problem = _id_param(request, "annotation", "a submitted annotation")
    view = selectors.clip_timeline_view_get(
        clip=clip,
        user=request.user,
        sees_work=sees_work,
        run_id=run_id,
        annotation_id=annotation_id,
    )
    problem = run_problem or annotation_problem
    status = 400 if problem else 200
    if not problem:
        problem, status = _view_missing(view, name, run_id, annotation_id, sees_work=sees_work)
    return render(
        request,
        "annotation/timeline_view.html",
        {
            "project": project,
            "clip": clip,
            "timeline": view,
            "role": role,
            "sees_work": sees_work,
            "problem": problem,
            "status": status,
            "base": reverse("timeline-view", args=[slug, name]),
            "slug": slug,
            "clip_name": name,
            "editable": False,
            "read_only": True,
            "oob": False,
        },
        status=status,
    )


@login_for_htmx
@require_GET
def timeline_workspace(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    timeline = selectors.annotation_timeline_get(slug=slug, clip_name=name, user=request.user)
    return render(
        request,
        "annotation/partials/timeline_workspace.html",
        {
            "timeline": timeline,
            "base": _base(slug, name),
            "slug": slug,
            "clip_name": name,
            "editable": timeline.annotation.status == "draft",
            "read_only": False,
            "oob": False,
        },
    )


# Each write validates with the API's serializer (annotate/annotation/inputs.py); the page only
# says where its fields are.
CUE_ACTION_INPUTS = {
    "accept": inputs.CueVersionInput,
    "reject": inputs.CueRejectInput,
    "edit": inputs.CueChangeInput,
    "retime": inputs.CueChangeInput,
    "delete": inputs.CueVersionInput,
}
CUE_ACTIONS = tuple(CUE_ACTION_INPUTS)


def _ms(value: str | None) -> str | None:
    """A form's time box: empty means no time (a whole-clip cue)."""
    return value if value not in (None, "") else None


def _cue_form_data(action: str, post) -> dict:
    data = {"version": post.get("version")}
    if action == "reject":
        data["reason"] = post.get("reason", "")
    elif action == "edit":
        data["text"] = post.get("text", "")
    elif action == "retime":
        data |= {"start_ms": _ms(post.get("start_ms")), "end_ms": _ms(post.get("end_ms"))}
    return data


def _invalid(request, errors: dict) -> HttpResponse:
    return _message(request, errors_sentence(errors), 400)


@login_for_htmx
@require_POST
@answers_in_timeline
def cue_action(
    request: HttpRequest, slug: str, name: str, cue_id: int, action: str
) -> HttpResponse:
    if action not in CUE_ACTIONS:
        return _message(request, f"Unknown cue action {action!r}.", 404)
    cue = selectors.annotation_cue_get(slug=slug, clip_name=name, cue_id=cue_id, user=request.user)
    if _version(request) is None:
        return _message(
            request,
            "The request did not say which version of the cue you saw; reload the page.",
            400,
            reload=True,
        )
    form = CUE_ACTION_INPUTS[action](data=_cue_form_data(action, request.POST))
    if not form.is_valid():
        return _invalid(request, form.errors)
    data = form.validated_data
    annotation = cue.annotation
    args = {"cue": cue, "user": request.user, "expected_version": data["version"]}
    if action == "accept":
        cue = services.cue_accept(**args)
    elif action == "reject":
        cue = services.cue_reject(**args, reason=data["reason"])
    elif action == "edit":
        cue = services.cue_edit(**args, text=data["text"])
    elif action == "retime":
        cue = services.cue_retime(**args, start_ms=data["start_ms"], end_ms=data["end_ms"])
    else:
        services.cue_delete(**args)
        return _message(
            request, "Cue deleted (Ctrl+Z brings it back).", 200, trigger={"cues-changed": {}}
        )
    # The row and its segment, and (out of band) the cue list's header counts.
    response = render(
        request,
        "annotation/partials/timeline_cue_changed.html",
        {
            "cue": cue,
            "base": _base(slug, name),
            "slug": slug,
            "clip_name": name,
            "editable": True,
            "read_only": False,
            "duration_ms": annotation.clip.duration_ms,
            "counts": selectors.annotation_cue_counts(annotation=annotation),
        },
    )
    if action == "retime":  # a new time may move the cue in the list: reload it, in time order
        response["HX-Trigger"] = json.dumps({"cues-changed": {"select": cue.pk}})
    return response


@login_for_htmx
@require_POST
@answers_in_timeline
def cue_create(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    annotation = selectors.annotation_get_for_user(slug=slug, clip_name=name, user=request.user)
    post = request.POST
    form = inputs.CueAddInput(
        data={
            "modality": post.get("modality", ""),
            "text": post.get("text", ""),
            "start_ms": _ms(post.get("start_ms")),
            "end_ms": _ms(post.get("end_ms")),
        }
    )
    if not form.is_valid():
        return _invalid(request, form.errors)
    data = form.validated_data
    cue = services.cue_add(
        annotation=annotation,
        user=request.user,
        modality=data["modality"],
        text=data["text"],
        start_ms=data.get("start_ms"),
        end_ms=data.get("end_ms"),
    )
    return _message(
        request,
        f"Added a cue to the {cue.modality} lane.",
        201,
        trigger={"cues-changed": {"select": cue.pk}},
    )


@login_for_htmx
@require_POST
@answers_in_timeline
def annotation_undo(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    annotation = selectors.annotation_get_for_user(slug=slug, clip_name=name, user=request.user)
    event = services.annotation_undo(annotation=annotation, user=request.user)
    cue_id = (event.before or event.after or {}).get("id")
    return _message(
        request, f"Undid: {event.action}.", 200, trigger={"cues-changed": {"select": cue_id}}
    )


@login_for_htmx
@require_POST
@answers_in_timeline
def annotation_save(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    """Autosave of labels, primary label and reasoning description."""
    annotation = selectors.annotation_get_for_user(slug=slug, clip_name=name, user=request.user)
    version = _version(request)
    if version is None:
        return _message(
            request, "The request did not say which version you saw; reload.", 400, reload=True
        )
    post = request.POST
    fields = {
        "version": version,
        "labels": post.getlist("labels"),
        "primary_label": post.get("primary_label", ""),
    }
    if "description" in post:
        fields["description"] = post["description"]
    form = inputs.AnnotationChangeInput(data=fields)
    if not form.is_valid():
        return _invalid(request, form.errors)
    data = form.validated_data
    annotation = services.annotation_update(
        annotation=annotation,
        user=request.user,
        expected_version=data["version"],
        labels=data["labels"],
        primary_label=data["primary_label"],
        description=data.get("description"),
    )
    return render(request, "annotation/partials/timeline_saved.html", {"annotation": annotation})


@login_for_htmx
@require_POST
@answers_in_timeline
def annotation_submit(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    annotation = selectors.annotation_get_for_user(slug=slug, clip_name=name, user=request.user)
    version = _version(request)
    if version is None:
        return _message(
            request, "The request did not say which version you saw; reload.", 400, reload=True
        )
    form = inputs.VersionInput(data={"version": version})
    if not form.is_valid():
        return _invalid(request, form.errors)
    services.annotation_submit(
        annotation=annotation, user=request.user, expected_version=form.validated_data["version"]
    )
    # The next clip opens with "Submitted X — next: Y" and a short undo window (reopen X).
    next_url = reverse("annotate-next", args=[slug]) + "?" + urlencode({"submitted": name})
    if request.htmx:
        response = _message(request, f"Submitted {name}. Opening the next clip…", 200)
        response["HX-Redirect"] = next_url
        return response
    return redirect(next_url)


MANAGER_ROLES = (Membership.Role.MANAGER,)


FORM_MESSAGE = "core/partials/form_message.html"


def _form_message(request, message: str, status: int) -> HttpResponse:
    response = render(
        request, FORM_MESSAGE, {"message": message, "ok": status < 400}, status=status
    )
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
    return render(
        request,
        "annotation/partials/assignment_board.html",
        {
            "project": project,
            "message": message,
            "board": selectors.assignment_board_get(project=project),
        },
    )


@login_required
@require_GET
def assignment_board(request: HttpRequest, slug: str) -> HttpResponse:
    project, _ = project_get_for_user(slug=slug, user=request.user, roles=MANAGER_ROLES)
    # Slots are created lazily; the page shows them all, also for clips nobody asked for yet.
    assignments.assignment_slots_ensure(project=project)
    board = selectors.assignment_board_get(project=project)
    return render(request, "annotation/assignments.html", {"project": project, "board": board})


def _slot_change(request, slug: str, assignment_id: int, form_class, change) -> HttpResponse:
    """The manager's POST on one slot: the slot of this project, the form validated with the
    API's serializer, then `change(project, assignment, data)` -> what to say, or an
    HttpResponse refusal."""
    project, _ = project_get_for_user(slug=slug, user=request.user, roles=MANAGER_ROLES)
    assignment = selectors.assignment_get(project=project, assignment_id=assignment_id)
    if _slot_version(request) is None:
        return _form_message(
            request,
            "The request did not say which version of the slot you saw; reload the page.",
            400,
        )
    form = form_class(
        data={key: request.POST.get(key) for key in form_class().fields if key in request.POST}
    )
    if not form.is_valid():
        return _form_message(request, errors_sentence(form.errors), 400)
    try:
        outcome = change(project, assignment, form.validated_data)
    except assignments.AssignmentRejected as error:  # AssignmentStale too
        return _form_message(request, error.message, error.http_status)
    if isinstance(outcome, HttpResponse):
        return outcome
    return _changed(request, project, outcome)


@login_required
@require_POST
def assignment_reassign(request: HttpRequest, slug: str, assignment_id: int) -> HttpResponse:
    def reassign(project, assignment, data):
        to_user = selectors.assignment_member_by_username(project=project, username=data["to"])
        if to_user is None:
            return _form_message(
                request, "Choose the annotator of this project who should take the slot.", 400
            )
        slot = assignments.assignment_reassign(
            assignment=assignment,
            to_user=to_user,
            by=request.user,
            expected_version=data["version"],
        )
        return f"Slot {slot.slot + 1} of {slot.clip.name} now belongs to {to_user.username}."

    return _slot_change(request, slug, assignment_id, inputs.AssignmentReassignInput, reassign)


@login_required
@require_POST
def assignment_release(request: HttpRequest, slug: str, assignment_id: int) -> HttpResponse:
    def release(project, assignment, data):
        slot = assignments.assignment_release(
            assignment=assignment, by=request.user, expected_version=data["version"]
        )
        return (
            f"Slot {slot.slot + 1} of {slot.clip.name} is open again; the previous holder's "
            "draft is kept."
        )

    return _slot_change(request, slug, assignment_id, inputs.AssignmentReleaseInput, release)
