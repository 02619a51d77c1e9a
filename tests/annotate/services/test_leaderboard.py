"""The live leaderboard: invalidation, coalescing recomputation, the numbers, the hooks."""

import hashlib

import numpy as np
import pytest

from annotate.embedding_store import DatabaseEmbeddingStore
from annotate.models import (Annotation, Clip, Cue, GoldCue, GoldRecord, ModelRun, Proposal,
                             RunScore)
from annotate.services import leaderboard
from annotate.services import scores as score_services
from inference.emocue360 import Scorer
from tests.factories import MembershipFactory

WORDS = ["frown", "smile", "tears", "loud", "soft", "trembling", "angry", "happy", "sad",
         "calm", "shout", "sigh", "laugh", "glare", "nod", "whisper"]


class WordEncoder:
    """Deterministic: one dimension per known word a text contains (a bag of concepts),
    else one dimension from the text's hash."""

    model_id = "test-words"

    def __init__(self):
        self.calls = 0

    def encode(self, texts):
        self.calls += 1
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for i, text in enumerate(texts):
            hits = [d for d, w in enumerate(WORDS) if w in text.lower()]
            if hits:
                out[i, hits] = 1.0
            else:
                out[i, 16 + int(hashlib.sha256(text.encode()).hexdigest(), 16) % 48] = 1.0
        return out


@pytest.fixture(autouse=True)
def word_scorer(monkeypatch):
    scorer = Scorer(encoder=WordEncoder(), store=DatabaseEmbeddingStore())
    monkeypatch.setattr(score_services, "_scorer", scorer)
    return scorer


def clip_make(project, name):
    return Clip.objects.create(project=project, name=name, source=f"clips/{name}",
                               sha256=hashlib.sha256(name.encode()).hexdigest(),
                               status=Clip.Status.READY)


def gold_make(clip, cues, status=GoldRecord.Status.GOLD):
    record = GoldRecord.objects.create(clip=clip, status=status, primary_label="happy",
                                       labels=["happy"])
    for position, (modality, text, *kind) in enumerate(cues):
        GoldCue.objects.create(record=record, modality=modality, text=text, position=position,
                               kind=kind[0] if kind else "observation")
    return record


def run_make(project, answers, status=ModelRun.Status.FINISHED, label="run"):
    """answers: {clip: [(modality, text[, kind])] or None for a failed proposal}."""
    run = ModelRun.objects.create(project=project, proposer="fake", version="1", label=label,
                                  status=status)
    for clip, cues in answers.items():
        proposal = Proposal.objects.create(
            run=run, clip=clip,
            status=Proposal.Status.FAILED if cues is None else Proposal.Status.DONE)
        for position, (modality, text, *kind) in enumerate(cues or []):
            Cue.objects.create(clip=clip, proposal=proposal, position=position, modality=modality,
                               text=text, kind=kind[0] if kind else "observation",
                               origin=Cue.Origin.MODEL, decision=Cue.Decision.PROPOSED)
    return run


def annotation_make(clip, user, cues, status=Annotation.Status.SUBMITTED):
    """cues: [(modality, text, options)] with options among decision, decoy, derived_from."""
    annotation = Annotation.objects.create(clip=clip, annotator=user, status=status,
                                           primary_label="happy", labels=["happy"],
                                           description="x")
    made = []
    for position, (modality, text, options) in enumerate(cues):
        made.append(Cue.objects.create(clip=clip, annotation=annotation, position=position,
                                       modality=modality, text=text, **options))
    return annotation, made


@pytest.fixture
def clips(project):
    return [clip_make(project, f"sample_{i:08d}") for i in range(3)]


def rows(project, **filters):
    return list(RunScore.objects.filter(project=project, **filters).order_by("pk"))


def test_invalidate_creates_rows_for_finished_runs_and_annotators(project, clips, annotator,
                                                                  django_capture_on_commit_callbacks):
    finished = run_make(project, {clips[0]: [("visual", "He smiles.")]})
    run_make(project, {clips[0]: [("visual", "He smiles.")]}, status=ModelRun.Status.RUNNING)
    annotation_make(clips[0], annotator, [("visual", "He smiles.", {})])
    annotation_make(clips[1], MembershipFactory(project=project).user, [("visual", "x", {})],
                    status=Annotation.Status.DRAFT)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        leaderboard.run_scores_invalidate(project=project, gold_changed=True)
    made = rows(project)
    assert {(r.run_id, r.annotator_id) for r in made} == {(finished.pk, None), (None, annotator.pk)}
    assert all(r.generation == 1 and r.stale and r.changed_at for r in made)
    assert len(callbacks) == 2  # one task per row, after commit

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        leaderboard.run_scores_invalidate(project=project, run=finished)
    by_run = {r.run_id: r.generation for r in rows(project)}
    assert by_run == {finished.pk: 2, None: 1}
    assert len(callbacks) == 1
