"""Pages and API: access by role, uploads with clear 4xx answers, media with byte ranges."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotate.clips.ingest import clip_ingest
from annotate.clips.models import Clip
from annotate.clips.services import clip_create
from tests import mediafiles
from tests.conftest import stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready_clip(project, media_root, tmp_path):
    path = mediafiles.make_clip(tmp_path / "talk.mp4", seconds=1.0)
    clip = clip_create(
        project=project,
        source=path,
        filename="talk.mp4",
        enqueue=False,
        subtitle="1\n00:00:00,000 --> 00:00:00,500\nHi <i>you</i>\n",
        subtitle_filename="t.srt",
    )
    return clip_ingest(clip_id=clip.pk)


def _video(tmp_path, name="clip.mp4", **kwargs):
    path = mediafiles.make_clip(tmp_path / name, seconds=1.0, **kwargs)
    return SimpleUploadedFile(name, path.read_bytes(), content_type="video/mp4")


def test_pages_need_login(client, project):
    response = client.get(reverse("project-detail", args=[project.slug]))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_project_list_shows_only_my_projects(client, manager, outsider, project):
    client.force_login(outsider)
    page = client.get("/").content.decode()
    assert project.name not in page
    client.force_login(manager)
    assert project.name in client.get("/").content.decode()


def test_another_projects_member_gets_404(client, outsider, project, ready_clip):
    client.force_login(outsider)
    assert client.get(reverse("project-detail", args=[project.slug])).status_code == 404
    assert (
        client.get(reverse("clip-detail", args=[project.slug, ready_clip.name])).status_code == 404
    )
    assert client.get(f"/media/{ready_clip.proxy}").status_code == 404
    assert client.get(reverse("api-clip-list", args=[project.slug])).status_code == 404


def test_upload_through_the_page(
    client, manager, project, media_root, tmp_path, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    subtitle = SimpleUploadedFile("clip.srt", b"1\n00:00:00,000 --> 00:00:00,900\nHello\n")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("clip-upload", args=[project.slug]),
            {"files": [_video(tmp_path)], "subtitles": [subtitle]},
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 201, response.content
    assert "added as" in response.content.decode()
    assert response["HX-Trigger"] == "clips-changed"
    clip = Clip.objects.get(project=project, name="clip")
    assert clip.status == Clip.Status.READY  # eager Celery in unit tests
    assert clip.subtitle_segments == [{"start_ms": 0, "end_ms": 900, "text": "Hello"}]


def test_upload_errors_are_4xx_with_the_reason(client, manager, project, media_root, tmp_path):
    client.force_login(manager)
    url = reverse("clip-upload", args=[project.slug])
    fake = SimpleUploadedFile("notes.mp4", b"just text, not a video\n")
    response = client.post(url, {"files": [fake]})
    assert response.status_code == 422
    assert "notes.mp4" in response.content.decode() and "not a video" in response.content.decode()
    assert client.post(url, {}).status_code == 400
    good = _video(tmp_path, "a.mp4")
    assert client.post(url, {"files": [good]}).status_code == 201
    again = SimpleUploadedFile("b.mp4", (tmp_path / "a.mp4").read_bytes())
    response = client.post(url, {"files": [again]})
    assert response.status_code == 409 and "same file as clip" in response.content.decode()
    orphan = SimpleUploadedFile("zzz.srt", b"1\n00:00:00,000 --> 00:00:01,000\nx\n")
    response = client.post(
        url, {"files": [_video(tmp_path, "c.mp4", fps=30)], "subtitles": [orphan]}
    )
    assert response.status_code == 207 and "matches no uploaded video" in response.content.decode()
    assert Clip.objects.filter(project=project).count() == 2


def test_annotators_cannot_upload(client, annotator, project, media_root, tmp_path):
    client.force_login(annotator)
    response = client.post(
        reverse("clip-upload", args=[project.slug]), {"files": [_video(tmp_path)]}
    )
    assert response.status_code == 403 and "manager" in response.content.decode()
    assert Clip.objects.count() == 0 and stored_files(media_root) == []


def test_clip_rows_poll_while_clips_are_busy(client, manager, project, media_root, tmp_path):
    client.force_login(manager)
    clip_create(
        project=project,
        source=mediafiles.make_clip(tmp_path / "p.mp4", seconds=1.0),
        filename="p.mp4",
        enqueue=False,
    )
    page = client.get(reverse("clip-rows", args=[project.slug])).content.decode()
    assert "every 1s" in page and 'data-status="pending"' in page
    Clip.objects.update(status=Clip.Status.READY)
    assert "every 1s" not in client.get(reverse("clip-rows", args=[project.slug])).content.decode()


def test_clip_list_query_count_does_not_grow_with_clips(
    client, manager, project, media_root, tmp_path, django_assert_max_num_queries
):
    client.force_login(manager)
    for n in range(12):
        Clip.objects.create(project=project, name=f"c{n}", sha256=f"{n:064d}", source="x")
    # session, user, project, role, clips, runs, my annotations: none of them per clip
    with django_assert_max_num_queries(7):
        assert client.get(reverse("project-detail", args=[project.slug])).status_code == 200


def test_media_is_served_with_ranges_and_nosniff(client, annotator, ready_clip):
    client.force_login(annotator)
    url = f"/media/{ready_clip.proxy}"
    whole = client.get(url)
    body = b"".join(whole.streaming_content)
    assert whole.status_code == 200 and whole["Content-Type"] == "video/mp4"
    assert whole["X-Content-Type-Options"] == "nosniff" and whole["Accept-Ranges"] == "bytes"
    part = client.get(url, headers={"Range": "bytes=10-109"})
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 10-109/{len(body)}"
    assert b"".join(part.streaming_content) == body[10:110]
    tail = client.get(url, headers={"Range": "bytes=-20"})
    assert b"".join(tail.streaming_content) == body[-20:]
    assert client.get(url, headers={"Range": f"bytes={len(body)}-"}).status_code == 416
    assert client.get(f"/media/{ready_clip.source.name}").status_code == 404  # never the original
    assert client.get("/media/clips/../../etc/passwd").status_code == 404


def test_clip_page_and_subtitle_track(client, annotator, project, ready_clip):
    client.force_login(annotator)
    page = client.get(reverse("clip-detail", args=[project.slug, ready_clip.name])).content.decode()
    assert f'src="/media/{ready_clip.proxy}"' in page and page.count("<figure>") == 16
    vtt = client.get(reverse("clip-subtitles", args=[project.slug, ready_clip.name]))
    assert vtt["Content-Type"].startswith("text/vtt")
    assert vtt.content.decode().splitlines()[:5] == [
        "WEBVTT",
        "",
        "1",
        "00:00:00.000 --> 00:00:00.500",
        "Hi you",
    ]


def test_api_upload_list_and_detail(
    client, manager, annotator, project, media_root, tmp_path, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    url = reverse("api-clip-list", args=[project.slug])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"file": _video(tmp_path, "x.mp4"), "group_key": "spk1"})
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "x" and response.json()["status"] == "pending"
    bad = client.post(url, {"file": SimpleUploadedFile("y.mp4", b"")})
    assert (
        bad.status_code == 422 and bad.json()["code"] == "empty" and "y.mp4" in bad.json()["detail"]
    )
    assert client.post(url, {}).json()["code"] == "invalid"
    listed = client.get(url).json()
    assert [c["name"] for c in listed] == ["x"]
    detail = client.get(reverse("api-clip-detail", args=[project.slug, "x"])).json()
    assert detail["group_key"] == "spk1" and detail["media"]["proxy"].startswith("/media/clips/")
    client.force_login(annotator)
    assert client.post(url, {"file": _video(tmp_path, "z.mp4", fps=30)}).status_code == 403


def test_openapi_schema_is_served(client, manager):
    client.force_login(manager)
    response = client.get("/api/schema/")
    assert response.status_code == 200 and b"/api/projects/{slug}/clips/" in response.content


def test_openapi_schema_promises_only_what_the_api_answers(client, manager):
    from drf_spectacular.drainage import GENERATOR_STATS

    GENERATOR_STATS.reset()
    client.force_login(manager)
    with GENERATOR_STATS.silence():  # counted, not printed
        response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    # The "status" enums are named per model (no hashed names, no collision warnings).
    assert dict(GENERATOR_STATS._warn_cache) == {} and dict(GENERATOR_STATS._error_cache) == {}
    schema = response.json()
    components = schema["components"]["schemas"]
    assert components["ClipStatusEnum"]["enum"] == ["pending", "ingesting", "ready", "failed"]
    assert components["ScoreJobStatusEnum"]["enum"] == ["pending", "running", "done", "failed"]
    # Uploads are files (binary parts), not the URIs of the responses.
    assert components["ClipUploadInputRequest"]["properties"]["file"]["format"] == "binary"
    assert components["ScoreJobInputRequest"]["properties"]["gold"]["format"] == "binary"
    assert components["RunImportInputRequest"]["properties"]["file"]["format"] == "binary"
    # Path values as the URL converters match them: a slug the schema allows reaches a view.
    clip = schema["paths"]["/api/projects/{slug}/clips/{name}/"]["get"]
    params = {p["name"]: p["schema"] for p in clip["parameters"]}
    assert params == {
        "slug": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"},
        "name": {"type": "string", "pattern": "^[^/]+$"},
    }
    job = schema["paths"]["/api/projects/{slug}/scores/{job_id}/"]["get"]
    assert {p["name"]: p["schema"] for p in job["parameters"]}["job_id"] == {
        "type": "integer",
        "minimum": 0,
    }
    # An unknown project is a documented 404 on the list operations too.
    for path in ("/api/projects/{slug}/clips/", "/api/projects/{slug}/scores/"):
        not_found = schema["paths"][path]["get"]["responses"]["404"]
        assert not_found["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/DetailOutput"
        }


def test_api_uploads_that_cannot_be_parsed_get_a_coded_400(client, project, manager):
    client.force_login(manager)
    for name in ("api-clip-list", "api-score-list"):
        response = client.generic(
            "POST",
            reverse(name, args=[project.slug]),
            b"not multipart",
            content_type="multipart/form-data",
        )  # no boundary
        assert response.status_code == 400, response.content
        assert response.json() == {
            "code": "invalid",
            "detail": "The request body could not be read (Multipart form parse error - Invalid "
            "boundary in multipart: None); send it as multipart/form-data.",
        }


@pytest.mark.parametrize(
    "role, shown",
    [
        ("annotator", set()),
        ("reviewer", {"review-queue", "quality", "goldset-list"}),
        (
            "manager",
            {
                "review-queue",
                "quality",
                "goldset-list",
                "assignment-board",
                "project-audit-csv",
                "run-import",
            },
        ),
    ],
)
def test_project_page_links_by_role(client, project, ready_clip, role, shown):
    from tests.factories import MembershipFactory

    user = MembershipFactory(project=project, role=role).user
    client.force_login(user)
    page = client.get(reverse("project-detail", args=[project.slug])).content.decode()
    links = {
        "review-queue",
        "quality",
        "goldset-list",
        "assignment-board",
        "project-audit-csv",
        "run-import",
    }
    assert {
        name for name in links if f'href="{reverse(name, args=[project.slug])}"' in page
    } == shown
    for name in links:  # every link shown answers; every one hidden is refused
        status = client.get(reverse(name, args=[project.slug])).status_code
        assert (status == 200) == (name in shown), (name, status)
    clip_page = client.get(
        reverse("clip-detail", args=[project.slug, ready_clip.name])
    ).content.decode()
    history = reverse("clip-history", args=[project.slug, ready_clip.name])
    assert (history in clip_page) == (role != "annotator")
