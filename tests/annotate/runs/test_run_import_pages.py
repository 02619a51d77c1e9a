"""Importing a run: the page (htmx), the API, the command, and the API's schema."""

import json
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from annotate.runs.models import Cue, ModelRun, Proposal
from tests.annotate.runs.test_run_imports import HAPPY, make_clip
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

GOOD = json.dumps(
    {
        "sample_00000001": {
            "visual": ["He frowns.", {"text": "Brows knit.", "start_ms": 100, "end_ms": 900}],
            "auditory": ["His voice is loud."],
            "emotional": ["He is angry."],
        },
        "sample_00000002": {"visual": [], "auditory": [], "emotional": ["She is calm."]},
    }
).encode()
BAD = json.dumps({"00000001": {"visual": ["x"]}, "sample_00000002": {"visual": "x"}}).encode()


@pytest.fixture
def clips(project):
    return [
        make_clip(project, n) for n in ("sample_00000001", "sample_00000002", "sample_00000003")
    ]


def upload(data: bytes, name: str = "xemogpt.json") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def counts() -> tuple[int, int, int]:
    return ModelRun.objects.count(), Proposal.objects.count(), Cue.objects.count()


def member(project, role):
    return MembershipFactory(project=project, role=role).user


# -- the page ------------------------------------------------------------------------------


def test_page_is_for_managers_only(client, project, manager, outsider, clips):
    url = reverse("run-import", args=[project.slug])
    assert url == f"/p/{project.slug}/runs/import/"
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    assert client.post(url, {"file": upload(GOOD)}).status_code == 302
    for user in (member(project, "reviewer"), member(project, "annotator"), outsider):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(url, {"file": upload(GOOD)}).status_code == 404
    assert counts() == (0, 0, 0)
    client.force_login(manager)
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert f'hx-post="{url}"' in body and 'name="file"' in body and 'name="label"' in body
    assert "No run imported yet." in body


def test_import_through_the_page(client, project, manager, clips):
    client.force_login(manager)
    url = reverse("run-import", args=[project.slug])
    response = client.post(
        url, {"file": upload(GOOD), "label": "XEmoGPT epoch 3"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 201, response.content
    run = ModelRun.objects.get()
    assert run.label == "XEmoGPT epoch 3" and run.created_by == manager and run.source == "import"
    body = " ".join(response.content.decode().split())
    link = reverse("run-detail", args=[project.slug, run.pk])
    assert f'<a href="{link}" data-run="{run.pk}">XEmoGPT epoch 3</a>' in body
    assert "2 clips, 2 visual, 1 auditory and 2 emotional cues." in body
    assert "1 ready clip of the project is not in the file and has no proposal." in body
    assert 'id="imported-runs"' in body and "<code>xemogpt.json</code>" in body
    detail = client.get(link).content.decode()  # the run's page shows it like any run
    assert 'data-clip="sample_00000001" data-status="done"' in detail


def test_problems_are_listed_with_422_and_nothing_is_stored(client, project, manager, clips):
    client.force_login(manager)
    response = client.post(
        reverse("run-import", args=[project.slug]),
        {"file": upload(BAD, "bad.csv")},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "bad.csv was not imported (2 problems); nothing was stored." in body
    problems = body[body.index('<ul class="problems">') :]
    assert problems[: problems.index("</ul>")].count("<li>") == 2
    assert "Did you mean &#x27;sample_00000001&#x27;?" in body
    assert "expected a list of cues, got a string" in body
    assert counts() == (0, 0, 0)


def test_page_answers_a_missing_file_and_a_second_import(client, project, manager, clips):
    client.force_login(manager)
    url = reverse("run-import", args=[project.slug])
    missing = client.post(url, {"label": "x"})
    assert missing.status_code == 400 and "Choose a file" in missing.content.decode()
    assert client.post(url, {"file": upload(GOOD)}).status_code == 201
    run = ModelRun.objects.get()
    again = client.post(url, {"file": upload(GOOD, "copy.json")})
    assert again.status_code == 409 and ModelRun.objects.count() == 1
    body = again.content.decode()
    assert f"as run #{run.pk}" in body
    assert (
        f'href="{reverse("run-detail", args=[project.slug, run.pk])}" data-run="{run.pk}"' in body
    )


# -- the API -------------------------------------------------------------------------------


def test_api_import_answers_201_with_the_run(client, project, manager, clips):
    client.force_login(manager)
    csv = f'name,english,openset\nsample_00000003,"{HAPPY}","[\'happy\']"\n'.encode()
    response = client.post(
        reverse("api-run-import", args=[project.slug]),
        {"file": upload(csv, "emer.txt"), "label": "EMER baseline"},
    )
    assert response.status_code == 201, response.content
    run = ModelRun.objects.get()
    body = response.json()
    assert body["id"] == run.pk and body["label"] == "EMER baseline"
    assert (body["proposer"], body["source"], body["status"]) == ("import", "import", "finished")
    assert body["version"] == run.version and len(body["version"]) == 12
    assert (body["clips"], body["missing_clips"], body["format"]) == (1, 2, "emer-csv")
    assert body["source_filename"] == "emer.txt" and body["cues"]["visual"] == 2


def test_api_errors_carry_detail_and_problems(client, project, manager, clips):
    client.force_login(manager)
    url = reverse("api-run-import", args=[project.slug])
    bad = client.post(url, {"file": upload(BAD)})
    assert bad.status_code == 422
    body = bad.json()
    assert body["code"] == "invalid_file" and "nothing was stored" in body["detail"]
    assert len(body["problems"]) == 2 and body["problems"][0].startswith(
        "key '00000001': no clip named"
    )
    missing = client.post(url, {"label": "x"})
    assert missing.status_code == 400
    assert missing.json()["problems"] == ["file: No file was submitted."]
    wrong_format = client.post(url, {"file": upload(GOOD), "format": "xml"})
    assert wrong_format.status_code == 400 and wrong_format.json()["problems"][0].startswith(
        "format:"
    )
    assert counts() == (0, 0, 0)
    assert client.post(url, {"file": upload(GOOD)}).status_code == 201
    again = client.post(url, {"file": upload(GOOD)})
    assert again.status_code == 409 and again.json()["run"] == ModelRun.objects.get().pk
    assert "already imported" in again.json()["detail"]


def test_api_format_override(client, project, manager, clips):
    client.force_login(manager)
    response = client.post(
        reverse("api-run-import", args=[project.slug]), {"file": upload(GOOD), "format": "csv"}
    )
    assert response.status_code == 422 and "no 'name'" in response.json()["problems"][0]


def test_api_is_for_managers_only(client, project, outsider, clips):
    url = reverse("api-run-import", args=[project.slug])
    assert url == f"/api/projects/{project.slug}/runs/import/"
    assert client.post(url, {"file": upload(GOOD)}).status_code == 403  # anonymous
    for role in ("reviewer", "annotator"):
        client.force_login(member(project, role))
        response = client.post(url, {"file": upload(GOOD)})
        assert response.status_code == 403 and "Only a project manager" in response.json()["detail"]
    client.force_login(outsider)
    assert client.post(url, {"file": upload(GOOD)}).status_code == 404
    assert counts() == (0, 0, 0)


def test_api_import_that_cannot_be_parsed_gets_a_coded_400(client, project, manager):
    client.force_login(manager)
    response = client.generic(
        "POST",
        reverse("api-run-import", args=[project.slug]),
        b"not multipart",
        content_type="multipart/form-data",
    )  # no boundary
    assert response.status_code == 400, response.content
    detail = (
        "The request body could not be read (Multipart form parse error - Invalid boundary "
        "in multipart: None); send it as multipart/form-data."
    )
    assert response.json() == {"code": "invalid", "detail": detail, "problems": [detail]}
    assert counts() == (0, 0, 0)


def test_openapi_schema_documents_the_import_without_warnings(client, manager):
    from drf_spectacular.drainage import GENERATOR_STATS, reset_generator_stats

    reset_generator_stats()
    client.force_login(manager)
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    mine = [
        m
        for m in [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
        if "RunImport" in m or "run_import" in m or "runs/import" in m
    ]
    assert mine == []
    operation = response.json()["paths"]["/api/projects/{slug}/runs/import/"]["post"]
    assert set(operation["responses"]) == {"201", "400", "403", "404", "409", "413", "422"}
    assert "multipart/form-data" in operation["requestBody"]["content"]
    schemas = response.json()["components"]["schemas"]
    output = schemas["RunImportOutput"]["properties"]
    assert {"clips", "missing_clips", "version", "proposer"} <= set(output)
    assert (
        output["status"]["type"] == "string"
    )  # no enum: it would collide with other "status" enums
    assert "problems" in schemas["RunImportErrorOutput"]["properties"]


# -- the command ---------------------------------------------------------------------------


def test_command_imports_and_prints_the_run(project, clips, tmp_path):
    path = tmp_path / "xemogpt.json"
    path.write_bytes(GOOD)
    out = StringIO()
    call_command("import_run", project.slug, str(path), "--label", "from the cluster", stdout=out)
    run = ModelRun.objects.get()
    assert run.label == "from the cluster" and run.source_filename == "xemogpt.json"
    assert out.getvalue().strip() == (
        f"Imported run {run.pk} (from the cluster) into {project.name!r}: 2 clip(s), "
        "1 ready clip(s) not in the file; cues: visual 2, auditory 1, emotional 2."
    )


def test_command_reports_the_problems(project, clips, tmp_path):
    path = tmp_path / "bad.json"
    path.write_bytes(BAD)
    with pytest.raises(CommandError) as info:
        call_command("import_run", project.slug, str(path))
    lines = str(info.value).splitlines()
    assert lines[0] == "bad.json was not imported (2 problems); nothing was stored."
    assert lines[1].startswith("  - key '00000001': no clip named '00000001'")
    assert "expected a list of cues" in lines[2]
    with pytest.raises(CommandError, match="No project with the slug 'nope'"):
        call_command("import_run", "nope", str(path))
    with pytest.raises(CommandError, match="is not a file"):
        call_command("import_run", project.slug, str(tmp_path / "missing.json"))
    assert counts() == (0, 0, 0)
