"""The quality page and its selector, on a hand-built project: three annotators, a gold clip."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate.annotation.models import Annotation, AnnotationEvent
from annotate.clips.models import Clip
from annotate.core import scorer as core_scorer
from annotate.core.embedding_store import DatabaseEmbeddingStore
from annotate.review.models import GoldCue, GoldRecord
from annotate.review.quality import project_quality_get
from annotate.runs.models import Cue
from inference.emocue360 import Scorer
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

# Known cosines: smiles.grins = 0.8, smiles.frowns = 0, grins.frowns = 0.6.
VECTORS = {
    "He smiles.": [1.0, 0.0, 0.0, 0.0],
    "He grins.": [0.8, 0.6, 0.0, 0.0],
    "He frowns.": [0.0, 1.0, 0.0, 0.0],
    "His voice is loud.": [0.0, 0.0, 1.0, 0.0],
    "He is happy.": [0.0, 0.0, 0.0, 1.0],
    "Tears run down the cheeks.": [0.0, 0.7, 0.0, -0.7],
}
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class TableEncoder:
    model_id = "quality-table"

    def encode(self, texts):
        return np.array([VECTORS[t] for t in texts], dtype=np.float32)


@pytest.fixture
def scorer(monkeypatch):
    scorer = Scorer(encoder=TableEncoder(), store=DatabaseEmbeddingStore())
    monkeypatch.setattr(core_scorer, "_scorer", scorer)
    return scorer


def make_clip(project, name):
    return Clip.objects.create(
        project=project,
        name=name,
        source=f"clips/{name}",
        sha256=name * 8,
        status=Clip.Status.READY,
        duration_ms=4000,
        fps_num=25,
        fps_den=1,
    )


def annotate(clip, user, label, cues, *, submitted=True):
    """cues: (modality, text, origin, decision[, decoy])."""
    annotation = Annotation.objects.create(
        clip=clip,
        annotator=user,
        primary_label=label,
        labels=[label] if label else [],
        status="submitted" if submitted else "draft",
        submitted_at=T0 if submitted else None,
    )
    Cue.objects.bulk_create(
        [
            Cue(
                clip=clip,
                annotation=annotation,
                modality=m,
                text=t,
                origin=o,
                decision=d,
                decoy=bool(rest and rest[0]),
                kind="inference" if m == "emotional" else "observation",
            )
            for m, t, o, d, *rest in cues
        ]
    )
    return annotation


def events(annotation, seconds, action="accept"):
    for s in seconds:
        event = AnnotationEvent.objects.create(
            annotation=annotation, action=action, actor=annotation.annotator
        )
        AnnotationEvent.objects.filter(pk=event.pk).update(at=T0 + timedelta(seconds=s))


@pytest.fixture
def built(project, scorer):
    ann, bob, cat = (
        MembershipFactory(project=project, role="annotator", user=UserFactory(username=n)).user
        for n in ("ann", "bob", "cat")
    )
    c1, c2, c3 = (make_clip(project, n) for n in ("c1", "c2", "c3"))
    a1 = annotate(
        c1,
        ann,
        "happy",
        [
            ("visual", "He smiles.", "model", "accepted"),
            ("auditory", "His voice is loud.", "model", "accepted"),
            ("emotional", "He is happy.", "model", "accepted"),
            ("visual", "Tears run down the cheeks.", "model", "accepted", True),
        ],
    )  # a failed decoy
    b1 = annotate(
        c1,
        bob,
        "Happy ",
        [
            ("visual", "He smiles.", "model", "accepted"),
            ("auditory", "His voice is loud.", "model", "rejected"),
            ("emotional", "He is happy.", "human", "accepted"),
            ("visual", "Tears run down the cheeks.", "model", "rejected", True),
        ],
    )
    annotate(
        c1,
        cat,
        "sad",
        [
            ("visual", "He grins.", "model", "edited"),
            ("auditory", "His voice is loud.", "model", "rejected"),
            ("emotional", "He is happy.", "model", "accepted"),
        ],
    )
    a2 = annotate(c2, ann, "sad", [("visual", "He frowns.", "model", "accepted")])
    annotate(c2, bob, "sad", [("visual", "He frowns.", "model", "accepted")])
    annotate(
        c2,
        cat,
        "sad",
        [
            ("visual", "He frowns.", "model", "rejected"),
            ("visual", "He smiles.", "human", "accepted"),
        ],
    )
    annotate(c3, ann, "happy", [("visual", "He smiles.", "model", "accepted")])
    annotate(
        c3, bob, "happy", [("visual", "He smiles.", "model", "proposed")]
    )  # undecided: not a cue of bob's
    draft = annotate(
        c3,
        cat,
        "sad",
        [("visual", "Tears run down the cheeks.", "model", "accepted", True)],
        submitted=False,
    )
    # ann: gaps 4, 6 (and a 30-minute break) on c1, 20 on c2; an "add" is no decision.
    events(a1, [0, 4, 10, 1810])
    events(a1, [5], action="add")
    events(a2, [3600, 3620])
    events(b1, [0, 3])
    events(draft, [0, 1])  # drafts are not read
    gold = GoldRecord.objects.create(clip=c1, status="gold", primary_label="happy")
    GoldCue.objects.bulk_create(
        [
            GoldCue(record=gold, modality="visual", text="He smiles."),
            GoldCue(record=gold, modality="emotional", text="He is happy."),
        ]
    )
    in_review = GoldRecord.objects.create(clip=c2, status="in_review", primary_label="angry")
    GoldCue.objects.create(record=in_review, modality="visual", text="He grins.")
    return project


def test_selector_numbers(built, scorer):
    q = project_quality_get(project=built)
    people = {a.username: a for a in q.annotators}
    assert list(people) == ["ann", "bob", "cat"]
    assert (q.n_submitted, q.n_clips_shared, q.n_gold, q.model_id) == (8, 3, 1, "quality-table")
    ann, bob, cat = people["ann"], people["bob"], people["cat"]
    # Proposals accepted unchanged, of those decided (decoys and undecided cues aside).
    assert (ann.accepted_unchanged, ann.proposals_decided) == (5, 5)
    assert (bob.accepted_unchanged, bob.proposals_decided) == (2, 3)
    assert (cat.accepted_unchanged, cat.proposals_decided, cat.accepted_unchanged_share) == (
        1,
        4,
        0.25,
    )
    # Decoys: ann accepted hers, bob rejected his, cat's only decoy is in a draft.
    assert (ann.decoys_shown, ann.decoys_failed, ann.decoy_failure_rate) == (1, 1, 1.0)
    assert (bob.decoys_shown, bob.decoys_failed, bob.decoy_failure_rate) == (1, 0, 0.0)
    assert (cat.decoys_shown, cat.decoy_failure_rate) == (0, None)
    # Median time per decision: gaps 4, 6, 20 (the 30-minute break left out).
    assert (ann.median_decision_s, ann.decision_gaps) == (6.0, 3)
    assert (bob.median_decision_s, cat.median_decision_s) == (3.0, None)
    # Labels against gold (c1 only: c2's record is still in review); case and spaces ignored.
    assert [(p.label_correct, p.label_total) for p in (ann, bob, cat)] == [(1, 1), (1, 1), (0, 1)]
    # F1 against gold: ann's accepted decoy does not count against (or for) her.
    assert ann.gold.overall == pytest.approx(1.0) and ann.gold.n_clips == 1
    assert cat.gold.by_modality["visual"] == pytest.approx(0.8)
    assert cat.gold.overall == pytest.approx(0.9) and cat.gold.by_modality["auditory"] is None


def test_pairwise_agreement_and_alpha(built, scorer):
    q = project_quality_get(project=built)
    ids = {a.username: a.user_id for a in q.annotators}
    ann_bob = q.pairwise.get(ids["ann"], ids["bob"])
    # c1: visual 1, auditory 0 (only ann heard it), emotional 1; c2: visual 1; c3: ann only
    # (bob left the cue undecided), so visual 0 there.
    assert ann_bob.n_clips == 3
    assert ann_bob.by_modality == pytest.approx(
        {"visual": 2 / 3, "auditory": 0.0, "emotional": 1.0}
    )
    ann_cat = q.pairwise.get(ids["cat"], ids["ann"])
    assert ann_cat.by_modality["visual"] == pytest.approx((0.8 + 0.0) / 2)
    bob_cat = q.pairwise.get(ids["bob"], ids["cat"])
    assert bob_cat.by_modality["auditory"] is None and bob_cat.overall == pytest.approx(0.7)
    rows = {r["modality"]: (r["mean"], r["n_pairs"]) for r in q.modality_rows}
    assert rows["visual"] == (pytest.approx((2 / 3 + 0.4 + 0.4) / 3), 3)
    assert rows["auditory"] == (pytest.approx(0.0), 2)
    assert rows["overall"][1] == 3
    # Primary labels over c1 (happy, happy, sad), c2 (sad x3), c3 (happy, happy):
    # o_hh = 3, o_ss = 3, o_hs = o_sh = 1, n = 8: alpha = 1 - 7 * 2 / (2 * 4 * 4) = 0.5625.
    assert q.alpha.alpha == pytest.approx(0.5625) and q.alpha.n_units == 3
    assert [c["self"] for c in q.heat_rows[0]["cells"]] == [True, False, False]


def _get(client, user, name, project):
    if user is not None:
        client.force_login(user)
    return client.get(reverse(name, args=[project.slug]))


@pytest.mark.parametrize("role", ["reviewer", "manager"])
def test_page_and_body_render_for_reviewers_and_managers(client, built, role):
    user = MembershipFactory(project=built, role=role).user
    page = _get(client, user, "quality", built)
    html = page.content.decode()
    assert page.status_code == 200
    assert (
        f'hx-get="{reverse("quality-body", args=[built.slug])}"' in html
        and 'hx-trigger="load"' in html
    )
    assert "<svg" not in html  # the shell comes at once; numbers come with the body
    assert "data-reveal-error" in html and "could not be computed" in html  # said if it fails
    body = _get(client, None, "quality-body", built).content.decode()
    assert body.count("<svg") == 2 and 'id="quality-bars"' in body and 'id="quality-heat"' in body
    assert 'data-alpha="0.563"' in body
    # Heat map cells carry their values, twice each (the map is symmetric); the diagonal is "—".
    # ann-bob (2/3 + 0 + 1) / 3, ann-cat (0.4 + 0 + 1) / 3, bob-cat (0.4 + 1) / 2.
    for value in ("0.56", "0.47", "0.70"):
        assert body.count(f">{value}</text>") == 2, value
    assert body.count(">—</text>") == 3
    assert 'data-annotator="ann"' in body and "1/1" in body  # ann's decoy: 1 of 1 accepted
    assert "Tears run down the cheeks." not in body


@pytest.mark.parametrize("who", ["annotator", "outsider"])
def test_annotators_and_outsiders_get_404(client, built, who, annotator, outsider):
    user = annotator if who == "annotator" else outsider
    assert _get(client, user, "quality", built).status_code == 404
    assert _get(client, None, "quality-body", built).status_code == 404


def test_anonymous_is_sent_to_login(client, built):
    for name in ("quality", "quality-body"):
        response = _get(client, None, name, built)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_empty_project_says_what_is_missing(client, project, manager, scorer):
    body = _get(client, manager, "quality-body", project).content.decode()
    assert "No submitted annotation yet." in body and "Needs two annotators" in body
    assert "no clip has two submitted primary labels" in body and body.count("<svg") == 1


def test_query_count_does_not_grow_with_the_project(client, built, scorer):
    reviewer = MembershipFactory(project=built, role="reviewer").user
    client.force_login(reviewer)
    url = reverse("quality-body", args=[built.slug])
    client.get(url)  # every text embedded and cached once
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    people = list(Annotation.objects.filter(clip__name="c1").values_list("annotator", flat=True))
    for i in range(6):
        clip = make_clip(built, f"more{i}")
        for user_id in people:
            a = annotate(
                clip,
                type(reviewer).objects.get(pk=user_id),
                "calm",
                [
                    ("visual", "He grins.", "model", "accepted"),
                    ("auditory", "His voice is loud.", "model", "edited"),
                ],
            )
            events(a, [0, 2, 5])
        GoldRecord.objects.create(clip=clip, status="gold", primary_label="calm")
    with CaptureQueriesContext(connection) as big:
        assert client.get(url).status_code == 200
    # 11 for agreement, and 2 for the judged pairs (gold records, their accepts and merges)
    assert len(big) == len(small) <= 13
