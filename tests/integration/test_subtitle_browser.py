"""Headless Chromium on a subtitle read from the picture: the timeline's lane shows that the
subtitle is being read and fills itself when the reading ends (marked OCR, each segment with its
confidence), the clip page's player track carries it, and a manager corrects it on the clip
page (a segment's words, a new segment), which the clip's history shows. Every page holds its
Content-Security-Policy (the browser fixture fails the test on a violation)."""

import pytest

from annotate.annotation.opening import annotation_open
from annotate.clips import subtitle_reading
from annotate.clips.ingest import clip_ingest
from annotate.clips.models import Clip
from annotate.clips.services import clip_create
from tests import mediafiles
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

READ = [
    {"start_ms": 200, "end_ms": 900, "text": "你好，世界", "confidence": 0.97},
    {"start_ms": 1000, "end_ms": 1800, "text": "I waited for yuo.", "confidence": 0.64},
]


@pytest.fixture
def reading_clip(require_services, media_root, tmp_path, settings):
    """Clip "talk" (2 s), ready, whose subtitle is being read from the picture; annotator
    "ann" has it open, "boss" manages the project."""
    settings.EMOCUE_SUBTITLE_OCR = True
    project = ProjectFactory(name="Burned", slug="burned")
    path = mediafiles.make_clip(tmp_path / "talk.mp4", seconds=2.0, fps=25)
    clip = clip_create(project=project, source=path, filename="talk.mp4", enqueue=False)
    clip = clip_ingest(clip_id=clip.pk)
    Clip.objects.filter(pk=clip.pk).update(subtitle_ocr_status="running", subtitle_ocr_progress=0.3)
    annotator = UserFactory(username="ann")
    MembershipFactory(project=project, user=annotator, role="annotator")
    MembershipFactory(project=project, user=UserFactory(username="boss"), role="manager")
    annotation_open(clip=Clip.objects.get(pk=clip.pk), annotator=annotator)
    return project, clip


def _login(page, url, username, next_path):
    page.goto(f"{url}/login/?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-for-tests")
    page.click("button[type=submit]")


def test_the_lane_fills_itself_when_the_reading_ends(live_server, browser, reading_clip):
    project, clip = reading_clip
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    _login(page, live_server.url, "ann", f"/p/{project.slug}/annotate/{clip.name}/")
    page.wait_for_selector("#timeline[data-ready='1']")
    # Annotatable meanwhile: the lane says the subtitle is being read, and has no segment yet.
    assert "reading from the picture" in page.inner_text("#subtitle-lanes .head")
    assert page.locator("#subtitles .seg").count() == 0

    # The worker stores what it read (the task's own code, without the OCR).
    subtitle_reading._store(clip_id=clip.pk, segments=READ)
    page.wait_for_selector("#subtitles .seg.subtitle.ocr", timeout=15_000)
    assert page.locator("#subtitle-ocr-tag").inner_text() == "OCR"
    assert page.locator("#subtitle-reading-note").count() == 0  # no longer polling
    segments = page.locator("#subtitles .seg.subtitle")
    assert segments.count() == 2
    assert "confidence 0.64" in segments.nth(1).get_attribute("title")
    assert "low-confidence" in segments.nth(1).get_attribute("class")
    assert "low-confidence" not in segments.nth(0).get_attribute("class")
    # laid out on the time axis: the second segment starts to the right of the first
    first, second = (segments.nth(i).bounding_box() for i in (0, 1))
    assert second["x"] > first["x"] + first["width"] - 1
    # a click on a subtitle seeks the video to its start
    segments.nth(1).click()
    page.wait_for_function(
        "() => Math.abs(document.getElementById('player').currentTime - 1.0) < 0.05"
    )


def test_the_track_and_a_managers_correction_on_the_clip_page(live_server, browser, reading_clip):
    project, clip = reading_clip
    subtitle_reading._store(clip_id=clip.pk, segments=READ)
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    _login(page, live_server.url, "boss", f"/p/{project.slug}/c/{clip.name}/")
    page.wait_for_selector("#subtitle")
    assert page.get_attribute("video track", "label") == "Subtitles (read from the picture)"
    cues = page.evaluate("""() => new Promise(resolve => {
        const track = document.querySelector('video track').track;
        track.mode = 'hidden';
        const poll = () => track.cues && track.cues.length
            ? resolve(Array.from(track.cues).map(c => [c.id, c.startTime, c.endTime, c.text]))
            : setTimeout(poll, 50);
        poll(); })""")
    assert cues == [
        ["1 (OCR confidence 0.97)", 0.2, 0.9, "你好，世界"],
        ["2 (OCR confidence 0.64)", 1.0, 1.8, "I waited for yuo."],
    ]
    assert "Read from the picture (OCR)" in page.inner_text("#subtitle-source")
    assert page.locator("tr.subtitle-segment.low-confidence").count() == 1

    # Correct the misread word and add a segment, in the page.
    page.click("#subtitle-edit summary")
    page.fill("tr.subtitle-row-edit:nth-child(2) input[name=text]", "I waited for you.")
    page.click("button.add-subtitle-row")
    rows = page.locator("tr.subtitle-row-edit")
    assert rows.count() == 4  # two segments, the form's blank row, the added one
    rows.nth(2).locator("input[name=start]").fill("1.85")
    rows.nth(2).locator("input[name=end]").fill("1,95")
    rows.nth(2).locator("input[name=text]").fill("好。")
    page.click("form.subtitle-correct button[type=submit]")
    page.wait_for_selector("#subtitle-message.ok")
    assert "corrected by a manager" in page.inner_text("#subtitle-view h2")
    texts = page.locator("tr.subtitle-segment td:nth-child(3)").all_inner_texts()
    assert texts == ["你好，世界", "I waited for you.", "好。"]
    clip.refresh_from_db()
    assert clip.subtitle_segments[1] == {
        "start_ms": 1000,
        "end_ms": 1800,
        "text": "I waited for you.",
    }
    assert clip.subtitle_segments[2] == {"start_ms": 1850, "end_ms": 1950, "text": "好。"}

    # A malformed correction is refused with a message; what was typed stays.
    page.click("#subtitle-edit summary")  # the saved card comes back with its tools closed
    page.fill("tr.subtitle-row-edit:nth-child(3) input[name=end]", "1.5")
    page.click("form.subtitle-correct button[type=submit]")
    page.wait_for_selector("#subtitle-message.error")
    assert "segment 3: end_ms 1500 must be after start_ms 1850" in page.inner_text(
        "#subtitle-message"
    )
    assert page.input_value("tr.subtitle-row-edit:nth-child(3) input[name=end]") == "1.5"
    clip.refresh_from_db()
    assert clip.subtitle_version == 2  # the reading, the correction; nothing more

    # The clip's history shows the reading and the correction.
    page.goto(f"{live_server.url}/p/{project.slug}/c/{clip.name}/history/")
    actions = page.eval_on_selector_all(
        "li.audit-event[data-object-type='subtitle']", "items => items.map(i => i.dataset.action)"
    )
    assert actions == ["correct", "read_from_picture"]
    change = page.locator("li.audit-event[data-action='correct'] dd[data-field='text']")
    assert change.locator("del").all_inner_texts() == ["yuo."]  # word by word
    assert change.locator("ins").all_inner_texts() == ["you. 好。"]
