"""The quality page: agreement between annotators and with gold, and rubber-stamp signs.
Reviewers and managers only; the body (seconds of embedding on a big project) loads by htmx
after the page shell. Charts are inline SVG drawn here, no JavaScript."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from annotate.models import Membership
from annotate.selectors.projects import project_get_for_user
from annotate.selectors.quality import ProjectQuality, project_quality_get

QUALITY_ROLES = (Membership.Role.REVIEWER, Membership.Role.MANAGER)

BAR = {"width": 460, "height": 210, "left": 44, "top": 16, "bottom": 40, "slot": 100, "bar": 56}
HEAT = {"cell": 58, "left": 120, "top": 96}


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
    return render(request, "review/partials/quality_body.html",
                  {"project": project, "q": quality, "bars": _bar_chart(quality),
                   "heat": _heat_map(quality)})


def _bar_chart(quality: ProjectQuality) -> dict:
    """Mean pairwise F1 per modality as bars on a 0..1 axis."""
    plot_h = BAR["height"] - BAR["top"] - BAR["bottom"]
    base = BAR["top"] + plot_h
    bars = []
    for i, row in enumerate(quality.modality_rows):
        x = BAR["left"] + i * BAR["slot"] + (BAR["slot"] - BAR["bar"]) / 2
        value = row["mean"]
        h = round(max(value, 0.0) * plot_h, 1) if value is not None else 0
        bars.append({"x": x, "y": round(base - h, 1), "h": h, "w": BAR["bar"],
                     "mid": x + BAR["bar"] / 2,
                     "label_y": round(base - h - 5, 1), "value": value, "n": row["n_pairs"],
                     "modality": row["modality"], "overall": row["modality"] == "overall"})
    ticks = [{"value": v, "y": round(base - v * plot_h, 1),
              "label_y": round(base - v * plot_h + 4, 1)} for v in (0, 0.25, 0.5, 0.75, 1)]
    width = BAR["left"] + len(bars) * BAR["slot"] + 8
    return {"bars": bars, "ticks": ticks, "width": width, "height": BAR["height"],
            "left": BAR["left"], "tick_x": BAR["left"] - 6, "right": width - 4, "empty_y": base - 6,
            "name_y": base + 16,
            "n_y": base + 31}


def _shade(value: float) -> str:
    """#eef3fb at 0 to the accent blue #2457a6 at 1."""
    value = min(max(value, 0.0), 1.0)
    low, high = (0xEE, 0xF3, 0xFB), (0x24, 0x57, 0xA6)
    return "#" + "".join(f"{round(a + (b - a) * value):02x}" for a, b in zip(low, high))


def _heat_map(quality: ProjectQuality) -> dict:
    """Annotator x annotator cells of pairwise overall F1, the value written in each."""
    cell, left, top = HEAT["cell"], HEAT["left"], HEAT["top"]
    rows = []
    for i, row in enumerate(quality.heat_rows):
        cells = []
        for j, c in enumerate(row["cells"]):
            f1 = c["f1"]
            cells.append({
                "x": left + j * cell, "y": top + i * cell, "tx": left + j * cell + cell / 2,
                "ty": top + i * cell + cell / 2 + 5, "self": c["self"], "f1": f1,
                "n_clips": c["n_clips"], "other": c["other"].username,
                "fill": "#e9ecef" if f1 is None else _shade(f1),
                "ink": "#fff" if f1 is not None and f1 > 0.55 else "#1d232b",
            })
        rows.append({"username": row["annotator"].username,
                     "label_y": top + i * cell + cell / 2 + 5, "cells": cells})
    n = len(rows)
    columns = [{"username": r["annotator"].username, "x": left + j * cell + cell / 2}
               for j, r in enumerate(quality.heat_rows)]
    return {"rows": rows, "columns": columns, "cell": cell, "left": left, "top": top,
            "width": left + n * cell + 8, "height": top + n * cell + 8,
            "label_x": left - 8, "column_y": top - 8}
