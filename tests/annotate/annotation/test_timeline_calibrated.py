"""The timeline shades and orders undecided proposals by their calibrated confidence (issue #17,
point 2), and leaves everything as it was without one, in a blind project, and once decided."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from annotate.annotation import opening
from annotate.annotation import services as annotation_services
from annotate.runs.models import Cue, ProposerCalibration
from tests.annotate.review.histories import finished_run, ready_clip
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

CUES = [
    ("visual", "observation", "Low confidence cue.", 0, 200, 0.1),
    ("visual", "observation", "High confidence cue.", 500, 700, 0.9),
    ("auditory", "observation", "Middle confidence cue.", 1000, 1200, 0.5),
    ("emotional", "inference", "He is happy.", None, None, 0.6),
]


@pytest.fixture
def opened(project):
    annotator = MembershipFactory(project=project, role="annotator").user
    clip = ready_clip(project, "clip")
    run = finished_run(project, [clip], proposer="signals", version="1.0", cues=CUES)
    annotation = opening.annotation_open(clip=clip, annotator=annotator)
    return annotation, run


def _calibrate_observations(project, run):
    # Isotonic breakpoints (0, 0.2) and (1, 0.9): a claimed c is kept 0.2 + 0.7c of the time.
    return ProposerCalibration.objects.create(
        project=project,
        proposer=run.proposer,
        version=run.version,
        kind="observation",
        method="isotonic",
        params={"x": [0.0, 1.0], "y": [0.2, 0.9]},
        n=1200,
        n_kept=700,
        fit_sha256="0" * 64,
        fitted_at=timezone.now(),
    )


def _page(client, annotation):
    client.force_login(annotation.annotator)
    url = reverse("timeline", args=[annotation.clip.project.slug, annotation.clip.name])
    return client.get(url).content.decode()


def _list(html):
    cue_list = html.split('id="cue-list"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'<li class="cue-row ([^"]*)"[^>]*?data-cue-id="(\d+)"', cue_list)


def test_undecided_proposals_lead_the_list_likeliest_kept_first(client, project, opened):
    annotation, run = opened
    _calibrate_observations(project, run)
    user = annotation.annotator
    human = annotation_services.cue_add(
        annotation=annotation, user=user, modality="visual", text="He nods.", start_ms=0, end_ms=80
    )
    html = _page(client, annotation)
    texts = dict(Cue.objects.filter(annotation=annotation).values_list("pk", "text"))
    rows = [(texts[int(pk)], "calibrated" in classes) for classes, pk in _list(html)]
    assert rows == [
        ("High confidence cue.", True),
        ("Middle confidence cue.", True),
        ("Low confidence cue.", True),
        ("He nods.", False),  # then every other cue in time order
        ("He is happy.", False),  # the inference kind has no calibrator
    ]
    high = Cue.objects.get(annotation=annotation, text="High confidence cue.")
    assert 'data-kept="0.83" style="--kept: 0.83"' in html  # 0.2 + 0.7 * 0.9
    assert ">83 %</span>" in html and 'id="cue-order-note"' in html
    segment = html.split(f'id="seg-{high.pk}"', 1)[0].rsplit("<div", 1)[1]
    assert "calibrated" in segment
    assert f'id="seg-{human.pk}"' in html
    # Decided proposals are no longer shaded or moved.
    annotation_services.cue_accept(cue=high, user=user, expected_version=high.version)
    rows = [texts[int(pk)] for _, pk in _list(_page(client, annotation))]
    assert rows[:2] == ["Middle confidence cue.", "Low confidence cue."]
    assert rows[2:] == ["He nods.", "High confidence cue.", "He is happy."]


def test_without_a_calibrator_the_list_stays_in_time_order(client, project, opened):
    annotation, _ = opened
    html = _page(client, annotation)
    texts = dict(Cue.objects.filter(annotation=annotation).values_list("pk", "text"))
    assert [texts[int(pk)] for _, pk in _list(html)] == [
        "Low confidence cue.",
        "High confidence cue.",
        "Middle confidence cue.",
        "He is happy.",
    ]
    assert "calibrated" not in html and "data-kept" not in html and "--kept" not in html


def test_a_blind_project_shows_no_calibrated_confidence(client, project, opened):
    annotation, run = opened
    _calibrate_observations(project, run)
    project.blind_mode = True
    project.save(update_fields=["blind_mode"])
    html = _page(client, annotation)
    assert "data-kept" not in html and 'id="cue-order-note"' not in html


def test_a_decoy_is_shaded_like_the_proposal_it_borrows_from(client, project, opened):
    annotation, run = opened
    _calibrate_observations(project, run)
    Cue.objects.create(
        clip=annotation.clip,
        annotation=annotation,
        position=9,
        modality="visual",
        kind="observation",
        text="Tears run down his cheeks.",
        start_ms=300,
        end_ms=500,
        confidence=0.9,
        origin="model",
        decision="proposed",
        decoy=True,
    )
    html = _page(client, annotation)
    assert html.count('data-kept="0.83"') == 2
