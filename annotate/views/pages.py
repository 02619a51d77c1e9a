"""htmx pages: projects, clips, upload with live ingestion status."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from annotate.models import Clip, Membership, ModelRun, Proposal, ScoreJob
from annotate.selectors import projects as selectors
from annotate.selectors.annotations import annotation_list_for_annotator
from annotate.services import clips as clip_services
from annotate.services import scores as score_services
from annotate.views.runs import run_start_context, runs_with_progress

UPLOAD_ROLES = (Membership.Role.MANAGER,)


@login_required
@require_GET
def project_list(request: HttpRequest) -> HttpResponse:
    projects = selectors.project_list_for_user(user=request.user)
    return render(request, "home/project_list.html", {"projects": projects})


def _clip_rows_context(project) -> dict:
    clips = list(selectors.clip_list(project=project))
    counts = {status: 0 for status in Clip.Status.values}
    for clip in clips:
        counts[clip.status] += 1
    return {"clips": clips, "counts": counts,
            "busy": counts[Clip.Status.PENDING] + counts[Clip.Status.INGESTING] > 0}


@login_required
@require_GET
def project_detail(request: HttpRequest, slug: str) -> HttpResponse:
    project, role = selectors.project_get_for_user(slug=slug, user=request.user)
    sees_runs = selectors.model_output_visible(project=project, role=role)
    runs = runs_with_progress(project) if sees_runs else []
    mine = list(annotation_list_for_annotator(project=project, annotator=request.user))
    context = {"project": project, "role": role, "can_upload": role in UPLOAD_ROLES, "mine": mine,
               "runs": runs, "sees_runs": sees_runs, "busy_runs": any(r.status == ModelRun.Status.RUNNING for r in runs),
               **run_start_context(role), **_clip_rows_context(project)}
    return render(request, "home/project_detail.html", context)


@login_required
@require_GET
def clip_rows(request: HttpRequest, slug: str) -> HttpResponse:
    project, role = selectors.project_get_for_user(slug=slug, user=request.user)
    context = {"project": project, "role": role, "can_upload": role in UPLOAD_ROLES,
               **run_start_context(role), **_clip_rows_context(project)}
    return render(request, "home/partials/clip_rows.html", context)


@login_required
@require_POST
def clip_upload(request: HttpRequest, slug: str) -> HttpResponse:
    project, role = selectors.project_get_for_user(slug=slug, user=request.user)
    if role not in UPLOAD_ROLES:
        return render(request, "clips/partials/upload_results.html",
                      {"error": "Only a project manager can upload clips."}, status=403)
    files = request.FILES.getlist("files")
    if not files:
        return render(request, "clips/partials/upload_results.html",
                      {"error": "Choose at least one video file to upload."}, status=400)
    results = clip_services.clips_upload(
        project=project, files=files, subtitles=request.FILES.getlist("subtitles"),
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
    response = render(request, "clips/partials/upload_results.html",
                      {"results": results, "project": project}, status=status)
    response["HX-Trigger"] = "clips-changed"
    response["X-Upload-Results"] = "1"  # upload.js shows a 503 that carries them
    return response


@login_required
@require_GET
def clip_detail(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    project, role = selectors.project_get_for_user(slug=slug, user=request.user)
    clip = selectors.clip_get(project=project, name=name)
    proposals = [] if not selectors.model_output_visible(project=project, role=role) else list(
        clip.proposals.filter(status=Proposal.Status.DONE).select_related("run")
        .prefetch_related("cues").order_by("-run__created_at")
    )
    return render(request, "clips/clip_detail.html",
                  {"project": project, "clip": clip, "role": role, "proposals": proposals,
                   "can_manage": role in UPLOAD_ROLES})


def _vtt_time(ms: int) -> str:
    hours, rest = divmod(max(ms, 0), 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


@login_required
@require_GET
def clip_subtitles_vtt(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    project, _ = selectors.project_get_for_user(slug=slug, user=request.user)
    clip = selectors.clip_get(project=project, name=name)
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
    project, _ = selectors.project_get_for_user(slug=slug, user=request.user, roles=UPLOAD_ROLES)
    clip = selectors.clip_get(project=project, name=name)
    try:
        clip_services.clip_ingest_retry(clip=clip)
    except clip_services.ClipRejected as error:
        return HttpResponse(error.message, status=409)
    return redirect("clip-detail", slug=project.slug, name=clip.name)


@login_required
@require_POST
def clip_delete(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    project, _ = selectors.project_get_for_user(slug=slug, user=request.user, roles=UPLOAD_ROLES)
    clip = selectors.clip_get(project=project, name=name)
    clip_services.clip_delete(clip=clip)
    return redirect("project-detail", slug=project.slug)


SCORE_ROLES = (Membership.Role.MANAGER, Membership.Role.REVIEWER)


def _score_rows_context(project) -> dict:
    jobs = list(ScoreJob.objects.filter(project=project).defer("gold", "predicted")[:50])
    return {"jobs": jobs, "busy": any(not job.is_settled for job in jobs)}


@login_required
@require_GET
def score_list(request: HttpRequest, slug: str) -> HttpResponse:
    project, role = selectors.project_get_for_user(slug=slug, user=request.user)
    return render(request, "scoring/score_list.html",
                  {"project": project, "role": role, "can_score": role in SCORE_ROLES,
                   **_score_rows_context(project)})


@login_required
@require_GET
def score_rows(request: HttpRequest, slug: str) -> HttpResponse:
    project, _ = selectors.project_get_for_user(slug=slug, user=request.user)
    return render(request, "scoring/partials/score_rows.html",
                  {"project": project, **_score_rows_context(project)})


@login_required
@require_POST
def score_create(request: HttpRequest, slug: str) -> HttpResponse:
    project, role = selectors.project_get_for_user(slug=slug, user=request.user)

    def answer(message: str, status: int) -> HttpResponse:
        return render(request, "core/partials/form_message.html",
                      {"message": message, "ok": status < 400}, status=status)

    if role not in SCORE_ROLES:
        return answer("Only managers and reviewers can score runs.", 403)
    gold, predicted = request.FILES.get("gold"), request.FILES.get("predicted")
    if gold is None or predicted is None:
        return answer("Choose both a gold cue file and a predicted cue file.", 400)
    try:
        tau = float(request.POST.get("tau") or 0.5)
    except ValueError:
        return answer(f"tau must be a number, not {request.POST.get('tau')!r}.", 400)
    try:
        job = score_services.score_job_create(
            project=project, gold=gold.read(), predicted=predicted.read(),
            gold_filename=gold.name, predicted_filename=predicted.name,
            label=request.POST.get("label", ""), mode=request.POST.get("mode", "strict"),
            variants=request.POST.getlist("variants"), tau=tau,
            ci=request.POST.get("ci") == "on", created_by=request.user,
        )
    except score_services.ScoreRejected as error:
        return answer(error.message, 422)
    response = answer(f"Queued: {job}.", 202)
    response["HX-Trigger"] = "scores-changed"
    return response
