"""Headless Chromium on the quality page's "EmoCue-360 judged by reviewers" (issue #17, point 1):
the body loads by htmx with the AUC per modality, the ROC curve and the disagreements, and the
page keeps its Content-Security-Policy (the browser fixture fails the test on a violation)."""

import pytest

from annotate.core import scorer as core_scorer
from inference.emocue360 import MemoryEmbeddingStore, Scorer
from tests.annotate.review.histories import GLANCE, SIGH, KeywordEncoder, judged_history
from tests.factories import ProjectFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def judged(require_services, monkeypatch):
    # Which cues align is decided by keywords, not by the sentence model.
    scorer = Scorer(encoder=KeywordEncoder(), store=MemoryEmbeddingStore())
    monkeypatch.setattr(core_scorer, "_scorer", scorer)
    project = ProjectFactory(name="Judged", slug="judged")
    judged_history(project)
    return project


def test_the_quality_page_shows_how_the_metric_matches_the_reviewers(live_server, browser, judged):
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(f"{live_server.url}/login/?next=/p/{judged.slug}/quality/")
    page.fill("input[name=username]", "rev")
    page.fill("input[name=password]", "pw-for-tests")
    page.click("button[type=submit]")
    page.wait_for_selector("#quality-body[data-loaded] #quality-metric")
    section = page.locator("#quality-metric")
    assert section.locator("#metric-summary").get_attribute("data-pairs") == "10"
    overall = section.locator("#metric-table tr[data-modality=overall]")
    assert overall.get_attribute("data-auc") == "0.900"
    assert section.locator("#metric-table tr[data-modality=visual]").get_attribute("data-auc") == (
        "1.000"
    )
    assert (
        "no pair the reviewers kept apart"
        in section.locator("#metric-table tr[data-modality=auditory]").inner_text()
    )
    roc = section.locator("#metric-roc")
    assert roc.is_visible() and roc.locator("circle.mark").count() == 2
    box = roc.bounding_box()
    assert box["width"] > 150 and box["height"] > 150
    rows = section.locator("#metric-disagreements tbody tr")
    assert rows.count() == 1
    text = rows.first.inner_text()
    assert SIGH in text and GLANCE in text and "merged" in text and "rev" in text
    rows.first.locator("a").click()
    page.wait_for_url(f"**/p/{judged.slug}/review/merged/")
    page.context.close()
