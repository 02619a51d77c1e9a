"""A clip's history in the browser (issue #15, point 6): people and objects by name instead
of ids, word-level diffs, and paging (limit and offset, as the API) that keeps the filters."""

import re

import pytest
from playwright.sync_api import expect

from annotate.annotation.models import Annotation
from annotate.clips.models import Clip
from annotate.core.audit import audit_record
from annotate.review.models import GoldCue, GoldRecord
from annotate.runs.models import Cue
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SAID = "The corners of the mouth turn up."
EDITED = "The corners of the mouth lift slightly."


@pytest.fixture
def busy_clip(require_services):
    project = ProjectFactory(name="History test", slug="history-test")
    mona = MembershipFactory(project=project, role="manager", user=UserFactory(username="mona"))
    kim = MembershipFactory(project=project, role="annotator", user=UserFactory(username="kim"))
    rita = MembershipFactory(project=project, role="reviewer", user=UserFactory(username="rita"))
    mona, kim, rita = mona.user, kim.user, rita.user
    clip = Clip.objects.create(
        project=project,
        name="sample_00000001",
        sha256="1" * 64,
        status=Clip.Status.READY,
        duration_ms=4000,
    )
    annotation = Annotation.objects.create(clip=clip, annotator=kim)
    cue = Cue.objects.create(clip=clip, annotation=annotation, modality="visual", text=EDITED)
    record = GoldRecord.objects.create(clip=clip, reviewer=rita, primary_label="happy")
    gold = GoldCue.objects.create(
        record=record, modality="visual", text=EDITED, source_cues=[cue.pk]
    )
    for n in range(30):  # a busy clip: more than a page
        audit_record(
            actor=kim,
            action="open",
            object_type="cue",
            object_id=1000 + n,
            clip=clip,
            before=None,
            after={
                "text": f"Proposal {n}.",
                "modality": "auditory",
                "annotation_id": annotation.pk,
            },
        )
    state = {"id": cue.pk, "modality": "visual", "annotation_id": annotation.pk, "version": 1}
    audit_record(
        actor=kim,
        action="edit",
        object_type="cue",
        object_id=cue.pk,
        clip=clip,
        before={**state, "text": SAID},
        after={**state, "text": EDITED, "version": 2},
    )
    audit_record(
        actor=rita,
        action="create",
        object_type="gold_cue",
        object_id=gold.pk,
        clip=clip,
        before=None,
        after={
            "text": EDITED,
            "modality": "visual",
            "record_id": record.pk,
            "source_cues": [cue.pk],
        },
    )
    audit_record(
        actor=rita,
        action="accept",
        object_type="review_decision",
        object_id=1,
        clip=clip,
        before=None,
        after={
            "action": "accept",
            "record_id": record.pk,
            "gold_cue_id": gold.pk,
            "reviewer_id": rita.pk,
        },
    )
    return project, clip, {"mona": mona, "kim": kim, "rita": rita}, record, cue


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-for-tests")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))


def test_history_names_diffs_and_pages(busy_clip, live_server, browser):
    project, clip, people, record, cue = busy_clip
    page = browser.new_page()
    _login(page, live_server, "mona")
    page.goto(f"{live_server.url}/p/{project.slug}/c/{clip.name}/history/")

    # Names, not ids: the reviewer, the gold record, the gold cue and its source cue.
    decision = page.locator('li.audit-event[data-object-type="review_decision"]')
    assert decision.locator('dd[data-field="reviewer_id"]').inner_text().strip() == "rita"
    assert (
        decision.locator('dd[data-field="record_id"]').inner_text().strip()
        == "gold record of sample_00000001"
    )
    assert decision.locator('dd[data-field="gold_cue_id"]').inner_text().strip() == f"“{EDITED}”"
    created = page.locator('li.audit-event[data-object-type="gold_cue"]')
    assert created.locator('dd[data-field="source_cues"]').inner_text().strip() == (
        f"kim: “{EDITED}”"
    )
    body = page.inner_text("#history")
    assert not re.search(rf"\b{people['rita'].pk}\b|\[{cue.pk}\]|record\s+{record.pk}\b", body)

    # A word-level diff: the words that went struck through, those that came highlighted.
    edit = page.locator('li.audit-event[data-action="edit"] dd[data-field="text"]')
    assert edit.locator("del").all_inner_texts() == ["turn up."]
    assert edit.locator("ins").all_inner_texts() == ["lift slightly."]
    assert "The corners of the mouth" in edit.locator("span").first.inner_text()

    # Paging: 25 of 33, then the rest; the filter and the page size stay on every link.
    assert page.locator("li.audit-event").count() == 25
    assert "events 1–25 of 33" in page.inner_text("nav.pager")
    page.select_option('select[name="type"]', "cue")
    page.wait_for_selector("text=31 events")
    page.select_option('select[name="limit"]', "10")
    expect(page.locator("li.audit-event")).to_have_count(10)  # (no wait_for_function: CSP)
    page.click("nav.pager a[rel=next]")
    page.wait_for_selector("nav.pager >> text=events 11–20 of 31")
    assert "type=cue" in page.url and "limit=10" in page.url and "offset=10" in page.url
    kinds = page.eval_on_selector_all("li.audit-event", "els => els.map(e => e.dataset.objectType)")
    assert kinds == ["cue"] * 10
    page.click("nav.pager a[rel=prev]")
    page.wait_for_selector("nav.pager >> text=events 1–10 of 31")
    # A page of 25 busy events stays a page, not a scroll of 10,000 px.
    page.goto(f"{live_server.url}/p/{project.slug}/c/{clip.name}/history/")
    assert page.evaluate("document.documentElement.scrollHeight") < 6000
