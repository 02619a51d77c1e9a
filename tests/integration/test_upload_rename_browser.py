"""Headless Chromium: a video whose name a clip already has is refused with a free name to
use; the manager renames it in its name field and the upload goes through."""

import pytest
from playwright.sync_api import expect

from annotate.clips.models import Clip
from annotate.clips.services import clip_create
from tests import mediafiles
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_taken_name_is_refused_with_a_suggestion_then_renamed(
    live_server, browser, media_root, tmp_path
):
    user = UserFactory(username="lead")
    project = ProjectFactory(name="Rename test", slug="rename-test")
    MembershipFactory(project=project, user=user, role="manager")
    clip_create(
        project=project,
        source=mediafiles.make_clip(tmp_path / "first.mp4", seconds=1.0),
        filename="sample_00000007.mp4",
        enqueue=False,
    )
    (tmp_path / "new").mkdir()
    video = mediafiles.make_clip(tmp_path / "new" / "sample_00000007.mp4", seconds=1.5)
    other = mediafiles.make_clip(tmp_path / "new" / "sample_00000008.mp4", seconds=1.2)

    page = browser.new_page()
    page.goto(f"{live_server.url}/")
    page.fill("input[name=username]", "lead")
    page.fill("input[name=password]", "pw-for-tests")
    page.click("button[type=submit]")
    # The project page loads upload.js deferred: choosing files before it has run would
    # fire a change event that nothing listens to yet.
    with page.expect_navigation(wait_until="load"):
        page.click("text=Rename test")

    # Choosing files gives each a name field, filled from its file name.
    page.set_input_files("input[name=files]", [str(video), str(other)])
    fields = page.locator("#upload-names input[name=names]")
    expect(fields).to_have_count(2)
    assert [fields.nth(i).input_value() for i in range(2)] == [
        "sample_00000007",
        "sample_00000008",
    ]
    page.click("#upload-form button[type=submit]")
    refusal = page.wait_for_selector('#upload-results li.error[data-code="name_taken"]')
    assert "already has a clip named 'sample_00000007'" in refusal.inner_text()
    assert "sample_00000007_2" in refusal.inner_text()
    assert page.locator("#upload-results li.ok").count() == 1  # the other file went in

    # The files and names stay; take the suggestion and send the refused one again.
    assert fields.count() == 2
    page.click("#upload-results button.use-name")
    assert fields.nth(0).input_value() == "sample_00000007_2"
    page.set_input_files("input[name=files]", [str(video)])
    page.fill("#upload-names input[name=names]", "sample_00000007 take 2")
    page.click("#upload-form button[type=submit]")
    added = page.wait_for_selector('#upload-results li.ok:has-text("take 2")')
    assert "added as sample_00000007 take 2" in added.inner_text()
    assert page.locator("#upload-results li.error").count() == 0
    names = set(Clip.objects.filter(project=project).values_list("name", flat=True))
    assert names == {"sample_00000007", "sample_00000008", "sample_00000007 take 2"}
