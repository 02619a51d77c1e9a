"""The gold set, export and leaderboard API: a manager freezes version 1 (counts, content hash,
items), asks for an export that the (eager) worker builds after commit, downloads the zip whose
bytes match its sha256; refusals with their messages; who may see and do what, mirroring the
pages (annotators get a 404 on gold sets, blind annotators on the leaderboard)."""

import hashlib
import io
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate.goldsets.exports import export_create
from annotate.goldsets.models import Export, GoldSet, GoldSetItem
from annotate.goldsets.services import goldset_freeze
from annotate.review.models import GoldRecord
from annotate.scoring import selectors as leaderboard_selectors
from tests.annotate.goldsets.test_goldset_pages import add_gold
from tests.annotate.goldsets.test_goldsets import content_sha256, gold_clip
from tests.annotate.scoring.test_leaderboard import word_scorer  # noqa: F401
from tests.annotate.scoring.test_leaderboard_pages import board  # noqa: F401
from tests.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db
SPLIT = {"ratios": {"train": 0.5, "test": 0.5}, "seed": 3}


@pytest.fixture
def reviewer(project):
    return MembershipFactory(project=project, role="reviewer").user


@pytest.fixture
def v1(project, manager, media_root):
    add_gold(project, 0, 4)
    return goldset_freeze(project=project, by=manager, note="first")


def url(project, route: str, *args) -> str:
    return reverse(f"api-{route}", args=[project.slug, *args])


def post(client, target: str, body: dict | None = None):
    return client.post(target, body or {}, content_type="application/json")


def test_freeze_read_items_export_and_download(
    client, project, manager, media_root, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    nothing = post(client, url(project, "goldset-list"))
    assert nothing.status_code == 409 and nothing.json()["code"] == "conflict"
    assert "no final gold record yet" in nothing.json()["detail"]
    add_gold(project, 0, 4)
    gold_clip(
        project,
        "sample_in_review",
        status=GoldRecord.Status.IN_REVIEW,
        cues=[("visual", "not yet", 0, 100)],
    )

    frozen = post(
        client, url(project, "goldset-list"), {"note": "pilot", "licence": "CC-BY-NC-4.0"}
    )
    assert frozen.status_code == 201, frozen.content
    body = frozen.json()
    assert (body["version"], body["note"], body["licence"], body["frozen_by"]) == (
        1,
        "pilot",
        "CC-BY-NC-4.0",
        manager.username,
    )
    assert body["counts"] == {
        "clips": 4,
        "cues": {"visual": 4, "auditory": 4, "emotional": 0},
        "cues_total": 8,
        "labels": {"happy": 2, "sad": 2},
        "primary_labels": {"happy": 2, "sad": 2},
    }
    assert body["changes"] == {
        "added": [f"sample_{i:08d}" for i in range(4)],
        "removed": [],
        "changed": [],
    }
    assert body["content_sha256"] == GoldSet.objects.get().content_sha256
    again = post(client, url(project, "goldset-list"))
    assert again.status_code == 409 and "Nothing changed since version 1" in again.json()["detail"]

    listed = client.get(url(project, "goldset-list")).json()
    assert listed["count"] == 1 and listed["results"][0]["version"] == 1
    assert listed["results"][0]["exports"] == 0
    assert client.get(url(project, "goldset-detail", 1)).json() == body

    first = client.get(url(project, "goldset-items", 1) + "?limit=3").json()
    assert first["count"] == 4 and len(first["results"]) == 3 and first["next"]
    items = first["results"] + client.get(first["next"]).json()["results"]
    assert [i["name"] for i in items] == [f"sample_{i:08d}" for i in range(4)]
    assert items[1]["cues"]["visual"] == [
        {"text": "face 1", "start_ms": 0, "end_ms": 500, "kind": "observation"}
    ]
    assert (items[1]["labels"], items[1]["primary_label"], items[1]["group_key"]) == (
        ["happy"],
        "happy",
        "spk1",
    )
    stored = {row.name: row.cues for row in GoldSetItem.objects.all()}
    assert {i["name"]: i["cues"] for i in items} == stored
    assert content_sha256(items) == body["content_sha256"]  # the items are the frozen content

    with django_capture_on_commit_callbacks(execute=True):  # the build task runs eagerly
        asked = post(client, url(project, "export-list", 1), SPLIT)
    assert asked.status_code == 202, asked.content
    assert asked.json()["status"] == "pending"  # answered before the worker ran
    assert asked.json()["ratios"] == {"train": 0.5, "test": 0.5} and asked.json()["seed"] == 3
    export = client.get(url(project, "export-detail", 1, asked.json()["id"])).json()
    assert export["status"] == "done", export["error"]
    assert len(export["sha256"]) == 64 and export["size_bytes"] > 0
    assert sum(s["clips"] for s in export["report"]["splits"].values()) == 4
    assert client.get(url(project, "export-list", 1)).json()["results"] == [export]

    download = client.get(url(project, "export-download", 1, export["id"]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert download["Content-Disposition"] == (
        f'attachment; filename="{project.slug}-gold-v1-export{export["id"]}.zip"'
    )
    assert download["X-Content-Type-Options"] == "nosniff"
    data = b"".join(download.streaming_content)
    assert hashlib.sha256(data).hexdigest() == export["sha256"] == Export.objects.get().sha256
    assert len(data) == export["size_bytes"] and zipfile.ZipFile(io.BytesIO(data)).namelist()


def test_an_export_with_media_holds_the_videos(
    client, project, v1, manager, media_root, django_capture_on_commit_callbacks
):
    from tests.annotate.goldsets.test_goldset_pages import _write_proxies

    videos = _write_proxies(v1, media_root)
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        asked = post(client, url(project, "export-list", 1), {**SPLIT, "with_media": True})
        plain = post(client, url(project, "export-list", 1), SPLIT)
    assert asked.status_code == plain.status_code == 202, asked.content
    assert (asked.json()["with_media"], plain.json()["with_media"]) == (True, False)
    export = client.get(url(project, "export-detail", 1, asked.json()["id"])).json()
    assert export["status"] == "done" and export["with_media"] is True
    data = b"".join(client.get(url(project, "export-download", 1, export["id"])).streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {n for n in archive.namelist() if n.startswith("media/")} == {
            f"media/{name}.mp4" for name in videos
        }
    refused = post(client, url(project, "export-list", 1), {**SPLIT, "with_media": "maybe"})
    assert refused.status_code == 400 and "with_media" in refused.json()["detail"]


def test_an_export_not_built_yet_is_not_downloaded(client, project, v1, manager):
    client.force_login(manager)
    export = export_create(gold_set=v1, ratios={"train": 0.5, "test": 0.5}, seed=1, by=manager)
    pending = client.get(url(project, "export-download", 1, export.pk))
    assert pending.status_code == 409 and pending.json()["code"] == "not_ready"
    assert "download it once its status is done" in pending.json()["detail"]
    # A client that asks for the zip gets the refusal as JSON all the same.
    wants_zip = client.get(
        url(project, "export-download", 1, export.pk), headers={"Accept": "application/zip"}
    )
    assert wants_zip.status_code == 409 and wants_zip.json()["code"] == "not_ready"
    Export.objects.filter(pk=export.pk).update(status=Export.Status.FAILED, error="boom")
    failed = client.get(url(project, "export-download", 1, export.pk))
    assert failed.status_code == 409 and "ask for a new export" in failed.json()["detail"]


def test_export_refusals_name_the_problem(client, project, v1, manager):
    client.force_login(manager)
    target = url(project, "export-list", 1)
    uneven = post(client, target, {"ratios": {"train": 0.5, "test": 0.2}})
    assert uneven.status_code == 422 and uneven.json()["code"] == "rejected"
    assert "ratios must sum to 1" in uneven.json()["detail"]  # the splitter's message
    missing = post(client, target, {"seed": 1})
    assert missing.status_code == 400 and missing.json()["detail"].startswith("ratios:")
    words = post(client, target, {"ratios": {"train": "most"}})
    assert words.status_code == 400 and "valid number" in words.json()["detail"]
    broken = client.post(target, "{", content_type="application/json")
    assert broken.status_code == 400 and "could not be read" in broken.json()["detail"]
    assert not Export.objects.exists()
    assert client.get(url(project, "goldset-detail", 2)).status_code == 404
    assert post(client, url(project, "export-list", 2), SPLIT).status_code == 404


def test_who_sees_gold_sets_and_exports(
    client, project, v1, manager, reviewer, annotator, outsider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        export = export_create(gold_set=v1, ratios={"train": 0.5, "test": 0.5}, seed=1, by=manager)
    reads = {
        "list": url(project, "goldset-list"),
        "detail": url(project, "goldset-detail", 1),
        "items": url(project, "goldset-items", 1),
        "exports": url(project, "export-list", 1),
        "export": url(project, "export-detail", 1, export.pk),
        "download": url(project, "export-download", 1, export.pk),
    }
    for user in (annotator, outsider):  # as on the pages: no such thing for them
        client.force_login(user)
        assert {k: client.get(u).status_code for k, u in reads.items()} == dict.fromkeys(reads, 404)
        assert post(client, reads["list"]).status_code == 404
        assert post(client, reads["exports"], SPLIT).status_code == 404
    client.force_login(reviewer)
    assert {k: client.get(u).status_code for k, u in reads.items()} == dict.fromkeys(reads, 200)
    GoldRecord.objects.filter(clip__name="sample_00000000").update(description="changed")
    refused = post(client, reads["list"])
    assert refused.status_code == 403 and refused.json() == {
        "code": "forbidden",
        "detail": "Only a project manager can freeze a gold set version; "
        "ask one of the project's managers.",
    }
    assert post(client, reads["exports"], SPLIT).status_code == 403
    assert GoldSet.objects.count() == 1 and Export.objects.count() == 1
    client.logout()
    anonymous = client.get(reads["list"])
    assert anonymous.status_code == 403 and "credentials" in anonymous.json()["detail"]

    # Another project's version and export, by number and id: not found through this project.
    other = ProjectFactory()
    MembershipFactory(project=other, user=manager, role="manager")
    gold_clip(other, "elsewhere", cues=[("visual", "far", 0, 100)])
    other_v1 = goldset_freeze(project=other, by=manager)
    other_export = export_create(gold_set=other_v1, ratios={"all": 1.0}, seed=0, by=manager)
    client.force_login(reviewer)
    assert client.get(url(project, "export-detail", 1, other_export.pk)).status_code == 404
    assert client.get(url(project, "export-download", 1, other_export.pk)).status_code == 404
    assert client.get(url(other, "goldset-detail", 1)).status_code == 404


def test_the_item_list_needs_the_same_queries_however_many_items(
    client, project, manager, media_root
):
    client.force_login(manager)
    add_gold(project, 0, 2)
    goldset_freeze(project=project, by=manager)
    add_gold(project, 2, 20)
    goldset_freeze(project=project, by=manager)
    counts = []
    for version in (1, 2):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url(project, "goldset-items", version))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_leaderboard_rows_and_one_row(client, project, manager, annotator, board):  # noqa: F811
    client.force_login(manager)
    response = client.get(url(project, "leaderboard"))
    assert response.status_code == 200
    rows = response.json()["results"]
    expected = leaderboard_selectors.leaderboard_rows(project=project)
    assert [(r["id"], r["kind"], r["name"]) for r in rows] == [
        (row.pk, row.kind, row.name) for row in expected
    ]
    by_kind = {r["kind"]: r for r in rows}
    assert by_kind["run"]["name"] == "signal v1" and by_kind["human"]["name"] == annotator.username
    assert by_kind["run"]["status"] == "done" and by_kind["run"]["stale"] is False
    run_row = next(row for row in expected if row.kind == "run")
    for key in ("visual", "auditory", "emotional", "overall"):
        assert by_kind["run"]["cells"][key]["f1"] == pytest.approx(run_row.cells[key]["f1"])
    assert by_kind["run"]["cells"]["overall"]["f1"] is not None
    assert client.get(url(project, "leaderboard") + "?variant=one_to_one").status_code == 200
    bad = client.get(url(project, "leaderboard") + "?variant=nope")
    assert bad.status_code == 400 and "variant must be one of" in bad.json()["detail"]
    assert client.get(url(project, "leaderboard") + "?goldset=7").status_code == 404

    one = client.get(url(project, "leaderboard-row", by_kind["run"]["id"]) + "?modality=visual")
    assert one.status_code == 200
    detail = one.json()
    score = board["rows"]["run"]
    assert detail["label"] == "signal v1" and detail["gold_version"] is None
    assert (detail["mode"], detail["variant"], detail["modality"]) == ("strict", "paper", "visual")
    assert detail["samples"] == leaderboard_selectors.sample_scores(
        score=score, mode="strict", variant="paper", key="visual"
    )
    assert {s["name"] for s in detail["samples"]} == {c.name for c in board["clips"]}
    assert detail["result"] == score.result and detail["cells"] == by_kind["run"]["cells"]
    assert client.get(url(project, "leaderboard-row", score.pk) + "?mode=x").status_code == 400


def test_leaderboard_against_a_frozen_version(
    client,
    project,
    manager,
    board,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):  # every row is scored against v1
        assert post(client, url(project, "goldset-list")).status_code == 201
    rows = client.get(url(project, "leaderboard") + "?goldset=1").json()["results"]
    assert {r["kind"] for r in rows} == {"run", "human"} and all(
        r["status"] == "done" for r in rows
    )
    frozen = next(r for r in rows if r["kind"] == "run")
    assert frozen["id"] != board["rows"]["run"].pk
    assert client.get(url(project, "leaderboard-row", frozen["id"])).json()["gold_version"] == 1


def test_who_sees_the_leaderboard(client, project, annotator, outsider, board):  # noqa: F811
    run_row = board["rows"]["run"].pk
    targets = [url(project, "leaderboard"), url(project, "leaderboard-row", run_row)]
    client.force_login(annotator)
    assert [client.get(t).status_code for t in targets] == [200, 200]
    project.blind_mode = True
    project.save(update_fields=["blind_mode"])
    assert [client.get(t).status_code for t in targets] == [404, 404]
    client.force_login(MembershipFactory(project=project, role="reviewer").user)
    assert [client.get(t).status_code for t in targets] == [200, 200]
    client.force_login(outsider)
    assert [client.get(t).status_code for t in targets] == [404, 404]
    other_project = outsider.memberships.get().project  # a row of this project, through another
    assert client.get(url(other_project, "leaderboard-row", run_row)).status_code == 404
