"""Queueing calibration refits: a cpu worker refits a proposer version's calibrated confidence
(annotate.runs.tasks.proposer_calibrate) after an annotation of one of its runs is submitted or
reopened, and when the run page finds one missing or stale. Kept apart from calibration.py,
the task's work, so that the task module can import it."""

import logging

from django.db import transaction
from kombu.exceptions import OperationalError as BrokerUnavailable

from annotate.runs.calibration import KindCalibration, run_reliability
from annotate.runs.models import ModelRun
from annotate.runs.tasks import proposer_calibrate

log = logging.getLogger(__name__)


def proposer_calibration_queue(*, run_id: int | None) -> None:
    """After the commit, ask a cpu worker to refit the calibration of a run's proposer version.
    A broker outage is logged, not raised: the decision that asked stands, and the next
    submission or a visit of the run page asks again. A refit finds nothing to do when the
    decisions did not change, so asking twice costs one query."""
    if run_id is None:
        return

    def send() -> None:
        try:
            proposer_calibrate.delay(run_id)
        except BrokerUnavailable as error:
            log.warning("calibration of run %s's proposer not queued: %s", run_id, error)

    transaction.on_commit(send)


def run_calibration_get(*, run: ModelRun) -> list[KindCalibration]:
    """What the run page shows (calibration.run_reliability), asking for a refit when one is
    due."""
    shown, refit = run_reliability(run=run)
    if refit:
        proposer_calibration_queue(run_id=run.pk)
    return shown
