"""The review pages: the conflict-first queue of a project and the reviewer page of one clip,
where every alignment group is settled by an htmx request. Each write sends the gold record's
version the browser holds; a stale one is a 409 whose message offers to reload. Reviewers and
managers only: for annotators and non-members these pages do not exist (404).

A clip's history (reviewers and managers): its audit trail with word-level changes; in a
blind project, reviewers see the clip's annotators as the review screen names them.

The quality page: agreement between annotators and with gold, and rubber-stamp signs.
Reviewers and managers only; the body (seconds of embedding on a big project) loads by htmx
after the page shell. Charts are inline SVG drawn here, no JavaScript."""

import json
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from annotate.annotation import selectors as annotation_selectors
from annotate.annotation.models import Annotation
from annotate.clips.selectors import clip_audit_list, clip_get
from annotate.core.auth import htmx_login_required
from annotate.core.errors import DomainError, answers_refusals, errors_sentence
from annotate.core.history import PAGE_SIZE, PAGE_SIZES
from annotate.core.models import MANAGER_ROLES, Membership
from annotate.core.pagination import MAX_OFFSET, whole_number
from annotate.core.selectors import project_get_for_user
from annotate.review import inputs, services
from annotate.review import selectors as review_selectors
from annotate.review.alignment_queue import clip_alignments_queue
from annotate.review.judgements import metric_judgement_report
from annotate.review.models import GoldCue, GoldRecord, ReviewComment
from annotate.review.quality import ProjectQuality, project_quality_get
from annotate.review.selectors import clip_review_get, review_comments_list, review_queue_list

ROLES = (Membership.Role.REVIEWER, Membership.Role.MANAGER)


MESSAGE = "review/partials/review_message.html"


CHANGED = "review/partials/review_changed.html"


login_for_review = htmx_login_required(
    lambda request: _message(
        request, "Your session has ended: log in again, then redo the change.", 401, login=True
    )
)


def _message(
    request,
    message: str,
    status: int,
    *,
    reload: bool = False,
    login: bool = False,
    target: str = "#review-message",
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
    response["HX-Retarget"] = target
    response["HX-Reswap"] = "innerHTML"
    return response


def _refusal(request, error: DomainError) -> HttpResponse:
    """A refused write in the review's message bar; a stale one offers to reload."""
    return _message(request, error.message, error.http_status, reload=error.code == "stale")


answers_in_review = answers_refusals(_refusal)


def _project(request, slug: str):
    project, role = project_get_for_user(slug=slug, user=request.user, roles=ROLES)
    return project, role


def _clip(request, slug: str, name: str):
    project, role = _project(request, slug)
    clip = clip_get(project=project, name=name)
    clip.project = project  # already loaded: no second query
    return project, role, clip


def _base(slug: str, name: str) -> str:
    return reverse("review-clip", args=[slug, name])


def _review(clip):
    review = clip_review_get(clip=clip)
    if not review.annotations:
        raise Http404(
            f"No annotation of {clip.name} is submitted yet, so there is nothing to "
            "review; it joins the review queue with its first submission."
        )
    return review


def _int(value: str | None) -> int | None:
    if value in (None, ""):
        return None
    return int(round(float(value)))


@login_for_review
@require_http_methods(["GET", "POST"])
def review_queue(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the complete clips to review, most disagreement first, then those a worker is still
    aligning (asked again if missing) and those waiting for submissions. POST (managers):
    auto-promote every clip that qualifies, then the queue with what happened to each clip."""
    project, role = _project(request, slug)
    results, refusal = None, ""
    if request.method == "POST":
        if role != Membership.Role.MANAGER:
            refusal = "Only a manager of this project can run auto-promotion; ask one."
        elif not project.auto_promote_consensus:
            refusal = (
                "Auto-promotion is switched off for this project: a manager turns on "
                "“auto promote consensus” in the project's settings first."
            )
        else:
            results = services.gold_auto_promote_project(project=project, actor=request.user)
    rows = review_queue_list(project=project)
    clip_alignments_queue(keys={r.clip.pk: r.alignment_key for r in rows if r.aligning})
    return render(
        request,
        "review/review_queue.html",
        {
            "project": project,
            "role": role,
            "rows": [r for r in rows if r.state != "waiting"],
            "waiting": [r for r in rows if r.state == "waiting"],
            "results": results,
            "promoted": [r for r in results or [] if r.promoted],
            "refusal": refusal,
        },
        status=403 if refusal and role != Membership.Role.MANAGER else (409 if refusal else 200),
    )


def _context(review, slug: str, name: str, role: str) -> dict:
    return {
        "review": review,
        "project": review.project,
        "clip": review.clip,
        "role": role,
        "record": review.record,
        "base": _base(slug, name),
        "slug": slug,
        "clip_name": name,
        "editable": (
            review.record is not None and review.record.status == GoldRecord.Status.IN_REVIEW
        ),
    }


@login_for_review
@require_GET
def review_page(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    project, role, clip = _clip(request, slug, name)
    review = _review(clip)
    return render(request, "review/review.html", _context(review, slug, name, role))


@login_for_review
@require_GET
def review_workspace(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    project, role, clip = _clip(request, slug, name)
    review = _review(clip)
    return render(
        request, "review/partials/review_workspace.html", _context(review, slug, name, role)
    )


@login_for_review
@require_POST
@answers_in_review
def review_open(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    project, role, clip = _clip(request, slug, name)
    services.gold_record_open(clip=clip, reviewer=request.user)
    return redirect("review-clip", slug=slug, name=name)


@login_for_review
@require_POST
@answers_in_review
def annotation_send_back(
    request: HttpRequest, slug: str, name: str, annotation_id: int
) -> HttpResponse:
    """A reviewer or manager returns one submitted annotation of the clip to its annotator,
    with a comment; then the review page again (or the queue, when none is left submitted)."""
    project, role, clip = _clip(request, slug, name)
    annotation = (
        Annotation.objects.filter(pk=annotation_id, clip=clip)
        .select_related("clip", "clip__project", "annotator")
        .first()
    )
    if annotation is None:
        raise Http404("No such annotation of this clip.")
    form = inputs.SendBackInput(
        data={"version": request.POST.get("version"), "comment": request.POST.get("comment", "")}
    )
    if not form.is_valid():
        return _message(request, errors_sentence(form.errors), 400)
    services.annotation_send_back(
        annotation=annotation,
        by=request.user,
        comment=form.validated_data["comment"],
        expected_version=form.validated_data["version"],
    )
    left = Annotation.objects.filter(clip=clip, status=Annotation.Status.SUBMITTED).exists()
    response = HttpResponse(status=204)
    response["HX-Redirect"] = _base(slug, name) if left else reverse("review-queue", args=[slug])
    return response


@login_for_review
@require_POST
def annotation_take_back(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    """The annotator reopens their own submission (the timeline's Reopen, or Undo right after
    submitting); then its timeline, editable again. Refusals go to the timeline's message."""
    annotation = annotation_selectors.annotation_get_for_user(
        slug=slug, clip_name=name, user=request.user
    )
    form = inputs.TakeBackInput(data={"version": request.POST.get("version")})
    if not form.is_valid():
        return _message(request, errors_sentence(form.errors), 400, target="#timeline-message")
    try:
        services.annotation_take_back(
            annotation=annotation,
            user=request.user,
            expected_version=form.validated_data["version"],
        )
    except DomainError as error:
        return _message(
            request,
            error.message,
            error.http_status,
            reload=error.code == "stale",
            target="#timeline-message",
        )
    url = reverse("timeline", args=[slug, name])
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


# Each action validates with the API's serializer (annotate/review/inputs.py); the page only
# says where its fields are (the group key is a form field here and part of the API's URL).
ACTION_INPUTS = {
    "accept": inputs.ReviewAcceptInput,
    "merge": inputs.ReviewMergeInput,
    "reject": inputs.ReviewRejectInput,
    "undo": inputs.ReviewVersionInput,
    "cue-add": inputs.ReviewGoldCueInput,
    "cue-delete": inputs.ReviewVersionInput,
    "labels": inputs.ReviewLabelsInput,
    "finalize": inputs.ReviewVersionInput,
    "reopen": inputs.ReviewVersionInput,
}
ACTIONS = tuple(ACTION_INPUTS)
_FORM_FIELDS = (
    "version",
    "text",
    "start_ms",
    "end_ms",
    "note",
    "modality",
    "primary_label",
    "description",
)


def _form_data(action: str, post) -> dict:
    """The action's fields as the API takes them, from the review page's form."""
    data = {key: post.get(key) for key in _FORM_FIELDS if key in post}
    for key in ("start_ms", "end_ms"):
        if data.get(key) == "":
            data[key] = None  # an empty box: no time given (a whole-clip cue)
    if action == "accept":
        data["text"] = post.get("written", "").strip() or post.get("text", "")
    elif action == "merge":
        data["groups"] = post.getlist("groups")
    elif action == "labels":
        data["labels"] = post.getlist("labels") + post.get("extra_labels", "").split(",")
    return data


def _apply(action: str, request, record: GoldRecord, data: dict) -> tuple[GoldRecord, str]:
    post, user = request.POST, request.user
    args = {"record": record, "reviewer": user, "expected_version": data["version"]}
    if action == "accept":
        span = {"start_ms": data["start_ms"], "end_ms": data["end_ms"]}
        record = services.review_group_accept(
            **args,
            group_key=post.get("group", ""),
            text=data["text"] or None,
            **span,
            note=data["note"],
        )
        return record, "Accepted: the group has its gold cue."
    if action == "merge":
        span = {"start_ms": data["start_ms"], "end_ms": data["end_ms"]}
        record = services.review_groups_merge(
            **args, group_keys=data["groups"], text=data["text"], **span, note=data["note"]
        )
        return record, f"Merged {len(data['groups'])} groups into one gold cue."
    if action == "reject":
        record = services.review_group_reject(
            **args, group_key=post.get("group", ""), note=data["note"]
        )
        return record, "Rejected: none of the group's cues goes into the gold."
    if action == "undo":
        record = services.review_decision_undo(**args, group_key=post.get("group", ""))
        return record, "The group is undecided again."
    if action == "cue-add":
        record = services.gold_cue_add(
            **args,
            modality=data["modality"],
            text=data["text"],
            start_ms=data["start_ms"],
            end_ms=data["end_ms"],
        )
        return record, "Added your cue to the gold."
    if action == "cue-delete":
        cue = GoldCue.objects.filter(pk=_int(post.get("cue")) or 0, record=record).first()
        if cue is None:
            raise services.AnnotationRejected("That gold cue is gone already; reload the page.")
        record = services.gold_cue_delete(**args, gold_cue=cue)
        return record, "Deleted the gold cue; the groups it settled are undecided again."
    if action == "labels":
        record = services.gold_labels_set(
            **args,
            labels=data["labels"],
            primary_label=data["primary_label"],
            description=data["description"],
        )
        return record, "Saved the gold labels and reasoning."
    if action == "finalize":
        record = services.gold_record_finalize(**args)
        return record, "Final: this clip's gold is ready for gold sets."
    record = services.gold_record_reopen(**args)
    return record, "Reopened: the gold can be changed again."


@login_for_review
@require_POST
@answers_in_review
def review_action(request: HttpRequest, slug: str, name: str, action: str) -> HttpResponse:
    if action not in ACTIONS:
        return _message(request, f"Unknown review action {action!r}.", 404)
    project, role, clip = _clip(request, slug, name)
    record = GoldRecord.objects.filter(clip=clip).first()
    if record is None:
        return _message(
            request,
            "The review of this clip has not started yet; reload the page and "
            "press “Start the review”.",
            409,
            reload=True,
        )
    if not request.POST.get("version", "").isdigit():
        return _message(
            request,
            "The request did not say which version of the gold record you saw; reload the page.",
            400,
            reload=True,
        )
    form = ACTION_INPUTS[action](data=_form_data(action, request.POST))
    if not form.is_valid():
        return _message(request, errors_sentence(form.errors), 400)
    try:
        record, message = _apply(action, request, record, form.validated_data)
    except ValueError:  # a cue id that is not a number (refusals go to answers_in_review)
        return _message(request, "The cue to delete is not a number; reload the page.", 400)
    if action in ("finalize", "reopen"):  # the whole page changes between editable and read-only
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    review = _review(clip)
    response = render(request, CHANGED, _context(review, slug, name, role) | {"message": message})
    response["HX-Trigger"] = json.dumps({"review-changed": {"version": record.version}})
    return response


def _comments(request, slug: str, name: str, clip, message: str, status: int = 200) -> HttpResponse:
    comments = list(review_comments_list(clip=clip))
    return render(
        request,
        "review/partials/review_comments.html",
        {
            "comments": comments,
            "base": _base(slug, name),
            "slug": slug,
            "clip_name": name,
            "message": message,
        },
        status=status,
    )


@login_for_review
@require_POST
@answers_in_review
def review_comment(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    project, role, clip = _clip(request, slug, name)
    post = request.POST
    form = inputs.ReviewCommentInput(
        data={
            "text": post.get("text", ""),
            "cue": post.get("cue") or None,
            "time_ms": post.get("time_ms") or None,
        }
    )
    if not form.is_valid():
        return _message(request, errors_sentence(form.errors), 400)
    data, cue = form.validated_data, None
    if data["cue"] is not None:
        cue = review_selectors.clip_cue_get(clip=clip, cue_id=data["cue"])
        if cue is None:
            return _message(
                request, "That cue is not part of this clip; select a cue in a lane.", 422
            )
    services.review_comment_add(
        clip=clip, author=request.user, text=data["text"], cue=cue, time_ms=data["time_ms"]
    )
    return _comments(request, slug, name, clip, "Comment added.", 201)


@login_for_review
@require_POST
@answers_in_review
def review_comment_resolve(
    request: HttpRequest, slug: str, name: str, comment_id: int
) -> HttpResponse:
    project, role, clip = _clip(request, slug, name)
    comment = ReviewComment.objects.filter(pk=comment_id, clip=clip).select_related("clip").first()
    if comment is None:
        return _message(request, "No such comment on this clip; reload the page.", 404)
    services.review_comment_resolve(comment=comment, user=request.user)
    return _comments(request, slug, name, clip, "Comment resolved.")


QUALITY_ROLES = (Membership.Role.REVIEWER, Membership.Role.MANAGER)


BAR = {"width": 460, "height": 210, "left": 44, "top": 16, "bottom": 40, "slot": 100, "bar": 56}


HEAT = {"cell": 58, "left": 120, "top": 96}


ROC = {"size": 220, "left": 58, "top": 12, "bottom": 34}


@login_required
@require_GET
def clip_history(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    project, role = project_get_for_user(slug=slug, user=request.user, roles=ROLES)
    clip = clip_get(project=project, name=name)
    # Paged as the API pages it (limit and offset); "page" is still understood for old links.
    numbers = {}
    for key, default, low, high in (
        ("limit", PAGE_SIZE, 1, max(PAGE_SIZES)),
        ("offset", 0, 0, MAX_OFFSET),
        ("page", 1, 1, MAX_OFFSET),
    ):
        value = whole_number(request.GET.get(key), default=default, low=low, high=high)
        if value is None:
            raw = request.GET[key]
            return HttpResponse(
                f"{key} must be a whole number from {low} to {high}, not {raw[:40]!r}.",
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        numbers[key] = value
    offset = numbers["offset"] or (numbers["page"] - 1) * numbers["limit"]
    names = review_selectors.clip_history_names(clip=clip, role=role)
    history = clip_audit_list(
        clip=clip,
        object_type=request.GET.get("type") or None,
        actor=request.GET.get("actor") or None,
        limit=numbers["limit"],
        offset=offset,
        names=names,
        references=lambda events: review_selectors.clip_history_references(
            clip=clip, events=events, names=names
        ),
    )
    kept = {"type": history.object_type, "actor": history.actor, "limit": history.limit}
    kept = {key: value for key, value in kept.items() if value}

    def page_url(offset: int | None) -> str | None:
        return None if offset is None else "?" + urlencode({**kept, "offset": offset})

    return render(
        request,
        "review/clip_history.html",
        {
            "project": project,
            "clip": clip,
            "role": role,
            "history": history,
            "can_export": role in MANAGER_ROLES,
            "page_sizes": PAGE_SIZES,
            "previous_url": page_url(history.previous_offset),
            "next_url": page_url(history.next_offset),
        },
    )


@login_required
@require_GET
def quality_page(request: HttpRequest, slug: str) -> HttpResponse:
    project, role = project_get_for_user(slug=slug, user=request.user, roles=QUALITY_ROLES)
    return render(request, "review/quality.html", {"project": project, "role": role})


@login_required
@require_GET
def quality_body(request: HttpRequest, slug: str) -> HttpResponse:
    project, _ = project_get_for_user(slug=slug, user=request.user, roles=QUALITY_ROLES)
    quality = project_quality_get(project=project)
    metric = metric_judgement_report(project=project)
    return render(
        request,
        "review/partials/quality_body.html",
        {
            "project": project,
            "q": quality,
            "bars": _bar_chart(quality),
            "heat": _heat_map(quality),
            "metric": metric,
            "metric_rows": _metric_rows(metric),
            "roc": _roc_chart(metric),
        },
    )


RULE_WORDS = {
    "accepted_together": "accepted together",
    "merged": "merged",
    "edited": "edited",
    "kept_apart": "kept apart",
}


def _metric_rows(metric: dict) -> list[dict]:
    """The meta-evaluation table: one row per modality and overall (and, on each disagreement,
    its rule in words)."""
    for pair in metric["disagreements"]:
        pair["rule_words"] = RULE_WORDS.get(pair["rule"], pair["rule"])
    return [{"modality": m, **entry} for m, entry in metric["modalities"].items()]


def _roc_chart(metric: dict) -> dict | None:
    """The overall ROC curve of the metric's similarity against the judged pairs, with the
    points of the best threshold and of the project's; None without an AUC."""
    overall = metric["modalities"]["overall"]
    if overall["auc"] is None:
        return None
    size, left, top = ROC["size"], ROC["left"], ROC["top"]

    def point(fpr: float, tpr: float) -> tuple[float, float]:
        return round(left + fpr * size, 1), round(top + (1 - tpr) * size, 1)

    marks = []
    for key, label in (("best", "best"), ("at_threshold", "project")):
        rates = overall[key]
        x, y = point(rates["fpr"], rates["tpr"])
        marks.append(
            {
                "x": x,
                "y": y,
                "label": label,
                "threshold": rates["threshold"],
                "tpr": rates["tpr"],
                "fpr": rates["fpr"],
            }
        )
    ticks = [
        {"value": v, "x": point(v, 0)[0], "y": point(0, v)[1]} for v in (0, 0.25, 0.5, 0.75, 1)
    ]
    return {
        "points": " ".join(f"{x},{y}" for x, y in (point(f, t) for f, t in overall["roc"])),
        "marks": marks,
        "ticks": ticks,
        "left": left,
        "top": top,
        "right": left + size,
        "bottom": top + size,
        "width": left + size + 16,
        "height": top + size + ROC["bottom"],
        "tick_x": left - 6,
        "label_y": top + size + 16,
        "name_y": top + size + 30,
        "mid_x": left + size / 2,
        "mid_y": top + size / 2,
        "y_name_x": 14,
    }


def _bar_chart(quality: ProjectQuality) -> dict:
    """Mean pairwise F1 per modality as bars on a 0..1 axis."""
    plot_h = BAR["height"] - BAR["top"] - BAR["bottom"]
    base = BAR["top"] + plot_h
    bars = []
    for i, row in enumerate(quality.modality_rows):
        x = BAR["left"] + i * BAR["slot"] + (BAR["slot"] - BAR["bar"]) / 2
        value = row["mean"]
        h = round(max(value, 0.0) * plot_h, 1) if value is not None else 0
        bars.append(
            {
                "x": x,
                "y": round(base - h, 1),
                "h": h,
                "w": BAR["bar"],
                "mid": x + BAR["bar"] / 2,
                "label_y": round(base - h - 5, 1),
                "value": value,
                "n": row["n_pairs"],
                "modality": row["modality"],
                "overall": row["modality"] == "overall",
            }
        )
    ticks = [
        {"value": v, "y": round(base - v * plot_h, 1), "label_y": round(base - v * plot_h + 4, 1)}
        for v in (0, 0.25, 0.5, 0.75, 1)
    ]
    width = BAR["left"] + len(bars) * BAR["slot"] + 8
    return {
        "bars": bars,
        "ticks": ticks,
        "width": width,
        "height": BAR["height"],
        "left": BAR["left"],
        "tick_x": BAR["left"] - 6,
        "right": width - 4,
        "empty_y": base - 6,
        "name_y": base + 16,
        "n_y": base + 31,
    }


def _shade(value: float) -> str:
    """#eef3fb at 0 to the accent blue #2457a6 at 1."""
    value = min(max(value, 0.0), 1.0)
    low, high = (0xEE, 0xF3, 0xFB), (0x24, 0x57, 0xA6)
    return "#" + "".join(
        f"{round(a + (b - a) * value):02x}" for a, b in zip(low, high, strict=True)
    )


def _heat_map(quality: ProjectQuality) -> dict:
    """Annotator x annotator cells of pairwise overall F1, the value written in each."""
    cell, left, top = HEAT["cell"], HEAT["left"], HEAT["top"]
    rows = []
    for i, row in enumerate(quality.heat_rows):
        cells = []
        for j, c in enumerate(row["cells"]):
            f1 = c["f1"]
            cells.append(
                {
                    "x": left + j * cell,
                    "y": top + i * cell,
                    "tx": left + j * cell + cell / 2,
                    "ty": top + i * cell + cell / 2 + 5,
                    "self": c["self"],
                    "f1": f1,
                    "n_clips": c["n_clips"],
                    "other": c["other"].username,
                    "fill": "#e9ecef" if f1 is None else _shade(f1),
                    "ink": "#fff" if f1 is not None and f1 > 0.55 else "#1d232b",
                }
            )
        rows.append(
            {
                "username": row["annotator"].username,
                "label_y": top + i * cell + cell / 2 + 5,
                "cells": cells,
            }
        )
    n = len(rows)
    columns = [
        {"username": r["annotator"].username, "x": left + j * cell + cell / 2}
        for j, r in enumerate(quality.heat_rows)
    ]
    return {
        "rows": rows,
        "columns": columns,
        "cell": cell,
        "left": left,
        "top": top,
        "width": left + n * cell + 8,
        "height": top + n * cell + 8,
        "label_x": left - 8,
        "column_y": top - 8,
    }
