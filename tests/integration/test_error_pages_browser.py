"""Headless Chromium: pages carry a favicon (no console 404 for /favicon.ico), and a missing
page is the site's styled 404 that says where to go next."""

import pytest

from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_favicon_loads_and_a_missing_page_is_the_styled_404(live_server, browser, caplog):
    user = UserFactory(username="lead")
    MembershipFactory(project=ProjectFactory(name="Errors test"), user=user, role="manager")
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    with page.expect_response(lambda r: "favicon" in r.url) as icon:
        page.goto(f"{live_server.url}/login/")
    assert icon.value.status == 200 and icon.value.url.endswith("/static/studio/favicon.svg")
    page.fill("input[name=username]", "lead")
    page.fill("input[name=password]", "pw-for-tests")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Errors test")
    # What a browser asks for on a page that names no icon (the admin's, a raw file).
    page.goto(f"{live_server.url}/favicon.ico")
    assert page.evaluate("document.images.length") == 1  # the icon itself, shown as an image
    assert not [f for f in failed if "favicon" in f], failed
    assert not [e for e in errors if "favicon" in e or "404" in e], errors
    # Chromium's own /favicon.ico requests reach no page event: the server's log sees them.
    not_found = [r.getMessage() for r in caplog.records if r.name == "django.request"]
    assert not [m for m in not_found if "favicon" in m], not_found

    # A page that does not exist: the site's layout, who is signed in, and ways on.
    page.goto(f"{live_server.url}/p/no-such-project/annotate/nothing/")
    assert page.title() == "Page not found · EmoCue Studio"
    assert page.inner_text("h1") == "Page not found"
    assert page.inner_text(".topbar .who") == "lead"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(246, 247, 249)"  # studio.css applied: the page is styled
    page.click(".error-page a:has-text('Your projects')")
    page.wait_for_selector("text=Errors test")
    page.go_back()
    assert page.inner_text("h1") == "Page not found"
    assert not [f for f in failed if "favicon" in f], failed
    not_found = [r.getMessage() for r in caplog.records if r.name == "django.request"]
    assert not [m for m in not_found if "favicon" in m], not_found
