"""Chromium under the Content-Security-Policy (issue #16, finding 7): the policy blocks inline
script and handlers, every browser test's `browser` watches for violations (this file shows it
notices one), and the admin, the API docs and the lockout page work under the policy."""

import pytest
from django.contrib.auth.models import User

from annotate.clips.models import Clip
from annotate.clips.services import clip_create
from annotate.review import views as review_views
from tests import mediafiles
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

INJECTED = (
    '<script>document.title = "inline script ran"</script>'
    '<button id="injected" onclick="document.title = \'handler ran\'">x</button></body>'
)


def test_an_inline_script_is_blocked_and_the_watch_reports_it(live_server, browser):
    context = browser.new_context()

    def inject(route):
        # The real login page with its real headers, plus an inline script and a handler.
        response = route.fetch()
        body = response.text().replace("</body>", INJECTED)
        route.fulfill(response=response, body=body)

    context.route(f"{live_server.url}/login/", inject)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.click("#injected")
    assert page.title() == "Log in · EmoCue Studio"  # neither ran
    browser.flush()
    page.wait_for_timeout(200)
    browser.flush()
    found, browser.csp_violations[:] = list(browser.csp_violations), []
    assert len(found) == 2 and all("script-src" in v for v in found), found


def _log_in(page, url, username, password="pw-for-tests"):
    page.goto(url)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("[type=submit]")


def test_the_admin_and_the_api_docs_work_under_the_policy(live_server, browser):
    User.objects.create_superuser("root", password="pw-for-tests")
    page = browser.new_page()
    _log_in(page, f"{live_server.url}/admin/login/?next=/admin/", "root")
    page.wait_for_selector("#site-name")
    page.goto(f"{live_server.url}/admin/auth/user/")
    page.wait_for_selector("#result_list")
    page.click("#result_list a:has-text('root')")
    page.wait_for_selector("#user_form")
    # The admin's scripts ran: its date/time and filter widgets are built by them.
    page.goto(f"{live_server.url}/admin/auth/user/add/")
    page.wait_for_selector("#user_form")
    # Swagger UI draws the operations from the schema.
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
    assert page.locator(".swagger-ui .opblock").count() > 40


def test_a_locked_out_sign_in_gets_the_site_page(live_server, browser, settings):
    UserFactory(username="target")
    page = browser.new_page()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _log_in(page, f"{live_server.url}/login/", "target", "wrong")
    _log_in(page, f"{live_server.url}/login/", "target")
    page.wait_for_selector("h1:has-text('Sign-in locked')")
    assert "Too many failed sign-ins" in page.inner_text("main")
    assert page.url.endswith("/login/")


def test_the_listeners_that_replaced_inline_handlers_work(
    live_server, browser, media_root, tmp_path, monkeypatch
):
    user = UserFactory(username="lead")
    project = ProjectFactory(name="Handlers", slug="handlers")
    MembershipFactory(project=project, user=user, role="manager")
    path = mediafiles.make_clip(tmp_path / "a.mp4", seconds=1.0)
    clip = clip_create(project=project, source=path, filename="a.mp4", enqueue=False)
    page = browser.new_page()
    _log_in(page, f"{live_server.url}/login/", "lead")
    page.wait_for_selector(".topbar .who")

    # The quality page says so when its figures fail (was hx-on::response-error).
    def broken(**kwargs):
        raise RuntimeError("the similarity model is missing")

    monkeypatch.setattr(review_views, "project_quality_get", broken)
    page.goto(f"{live_server.url}/p/handlers/quality/")
    page.wait_for_selector("#quality-body .error:not([hidden])")
    assert page.locator("#quality-body .loading").is_hidden()

    # Deleting a clip asks first (was onsubmit="return confirm(...)").
    page.goto(f"{live_server.url}/p/handlers/c/{clip.name}/")
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.click("button:has-text('Delete clip')")
    page.wait_for_timeout(300)
    assert questions == ["Delete clip a and its media?"]
    assert Clip.objects.filter(pk=clip.pk).exists()
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Delete clip')")
    page.wait_for_url(f"{live_server.url}/p/handlers/")
    assert not Clip.objects.filter(pk=clip.pk).exists()
