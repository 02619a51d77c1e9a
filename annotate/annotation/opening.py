"""Opening an annotation: the annotator's own copy of a clip's latest proposals (plus decoys at
the project's rate), audited as one bulk write. Assignments and annotation services build on it."""

import hashlib

from django.db import transaction

from annotate.annotation.decoys import decoy_cues_for
from annotate.annotation.errors import AnnotationRejected
from annotate.annotation.models import Annotation
from annotate.clips.models import Clip
from annotate.core.audit import audit_record, audit_snapshot
from annotate.core.limits import limit_check
from annotate.core.models import AuditEvent, Project
from annotate.runs.models import Cue, ModelRun, Proposal


def _proposals_hidden(project: Project, clip: Clip) -> bool:
    """Whether this clip's proposals are withheld (a share set per project, to measure how much
    proposals sway annotators); the same clips for every annotator, stable across restarts."""
    share = float(project.proposer_settings.get("hide_proposals_share", 0) or 0)
    if share <= 0:
        return False
    bucket = int(hashlib.sha256(str(clip.uid).encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return bucket < share


def _latest_proposal(clip: Clip) -> Proposal | None:
    # Imported results (another model's outputs, for scoring) never seed annotations.
    return (
        Proposal.objects.filter(
            clip=clip,
            status=Proposal.Status.DONE,
            run__status=ModelRun.Status.FINISHED,
            run__source=ModelRun.Source.PROPOSER,
        )
        .select_related("run")
        .order_by("-run__created_at")
        .first()
    )


def _audit(
    *, actor, action: str, obj, before: dict | None, after: dict | None, clip: Clip
) -> AuditEvent:
    return audit_record(
        actor=actor,
        action=action,
        object_type=obj._meta.model_name,
        object_id=obj.pk,
        before=before,
        after=after,
        clip=clip,
    )


@transaction.atomic
def annotation_open(*, clip: Clip, annotator, by=None) -> Annotation:
    """The annotator's annotation of a clip, created on first open with a copy of the latest
    finished run's proposed cues (decision "proposed") unless proposals are withheld. by: who
    opened it when not the annotator (a manager assigning the clip)."""
    if clip.status != Clip.Status.READY:
        raise AnnotationRejected(
            f"Clip {clip.name} is not ready to annotate ({clip.status}).", code="not_ready"
        )
    annotation, created = Annotation.objects.get_or_create(clip=clip, annotator=annotator)
    if not created:
        return annotation
    hidden = _proposals_hidden(clip.project, clip)
    proposal = None if hidden else _latest_proposal(clip)
    annotation.proposals_hidden = hidden
    annotation.run = proposal.run if proposal else None
    annotation.save(update_fields=["proposals_hidden", "run"])
    actor = by or annotator
    _audit(
        actor=actor,
        action="open",
        obj=annotation,
        before=None,
        after=audit_snapshot(annotation),
        clip=clip,
    )
    if proposal is not None:
        proposal_cues = list(proposal.cues.order_by("position"))
        copies = [
            Cue(
                clip=clip,
                annotation=annotation,
                position=cue.position,
                modality=cue.modality,
                kind=cue.kind,
                text=cue.text,
                start_ms=cue.start_ms,
                end_ms=cue.end_ms,
                confidence=cue.confidence,
                evidence=cue.evidence,
                origin=Cue.Origin.MODEL,
                decision=Cue.Decision.PROPOSED,
                derived_from=cue,
            )
            for cue in proposal_cues
        ]
        # The rubber-stamp guard: known-wrong cues among the proposals at the project's rate.
        decoys = decoy_cues_for(annotation=annotation, proposal_cues=proposal_cues)
        limit_check(
            setting="EMOCUE_MAX_CUES_PER_ANNOTATION",
            what=f"The annotation of clip {clip.name} (the proposal's cues and decoys)",
            count=len(copies) + len(decoys),
            unit="cues",
        )
        cues = Cue.objects.bulk_create(copies + decoys, batch_size=1000)
        # One INSERT for the seeded cues' events, as audit_record would write them one by one.
        AuditEvent.objects.bulk_create(
            [
                AuditEvent(
                    project_id=clip.project_id,
                    clip=clip,
                    actor=actor,
                    object_type="cue",
                    object_id=cue.pk,
                    action="open",
                    before=None,
                    after=audit_snapshot(cue),
                )
                for cue in cues
            ],
            batch_size=1000,
        )
    return annotation
