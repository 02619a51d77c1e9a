"""Headless Chromium on the timeline: a demo clip with a finished signal run, annotated with
the keyboard alone; everything saved survives a reload; a stale second session gets a 409;
an expired session keeps its change and replays it after login; submit opens the next clip."""

import os
import shutil
from pathlib import Path

import pytest

from annotate.annotation.models import Annotation
from annotate.clips.imports import clips_import
from annotate.runs import services as run_services
from annotate.runs.models import Cue
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
DOCS = Path(__file__).resolve().parents[2] / "docs"
OUTPUT = Path(__file__).resolve().parents[1] / "output"
FIRST = "sample_00000001"


@pytest.fixture
def annotated_demo(require_services, media_root, demo_set):
    project = ProjectFactory(name="Demo timeline", slug="demo-timeline")
    report = clips_import(project=project, directory=demo_set.out_dir, manifest=demo_set.manifest)
    assert report.ok and report.count("ready") == 8, [(r.name, r.message) for r in report.rows]
    run = run_services.run_create(
        project=project, proposer="signals", label="signals", clip_names=[FIRST, "sample_00000002"]
    )  # eager tasks in tests
    run.refresh_from_db()
    assert run.status == "finished"
    user = UserFactory(username="ann")
    MembershipFactory(project=project, user=user, role="annotator")
    return project


def _login(page, url, next_path="/"):
    page.goto(f"{url}/login/?next={next_path}")
    page.fill("input[name=username]", "ann")
    page.fill("input[name=password]", "pw-for-tests")
    page.click("button[type=submit]")


def _key(page, key):
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press(key)


def _current_ms(page):
    return page.evaluate("Math.round(document.getElementById('player').currentTime * 1000)")


def _seek(page, ms):
    page.evaluate(f"document.getElementById('player').currentTime = {ms / 1000}")
    page.wait_for_function(
        f"() => Math.abs(document.getElementById('player').currentTime * 1000 - {ms}) < 5"
    )


def _selected(page):
    return page.get_attribute("#cue-list li.selected", "data-cue-id")


# The wavesurfer.js waveform in the audio lane: its canvases (in its shadow root) against the
# ruler, whose width the lanes share, and its cursor against the timeline's playhead.
WAVE = """() => {
  const host = document.querySelector('#waveform > div');
  const root = host && host.shadowRoot;
  const canvases = root ? Array.from(root.querySelectorAll('.canvases canvas')) : [];
  if (!canvases.length) return null;
  const rects = canvases.map((c) => c.getBoundingClientRect());
  const ruler = document.getElementById('ruler').getBoundingClientRect();
  const cursor = root.querySelector('.cursor').getBoundingClientRect();
  const playhead = document.getElementById('playhead').getBoundingClientRect();
  return {count: canvases.length, pixels: Math.min(...canvases.map((c) => c.width)),
          left: Math.min(...rects.map((r) => r.left)),
          right: Math.max(...rects.map((r) => r.right)),
          rulerLeft: ruler.left, rulerRight: ruler.right, rulerWidth: ruler.width,
          cursor: cursor.left + cursor.width / 2, playhead: playhead.left + playhead.width / 2};
}"""
# Drawn, and aligned with a ruler whose width lies in [low, high] (the zoom has been laid out).
WAVE_ALIGNED = (
    f"([low, high]) => {{ const w = ({WAVE})(); return !!w && w.pixels > 0 && "
    "Math.abs(w.left - w.rulerLeft) <= 2 && Math.abs(w.right - w.rulerRight) <= 2 && "
    "w.rulerWidth >= low && w.rulerWidth <= high; }"
)
CURSOR_ON_PLAYHEAD = (
    f"() => {{ const w = ({WAVE})(); return !!w && Math.abs(w.cursor - w.playhead) <= 3; }}"
)


def test_annotate_a_demo_clip_with_the_keyboard(live_server, browser, annotated_demo, tmp_path):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    _login(page, live_server.url, f"/p/{annotated_demo.slug}/")
    page.click("#start-annotating button")
    page.wait_for_url(f"**/annotate/{FIRST}/")
    page.wait_for_selector("#timeline[data-ready='1']")
    page.wait_for_selector("#waveform[data-ready='1']")
    page.wait_for_function(
        "() => document.getElementById('player').readyState >= 2", timeout=30_000
    )
    annotation = Annotation.objects.get(annotator__username="ann")
    proposed = annotation.cues.count()
    assert proposed >= 3 and page.locator("#cue-list li.cue-row").count() == proposed
    assert page.locator(".lane .seg.origin-model").count() >= 1  # timed proposals drawn in lanes
    assert page.locator("#subtitles .seg").count() >= 1

    # The audio lane is wavesurfer.js drawing the precomputed peaks: no audio file is fetched,
    # its canvases span exactly the ruler, and they stay aligned with it after a zoom step.
    clip = annotation.clip
    assert clip.audio and clip.peaks
    assert any(url.endswith(f"/media/{clip.peaks}") for url in requests)
    assert not [url for url in requests if url.endswith(".wav") or clip.audio in url], requests
    page.wait_for_function(WAVE_ALIGNED, arg=[0, 1e9])
    before = page.evaluate(WAVE)
    assert before["right"] - before["left"] > 500
    page.click("#zoom-in")
    assert page.inner_text("#zoom-display") == "1.5×"
    page.wait_for_function(WAVE_ALIGNED, arg=[before["rulerWidth"] * 1.4, 1e9])
    zoomed = page.evaluate(WAVE)
    assert zoomed["right"] - zoomed["left"] > (before["right"] - before["left"]) * 1.4
    page.click("#zoom-out")
    page.wait_for_function(WAVE_ALIGNED, arg=[before["rulerWidth"] - 1, before["rulerWidth"] + 1])

    # Play and pause with the space bar; step frames and seconds with the arrows.
    _key(page, " ")
    page.wait_for_function(
        "() => document.getElementById('player').currentTime > 0.3", timeout=10_000
    )
    _key(page, " ")
    page.wait_for_function("() => document.getElementById('player').paused")
    _seek(page, 1000)
    _key(page, "ArrowRight")
    page.wait_for_function(
        "() => Math.abs(document.getElementById('player').currentTime - 1.04) < 0.005"
    )
    _key(page, "Shift+ArrowLeft")
    page.wait_for_function(
        "() => Math.abs(document.getElementById('player').currentTime - 0.04) < 0.005"
    )
    assert page.inner_text("#frame-display") == "1"
    _seek(page, 1500)
    page.wait_for_function(CURSOR_ON_PLAYHEAD)  # wavesurfer's cursor follows the video itself
    # Clicking a timed cue segment seeks to its start; the playhead follows.
    segment = page.locator(".lane .seg[data-start-ms]").last
    start_ms = int(segment.get_attribute("data-start-ms"))
    segment.dispatch_event("click")
    page.wait_for_function(
        f"() => Math.abs(document.getElementById('player').currentTime * 1000 - {start_ms}) < 50"
    )
    assert page.locator("#cue-list li.selected").count() == 1

    # Accept, edit and reject by keyboard: ↓ selects, A / E / R act.
    _key(page, "ArrowUp")  # to the top of the list
    for _ in range(proposed):
        _key(page, "ArrowUp")
    first = _selected(page)
    _key(page, "a")
    page.wait_for_selector(f"#cue-{first}.decision-accepted")
    _key(page, "ArrowDown")
    second = _selected(page)
    assert second != first
    _key(page, "e")
    page.wait_for_selector(f"#cue-{second} form.inline-edit:not([hidden]) input[name=text]")
    page.keyboard.press("Control+a")
    page.keyboard.type("The speaker edits this cue by keyboard.")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#cue-{second}.decision-edited")
    _key(page, "ArrowDown")
    third = _selected(page)
    _key(page, "r")
    page.wait_for_selector(f"#cue-{third} form.inline-reject:not([hidden]) input[name=reason]")
    page.keyboard.type("not visible in the video")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#cue-{third}.decision-rejected")
    left = f"{proposed - 3} proposed, " if proposed > 3 else ""
    assert page.inner_text("#cue-counts") == f"{proposed} · {left}1 accepted, 1 edited, 1 rejected"

    # A new cue over a marked [ ] range, modality and text typed in the inline form.
    _seek(page, 520)
    _key(page, "[")
    _seek(page, 1480)
    _key(page, "]")
    assert page.inner_text("#mark-in") == "0.520" and page.inner_text("#mark-out") == "1.480"
    _key(page, "n")
    page.wait_for_selector("#new-cue-form:not([hidden]) select:focus")
    page.select_option("#new-cue-form select", "auditory")
    page.focus("#new-cue-form select")
    page.keyboard.press("Enter")  # from the modality to the text
    page.keyboard.type("A short laugh before the answer.")
    page.keyboard.press("Enter")
    page.wait_for_selector("#cue-list li.origin-human")
    added = Cue.objects.get(annotation=annotation, origin="human")
    assert (added.modality, added.start_ms, added.end_ms) == ("auditory", 520, 1480)
    assert page.locator(f"#seg-{added.pk}").count() == 1 and _selected(page) == str(added.pk)

    # Drag the new cue's right edge: the server snaps the end to a frame boundary (40 ms).
    box = page.locator(f"#seg-{added.pk} .handle.r").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 37, y, steps=6)
    page.mouse.up()
    page.wait_for_selector(f"#cue-{added.pk}:not([data-end-ms='1480'])")
    added.refresh_from_db()
    assert added.end_ms > 1480 and added.end_ms % 40 == 0 and added.start_ms == 520
    assert page.get_attribute(f"#seg-{added.pk}", "data-end-ms") == str(added.end_ms)

    # Labels (vocabulary completion, first is primary) and the reasoning, autosaved.
    page.fill("#label-new", "happy")
    page.keyboard.press("Enter")
    page.wait_for_selector("#save-status .ok")
    page.fill(
        "#description", "In the video, he smiles. In the audio, a short laugh. Therefore, happy."
    )
    page.wait_for_function(
        "() => document.querySelector('#save-status .ok') && "
        "Number(document.querySelector('#save-status .ok').dataset.version) >= 3"
    )
    page.wait_for_timeout(300)

    # Artifacts in the tests' output folder (git ignores it); the README's picture is
    # refreshed from it only when asked: EMOCUE_UPDATE_README_SCREENSHOT=1.
    shots = OUTPUT / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "timeline.png"), full_page=True)
    if os.environ.get("EMOCUE_UPDATE_README_SCREENSHOT") == "1":
        shutil.copy(shots / "timeline.png", DOCS / "timeline.png")

    # Reload: every decision, the new cue, the label and the reasoning are there.
    page.reload()
    page.wait_for_selector("#timeline[data-ready='1']")
    assert page.locator(f"#cue-{first}.decision-accepted").count() == 1
    assert "The speaker edits this cue by keyboard." in page.inner_text(f"#cue-{second}")
    assert "not visible in the video" in page.inner_text(f"#cue-{third}")
    assert page.locator(f"#cue-{added.pk}.origin-human").count() == 1
    assert page.get_attribute(f"#seg-{added.pk}", "data-end-ms") == str(added.end_ms)
    assert page.locator(".label-chip[data-label='happy'] input:checked").count() == 1
    assert "a short laugh" in page.input_value("#description")

    # A second session holding the page goes stale when the first changes a cue.
    other = browser.new_context(viewport={"width": 1400, "height": 1000})
    stale = other.new_page()
    _login(stale, live_server.url, f"/p/{annotated_demo.slug}/annotate/{FIRST}/")
    stale.wait_for_selector("#timeline[data-ready='1']")
    fourth = page.get_attribute("#cue-list li.decision-proposed", "data-cue-id")
    page.click(f"#cue-{fourth} .text")
    assert _selected(page) == fourth
    _key(page, "a")
    page.wait_for_selector(f"#cue-{fourth}.decision-accepted")
    stale.click(f"#cue-{fourth} .act-edit")
    stale.fill(f"#cue-{fourth} form.inline-edit input[name=text]", "Written in the stale tab.")
    stale.keyboard.press("Enter")
    stale.wait_for_selector("#timeline-message .tl-message.error[data-status='409'] button.reload")
    assert "changed elsewhere" in stale.inner_text("#timeline-message")
    stale.screenshot(path=str(shots / "timeline-409.png"))
    assert Cue.objects.get(pk=fourth).text != "Written in the stale tab."
    other.close()

    # Ctrl+Z undoes that accept.
    _key(page, "Control+z")
    page.wait_for_selector(f"#cue-{fourth}.decision-proposed")

    # An expired session: the change is kept, and saved after logging in again.
    context.clear_cookies(name="sessionid")
    _key(page, "a")
    page.wait_for_selector("#timeline-message .tl-message.error >> text=session has ended")
    assert page.evaluate("JSON.parse(localStorage.getItem('emocue-pending-changes')).length") == 1
    page.click("#timeline-message a:has-text('Log in')")
    page.fill("input[name=username]", "ann")
    page.fill("input[name=password]", "pw-for-tests")
    page.click("button[type=submit]")
    page.wait_for_url(f"**/annotate/{FIRST}/")
    page.wait_for_selector("#timeline-message >> text=Saved 1 change(s)")
    assert Cue.objects.get(pk=fourth).decision == "accepted"
    assert page.locator(f"#cue-{fourth}.decision-accepted").count() == 1

    # Submit with Enter: first what is missing, then (all decided) the next clip opens.
    _key(page, "Enter")
    page.wait_for_selector("#timeline-message >> text=still need a decision")
    while page.locator("#cue-list li.decision-proposed").count():
        cue_id = page.get_attribute("#cue-list li.decision-proposed", "data-cue-id")
        page.click(f"#cue-{cue_id} .text")
        _key(page, "a")
        page.wait_for_selector(f"#cue-{cue_id}.decision-accepted")
    _key(page, "?")
    assert page.locator("dialog#shortcuts[open]").count() == 1
    page.keyboard.press("Escape")
    _key(page, "Enter")
    page.wait_for_url(f"**/annotate/sample_00000002/?submitted={FIRST}")
    assert f"Submitted {FIRST} — next: sample_00000002." in page.inner_text("#submitted-notice")
    assert not [url for url in requests if url.endswith(".wav")], requests
    assert Annotation.objects.get(annotator__username="ann", clip__name=FIRST).status == "submitted"
    context.close()
