"""The 500 handler (studio/errors.py): a database or broker outage is a 503 with a message, as
HTML, as plain text for htmx and as JSON for the API; other errors stay a plain 500."""

from unittest import mock

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client
from kombu.exceptions import OperationalError as BrokerError

from annotate.clips.models import Clip
from studio.errors import SERVER_ERROR, server_error
from tests import mediafiles
from tests.conftest import stored_files
from tests.factories import MembershipFactory, UserFactory

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
    assert 'class="topbar"' in body and "studio/studio.css" in body  # the site's layout


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
    body = response.content.decode()
    assert "Service unavailable" not in body
    assert "<h1>Something went wrong</h1>" in body and 'class="topbar"' in body
    assert 'href="/"' in body and "ZeroDivisionError" not in body and "Traceback" not in body
    with mock.patch.object(SessionStore, "load", side_effect=ZeroDivisionError):
        answer = logged_in.get("/api/projects/")
    assert answer.status_code == 500
    assert answer.json() == {"code": "server_error", "detail": SERVER_ERROR}


def test_the_500_page_renders_with_the_database_gone(rf, db, django_assert_num_queries):
    """Nothing of the 500 or 503 page comes from the database: it renders with every
    connection attempt failing, and makes no query."""
    request = rf.get("/p/some-project/")
    with (
        django_assert_num_queries(0),
        mock.patch.object(BaseDatabaseWrapper, "ensure_connection", side_effect=DB_DOWN),
    ):
        for error, status, heading in (
            (ZeroDivisionError("secret detail"), 500, "Something went wrong"),
            (DB_DOWN, 503, "Service unavailable"),
        ):
            try:
                raise error
            except Exception:
                response = server_error(request)
            body = response.content.decode()
            assert response.status_code == status
            assert f"<h1>{heading}</h1>" in body and 'class="topbar"' in body
            assert "secret detail" not in body and "5432" not in body


def test_a_404_is_a_page_in_the_site_layout_that_says_where_to_go(logged_in, member):
    response = logged_in.get(
        "/p/no-such-project/", headers={"Referer": "http://testserver/p/elsewhere/"}
    )
    assert response.status_code == 404
    body = response.content.decode()
    assert "<h1>Page not found</h1>" in body and 'class="topbar"' in body
    assert member.user.username in body  # signed in: the top bar says who
    assert '<a href="/">Your projects</a>' in body
    assert 'href="http://testserver/p/elsewhere/" data-back' in body
    assert "No such project" not in body  # the exception's text is not shown
    # A referer from another site is not offered as "back".
    other = logged_in.get("/p/no-such-project/", headers={"Referer": "https://evil.test/x"})
    assert "evil.test" not in other.content.decode()

    signed_out = Client().get("/no/such/page/")
    assert signed_out.status_code == 404
    assert 'href="/login/?next=/no/such/page/">Sign in</a>' in signed_out.content.decode()


def test_the_api_keeps_json_errors(logged_in):
    response = logged_in.get("/api/no-such-endpoint/")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}
    response = logged_in.get("/api/projects/no-such-project/")
    assert response.status_code == 404 and "detail" in response.json()


def test_a_403_is_a_page_in_the_site_layout(client, db):
    staff = UserFactory(username="clerk", is_staff=True)  # staff without model permissions
    client.force_login(staff)
    response = client.get("/admin/auth/user/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "<h1>Not allowed</h1>" in body and 'class="topbar"' in body
    assert "Sign in with another account" in body and '<a href="/">Your projects</a>' in body


def test_the_favicon_is_linked_and_answers_at_favicon_ico(client, db):
    page = client.get("/login/").content.decode()
    assert 'rel="icon" href="/static/studio/favicon.svg"' in page
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/studio/favicon.ico"
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert b"".join(icon.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_a_csrf_failure_is_a_page_in_the_site_layout_that_says_what_to_do(member):
    """Django's CSRF_FAILURE_VIEW: the studio's 403 page, saying why the form was refused and
    how to send it again, instead of Django's bare "CSRF verification failed" page."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)
    form_page = f"http://testserver/p/{member.project.slug}/"
    client.get(form_page)  # the page sets the CSRF cookie; the POST below leaves the token out
    response = client.post(
        f"/p/{member.project.slug}/runs/start/",
        {"proposer": "signals"},
        headers={"Referer": form_page},
    )
    assert response.status_code == 403
    body = response.content.decode()
    assert "<h1>This form could not be sent</h1>" in body and 'class="topbar"' in body
    assert member.user.username in body  # signed in: the top bar says who
    assert "security token (CSRF) did not match" in body and "Nothing was saved" in body
    assert f'href="{form_page}" data-back' in body and '<a href="/">Your projects</a>' in body
    assert "CSRF verification failed" not in body and "Help" not in body  # not Django's page

    # A browser that sends no cookie is told to allow them; a form from another site, so.
    cookieless = Client(enforce_csrf_checks=True).post(
        "/login/", {"username": "x", "password": "y"}
    )
    assert cookieless.status_code == 403
    assert "did not send this site&#x27;s security cookie (CSRF)" in cookieless.content.decode()
    assert '<a href="/login/">Sign in</a>' in cookieless.content.decode()  # a POST: no ?next
    foreign = client.post(
        f"/p/{member.project.slug}/runs/start/", {}, headers={"Origin": "https://evil.test"}
    )
    assert foreign.status_code == 403
    assert "sent from another address than this site" in foreign.content.decode()
    assert "evil.test" not in foreign.content.decode()


def test_a_csrf_failure_answers_htmx_with_text_and_json_clients_with_json(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)
    client.get(f"/p/{member.project.slug}/")
    target = f"/p/{member.project.slug}/runs/start/"
    htmx = client.post(target, {}, headers={"HX-Request": "true"})
    assert htmx.status_code == 403 and htmx["Content-Type"].startswith("text/plain")
    assert htmx.content.decode().startswith("This form's security token (CSRF) did not match")
    as_json = client.post(target, {}, headers={"Accept": "application/json"})
    assert as_json.status_code == 403
    assert as_json.json()["code"] == "csrf_failed" and "CSRF" in as_json.json()["detail"]
