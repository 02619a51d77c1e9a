"""manage.py learn_proposer --project SLUG --gold-version N --split train=0.8,test=0.2
[--seed 0] [--run ID] [--enqueue] [--run-heldout]"""

from django.core.management.base import BaseCommand, CommandError

from annotate.core.models import Project
from annotate.goldsets.exports import ExportRejected, export_ratios_parse
from annotate.goldsets.models import GoldSet
from annotate.learning import services as learning_services
from annotate.learning import training
from annotate.learning.models import LearnedProposer
from annotate.runs import proposing
from annotate.runs import services as run_services
from annotate.runs.models import ModelRun


class Command(BaseCommand):
    help = (
        "Train a learned proposer (signals+learned: a cue filter and an emotion model) on a "
        "frozen gold version's training split, from a finished signal run's stored observations. "
        "Trains in this process (no worker needed) unless --enqueue hands it to the workers; the "
        "same gold, run, split and seed give a byte-identical model."
    )

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True, help="The project's slug.")
        parser.add_argument("--gold-version", type=int, required=True)
        parser.add_argument(
            "--split",
            default="train=0.8,test=0.2",
            help='Shares summing to 1; "train" is learned from, the rest held out.',
        )
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--run", type=int, default=None, help="The signal run to learn from (default: newest)."
        )
        parser.add_argument("--enqueue", action="store_true", help="Train on a worker.")
        parser.add_argument(
            "--run-heldout",
            action="store_true",
            help="Then run it on its held-out clips, here (the leaderboard compares it there).",
        )

    def handle(self, *args, **options):
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"No project with the slug {options['project']!r}.")
        gold_set = GoldSet.objects.filter(project=project, version=options["gold_version"]).first()
        if gold_set is None:
            raise CommandError(f"{project.name} has no gold set version {options['gold_version']}.")
        base_run = None
        if options["run"] is not None:
            base_run = ModelRun.objects.filter(project=project, pk=options["run"]).first()
            if base_run is None:
                raise CommandError(f"{project.name} has no run {options['run']}.")
        try:
            ratios = export_ratios_parse(text=options["split"])
            learned = learning_services.learned_proposer_start(
                project=project,
                gold_set=gold_set,
                ratios=ratios,
                seed=options["seed"],
                base_run=base_run,
                by=None,
                enqueue=options["enqueue"],
            )
        except (ExportRejected, learning_services.LearningRejected) as error:
            raise CommandError(error.message) from error
        sizes = ", ".join(f"{part} {len(names)}" for part, names in learned.split.items())
        self.stdout.write(
            f"{learned}: gold v{gold_set.version}, run #{learned.base_run_id} "
            f"({learned.base_version}), split {sizes} clips, seed {learned.seed}."
        )
        if options["enqueue"]:
            self.stdout.write(self.style.SUCCESS("Queued for the workers."))
            return
        learned = training.learned_proposer_train(learned_id=learned.pk)
        if learned.status != LearnedProposer.Status.DONE:
            raise CommandError(f"{learned} failed: {learned.error}")
        described = learned.report.get("training", {})
        self.stdout.write(
            f"Trained on {described.get('clips')} clips and {described.get('cues')} cues "
            f"({described.get('cues_kept')} kept by the gold).\n"
            f"Training data sha256: {learned.training_sha256}\n"
            f"Model: {learned.artefact} (sha256 {learned.artefact_sha256})"
        )
        if options["run_heldout"]:
            try:
                run = learning_services.learned_run_start(learned=learned, by=None, enqueue=False)
            except (learning_services.LearningRejected, run_services.RunRejected) as error:
                raise CommandError(error.message) from error
            for proposal in run.proposals.order_by("clip__name"):
                proposing.proposal_run(proposal_id=proposal.pk)
            progress = run_services.run_progress(run=run)
            self.stdout.write(
                f"Run #{run.pk} on the held-out clips: {progress['done']} done, "
                f"{progress['failed']} failed of {progress['total']}."
            )
        self.stdout.write(self.style.SUCCESS(f"{learned} is ready."))
