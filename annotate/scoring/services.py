"""EmoCue-360 score jobs: one cue file against another, queued for a cpu worker."""

import json
import logging

from django.db import transaction
from django.utils import timezone

from annotate.core.errors import DomainError
from annotate.core.models import Project
from annotate.core.parsers import JsonTooDeep, json_loads
from annotate.core.queueing import send_on_commit
from annotate.scoring.models import ScoreJob
from annotate.scoring.tasks import score_job_run as score_job_run_task
from inference.emocue360 import MODES, VARIANTS, check_inputs

log = logging.getLogger(__name__)


class ScoreRejected(DomainError):
    """A score job whose files or settings cannot be scored: 422."""

    code = "invalid_cues"


def _decode(data: bytes | str | dict, role: str, filename: str) -> dict:
    if isinstance(data, dict):
        return data
    label = filename or role
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ScoreRejected(f"{label} is not UTF-8 text (byte {error.start}).") from error
    try:
        return json_loads(data)
    except JsonTooDeep as error:
        raise ScoreRejected(f"{label} is too deeply nested: {error}.", field=role) from None
    except json.JSONDecodeError as error:
        raise ScoreRejected(
            f"{label} is not JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        ) from error


@transaction.atomic
def score_job_create(
    *,
    project: Project,
    gold: bytes | str | dict,
    predicted: bytes | str | dict,
    gold_filename: str = "",
    predicted_filename: str = "",
    label: str = "",
    mode: str = "strict",
    variants: list[str] | None = None,
    tau: float = 0.5,
    ci: bool = True,
    created_by=None,
) -> ScoreJob:
    """Validate both cue files now (so bad input is a 4xx, not a failed job) and queue the
    scoring for a cpu worker."""
    if mode not in MODES:
        raise ScoreRejected(f"Mode must be one of {', '.join(MODES)}, not {mode!r}.")
    variants = [v for v in (variants or []) if v != "paper"]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise ScoreRejected(
            f"Unknown variant(s) {', '.join(unknown)}; known: {', '.join(VARIANTS)}."
        )
    if not 0.0 <= tau <= 1.0:
        raise ScoreRejected(f"tau must lie in [0, 1], not {tau}.")
    gold_data = _decode(gold, "gold", gold_filename)
    predicted_data = _decode(predicted, "predicted", predicted_filename)
    try:
        counts = check_inputs(gold=gold_data, predicted=predicted_data, mode=mode)
    except ValueError as error:
        raise ScoreRejected(str(error)) from error
    if counts["scorable_units"] == 0:
        raise ScoreRejected(
            "Nothing to score: no gold sample has a cue in any modality that a prediction covers."
        )
    job = ScoreJob(
        project=project,
        label=label or predicted_filename,
        gold=gold_data,
        predicted=predicted_data,
        gold_filename=gold_filename[:255],
        predicted_filename=predicted_filename[:255],
        mode=mode,
        variants=variants,
        tau=tau,
        ci=ci,
        created_by=created_by,
    )
    job.full_clean()
    job.save()
    job_id = job.pk

    def failed(reason: str) -> str:
        ScoreJob.objects.filter(pk=job_id, status=ScoreJob.Status.PENDING).update(
            status=ScoreJob.Status.FAILED,
            error=f"Not scored: {reason}; submit it again once the queue is back.",
            finished_at=timezone.now(),
        )
        return (
            "The score job was stored but could not be queued (the task queue is "
            "unreachable); it is marked failed. Submit it again in a few minutes."
        )

    send_on_commit(lambda: score_job_run_task.delay(job_id), on_unavailable=failed)
    return job
