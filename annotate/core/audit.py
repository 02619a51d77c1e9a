"""The audit trail: one row for every create, change and delete of cues, annotations and gold
records, written by the service that makes the change, inside its transaction."""

from datetime import date, datetime
from decimal import Decimal

from django.db import models
from django.db.models import Model

from annotate.core.models import AuditEvent, Project


def audit_snapshot(obj: models.Model, *, fields: tuple[str, ...] | None = None) -> dict:
    """A JSON-ready copy of a row's concrete fields (foreign keys as ids)."""
    state = {}
    for field in obj._meta.concrete_fields:
        if fields is not None and field.name not in fields and field.attname not in fields:
            continue
        value = getattr(obj, field.attname)
        if isinstance(value, (datetime, date)):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, (bytes, memoryview)):
            continue
        state[field.attname] = value
    return state


def audit_record(
    *,
    actor,
    action: str,
    object_type: str,
    object_id: int | None,
    before: dict | None,
    after: dict | None,
    clip: Model | None = None,
    project: Project | None = None,
) -> AuditEvent:
    """Keep one change. Give the clip when there is one (its project is taken from it)."""
    if project is None and clip is None:
        raise ValueError("An audit event needs the clip or the project it belongs to.")
    project_id = project.pk if project is not None else clip.project_id
    return AuditEvent.objects.create(
        project_id=project_id,
        clip=clip,
        actor=actor if getattr(actor, "pk", None) else None,
        object_type=object_type,
        object_id=object_id,
        action=action,
        before=before,
        after=after,
    )
