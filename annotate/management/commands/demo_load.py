"""manage.py demo_load: generate the demo clips, import them, and make the demo account."""

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from annotate.models import Membership, ModelRun
from annotate.services import runs as run_services
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
        run = self._signal_run(project)
        self.stdout.write(self.style.SUCCESS(
            f"Demo project {project.name!r}: {ready} clip(s) ready; signal-proposer run "
            f"{run} {run.status}. Log in as {username} / {password}"
        ))

    def _signal_run(self, project):
        """A finished signal-proposer run over the demo, made here once per proposer version."""
        version = run_services.proposer_version("signals")
        run = ModelRun.objects.filter(project=project, proposer="signals", version=version,
                                      status=ModelRun.Status.FINISHED).first()
        if run is not None:
            return run
        run = run_services.run_create(project=project, proposer="signals",
                                      label="Demo: signal proposer", enqueue=False)
        for proposal in run.proposals.select_related("clip").order_by("clip__name"):
            self.stdout.write(f"  proposing cues for {proposal.clip.name}")
            run_services.proposal_run(proposal_id=proposal.pk)
        run.refresh_from_db()
        return run
