"""manage.py import_clips --project NAME DIR [--manifest CSV] [--enqueue]"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotate.clips.imports import clips_import
from annotate.core.services import project_get_or_create
from inference.manifests import ManifestError, manifest_read


class Command(BaseCommand):
    help = (
        "Import a folder of clips into a project (created if needed). A MER manifest "
        "(name,chinese,english) or EMER's (names,emotions,subtitles,reasons) names the clips "
        "and gives their subtitles; NAME.srt/.vtt beside a clip wins over the manifest text. "
        "Ingests in this process unless --enqueue hands the clips to the Celery workers."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)
        parser.add_argument("--project", required=True, help="Project name (created if missing).")
        parser.add_argument("--manifest", type=Path, help="CSV manifest (MER or EMER format).")
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue ingestion for the workers instead of ingesting here.",
        )
        parser.add_argument("--user", help="User to record as creator (and project manager).")

    def handle(
        self,
        *args,
        directory: Path,
        project: str,
        manifest: Path | None,
        enqueue: bool,
        user: str | None,
        **options,
    ):
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a folder.")
        if manifest is not None and not manifest.is_file():
            raise CommandError(f"Manifest {manifest} does not exist.")
        creator = None
        if user:
            creator = get_user_model().objects.filter(username=user).first()
            if creator is None:
                raise CommandError(f"No user named {user!r}.")
        # Read the manifest before creating the project, so a bad manifest changes nothing.
        if manifest is not None:
            try:
                manifest_read(manifest)
            except ManifestError as error:
                raise CommandError(str(error)) from error
        target, created = project_get_or_create(name=project, created_by=creator)
        if created:
            self.stdout.write(f"Created project {target.name!r}.")

        bar = tqdm(total=0, unit="clip", disable=options["verbosity"] < 1, file=self.stderr._out)

        def on_row(row):
            bar.update(1)
            bar.set_postfix_str(f"{row.name}: {row.outcome}")

        try:
            report = clips_import(
                project=target,
                directory=directory,
                manifest=manifest,
                enqueue=enqueue,
                created_by=creator,
                on_row=on_row,
                on_plan=lambda n: bar.reset(total=n),
            )
        except ManifestError as error:
            raise CommandError(str(error)) from error
        finally:
            bar.close()

        for row in report.rows:
            if row.outcome in ("failed", "duplicate"):
                self.stdout.write(
                    self.style.ERROR(
                        f"  {row.outcome.upper():9} {row.name} ({row.file}): {row.message}"
                    )
                )
            elif row.outcome == "skipped":
                self.stdout.write(self.style.WARNING(f"  SKIPPED   {row.file}: {row.message}"))
        parts = [
            f"{report.count(o)} {o}"
            for o in ("ready", "created", "already", "duplicate", "failed", "skipped")
            if report.count(o)
        ]
        summary = f"Summary for {target.name!r}: " + (", ".join(parts) or "nothing to import") + "."
        if not report.ok:
            self.stdout.write(self.style.ERROR(summary))
            raise CommandError(
                f"{len(report.failed)} clip(s) could not be imported; see the rows above."
            )
        self.stdout.write(self.style.SUCCESS(summary))
