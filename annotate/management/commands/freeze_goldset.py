"""manage.py freeze_goldset PROJECT_SLUG [--note ...] [--licence ...] [--by USERNAME]"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from annotate.core.models import Project
from annotate.goldsets import services as goldset_services


class Command(BaseCommand):
    help = (
        "Freeze the project's final gold records into the next gold set version (refused "
        "when there is none, or when nothing changed since the last version)."
    )

    def add_arguments(self, parser):
        parser.add_argument("project", metavar="PROJECT_SLUG")
        parser.add_argument("--note", default="")
        parser.add_argument("--licence", default="", help="e.g. CC-BY-NC-4.0")
        parser.add_argument("--by", default=None, help="Username recorded as who froze it.")

    def handle(self, *args, project: str, note: str, licence: str, by: str | None, **options):
        target = Project.objects.filter(slug=project).first()
        if target is None:
            raise CommandError(f"No project with the slug {project!r}.")
        user = None
        if by:
            user = get_user_model().objects.filter(username=by).first()
            if user is None:
                raise CommandError(f"No user named {by!r}.")
        try:
            gold_set = goldset_services.goldset_freeze(
                project=target, by=user, note=note, licence=licence
            )
        except goldset_services.GoldSetRejected as error:
            raise CommandError(error.message) from error
        counts, changes = gold_set.counts, gold_set.provenance.get("changes", {})
        cues = ", ".join(f"{m} {n}" for m, n in counts["cues"].items())
        self.stdout.write(f"{counts['clips']} clips; cues: {cues}")
        self.stdout.write(
            f"since the previous version: {len(changes.get('added', []))} added, "
            f"{len(changes.get('changed', []))} changed, "
            f"{len(changes.get('removed', []))} removed"
        )
        self.stdout.write(f"content sha256 {gold_set.content_sha256}")
        self.stdout.write(self.style.SUCCESS(f"Froze {target.slug} gold v{gold_set.version}."))
