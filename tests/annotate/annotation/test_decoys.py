"""Decoys: known-wrong proposed cues, as many as the project's rate asks, stable per annotator."""

import random

import pytest
from django.template.loader import render_to_string

from annotate.annotation.decoys import DECOY_BANK, decoy_count, decoy_cues_for, decoy_family
from annotate.annotation.models import Annotation
from annotate.clips.models import Clip
from annotate.runs.models import Cue, ModelRun, Proposal
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

ALL_BANK_TEXTS = {t for family in DECOY_BANK.values() for texts in family.values() for t in texts}


def make_proposal(project, *, emotions=(("happy", 0.7),), name="clip1", cues=None):
    """A ready 4 s clip at 25 fps with a finished run's proposal and its cues (no media files)."""
    clip = Clip.objects.create(
        project=project,
        name=name,
        source=f"clips/{name}",
        sha256=name * 4,
        status=Clip.Status.READY,
        duration_ms=4000,
        fps_num=25,
        fps_den=1,
    )
    run = ModelRun.objects.create(
        project=project, proposer="fake", version="1", status=ModelRun.Status.FINISHED
    )
    proposal = Proposal.objects.create(
        run=run,
        clip=clip,
        status=Proposal.Status.DONE,
        emotions=[{"label": label, "score": score} for label, score in emotions],
    )
    if cues is None:
        cues = [
            ("visual", "The corners of the mouth turn up.", 0, 1000, "observation"),
            ("visual", "The eyebrows are raised.", 1000, 1400, "observation"),
            ("visual", "The eyes widen.", 2000, 2400, "observation"),
            ("visual", "The head nods.", 2400, 3000, "observation"),
            ("auditory", "The voice sounds energetic.", 0, 4000, "observation"),
            ("auditory", "Pitch rises at the end of the sentence.", 3000, 3600, "observation"),
            ("emotional", "The smile suggests that the person is happy.", None, None, "inference"),
            ("auditory", "Subtitle text: hello.", None, None, "subtitle"),
        ]
    made = [
        Cue.objects.create(
            clip=clip,
            proposal=proposal,
            position=i,
            modality=m,
            text=t,
            start_ms=s,
            end_ms=e,
            kind=k,
            confidence=0.7,
            origin="model",
            decision="proposed",
        )
        for i, (m, t, s, e, k) in enumerate(cues)
    ]
    return clip, made


def open_annotation(clip, user):
    return Annotation.objects.create(clip=clip, annotator=user)


def test_rate_zero_gives_no_decoys(project, annotator):
    clip, cues = make_proposal(project)
    assert project.decoy_rate == 0
    assert decoy_cues_for(annotation=open_annotation(clip, annotator), proposal_cues=cues) == []


def test_decoys_are_unsaved_model_proposals_that_contradict_the_reading(project, annotator):
    project.decoy_rate = 0.2  # 8 proposed cues * 0.2 / 0.8 = exactly 2 decoys
    project.save(update_fields=["decoy_rate"])
    clip, cues = make_proposal(project)
    annotation = open_annotation(clip, annotator)
    decoys = decoy_cues_for(annotation=annotation, proposal_cues=cues)
    assert len(decoys) == 2
    spans = {
        (c.modality, c.end_ms - c.start_ms if c.start_ms is not None else None)
        for c in cues
        if c.kind != "subtitle"
    }
    for decoy in decoys:
        assert decoy.pk is None and decoy.decoy is True
        assert (decoy.origin, decoy.decision) == ("model", "proposed")
        assert decoy.annotation is annotation and decoy.clip == clip and decoy.proposal_id is None
        # A happy clip gets cues of the negative family, never a proposal's own text.
        assert decoy.text in DECOY_BANK["negative"][decoy.modality]
        assert decoy.text not in {c.text for c in cues}
        assert decoy.kind in ("observation", "inference")
        # Same modality and span length as a real proposed cue; inside the clip, on a frame.
        length = decoy.end_ms - decoy.start_ms if decoy.start_ms is not None else None
        assert (decoy.modality, length) in spans
        if decoy.start_ms is not None:
            assert (
                0 <= decoy.start_ms
                and decoy.end_ms <= clip.duration_ms
                and decoy.start_ms % 40 == 0
            )
    assert len({d.text for d in decoys}) == 2
    Cue.objects.bulk_create(decoys)  # they satisfy the table's constraints as they are
    assert annotation.cues.filter(decoy=True).count() == 2


def test_the_same_annotator_gets_the_same_decoys_others_get_their_own(project, annotator):
    project.decoy_rate = 0.5
    project.save(update_fields=["decoy_rate"])
    clip, cues = make_proposal(project)
    annotation = open_annotation(clip, annotator)

    def drawn(a):
        return [
            (d.modality, d.text, d.start_ms, d.end_ms)
            for d in decoy_cues_for(annotation=a, proposal_cues=cues)
        ]

    first = drawn(annotation)
    # 8 draws at rate 0.5 over 8 proposed cues. A draw whose modality's bank is used up is
    # skipped (the smallest bank a draw can exhaust here holds 5 texts), and the seed (the
    # clip's random uid, the annotator's id) decides how the draws fall: 5 to 8 decoys.
    assert 5 <= len(first) <= 8 and first == drawn(Annotation.objects.get(pk=annotation.pk))
    others = [
        drawn(open_annotation(clip, MembershipFactory(project=project, role="annotator").user))
        for _ in range(3)
    ]
    assert any(o != first for o in others)


def test_the_family_follows_the_proposal(project):
    _, sad = make_proposal(project, emotions=[("sad", 0.8)], name="sad1")
    _, calm = make_proposal(project, emotions=[("neutral", 0.6)], name="calm1")
    _, puzzled = make_proposal(project, emotions=[("surprise", 0.6)], name="surp1")
    _, unnamed = make_proposal(
        project,
        emotions=[],
        name="none1",
        cues=[
            ("emotional", "The frown suggests that the person is angry.", None, None, "inference")
        ],
    )
    assert decoy_family(proposal_cues=sad) == "positive"
    assert decoy_family(proposal_cues=calm) == "intense"
    assert decoy_family(proposal_cues=puzzled) == "intense"
    assert decoy_family(proposal_cues=unnamed) == "positive"  # read from the emotional cue


def test_copies_of_proposal_cues_work_as_well(project, annotator):
    project.decoy_rate = 0.5
    project.save(update_fields=["decoy_rate"])
    clip, cues = make_proposal(project, emotions=[("angry", 0.9)])
    annotation = open_annotation(clip, annotator)
    copies = Cue.objects.bulk_create(
        [
            Cue(
                clip=clip,
                annotation=annotation,
                position=c.position,
                modality=c.modality,
                kind=c.kind,
                text=c.text,
                start_ms=c.start_ms,
                end_ms=c.end_ms,
                origin="model",
                decision="proposed",
                derived_from=c,
            )
            for c in cues
        ]
    )
    decoys = decoy_cues_for(annotation=annotation, proposal_cues=copies)
    assert decoys and all(d.text in DECOY_BANK["positive"][d.modality] for d in decoys)


def test_nothing_to_imitate_gives_no_decoys(project, annotator):
    project.decoy_rate = 0.5
    project.save(update_fields=["decoy_rate"])
    clip, cues = make_proposal(
        project, cues=[("visual", "No face is visible.", None, None, "unobservable")]
    )
    annotation = open_annotation(clip, annotator)
    assert decoy_cues_for(annotation=annotation, proposal_cues=cues) == []
    assert decoy_cues_for(annotation=annotation, proposal_cues=[]) == []  # proposals withheld


def test_decoy_count_matches_the_rate_on_average():
    assert decoy_count(n_proposed=8, rate=0.2, rng=random.Random(1)) == 2
    assert decoy_count(n_proposed=0, rate=0.5, rng=random.Random(1)) == 0
    draws = [decoy_count(n_proposed=3, rate=0.1, rng=random.Random(seed)) for seed in range(3000)]
    assert set(draws) == {0, 1}
    mean = sum(draws) / len(draws)  # 3 * 0.1 / 0.9 = 1/3 per annotation
    assert abs(mean - 1 / 3) < 0.03
    # and decoys make up about 10 % of all the proposed cues shown
    assert abs(sum(draws) / (sum(draws) + 3 * len(draws)) - 0.1) < 0.01


def test_a_decoy_renders_exactly_like_a_proposed_cue(project, annotator):
    project.decoy_rate = 0.5
    project.save(update_fields=["decoy_rate"])
    clip, cues = make_proposal(project)
    annotation = open_annotation(clip, annotator)
    decoy = next(
        d
        for d in decoy_cues_for(annotation=annotation, proposal_cues=cues)
        if d.modality == "visual"
    )
    decoy.save()
    real = Cue.objects.create(
        clip=clip,
        annotation=annotation,
        modality="visual",
        kind="observation",
        text=decoy.text,
        start_ms=decoy.start_ms,
        end_ms=decoy.end_ms,
        origin="model",
        decision="proposed",
        derived_from=cues[0],
    )

    def row(cue):
        html = render_to_string(
            "annotation/partials/timeline_cue_row.html",
            {"cue": cue, "editable": True, "slug": "lab", "clip_name": "clip"},
        )
        return html.replace(str(cue.pk), "ID")

    assert row(decoy) == row(real) and "decoy" not in row(decoy).lower()
    assert not ALL_BANK_TEXTS & {c.text for c in cues}
