"""manage.py demo_load: generate the demo clips, import them, make the demo accounts (a
manager, three annotators, a reviewer) and the annotators' submitted work on five clips.
Idempotent: a second run changes nothing and says so."""

import os
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand

from annotate.clips.imports import clips_import
from annotate.core.models import Membership
from annotate.core.services import membership_set, project_get_or_create, user_ensure
from annotate.runs import proposing
from annotate.runs import services as run_services
from annotate.runs.models import ModelRun

DEMO_PROJECT = "Demo: talking clips"
DEMO_K = 3  # annotators per clip: the three demo annotators
# The demo manager's admin rights: every permission on the studio's own models (not on users,
# groups or sign-in records). A real deployment's managers get no admin rights by default.
DEMO_ADMIN_GROUP = "Demo: studio admin"


class Command(BaseCommand):
    help = (
        "Generate the demo project (ffmpeg + espeak-ng), import it, and create the demo "
        "accounts and annotations."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--out",
            type=Path,
            default=None,
            help="Where the generated clips go (default: VAR_DIR/demo).",
        )
        parser.add_argument("--username", default=os.environ.get("EMOCUE_DEMO_USER", "demo"))
        parser.add_argument(
            "--password",
            default=os.environ.get("EMOCUE_DEMO_PASSWORD", "emocue-demo"),
            help="The password of every demo account.",
        )

    def handle(self, *args, out: Path | None, username: str, password: str, **options):
        from fixtures.demo import build_demo
        from fixtures.demo_annotations import (
            ANNOTATORS,
            DEMO_LABELS,
            REVIEWER,
            demo_annotations_load,
        )
        from fixtures.demo_review import demo_review_load

        self.changes: list[str] = []
        out = out or Path(settings.VAR_DIR) / "demo"
        demo = build_demo(out)
        user = self._account(username, password, is_staff=True)
        project, created = project_get_or_create(name=DEMO_PROJECT, created_by=user)
        if created:
            self.changes.append("project created")
        if not project.description:
            project.description = (
                "Generated talking clips (espeak-ng speech over scikit-image's "
                "astronaut photo), one without audio and one without a face."
            )
            project.save(update_fields=["description"])
        if project.annotators_per_clip < DEMO_K:
            project.annotators_per_clip = DEMO_K
            project.full_clean()
            project.save(update_fields=["annotators_per_clip"])
            self.changes.append(f"k set to {DEMO_K}")
        # The annotators' script uses a few open-vocabulary labels beyond the default list.
        missing = [label for label in DEMO_LABELS if label not in project.emotion_vocabulary]
        if missing:
            project.emotion_vocabulary = [*project.emotion_vocabulary, *missing]
            project.full_clean()
            project.save(update_fields=["emotion_vocabulary"])
            self.changes.append(f"emotion vocabulary extended with {', '.join(missing)}")
        self._member(project, user, Membership.Role.MANAGER)
        self._admin_rights(user)
        annotators = {name: self._account(name, password) for name in ANNOTATORS}
        for annotator in annotators.values():
            self._member(project, annotator, Membership.Role.ANNOTATOR)
        reviewer = self._account(REVIEWER, password)
        self._member(project, reviewer, Membership.Role.REVIEWER)

        report = clips_import(
            project=project, directory=demo.out_dir, manifest=demo.manifest, created_by=user
        )
        for row in report.rows:
            if row.outcome not in ("ready", "already", "created"):
                self.stdout.write(self.style.WARNING(f"  {row.name}: {row.outcome} {row.message}"))
        if report.count("ready") + report.count("created"):
            self.changes.append("clips imported")
        ready = report.count("ready") + report.count("already")
        run = self._signal_run(project)

        # After the run: annotation_open copies the latest finished run's proposals.
        work = demo_annotations_load(project=project, annotators=annotators)
        for clip_name, name, primary in work.created:
            self.stdout.write(f"  {name} submitted {clip_name} (primary label: {primary})")
        for clip_name, name, why in work.skipped:
            self.stdout.write(self.style.WARNING(f"  {name} on {clip_name}: skipped, {why}"))
        if work.created:
            self.changes.append(f"{len(work.created)} annotation(s) submitted")
        reviewed = demo_review_load(project=project, reviewer=reviewer, manager=user)
        for change in reviewed:
            self.stdout.write(f"  {change}")
        self.changes.extend(reviewed)

        self.stdout.write(
            self.style.SUCCESS(
                f"Demo project {project.name!r}: {ready} clip(s) ready; signal-proposer run "
                f"{run} {run.status}; {len(work.created) + len(work.already)} submitted "
                f"annotation(s) by {', '.join(ANNOTATORS)}. Log in as {username} / {password} "
                "(manager), or with the "
                f"same password as {', '.join(ANNOTATORS)} (annotators) or {REVIEWER} (reviewer)"
            )
        )
        if self.changes:
            self.stdout.write(f"Changed: {'; '.join(self.changes)}.")
        else:
            self.stdout.write("Nothing changed: the demo was already loaded.")

    def _account(self, username: str, password: str, *, is_staff: bool = False):
        """The account with this password; untouched when it already has it."""
        existing = get_user_model().objects.filter(username=username).first()
        if (
            existing is not None
            and existing.check_password(password)
            and (existing.is_staff or not is_staff)
        ):
            return existing
        self.changes.append(f"account {username} {'updated' if existing else 'created'}")
        return user_ensure(username=username, password=password, is_staff=is_staff)

    def _admin_rights(self, user) -> None:
        """Staff alone opens no admin page: give the demo manager the studio's models."""
        group, _ = Group.objects.get_or_create(name=DEMO_ADMIN_GROUP)
        wanted = set(
            Permission.objects.filter(content_type__app_label="annotate").values_list(
                "pk", flat=True
            )
        )
        missing = wanted - set(group.permissions.values_list("pk", flat=True))
        if missing:
            group.permissions.add(*missing)
            self.changes.append(f"group {DEMO_ADMIN_GROUP!r} given {len(missing)} permission(s)")
        if not user.groups.filter(pk=group.pk).exists():
            user.groups.add(group)
            self.changes.append(f"{user.username} added to {DEMO_ADMIN_GROUP!r}")

    def _member(self, project, user, role: str) -> None:
        if not Membership.objects.filter(project=project, user=user, role=role).exists():
            membership_set(project=project, user=user, role=role)
            self.changes.append(f"{user.username} made {role}")

    def _signal_run(self, project):
        """A finished signal-proposer run over the demo, made here once per proposer version."""
        version = run_services.proposer_version("signals")
        run = ModelRun.objects.filter(
            project=project, proposer="signals", version=version, status=ModelRun.Status.FINISHED
        ).first()
        if run is not None:
            return run
        run = run_services.run_create(
            project=project, proposer="signals", label="Demo: signal proposer", enqueue=False
        )
        for proposal in run.proposals.select_related("clip").order_by("clip__name"):
            self.stdout.write(f"  proposing cues for {proposal.clip.name}")
            proposing.proposal_run(proposal_id=proposal.pk)
        run.refresh_from_db()
        self.changes.append("signal-proposer run made")
        return run
