"""The runs API: upload a clip, start a run, fetch its cues (the README's worked example), who
may do what, messages for bad input, and a flat query count on the proposals list."""

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate.clips.models import Clip
from annotate.runs import proposing
from annotate.runs import services as run_services
from annotate.runs.models import ModelRun, Proposal
from tests import mediafiles
from tests.annotate.runs.test_runs import FakeProposer, _fresh_fake  # noqa: F401
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _urls(project, run_id: int) -> dict[str, str]:
    return {
        "list": reverse("api-run-list", args=[project.slug]),
        "detail": reverse("api-run-detail", args=[project.slug, run_id]),
        "cancel": reverse("api-run-cancel", args=[project.slug, run_id]),
        "proposals": reverse("api-run-proposals", args=[project.slug, run_id]),
        "proposal": reverse("api-run-proposal", args=[project.slug, run_id, "a"]),
    }


def test_worked_example_upload_a_clip_start_a_run_fetch_its_cues(
    client, manager, project, media_root, tmp_path, django_capture_on_commit_callbacks
):
    # The README's commands, one by one, with a token as a script would send it.
    printed = StringIO()
    call_command("drf_create_token", manager.username, stdout=printed)
    key = printed.getvalue().split()[2]
    assert printed.getvalue().strip() == f"Generated token {key} for user {manager.username}"
    headers = {"Authorization": f"Token {key}"}
    video = mediafiles.make_clip(tmp_path / "talk.mp4", seconds=1.0)
    with django_capture_on_commit_callbacks(execute=True):  # the ingest task runs eagerly
        upload = client.post(
            reverse("api-clip-list", args=[project.slug]),
            {"file": SimpleUploadedFile("talk.mp4", video.read_bytes())},
            headers=headers,
        )
    assert upload.status_code == 201, upload.content
    assert upload.json()["name"] == "talk" and upload.json()["status"] == "pending"
    clip = client.get(reverse("api-clip-detail", args=[project.slug, "talk"]), headers=headers)
    assert clip.json()["status"] == "ready"

    with django_capture_on_commit_callbacks(execute=True):  # one proposer task per clip
        started = client.post(
            reverse("api-run-list", args=[project.slug]),
            {"proposer": "fake", "label": "pilot", "clips": ["talk"]},
            content_type="application/json",
            headers=headers,
        )
    assert started.status_code == 201, started.content
    run = started.json()
    # Answered before the task ran: running, one clip pending.
    assert run["status"] == "running" and run["label"] == "pilot" and run["proposer"] == "fake"
    assert run["version"] == "1.0" and run["created_by"] == manager.username
    assert run["progress"] == {
        "pending": 1,
        "running": 0,
        "done": 0,
        "failed": 0,
        "cancelled": 0,
        "total": 1,
        "settled": 0,
    }

    polled = client.get(reverse("api-run-detail", args=[project.slug, run["id"]]), headers=headers)
    assert polled.status_code == 200
    assert polled.json()["status"] == "finished" and polled.json()["finished_at"]
    progress = polled.json()["progress"]
    assert (progress["done"], progress["failed"], progress["total"]) == (1, 0, 1)

    listed = client.get(
        reverse("api-run-proposals", args=[project.slug, run["id"]]), headers=headers
    ).json()
    assert listed["count"] == 1
    proposal = listed["results"][0]
    assert proposal["clip"] == "talk" and proposal["status"] == "done" and proposal["error"] == ""
    assert proposal["description"].endswith("Therefore, happy.")
    assert proposal["emotions"] == [
        {"label": "happy", "score": 0.7},
        {"label": "neutral", "score": 0.2},
    ]
    assert proposal["cues"] == [
        {
            "modality": "visual",
            "kind": "observation",
            "text": "The corners of the mouth turn up.",
            "start_ms": 0,
            "end_ms": 500,
            "confidence": 0.8,
        },
        {
            "modality": "auditory",
            "kind": "observation",
            "text": "The voice is loud.",
            "start_ms": 500,
            "end_ms": 1000,
            "confidence": 0.6,
        },
        {
            "modality": "emotional",
            "kind": "inference",
            "text": "He is happy.",
            "start_ms": None,
            "end_ms": None,
            "confidence": 0.5,
        },
    ]
    one = client.get(
        reverse("api-run-proposal", args=[project.slug, run["id"], "talk"]), headers=headers
    )
    assert one.status_code == 200 and one.json() == proposal
    runs = client.get(
        reverse("api-run-list", args=[project.slug]) + "?status=finished", headers=headers
    ).json()
    assert [r["id"] for r in runs["results"]] == [run["id"]] and runs["count"] == 1
    assert (
        client.get(
            reverse("api-run-list", args=[project.slug]) + "?status=running", headers=headers
        ).json()["count"]
        == 0
    )


def _as(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)


def _statuses(client, project, run) -> dict[str, int]:
    urls = _urls(project, run.pk)
    return {
        "list": client.get(urls["list"]).status_code,
        "detail": client.get(urls["detail"]).status_code,
        "proposals": client.get(urls["proposals"]).status_code,
        "proposal": client.get(urls["proposal"]).status_code,
        "start": client.post(
            urls["list"], {"proposer": "fake", "clips": ["a"]}, content_type="application/json"
        ).status_code,
    }


def test_who_may_read_and_act(client, project, manager, annotator, outsider, ready_clips):
    reviewer = MembershipFactory(project=project, role="reviewer").user
    run = run_services.run_create(project=project, proposer="fake", clip_names=["a"], enqueue=False)
    reads = {"list": 200, "detail": 200, "proposals": 200, "proposal": 200}

    _as(client, None)
    anonymous = client.get(_urls(project, run.pk)["list"])
    assert anonymous.status_code == 403  # session auth comes first: DRF answers 403, not 401
    assert "credentials were not provided" in anonymous.json()["detail"]
    bad_token = client.get(_urls(project, run.pk)["list"], headers={"Authorization": "Token nope"})
    assert bad_token.status_code == 403 and bad_token.json()["detail"] == "Invalid token."

    _as(client, outsider)
    assert _statuses(client, project, run) == dict.fromkeys([*reads, "start"], 404)
    assert client.post(_urls(project, run.pk)["cancel"]).status_code == 404

    for user in (annotator, reviewer):
        _as(client, user)
        assert _statuses(client, project, run) == {**reads, "start": 403}
        refused = client.post(_urls(project, run.pk)["cancel"])
        assert refused.status_code == 403
        assert refused.json() == {
            "code": "forbidden",
            "detail": "Only a project manager can cancel runs; ask one of the project's managers.",
        }

    project.blind_mode = True
    project.save(update_fields=["blind_mode"])
    _as(client, annotator)
    hidden = client.get(_urls(project, run.pk)["proposals"])
    assert hidden.status_code == 404 and hidden.json() == {"detail": "No such project."}
    assert _statuses(client, project, run) == dict.fromkeys([*reads, "start"], 404)
    assert client.post(_urls(project, run.pk)["cancel"]).status_code == 404
    _as(client, reviewer)  # blind mode hides the model's work from annotators only
    assert _statuses(client, project, run) == {**reads, "start": 403}

    _as(client, manager)
    assert _statuses(client, project, run) == {**reads, "start": 201}
    assert ModelRun.objects.filter(project=project).count() == 2  # only the manager's start
    cancel = client.post(_urls(project, run.pk)["cancel"])
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    assert cancel.json()["progress"]["cancelled"] == 1
    again = client.post(_urls(project, run.pk)["cancel"])
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    assert "only a running run can be cancelled" in again.json()["detail"]


def test_retry_and_rerun(
    client,
    project,
    manager,
    ready_clips,
    django_capture_on_commit_callbacks,
):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        run = client.post(
            reverse("api-run-list", args=[project.slug]),
            {"proposer": "fake"},
            content_type="application/json",
        ).json()
    detail = client.get(reverse("api-run-detail", args=[project.slug, run["id"]])).json()
    assert (detail["progress"]["done"], detail["progress"]["failed"]) == (2, 1)
    failed = client.get(
        reverse("api-run-proposals", args=[project.slug, run["id"]]) + "?status=failed"
    ).json()
    assert [p["clip"] for p in failed["results"]] == ["broken"]
    assert "could not be tracked" in failed["results"][0]["error"]
    assert failed["results"][0]["cues"] == []

    retried = client.post(reverse("api-run-retry", args=[project.slug, run["id"]]))
    assert retried.status_code == 200 and retried.json()["status"] == "running"
    assert retried.json()["progress"]["pending"] == 1
    rerun_early = client.post(reverse("api-run-rerun", args=[project.slug, run["id"]]))
    assert rerun_early.status_code == 409 and "still running" in rerun_early.json()["detail"]
    client.post(reverse("api-run-cancel", args=[project.slug, run["id"]]))
    with django_capture_on_commit_callbacks(execute=True):
        rerun = client.post(reverse("api-run-rerun", args=[project.slug, run["id"]]))
    assert rerun.status_code == 201 and rerun.json()["previous"] == run["id"]
    assert rerun.json()["progress"]["total"] == 3 and rerun.json()["id"] != run["id"]
    with django_capture_on_commit_callbacks(execute=True):
        clean = client.post(
            reverse("api-run-list", args=[project.slug]),
            {"proposer": "fake", "clips": ["a"]},
            content_type="application/json",
        ).json()
    no_failed = client.post(reverse("api-run-retry", args=[project.slug, clean["id"]]))
    assert no_failed.status_code == 409 and "has no failed clips" in no_failed.json()["detail"]


def test_bad_input_gets_a_message_naming_it(client, project, manager, ready_clips):
    client.force_login(manager)
    url = reverse("api-run-list", args=[project.slug])

    def start(body):
        return client.post(url, body, content_type="application/json")

    unknown = start({"proposer": "nope"})
    assert unknown.status_code == 400 and unknown.json()["code"] == "invalid"
    assert "Unknown proposer 'nope'" in unknown.json()["detail"]
    assert "fake" in unknown.json()["detail"] and "signals" in unknown.json()["detail"]
    assert ".;" not in unknown.json()["detail"] and unknown.json()["detail"].endswith(".")
    clips = start({"proposer": "fake", "clips": ["a", "zz", "yy"]})
    assert clips.status_code == 400
    assert clips.json()["detail"] == (
        f"clips: No clip named 'zz', 'yy' in project "
        f"{project.slug!r}; GET /api/projects/{project.slug}/clips/ "
        "lists them."
    )
    assert start({"proposer": "fake", "clips": []}).json()["detail"].startswith("clips: ")
    assert "Expected a list" in start({"proposer": "fake", "clips": "a"}).json()["detail"]
    Clip.objects.filter(project=project, name="b").update(status=Clip.Status.FAILED)
    not_ready = start({"proposer": "fake", "clips": ["a", "b"]})
    assert not_ready.status_code == 422 and not_ready.json()["code"] == "rejected"
    assert "b are not ready" in not_ready.json()["detail"]
    assert not ModelRun.objects.exists()

    not_json = client.post(url, b"\x00", content_type="application/json")
    assert not_json.status_code == 400
    assert not_json.json() == {  # the documented shape: a code beside the detail
        "code": "invalid",
        "detail": "The request body could not be read (JSON parse error - Expecting value: line 1 "
        'column 1 (char 0)); send a JSON object such as {"proposer": "signals"}.',
    }

    bad_filter = client.get(url + "?status=done")
    assert bad_filter.status_code == 400
    assert bad_filter.json()["detail"] == (
        "status must be one of running, finished, cancelled; got 'done'."
    )
    missing = client.get(reverse("api-run-detail", args=[project.slug, 999999]))
    assert missing.status_code == 404 and "No run 999999" in missing.json()["detail"]
    run = run_services.run_create(project=project, proposer="fake", clip_names=["a"], enqueue=False)
    no_clip = client.get(reverse("api-run-proposal", args=[project.slug, run.pk, "b"]))
    assert no_clip.status_code == 404
    assert f"Run {run.pk} has no proposal for a clip named 'b'" in no_clip.json()["detail"]
    other = MembershipFactory(user=manager, role="manager").project  # a run of another project
    assert client.get(reverse("api-run-detail", args=[other.slug, run.pk])).status_code == 404


def test_proposals_list_query_count_is_flat(
    client, project, manager, media_root, tmp_path, ready_clips
):
    from annotate.clips.ingest import clip_ingest
    from annotate.clips.services import clip_create

    for i, name in enumerate(("c", "d", "e")):
        path = mediafiles.make_clip(tmp_path / f"{name}.mp4", seconds=0.5, fps=20 + i)
        clip_ingest(
            clip_id=clip_create(
                project=project, source=path, filename=f"{name}.mp4", enqueue=False
            ).pk
        )
    small = run_services.run_create(
        project=project, proposer="fake", clip_names=["a"], enqueue=False
    )
    large = run_services.run_create(project=project, proposer="fake", enqueue=False)
    for proposal in Proposal.objects.all():
        proposing.proposal_run(proposal_id=proposal.pk)
    client.force_login(manager)

    def count(run) -> tuple[int, dict]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("api-run-proposals", args=[project.slug, run.pk]))
        assert response.status_code == 200
        return len(queries), response.json()

    n_small, body_small = count(small)
    n_large, body_large = count(large)
    assert len(body_small["results"]) == 1 and len(body_large["results"]) == 6
    assert sum(len(p["cues"]) for p in body_large["results"]) == 15  # 5 done x 3, broken none
    assert n_large == n_small <= 8
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("api-run-list", args=[project.slug])).json()["count"] == 2
    assert len(queries) <= 7


def test_schema_documents_every_answer_without_warnings(client, manager):
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    from annotate.runs import urls as run_urls

    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():  # counted, not printed
        schema = SchemaGenerator(patterns=run_urls.urlpatterns).get_schema(public=True)
    assert dict(GENERATOR_STATS._warn_cache) == {} and dict(GENERATOR_STATS._error_cache) == {}
    paths = schema["paths"]
    start = paths["/api/projects/{slug}/runs/"]["post"]["responses"]
    assert set(start) == {"201", "400", "403", "404", "422", "503"}
    assert set(paths["/api/projects/{slug}/runs/{run_id}/cancel/"]["post"]["responses"]) == {
        "200",
        "403",
        "404",
        "409",
    }
    proposals = paths["/api/projects/{slug}/runs/{run_id}/proposals/"]["get"]
    assert {p["name"] for p in proposals["parameters"]} >= {"limit", "offset", "status"}
    assert schema["components"]["schemas"]["ProposalOutput"]["properties"]["cues"]["items"] == {
        "$ref": "#/components/schemas/CueOutput"
    }
    client.force_login(manager)
    served = client.get("/api/schema/")
    assert served.status_code == 200
    assert b"/api/projects/{slug}/runs/{run_id}/proposals/{name}/:" in served.content
