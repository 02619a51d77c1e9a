"""Headless Chromium on the timeline's details (issue #15, point 10): dragging a cue's right
edge keeps its start, the cue list re-sorts when a time changes, subtitle-derived cues are
marked in the auditory lane, read-only chips have no ×, a reviewer is not offered "Start
annotating", and the clip page has one proposal table with a run picker and frames big enough
to see a face."""

import pytest

from annotate.annotation import services
from annotate.annotation.models import Annotation
from annotate.clips.ingest import clip_ingest
from annotate.clips.services import clip_create
from annotate.runs import services as run_services
from annotate.runs.models import Cue
from tests import mediafiles
from tests.annotate.runs.test_runs import FakeProposer  # noqa: F401  (registers "fake")
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def opened(require_services, media_root, tmp_path):
    """Clip "talk" (2 s, 25 fps, 640 px wide) with two runs of the fake proposer, opened by
    annotator "ann"; its visual cue starts off the frames (300 ms), its auditory cue came
    from the subtitles. A reviewer "rev" and a manager "boss"."""
    project = ProjectFactory(name="Details", slug="details")
    path = mediafiles.make_clip(tmp_path / "talk.mp4", seconds=2.0, fps=25)
    clip = clip_ingest(
        clip_id=clip_create(project=project, source=path, filename="talk.mp4", enqueue=False).pk
    )
    runs = [
        run_services.run_create(project=project, proposer="fake", label=label)
        for label in ("first", "second")
    ]
    user = UserFactory(username="ann")
    MembershipFactory(project=project, user=user, role="annotator")
    MembershipFactory(project=project, user=UserFactory(username="rev"), role="reviewer")
    MembershipFactory(project=project, user=UserFactory(username="boss"), role="manager")
    annotation = services.annotation_next(project=project, annotator=user)
    Cue.objects.filter(annotation=annotation, modality="visual").update(start_ms=300, end_ms=600)
    Cue.objects.filter(annotation=annotation, modality="auditory").update(
        kind="subtitle", start_ms=1000, end_ms=1400
    )
    return project, clip, annotation, runs


def _login(page, url, username, next_path):
    page.goto(f"{url}/login/?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-for-tests")
    page.click("button[type=submit]")


def _drag(page, selector, dx):
    box = page.locator(selector).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y, steps=6)
    page.mouse.up()


def _listed(page):
    return page.eval_on_selector_all(
        "#cue-list li.cue-row", "rows => rows.map(r => r.dataset.cueId)"
    )


def test_timeline_details(live_server, browser, opened):
    project, clip, annotation, (first, second) = opened
    visual = annotation.cues.get(modality="visual")
    auditory = annotation.cues.get(modality="auditory")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    _login(page, live_server.url, "ann", f"/p/{project.slug}/annotate/{clip.name}/")
    page.wait_for_selector("#timeline[data-ready='1']")

    # The subtitle-derived cue is marked in the auditory lane (and in the list).
    assert page.locator(f"#lane-auditory #seg-{auditory.pk}.kind-subtitle .kind-tag").count() == 1
    assert "from the subtitles" in page.get_attribute(f"#seg-{auditory.pk}", "title")
    assert page.locator(f"#cue-{auditory.pk} .kind-tag").inner_text().lower() == "sub"
    assert page.locator(f"#seg-{visual.pk} .kind-tag").count() == 0

    # Dragging the right edge moves the end only (snapped to a frame); the start stays 0.30 s.
    page.evaluate("document.getElementById('lanes').dataset.before = '1'")
    _drag(page, f"#seg-{visual.pk} .handle.r", 40)
    page.wait_for_selector(f"#cue-{visual.pk}[data-version='2']")
    page.wait_for_selector("#lanes:not([data-before])")  # lanes and list reloaded after it
    visual.refresh_from_db()
    assert visual.start_ms == 300 and visual.end_ms > 600 and visual.end_ms % 40 == 0
    assert page.get_attribute(f"#seg-{visual.pk}", "data-start-ms") == "300"

    # Dragging the auditory cue's left edge before the visual one re-sorts the list.
    order = _listed(page)
    assert order.index(str(visual.pk)) < order.index(str(auditory.pk))
    seg = page.locator(f"#seg-{visual.pk}").bounding_box()
    handle = page.locator(f"#seg-{auditory.pk} .handle.l").bounding_box()
    _drag(page, f"#seg-{auditory.pk} .handle.l", seg["x"] - 10 - handle["x"])
    page.wait_for_function(
        f"() => {{ const ids = Array.from(document.querySelectorAll('#cue-list li.cue-row'))"
        f".map(r => r.dataset.cueId); return ids.indexOf('{auditory.pk}') < "
        f"ids.indexOf('{visual.pk}'); }}"
    )
    auditory.refresh_from_db()
    assert auditory.start_ms < 300 and auditory.end_ms == 1400
    assert page.locator("#cue-list li.selected").get_attribute("data-cue-id") == str(auditory.pk)

    # Read only after submitting: the label chips have no ×.
    services.annotation_update(
        annotation=annotation,
        user=annotation.annotator,
        expected_version=1,
        labels=["happy"],
        primary_label="happy",
    )
    page.reload()
    page.wait_for_selector("#timeline[data-ready='1']")
    assert page.locator(".label-chip[data-label='happy'] .remove-label").count() == 1
    Annotation.objects.filter(pk=annotation.pk).update(status="submitted")
    page.reload()
    page.wait_for_selector("#timeline[data-ready='1'][data-editable='0']")
    assert page.locator(".label-chip[data-label='happy']").count() == 1
    assert page.locator(".label-chip .remove-label").count() == 0
    context.close()

    # A reviewer is not offered "Start annotating"; a manager is.
    reviewer = browser.new_context().new_page()
    _login(reviewer, live_server.url, "rev", f"/p/{project.slug}/")
    reviewer.wait_for_selector("#project-links")
    assert reviewer.locator("#start-annotating").count() == 0

    # The clip page: one proposal table, a run picker, frames big enough to see a face.
    manager = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    _login(manager, live_server.url, "boss", f"/p/{project.slug}/c/{clip.name}/")
    manager.wait_for_selector("#proposals")
    assert manager.locator("#start-annotating").count() == 0  # not on the clip page at all
    assert manager.locator("section.proposal").count() == 1
    assert manager.get_attribute("#proposals", "data-run") == str(second.pk)
    manager.select_option("#run-picker select", str(first.pk))
    manager.wait_for_url(f"**/c/{clip.name}/?run={first.pk}")
    manager.wait_for_selector(f"#proposals[data-run='{first.pk}']")
    assert manager.locator("section.proposal").count() == 1
    assert manager.locator("#proposals tr.cue").count() == 3
    widths = manager.eval_on_selector_all(
        ".frames img", "imgs => imgs.map(i => i.getBoundingClientRect().width)"
    )
    assert widths and min(widths) >= 250, widths
