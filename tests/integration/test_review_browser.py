"""Headless Chromium on the review pages: three annotators' submitted annotations of demo
clips (made through the services), a reviewer who opens the conflict-first queue, adjudicates
the most disputed clip group by group with the real EmoCue-360 embeddings, picks the labels and
finalizes; a second tab that still holds an older version gets the 409 message."""

from pathlib import Path

import pytest

from annotate.annotation import opening
from annotate.annotation import services as annotation_services
from annotate.annotation.models import Annotation
from annotate.clips.imports import clips_import
from annotate.review.models import GoldCue, GoldRecord, ReviewDecision
from annotate.runs import proposing
from annotate.runs import services as run_services
from annotate.runs.models import Cue, Proposal
from inference.proposers import Proposal as ProposalResult
from inference.proposers import ProposedCue, register_proposer
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
OUTPUT = Path(__file__).resolve().parents[1] / "output"
DISPUTED, AGREED = "sample_00000001", "sample_00000002"
MOUTH = "The corners of her mouth turn up."
DECOY = "She laughs out loud."  # flagged a decoy after the run: every annotator rejects it
FROWN, AWAY = "She frowns briefly.", "She looks away from the camera."
LOUD, LOUDLY, NERVOUS = (
    "Her voice is loud and fast.",
    "She speaks loudly and quickly.",
    "She seems nervous.",
)


class ScriptedProposer:
    """The model lane: one real-looking visual cue and one decoy on every clip."""

    name = "review-script"
    version = "1"

    def propose(self, clip):
        return ProposalResult(
            proposer=self.name,
            version=self.version,
            description=f"In the video, {MOUTH}",
            cues=(
                ProposedCue("visual", MOUTH, 0, 1500, 0.9),
                ProposedCue("auditory", DECOY, 200, 1200, 0.4),
            ),
            emotions=(("happy", 0.8),),
            notes=(),
            timings={},
        )


def _annotate(clip, user, *, add, primary):
    annotation = opening.annotation_open(clip=clip, annotator=user)
    for cue in annotation.cues.order_by("position"):
        if cue.text == DECOY:
            annotation_services.cue_reject(
                cue=cue, user=user, expected_version=cue.version, reason="not in the audio"
            )
        else:
            annotation_services.cue_accept(cue=cue, user=user, expected_version=cue.version)
    for modality, text, start, end in add:
        annotation_services.cue_add(
            annotation=annotation,
            user=user,
            modality=modality,
            text=text,
            start_ms=start,
            end_ms=end,
        )
    annotation = annotation_services.annotation_update(
        annotation=annotation,
        user=user,
        expected_version=annotation.version,
        labels=[primary, "calm"],
        primary_label=primary,
        description=f"In the video, she smiles. Therefore, {primary}.",
    )
    return annotation_services.annotation_submit(
        annotation=annotation, user=user, expected_version=annotation.version
    )


@pytest.fixture
def annotated(require_services, media_root, demo_set):
    project = ProjectFactory(name="Demo review", slug="demo-review", annotators_per_clip=3)
    report = clips_import(project=project, directory=demo_set.out_dir, manifest=demo_set.manifest)
    assert report.ok and report.count("ready") == 8, [(r.name, r.message) for r in report.rows]
    register_proposer("review-script", ScriptedProposer)
    run = run_services.run_create(
        project=project, proposer="review-script", label="scripted", clip_names=[DISPUTED, AGREED]
    )  # eager tasks in tests
    run.refresh_from_db()
    assert run.status == "finished"
    Cue.objects.filter(proposal__run=run, text=DECOY).update(decoy=True)
    users = [UserFactory(username=name) for name in ("ada", "ben", "cleo")]
    for user in users:
        MembershipFactory(project=project, user=user, role="annotator")
    MembershipFactory(project=project, user=UserFactory(username="rev"), role="reviewer")
    clips = {clip.name: clip for clip in project.clips.all()}
    ada, ben, cleo = users
    _annotate(
        clips[DISPUTED],
        ada,
        primary="happy",
        add=[("visual", FROWN, 400, 1200), ("auditory", LOUD, 300, 2000)],
    )
    _annotate(
        clips[DISPUTED],
        ben,
        primary="surprise",
        add=[("auditory", LOUDLY, 400, 2200), ("visual", AWAY, 2000, 2800)],
    )
    _annotate(clips[DISPUTED], cleo, primary="happy", add=[("emotional", NERVOUS, None, None)])
    for user in users:
        _annotate(clips[AGREED], user, primary="happy", add=[])
    yield project
    proposing._proposers.pop("review-script", None)


def _login(page, url, next_path):
    page.goto(f"{url}/login/?next={next_path}")
    page.fill("input[name=username]", "rev")
    page.fill("input[name=password]", "pw-for-tests")
    page.click("button[type=submit]")


def _group(page, text):
    """The group list item whose members include this text."""
    return page.locator("li.group", has=page.locator("ul.members li", has_text=text))


def test_review_a_disputed_clip_in_chromium(live_server, browser, annotated):
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = context.new_page()
    _login(page, live_server.url, f"/p/{annotated.slug}/review/")
    page.wait_for_selector("#queue-table")
    rows = page.locator("#queue-table tr.queue-row")
    assert rows.count() == 2 and rows.nth(0).get_attribute("data-clip") == DISPUTED
    assert "3/3" in rows.nth(0).inner_text()
    page.click(f"#queue-table a:has-text('{DISPUTED}')")
    page.wait_for_url(f"**/review/{DISPUTED}/")
    page.click("#start-review button")
    page.wait_for_selector("#review[data-ready='1'] form.g-accept")
    page.wait_for_function(
        "() => document.getElementById('player').readyState >= 2", timeout=30_000
    )

    # Three annotator lanes by name, the model apart with its decoy flagged; the labels differ.
    assert [
        page.locator(".annotator-lane").nth(i).get_attribute("data-lane") for i in range(3)
    ] == ["ada", "ben", "cleo"]
    assert page.locator("#lane-model .rseg.decoy").count() == 1
    assert page.locator("#labels-table tr.disagree").count() == 1
    assert "ben" in page.inner_text("#labels-table tr.disagree")
    # The same embedding similarity as the metric groups the cues: the mouth of all three (with
    # the model's), the voice of two; the rest stand alone. The decoy joins no group.
    assert "consensus" in _group(page, MOUTH).get_attribute("class")
    assert _group(page, MOUTH).locator("ul.members li").count() == 4
    assert "consensus" in _group(page, LOUD).get_attribute("class")
    assert _group(page, LOUD).locator("ul.members li").count() == 2
    for text in (FROWN, AWAY, NERVOUS):
        assert "singleton" in _group(page, text).get_attribute("class")
    assert page.locator("li.group", has_text=DECOY).count() == 0

    # Hovering a cue in a lane lights up its group's cues in every lane and in the list.
    mouth = _group(page, MOUTH)
    key = mouth.get_attribute("data-group")
    page.locator(f".annotator-lane .rseg[data-group='{key}']").first.hover()
    assert page.locator(f".rseg.hl[data-group='{key}']").count() == 4
    assert "hl" in mouth.get_attribute("class")

    # A second tab opens the page now, at version 1.
    other = browser.new_context(viewport={"width": 1500, "height": 1100})
    stale = other.new_page()
    _login(stale, live_server.url, f"/p/{annotated.slug}/review/{DISPUTED}/")
    stale.wait_for_selector("#review[data-ready='1'] form.g-accept")

    # Accept the consensus group with the annotators' wording.
    mouth.locator("button.act-accept").click()
    page.wait_for_selector(f"#group-{key}.decided.action-accept")
    # Merge the two visual singletons into one cue.
    for text in (FROWN, AWAY):
        _group(page, text).locator("input.merge-pick").check()
    merged_text = "She frowns, then looks away from the camera."
    page.fill("#merge-visual input[name=text]", merged_text)
    page.click("#merge-visual button.act-merge")
    page.wait_for_selector("#groups-visual li.group.action-merge")
    assert page.locator("li.group.action-merge").count() == 2
    # Reject the emotional singleton by keyboard: select its group, then R.
    nervous = _group(page, NERVOUS)
    nervous_key = nervous.get_attribute("data-group")
    nervous.locator(".g-head .span").click()
    assert "group-selected" in nervous.get_attribute("class")
    page.keyboard.press("r")
    page.wait_for_selector(f"#group-{nervous_key}.decided.action-reject")
    # Accept the voice group with the second annotator's wording.
    voice = _group(page, LOUD)
    voice_key = voice.get_attribute("data-group")
    voice.locator(f"label.pick:has-text('{LOUDLY}') input[type=radio]").check()
    voice.locator("button.act-accept").click()
    page.wait_for_selector(f"#group-{voice_key}.decided.action-accept")
    assert "ready to finalize" not in page.inner_text("#gold-card")  # no primary label yet

    # The stale tab's decision is refused with a message that offers to reload.
    _group(stale, NERVOUS).locator("button.act-accept").click()
    stale.wait_for_selector("#review-message .tl-message.error[data-status='409'] button.reload")
    assert "changed elsewhere" in stale.inner_text("#review-message")
    assert ReviewDecision.objects.get(group_key=nervous_key).action == "reject"
    other.close()

    # Labels: happy (primary) and calm; then finalize.
    page.check(".label-option[data-label='happy'] input[name=labels]")
    page.check(".label-option[data-label='happy'] input[name=primary_label]")
    page.check(".label-option[data-label='calm'] input[name=labels]")
    page.fill(
        "#gold-labels textarea[name=description]",
        "She smiles; her voice is loud. Therefore, happy.",
    )
    page.click("#save-labels")
    page.wait_for_function("() => document.getElementById('gold-primary').textContent === 'happy'")
    assert "ready to finalize" in page.inner_text("#gold-card")
    page.locator(f".annotator-lane .rseg[data-group='{voice_key}']").first.click()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / "review.png"), full_page=True)
    page.click("#finalize-btn")
    page.wait_for_selector("#record-status.gold")

    record = GoldRecord.objects.get(clip__name=DISPUTED)
    assert record.status == "gold" and record.finalized_at is not None and not record.auto_promoted
    assert (record.primary_label, record.labels) == ("happy", ["happy", "calm"])
    assert record.reviewer.username == "rev"
    submitted = Annotation.objects.filter(clip__name=DISPUTED, status="submitted").count()
    assert len(record.provenance["annotations"]) == submitted == 3
    assert record.provenance["run"] == Proposal.objects.get(clip__name=DISPUTED).run_id
    cues = {c.text: c for c in GoldCue.objects.filter(record=record)}
    assert set(cues) == {MOUTH, merged_text, LOUDLY}
    assert (cues[MOUTH].how, cues[MOUTH].start_ms, cues[MOUTH].end_ms) == ("accepted", 0, 1500)
    assert cues[merged_text].how == "merged" and cues[merged_text].modality == "visual"
    assert (cues[merged_text].start_ms, cues[merged_text].end_ms) == (400, 2800)
    assert cues[LOUDLY].modality == "auditory" and cues[LOUDLY].how == "accepted"
    assert sorted(
        ReviewDecision.objects.filter(record=record).values_list("action", flat=True)
    ) == ["accept", "accept", "merge", "merge", "reject"]
    assert not GoldCue.objects.filter(record=record, text__in=[DECOY, NERVOUS]).exists()
    context.close()
