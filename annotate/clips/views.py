"""Clip pages and htmx endpoints: upload with per-file results, the subtitle track as WebVTT,
the clip page's subtitle card and the timeline's subtitle lane (both poll while the subtitle is
read from the picture), a manager's correction, replacement file and new reading of the
subtitle, retry and delete (managers). A clip's history page is review's
(annotate/review/views.py): in a blind project it names the annotators as the review screen
does."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from annotate.clips import selectors as clips_selectors
from annotate.clips import services as clip_services
from annotate.clips import subtitles as subtitle_services
from annotate.clips.inputs import SubtitleCorrectInput, SubtitleFileInput
from annotate.clips.models import Clip, SubtitleSource
from annotate.core import selectors as core_selectors
from annotate.core.errors import DomainError, errors_sentence
from annotate.core.models import Membership

UPLOAD_ROLES = (Membership.Role.MANAGER,)


@login_required
@require_POST
def clip_upload(request: HttpRequest, slug: str) -> HttpResponse:
    project, role = core_selectors.project_get_for_user(slug=slug, user=request.user)
    if role not in UPLOAD_ROLES:
        return render(
            request,
            "clips/partials/upload_results.html",
            {"error": "Only a project manager can upload clips."},
            status=403,
        )
    files = request.FILES.getlist("files")
    if not files:
        return render(
            request,
            "clips/partials/upload_results.html",
            {"error": "Choose at least one video file to upload."},
            status=400,
        )
    results = clip_services.clips_upload(
        project=project,
        files=files,
        subtitles=request.FILES.getlist("subtitles"),
        # One per file, in the files' order (upload.js adds them when files are chosen).
        names=request.POST.getlist("names"),
        created_by=request.user,
    )
    created = [r for r in results if r.ok]
    if created:
        status = 201 if len(created) == len(results) else 207
    elif all(r.code == "duplicate" for r in results):
        status = 409
    elif all(r.code == "too_large" for r in results):
        status = 413
    elif any(r.code == "queue_unavailable" for r in results):
        status = 503
    else:
        status = 422
    response = render(
        request,
        "clips/partials/upload_results.html",
        {"results": results, "project": project},
        status=status,
    )
    response["HX-Trigger"] = "clips-changed"
    response["X-Upload-Results"] = "1"  # upload.js shows a 503 that carries them
    return response


def _vtt_time(ms: int) -> str:
    hours, rest = divmod(max(ms, 0), 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _vtt_text(text: str) -> str:
    """Cue text on one line, escaped as WebVTT needs (which also keeps "-->" out of it)."""
    one_line = " ".join(text.split())
    return one_line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def subtitle_vtt(clip: Clip) -> str:
    """The clip's subtitle as the player's WebVTT track. A subtitle read from the picture says
    so in a NOTE, and each cue's identifier carries the reading's confidence; a chinese text
    kept beside the english one is a second cue over the whole clip, so both show."""
    lines = ["WEBVTT", ""]
    if clip.subtitle_source == SubtitleSource.OCR:
        corrected = (
            " Corrected by a manager; a cue without a confidence has words a person wrote."
            if clip.subtitle_corrected_at
            else ""
        )
        lines += [
            "NOTE Read from the picture (OCR of the burned-in subtitle). Each cue's "
            f"identifier gives the reading's confidence, 0 to 1.{corrected}",
            "",
        ]
    segments = clip.subtitle_segments
    if not segments and clip.subtitle_text and clip.duration_ms:
        segments = [{"start_ms": 0, "end_ms": clip.duration_ms, "text": clip.subtitle_text}]
    for n, seg in enumerate(segments, 1):
        cue_id = str(n)
        if seg.get("confidence") is not None:
            cue_id += f" (OCR confidence {seg['confidence']:.2f})"
        lines += [
            cue_id,
            f"{_vtt_time(seg['start_ms'])} --> {_vtt_time(seg['end_ms'])}",
            _vtt_text(seg["text"]),
            "",
        ]
    if clip.subtitle_chinese and clip.duration_ms:
        lines += [
            "chinese",
            f"{_vtt_time(0)} --> {_vtt_time(clip.duration_ms)}",
            _vtt_text(clip.subtitle_chinese),
            "",
        ]
    return "\n".join(lines)


@login_required
@require_GET
def clip_subtitles_vtt(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    project, _ = core_selectors.project_get_for_user(slug=slug, user=request.user)
    clip = clips_selectors.clip_get(project=project, name=name)
    response = HttpResponse(subtitle_vtt(clip), content_type="text/vtt; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    return response


SUBTITLE_CARD = "clips/partials/subtitle_card.html"
SUBTITLE_LANE = "clips/partials/subtitle_lane.html"
SUBTITLE_VIEW = "clips/partials/subtitle_view.html"


def _seconds(ms: int) -> str:
    return f"{ms / 1000:.3f}"


def _form_rows(clip: Clip) -> list[dict]:
    return [
        {"start": _seconds(s["start_ms"]), "end": _seconds(s["end_ms"]), "text": s["text"]}
        for s in clip.subtitle_segments
    ]


def _subtitle_card(
    request: HttpRequest,
    project,
    role: str,
    clip: Clip,
    *,
    status: int = 200,
    message: str = "",
    ok: bool = True,
    form: dict | None = None,
) -> HttpResponse:
    """The clip page's subtitle card; `form` (what a refused correction sent) keeps the
    manager's rows and text in the form, opened, beside the message."""
    context = subtitle_card_context(project=project, role=role, clip=clip, form=form)
    return render(request, SUBTITLE_CARD, {**context, "message": message, "ok": ok}, status=status)


def subtitle_card_context(*, project, role: str, clip: Clip, form: dict | None = None) -> dict:
    """What the subtitle card needs (the clip page includes it)."""
    timed = bool(clip.subtitle_segments) or not clip.subtitle_text
    return {
        "project": project,
        "clip": clip,
        "can_manage": role in UPLOAD_ROLES,
        "subtitle": clips_selectors.clip_subtitle_summary(clip=clip),
        "form": form
        or {
            "mode": "segments" if timed else "text",
            "rows": _form_rows(clip),
            "text": clip.subtitle_text,
            "chinese": clip.subtitle_chinese,
            "version": clip.subtitle_version,
            "open": False,
        },
    }


@login_required
@require_GET
def clip_subtitle_card(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    project, role = core_selectors.project_get_for_user(slug=slug, user=request.user)
    clip = clips_selectors.clip_get(project=project, name=name)
    if request.GET.get("part") == "view" and clip.subtitle_reading:
        # Still reading: only the polled part, so the manager's tools (a file being chosen)
        # stay as they are.
        return render(
            request,
            SUBTITLE_VIEW,
            {
                "project": project,
                "clip": clip,
                "subtitle": clips_selectors.clip_subtitle_summary(clip=clip),
            },
        )
    response = _subtitle_card(request, project, role, clip)
    if request.GET.get("part") == "view":  # the reading ended: the whole card, tools included
        response["HX-Retarget"] = "#subtitle"
        response["HX-Reswap"] = "outerHTML"
    return response


@login_required
@require_GET
def clip_subtitle_lane(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    """The subtitle lane of the timeline and review pages, which poll it while the subtitle is
    read from the picture."""
    project, _ = core_selectors.project_get_for_user(slug=slug, user=request.user)
    clip = clips_selectors.clip_get(project=project, name=name)
    return render(request, SUBTITLE_LANE, {"project": project, "clip": clip})


class _FormProblem(ValueError):
    """A field of the page's form that is not what the correction takes."""


MAX_SECONDS = Decimal(10**7)


def _ms_from_seconds(value: str, where: str) -> int:
    text = value.strip().replace(",", ".")
    try:
        seconds = Decimal(text)
    except InvalidOperation:
        raise _FormProblem(
            f"{where} “{value[:20]}” is not a time in seconds (such as 1.25)."
        ) from None
    if not seconds.is_finite() or seconds < 0 or seconds > MAX_SECONDS:
        raise _FormProblem(f"{where} “{value[:20]}” is not a time in seconds from 0.")
    return int((seconds * 1000).to_integral_value(rounding=ROUND_HALF_UP))


def _correction_form(post) -> dict:
    """The correction form as the manager filled it, shown again when it is refused."""
    rows = [
        {"start": start, "end": end, "text": text}
        for start, end, text in zip(
            post.getlist("start"), post.getlist("end"), post.getlist("text"), strict=False
        )
    ]
    return {
        "mode": "text" if post.get("mode") == "text" else "segments",
        "rows": rows,
        "text": post.get("whole_text", ""),
        "chinese": post.get("chinese"),  # None: the form had no chinese field
        "version": post.get("version", ""),
        "open": True,
    }


def _correction_data(form: dict) -> dict:
    """The correction the page's form sends, as SubtitleCorrectInput takes it (times in ms). A
    row left wholly blank is no segment (the form offers one to add)."""
    data: dict = {"version": form["version"]}
    if form["chinese"] is not None:
        data["chinese"] = form["chinese"]
    if form["mode"] == "text":
        return {**data, "text": form["text"]}
    segments = []
    for number, row in enumerate(form["rows"], start=1):
        if not (row["start"].strip() or row["end"].strip() or row["text"].strip()):
            continue
        where = f"Segment {number}"
        if not row["start"].strip() or not row["end"].strip():
            raise _FormProblem(f"{where} needs a start and an end time (in seconds).")
        segments.append(
            {
                "start_ms": _ms_from_seconds(row["start"], f"{where}: start"),
                "end_ms": _ms_from_seconds(row["end"], f"{where}: end"),
                "text": row["text"],
            }
        )
    return {**data, "segments": segments}


def _manager_only(request, project, role, clip, action: str) -> HttpResponse | None:
    if role in UPLOAD_ROLES:
        return None
    return _subtitle_card(
        request,
        project,
        role,
        clip,
        status=403,
        ok=False,
        message=f"Only a project manager can {action}.",
    )


def _done(request, project, role, clip, message: str, *, status: int = 200) -> HttpResponse:
    if request.htmx:
        return _subtitle_card(request, project, role, clip, status=status, message=message)
    return redirect(reverse("clip-detail", args=[project.slug, clip.name]) + "#subtitle")


@login_required
@require_POST
def clip_subtitle_correct(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    project, role = core_selectors.project_get_for_user(slug=slug, user=request.user)
    clip = clips_selectors.clip_get(project=project, name=name)
    refused = _manager_only(request, project, role, clip, "correct the subtitle")
    if refused:
        return refused
    form = _correction_form(request.POST)
    try:
        data = _correction_data(form)
    except _FormProblem as problem:
        return _subtitle_card(
            request, project, role, clip, status=400, ok=False, message=str(problem), form=form
        )
    fields = SubtitleCorrectInput(data=data)
    if not fields.is_valid():
        return _subtitle_card(
            request,
            project,
            role,
            clip,
            status=400,
            ok=False,
            message=errors_sentence(fields.errors),
            form=form,
        )
    values = fields.validated_data
    try:
        clip = subtitle_services.clip_subtitle_correct(
            clip=clip,
            by=request.user,
            version=values["version"],
            segments=values.get("segments"),
            text=values.get("text"),
            chinese=values.get("chinese"),
        )
    except DomainError as error:
        return _subtitle_card(
            request,
            project,
            role,
            clip,
            status=error.http_status,
            ok=False,
            message=error.message,
            form=form,
        )
    return _done(request, project, role, clip, "The subtitle is corrected.")


@login_required
@require_POST
def clip_subtitle_replace(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    project, role = core_selectors.project_get_for_user(slug=slug, user=request.user)
    clip = clips_selectors.clip_get(project=project, name=name)
    refused = _manager_only(request, project, role, clip, "replace the subtitle")
    if refused:
        return refused
    fields = SubtitleFileInput(data=request.FILES)
    if not fields.is_valid():
        return _subtitle_card(
            request,
            project,
            role,
            clip,
            status=400,
            ok=False,
            message="Choose a subtitle file (SRT, WebVTT or text) to replace the subtitle with.",
        )
    upload = fields.validated_data["file"]
    try:
        clip = subtitle_services.clip_subtitle_replace(
            clip=clip,
            by=request.user,
            data=clip_services.subtitle_upload_read(upload),
            filename=upload.name or "",
        )
    except DomainError as error:
        return _subtitle_card(
            request,
            project,
            role,
            clip,
            status=error.http_status,
            ok=False,
            message=error.message,
        )
    return _done(request, project, role, clip, f"The subtitle is replaced by {upload.name}.")


@login_required
@require_POST
def clip_subtitle_read(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    project, role = core_selectors.project_get_for_user(slug=slug, user=request.user)
    clip = clips_selectors.clip_get(project=project, name=name)
    refused = _manager_only(request, project, role, clip, "have the subtitle read from the picture")
    if refused:
        return refused
    try:
        clip = subtitle_services.clip_subtitle_read_request(clip=clip, by=request.user)
    except DomainError as error:
        return _subtitle_card(
            request,
            project,
            role,
            clip,
            status=error.http_status,
            ok=False,
            message=error.message,
        )
    return _done(
        request,
        project,
        role,
        clip,
        "The subtitle is queued to be read from the picture; this card updates by itself.",
        status=202,
    )


@login_required
@require_POST
def clip_retry(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    project, _ = core_selectors.project_get_for_user(
        slug=slug, user=request.user, roles=UPLOAD_ROLES
    )
    clip = clips_selectors.clip_get(project=project, name=name)
    try:
        clip_services.clip_ingest_retry(clip=clip)
    except clip_services.ClipRejected as error:
        return HttpResponse(error.message, status=error.http_status)
    return redirect("clip-detail", slug=project.slug, name=clip.name)


@login_required
@require_POST
def clip_delete(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    project, _ = core_selectors.project_get_for_user(
        slug=slug, user=request.user, roles=UPLOAD_ROLES
    )
    clip = clips_selectors.clip_get(project=project, name=name)
    clip_services.clip_delete(clip=clip)
    return redirect("project-detail", slug=project.slug)
