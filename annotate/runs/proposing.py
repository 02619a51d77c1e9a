"""Running a proposer on one clip (the work of annotate.runs.tasks.proposal_run): claim the
proposal, batch partners for a batching proposer, store its cues, finish the run when nothing
is left. Kept apart from the services that enqueue it, so the task module can import it."""

import hashlib
import logging
import tempfile
import threading
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from annotate.clips.models import Clip
from annotate.clips.storage import StorageReadError, storage_download, storage_local_path
from annotate.core import signals
from annotate.core.errors import DomainError
from annotate.core.limits import limit_message, limit_value
from annotate.runs.models import Cue, ModelRun, Proposal
from inference.proposers import (
    ClipInput,
    ProposalError,
    SubtitleSegment,
    emotion_uncertainty,
    get_proposer,
    proposer_factory,
)

log = logging.getLogger(__name__)
_proposers_lock = threading.Lock()


def proposer_version(name: str) -> str:
    try:
        return str(proposer_factory(name).version)
    except ValueError as error:
        raise RunRejected(str(error)) from error


def proposer_needs_artefact(name: str) -> bool:
    """Whether the proposer is built from a stored artefact that its run names (a learned
    proposer): such a run is started from the artefact's page, never by the proposer's name
    alone."""
    try:
        return bool(getattr(proposer_factory(name), "needs_artefact", False))
    except ValueError:
        return False


class ArtefactUnavailable(Exception):
    """The run's stored artefact is missing, unreadable or not the bytes the run recorded."""


def run_artefact(run: ModelRun) -> dict | None:
    """{"name": storage name, "sha256"} of the artefact a run's proposer is built from."""
    artefact = (run.parameters or {}).get("artefact")
    return artefact if isinstance(artefact, dict) and artefact.get("name") else None


def _artefact_bytes(artefact: dict) -> bytes:
    try:
        with default_storage.open(artefact["name"], "rb") as handle:
            raw = handle.read()
    except FileNotFoundError as error:
        raise ArtefactUnavailable(
            f"The model file {artefact['name']} is missing from storage."
        ) from error
    except Exception as error:  # the store did not answer (S3 outage, permissions)
        raise ArtefactUnavailable(
            f"The model file {artefact['name']} could not be read ({type(error).__name__}: "
            f"{error})."
        ) from error
    if hashlib.sha256(raw).hexdigest() != artefact.get("sha256"):
        raise ArtefactUnavailable(
            f"The model file {artefact['name']} is not the one this run was started with "
            "(its sha256 differs): it was changed in storage."
        )
    return raw


def _proposer_get(run: ModelRun):
    """One proposer per worker process, name and artefact: models load once, not per clip."""
    name, artefact = run.proposer, run_artefact(run)
    key = (name, artefact["sha256"]) if artefact else name
    with _proposers_lock:
        if key not in _proposers:
            options = dict(settings.EMOCUE_PROPOSER_OPTIONS.get(name, {}))
            if artefact is None:
                _proposers[key] = get_proposer(name, **options)
            else:
                # The proposer reads the file once, when built: a temporary copy will do.
                with tempfile.TemporaryDirectory(prefix="emocue-artefact-") as folder:
                    path = Path(folder) / "artefact"
                    path.write_bytes(_artefact_bytes(artefact))
                    _proposers[key] = get_proposer(name, artefact=path, **options)
        return _proposers[key]


def _run_finish_if_settled(run_id: int) -> None:
    open_left = Proposal.objects.filter(
        run_id=run_id, status__in=[Proposal.Status.PENDING, Proposal.Status.RUNNING]
    ).exists()
    if not open_left:
        ModelRun.objects.filter(pk=run_id, status=ModelRun.Status.RUNNING).update(
            status=ModelRun.Status.FINISHED, finished_at=timezone.now()
        )
        # finished: scored; cancelled: off the board
        run = ModelRun.objects.select_related("project").filter(pk=run_id).first()
        if run is not None:
            signals.scores_stale.send(sender=ModelRun, project=run.project, run=run)


def _clip_input(clip: Clip, remote_folder: Path) -> ClipInput:
    """What a proposer reads of a clip, as local files: the storage's own paths, or, for
    remote storage (S3), copies in remote_folder (a temporary folder of this task)."""
    if clip.status != Clip.Status.READY or not clip.proxy:
        raise ProposalError(
            f"Clip {clip.name} is not ready ({clip.status}): its media are missing."
        )

    def local(name: str) -> Path:
        path = storage_local_path(name)
        if path is None:
            try:
                return storage_download(name, remote_folder)
            except StorageReadError as error:
                raise ProposalError(f"Clip {clip.name}: {error}.") from error
        if not path.is_file():
            raise ProposalError(f"Clip {clip.name}: media file {name} is missing from storage.")
        return path

    return ClipInput(
        name=clip.name,
        video=local(clip.proxy),
        audio=local(clip.audio) if clip.audio else None,
        duration_ms=clip.duration_ms or 0,
        fps_num=clip.fps_num or 25,
        fps_den=clip.fps_den or 1,
        subtitle_text=clip.subtitle_text,
        subtitle_segments=tuple(
            SubtitleSegment(s["start_ms"], s["end_ms"], s["text"]) for s in clip.subtitle_segments
        ),
        frames=tuple((f["time_ms"], local(f["name"])) for f in clip.frames),
    )


def _claim(*, proposal_ids: list[int], claim: str) -> list[int]:
    """Mark proposals running under this claim: pending ones, and running ones that this same
    claim already held (the redelivery of a task whose worker died)."""
    claimable = Q(status=Proposal.Status.PENDING) | Q(status=Proposal.Status.RUNNING, claim=claim)
    with transaction.atomic():
        rows = Proposal.objects.filter(
            claimable, pk__in=proposal_ids, run__status=ModelRun.Status.RUNNING
        )
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        ids = list(rows.values_list("pk", flat=True))
        Proposal.objects.filter(pk__in=ids).update(
            status=Proposal.Status.RUNNING,
            claim=claim,
            attempts=F("attempts") + 1,
            started_at=timezone.now(),
            error="",
        )
    return ids


def _batch_partners(proposal: Proposal, *, claim: str, size: int) -> list[int]:
    """Other clips of the same run this task takes along into one batch: ones it held before
    it died, then pending ones. Their own tasks find them taken and step aside."""
    held = list(
        Proposal.objects.filter(run_id=proposal.run_id, status=Proposal.Status.RUNNING, claim=claim)
        .exclude(pk=proposal.pk)
        .values_list("pk", flat=True)[: size - 1]
    )
    pending = list(
        Proposal.objects.filter(run_id=proposal.run_id, status=Proposal.Status.PENDING)
        .exclude(pk=proposal.pk)
        .order_by("pk")
        .values_list("pk", flat=True)[: max(0, size - 1 - len(held))]
    )
    return held + pending


def proposal_run(*, proposal_id: int, claim: str | None = None) -> Proposal | None:
    """Run the proposer on one clip (and, for a batching proposer, on up to batch-size - 1
    more pending clips of the same run) and store the cues.

    Idempotent: a settled proposal is left alone; one that a dead worker left running under
    this same claim (the task id: a redelivered task has the same one) is run again and its
    cues replaced; one another live task holds is left to it.
    """
    claim = claim or uuid.uuid4().hex
    proposal = Proposal.objects.select_related("run").filter(pk=proposal_id).first()
    if proposal is None:
        return None
    try:
        proposer = (
            _proposer_get(proposal.run) if proposal.run.status == ModelRun.Status.RUNNING else None
        )
    except (ArtefactUnavailable, ValueError) as error:
        # Every clip of the run would fail the same way: this one says why, and the others
        # will when their own tasks come.
        if _claim(proposal_ids=[proposal_id], claim=claim):
            _proposal_fail(proposal, f"The proposer could not be built: {error}")
        return Proposal.objects.get(pk=proposal_id)
    batch_size = settings.EMOCUE_PROPOSER_BATCH_SIZES.get(proposal.run.proposer, 1)
    ids = [proposal_id]
    if proposer is not None and hasattr(proposer, "propose_batch") and batch_size > 1:
        ids += _batch_partners(proposal, claim=claim, size=batch_size)
    claimed = _claim(proposal_ids=ids, claim=claim)
    if proposal_id not in claimed and not claimed:
        if proposal.run.status == ModelRun.Status.RUNNING:
            # A redelivery of a task whose worker died after storing the run's last clip and
            # before closing the run: without this the run would stay "running" for good.
            _run_finish_if_settled(proposal.run_id)
        return Proposal.objects.get(pk=proposal_id)
    batch = list(
        Proposal.objects.select_related("run", "clip").filter(pk__in=claimed).order_by("pk")
    )

    # Copies of remote (S3) media live as long as the task; local storage leaves it empty.
    with tempfile.TemporaryDirectory(prefix="emocue-media-") as folder:
        inputs: dict[int, ClipInput] = {}
        for item in batch:
            try:
                inputs[item.pk] = _clip_input(item.clip, Path(folder))
            except ProposalError as error:
                _proposal_fail(item, str(error))
        ready = [item for item in batch if item.pk in inputs]
        try:
            if len(ready) > 1:
                results = proposer.propose_batch([inputs[item.pk] for item in ready])
            else:
                results = [_propose_one(proposer, inputs[item.pk]) for item in ready]
        except Exception as error:
            log.exception(
                "proposer %s failed on %s", proposal.run.proposer, [i.clip.name for i in ready]
            )
            for item in ready:
                _proposal_fail(
                    item, f"The proposer failed unexpectedly: {type(error).__name__}: {error}"
                )
            raise
    for item, result in zip(ready, results, strict=True):
        if isinstance(result, Exception):
            _proposal_fail(item, str(result))
        elif not (
            result.version == item.run.version or result.version.startswith(item.run.version + "+")
        ):
            _proposal_fail(
                item,
                f"Worker runs {result.proposer} {result.version}, but the run is for "
                f"version {item.run.version}; re-run with the new version.",
            )
        elif len(result.cues) > limit_value("EMOCUE_MAX_CUES_PER_PROPOSAL"):
            # Nothing of it is stored: the proposal fails and says which limit it passed.
            _proposal_fail(
                item,
                limit_message(
                    setting="EMOCUE_MAX_CUES_PER_PROPOSAL",
                    what=f"The proposal for clip {item.clip.name}",
                    count=len(result.cues),
                    unit="cues",
                ),
            )
        else:
            _proposal_store(item, result, claim=claim)
    return Proposal.objects.get(pk=proposal_id)


def _propose_one(proposer, clip: ClipInput):
    try:
        return proposer.propose(clip)
    except ProposalError as error:
        return error


def _subtitle_notes(clip: Clip) -> list[str]:
    """What the proposer could not have had: a subtitle still being read from the picture when
    it ran (a subtitle that was read is its subtitle, as a file's would be)."""
    if clip.subtitle_reading:
        return [
            f"The subtitle of {clip.name} was still being read from the picture when this "
            "proposal was made, so the proposer had none; re-run the clip once it is read."
        ]
    return []


def _proposal_store(proposal: Proposal, result, *, claim: str) -> None:
    with transaction.atomic():
        locked = (
            Proposal.objects.select_for_update()
            .filter(pk=proposal.pk, status=Proposal.Status.RUNNING, claim=claim)
            .first()
        )
        if locked is None:  # cancelled, or finished by another delivery meanwhile
            return
        Cue.objects.filter(proposal=locked).delete()
        Cue.objects.bulk_create(
            [
                Cue(
                    clip_id=locked.clip_id,
                    proposal=locked,
                    position=i,
                    modality=cue.modality,
                    kind=cue.kind,
                    text=cue.text,
                    start_ms=cue.start_ms,
                    end_ms=cue.end_ms,
                    confidence=cue.confidence,
                    evidence=cue.evidence,
                    origin=Cue.Origin.MODEL,
                    decision=Cue.Decision.PROPOSED,
                )
                for i, cue in enumerate(result.cues)
            ],
            batch_size=1000,
        )
        locked.status = Proposal.Status.DONE
        locked.model_version = result.version[:200]
        locked.description = result.description
        locked.emotions = [{"label": label, "score": score} for label, score in result.emotions]
        locked.notes = [*_subtitle_notes(proposal.clip), *result.notes]
        locked.timings = dict(result.timings)
        locked.features = dict(getattr(result, "features", None) or {})
        locked.uncertainty = emotion_uncertainty(result.emotions)
        locked.finished_at = timezone.now()
        locked.save(
            update_fields=[
                "status",
                "model_version",
                "description",
                "emotions",
                "notes",
                "timings",
                "features",
                "uncertainty",
                "finished_at",
            ]
        )
    _run_finish_if_settled(locked.run_id)


def _proposal_fail(proposal: Proposal, message: str) -> Proposal:
    Proposal.objects.filter(pk=proposal.pk, status=Proposal.Status.RUNNING).update(
        status=Proposal.Status.FAILED, error=message, finished_at=timezone.now()
    )
    _run_finish_if_settled(proposal.run_id)
    return Proposal.objects.get(pk=proposal.pk)


def proposal_task_failed(*, proposal_id: int, message: str) -> None:
    proposal = Proposal.objects.filter(pk=proposal_id).first()
    if proposal is not None:
        _proposal_fail(proposal, message)


_proposers: dict[str | tuple[str, str], object] = {}


class RunRejected(DomainError):
    """A run that cannot be started as asked (422), or a run whose state does not allow the
    action (code conflict, 409)."""
