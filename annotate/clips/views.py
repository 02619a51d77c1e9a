"""Clip pages and htmx endpoints: upload with per-file results, the subtitle track as WebVTT,
retry and delete (managers). A clip's history page is review's (annotate/review/views.py): in
a blind project it names the annotators as the review screen does."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from annotate.clips import selectors as clips_selectors
from annotate.clips import services as clip_services
from annotate.core import selectors as core_selectors
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


@login_required
@require_GET
def clip_subtitles_vtt(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    project, _ = core_selectors.project_get_for_user(slug=slug, user=request.user)
    clip = clips_selectors.clip_get(project=project, name=name)
    segments = clip.subtitle_segments
    if not segments and clip.subtitle_text and clip.duration_ms:
        segments = [{"start_ms": 0, "end_ms": clip.duration_ms, "text": clip.subtitle_text}]
    lines = ["WEBVTT", ""]
    for n, seg in enumerate(segments, 1):
        text = seg["text"].replace("-->", "->")
        lines += [str(n), f"{_vtt_time(seg['start_ms'])} --> {_vtt_time(seg['end_ms'])}", text, ""]
    response = HttpResponse("\n".join(lines), content_type="text/vtt; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    return response


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
