"""Headless Chromium on the clip's read-only timeline (issue #15, point 1): a manager who holds no
annotation of a clip opens its timeline after a signal run and sees the proposals on their
lanes; switches to another run (the choice lands in the URL) and to each annotator's submitted
work; finds no editing control, and the editing keys send nothing. The page keeps its
Content-Security-Policy (the browser fixture fails on any violation)."""

from urllib.parse import parse_qs, urlparse

import pytest

from annotate.clips.ingest import clip_ingest
from annotate.clips.services import clip_create
from annotate.core import scorer as core_scorer
from annotate.core.embedding_store import DatabaseEmbeddingStore
from annotate.runs import services as run_services
from annotate.runs.models import Cue, ModelRun
from inference.emocue360 import Scorer
from tests import mediafiles
from tests.annotate.review.test_reviews import ConceptEncoder, annotate
from tests.annotate.runs.test_runs import FakeProposer  # noqa: F401  (registers "fake")
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SUBTITLE = "1\n00:00:00,200 --> 00:00:01,500\nThank you so much, I am so happy.\n"
# Every control of the editable timeline; none may be on the read-only one.
EDITING_CONTROLS = (
    "[hx-post]",
    ".seg .handle",
    ".cue-row .actions",
    "form.inline-edit",
    "form.inline-reject",
    "#annotation-form",
    "#submit-btn",
    "#undo-btn",
    "#reopen-btn",
    "#new-cue-form",
    "#label-new",
    ".remove-label",
    "textarea",
    "[contenteditable]",
    "[data-retime-url]",
)


@pytest.fixture
def world(require_services, media_root, tmp_path, monkeypatch):
    """Clip "talk" (2 s, with a subtitle) after a run of the signal proposer ("signals run"),
    then a newer run of the fake one ("fake run"); three annotators submitted their work,
    started from the fake run's proposals. Manager "boss" holds no annotation of the clip."""
    monkeypatch.setattr(
        core_scorer, "_scorer", Scorer(encoder=ConceptEncoder(), store=DatabaseEmbeddingStore())
    )  # the submissions' alignment, without the sentence model
    project = ProjectFactory(name="Read only", slug="read-only", annotators_per_clip=3)
    path = mediafiles.make_clip(tmp_path / "talk.mp4", seconds=2.0, fps=25)
    clip = clip_create(
        project=project,
        source=path,
        filename="talk.mp4",
        subtitle=SUBTITLE,
        subtitle_filename="talk.srt",
        enqueue=False,
    )
    clip = clip_ingest(clip_id=clip.pk)
    signals = run_services.run_create(project=project, proposer="signals", label="signals run")
    fake = run_services.run_create(project=project, proposer="fake", label="fake run")
    for run in (signals, fake):
        run.refresh_from_db()
        assert run.status == ModelRun.Status.FINISHED, run.status
    MembershipFactory(project=project, user=UserFactory(username="boss"), role="manager")
    work = []
    for n, (primary, add) in enumerate(
        (("happy", "He frowns briefly."), ("sad", "He glances away."), ("happy", "He sighs.")),
        start=1,
    ):
        user = UserFactory(username=f"ann{n}")
        MembershipFactory(project=project, user=user, role="annotator")
        work.append(annotate(clip, user, add=[("visual", add, 100, 900)], primary=primary))
    return project, clip, signals, fake, work


def _login(page, url, username, next_path):
    page.goto(f"{url}/login/?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-for-tests")
    page.click("button[type=submit]")


def _on_lanes(page) -> dict[int, str]:
    """Cue id -> the modality lane its segment (or whole-clip chip) is drawn on."""
    found = page.eval_on_selector_all(
        "#lanes .lane [data-cue-id]",
        "els => els.map(e => [Number(e.dataset.cueId), e.closest('.lane').dataset.modality])",
    )
    return dict(found)


def _expected(cues) -> dict[int, str]:
    return {cue.pk: cue.modality for cue in cues}


def _ready(page):
    page.wait_for_selector("#timeline[data-ready='1']")


def _assert_read_only(page):
    for selector in EDITING_CONTROLS:
        assert page.locator(selector).count() == 0, f"an editing control on the page: {selector}"
    assert page.locator("#read-only-banner .badge.read-only").inner_text().lower() == "read-only"


def test_a_manager_reads_a_clips_timeline(live_server, browser, world, media_root):
    project, clip, signals, fake, work = world
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    writes = []
    page.on("request", lambda r: writes.append(r.url) if r.method != "GET" else None)
    _login(page, live_server.url, "boss", f"/p/{project.slug}/annotate/{clip.name}/")
    _ready(page)
    writes.clear()  # the login form's POST

    # Sent on to the read-only timeline, which opens on the newest finished run.
    assert urlparse(page.url).path == f"/p/{project.slug}/annotate/{clip.name}/view/"
    _assert_read_only(page)
    assert _on_lanes(page) == _expected(Cue.objects.filter(proposal__run=fake, proposal__clip=clip))
    assert page.locator("#run-picker select").input_value() == str(fake.pk)
    page.wait_for_selector("#waveform[data-ready='1']")
    assert page.locator("#subtitles .seg.subtitle").count() == 1

    # The signal run, chosen in the picker: its proposals on their lanes, its id in the URL.
    page.select_option("#run-picker select", str(signals.pk))
    page.wait_for_url(f"**/view/?run={signals.pk}")
    _ready(page)
    signal_cues = list(Cue.objects.filter(proposal__run=signals, proposal__clip=clip))
    assert {c.modality for c in signal_cues} == {"visual", "auditory", "emotional"}
    assert _on_lanes(page) == _expected(signal_cues)
    subtitle_cue = next(c for c in signal_cues if c.kind == "subtitle" and c.start_ms == 200)
    assert page.locator(f"#lane-auditory #seg-{subtitle_cue.pk} .kind-tag").count() == 1
    assert "In the video" in page.inner_text("#shown-description")
    _assert_read_only(page)

    # A shared link opens the same run.
    shared = context.new_page()
    shared.goto(page.url)
    _ready(shared)
    assert _on_lanes(shared) == _expected(signal_cues)
    shared.close()

    # Each annotator's submitted work, from the chooser: their cues on the lanes, their labels.
    names = page.eval_on_selector_all(
        "#work-picker a.work-choice", "els => els.map(e => e.textContent)"
    )
    assert names == ["ann1", "ann2", "ann3"]
    for annotation in work:
        page.click(f"#work-picker a[data-annotation='{annotation.pk}']")
        page.wait_for_url(f"**/view/?annotation={annotation.pk}")
        _ready(page)
        assert _on_lanes(page) == _expected(annotation.cues.all())
        assert page.locator("#work-picker a[aria-current]").inner_text() == (
            annotation.annotator.username
        )
        primary = page.locator("#shown-labels .label-chip.primary").get_attribute("data-label")
        assert primary == annotation.primary_label
        assert page.locator("#run-picker select").input_value() == ""  # a run is not what's shown
        _assert_read_only(page)

    # Playback and selection work; the editing keys do nothing and send nothing.
    before = {c.pk: (c.text, c.version, c.decision) for c in Cue.objects.filter(clip=clip)}
    page.keyboard.press("ArrowDown")
    assert page.locator("#cue-list li.selected").count() == 1
    for key in ("a", "r", "e", "n", "Delete", "Enter", "Control+z", "[", "]"):
        page.keyboard.press(key)
    page.locator("#player").evaluate("v => { v.muted = true; }")
    page.keyboard.press(" ")
    page.wait_for_function("() => !document.getElementById('player').paused")
    page.keyboard.press("k")
    page.keyboard.press("?")
    assert page.locator("#shortcuts[open]").count() == 1
    assert "accept" not in page.inner_text("#shortcuts").lower()
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)
    assert writes == [], writes
    assert page.locator("#timeline-message .tl-message").count() == 0
    assert (
        page.locator("form.inline-edit:not([hidden]), form.inline-reject:not([hidden])").count()
        == 0
    )
    after = {c.pk: (c.text, c.version, c.decision) for c in Cue.objects.filter(clip=clip)}
    assert after == before

    # The run picker leads back from the work to a run.
    page.select_option("#run-picker select", str(fake.pk))
    page.wait_for_url(f"**/view/?run={fake.pk}")
    assert parse_qs(urlparse(page.url).query) == {"run": [str(fake.pk)]}
    _ready(page)
    assert _on_lanes(page) == _expected(Cue.objects.filter(proposal__run=fake, proposal__clip=clip))
    page.screenshot(path=str(media_root.parent / "timeline-read-only.png"), full_page=True)
    context.close()
