"""Judged cue pairs read back from factory-built review histories: each of the three rules, what
is left out, and the provenance of every pair (annotate/review/judgements.py)."""

import pytest

from annotate.annotation.models import AnnotationEvent
from annotate.core import scorer as core_scorer
from annotate.core.models import AuditEvent
from annotate.review.judgements import judgement_pairs_collect
from annotate.review.models import GoldRecord, ReviewDecision
from annotate.runs.models import Cue
from inference.emocue360 import MemoryEmbeddingStore, Scorer
from tests.annotate.review.histories import (
    FROWN,
    GLANCE,
    LOUD,
    MOUTH,
    SHOUTS,
    SIGH,
    SMILES,
    KeywordEncoder,
    annotate,
    finished_run,
    judged_history,
    ready_clip,
    review,
)
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def keyword_scorer(monkeypatch):
    scorer = Scorer(encoder=KeywordEncoder(), store=MemoryEmbeddingStore())
    monkeypatch.setattr(core_scorer, "_scorer", scorer)
    return scorer


@pytest.fixture
def history(project):
    return judged_history(project)


def _texts(pair):
    return {pair["a"]["text"], pair["b"]["text"]}


def _by_rule(pairs, rule):
    return [p for p in pairs if p["rule"] == rule]


def test_accepted_together_is_same_with_its_reviewer_and_events(project, history):
    result = judgement_pairs_collect(project=project)
    (pair,) = _by_rule(result["pairs"], "accepted_together")
    assert pair["label"] == "same" and pair["modality"] == "visual" and pair["clip"] == "kept"
    assert _texts(pair) == {MOUTH, SMILES}
    annotators = {pair["a"]["annotator"], pair["b"]["annotator"]}
    assert annotators == {history["ann1"].pk, history["ann2"].pk}
    assert pair["aligned_together"] is True and pair["reviewer"] == "rev"
    record = GoldRecord.objects.get(clip=history["kept"])
    assert pair["gold_record"] == {"id": record.pk, "version": record.version}
    assert pair["project"] == project.slug and pair["gold_set_version"] is None
    decision = ReviewDecision.objects.get(record=record, gold_cue_id=pair["gold_cues"][0])
    assert pair["review_decisions"] == [decision.pk] and decision.action == "accept"
    audit = AuditEvent.objects.get(pk=pair["audit_events"][0])
    assert (audit.object_type, audit.object_id, audit.action) == (
        "review_decision",
        decision.pk,
        "accept",
    )


def test_a_merge_is_same_even_across_groups_the_metric_kept_apart(project, history):
    (pair,) = _by_rule(judgement_pairs_collect(project=project)["pairs"], "merged")
    assert pair["label"] == "same" and pair["clip"] == "merged" and pair["modality"] == "auditory"
    assert _texts(pair) == {SIGH, GLANCE}
    assert pair["aligned_together"] is False  # two groups: only the reviewer joined them
    decisions = ReviewDecision.objects.filter(pk__in=pair["review_decisions"])
    assert len(decisions) == 2 and {d.action for d in decisions} == {"merge"}


def test_an_edited_proposal_is_close_to_its_edit_with_the_annotation_events(project, history):
    pairs = _by_rule(judgement_pairs_collect(project=project)["pairs"], "edited")
    assert sorted((p["clip"], p["a"]["text"], p["b"]["text"]) for p in pairs) == [
        ("auto", MOUTH, SMILES),
        ("kept", MOUTH, SMILES),
        ("kept", LOUD, SHOUTS),
    ]
    shouts = next(p for p in pairs if p["b"]["text"] == SHOUTS)
    assert shouts["label"] == "close" and shouts["annotator"] == history["ann1"].pk
    assert shouts["a"]["annotator"] is None  # the proposal's own wording
    edit = Cue.objects.get(pk=shouts["b"]["cue_id"])
    assert (
        edit.derived_from_id == shouts["a"]["cue_id"] and shouts["annotation"] == edit.annotation_id
    )
    event = AnnotationEvent.objects.get(pk=shouts["annotation_events"][0])
    assert (event.action, event.cue_id, event.after["text"]) == ("edit", edit.pk, SHOUTS)
    audit = AuditEvent.objects.get(pk=shouts["audit_events"][0])
    assert (audit.object_type, audit.object_id, audit.action) == ("cue", edit.pk, "edit")
    assert shouts["reviewer"] is None and shouts["review_decisions"] == []


def test_cues_kept_apart_in_time_and_modality_are_different(project, history):
    pairs = _by_rule(judgement_pairs_collect(project=project)["pairs"], "kept_apart")
    assert {p["label"] for p in pairs} == {"different"}
    assert sorted(tuple(sorted(_texts(p))) for p in pairs) == sorted(
        [
            (FROWN, MOUTH),
            (FROWN, SMILES),
            (GLANCE, MOUTH),
            (GLANCE, SMILES),
            (FROWN, GLANCE),
        ]
    )
    frown_glance = next(p for p in pairs if _texts(p) == {FROWN, GLANCE})
    assert len(frown_glance["gold_cues"]) == 2 and len(frown_glance["review_decisions"]) == 2
    assert frown_glance["aligned_together"] is False and frown_glance["reviewer"] == "rev"


def test_cues_that_do_not_overlap_in_time_are_not_judged_different(project, history):
    # Move ann2's GLANCE after FROWN (0-400 ms): the reviewer's separate gold cues then say
    # nothing about whether the two mean different things.
    Cue.objects.filter(text=GLANCE, clip=history["kept"]).update(start_ms=1200, end_ms=1500)
    pairs = _by_rule(judgement_pairs_collect(project=project)["pairs"], "kept_apart")
    assert {tuple(sorted(_texts(p))) for p in pairs} == {(FROWN, MOUTH), (FROWN, SMILES)}


def test_what_is_left_out_is_counted_and_the_order_is_stable(project, history):
    result = judgement_pairs_collect(project=project)
    # merged: both kept the mouth cue word for word; auto: its three accepts are no reviewer's
    assert result["left_out"] == {"identical_text": 1, "decoys": 0, "auto_promoted_decisions": 3}
    assert result["counts"]["visual"] == {"same": 1, "close": 2, "different": 5}
    assert result["counts"]["auditory"] == {"same": 1, "close": 1, "different": 0}
    assert [p["clip"] for p in result["pairs"]] == sorted(p["clip"] for p in result["pairs"])
    assert not [p for p in result["pairs"] if p["clip"] == "auto" and p["rule"] != "edited"]
    again = judgement_pairs_collect(project=project)
    assert again == result
    kept_only = judgement_pairs_collect(
        project=project,
        record_ids=[GoldRecord.objects.get(clip=history["kept"]).pk],
        gold_set_version=4,
    )
    assert {p["clip"] for p in kept_only["pairs"]} == {"kept"}
    assert {p["gold_set_version"] for p in kept_only["pairs"]} == {4}


def test_a_record_back_in_review_gives_no_pairs(project, history):
    record = GoldRecord.objects.get(clip=history["kept"])
    from annotate.review import services as review_services

    review_services.gold_record_reopen(
        record=record, reviewer=history["reviewer"], expected_version=record.version
    )
    assert "kept" not in {p["clip"] for p in judgement_pairs_collect(project=project)["pairs"]}


def test_copies_of_one_proposal_kept_apart_are_one_judgement(project):
    # Two annotators accept two overlapping proposals word for word; the reviewer accepts the
    # two groups apart: four pairs of cues, one pair of texts, one judgement.
    project.annotators_per_clip = 2
    project.save(update_fields=["annotators_per_clip"])
    users = [MembershipFactory(project=project, role="annotator").user for _ in range(2)]
    reviewer = MembershipFactory(project=project, role="reviewer", user__username="rev").user
    clip = ready_clip(project, "copies")
    finished_run(
        project,
        [clip],
        cues=[
            ("visual", "observation", MOUTH, 0, 500, 0.8),
            ("visual", "observation", FROWN, 200, 600, 0.5),
        ],
    )
    for user in users:
        annotate(clip, user)
    review(clip, reviewer, accept=[MOUTH, FROWN])
    result = judgement_pairs_collect(project=project)
    (pair,) = result["pairs"]
    assert pair["rule"] == "kept_apart" and _texts(pair) == {MOUTH, FROWN}
    assert pair["occurrences"] == 4 and len(pair["gold_cues"]) == 2
    assert len(pair["review_decisions"]) == 2 and pair["reviewer"] == "rev"
    assert result["left_out"]["identical_text"] == 2  # each group's two copies
