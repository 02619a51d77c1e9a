"""The 500 handler (studio/errors.py): a database or broker outage is a 503 with a message, as
HTML, as plain text for htmx and as JSON for the API; other errors stay a plain 500."""

from unittest import mock

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.test import Client
from kombu.exceptions import OperationalError as BrokerError

from annotate.clips.models import Clip
from tests import mediafiles
from tests.conftest import stored_files
from tests.factories import MembershipFactory

DB_DOWN = OperationalError(
    'connection to server at "127.0.0.1", port 5432 failed: Connection refused'
)


@pytest.fixture
def member(db):
    return MembershipFactory(role="manager")


@pytest.fixture
def logged_in(member):
    client = Client(raise_request_exception=False)  # as a server answers: through the handler
    client.force_login(member.user)
    return client


@pytest.fixture
def database_down():
    # The first query of a request loads the session: with PostgreSQL down, that one fails.
    with mock.patch.object(SessionStore, "load", side_effect=DB_DOWN):
        yield


def test_a_page_with_the_database_down_is_a_503_page(logged_in, member, database_down):
    response = logged_in.get(f"/p/{member.project.slug}/")
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    body = response.content.decode()
    assert "<h1>Service unavailable</h1>" in body and "database is not reachable" in body
    assert "Traceback" not in body and "5432" not in body


def test_an_htmx_request_with_the_database_down_gets_the_message_as_text(
    logged_in, member, database_down
):
    response = logged_in.get(
        f"/p/{member.project.slug}/clips/rows/", headers={"HX-Request": "true"}
    )
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode().startswith("The database is not reachable")


def test_the_api_with_the_database_down_answers_json(logged_in, database_down):
    response = logged_in.get("/api/projects/")
    assert response.status_code == 503
    assert response.json() == {
        "code": "service_unavailable",
        "detail": "The database is not reachable right now (it may be "
        "restarting). Nothing was changed; try again in a moment.",
    }


@pytest.mark.django_db(transaction=True)
def test_an_api_upload_with_the_broker_down_answers_json_with_the_clip_named(
    member, media_root, tmp_path
):
    client = Client(raise_request_exception=False)
    client.force_login(member.user)
    video = mediafiles.make_clip(tmp_path / "talk.mp4", seconds=1.0)
    with mock.patch(
        "annotate.clips.tasks.clip_ingest.apply_async",
        side_effect=BrokerError("Connection refused"),
    ):
        response = client.post(
            f"/api/projects/{member.project.slug}/clips/",
            {"file": SimpleUploadedFile("talk.mp4", video.read_bytes())},
        )
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert response.json()["detail"].startswith("talk.mp4 was not added: the task queue")
    assert Clip.objects.count() == 0 and stored_files(media_root) == []


def test_other_errors_stay_a_500(logged_in, member):
    with mock.patch.object(SessionStore, "load", side_effect=ZeroDivisionError):
        response = logged_in.get(f"/p/{member.project.slug}/")
    assert response.status_code == 500
    assert "Service unavailable" not in response.content.decode()
