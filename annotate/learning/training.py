"""Training a learned proposer (the work of annotate.learning.tasks.learned_proposer_train): read
the base run's observations of the training clips and the gold, label the proposed cues with
EmoCue-360's similarity, fit (inference.learning), store the artefact under its sha256. Kept
apart from the services that enqueue it, so the task module can import it."""

import hashlib
import logging

import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from annotate.core.scorer import scorer_get
from annotate.goldsets.models import GoldSetItem
from annotate.learning.models import LearnedProposer
from annotate.runs.models import Cue, Proposal
from inference.learning import (
    ClipGold,
    ClipObservation,
    LearningError,
    fit,
    training_set,
)
from inference.proposers import MODALITIES, ProposedCue

log = logging.getLogger(__name__)


def _progress(learned_id: int):
    def report(stage: str, done: int, total: int) -> None:
        LearnedProposer.objects.filter(pk=learned_id).update(
            progress_stage=stage[:64], progress_done=done, progress_total=total
        )

    return report


def _observations(learned: LearnedProposer, names: list[str]) -> list[ClipObservation]:
    cues = Cue.objects.filter(decoy=False).order_by("position", "pk")
    proposals = (
        Proposal.objects.filter(
            run_id=learned.base_run_id, status=Proposal.Status.DONE, clip__name__in=names
        )
        .select_related("clip")
        .prefetch_related(Prefetch("cues", queryset=cues))
        .order_by("clip__name")
    )
    observations = []
    for proposal in proposals:
        if not proposal.features:
            raise LearningError(
                f"The proposal for {proposal.clip.name} in run {learned.base_run_id} carries no "
                "features (it was made before proposals stored them): re-run the signal "
                "proposer and train on the new run."
            )
        observations.append(
            ClipObservation(
                name=proposal.clip.name,
                features=proposal.features,
                emotions=tuple(
                    (str(e["label"]), float(e["score"])) for e in (proposal.emotions or [])
                ),
                cues=tuple(
                    ProposedCue(
                        modality=cue.modality,
                        text=cue.text,
                        start_ms=cue.start_ms,
                        end_ms=cue.end_ms,
                        confidence=float(cue.confidence or 0.0),
                        evidence=cue.evidence if isinstance(cue.evidence, dict) else {},
                        kind=cue.kind,
                    )
                    for cue in proposal.cues.all()
                ),
                duration_ms=proposal.clip.duration_ms or 0,
            )
        )
    return observations


def _gold(learned: LearnedProposer, names: list[str]) -> dict[str, ClipGold]:
    gold = {}
    for name, primary, cues in GoldSetItem.objects.filter(
        gold_set=learned.gold_set, name__in=names
    ).values_list("name", "primary_label", "cues"):
        texts = {}
        for modality in MODALITIES:
            found = (cues or {}).get(modality, [])
            texts[modality] = tuple(
                (c.get("text", "") if isinstance(c, dict) else str(c)) for c in found
            )
        gold[name] = ClipGold(name=name, primary_label=primary, cues=texts)
    return gold


def _similarity(texts: list[str]):
    """EmoCue-360's cosine similarity, from the scorer's embeddings (cached in the database)."""
    scorer = scorer_get()
    unique = sorted(set(texts))
    vectors = scorer.cache.embed_unique(unique) if unique else {}
    matrix = {}
    for text in unique:
        vector = np.asarray(vectors[text], dtype=np.float64)
        matrix[text] = vector / max(float(np.linalg.norm(vector)), 1e-12)

    def similarity(a, b) -> np.ndarray:
        return np.stack([matrix[x] for x in a]) @ np.stack([matrix[y] for y in b]).T

    return similarity, scorer.model_id


def _store(raw: bytes, name: str) -> str:
    """Save the artefact under its content name; a second training of the same bytes reuses it."""
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as stored:
            if hashlib.sha256(stored.read()).hexdigest() == hashlib.sha256(raw).hexdigest():
                return name
    return default_storage.save(name, ContentFile(raw))


def learned_proposer_train(*, learned_id: int) -> LearnedProposer | None:
    """Train one learned proposer (the cpu task's body). Safe to run twice: a done or failed one
    is left alone; a redelivered one trains again to the same bytes (the artefact is stored
    under its sha256, so nothing is duplicated). On any failure it is marked failed with the
    reason and no file of its own is left in storage."""
    claimed = LearnedProposer.objects.filter(
        pk=learned_id,
        status__in=[LearnedProposer.Status.PENDING, LearnedProposer.Status.RUNNING],
    ).update(
        status=LearnedProposer.Status.RUNNING,
        started_at=timezone.now(),
        progress_stage="reading the base run and the gold",
        progress_done=0,
        progress_total=0,
    )
    learned = (
        LearnedProposer.objects.select_related("project", "gold_set", "base_run")
        .filter(pk=learned_id)
        .first()
    )
    if learned is None or not claimed:
        return learned
    stored = ""
    try:
        if learned.base_run is None:
            raise LearningError("Its base run was deleted: start a new training.")
        report = _progress(learned_id)
        names = learned.training_clips
        observations = _observations(learned, names)
        gold = _gold(learned, names)
        observations = [obs for obs in observations if obs.name in gold]
        report("matching proposed cues to the gold", 0, 1)
        texts = [c.text for obs in observations for c in obs.cues] + [
            text for item in gold.values() for cues in item.cues.values() for text in cues
        ]
        similarity, model_id = _similarity([t for t in texts if t.strip()])
        threshold = float(learned.project.align_similarity)
        data = training_set(
            observations=observations, gold=gold, similarity=similarity, threshold=threshold
        )
        report("matching proposed cues to the gold", 1, 1)
        model = fit(
            training=data,
            seed=learned.seed,
            base={"proposer": learned.base_run.proposer, "version": learned.base_version},
            trained_on={
                "gold_set": {
                    "version": learned.gold_set.version,
                    "content_sha256": learned.gold_set.content_sha256,
                },
                "base_run": learned.base_run_id,
                "ratios": learned.ratios,
                "seed": learned.seed,
                "split": learned.split,
                "similarity_model": model_id,
            },
            progress=report,
        )
        raw = model.to_bytes()
        sha256 = hashlib.sha256(raw).hexdigest()
        report("storing the model", 0, 1)
        stored = _store(raw, f"learned/{learned.project_id}/{learned.number}/{sha256}.json")
        rules = model.data["cue_filter"]["rules"]
        summary = {
            "training": data.describe(),
            "train_clips_without_proposal": sorted(set(names) - {obs.name for obs in observations}),
            "matching": {"threshold": threshold, "model_id": model_id},
            "rules": [
                {
                    "rule": rule,
                    "kind": entry["kind"],
                    "n": entry["n"],
                    "kept": entry["kept"],
                }
                for rule, entry in sorted(rules.items())
            ],
            "classes": model.classes,
            "size_bytes": len(raw),
        }
        with transaction.atomic():
            row = LearnedProposer.objects.select_for_update().get(pk=learned_id)
            if row.status != LearnedProposer.Status.RUNNING:  # failed by a time limit meanwhile
                return row
            row.status = LearnedProposer.Status.DONE
            row.training_sha256 = data.sha256
            row.artefact, row.artefact_sha256 = stored, sha256
            row.report = summary
            row.error = ""
            row.progress_stage, row.progress_done, row.progress_total = "done", 1, 1
            row.finished_at = timezone.now()
            row.save(
                update_fields=[
                    "status",
                    "training_sha256",
                    "artefact",
                    "artefact_sha256",
                    "report",
                    "error",
                    "progress_stage",
                    "progress_done",
                    "progress_total",
                    "finished_at",
                ]
            )
        return row
    except Exception as error:
        if stored and not LearnedProposer.objects.filter(artefact=stored).exists():
            default_storage.delete(stored)
        if not isinstance(error, LearningError):
            log.exception("training of learned proposer %s failed", learned_id)
        message = (
            str(error) if isinstance(error, LearningError) else (f"{type(error).__name__}: {error}")
        )
        return learned_proposer_failed(learned_id=learned_id, message=message)


def learned_proposer_failed(*, learned_id: int, message: str) -> LearnedProposer | None:
    """Mark an unfinished training failed with the reason (an error, a time limit, no queue)."""
    with transaction.atomic():
        row = LearnedProposer.objects.select_for_update().filter(pk=learned_id).first()
        if row is None or row.status in (
            LearnedProposer.Status.DONE,
            LearnedProposer.Status.FAILED,
        ):
            return row
        row.status, row.error = LearnedProposer.Status.FAILED, message[:5000]
        row.finished_at = timezone.now()
        row.save(update_fields=["status", "error", "finished_at"])
    return row
