"""The pages that gather every capability: the project list, a project's page (clips with live
ingestion status, runs, your own annotations) and a clip's page (media, facts, proposals)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from annotate.annotation.selectors import annotation_list_for_annotator
from annotate.clips import selectors as clips_selectors
from annotate.clips.models import Clip
from annotate.clips.views import UPLOAD_ROLES, subtitle_card_context
from annotate.core import selectors as core_selectors
from annotate.runs.models import ModelRun, Proposal
from annotate.runs.selectors import runs_with_progress
from annotate.runs.views import run_start_context


@login_required
@require_GET
def project_list(request: HttpRequest) -> HttpResponse:
    projects = core_selectors.project_list_for_user(user=request.user)
    return render(request, "home/project_list.html", {"projects": projects})


def _clip_rows_context(project) -> dict:
    clips = list(clips_selectors.clip_list(project=project))
    counts = {status: 0 for status in Clip.Status.values}
    for clip in clips:
        counts[clip.status] += 1
    return {
        "clips": clips,
        "counts": counts,
        # A subtitle read from the picture after ingestion keeps the table polling too.
        "busy": counts[Clip.Status.PENDING] + counts[Clip.Status.INGESTING] > 0
        or any(c.subtitle_reading for c in clips if c.status == Clip.Status.READY),
    }


@login_required
@require_GET
def project_detail(request: HttpRequest, slug: str) -> HttpResponse:
    project, role = core_selectors.project_get_for_user(slug=slug, user=request.user)
    sees_runs = core_selectors.model_output_visible(project=project, role=role)
    runs = list(runs_with_progress(project=project)[:20]) if sees_runs else []
    mine = list(annotation_list_for_annotator(project=project, annotator=request.user))
    context = {
        "project": project,
        "role": role,
        "can_upload": role in UPLOAD_ROLES,
        "mine": mine,
        "runs": runs,
        "sees_runs": sees_runs,
        "busy_runs": any(r.status == ModelRun.Status.RUNNING for r in runs),
        **run_start_context(role),
        **_clip_rows_context(project),
    }
    return render(request, "home/project_detail.html", context)


@login_required
@require_GET
def clip_rows(request: HttpRequest, slug: str) -> HttpResponse:
    project, role = core_selectors.project_get_for_user(slug=slug, user=request.user)
    context = {
        "project": project,
        "role": role,
        "can_upload": role in UPLOAD_ROLES,
        **run_start_context(role),
        **_clip_rows_context(project),
    }
    return render(request, "home/partials/clip_rows.html", context)


@login_required
@require_GET
def clip_detail(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    project, role = core_selectors.project_get_for_user(slug=slug, user=request.user)
    clip = clips_selectors.clip_get(project=project, name=name)
    # One proposal table, the run picked with ?run= (the newest by default); the picker lists
    # every run with a finished proposal for this clip.
    proposals = (
        []
        if not core_selectors.model_output_visible(project=project, role=role)
        else list(
            clip.proposals.filter(status=Proposal.Status.DONE)
            .select_related("run")
            .defer("timings", "emotions")
            .order_by("-run__created_at", "-run_id")
        )
    )
    picked = request.GET.get("run", "")
    proposal = next((p for p in proposals if str(p.run_id) == picked), None)
    if proposal is None and proposals:
        proposal = proposals[0]
    return render(
        request,
        "clips/clip_detail.html",
        {
            "project": project,
            "clip": clip,
            "role": role,
            "proposals": proposals,
            "proposal": proposal,
            "proposal_cues": list(proposal.cues.order_by("start_ms", "position"))
            if proposal
            else [],
            **subtitle_card_context(project=project, role=role, clip=clip),
        },
    )
