"""Headless Chromium on submitting: Enter submits and the next clip says "Submitted X — next:
Y" with a short undo window; Undo reopens X; the annotator reopens their own submission from
its read-only page; a reviewer sends it back with a comment, which the annotator reads on the
timeline."""

import pytest

from annotate.annotation import services
from annotate.annotation.models import Annotation
from annotate.clips.ingest import clip_ingest
from annotate.clips.services import clip_create
from annotate.core import scorer as core_scorer
from annotate.core.embedding_store import DatabaseEmbeddingStore
from annotate.core.models import AuditEvent
from inference.emocue360 import Scorer
from tests import mediafiles
from tests.annotate.review.test_reviews import ConceptEncoder
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_clips(require_services, media_root, tmp_path, monkeypatch):
    """Clips "one" and "two"; annotator "ann" has "one" ready to submit; reviewer "rev"."""
    # The review page aligns cues: a deterministic encoder instead of the sentence model.
    scorer = Scorer(encoder=ConceptEncoder(), store=DatabaseEmbeddingStore())
    monkeypatch.setattr(core_scorer, "_scorer", scorer)
    project = ProjectFactory(name="Submit", slug="submit")
    for name, seconds in (("one", 1.0), ("two", 1.2)):
        path = mediafiles.make_clip(tmp_path / f"{name}.mp4", seconds=seconds, fps=25)
        clip_ingest(
            clip_id=clip_create(
                project=project, source=path, filename=f"{name}.mp4", enqueue=False
            ).pk
        )
    user = UserFactory(username="ann")
    MembershipFactory(project=project, user=user, role="annotator")
    MembershipFactory(project=project, user=UserFactory(username="rev"), role="reviewer")
    annotation = services.annotation_next(project=project, annotator=user)
    assert annotation.clip.name == "one"
    services.cue_add(
        annotation=annotation,
        user=user,
        modality="visual",
        text="He smiles.",
        start_ms=0,
        end_ms=400,
    )
    services.annotation_update(
        annotation=annotation,
        user=user,
        expected_version=1,
        labels=["happy"],
        primary_label="happy",
        description="In the video, he smiles. Therefore, happy.",
    )
    return project


def _login(page, url, username, next_path):
    page.goto(f"{url}/login/?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-for-tests")
    page.click("button[type=submit]")


def _key(page, key):
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press(key)


def test_submit_says_what_is_next_and_can_be_undone_reopened_and_sent_back(
    live_server, browser, two_clips
):
    project = two_clips
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    _login(page, live_server.url, "ann", f"/p/{project.slug}/annotate/one/")
    page.wait_for_selector("#timeline[data-ready='1']")

    # Enter submits; the next clip opens and says so, with an Undo.
    _key(page, "Enter")
    page.wait_for_url("**/annotate/two/?submitted=one")
    page.wait_for_selector("#timeline[data-ready='1']")
    notice = page.inner_text("#submitted-notice")
    assert "Submitted one — next: two." in " ".join(notice.split())
    assert Annotation.objects.get(clip__name="one").status == "submitted"
    page.click("#submitted-notice button.undo-submit")
    page.wait_for_url("**/annotate/one/")
    page.wait_for_selector("#timeline[data-ready='1'][data-editable='1']")
    assert Annotation.objects.get(clip__name="one").status == "draft"
    assert AuditEvent.objects.filter(object_type="annotation", action="reopen").count() == 1

    # Submitted again with the button; the undo window closes after a few seconds.
    page.click("#submit-btn")
    page.wait_for_url("**/annotate/two/?submitted=one")
    page.wait_for_selector("#submitted-notice button.undo-submit")
    page.wait_for_selector("#submitted-notice[data-undo-closed='1']", timeout=15_000)
    assert page.locator("#submitted-notice button.undo-submit").count() == 0

    # From the read-only page of the submitted clip: Reopen, while no reviewer opened it.
    page.goto(f"{live_server.url}/p/{project.slug}/annotate/one/")
    page.wait_for_selector("#timeline[data-ready='1'][data-editable='0']")
    page.click("#reopen-btn")
    page.wait_for_selector("#timeline[data-ready='1'][data-editable='1']")
    assert AuditEvent.objects.filter(object_type="annotation", action="reopen").count() == 2
    page.click("#submit-btn")
    page.wait_for_url("**/annotate/two/?submitted=one")

    # A reviewer sends it back with a comment.
    reviewer = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    _login(reviewer, live_server.url, "rev", f"/p/{project.slug}/review/one/")
    reviewer.wait_for_selector("#labels-table")
    reviewer.click("#labels-table td.send-back summary")
    reviewer.fill("#labels-table .send-back-form textarea", "The auditory lane is empty.")
    reviewer.click("#labels-table .send-back-form button[type=submit]")
    reviewer.wait_for_url(f"**/p/{project.slug}/review/")  # none of the clip is submitted now
    returned = Annotation.objects.get(clip__name="one")
    assert returned.status == "draft" and returned.returned_comment == (
        "The auditory lane is empty."
    )

    # The annotator reads why, on the clip's timeline, editable again.
    page.goto(f"{live_server.url}/p/{project.slug}/annotate/one/")
    page.wait_for_selector("#timeline[data-ready='1'][data-editable='1']")
    assert "The auditory lane is empty." in page.inner_text("#returned-note")
    assert "rev" in page.inner_text("#returned-note")
    context.close()
