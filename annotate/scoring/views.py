"""Scoring pages. Score jobs: upload a gold and a predicted cue file and watch the score come
in (managers and reviewers; other members read them, but annotators of a blind project get a
404, as for the leaderboard: scores of runs are model output).

The leaderboard: each finished run and each annotator (the human row) scored live with
EmoCue-360 against the working gold or a frozen version. Members see it; annotators only when
the project is not blind. The rows partial polls itself twice a second (a change must show
within 2 s) and answers 204, after one query, when nothing changed since the token it was
drawn at. Plots are inline SVG drawn here, no JavaScript."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from annotate.core.errors import errors_sentence
from annotate.core.models import Membership, Project
from annotate.core.selectors import project_get_for_model_output
from annotate.scoring import selectors
from annotate.scoring import services as scoring_services
from annotate.scoring.comparison import learned_comparisons
from annotate.scoring.inputs import ScoreJobInput, cue_file_too_large
from annotate.scoring.models import ScoreJob
from inference.emocue360 import MODALITIES, MODES, VARIANTS

SCORE_ROLES = (Membership.Role.MANAGER, Membership.Role.REVIEWER)


def _score_rows_context(project) -> dict:
    jobs = list(ScoreJob.objects.filter(project=project).defer("gold", "predicted")[:50])
    return {"jobs": jobs, "busy": any(not job.is_settled for job in jobs)}


@login_required
@require_GET
def score_list(request: HttpRequest, slug: str) -> HttpResponse:
    project, role = project_get_for_model_output(slug=slug, user=request.user)
    return render(
        request,
        "scoring/score_list.html",
        {
            "project": project,
            "role": role,
            "can_score": role in SCORE_ROLES,
            **_score_rows_context(project),
        },
    )


@login_required
@require_GET
def score_rows(request: HttpRequest, slug: str) -> HttpResponse:
    project, _ = project_get_for_model_output(slug=slug, user=request.user)
    return render(
        request,
        "scoring/partials/score_rows.html",
        {"project": project, **_score_rows_context(project)},
    )


@login_required
@require_POST
def score_create(request: HttpRequest, slug: str) -> HttpResponse:
    project, role = project_get_for_model_output(slug=slug, user=request.user)

    def answer(message: str, status: int) -> HttpResponse:
        return render(
            request,
            "core/partials/form_message.html",
            {"message": message, "ok": status < 400},
            status=status,
        )

    if role not in SCORE_ROLES:
        return answer("Only managers and reviewers can score runs.", 403)
    post = request.POST
    fields = {
        "gold": request.FILES.get("gold"),
        "predicted": request.FILES.get("predicted"),
        "label": post.get("label", ""),
        "variants": post.getlist("variants"),
        "ci": post.get("ci") == "on",
    }  # an unticked box is not sent
    fields |= {key: post[key] for key in ("mode", "tau") if post.get(key)}
    form = ScoreJobInput(data={key: value for key, value in fields.items() if value is not None})
    if not form.is_valid():
        return answer(errors_sentence(form.errors), 400)
    data = form.validated_data
    too_large = cue_file_too_large(data)
    if too_large:
        return answer(too_large, 413)
    try:
        job = scoring_services.score_job_create(
            project=project,
            gold=data["gold"].read(),
            predicted=data["predicted"].read(),
            gold_filename=data["gold"].name,
            predicted_filename=data["predicted"].name,
            label=data["label"] if "label" in data else "",
            mode=data["mode"],
            variants=sorted(data.get("variants", [])),
            tau=data["tau"],
            ci=data["ci"],
            created_by=request.user,
        )
    except scoring_services.ScoreRejected as error:
        return answer(error.message, error.http_status)
    response = answer(f"Queued: {job}.", 202)
    response["HX-Trigger"] = "scores-changed"
    return response


POLL_MS = 500  # worst case in a browser: the computation plus half a second


COLORS = {"visual": "#2457a6", "auditory": "#2b8a3e", "emotional": "#c2255c", "overall": "#1d232b"}


BARS = {"left": 190, "plot": 420, "bar": 9, "gap": 2, "row_gap": 12, "top": 22}


HIST = {"width": 520, "height": 200, "left": 40, "top": 14, "bottom": 34, "bins": 10}


def _project(request: HttpRequest, slug: str) -> tuple[Project, str]:
    return project_get_for_model_output(slug=slug, user=request.user)


def _choice(request: HttpRequest, name: str, allowed, default: str) -> str:
    value = request.GET.get(name, default)
    if value not in allowed:
        raise Http404(f"{name} must be one of {', '.join(allowed)}.")
    return value


def _rows_context(project: Project, gold_set, variant: str) -> dict:
    every_row = selectors.leaderboard_rows(project=project, gold_set=gold_set, variant=variant)
    busy = any(r.busy for r in every_row)
    rows = [r for r in every_row if r.scorable]
    return {
        "project": project,
        "rows": rows,
        "not_scorable": [r for r in every_row if not r.scorable],
        "variant": variant,
        "busy": busy,
        "poll_ms": POLL_MS,
        "gold_version": gold_set.version if gold_set else "working",
        "token": selectors.leaderboard_token(project=project, gold_set=gold_set),
        "bars": _bars(rows),
        "modalities": MODALITIES,
        "comparisons": learned_comparisons(project=project, gold_set=gold_set, variant=variant),
    }


@login_required
@require_GET
def leaderboard_page(request: HttpRequest, slug: str) -> HttpResponse:
    project, role = _project(request, slug)
    gold_set = selectors.gold_set_for(project=project, version=request.GET.get("gold"))
    variant = _choice(request, "variant", VARIANTS, "paper")
    context = _rows_context(project, gold_set, variant)
    context.update(
        role=role, versions=selectors.gold_set_versions(project=project), variants=VARIANTS
    )
    return render(request, "scoring/leaderboard.html", context)


@login_required
@require_GET
def leaderboard_rows(request: HttpRequest, slug: str) -> HttpResponse:
    project, _ = _project(request, slug)
    gold_set = selectors.gold_set_for(project=project, version=request.GET.get("gold"))
    variant = _choice(request, "variant", VARIANTS, "paper")
    since = request.GET.get("since")
    if since and since == selectors.leaderboard_token(project=project, gold_set=gold_set):
        return HttpResponse(status=204)  # htmx keeps what it shows, and keeps polling
    return render(
        request, "scoring/partials/leaderboard_rows.html", _rows_context(project, gold_set, variant)
    )


@login_required
@require_GET
def leaderboard_row(request: HttpRequest, slug: str, row_id: int) -> HttpResponse:
    project, _ = _project(request, slug)
    score = selectors.run_score_get(project=project, row_id=row_id)
    mode = _choice(request, "mode", MODES, "strict")
    variant = _choice(request, "variant", VARIANTS, "paper")
    key = _choice(request, "modality", (*MODALITIES, "overall"), "overall")
    samples = selectors.sample_scores(score=score, mode=mode, variant=variant, key=key)
    return render(
        request,
        "scoring/leaderboard_row.html",
        {
            "project": project,
            "score": score,
            "label": selectors.run_score_label(score),
            "mode": mode,
            "variant": variant,
            "key": key,
            "samples": samples,
            "worst": samples[:25],
            "hist": _histogram(samples),
            "modes": MODES,
            "variants": VARIANTS,
            "keys": (*MODALITIES, "overall"),
            "color": COLORS[key],
            "gold_version": score.gold_set.version if score.gold_set else "working",
        },
    )


@login_required
@require_GET
def leaderboard_sample(request: HttpRequest, slug: str, row_id: int, name: str) -> HttpResponse:
    project, _ = _project(request, slug)
    score = selectors.run_score_get(project=project, row_id=row_id)
    sample = selectors.sample_matches_get(score=score, name=name)
    return render(
        request,
        "scoring/leaderboard_sample.html",
        {
            "project": project,
            "score": score,
            "label": selectors.run_score_label(score),
            "sample": sample,
            "gold_version": score.gold_set.version if score.gold_set else "working",
        },
    )


def _x(value: float) -> float:
    return round(BARS["left"] + max(0.0, min(1.0, value)) * BARS["plot"], 1)


def _bars(rows) -> dict:
    """Per row, one horizontal bar per modality and overall (strict F1) with its 95 % CI
    as a whisker."""
    keys = (*MODALITIES, "overall")
    group_h = len(keys) * (BARS["bar"] + BARS["gap"]) + BARS["row_gap"]
    groups = []
    for i, row in enumerate(rows):
        top = BARS["top"] + i * group_h
        bars = []
        for j, key in enumerate(keys):
            cell = row.cells.get(key) or {}
            y = top + j * (BARS["bar"] + BARS["gap"])
            f1 = cell.get("f1")
            bar = {
                "key": key,
                "y": y,
                "h": BARS["bar"],
                "mid": y + BARS["bar"] / 2,
                "y2": y + BARS["bar"],
                "text_y": y + BARS["bar"] - 1,
                "color": COLORS[key],
                "f1": f1,
                "x0": BARS["left"],
            }
            if f1 is not None:
                bar["w"] = round(_x(f1) - BARS["left"], 1)
                bar["label_x"] = _x(f1) + 4
                if cell.get("lo") is not None:
                    bar.update(
                        lo=_x(cell["lo"]), hi=_x(cell["hi"]), lo_v=cell["lo"], hi_v=cell["hi"]
                    )
            bars.append(bar)
        groups.append(
            {
                "row": row,
                "bars": bars,
                "label_y": top + 2 * (BARS["bar"] + BARS["gap"]),
                "sep_y": top + group_h - BARS["row_gap"] / 2,
            }
        )
    height = BARS["top"] + max(len(rows), 1) * group_h + 6
    ticks = [{"value": v, "x": _x(v)} for v in (0, 0.25, 0.5, 0.75, 1)]
    return {
        "groups": groups,
        "height": height,
        "width": BARS["left"] + BARS["plot"] + 50,
        "ticks": ticks,
        "label_x": BARS["left"] - 8,
        "axis_y": BARS["top"] - 8,
        "legend": [
            {"key": k, "color": COLORS[k], "x": BARS["left"] + i * 90} for i, k in enumerate(keys)
        ],
        "top": BARS["top"] - 4,
        "bottom": height - 4,
    }


def _histogram(samples: list[dict]) -> dict:
    """Per-sample F1 in 10 bins over [0, 1] (1.0 falls in the last)."""
    n_bins = HIST["bins"]
    counts = [0] * n_bins
    for s in samples:
        counts[min(int(s["f1"] * n_bins), n_bins - 1) if s["f1"] > 0 else 0] += 1
    plot_w = HIST["width"] - HIST["left"] - 10
    plot_h = HIST["height"] - HIST["top"] - HIST["bottom"]
    base = HIST["top"] + plot_h
    peak = max(counts) or 1
    slot = plot_w / n_bins
    bins = []
    for i, count in enumerate(counts):
        h = round(count / peak * plot_h, 1)
        x = round(HIST["left"] + i * slot + 1, 1)
        bins.append(
            {
                "x": x,
                "y": round(base - h, 1),
                "w": round(slot - 2, 1),
                "h": h,
                "count": count,
                "lo": i / n_bins,
                "hi": (i + 1) / n_bins,
                "mid": round(x + (slot - 2) / 2, 1),
                "label_y": round(base - h - 3, 1),
            }
        )
    ticks = [{"value": i / 5, "x": round(HIST["left"] + i / 5 * plot_w, 1)} for i in range(6)]
    mean = sum(s["f1"] for s in samples) / len(samples) if samples else None
    return {
        "bins": bins,
        "ticks": ticks,
        "width": HIST["width"],
        "height": HIST["height"],
        "base": base,
        "left": HIST["left"],
        "right": HIST["left"] + plot_w,
        "tick_y": base + 14,
        "caption_y": base + 28,
        "n": len(samples),
        "mean": mean,
        "mean_x": round(HIST["left"] + mean * plot_w, 1) if mean is not None else None,
        "top": HIST["top"],
    }
