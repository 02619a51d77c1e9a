"""Downloading an export's zip, the same for the API and the gold set page: a done export
streams as an attachment; one that is not built yet is refused (409), one whose file is gone
from storage is a 404."""

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404

from annotate.core.errors import DomainError
from annotate.core.models import Project
from annotate.goldsets.models import Export, GoldSet


class ExportNotReady(DomainError):
    """The export is still being built, or failed: there is no zip to download (409)."""

    code = "not_ready"
    status = 409


def export_file_response(*, project: Project, gold_set: GoldSet, export: Export) -> FileResponse:
    if export.status != Export.Status.DONE:
        then = (
            "ask for a new export"
            if export.status == Export.Status.FAILED
            else "download it once its status is done"
        )
        raise ExportNotReady(f"Export {export.pk} is {export.status}; {then}.")
    if not export.file or not default_storage.exists(export.file):
        raise Http404(f"The zip of export {export.pk} is no longer in storage; export again.")
    filename = f"{project.slug}-gold-v{gold_set.version}-export{export.pk}.zip"
    response = FileResponse(
        default_storage.open(export.file, "rb"),
        as_attachment=True,
        filename=filename,
        content_type="application/zip",
    )
    response["Content-Length"] = str(export.size_bytes or default_storage.size(export.file))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-transform"
    return response
