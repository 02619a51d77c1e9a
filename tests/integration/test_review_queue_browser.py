"""Headless Chromium on the review queue (issue #15, point 4): complete clips are ranked from
the alignments the worker stored when they were submitted (real EmoCue-360 embeddings), a
complete clip whose alignment is not stored yet is listed as "aligning…" until the worker has
run, and a clip with 1 of 3 annotations is listed apart, "waiting for 2 more", not ranked."""

import pytest
from django.utils import timezone

from annotate.clips.models import Clip
from annotate.review.models import ClipAlignment
from annotate.review.tasks import clip_align
from tests.integration.test_review_browser import (  # noqa: F401
    AGREED,
    DISPUTED,
    _annotate,
    _login,
    annotated,  # noqa: F401 (the fixture, used through `queue_project`)
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
PARTIAL = "sample_00000003"


@pytest.fixture
def queue_project(request):
    """The review browser test's project: DISPUTED and AGREED submitted by ada, ben and cleo."""
    return request.getfixturevalue("annotated")


def _table(page, selector):
    rows = page.locator(f"{selector} tbody tr")
    return [
        (rows.nth(i).get_attribute("data-clip"), rows.nth(i).inner_text())
        for i in range(rows.count())
    ]


def test_the_queue_ranks_complete_clips_and_lists_the_others_apart(
    live_server, browser, queue_project
):
    from django.contrib.auth.models import User

    ada = User.objects.get(username="ada")
    _annotate(
        Clip.objects.get(project=queue_project, name=PARTIAL),
        ada,
        primary="sad",
        add=[("visual", "She looks down.", 0, 800)],
    )
    # The worker has not stored AGREED's alignment yet (it was asked a moment ago).
    stored = ClipAlignment.objects.filter(clip__name=AGREED)
    stored.update(computed_at=None, queued_at=timezone.now())

    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    _login(page, live_server.url, f"/p/{queue_project.slug}/review/")
    page.wait_for_selector("#queue-table")
    ranked = _table(page, "#queue-table")
    assert [name for name, _ in ranked] == [DISPUTED, AGREED]
    first = page.locator(f"#queue-table tr[data-clip='{DISPUTED}']")
    assert first.get_attribute("data-state") == "ranked"
    assert "aligning…" in ranked[1][1] and "3/3" in ranked[1][1]
    waiting = _table(page, "#waiting-table")
    assert [name for name, _ in waiting] == [PARTIAL]
    assert "1/3" in waiting[0][1] and "waiting for 2 more" in waiting[0][1]
    assert page.locator(f"#queue-table tr[data-clip='{PARTIAL}']").count() == 0

    # The worker runs; the next load ranks the clip, below the disputed one.
    assert clip_align(Clip.objects.get(name=AGREED).pk) == "aligned"
    page.reload()
    page.wait_for_selector("#queue-table")
    rows = page.locator("#queue-table tr.queue-row")
    assert [rows.nth(i).get_attribute("data-state") for i in range(2)] == ["ranked", "ranked"]
    disagreement = [float(rows.nth(i).get_attribute("data-disagreement")) for i in range(2)]
    assert rows.nth(0).get_attribute("data-clip") == DISPUTED
    assert disagreement[0] > disagreement[1]
    assert "aligning…" not in page.inner_text("#queue-table")
    page.click(f"#waiting-table a:has-text('{PARTIAL}')")
    page.wait_for_url(f"**/review/{PARTIAL}/")  # a reviewer may still open a waiting clip
    page.context.close()
