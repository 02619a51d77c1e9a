"""Learned proposers: ask for a training (checked here, trained by a cpu worker after commit)
and start a learned run. The training's work is in training.py; see docs/learning.md."""

from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.db.models import Max

from annotate.clips.models import Clip
from annotate.core.audit import audit_record
from annotate.core.errors import DomainError
from annotate.core.models import Project
from annotate.core.queueing import send_on_commit
from annotate.goldsets.exports import ExportRejected, goldset_split
from annotate.goldsets.models import GoldSet
from annotate.learning.models import LearnedProposer
from annotate.learning.tasks import learned_proposer_train as learned_proposer_train_task
from annotate.learning.training import learned_proposer_failed
from annotate.runs.models import TRAINING_CLIPS_PARAMETER, ModelRun, Proposal
from annotate.runs.services import run_create
from inference.learning import LEARNED_NAME
from inference.proposers import proposer_factory

__all__ = ["LearningRejected", "learned_proposer_start", "learned_run_start"]

BASE_PROPOSER = "signals"
TRAIN = "train"


class LearningRejected(DomainError):
    """A training or a learned run that cannot be started as asked: 422 (409 for a state)."""


def _current_base_version() -> str:
    return str(proposer_factory(BASE_PROPOSER).version)


def base_run_default(*, project: Project) -> ModelRun | None:
    """The newest finished run of the signal proposer at its current version with stored
    features: the one a training uses unless told otherwise."""
    return (
        ModelRun.objects.filter(
            project=project,
            proposer=BASE_PROPOSER,
            version=_current_base_version(),
            status=ModelRun.Status.FINISHED,
            source=ModelRun.Source.PROPOSER,
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def _check_base_run(project: Project, base_run: ModelRun | None) -> ModelRun:
    current = _current_base_version()
    if base_run is None:
        raise LearningRejected(
            f"{project.name} has no finished run of the signal proposer ({current}) to learn "
            "from: run it over the gold clips first.",
            code="not_ready",
        )
    if base_run.project_id != project.pk:
        raise LearningRejected(f"Run {base_run.pk} is not a run of {project.name}.", field="run")
    if base_run.proposer != BASE_PROPOSER or base_run.source != ModelRun.Source.PROPOSER:
        raise LearningRejected(
            f"Run {base_run} is a {base_run.proposer} run; a learned proposer learns from the "
            f"signal proposer's own observations: choose a {BASE_PROPOSER} run.",
            field="run",
        )
    if base_run.status != ModelRun.Status.FINISHED:
        raise LearningRejected(
            f"Run {base_run} is {base_run.status}: wait until it has finished.", code="not_ready"
        )
    if base_run.version != current:
        raise LearningRejected(
            f"Run {base_run} was made by {base_run.version}, but the workers run {current}: a "
            "model learned from it would not fit what it is applied to. Re-run it first.",
            code="conflict",
        )
    return base_run


def _split_ratios(ratios: Mapping[str, float]) -> dict[str, float]:
    ratios = dict(ratios)
    if TRAIN not in ratios or len(ratios) < 2:
        raise LearningRejected(
            'The split needs a part named "train" (learned from) and at least one other part '
            "(held out and scored), e.g. train=0.8,test=0.2.",
            field="split",
        )
    return ratios


@transaction.atomic
def learned_proposer_start(
    *,
    project: Project,
    gold_set: GoldSet,
    ratios: Mapping[str, float],
    seed: int,
    by,
    base_run: ModelRun | None = None,
    enqueue: bool = True,
) -> LearnedProposer:
    """Ask for a training of signals+learned on a frozen gold version's training split.

    The split is the one an export of the version with these ratios and seed makes
    (inference.splits: stratified by primary label, grouped by speaker); the base run is the
    newest finished signal run at the current version unless one is named. Everything is checked
    here (LearningRejected names what is wrong), so nothing is stored for an impossible request;
    a cpu worker trains after commit (enqueue=False leaves it to the caller)."""
    if gold_set.project_id != project.pk:
        raise LearningRejected(
            f"Gold set {gold_set} is not a version of {project.name}.", field="gold_version"
        )
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise LearningRejected(f"The seed must be a whole number, not {seed!r}.", field="seed")
    ratios = _split_ratios(ratios)
    base_run = _check_base_run(project, base_run or base_run_default(project=project))
    try:
        split = goldset_split(gold_set=gold_set, ratios=ratios, seed=seed)
    except ExportRejected as error:
        raise LearningRejected(error.message, field="split") from error
    done = set(
        Proposal.objects.filter(run=base_run, status=Proposal.Status.DONE).values_list(
            "clip__name", flat=True
        )
    )
    usable = [name for name in split[TRAIN] if name in done]
    if not usable:
        raise LearningRejected(
            f"None of the {len(split[TRAIN])} training clips has a finished proposal in run "
            f"{base_run}: run the signal proposer over the gold clips first.",
            code="not_ready",
        )
    Project.objects.select_for_update().only("id").get(pk=project.pk)  # numbers in turn
    number = (
        LearnedProposer.objects.filter(project=project).aggregate(n=Max("number"))["n"] or 0
    ) + 1
    learned = LearnedProposer(
        project=project,
        number=number,
        base_run=base_run,
        base_version=base_run.version,
        gold_set=gold_set,
        ratios=ratios,
        seed=seed,
        split=split,
        created_by=by if getattr(by, "pk", None) else None,
        progress_stage="queued",
    )
    learned.full_clean(exclude=["project", "base_run", "gold_set", "created_by"])
    try:
        with transaction.atomic():
            learned.save()
    except IntegrityError as error:  # a concurrent start that did not wait for the lock
        raise LearningRejected(
            "Another training was started at the same moment; reload and try again.",
            code="conflict",
        ) from error
    audit_record(
        actor=by,
        action="learn",
        object_type="learned_proposer",
        object_id=learned.pk,
        before=None,
        after={
            "number": number,
            "gold_version": gold_set.version,
            "base_run": base_run.pk,
            "ratios": ratios,
            "seed": seed,
            "clips": {part: len(names) for part, names in split.items()},
        },
        project=project,
    )
    if enqueue:
        learned_id = learned.pk

        def failed(reason: str) -> str:
            learned_proposer_failed(
                learned_id=learned_id,
                message=f"Not trained: {reason}; start the training again once the queue is back.",
            )
            return (
                "The training was stored but could not be queued (the task queue is "
                "unreachable); it is marked failed. Start it again in a few minutes."
            )

        send_on_commit(lambda: learned_proposer_train_task.delay(learned_id), on_unavailable=failed)
    return learned


def learned_run_start(
    *, learned: LearnedProposer, by, clip_names: list[str] | None = None, enqueue: bool = True
) -> ModelRun:
    """A run of signals+learned with this trained model, by default over its held-out clips
    that are ready. The run records the artefact (the worker builds its proposer from those
    bytes), the gold version, the seed and the training clips, which the leaderboard never
    scores it on."""
    if learned.status != LearnedProposer.Status.DONE:
        raise LearningRejected(
            f"{learned} is {learned.status}: a model can run once its training is done.",
            code="not_ready",
        )
    training = set(learned.training_clips)
    if clip_names is None:
        clip_names = list(
            Clip.objects.filter(
                project_id=learned.project_id,
                name__in=learned.heldout_clips,
                status=Clip.Status.READY,
            )
            .order_by("name")
            .values_list("name", flat=True)
        )
        if not clip_names:
            raise LearningRejected(
                f"None of the {len(learned.heldout_clips)} held-out clips of {learned} is ready.",
                code="not_ready",
            )
    parameters = {
        "artefact": {"name": learned.artefact, "sha256": learned.artefact_sha256},
        "learned_proposer": learned.pk,
        "learned_number": learned.number,
        "gold_version": learned.gold_set.version,
        "seed": learned.seed,
        "base_run": learned.base_run_id,
        "training_sha256": learned.training_sha256,
        TRAINING_CLIPS_PARAMETER: sorted(training),
    }
    return run_create(
        project=learned.project,
        proposer=LEARNED_NAME,
        clip_names=clip_names,
        label=f"{LEARNED_NAME} #{learned.number} (gold v{learned.gold_set.version}, "
        f"seed {learned.seed})",
        parameters=parameters,
        created_by=by if getattr(by, "pk", None) else None,
        enqueue=enqueue,
    )
