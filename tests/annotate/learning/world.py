"""A project to learn from, without media: ready clips, a finished signal run whose proposals
carry features and cues (the astronaut always smiles; the subtitle's valence and the voice's
arousal vary), and gold set v1 whose habits a learned proposer can pick up: the smile cue is
kept only on clips whose words are positive, and the primary label follows the words and the
voice. An encoder that gives each distinct text its own direction stands in for the sentence
model (a cue matches a gold cue when their texts are the same)."""

from __future__ import annotations

import hashlib
import random

import numpy as np
from django.utils import timezone

from annotate.clips.models import Clip
from annotate.goldsets.models import GoldSet, GoldSetItem
from annotate.runs.models import Cue, ModelRun, Proposal
from inference.proposers.signals import SIGNALS_VERSION

SMILE = "The corners of the mouth turn up (clear smile)."
LOUD = "The voice is loud."
POSITIVE = "The words are positive."


class TextEncoder:
    """One direction per distinct text (from its hash): equal texts have cosine 1, others
    nearly 0."""

    model_id = "test-texts"

    def encode(self, texts):
        out = np.zeros((len(texts), 256), dtype=np.float32)
        for i, text in enumerate(texts):
            digest = hashlib.sha256(text.encode()).digest()
            out[i, digest[0]] = 1.0
            out[i, 128 + digest[1] % 128] = 0.5
        return out


def primary_of(valence: float, arousal: float) -> str:
    if valence > 0.2:
        return "happy"
    return "angry" if arousal > 0.6 else "sad"


def _cues(valence: float):
    return [
        ("visual", "observation", SMILE, 0, 4000, 0.94, {"feature": "smile", "value": 0.17}),
        ("auditory", "observation", LOUD, 300, 3400, 0.7, {"feature": "level"}),
        ("auditory", "subtitle", POSITIVE, 300, 1600, 0.8, {"feature": "vader_compound"}),
        (
            "emotional",
            "inference",
            "The smile suggests that the person is happy.",
            0,
            4000,
            0.75,
            {"rule": "happy"},
        ),
    ]


def build(project, *, n_clips: int = 30, seed: int = 7, version: str = SIGNALS_VERSION):
    """(clips by name, the finished signal run, gold set v1) of a learnable project."""
    rng = random.Random(seed)
    run = ModelRun.objects.create(
        project=project,
        proposer="signals",
        version=version,
        status=ModelRun.Status.FINISHED,
        finished_at=timezone.now(),
    )
    clips, items = {}, []
    for i in range(n_clips):
        name = f"sample_{i:08d}"
        valence, arousal = rng.uniform(-0.9, 0.9), rng.uniform(0.1, 0.95)
        clip = Clip.objects.create(
            project=project,
            name=name,
            sha256=f"{project.pk}-{name}",
            status=Clip.Status.READY,
            duration_ms=4000,
            fps_num=25,
            fps_den=1,
            group_key=f"speaker{i % 15}",
        )
        clips[name] = clip
        proposal = Proposal.objects.create(
            run=run,
            clip=clip,
            status=Proposal.Status.DONE,
            emotions=[{"label": "happy", "score": 0.75}],
            features={
                "visual.smile_fraction": 1.0,
                "text.valence": round(valence, 4),
                "auditory.arousal": round(arousal, 4),
            },
            model_version=version,
        )
        for position, (modality, kind, text, start, end, confidence, evidence) in enumerate(
            _cues(valence)
        ):
            Cue.objects.create(
                clip=clip,
                proposal=proposal,
                position=position,
                modality=modality,
                kind=kind,
                text=text,
                start_ms=start,
                end_ms=end,
                confidence=confidence,
                evidence=evidence,
                origin=Cue.Origin.MODEL,
                decision=Cue.Decision.PROPOSED,
            )
        primary = primary_of(valence, arousal)
        positive = valence > 0.2
        items.append(
            {
                "clip": clip,
                "name": name,
                "group_key": clip.group_key,
                "primary_label": primary,
                "labels": [primary],
                "cues": {
                    "visual": [{"text": SMILE if positive else "Her face does not change."}],
                    "auditory": [{"text": LOUD}]
                    + ([{"text": POSITIVE, "kind": "subtitle"}] if positive else []),
                    "emotional": [{"text": f"The words suggest that the person is {primary}."}],
                },
            }
        )
    gold_set = GoldSet.objects.create(
        project=project,
        version=1,
        content_sha256=hashlib.sha256(str(seed).encode()).hexdigest(),
        frozen_at=timezone.now(),
        counts={"clips": n_clips},
    )
    GoldSetItem.objects.bulk_create(
        [
            GoldSetItem(
                gold_set=gold_set,
                clip=item["clip"],
                name=item["name"],
                group_key=item["group_key"],
                cues=item["cues"],
                labels=item["labels"],
                primary_label=item["primary_label"],
            )
            for item in items
        ]
    )
    return clips, run, gold_set
