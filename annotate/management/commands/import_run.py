"""manage.py import_run PROJECT_SLUG FILE [--label ...] [--format json|csv] [--user NAME]"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from annotate.core.models import Project
from annotate.runs.imports import FORMATS, RunImportRejected, run_import


class Command(BaseCommand):
    help = (
        "Import a model's results as a finished run of a project, scored like any other: an "
        "EmoCue cue JSON ({name: {visual, auditory, emotional}}) or an EMER-style CSV of "
        "descriptions (name,english; name,chinese,english; names,emotions,subtitles,reasons), "
        "whose descriptions the rule extractor cuts into cues. Nothing is stored when the file "
        "has a problem; all problems are listed."
    )

    def add_arguments(self, parser):
        parser.add_argument("project", help="The project's slug.")
        parser.add_argument("file", type=Path)
        parser.add_argument("--label", default="", help="Default: the file name without extension.")
        parser.add_argument(
            "--format", choices=FORMATS, help="Override the detection from the content."
        )
        parser.add_argument("--user", help="User to record as the importer.")

    def handle(
        self,
        *args,
        project: str,
        file: Path,
        label: str,
        format: str | None,
        user: str | None,
        **options,
    ):
        target = Project.objects.filter(slug=project).first()
        if target is None:
            known = ", ".join(Project.objects.order_by("slug").values_list("slug", flat=True)[:10])
            raise CommandError(f"No project with the slug {project!r} (known: {known or 'none'}).")
        by = None
        if user:
            by = get_user_model().objects.filter(username=user).first()
            if by is None:
                raise CommandError(f"No user named {user!r}.")
        if not file.is_file():
            raise CommandError(f"{file} is not a file.")
        try:
            run = run_import(
                project=target,
                by=by,
                file_name=file.name,
                data=file.read_bytes(),
                label=label,
                fmt=format,
            )
        except RunImportRejected as error:
            lines = [error.message] + [f"  - {p}" for p in error.problems if p != error.message]
            raise CommandError("\n".join(lines)) from error
        params = run.parameters
        cues = params.get("cues", {})
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported run {run.pk} ({run}) into {target.name!r}: {params['clips']} clip(s), "
                f"{params['missing_clips']} ready clip(s) not in the file; cues: "
                + ", ".join(f"{m} {n}" for m, n in cues.items())
                + "."
            )
        )
