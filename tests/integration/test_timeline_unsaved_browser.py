"""Headless Chromium, two tabs (two pages of one context) on one annotation: the tab that is
behind gets a 409, and what it typed survives the reload, offered beside the current text to
take, keep or merge by hand."""

import pytest

from annotate.annotation import services
from annotate.annotation.models import Annotation
from annotate.clips.ingest import clip_ingest
from annotate.clips.services import clip_create
from annotate.runs.models import Cue
from tests import mediafiles
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def one_clip_draft(require_services, media_root, tmp_path):
    """One ingested clip, opened by annotator "ann", with one cue of their own."""
    project = ProjectFactory(name="Two tabs", slug="two-tabs")
    path = mediafiles.make_clip(tmp_path / "talk.mp4", seconds=2.0, fps=25)
    clip = clip_ingest(
        clip_id=clip_create(project=project, source=path, filename="talk.mp4", enqueue=False).pk
    )
    user = UserFactory(username="ann")
    MembershipFactory(project=project, user=user, role="annotator")
    annotation = services.annotation_next(project=project, annotator=user)
    cue = services.cue_add(
        annotation=annotation,
        user=user,
        modality="visual",
        text="He frowns.",
        start_ms=0,
        end_ms=1000,
    )
    return project, clip, annotation, cue


def _login(page, url, next_path):
    page.goto(f"{url}/login/?next={next_path}")
    page.fill("input[name=username]", "ann")
    page.fill("input[name=password]", "pw-for-tests")
    page.click("button[type=submit]")
    page.wait_for_selector("#timeline[data-ready='1']")


def _open(context, url):
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("#timeline[data-ready='1']")
    return page


def test_a_stale_tab_keeps_its_typed_text_and_offers_it_after_the_reload(
    live_server, browser, one_clip_draft
):
    project, clip, annotation, cue = one_clip_draft
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    url = f"{live_server.url}/p/{project.slug}/annotate/{clip.name}/"
    first = context.new_page()
    _login(first, live_server.url, f"/p/{project.slug}/annotate/{clip.name}/")
    stale = _open(context, url)  # the second tab, same session

    # The first tab writes the description and the cue's text; the second tab is now behind.
    first.fill("#description", "In the video, he frowns. Therefore, angry.")
    first.wait_for_function(
        "() => document.querySelector('#save-status .ok') && "
        "Number(document.querySelector('#save-status .ok').dataset.version) >= 2"
    )
    first.click(f"#cue-{cue.pk} .act-edit")
    first.fill(f"#cue-{cue.pk} form.inline-edit input[name=text]", "He frowns and looks away.")
    first.keyboard.press("Enter")
    first.wait_for_selector(f"#cue-{cue.pk}[data-version='2']")

    # The stale tab types a description: refused (409), and told its text is kept.
    stale.fill("#description", "In the audio, a sigh. Therefore, sad.")
    stale.wait_for_selector("#timeline-message .tl-message.error[data-status='409']")
    assert "What you typed is kept" in stale.inner_text("#timeline-message")
    # ... and edits the cue's text: refused too.
    stale.click(f"#cue-{cue.pk} .act-edit")
    stale.fill(f"#cue-{cue.pk} form.inline-edit input[name=text]", "He sighs.")
    stale.keyboard.press("Enter")
    stale.wait_for_function(
        "() => document.querySelector('#timeline-message').textContent.includes('Cue ')"
    )
    annotation.refresh_from_db()
    assert annotation.description == "In the video, he frowns. Therefore, angry."
    assert Cue.objects.get(pk=cue.pk).text == "He frowns and looks away."

    # Reload: the current versions are shown, with "yours" beside each.
    stale.click("#timeline-message button.reload")
    stale.wait_for_selector("#timeline[data-ready='1']")
    stale.wait_for_selector("#unsaved-work:not([hidden]) .unsaved-item >> nth=1")
    assert stale.input_value("#description") == "In the video, he frowns. Therefore, angry."
    mine_description = "#unsaved-work .unsaved-item[data-field='description']"
    mine_cue = f"#unsaved-work .unsaved-item[data-field='cue-{cue.pk}']"
    assert (
        stale.input_value(f"{mine_description} textarea") == "In the audio, a sigh. Therefore, sad."
    )
    assert "In the video, he frowns" in stale.inner_text(f"{mine_description} .unsaved-current")
    assert stale.input_value(f"{mine_cue} textarea") == "He sighs."
    assert "He frowns and looks away." in stale.inner_text(f"{mine_cue} .unsaved-current")

    # Merge the description by hand and use it; keep the current cue text.
    stale.fill(
        f"{mine_description} textarea",
        "In the video, he frowns. In the audio, a sigh. Therefore, sad.",
    )
    stale.click(f"{mine_description} .use-mine")
    stale.wait_for_function(
        "() => document.querySelector('#save-status .ok') && "
        "Number(document.querySelector('#save-status .ok').dataset.version) >= 3"
    )
    stale.click(f"{mine_cue} .keep-current")
    stale.wait_for_selector("#unsaved-work[hidden]", state="attached")
    annotation.refresh_from_db()
    assert annotation.description == (
        "In the video, he frowns. In the audio, a sigh. Therefore, sad."
    )
    assert Cue.objects.get(pk=cue.pk).text == "He frowns and looks away."

    # Nothing is offered again after another reload; the first tab never saw any of it.
    stale.reload()
    stale.wait_for_selector("#timeline[data-ready='1']")
    assert stale.locator("#unsaved-work .unsaved-item").count() == 0
    assert first.locator("#unsaved-work .unsaved-item").count() == 0
    assert Annotation.objects.get(pk=annotation.pk).status == "draft"
    context.close()


def test_use_mine_on_a_cue_saves_the_kept_text(live_server, browser, one_clip_draft):
    project, clip, annotation, cue = one_clip_draft
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    _login(page, live_server.url, f"/p/{project.slug}/annotate/{clip.name}/")
    # Someone else's write (another tab) moves the cue on; this page still holds version 1.
    services.cue_edit(cue=cue, user=annotation.annotator, expected_version=1, text="Current text.")
    page.click(f"#cue-{cue.pk} .act-edit")
    page.fill(f"#cue-{cue.pk} form.inline-edit input[name=text]", "My text from the stale tab.")
    page.keyboard.press("Enter")
    page.wait_for_selector("#timeline-message .tl-message.error[data-status='409']")
    page.click("#timeline-message button.reload")
    page.wait_for_selector(f"#unsaved-work .unsaved-item[data-field='cue-{cue.pk}']")
    page.click(f"#unsaved-work .unsaved-item[data-field='cue-{cue.pk}'] .use-mine")
    page.wait_for_selector(f"#cue-{cue.pk}[data-version='3']")
    assert Cue.objects.get(pk=cue.pk).text == "My text from the stale tab."
    assert page.locator("#unsaved-work .unsaved-item").count() == 0
    context.close()
