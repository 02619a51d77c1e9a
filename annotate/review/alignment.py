"""A clip's cue alignment (inference.alignment) and its cache in the database (ClipAlignment).

Alignment needs sentence embeddings, so the sentence model: a cpu worker computes it when an
annotation is submitted (annotate.review.tasks.clip_align, queued by alignment_queue.py) and
stores it under a key made of the clip's uid, the submitted annotations' (id, version,
submitted_at), the model run and the project's thresholds. Submitted annotations never change,
so a key never goes stale; a new submission (or changed thresholds) makes a new key. Every web
process and worker reads the same rows: the review queue only reads them, and the review page
of one clip computes (and stores) its alignment itself when a worker has not yet."""

import hashlib

from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone

from annotate.annotation.models import Annotation
from annotate.clips.models import Clip
from annotate.core.models import Project
from annotate.core.scorer import scorer_get
from annotate.review.models import ClipAlignment
from annotate.runs.models import Cue, ModelRun
from inference.alignment import AlignCue, CueGroup, align_cues, embedding_similarity

ALIGNMENT_CACHE_VERSION = 2  # bump when the grouping rule or the stored shape changes


def annotator_key(annotation: Annotation) -> str:
    return f"u:{annotation.annotator_id}"


def alignment_similarity():
    """The EmoCue-360 similarity over the project's shared embedding cache (the sentence model
    is loaded once per process by scorer_get)."""
    return embedding_similarity(scorer_get().cache)


def cue_is_decoy(cue: Cue) -> bool:
    """A decoy, or an annotator's copy of one (accepting a decoy keeps it out of the gold)."""
    return cue.decoy or bool(cue.derived_from_id and getattr(cue, "derived_decoy", False))


def cue_counts(cue: Cue) -> bool:
    """Whether an annotator's cue takes part in alignment and gold: kept, and no decoy."""
    return cue.decision != Cue.Decision.REJECTED and not cue_is_decoy(cue)


def submitted_annotations(clip_filter: Q) -> list[Annotation]:
    return list(
        Annotation.objects.filter(clip_filter, status=Annotation.Status.SUBMITTED)
        .select_related("annotator", "run")
        .order_by("clip_id", "pk")
    )


def annotation_cues(annotation_ids: list[int]) -> list[Cue]:
    return list(
        Cue.objects.filter(annotation_id__in=annotation_ids)
        .annotate(
            derived_decoy=ExpressionWrapper(
                Q(derived_from__decoy=True), output_field=BooleanField()
            )
        )
        .defer("evidence")
        .order_by("annotation_id", "start_ms", "position", "pk")
    )


def review_run(annotations: list[Annotation]) -> ModelRun | None:
    """The run whose proposals the model lane shows: the newest of the annotations' runs."""
    runs = [a.run for a in annotations if a.run is not None]
    return max(runs, key=lambda run: (run.created_at, run.pk)) if runs else None


def model_cues(pairs: list[tuple[int, int]]) -> list[Cue]:
    """Proposal cues of (run id, clip id) pairs, decoys included (the page flags them)."""
    if not pairs:
        return []
    where = Q()
    for run_id, clip_id in pairs:
        where |= Q(proposal__run_id=run_id, proposal__clip_id=clip_id)
    return list(
        Cue.objects.filter(where, proposal__status="done")
        .select_related("proposal")
        .defer(
            "evidence",
            "proposal__description",
            "proposal__notes",
            "proposal__timings",
            "proposal__emotions",
        )
        .order_by("start_ms", "position", "pk")
    )


def alignment_key(
    clip: Clip, project: Project, annotations: list[Annotation], run: ModelRun | None
) -> str:
    """Names one state of a clip's submitted annotations (and the run and thresholds)."""
    parts = [
        f"{a.pk}.{a.version}.{a.submitted_at.isoformat() if a.submitted_at else ''}"
        for a in annotations
    ]
    material = "|".join(
        [
            str(clip.uid),
            ",".join(parts),
            str(run.pk if run else ""),
            repr(project.align_similarity),
            repr(project.align_overlap),
        ]
    )
    digest = hashlib.sha256(material.encode()).hexdigest()[:32]
    return f"v{ALIGNMENT_CACHE_VERSION}:{digest}"


def _group_to_dict(group: CueGroup) -> dict:
    return {
        "key": group.key,
        "modality": group.modality,
        "cue_ids": list(group.cue_ids),
        "sources": list(group.sources),
        "model_cue_ids": list(group.model_cue_ids),
        "label": group.label,
        "similarity": float(group.similarity),
        "start_ms": group.start_ms,
        "end_ms": group.end_ms,
    }


def alignment_compute(
    *, project: Project, annotations: list[Annotation], human: list[Cue], model: list[Cue]
) -> dict:
    """{"groups": [...], "model_id": ...}: align_cues over the kept, non-decoy human cues and
    the non-decoy model cues. Loads the sentence model when there is a cue to align."""
    sources = {a.pk: annotator_key(a) for a in annotations}
    cues = [
        AlignCue(c.pk, sources[c.annotation_id], c.modality, c.text, c.start_ms, c.end_ms)
        for c in human
        if cue_counts(c)
    ]
    cues += [
        AlignCue(c.pk, "model", c.modality, c.text, c.start_ms, c.end_ms)
        for c in model
        if not c.decoy
    ]
    if not cues:
        return {"groups": [], "model_id": ""}
    similarity = alignment_similarity()
    groups = align_cues(
        cues=cues,
        annotators=[annotator_key(a) for a in annotations],
        similarity=similarity,
        similarity_threshold=project.align_similarity,
        overlap_threshold=project.align_overlap,
    )
    return {
        "groups": [_group_to_dict(g) for g in groups],
        "model_id": getattr(similarity, "model_id", ""),
    }


def alignments_cached(*, keys: dict[int, str]) -> dict[int, dict]:
    """Clip id -> its stored alignment, for the clips whose stored one was computed for the
    key given (one query). Clips missing from the answer have none yet."""
    rows = ClipAlignment.objects.filter(clip_id__in=keys, computed_at__isnull=False).values_list(
        "clip_id", "key", "groups", "model_id"
    )
    return {
        clip_id: {"groups": groups, "model_id": model_id}
        for clip_id, key, groups, model_id in rows
        if keys[clip_id] == key
    }


def alignment_store(*, clip_id: int, key: str, result: dict) -> None:
    """Keep a clip's alignment for every process: one row per clip, the newest state wins (a
    worker and a page storing the same key store the same groups)."""
    ClipAlignment.objects.bulk_create(
        [
            ClipAlignment(
                clip_id=clip_id,
                key=key,
                groups=result["groups"],
                model_id=result["model_id"],
                computed_at=timezone.now(),
            )
        ],
        update_conflicts=True,
        unique_fields=["clip"],
        update_fields=["key", "groups", "model_id", "computed_at"],
    )


def clip_alignment(
    *,
    clip: Clip,
    project: Project,
    annotations: list[Annotation],
    run: ModelRun | None,
    human: list[Cue] | None = None,
    model: list[Cue] | None = None,
) -> dict:
    """The clip's alignment for these annotations: the stored one, else computed here (which
    loads the sentence model) and stored."""
    key = alignment_key(clip, project, annotations, run)
    found = alignments_cached(keys={clip.pk: key}).get(clip.pk)
    if found is not None:
        return found
    if human is None:
        human = annotation_cues([a.pk for a in annotations])
    if model is None:
        model = model_cues([(run.pk, clip.pk)] if run else [])
    result = alignment_compute(project=project, annotations=annotations, human=human, model=model)
    alignment_store(clip_id=clip.pk, key=key, result=result)
    return result


def clip_alignment_refresh(*, clip: Clip) -> str:
    """The worker's job: align the clip's submitted annotations as they are now, unless that
    alignment is stored already. Returns what it did."""
    annotations = submitted_annotations(Q(clip=clip))
    if not annotations:
        return "nothing submitted"
    run = review_run(annotations)
    key = alignment_key(clip, clip.project, annotations, run)
    if alignments_cached(keys={clip.pk: key}):
        return "already aligned"
    clip_alignment(clip=clip, project=clip.project, annotations=annotations, run=run)
    return "aligned"
