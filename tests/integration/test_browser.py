"""Headless Chromium: log in, upload a clip, watch it become ready, and play it."""

import pytest

from annotate.clips.models import Clip
from tests import mediafiles
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_upload_then_play_in_the_browser(live_server, browser, media_root, tmp_path):
    user = UserFactory(username="lead")
    project = ProjectFactory(name="Browser test", slug="browser-test")
    MembershipFactory(project=project, user=user, role="manager")
    video = mediafiles.make_clip(tmp_path / "sample_00000042.mp4", seconds=2.0)
    srt = tmp_path / "sample_00000042.srt"
    srt.write_text("1\n00:00:00,200 --> 00:00:01,500\nThank you so much.\n")
    bad = mediafiles.make_text_as_mp4(tmp_path / "notes.mp4")

    page = browser.new_page()
    page.goto(f"{live_server.url}/")
    page.fill("input[name=username]", "lead")
    page.fill("input[name=password]", "pw-for-tests")
    page.click("button[type=submit]")
    with page.expect_navigation(wait_until="load"):  # upload.js and htmx load deferred
        page.click("text=Browser test")

    page.set_input_files("input[name=files]", [str(video), str(bad)])
    page.set_input_files("input[name=subtitles]", [str(srt)])
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#upload-results li.ok")
    results = page.inner_text("#upload-results")
    assert "added as sample_00000042" in results
    assert "notes.mp4" in results and "not a video" in results.lower()

    # The clip table refreshes itself (htmx) until the clip is ready.
    page.wait_for_selector('tr[data-clip="sample_00000042"][data-status="ready"]', timeout=60_000)
    assert Clip.objects.get(name="sample_00000042").status == Clip.Status.READY

    page.click('tr[data-clip="sample_00000042"] a')
    page.wait_for_function(
        "() => document.getElementById('player').readyState >= 2", timeout=30_000
    )
    duration = page.evaluate("document.getElementById('player').duration")
    assert abs(duration - 2.0) < 0.1
    page.evaluate("document.getElementById('player').currentTime = 1.0")
    page.wait_for_function(
        "() => Math.abs(document.getElementById('player').currentTime - 1.0) < 0.05"
    )
    page.wait_for_selector("#waveform[data-ready='1']")
    assert page.locator(".frames figure").count() == 16
    cue = page.evaluate("""() => new Promise(resolve => {
        const track = document.querySelector('video track').track;
        track.mode = 'hidden';
        const poll = () =>
            track.cues && track.cues.length ? resolve(track.cues[0].text) : setTimeout(poll, 50);
        poll(); })""")
    assert cue == "Thank you so much."

    # Back on the project page: tick the clip and run the signal proposer on it.
    page.click(".crumb a")
    page.check('input[name=clips][value="sample_00000042"]')
    page.select_option("#run-form select[name=proposer]", "signals")
    page.fill("#run-form input[name=label]", "browser run")
    page.click("#run-form button[type=submit]")
    page.wait_for_selector(
        '#run-rows tr[data-status="finished"][data-done="1"][data-total="1"]', timeout=60_000
    )
    page.click("#run-rows a:has-text('browser run')")
    page.click('tr[data-clip="sample_00000042"] a')
    page.wait_for_selector("section.proposal tr.cue")
    assert page.locator("section.proposal").count() == 1
    assert "In the video" in page.inner_text("section.proposal p.description")
    timed = page.locator("section.proposal tr.cue[data-start-ms]")
    assert timed.count() > 0
    start_ms = int(timed.last.get_attribute("data-start-ms"))  # a timed cue seeks the video
    timed.last.click()
    page.wait_for_function(
        f"() => Math.abs(document.getElementById('player').currentTime * 1000 - {start_ms}) < 250"
    )
    page.screenshot(path=str(media_root.parent / "clip-page.png"), full_page=True)
