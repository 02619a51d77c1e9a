"""The request-size ceiling: a body over EMOCUE_MAX_REQUEST_BYTES is refused with a 413 naming
the limit before Django reads it, on the pages and the API alike, and nothing is stored."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotate.clips.models import Clip
from tests.conftest import stored_files
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client):
    membership = MembershipFactory(role="manager")
    client.force_login(membership.user)
    return client, membership.project


@pytest.mark.parametrize("route", ["clip-upload", "api-clip-list"])
def test_an_oversized_request_is_refused_before_it_is_read(
    manager_client, settings, media_root, route
):
    client, project = manager_client
    settings.EMOCUE_MAX_REQUEST_BYTES = 4096
    upload = SimpleUploadedFile("big.mp4", b"\0" * 10_000, content_type="video/mp4")
    field = "files" if route == "clip-upload" else "file"
    response = client.post(reverse(route, args=[project.slug]), {field: upload})
    assert response.status_code == 413
    text = response.json()["detail"] if route.startswith("api") else response.content.decode()
    assert "EMOCUE_MAX_REQUEST_BYTES" in text and "at most 4,096 bytes" in text
    assert "per request" in text
    assert Clip.objects.count() == 0 and stored_files(media_root) == []


def test_a_request_under_the_limit_reaches_the_view(manager_client, settings, media_root):
    client, project = manager_client
    settings.EMOCUE_MAX_REQUEST_BYTES = 1024 * 1024
    upload = SimpleUploadedFile("not-a-video.mp4", b"hello", content_type="video/mp4")
    response = client.post(reverse("api-clip-list", args=[project.slug]), {"file": upload})
    assert response.status_code == 422  # ffprobe's verdict, past the size check
    assert Clip.objects.count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "/api/projects/{slug}/clips/?status=%00",
        "/api/projects/{slug}/clips/a%00b/",
        "/p/{slug}/c/a%00b/history/",
    ],
)
def test_a_nul_character_is_a_400_not_a_database_error(manager_client, url):
    client, project = manager_client
    response = client.get(url.format(slug=project.slug))
    assert response.status_code == 400
    text = response.json()["detail"] if url.startswith("/api/") else response.content.decode()
    assert "NUL character" in text


def test_a_nul_in_a_form_field_is_a_400(manager_client):
    client, project = manager_client
    response = client.post(
        reverse("run-import", args=[project.slug]),
        "label=a%00b",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400 and "NUL character" in response.content.decode()
