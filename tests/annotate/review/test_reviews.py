"""Review and adjudication: gold records built from several submitted annotations, every write
versioned and audited; auto-promotion of unanimous clips."""

import numpy as np
import pytest

from annotate.annotation import opening
from annotate.annotation import services as annotation_services
from annotate.clips.models import Clip
from annotate.core import scorer as core_scorer
from annotate.core.embedding_store import DatabaseEmbeddingStore
from annotate.core.models import AuditEvent
from annotate.review import selectors as review_selectors
from annotate.review import services as svc
from annotate.review.models import GoldCue, GoldRecord, ReviewComment, ReviewDecision
from annotate.runs.models import Cue
from inference.emocue360 import Scorer
from tests.annotate.runs.test_runs import FakeProposer, _fresh_fake  # noqa: F401

pytestmark = pytest.mark.django_db

# The fake proposer's cues on every clip: visual 0-500 ms, auditory 500-1000 ms, emotional untimed.
MOUTH, LOUD, HAPPY = "The corners of the mouth turn up.", "The voice is loud.", "He is happy."
# Texts sharing a concept say the same thing (cosine 1); all others are orthogonal.
CONCEPTS = {
    "mouth": 0,
    "smil": 0,
    "grin": 0,
    "loud": 1,
    "shout": 1,
    "happy": 2,
    "cheerful": 2,
    "frown": 3,
    "glance": 4,
    "sigh": 5,
}
# Close to MOUTH (cosine 0.8) but not the same: auto-promotion then prefers MOUTH.
SMILES = "He smiles with the corners of his mouth."
GRADED = {SMILES: {0: 0.8, 6: 0.6}}


class ConceptEncoder:
    """A deterministic encoder: one dimension per concept keyword, else one per text."""

    model_id = "test-concepts"

    def encode(self, texts):
        out = np.zeros((len(texts), 256), dtype=np.float32)
        for i, text in enumerate(texts):
            if text in GRADED:
                for dim, value in GRADED[text].items():
                    out[i, dim] = value
                continue
            lowered = text.lower()
            hits = [d for word, d in CONCEPTS.items() if word in lowered]
            out[i, hits[0] if hits else 16 + sum(map(ord, lowered)) % 240] = 1.0
        return out


@pytest.fixture(autouse=True)
def concept_scorer(monkeypatch):
    scorer = Scorer(encoder=ConceptEncoder(), store=DatabaseEmbeddingStore())
    monkeypatch.setattr(core_scorer, "_scorer", scorer)
    return scorer


def annotate(clip, user, *, decide=None, add=(), primary="happy", labels=None, submit=True):
    """An annotation through the services: a decision per proposed cue's modality ("accept",
    "reject" or a new text), own cues (modality, text, start, end), labels, then submit."""
    decide = decide or {}
    annotation = opening.annotation_open(clip=clip, annotator=user)
    for cue in annotation.cues.order_by("position"):
        choice = decide.get(cue.modality, "accept")
        if choice == "accept":
            annotation_services.cue_accept(cue=cue, user=user, expected_version=cue.version)
        elif choice == "reject":
            annotation_services.cue_reject(cue=cue, user=user, expected_version=cue.version)
        else:
            annotation_services.cue_edit(
                cue=cue, user=user, expected_version=cue.version, text=choice
            )
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
        labels=labels or [primary],
        primary_label=primary,
        description=f"In the video, he smiles. Therefore, {primary}.",
    )
    if submit:
        annotation = annotation_services.annotation_submit(
            annotation=annotation, user=user, expected_version=annotation.version
        )
    return annotation


def disputed_clip(name, users):
    """Three annotations that agree on the mouth, split on the voice and the emotion, add a
    singleton each (two of them) and differ on the primary label."""
    clip = Clip.objects.get(name=name)
    annotate(
        clip, users[0], add=[("visual", "He frowns briefly.", 0, 400)], labels=["happy", "calm"]
    )
    annotate(
        clip,
        users[1],
        decide={"auditory": "He shouts.", "emotional": "reject"},
        add=[("visual", "He glances away.", 600, 900)],
    )
    annotate(clip, users[2], decide={"auditory": "reject"}, primary="sad", labels=["sad", "happy"])
    return clip


def unanimous_clip(name, users, primary="happy"):
    clip = Clip.objects.get(name=name)
    for user in users:
        annotate(clip, user, primary=primary)
    return clip


def _groups(clip):
    return review_selectors.clip_review_get(clip=clip).groups


def _by_text(groups, text):
    return next(
        g for g in groups if text in [c.text for _, c in g.members] + [c.text for c in g.model_cues]
    )


def test_alignment_groups_the_annotators_cues_and_attaches_the_model(proposed, annotators):
    clip = disputed_clip("a", annotators)
    review = review_selectors.clip_review_get(clip=clip)
    assert [lane.label for lane in review.lanes] == [u.username for u in annotators]
    shapes = sorted((g.modality, g.label, len(g.members), len(g.model_cues)) for g in review.groups)
    assert shapes == [
        ("auditory", "consensus", 2, 1),
        ("emotional", "consensus", 2, 1),
        ("visual", "consensus", 3, 1),
        ("visual", "singleton", 1, 0),
        ("visual", "singleton", 1, 0),
    ]
    assert review.counts == {"consensus": 3, "disputed": 0, "singleton": 2, "model_only": 0}
    # The rejected cues are shown (greyed) but count for nothing.
    third = review.lanes[2]
    rejected = [c for c in third.cues if c.decision == "rejected"]
    assert len(rejected) == 1 and not rejected[0].counts and rejected[0].group_key == ""
    assert review.primary_labels_differ and [r.agrees for r in review.label_rows] == [
        True,
        True,
        False,
    ]
    assert review.candidate_labels == ["happy", "calm", "sad"]


def test_decoys_stay_out_of_the_groups_but_show_in_the_model_lane(proposed, annotators):
    clip = Clip.objects.get(name="a")
    Cue.objects.filter(proposal__clip=clip, modality="auditory").update(decoy=True)
    for user in annotators:  # every annotator rubber-stamps the decoy
        annotate(clip, user)
    review = review_selectors.clip_review_get(clip=clip)
    assert {g.modality for g in review.groups} == {"visual", "emotional"}
    decoy = [c for c in review.model_cues if c.decoy]
    assert len(decoy) == 1 and decoy[0].text == LOUD
    copies = [c for lane in review.lanes for c in lane.cues if c.text == LOUD]
    assert len(copies) == 3 and all(c.is_decoy and not c.counts for c in copies)


def test_open_records_provenance_and_an_audit_row(proposed, annotators, reviewer):
    clip = disputed_clip("a", annotators)
    record = svc.gold_record_open(clip=clip, reviewer=reviewer)
    assert record.status == "in_review" and record.version == 1 and record.reviewer == reviewer
    provenance = record.provenance
    assert [a["annotator"] for a in provenance["annotations"]] == [u.pk for u in annotators]
    assert all(a["version"] >= 2 and a["submitted_at"] for a in provenance["annotations"])
    assert provenance["run"] is not None and provenance["embedding_model"] == "test-concepts"
    assert provenance["thresholds"] == {"similarity": 0.6, "overlap": 0.2}
    assert svc.gold_record_open(clip=clip, reviewer=reviewer) == record  # opened once
    event = AuditEvent.objects.get(object_type="gold_record", action="create")
    assert event.actor == reviewer and event.before is None and event.after["status"] == "in_review"
    with pytest.raises(svc.AnnotationRejected, match="nothing to review"):
        svc.gold_record_open(clip=Clip.objects.get(name="b"), reviewer=reviewer)


def test_accept_merge_reject_finalize(proposed, annotators, reviewer):
    clip = disputed_clip("a", annotators)
    record = svc.gold_record_open(clip=clip, reviewer=reviewer)
    groups = _groups(clip)
    mouth, loud, happy = _by_text(groups, MOUTH), _by_text(groups, LOUD), _by_text(groups, HAPPY)
    frown, glance = _by_text(groups, "He frowns briefly."), _by_text(groups, "He glances away.")

    # Accept with no text: the first annotator's wording over the group's span.
    record = svc.review_group_accept(
        record=record, group_key=mouth.key, reviewer=reviewer, expected_version=1
    )
    cue = GoldCue.objects.get(record=record, group_key=mouth.key)
    assert (cue.text, cue.how, cue.start_ms, cue.end_ms) == (MOUTH, "accepted", 0, 500)
    assert sorted(cue.source_cues) == sorted(mouth.cue_ids) and record.version == 2
    # A written text is "written"; a given span is snapped to frames.
    record = svc.review_group_accept(
        record=record,
        group_key=loud.key,
        reviewer=reviewer,
        expected_version=2,
        text="  His voice rises  to a shout. ",
        start_ms=501,
        end_ms=999,
    )
    cue = GoldCue.objects.get(record=record, group_key=loud.key)
    assert (cue.text, cue.how, cue.start_ms, cue.end_ms) == (
        "His voice rises to a shout.",
        "written",
        520,
        1000,
    )

    # Merge two singletons into one cue covering both spans.
    record = svc.review_groups_merge(
        record=record,
        group_keys=[frown.key, glance.key],
        text="His face changes twice.",
        reviewer=reviewer,
        expected_version=3,
    )
    merged = GoldCue.objects.get(record=record, how="merged")
    assert (merged.start_ms, merged.end_ms) == (0, 880)
    assert set(merged.source_cues) == set(frown.cue_ids + glance.cue_ids)
    assert set(
        ReviewDecision.objects.filter(record=record, action="merge").values_list(
            "group_key", flat=True
        )
    ) == {frown.key, glance.key}
    with pytest.raises(svc.AnnotationRejected, match="one modality"):
        svc.review_groups_merge(
            record=record,
            group_keys=[mouth.key, happy.key],
            text="x",
            reviewer=reviewer,
            expected_version=4,
        )
    with pytest.raises(svc.AnnotationRejected, match="at least two"):
        svc.review_groups_merge(
            record=record, group_keys=[mouth.key], text="x", reviewer=reviewer, expected_version=4
        )

    # Finalize names everything missing.
    with pytest.raises(svc.AnnotationRejected) as caught:
        svc.gold_record_finalize(record=record, reviewer=reviewer, expected_version=4)
    assert "1 undecided cue group(s) (emotional 1)" in caught.value.message
    assert "a primary emotion label" in caught.value.message
    record = svc.review_group_reject(
        record=record,
        group_key=happy.key,
        reviewer=reviewer,
        expected_version=4,
        note="not supported by the face",
    )
    record = svc.gold_labels_set(
        record=record,
        reviewer=reviewer,
        expected_version=5,
        labels=["Happy", "calm", "happy"],
        primary_label="grateful",
        description="He smiles and shouts.",
    )
    assert record.labels == ["grateful", "happy", "calm"] and record.primary_label == "grateful"
    record = svc.gold_record_finalize(record=record, reviewer=reviewer, expected_version=6)
    assert record.status == "gold" and record.finalized_at is not None and record.version == 7
    assert GoldCue.objects.filter(record=record).count() == 3
    assert ReviewDecision.objects.get(record=record, group_key=happy.key).gold_cue is None
    with pytest.raises(svc.AnnotationRejected, match="final; reopen"):
        svc.gold_cue_add(
            record=record, modality="visual", text="x", reviewer=reviewer, expected_version=7
        )
    record = svc.gold_record_reopen(record=record, reviewer=reviewer, expected_version=7)
    assert record.status == "in_review" and record.finalized_at is None

    actions = list(
        AuditEvent.objects.filter(
            clip=clip, object_type__in=["gold_record", "gold_cue", "review_decision"]
        ).values_list("object_type", "action")
    )
    assert ("gold_record", "finalize") in actions and ("gold_record", "reopen") in actions
    assert (
        actions.count(("review_decision", "merge")) == 2
        and ("review_decision", "reject") in actions
    )
    labels_event = AuditEvent.objects.get(object_type="gold_record", action="labels")
    assert (
        labels_event.before["primary_label"] == ""
        and labels_event.after["primary_label"] == "grateful"
    )


def test_a_stale_version_is_refused_and_nothing_changes(proposed, annotators, reviewer):
    clip = disputed_clip("a", annotators)
    record = svc.gold_record_open(clip=clip, reviewer=reviewer)
    mouth = _by_text(_groups(clip), MOUTH)
    svc.review_group_reject(
        record=record, group_key=mouth.key, reviewer=reviewer, expected_version=1
    )
    with pytest.raises(svc.StaleWrite) as caught:  # a second tab still holding version 1
        svc.review_group_accept(
            record=record,
            group_key=mouth.key,
            reviewer=reviewer,
            expected_version=1,
            text="From the stale tab.",
        )
    assert caught.value.current_version == 2 and "reload" in caught.value.message
    assert ReviewDecision.objects.get(record=record).action == "reject"
    assert not GoldCue.objects.filter(text="From the stale tab.").exists()
    with pytest.raises(svc.StaleWrite):
        svc.gold_labels_set(
            record=record,
            reviewer=reviewer,
            expected_version=1,
            labels=["sad"],
            primary_label="sad",
        )


def test_redeciding_dissolves_a_merge_and_deleting_a_cue_undecides(proposed, annotators, reviewer):
    clip = disputed_clip("a", annotators)
    record = svc.gold_record_open(clip=clip, reviewer=reviewer)
    groups = _groups(clip)
    frown, glance = _by_text(groups, "He frowns briefly."), _by_text(groups, "He glances away.")
    record = svc.review_groups_merge(
        record=record,
        group_keys=[frown.key, glance.key],
        text="Both.",
        reviewer=reviewer,
        expected_version=1,
    )
    record = svc.review_group_accept(
        record=record, group_key=frown.key, reviewer=reviewer, expected_version=2
    )
    assert not GoldCue.objects.filter(how="merged").exists()
    assert list(
        ReviewDecision.objects.filter(record=record).values_list("group_key", "action")
    ) == [(frown.key, "accept")]
    record = svc.gold_cue_add(
        record=record,
        modality="auditory",
        text="A sigh at the end.",
        start_ms=800,
        end_ms=1000,
        reviewer=reviewer,
        expected_version=3,
    )
    written = GoldCue.objects.get(how="written")
    assert (written.group_key, written.start_ms) == ("", 800)
    with pytest.raises(svc.AnnotationRejected, match="does not fit the clip"):
        svc.gold_cue_add(
            record=record,
            modality="auditory",
            text="Late.",
            start_ms=900,
            end_ms=5000,
            reviewer=reviewer,
            expected_version=4,
        )
    record = svc.gold_cue_delete(
        record=record,
        gold_cue=GoldCue.objects.get(group_key=frown.key),
        reviewer=reviewer,
        expected_version=4,
    )
    assert not ReviewDecision.objects.filter(record=record).exists()
    record = svc.gold_cue_delete(
        record=record, gold_cue=written, reviewer=reviewer, expected_version=5
    )
    assert not GoldCue.objects.filter(record=record).exists() and record.version == 6
    with pytest.raises(svc.AnnotationRejected, match="no decision to undo"):
        svc.review_decision_undo(
            record=record, group_key=frown.key, reviewer=reviewer, expected_version=6
        )
    deletes = AuditEvent.objects.filter(object_type="gold_cue", action="delete").count()
    assert deletes == 3  # the merged cue, the accepted one, the written one


def test_an_unknown_group_is_refused(proposed, annotators, reviewer):
    record = svc.gold_record_open(clip=disputed_clip("a", annotators), reviewer=reviewer)
    with pytest.raises(svc.AnnotationRejected, match="not part of this clip's alignment"):
        svc.review_group_reject(
            record=record, group_key="0123456789abcdef", reviewer=reviewer, expected_version=1
        )


def test_comments_pinned_to_a_cue_or_a_time(proposed, annotators, reviewer):
    clip = disputed_clip("a", annotators)
    cue = Cue.objects.filter(annotation__clip=clip).first()
    on_cue = svc.review_comment_add(clip=clip, author=reviewer, text=" Is this visible? ", cue=cue)
    at_time = svc.review_comment_add(clip=clip, author=reviewer, text="Listen here.", time_ms=640)
    assert (on_cue.text, on_cue.cue_id, at_time.time_ms) == ("Is this visible?", cue.pk, 640)
    with pytest.raises(svc.AnnotationRejected, match="outside the clip"):
        svc.review_comment_add(clip=clip, author=reviewer, text="x", time_ms=99_000)
    with pytest.raises(svc.AnnotationRejected, match="needs text"):
        svc.review_comment_add(clip=clip, author=reviewer, text="  ")
    svc.review_comment_resolve(comment=at_time, user=reviewer)
    assert ReviewComment.objects.get(pk=at_time.pk).resolved_at is not None
    with pytest.raises(svc.AnnotationRejected, match="resolved already"):
        svc.review_comment_resolve(comment=at_time, user=reviewer)
    assert AuditEvent.objects.filter(object_type="review_comment").count() == 3


def test_auto_promote_a_unanimous_clip(proposed, annotators):
    proposed.auto_promote_consensus = True
    proposed.save(update_fields=["auto_promote_consensus"])
    clip = Clip.objects.get(name="a")
    annotate(clip, annotators[0], decide={"visual": SMILES})
    annotate(clip, annotators[1])
    annotate(clip, annotators[2])
    result = svc.gold_auto_promote(clip=clip)
    assert result.promoted, result.reason
    record = result.record
    assert record.auto_promoted and record.status == "gold" and record.primary_label == "happy"
    assert record.labels == ["happy"] and record.finalized_at is not None
    cues = {c.modality: c for c in record.cues.all()}
    # The medoid of three: two say MOUTH, so MOUTH is closest to the centroid, not the first
    # annotator's own wording.
    assert cues["visual"].text == MOUTH and (cues["visual"].start_ms, cues["visual"].end_ms) == (
        0,
        500,
    )
    assert set(cues) == {"visual", "auditory", "emotional"}
    assert ReviewDecision.objects.filter(record=record, action="accept").count() == 3
    assert AuditEvent.objects.filter(object_type="gold_record", action="auto_promote").count() == 1
    again = svc.gold_auto_promote(clip=clip)
    assert not again.promoted and "already has a gold record" in again.reason


@pytest.mark.parametrize("case", ["not allowed", "not all submitted", "labels differ", "disputed"])
def test_auto_promote_refuses_and_says_why(proposed, annotators, case):
    proposed.auto_promote_consensus = case != "not allowed"
    proposed.save(update_fields=["auto_promote_consensus"])
    clip = Clip.objects.get(name="a")
    if case == "disputed":
        disputed_clip("a", annotators)
    else:
        annotate(clip, annotators[0])
        annotate(clip, annotators[1], primary="sad" if case == "labels differ" else "happy")
        annotate(clip, annotators[2], submit=case != "not all submitted")
    result = svc.gold_auto_promote(clip=clip)
    expected = {
        "not allowed": "does not allow",
        "not all submitted": "2 of 3 annotations",
        "labels differ": "primary labels differ (happy, sad)",
        "disputed": "lack an annotator",
    }[case]
    assert not result.promoted and expected in result.reason
    assert (
        not GoldRecord.objects.exists()
        and not AuditEvent.objects.filter(object_type="gold_record").exists()
    )


def test_auto_promote_over_the_project(proposed, annotators):
    proposed.auto_promote_consensus = True
    proposed.save(update_fields=["auto_promote_consensus"])
    unanimous_clip("a", annotators)
    disputed_clip("b", annotators)
    results = {r.clip.name: r for r in svc.gold_auto_promote_project(project=proposed)}
    assert set(results) == {"a", "b"} and results["a"].promoted and not results["b"].promoted
    assert GoldRecord.objects.get().clip.name == "a"


def test_a_later_submission_regroups_and_is_flagged(proposed, annotators, reviewer):
    clip = Clip.objects.get(name="a")
    annotate(clip, annotators[0])
    annotate(clip, annotators[1])
    record = svc.gold_record_open(clip=clip, reviewer=reviewer)
    mouth = _by_text(_groups(clip), MOUTH)
    svc.review_group_accept(
        record=record, group_key=mouth.key, reviewer=reviewer, expected_version=1
    )
    assert not review_selectors.clip_review_get(clip=clip).provenance_changed
    annotate(clip, annotators[2])  # the third annotator submits while the review is open
    review = review_selectors.clip_review_get(clip=clip)
    assert review.provenance_changed and len(review.lanes) == 3
    regrouped = _by_text(review.groups, MOUTH)
    assert regrouped.key != mouth.key and regrouped.decision is None and len(regrouped.members) == 3
    assert [c.orphan for c in review.gold_cues] == [True]


def test_the_kth_submission_promotes_a_unanimous_clip_through_the_worker_task(
    proposed, annotators, django_capture_on_commit_callbacks, monkeypatch
):
    from annotate.review import tasks as review_tasks

    proposed.auto_promote_consensus = True
    proposed.save(update_fields=["auto_promote_consensus"])
    clip = Clip.objects.get(name="a")
    enqueued = []
    delay = review_tasks.clip_auto_promote.delay
    monkeypatch.setattr(
        review_tasks.clip_auto_promote,
        "delay",
        lambda clip_id: enqueued.append(clip_id) or delay(clip_id),
    )
    with django_capture_on_commit_callbacks(execute=True):
        annotate(clip, annotators[0])
        annotate(clip, annotators[1])
    assert enqueued == [] and not GoldRecord.objects.exists()  # two of three: nothing to do
    with django_capture_on_commit_callbacks(execute=True):
        annotate(clip, annotators[2])
    assert enqueued == [clip.pk]
    record = GoldRecord.objects.get(clip=clip)
    assert record.auto_promoted and record.status == "gold"


def test_no_task_when_the_project_does_not_auto_promote(
    proposed, annotators, django_capture_on_commit_callbacks
):
    clip = Clip.objects.get(name="a")
    with django_capture_on_commit_callbacks(execute=True):
        for user in annotators:
            annotate(clip, user)
    assert not GoldRecord.objects.exists()


def test_opening_an_annotation_mixes_in_decoys_at_the_project_rate(proposed, annotators):
    clip = Clip.objects.get(name="a")
    plain = opening.annotation_open(clip=clip, annotator=annotators[0])
    assert not plain.cues.filter(decoy=True).exists()
    proposed.decoy_rate = 0.5
    proposed.save(update_fields=["decoy_rate"])
    clip = Clip.objects.select_related("project").get(name="a")
    guarded = opening.annotation_open(clip=clip, annotator=annotators[1])
    real = guarded.cues.filter(decoy=False)
    decoys = guarded.cues.filter(decoy=True)
    # Rate 0.5 means as many decoys as real proposals; each one waits for a decision.
    assert real.count() == plain.cues.count() and decoys.count() == real.count()
    assert set(decoys.values_list("origin", "decision")) == {("model", "proposed")}
    assert (
        AuditEvent.objects.filter(
            object_type="cue",
            action="open",
            object_id__in=list(decoys.values_list("pk", flat=True)),
        ).count()
        == decoys.count()
    )


def test_gold_cues_inherit_the_kind_of_what_they_copy(proposed, annotators, reviewer):
    clip = Clip.objects.get(name="a")
    for user in annotators[:2]:
        annotate(clip, user)
    Cue.objects.filter(annotation__clip=clip, modality="auditory").update(kind="subtitle")
    record = svc.gold_record_open(clip=clip, reviewer=reviewer)
    loud = _by_text(_groups(clip), LOUD)
    record = svc.review_group_accept(
        record=record, group_key=loud.key, reviewer=reviewer, expected_version=record.version
    )
    mouth = _by_text(_groups(clip), MOUTH)
    svc.review_group_accept(
        record=record,
        group_key=mouth.key,
        reviewer=reviewer,
        expected_version=record.version,
        text="A wide grin.",
    )
    kinds = dict(GoldCue.objects.filter(record=record).values_list("modality", "kind"))
    assert kinds == {"auditory": "subtitle", "visual": "observation"}
