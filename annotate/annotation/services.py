"""Annotations: an annotator's decisions on proposed cues, their own cues, labels and
reasoning. Every write checks the version the client last saw: a stale write is refused
(StaleWrite, HTTP 409), never applied over someone else's change. Every write also needs the
annotation to hold one of its clip's assignment slots (and renews that lease), and keeps an
audit event with the state before and after, in the same transaction."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from annotate.annotation import assignments
from annotate.annotation.assignments import assignment_complete, assignment_next
from annotate.annotation.errors import AnnotationRejected, ReservationLost, StaleWrite
from annotate.annotation.models import Annotation, AnnotationEvent
from annotate.annotation.opening import _audit
from annotate.clips.models import Clip
from annotate.core import signals
from annotate.core.audit import audit_record, audit_snapshot
from annotate.core.labels import label_clean, labels_check, labels_clean
from annotate.core.limits import limit_check
from annotate.core.models import Project
from annotate.core.versions import next_version
from annotate.runs.calibration_queue import proposer_calibration_queue
from annotate.runs.models import Cue

CUE_FIELDS = (
    "modality",
    "kind",
    "text",
    "start_ms",
    "end_ms",
    "confidence",
    "decision",
    "reject_reason",
    "origin",
)


def _snapshot(cue: Cue) -> dict:
    # The id is kept here, not only in the event's foreign key: that one is cleared when the
    # cue is deleted, and undo must still find the cue once a later undo brings it back.
    return {field: getattr(cue, field) for field in CUE_FIELDS} | {
        "version": cue.version,
        "id": cue.pk,
    }


def annotation_next(*, project: Project, annotator) -> Annotation | None:
    """The annotation to work on next, through the clip's assignment slots: the annotator's own
    live lease first, else a newly leased free slot (see assignment_next). None when nothing
    is left for them."""
    assignment = assignment_next(project=project, annotator=annotator)
    return assignment.annotation if assignment is not None else None


def _editable(annotation: Annotation, user) -> None:
    if annotation.annotator_id != user.pk:
        raise AnnotationRejected("Only the annotator who owns this annotation can change it.")
    if annotation.status == Annotation.Status.SUBMITTED:
        raise AnnotationRejected(
            "This annotation was submitted; it can no longer be changed.", code="submitted"
        )
    _hold_slot(annotation, user)


def _hold_slot(annotation: Annotation, user) -> None:
    """Renew the lease of the slot this draft holds (one UPDATE); a draft that lost its slot
    gets a free one of its clip back if there is one, else the write is refused."""
    if assignments.assignment_lease_renew(annotation=annotation, user=user):
        return
    if assignments.assignment_lease_reclaim(annotation=annotation, user=user) is None:
        raise ReservationLost(annotation)


def _stale_cue(cue: Cue) -> StaleWrite:
    current = Cue.objects.filter(pk=cue.pk).values_list("version", flat=True).first()
    return StaleWrite(f"Cue {cue.text[:40]!r}", current_version=current)


def _stale_annotation(annotation: Annotation) -> StaleWrite:
    current = Annotation.objects.filter(pk=annotation.pk).values_list("version", flat=True).first()
    return StaleWrite("This annotation", current_version=current)


def _cue_update(*, cue: Cue, user, expected_version: int, action: str, **changes) -> Cue:
    annotation = cue.annotation
    if annotation is None:
        raise AnnotationRejected("Only cues of an annotation can be changed here.")
    _editable(annotation, user)
    if cue.version != expected_version:
        # The copy read here must be the version the change applies to: it is the before-state
        # kept for undo and the audit, and the after-state is computed from it.
        raise _stale_cue(cue)
    before, audit_before = _snapshot(cue), audit_snapshot(cue)
    now = timezone.now()
    updated = Cue.objects.filter(pk=cue.pk, version=expected_version).update(
        version=next_version(), updated_at=now, **changes
    )
    if not updated:
        raise _stale_cue(cue)
    # The row now holds exactly these values: no need to read it back.
    for name, value in changes.items():
        setattr(cue, name, value)
    cue.version, cue.updated_at = expected_version + 1, now
    AnnotationEvent.objects.create(
        annotation=annotation,
        cue=cue,
        action=action,
        before=before,
        after=_snapshot(cue),
        actor=user,
    )
    _audit(
        actor=user,
        action=action,
        obj=cue,
        before=audit_before,
        after=audit_snapshot(cue),
        clip=annotation.clip,
    )
    return cue


@transaction.atomic
def cue_accept(*, cue: Cue, user, expected_version: int) -> Cue:
    return _cue_update(
        cue=cue,
        user=user,
        expected_version=expected_version,
        action="accept",
        decision=Cue.Decision.ACCEPTED,
        reject_reason="",
    )


@transaction.atomic
def cue_reject(*, cue: Cue, user, expected_version: int, reason: str = "") -> Cue:
    if cue.origin != Cue.Origin.MODEL:
        raise AnnotationRejected("Your own cues are deleted, not rejected.", code="wrong_origin")
    return _cue_update(
        cue=cue,
        user=user,
        expected_version=expected_version,
        action="reject",
        decision=Cue.Decision.REJECTED,
        reject_reason=reason.strip()[:2000],
    )


@transaction.atomic
def cue_edit(*, cue: Cue, user, expected_version: int, text: str) -> Cue:
    """New text for a cue. A proposed cue becomes "edited"; the proposal's own cue (its
    derived_from) keeps the original wording."""
    text = " ".join(text.split())
    if not text:
        raise AnnotationRejected("A cue needs text; reject or delete it instead.", field="text")
    decision = Cue.Decision.EDITED if cue.origin == Cue.Origin.MODEL else cue.decision
    return _cue_update(
        cue=cue,
        user=user,
        expected_version=expected_version,
        action="edit",
        text=text[:2000],
        decision=decision,
    )


def snap_to_frame(ms: int, clip: Clip) -> int:
    """The start time of the frame nearest ms (frames from time and the real frame rate)."""
    if not clip.fps_num or not clip.fps_den:
        return ms
    frame = round(ms * clip.fps_num / (1000 * clip.fps_den))
    return round(frame * 1000 * clip.fps_den / clip.fps_num)


def cue_span_snapped(
    clip: Clip, start_ms: int | None, end_ms: int | None
) -> tuple[int | None, int | None]:
    """A cue's span snapped to frames and checked against the clip; (None, None) for a
    whole-clip cue. Shared by annotators' and reviewers' cues."""
    if start_ms is None and end_ms is None:
        return None, None
    if start_ms is None or end_ms is None:
        raise AnnotationRejected(
            "Give both a start and an end, or neither for a whole-clip cue.",
            field="start_ms" if start_ms is None else "end_ms",
        )
    start, end = snap_to_frame(int(start_ms), clip), snap_to_frame(int(end_ms), clip)
    duration = clip.duration_ms or 0
    if start < 0 or end > duration or end <= start:
        raise AnnotationRejected(
            f"The span {start_ms}-{end_ms} ms does not fit the clip (0-{duration} ms) "
            "or ends before it starts.",
            field="start_ms" if start < 0 else "end_ms",
        )
    return start, end


@transaction.atomic
def cue_retime(
    *, cue: Cue, user, expected_version: int, start_ms: int | None, end_ms: int | None
) -> Cue:
    # Only a moved edge is snapped to a frame: dragging the end keeps the start where it was,
    # even off a frame boundary (a proposal's or a subtitle's own time).
    keep_start = start_ms is not None and cue.start_ms is not None and start_ms == cue.start_ms
    keep_end = end_ms is not None and cue.end_ms is not None and end_ms == cue.end_ms
    start, end = cue_span_snapped(cue.clip, start_ms, end_ms)
    start = cue.start_ms if keep_start else start
    end = cue.end_ms if keep_end else end
    if start is not None and end is not None and end <= start:
        raise AnnotationRejected(
            f"The span {start_ms}-{end_ms} ms ends before it starts.", field="end_ms"
        )
    return _cue_update(
        cue=cue,
        user=user,
        expected_version=expected_version,
        action="retime",
        start_ms=start,
        end_ms=end,
    )


@transaction.atomic
def cue_add(
    *,
    annotation: Annotation,
    user,
    modality: str,
    text: str,
    start_ms: int | None = None,
    end_ms: int | None = None,
) -> Cue:
    _editable(annotation, user)
    text = " ".join(text.split())
    if modality not in Cue.Modality.values:
        raise AnnotationRejected(
            f"Modality must be one of {', '.join(Cue.Modality.values)}.", field="modality"
        )
    if not text:
        raise AnnotationRejected("A new cue needs text.", field="text")
    start, end = cue_span_snapped(annotation.clip, start_ms, end_ms)
    limit_check(
        setting="EMOCUE_MAX_CUES_PER_ANNOTATION",
        what="With this cue, the annotation",
        count=annotation.cues.count() + 1,
        unit="cues",
    )
    last = annotation.cues.order_by("-position").values_list("position", flat=True).first()
    cue = Cue(
        clip=annotation.clip,
        annotation=annotation,
        position=(last or 0) + 1,
        modality=modality,
        text=text[:2000],
        start_ms=start,
        end_ms=end,
        origin=Cue.Origin.HUMAN,
        decision=Cue.Decision.ACCEPTED,
    )
    cue.full_clean(exclude=["clip", "annotation", "proposal", "derived_from"])
    cue.save()
    AnnotationEvent.objects.create(
        annotation=annotation, cue=cue, action="add", before=None, after=_snapshot(cue), actor=user
    )
    _audit(
        actor=user,
        action="add",
        obj=cue,
        before=None,
        after=audit_snapshot(cue),
        clip=annotation.clip,
    )
    return cue


@transaction.atomic
def cue_delete(*, cue: Cue, user, expected_version: int) -> None:
    annotation = cue.annotation
    if annotation is None:
        raise AnnotationRejected("Only cues of an annotation can be deleted here.")
    _editable(annotation, user)
    if cue.origin != Cue.Origin.HUMAN:
        raise AnnotationRejected("A proposed cue is rejected, not deleted.", code="wrong_origin")
    before = _snapshot(cue) | {"position": cue.position}
    audit_before = audit_snapshot(cue)
    cue_id = cue.pk
    if cue.version != expected_version:  # see _cue_update
        raise _stale_cue(cue)
    deleted, _ = Cue.objects.filter(pk=cue.pk, version=expected_version).delete()
    if not deleted:
        raise _stale_cue(cue)
    AnnotationEvent.objects.create(
        annotation=annotation, cue=None, action="delete", before=before, after=None, actor=user
    )
    audit_record(
        actor=user,
        action="delete",
        object_type="cue",
        object_id=cue_id,
        before=audit_before,
        after=None,
        clip=annotation.clip,
    )


@transaction.atomic
def annotation_undo(*, annotation: Annotation, user) -> AnnotationEvent:
    """Revert the annotation's last change that is not undone yet."""
    _editable(annotation, user)
    event = (
        AnnotationEvent.objects.select_for_update()
        .filter(annotation=annotation, undone=False)
        .order_by("-pk")
        .first()
    )
    if event is None:
        raise AnnotationRejected("Nothing to undo.", code="nothing_to_undo")
    cue_id = (event.after or event.before)["id"]
    current = Cue.objects.filter(pk=cue_id, annotation=annotation).first()
    audit_before = audit_snapshot(current) if current is not None else None
    if event.action == "add":
        Cue.objects.filter(pk=cue_id).delete()
        current = None
    elif event.action == "delete":
        # Back under its old id, so that undoing the changes made before the delete finds it.
        state = {k: v for k, v in event.before.items() if k != "version"}
        current = Cue.objects.create(clip=annotation.clip, annotation=annotation, **state)
    else:
        restore = {k: v for k, v in event.before.items() if k not in ("version", "id")}
        Cue.objects.filter(pk=cue_id).update(
            version=next_version(), updated_at=timezone.now(), **restore
        )
        if current is not None:
            current.refresh_from_db()
    audit_record(
        actor=user,
        action=f"undo_{event.action}",
        object_type="cue",
        object_id=cue_id,
        before=audit_before,
        after=audit_snapshot(current) if current is not None else None,
        clip=annotation.clip,
    )
    event.undone = True
    event.save(update_fields=["undone"])
    return event


@transaction.atomic
def annotation_update(
    *,
    annotation: Annotation,
    user,
    expected_version: int,
    labels: list[str] | None = None,
    primary_label: str | None = None,
    description: str | None = None,
) -> Annotation:
    _editable(annotation, user)
    changes: dict = {}
    if labels is not None:
        changes["labels"] = labels_clean(labels)
    if primary_label is not None:
        changes["primary_label"] = label_clean(primary_label)
    if description is not None:
        changes["description"] = description.strip()
        limit_check(
            setting="EMOCUE_MAX_DESCRIPTION_CHARS",
            what="The description",
            count=len(changes["description"]),
            unit="characters",
        )
    labels_check(
        project=annotation.clip.project,
        labels=changes.get("labels"),
        primary_label=changes.get("primary_label"),
    )
    if annotation.version != expected_version:  # see _cue_update
        raise _stale_annotation(annotation)
    before = audit_snapshot(annotation)
    now = timezone.now()
    updated = Annotation.objects.filter(
        pk=annotation.pk, version=expected_version, status=Annotation.Status.DRAFT
    ).update(version=next_version(), updated_at=now, **changes)
    if not updated:
        raise _stale_annotation(annotation)
    # The row now holds exactly these values: no need to read it back.
    for name, value in changes.items():
        setattr(annotation, name, value)
    annotation.version, annotation.updated_at = expected_version + 1, now
    _audit(
        actor=user,
        action="update",
        obj=annotation,
        before=before,
        after=audit_snapshot(annotation),
        clip=annotation.clip,
    )
    return annotation


def _already_submitted(annotation: Annotation) -> AnnotationRejected:
    when = timezone.localtime(annotation.submitted_at).strftime("%Y-%m-%d %H:%M")
    return AnnotationRejected(
        f"Clip {annotation.clip.name} is already submitted (at {when}); nothing changed.",
        code="already_submitted",
    )


@transaction.atomic
def annotation_submit(*, annotation: Annotation, user, expected_version: int) -> Annotation:
    """Submit, after checking what a complete annotation needs; names everything missing. A
    second submit (a double Enter, a retried request) is told it is already submitted."""
    # Locked first: a duplicate submit waits for the first, then sees it submitted (rather
    # than a slot that the first one completed, which would read as a lost lease).
    locked = Annotation.objects.select_for_update().filter(pk=annotation.pk).first()
    if annotation.annotator_id == user.pk and locked is not None:
        if locked.status == Annotation.Status.SUBMITTED:
            raise _already_submitted(locked)
        annotation.version, annotation.status = locked.version, locked.status
    _editable(annotation, user)
    missing = []
    undecided = annotation.cues.filter(decision=Cue.Decision.PROPOSED).count()
    if undecided:
        missing.append(
            f"{undecided} proposed cue(s) still need a decision (accept, edit or reject)"
        )
    if not annotation.primary_label:
        missing.append("a primary emotion label")
    elif annotation.primary_label not in annotation.labels:
        missing.append(f"the primary label {annotation.primary_label!r} among the labels")
    if not annotation.description.strip():
        missing.append("the reasoning description")
    if not annotation.cues.filter(~Q(decision=Cue.Decision.REJECTED)).exists():
        missing.append("at least one cue")
    if missing:
        raise AnnotationRejected(
            "Not submitted yet; missing: " + "; ".join(missing) + ".", code="incomplete"
        )
    if annotation.version != expected_version:
        raise _stale_annotation(annotation)
    before = audit_snapshot(annotation)
    now = timezone.now()
    updated = Annotation.objects.filter(
        pk=annotation.pk, version=expected_version, status=Annotation.Status.DRAFT
    ).update(
        status=Annotation.Status.SUBMITTED,
        submitted_at=now,
        version=next_version(),
        updated_at=now,
    )
    if not updated:
        raise _stale_annotation(annotation)
    annotation.refresh_from_db()
    assignment_complete(annotation=annotation, user=user)
    _audit(
        actor=user,
        action="submit",
        obj=annotation,
        before=before,
        after=audit_snapshot(annotation),
        clip=annotation.clip,
    )
    project = annotation.clip.project
    signals.annotation_submitted.send(sender=Annotation, annotation=annotation)
    signals.scores_stale.send(sender=Annotation, project=project, annotator=user)  # the human row
    # Its decisions on the run's proposals now count toward the proposer's calibration.
    proposer_calibration_queue(run_id=annotation.run_id)
    return annotation


@transaction.atomic
def annotation_reopen(
    *, annotation: Annotation, by, expected_version: int, comment: str = ""
) -> Annotation:
    """A submitted annotation back to draft, its slot leased to its annotator again, audited:
    taken back by the annotator (action "reopen"), or sent back by a reviewer or manager with
    a comment the annotator sees (action "return"). Who may do it when is review's rule
    (annotate/review/returns.py); this is the mechanism."""
    locked = Annotation.objects.select_for_update().filter(pk=annotation.pk).first()
    if locked is None or locked.status != Annotation.Status.SUBMITTED:
        raise AnnotationRejected(
            f"The annotation of {annotation.clip.name} is not submitted; there is nothing to "
            "reopen.",
            code="not_submitted",
        )
    if locked.version != expected_version:
        raise _stale_annotation(annotation)
    returned = by.pk != locked.annotator_id
    comment = comment.strip()
    if returned and not comment:
        raise AnnotationRejected(
            "Say why it goes back: the annotator reads the comment.", field="comment"
        )
    before = audit_snapshot(locked)
    now = timezone.now()
    changes = {
        "status": Annotation.Status.DRAFT,
        "submitted_at": None,
        "returned_comment": comment[:2000] if returned else "",
        "returned_by_id": by.pk if returned else None,
        "returned_at": now if returned else None,
    }
    Annotation.objects.filter(pk=locked.pk).update(
        version=next_version(), updated_at=now, **changes
    )
    for name, value in changes.items():
        setattr(annotation, name, value)
    annotation.version, annotation.updated_at = expected_version + 1, now
    assignments.assignment_reopen(annotation=annotation, by=by)
    _audit(
        actor=by,
        action="return" if returned else "reopen",
        obj=annotation,
        before=before,
        after=audit_snapshot(annotation),
        clip=annotation.clip,
    )
    # Their scores counted this submission; the review queue and alignment read only
    # submitted annotations, so the clip's row follows by itself.
    signals.scores_stale.send(
        sender=Annotation, project=annotation.clip.project, annotator=annotation.annotator
    )
    proposer_calibration_queue(run_id=annotation.run_id)  # its decisions no longer count
    return annotation
