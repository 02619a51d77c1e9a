"""Every element of the templates that polls (hx-trigger "every ...") gives each poll a time
limit. htmx sets none by default and queues every later poll of an element behind the one in
flight, so one poll that never answers (a stalled server, a dropped connection) froze the run
table at "Running 0/1" (issue #15, point 5; its browser test is
tests/integration/test_run_progress_browser.py). The same holds for each poller: the clip
list during ingest, a clip's ingest notice, the score jobs, the leaderboard, a gold set's
exports and a run's page."""

import json
import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "frontend" / "templates"
TAG = re.compile(r"<[a-zA-Z][^<>]*>", re.S)  # a start tag (Django tags inside have no < >)
TRIGGER = re.compile(r'hx-trigger="([^"]*)"')
REQUEST = re.compile(r"hx-request='([^']*)'")


def _polling_tags() -> list[tuple[str, str]]:
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for tag in TAG.findall(path.read_text()):
            trigger = TRIGGER.search(tag)
            if trigger and re.search(r"\bevery\b", trigger.group(1)):
                found.append((str(path.relative_to(TEMPLATES)), tag))
    return found


def test_the_pollers_are_found():
    files = {name for name, _ in _polling_tags()}
    assert {
        "runs/partials/run_rows.html",
        "runs/run_detail.html",
        "home/partials/clip_rows.html",
        "clips/clip_detail.html",
        "scoring/partials/score_rows.html",
        "scoring/partials/leaderboard_rows.html",
        "goldsets/partials/goldset_exports.html",
        "clips/partials/subtitle_view.html",
        "clips/partials/subtitle_lane.html",
    } <= files


def test_every_poll_has_a_time_limit_shorter_than_a_few_polls():
    for name, tag in _polling_tags():
        request = REQUEST.search(tag)
        assert request, f"{name}: a polling element without hx-request's timeout:\n{tag}"
        timeout = json.loads(request.group(1)).get("timeout")
        assert isinstance(timeout, int) and 0 < timeout <= 10_000, f"{name}: timeout {timeout}"


def test_the_time_limit_is_not_inherited_by_the_buttons_inside():
    """Buttons and forms inside a polled table (start a run, cancel, build an export) keep
    htmx's default: an upload or a slow build must not be cut at 4 s."""
    for name, tag in _polling_tags():
        if name == "clips/clip_detail.html":  # a bare notice: nothing inside it
            continue
        assert 'hx-disinherit="hx-request"' in tag, f"{name}:\n{tag}"
