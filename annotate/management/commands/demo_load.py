"""manage.py demo_load: generate the demo clips, import them, and make the demo account."""

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from annotate.models import Membership
from annotate.services.imports import clips_import
from annotate.services.projects import membership_set, project_get_or_create, user_ensure

DEMO_PROJECT = "Demo: talking clips"


class Command(BaseCommand):
    help = "Generate the demo project (ffmpeg + espeak-ng), import it, and create the demo account."

    def add_arguments(self, parser):
        parser.add_argument("--out", type=Path, default=None,
                            help="Where the generated clips go (default: VAR_DIR/demo).")
        parser.add_argument("--username", default=os.environ.get("EMOCUE_DEMO_USER", "demo"))
        parser.add_argument("--password", default=os.environ.get("EMOCUE_DEMO_PASSWORD", "emocue-demo"))

    def handle(self, *args, out: Path | None, username: str, password: str, **options):
        from fixtures.demo import build_demo

        out = out or Path(settings.VAR_DIR) / "demo"
        demo = build_demo(out)
        user = user_ensure(username=username, password=password, is_staff=True)
        project, _ = project_get_or_create(name=DEMO_PROJECT, created_by=user)
        if not project.description:
            project.description = ("Generated talking clips (espeak-ng speech over scikit-image's "
                                   "astronaut photo), one without audio and one without a face.")
            project.save(update_fields=["description"])
        membership_set(project=project, user=user, role=Membership.Role.MANAGER)
        report = clips_import(project=project, directory=demo.out_dir, manifest=demo.manifest,
                              created_by=user)
        for row in report.rows:
            if row.outcome not in ("ready", "already", "created"):
                self.stdout.write(self.style.WARNING(f"  {row.name}: {row.outcome} {row.message}"))
        ready = report.count("ready") + report.count("already")
        self.stdout.write(self.style.SUCCESS(
            f"Demo project {project.name!r}: {ready} clip(s) ready. Log in as {username} / {password}"
        ))
