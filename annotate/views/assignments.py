"""The manager's assignments page: every clip's k slots (holder, status, lease, done) and the
per-annotator counts, with htmx reassign and release. Other roles get a 404, as on every
manager page."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from annotate.models import Membership
from annotate.selectors import assignments as selectors
from annotate.selectors.projects import project_get_for_user
from annotate.services import assignments as services

MANAGER_ROLES = (Membership.Role.MANAGER,)
MESSAGE = "core/partials/form_message.html"


def _message(request, message: str, status: int) -> HttpResponse:
    response = render(request, MESSAGE, {"message": message, "ok": status < 400}, status=status)
    response["HX-Retarget"] = "#assignment-message"
    response["HX-Reswap"] = "innerHTML"
    return response


def _version(request) -> int | None:
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
    services.assignment_slots_ensure(project=project)
    board = selectors.assignment_board_get(project=project)
    return render(request, "annotation/assignments.html", {"project": project, "board": board})


def _slot_change(request, slug: str, assignment_id: int, change) -> HttpResponse:
    """The manager's POST on one slot: the slot of this project, the version the page saw,
    then `change(assignment, version)` -> (slot, what to say) or an HttpResponse refusal."""
    project, _ = project_get_for_user(slug=slug, user=request.user, roles=MANAGER_ROLES)
    assignment = selectors.assignment_get(project=project, assignment_id=assignment_id)
    version = _version(request)
    if version is None:
        return _message(request, "The request did not say which version of the slot you saw; "
                        "reload the page.", 400)
    try:
        outcome = change(project, assignment, version)
    except services.AssignmentStale as error:
        return _message(request, error.message, 409)
    except services.AssignmentRejected as error:
        return _message(request, error.message, 422)
    if isinstance(outcome, HttpResponse):
        return outcome
    return _changed(request, project, outcome)


@login_required
@require_POST
def assignment_reassign(request: HttpRequest, slug: str, assignment_id: int) -> HttpResponse:
    def reassign(project, assignment, version):
        to_user = selectors.assignment_member_get(project=project, user_id=request.POST.get("to"))
        if to_user is None:
            return _message(request, "Choose the annotator of this project who should take the "
                            "slot.", 400)
        slot = services.assignment_reassign(assignment=assignment, to_user=to_user,
                                            by=request.user, expected_version=version)
        return f"Slot {slot.slot + 1} of {slot.clip.name} now belongs to {to_user.username}."

    return _slot_change(request, slug, assignment_id, reassign)


@login_required
@require_POST
def assignment_release(request: HttpRequest, slug: str, assignment_id: int) -> HttpResponse:
    def release(project, assignment, version):
        slot = services.assignment_release(assignment=assignment, by=request.user,
                                           expected_version=version)
        return (f"Slot {slot.slot + 1} of {slot.clip.name} is open again; the previous holder's "
                "draft is kept.")

    return _slot_change(request, slug, assignment_id, release)
