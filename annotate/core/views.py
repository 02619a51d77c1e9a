"""The project's whole audit trail as a streamed CSV or JSON download, for managers."""

import csv
import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from annotate.core import selectors as core_selectors
from annotate.core.history import audit_changed_fields, project_audit_list
from annotate.core.models import AuditEvent, Membership
from inference.csv_cells import csv_row

EXPORT_ROLES = (Membership.Role.MANAGER,)


EXPORT_CHUNK = 2000


def _export_row(event: AuditEvent) -> dict:
    return {
        "at": event.at.isoformat(),
        "clip": event.clip.name if event.clip else None,
        "actor": event.actor.username if event.actor else None,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "action": event.action,
        "changed": audit_changed_fields(event.before, event.after),
        "before": event.before,
        "after": event.after,
    }


class _Echo:
    """csv.writer target that hands each formatted line back instead of keeping it."""

    def write(self, value: str) -> str:
        return value


def _json_cell(state: dict | None) -> str:
    return "" if state is None else json.dumps(state, ensure_ascii=False, sort_keys=True)


def _csv_lines(events):
    writer = csv.writer(_Echo())
    yield writer.writerow(
        ["at", "clip", "actor", "object_type", "object_id", "action", "changed", "before", "after"]
    )
    for event in events:
        row = _export_row(event)
        # Every cell, as in every CSV the studio writes: one that begins like a formula gets an
        # apostrophe (OWASP CSV injection); clip names and usernames come from users.
        yield writer.writerow(
            csv_row(
                [
                    row["at"],
                    row["clip"],
                    row["actor"],
                    row["object_type"],
                    row["object_id"],
                    row["action"],
                    " ".join(row["changed"]),
                    _json_cell(row["before"]),
                    _json_cell(row["after"]),
                ]
            )
        )


def _json_chunks(events):
    yield "["
    first = True
    for event in events:
        yield ("\n" if first else ",\n") + json.dumps(_export_row(event), ensure_ascii=False)
        first = False
    yield "\n]\n"


@login_required
@require_GET
def project_audit_export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    project, role = core_selectors.project_get_for_user(slug=slug, user=request.user)
    if role not in EXPORT_ROLES:
        return HttpResponse(
            "Only a project manager can download the whole audit trail; "
            "a reviewer can read each clip's history on its History page.",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    events = project_audit_list(project=project).iterator(chunk_size=EXPORT_CHUNK)
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_lines(events), content_type="text/csv; charset=utf-8")
    else:
        response = StreamingHttpResponse(
            _json_chunks(events), content_type="application/json; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="{project.slug}-audit.{fmt}"'
    return response
