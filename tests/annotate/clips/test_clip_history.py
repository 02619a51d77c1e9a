"""The audit trail: a clip's history page (diffs, filters, access, query count) and the
project-wide CSV/JSON download. Events are written with audit_record directly."""

import csv
import io
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate.clips.models import Clip
from annotate.core.audit import audit_record
from annotate.core.history import audit_changes
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

SAID = "The corners of the mouth turn up."
EDITED = "The corners of the mouth lift slightly."


def _clip(project, name="sample_00000001"):
    return Clip.objects.create(
        project=project,
        name=name,
        sha256=name.ljust(64, "0"),
        status=Clip.Status.READY,
        duration_ms=4000,
    )


@pytest.fixture
def clip(project):
    return _clip(project)


@pytest.fixture
def reviewer(project):
    return MembershipFactory(project=project, role="reviewer").user


def _cue_state(text=SAID, decision="proposed", version=1, **extra):
    return {
        "id": 41,
        "clip_id": 1,
        "text": text,
        "decision": decision,
        "modality": "visual",
        "start_ms": 1200,
        "end_ms": 2400,
        "version": version,
        "reject_reason": "",
    } | extra


def _history(client, project, clip, **params):
    return client.get(reverse("clip-history", args=[project.slug, clip.name]), params)


def _events(page: str) -> list[str]:
    return re.findall(r'<li class="audit-event"[^>]*data-action="([^"]+)"', page)


def _change(page: str, field: str) -> str:
    match = re.search(rf'<dd class="change" data-field="{field}"[^>]*>(.*?)</dd>', page, re.S)
    assert match, f"no change of {field!r} on the page"
    return " ".join(match.group(1).split())


# --- the diff, as a function ---------------------------------------------------------------


def test_audit_changes_keeps_only_fields_that_differ_and_diffs_text_by_word():
    changes = {c.name: c for c in audit_changes(_cue_state(), _cue_state(EDITED, "edited", 2))}
    assert set(changes) == {"text", "decision"}  # version is bookkeeping; the span did not change
    text = changes["text"]
    assert text.kind == "text"
    assert [(s.op, s.text) for s in text.segments] == [
        ("same", "The corners of the mouth"),
        ("removed", "turn up."),
        ("added", "lift slightly."),
    ]
    decision = changes["decision"]
    assert (decision.kind, decision.before, decision.after) == ("value", "proposed", "edited")


def test_audit_changes_of_lists_times_creates_and_deletes():
    labels = audit_changes({"labels": ["sad", "tired"]}, {"labels": ["sad", "worried"]})[0]
    assert labels.kind == "list"
    assert [(s.op, s.text) for s in labels.segments] == [
        ("same", "sad"),
        ("removed", "tired"),
        ("added", "worried"),
    ]
    span = audit_changes(_cue_state(), _cue_state(start_ms=1000))[0]
    assert (span.label, span.before, span.after) == ("start", "1.20 s", "1.00 s")
    created = {c.name: c for c in audit_changes(None, _cue_state(reject_reason=""))}
    assert "reject_reason" not in created and "version" not in created  # empty and bookkeeping
    assert created["text"].before is None and created["text"].after == SAID
    deleted = {c.name: c for c in audit_changes(_cue_state(), None)}
    assert deleted["text"].before == SAID and deleted["text"].after is None
    submitted = {
        c.name: c
        for c in audit_changes(
            {"primary_label": "", "submitted_at": None},
            {"primary_label": "sad", "submitted_at": "2026-12-02T16:43:39.813800+00:00"},
        )
    }
    assert (submitted["primary_label"].before, submitted["primary_label"].after) == ("—", "sad")
    assert submitted["submitted_at"].after == "2026-12-02 16:43:39"


# --- the page -------------------------------------------------------------------------------


def test_history_shows_time_actor_action_object_and_the_diff(
    client, project, clip, manager, annotator
):
    audit_record(
        actor=annotator,
        action="edit",
        object_type="cue",
        object_id=41,
        clip=clip,
        before=_cue_state(),
        after=_cue_state(EDITED, "edited", 2),
    )
    audit_record(
        actor=annotator,
        action="update",
        object_type="annotation",
        object_id=7,
        clip=clip,
        before={"labels": ["sad"], "primary_label": "sad", "description": "She sounds low."},
        after={
            "labels": ["sad", "worried"],
            "primary_label": "worried",
            "description": "She sounds low and tense.",
        },
    )
    client.force_login(manager)
    response = _history(client, project, clip)
    assert response.status_code == 200
    page = response.content.decode()
    assert _events(page) == ["update", "edit"]  # newest first
    assert annotator.username in page and "cue #41" in page and "annotation #7" in page
    assert f"“{EDITED}”" in page  # which cue: its wording
    assert _change(page, "text") == (
        "<span>The corners of the mouth</span> <del>turn up.</del> <ins>lift slightly.</ins>"
    )
    assert _change(page, "decision") == (
        '<del>proposed</del><span class="arrow" aria-label="became">→</span><ins>edited</ins>'
    )
    assert _change(page, "labels") == "<span>sad</span> <ins>worried</ins>"
    assert _change(page, "description") == (
        "<span>She sounds</span> <del>low.</del> <ins>low and tense.</ins>"
    )
    assert 'data-field="version"' not in page and 'data-field="start_ms"' not in page
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT', page)
    assert reverse("project-audit-csv", args=[project.slug]) in page  # managers get the download


def test_history_escapes_what_annotators_wrote(client, project, clip, manager, annotator):
    audit_record(
        actor=annotator,
        action="add",
        object_type="cue",
        object_id=3,
        clip=clip,
        before=None,
        after=_cue_state("<script>alert(1)</script> shouts"),
    )
    client.force_login(manager)
    page = _history(client, project, clip).content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_history_filters_by_object_type_and_actor(client, project, clip, reviewer):
    ann1 = MembershipFactory(project=project, role="annotator", user__username="ann1").user
    ann2 = MembershipFactory(project=project, role="annotator", user__username="ann2").user
    audit_record(
        actor=ann1,
        action="accept",
        object_type="cue",
        object_id=1,
        clip=clip,
        before=_cue_state(),
        after=_cue_state(decision="accepted", version=2),
    )
    audit_record(
        actor=ann2,
        action="reject",
        object_type="cue",
        object_id=2,
        clip=clip,
        before=_cue_state(),
        after=_cue_state(decision="rejected", version=2),
    )
    audit_record(
        actor=ann2,
        action="submit",
        object_type="annotation",
        object_id=9,
        clip=clip,
        before={"status": "draft"},
        after={"status": "submitted"},
    )
    other_clip = _clip(project, "sample_00000002")
    audit_record(
        actor=ann1,
        action="delete",
        object_type="cue",
        object_id=5,
        clip=other_clip,
        before=_cue_state(),
        after=None,
    )
    client.force_login(reviewer)

    def shown(**params) -> list[str]:
        return _events(_history(client, project, clip, **params).content.decode())

    assert shown() == ["submit", "reject", "accept"]
    assert shown(type="cue") == ["reject", "accept"]
    assert shown(actor="ann2") == ["submit", "reject"]
    page = _history(client, project, clip, type="cue", actor="ann1").content.decode()
    assert _events(page) == ["accept"]
    assert '<option value="cue" selected>' in page and '<option value="ann1" selected>' in page
    assert '<option value="annotation">' in page and '<option value="ann2">' in page
    assert re.search(r"\b1 event,\s+1–1 shown", page)
    nothing = _history(client, project, clip, type="gold_record").content.decode()
    assert _events(nothing) == [] and "No event matches these filters" in nothing
    # A reviewer reads the history but does not get the project-wide download link.
    assert reverse("project-audit-csv", args=[project.slug]) not in page


def test_history_pages_and_says_what_is_wrong_with_a_bad_page(client, project, clip, manager):
    for n in range(60):
        audit_record(
            actor=manager,
            action="edit",
            object_type="cue",
            object_id=n,
            clip=clip,
            before={"text": f"old {n}"},
            after={"text": f"new {n}"},
        )
    client.force_login(manager)
    # Paged as the API pages (limit and offset), 25 to a page unless asked otherwise.
    first = _history(client, project, clip).content.decode()
    assert len(_events(first)) == 25 and "cue #59" in first and "events 1–25 of 60" in first
    assert 'href="?limit=25&amp;offset=25" rel="next"' in first and 'rel="prev"' not in first
    last = _history(client, project, clip, limit=50, offset=50).content.decode()
    assert len(_events(last)) == 10 and "events 51–60 of 60" in last
    assert re.search(r"cue #0\b", last) and "cue #10" not in last
    assert 'href="?limit=50&amp;offset=0" rel="prev"' in last and 'rel="next"' not in last
    old_link = _history(client, project, clip, page=2).content.decode()  # links made before
    assert "events 26–50 of 60" in old_link
    for params in ({"page": "two"}, {"limit": "0"}, {"limit": "500"}, {"offset": "-1"}):
        bad = _history(client, project, clip, **params)
        assert bad.status_code == 400 and "whole number" in bad.content.decode(), params
    assert _history(client, project, clip, page=4).status_code == 404
    assert _history(client, project, clip, offset=60).status_code == 404


def test_history_for_an_unknown_clip_is_404(client, project, manager):
    client.force_login(manager)
    response = client.get(reverse("clip-history", args=[project.slug, "sample_nope"]))
    assert response.status_code == 404


def test_history_access_by_role(client, project, clip, manager, annotator, reviewer, outsider):
    audit_record(
        actor=annotator,
        action="add",
        object_type="cue",
        object_id=1,
        clip=clip,
        before=None,
        after=_cue_state(),
    )
    url = reverse("clip-history", args=[project.slug, clip.name])
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    for user, status in ((annotator, 404), (outsider, 404), (reviewer, 200), (manager, 200)):
        client.force_login(user)
        assert client.get(url).status_code == status, user
    root = UserFactory(username="root", is_superuser=True)
    client.force_login(root)
    assert client.get(url).status_code == 200


def test_history_query_count_does_not_grow_with_events(client, project, clip, manager, annotator):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert _history(client, project, clip).status_code == 200
        return len(queries)

    audit_record(
        actor=annotator,
        action="edit",
        object_type="cue",
        object_id=1,
        clip=clip,
        before=_cue_state(),
        after=_cue_state(EDITED),
    )
    client.force_login(manager)
    few = count_queries()
    for n in range(40):
        actor = MembershipFactory(project=project, role="annotator").user
        audit_record(
            actor=actor,
            action="edit",
            object_type="cue" if n % 2 else "annotation",
            object_id=n,
            clip=clip,
            before=_cue_state(),
            after=_cue_state(EDITED),
        )
    many = count_queries()
    assert many == few
    # session, user, project, role, clip, blind names, filter menus, count, page, and what the
    # page's events point at (users, members, cues, annotations, gold cues: only those it has)
    assert many <= 12


# --- the download ----------------------------------------------------------------------------


def _download(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.content
    assert response.streaming
    return b"".join(response.streaming_content).decode()


def test_manager_downloads_the_project_trail_as_csv_and_json(
    client, project, clip, manager, annotator
):
    other_clip = _clip(project, "sample_00000002")
    audit_record(
        actor=annotator,
        action="edit",
        object_type="cue",
        object_id=41,
        clip=clip,
        before=_cue_state(),
        after=_cue_state(EDITED, "edited", 2),
    )
    audit_record(
        actor=None,
        action="create",
        object_type="gold_record",
        object_id=3,
        clip=other_clip,
        before=None,
        after={"status": "in_review", "labels": ["happy"]},
    )
    audit_record(
        actor=manager,
        action="settings",
        object_type="project",
        object_id=project.pk,
        project=project,
        before={"decoy_rate": 0.0},
        after={"decoy_rate": 0.1},
    )
    stranger_clip = _clip(MembershipFactory(role="manager").project, "sample_00000009")
    audit_record(
        actor=None,
        action="add",
        object_type="cue",
        object_id=99,
        clip=stranger_clip,
        before=None,
        after=_cue_state(),
    )
    client.force_login(manager)

    url = reverse("project-audit-csv", args=[project.slug])
    response = client.get(url)
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == f'attachment; filename="{project.slug}-audit.csv"'
    rows = list(csv.DictReader(io.StringIO(_download(client, url))))
    assert [(r["clip"], r["actor"], r["object_type"], r["action"]) for r in rows] == [
        (clip.name, annotator.username, "cue", "edit"),
        ("sample_00000002", "", "gold_record", "create"),
        ("", manager.username, "project", "settings"),
    ]  # oldest first, another project's events left out
    assert rows[0]["changed"] == "text decision"
    assert json.loads(rows[0]["after"])["text"] == EDITED and rows[1]["before"] == ""

    data = json.loads(_download(client, reverse("project-audit-json", args=[project.slug])))
    assert [d["action"] for d in data] == ["edit", "create", "settings"]
    assert data[0]["before"]["text"] == SAID and data[0]["changed"] == ["text", "decision"]
    assert data[1]["actor"] is None and data[2]["clip"] is None
    assert re.match(r"\d{4}-\d\d-\d\dT", data[0]["at"])


def test_empty_trail_downloads_as_a_header_and_an_empty_list(client, project, manager):
    client.force_login(manager)
    assert _download(client, reverse("project-audit-csv", args=[project.slug])).splitlines() == [
        "at,clip,actor,object_type,object_id,action,changed,before,after"
    ]
    assert json.loads(_download(client, reverse("project-audit-json", args=[project.slug]))) == []


def test_download_is_for_managers_only(client, project, annotator, reviewer, outsider):
    url = reverse("project-audit-csv", args=[project.slug])
    assert client.get(url).status_code == 302
    client.force_login(reviewer)
    response = client.get(url)
    assert response.status_code == 403 and "Only a project manager" in response.content.decode()
    client.force_login(annotator)
    assert client.get(url).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.get(reverse("project-audit-json", args=[project.slug])).status_code == 404


def test_csv_cells_that_look_like_formulas_stay_text(client, project, manager):
    risky = _clip(project, '=HYPERLINK("http://x")')
    audit_record(
        actor=manager,
        action="add",
        object_type="cue",
        object_id=1,
        clip=risky,
        before=None,
        after={"text": "-1"},
    )
    client.force_login(manager)
    rows = list(
        csv.DictReader(
            io.StringIO(_download(client, reverse("project-audit-csv", args=[project.slug])))
        )
    )
    assert rows[0]["clip"] == '\'=HYPERLINK("http://x")'
    assert json.loads(rows[0]["after"]) == {"text": "-1"}  # JSON cells start with "{" anyway


def test_structured_values_are_diffed_word_by_word_not_shown_as_json():
    """Issue #15, point 6: a gold record's provenance changed; what changed is marked word by
    word, whole, instead of two truncated JSON blobs."""
    annotations = [{"annotator": f"ann{n}", "id": n, "version": 3} for n in range(1, 9)]
    before = {"provenance": {"annotations": annotations[:7], "run": 1}}
    after = {"provenance": {"annotations": annotations, "run": 2}}
    (change,) = audit_changes(before, after)
    assert change.kind == "text" and "{" not in change.before and "…" not in change.after
    removed = [s.text for s in change.segments if s.op == "removed"]
    added = [s.text for s in change.segments if s.op == "added"]
    assert removed == ["1"] and added[-1] == "2"
    assert any("annotator: ann8" in text for text in added)
    assert "(annotator: ann1; id: 1; version: 3)" in change.after
