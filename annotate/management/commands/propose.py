"""manage.py propose --project NAME [--proposer signals] [--clips a,b] [--enqueue]"""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotate.core.models import Project
from annotate.runs import proposing
from annotate.runs import services as run_services
from annotate.runs.models import Proposal


class Command(BaseCommand):
    help = (
        "Start a model run over a project's ready clips. Runs the proposer in this process "
        "(no worker needed) unless --enqueue hands the clips to the Celery workers."
    )

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True)
        parser.add_argument(
            "--proposer", default=None, help="Registered proposer (default: settings)."
        )
        parser.add_argument(
            "--clips", default="", help="Comma-separated clip names (default: all ready)."
        )
        parser.add_argument("--label", default="")
        parser.add_argument("--enqueue", action="store_true")

    def handle(
        self,
        *args,
        project: str,
        proposer: str | None,
        clips: str,
        label: str,
        enqueue: bool,
        **options,
    ):
        target = Project.objects.filter(name=project).first()
        if target is None:
            raise CommandError(f"No project named {project!r}.")
        names = [n.strip() for n in clips.split(",") if n.strip()] or None
        try:
            run = run_services.run_create(
                project=target, proposer=proposer, clip_names=names, label=label, enqueue=enqueue
            )
        except run_services.RunRejected as error:
            raise CommandError(error.message) from error
        total = run.proposals.count()
        self.stdout.write(f"Run #{run.pk}: {run.proposer} {run.version} over {total} clip(s).")
        if enqueue:
            self.stdout.write(self.style.SUCCESS(f"Queued {total} clip(s) for the workers."))
            return
        proposals = list(run.proposals.select_related("clip").order_by("clip__name"))
        with tqdm(
            proposals, unit="clip", disable=options["verbosity"] < 1, file=self.stderr._out
        ) as bar:
            for proposal in bar:
                bar.set_postfix_str(proposal.clip.name)
                try:
                    proposing.proposal_run(proposal_id=proposal.pk)
                except Exception as error:  # already recorded on the proposal; go on
                    self.stderr.write(f"{proposal.clip.name}: {error}")
        failed = run.proposals.filter(status=Proposal.Status.FAILED).select_related("clip")
        for proposal in failed:
            self.stdout.write(self.style.ERROR(f"  FAILED {proposal.clip.name}: {proposal.error}"))
        progress = run_services.run_progress(run=run)
        summary = (
            f"Run #{run.pk}: {progress['done']} done, {progress['failed']} failed of "
            f"{progress['total']}."
        )
        if progress["failed"]:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
