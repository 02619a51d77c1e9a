"""The leaderboard: every finished model run, and every annotator (the human row), scored
live with EmoCue-360 against the project's working gold (and its frozen gold set versions).

Changes call `run_scores_invalidate`, which bumps the affected rows' `generation` and queues
one recomputation per row after commit. A computation scores the generation it read and
records it in `computed_generation` with a guarded update, so tasks coalesce (a task that
finds its row up to date does nothing) and a change during a computation is never lost (it
bumped the generation past the one being computed, and its own task computes again).
"""

import logging

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from annotate.annotation.models import Annotation
from annotate.core.models import Project
from annotate.goldsets.models import GoldSet
from annotate.runs.models import ModelRun
from annotate.scoring.models import RunScore
from annotate.scoring.tasks import run_score_compute

log = logging.getLogger(__name__)


def _subjects(project: Project) -> tuple[list[int], list[int]]:
    """Ids of the runs and annotators the leaderboard lists: finished runs, and users with a
    submitted annotation on one of the project's clips."""
    runs = list(
        ModelRun.objects.filter(project=project, status=ModelRun.Status.FINISHED).values_list(
            "pk", flat=True
        )
    )
    annotators = list(
        Annotation.objects.filter(clip__project=project, status=Annotation.Status.SUBMITTED)
        .values_list("annotator_id", flat=True)
        .distinct()
    )
    return runs, annotators


def _rows_ensure(*, project: Project, runs: list[int], annotators: list[int]) -> list[int]:
    """Create the missing rows of these runs and annotators, for the working gold and each
    frozen gold set; returns the ids of the rows created."""
    gold_sets = [None, *GoldSet.objects.filter(project=project).values_list("pk", flat=True)]
    existing = set(
        RunScore.objects.filter(project=project)
        .filter(Q(run_id__in=runs) | Q(annotator_id__in=annotators))
        .values_list("gold_set_id", "run_id", "annotator_id")
    )
    missing = [
        RunScore(project=project, gold_set_id=gs, run_id=r, annotator_id=a, generation=0)
        for gs in gold_sets
        for r, a in [*((r, None) for r in runs), *((None, a) for a in annotators)]
        if (gs, r, a) not in existing
    ]
    if not missing:
        return []
    # A concurrent invalidation may create the same row: its creation wins, ours is skipped.
    RunScore.objects.bulk_create(missing, ignore_conflicts=True)
    keys = {(m.gold_set_id, m.run_id, m.annotator_id) for m in missing}
    return [
        pk
        for pk, gs, r, a in RunScore.objects.filter(project=project, generation=0).values_list(
            "pk", "gold_set_id", "run_id", "annotator_id"
        )
        if (gs, r, a) in keys
    ]


@transaction.atomic
def run_scores_invalidate(
    *, project: Project, run: ModelRun | None = None, annotator=None, gold_changed: bool = False
) -> None:
    """Mark the scores a change affects as stale and queue their recomputation after commit.

    Args:
        project: the project whose gold or outputs changed.
        run: a run whose proposals (or status) changed. A run that is not finished leaves the
            leaderboard (its rows are removed); a finished one gets its rows if missing.
        annotator: a user whose submitted annotations changed (the human row).
        gold_changed: the working gold changed: every working-gold row is recomputed (and the
            rows of every finished run and every annotator are created when missing).
    """
    runs: list[int] = []  # named by this change
    annotators: list[int] = []
    if run is not None:
        if run.project_id != project.pk:
            raise ValueError(f"run {run.pk} is not in project {project.pk}")
        status = ModelRun.objects.filter(pk=run.pk).values_list("status", flat=True).first()
        if status == ModelRun.Status.FINISHED:
            runs.append(run.pk)
        else:
            RunScore.objects.filter(project=project, run_id=run.pk).delete()
    if annotator is not None:
        annotators.append(annotator.pk)
    listed_runs, listed_annotators = _subjects(project) if gold_changed else ([], [])
    created = _rows_ensure(
        project=project,
        runs=sorted({*runs, *listed_runs}),
        annotators=sorted({*annotators, *listed_annotators}),
    )

    which = Q(pk__in=created) | Q(run_id__in=runs) | Q(annotator_id__in=annotators)
    if gold_changed:  # frozen versions do not change with the working gold
        which |= Q(gold_set__isnull=True)
    _queue(RunScore.objects.filter(project=project).filter(which).values_list("pk", flat=True))


@transaction.atomic
def gold_set_scores_queue(*, gold_set: GoldSet) -> int:
    """Score every finished run and every annotator against a frozen version (call it when a
    version is frozen; rows that exist are left as they are). Returns the rows queued."""
    runs, annotators = _subjects(gold_set.project)
    created = _rows_ensure(project=gold_set.project, runs=runs, annotators=annotators)
    ids = list(
        RunScore.objects.filter(pk__in=created, gold_set=gold_set).values_list("pk", flat=True)
    )
    _queue(created)
    return len(ids)


def _queue(ids) -> None:
    ids = list(ids)
    if not ids:
        return
    RunScore.objects.filter(pk__in=ids).update(
        generation=F("generation") + 1, stale=True, changed_at=timezone.now()
    )

    def send(pk: int):
        # a closure, not functools.partial: robust on_commit logs failures by __qualname__
        return lambda: run_score_compute.delay(pk)

    for pk in ids:
        # robust: a broker hiccup must not turn the committed change into an error page
        transaction.on_commit(send(pk), robust=True)
