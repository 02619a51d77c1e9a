"""Calibrated proposals: for each proposer version and cue kind of a project, the share of its
cues annotators keep against the confidence it claimed (a reliability diagram and its ECE), and
a calibrated confidence fitted to those decisions once there are enough (inference/
calibration.py says what enough is and why; docs/learning.md when not to trust it).

The decisions are the annotators' copies of proposed cues in submitted annotations (a draft is
still changing): accepted or edited is kept, rejected is not; decoys never count (they are
known-wrong by construction) and cues without a claimed confidence are counted apart. The
copies carry the kind and confidence of the proposal they were copied from, and the
annotation names the run, hence the proposer and its version.

Fitting is the work of a cpu task (annotate.runs.tasks.proposer_calibrate, queued by
calibration_queue.py after an annotation of a run is submitted or reopened); it refits only
when the decisions changed (their hash)."""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Subquery
from django.utils import timezone

from annotate.core.models import Project
from annotate.runs.models import Cue, ModelRun, ProposerCalibration
from inference.calibration import (
    Calibrator,
    calibration_ready,
    calibrator_fit,
    fit_data_sha256,
    reliability,
)

# Annotation.Status.SUBMITTED (annotation/ sits above runs/; tests/annotate/core/test_enums.py
# holds the two equal).
SUBMITTED = "submitted"
KEPT = (Cue.Decision.ACCEPTED, Cue.Decision.EDITED)
DECIDED = (*KEPT, Cue.Decision.REJECTED)


@dataclass
class KindDecisions:
    """One cue kind's decided proposals: the confidences claimed and whether each was kept."""

    kind: str
    confidences: list[float] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)
    without_confidence: int = 0

    @property
    def n(self) -> int:
        return len(self.kept)

    @property
    def n_kept(self) -> int:
        return sum(self.kept)

    @property
    def fit_sha256(self) -> str:
        return fit_data_sha256(confidences=self.confidences, kept=self.kept)


def proposer_decisions(*, project: Project, proposer: str, version: str) -> list[KindDecisions]:
    """The decided proposals of one proposer version in the project, per cue kind (in the
    order of Cue.Kind), in one query."""
    rows = (
        Cue.objects.filter(
            annotation__clip__project=project,
            annotation__status=SUBMITTED,
            annotation__run__proposer=proposer,
            annotation__run__version=version,
            origin=Cue.Origin.MODEL,
            decoy=False,
            decision__in=DECIDED,
        )
        .values_list("kind", "confidence", "decision")
        .order_by()
    )
    by_kind: dict[str, KindDecisions] = {}
    for kind, confidence, decision in rows:
        entry = by_kind.setdefault(kind, KindDecisions(kind))
        if confidence is None:
            entry.without_confidence += 1
            continue
        entry.confidences.append(min(max(float(confidence), 0.0), 1.0))
        entry.kept.append(int(decision in KEPT))
    order = {kind: i for i, kind in enumerate(Cue.Kind.values)}
    return sorted(by_kind.values(), key=lambda e: (order.get(e.kind, len(order)), e.kind))


def calibrator_from_row(row: ProposerCalibration) -> Calibrator:
    return Calibrator.from_dict(
        {
            "method": row.method,
            "params": row.params,
            "n": row.n,
            "n_kept": row.n_kept,
            "fit_sha256": row.fit_sha256,
            "library": row.library,
            "ece_before": row.ece_before,
            "ece_after": row.ece_after,
            "cv": row.cv,
        }
    )


def proposer_calibrators(*, project: Project, proposer: str, version: str) -> dict:
    """Cue kind -> the stored Calibrator of this proposer version (one query)."""
    rows = ProposerCalibration.objects.filter(project=project, proposer=proposer, version=version)
    return {row.kind: calibrator_from_row(row) for row in rows}


@transaction.atomic
def proposer_calibrations_refresh(
    *, project: Project, proposer: str, version: str
) -> dict[str, str]:
    """Fit, keep or drop the calibrator of each cue kind of one proposer version, to the
    decisions as they are now: refitted when they changed (their hash), dropped when there are
    no longer enough of them. Returns kind -> what was done."""
    stored = {
        row.kind: row
        for row in ProposerCalibration.objects.select_for_update().filter(
            project=project, proposer=proposer, version=version
        )
    }
    done: dict[str, str] = {}
    decisions = {
        entry.kind: entry
        for entry in proposer_decisions(project=project, proposer=proposer, version=version)
    }
    for kind in sorted(stored.keys() | decisions.keys()):
        entry = decisions.get(kind) or KindDecisions(kind)
        row = stored.get(kind)
        why_not = calibration_ready(n=entry.n, n_kept=entry.n_kept)
        if why_not:
            if row is not None:
                row.delete()
            done[kind] = f"not fitted: {why_not}"
            continue
        digest = entry.fit_sha256
        if row is not None and row.fit_sha256 == digest:
            done[kind] = "unchanged"
            continue
        fit = calibrator_fit(confidences=entry.confidences, kept=entry.kept)
        values = {
            "method": fit.method,
            "params": dict(fit.params),
            "n": fit.n,
            "n_kept": fit.n_kept,
            "fit_sha256": fit.fit_sha256,
            "library": fit.library,
            "ece_before": fit.ece_before,
            "ece_after": fit.ece_after,
            "cv": dict(fit.cv),
            "fitted_at": timezone.now(),
        }
        ProposerCalibration.objects.update_or_create(
            project=project, proposer=proposer, version=version, kind=kind, defaults=values
        )
        done[kind] = f"fitted ({fit.method}, n={fit.n})"
    return done


@dataclass
class KindCalibration:
    """What the run page shows for one cue kind."""

    kind: str
    n: int
    n_kept: int
    without_confidence: int
    diagram: dict
    calibrator: Calibrator | None
    stale: bool  # a stored calibrator fitted on other decisions than the current ones
    why_not: str  # why there is no calibrated confidence yet ("" when there can be)
    fitted_at: object = None


def run_reliability(*, run: ModelRun) -> tuple[list[KindCalibration], bool]:
    """The reliability of the run's proposer version (all its runs in the project), per cue
    kind, with the stored calibrators, and whether a refit is due (a calibrator missing,
    stale, or kept past its decisions). Two queries."""
    decisions = proposer_decisions(project=run.project, proposer=run.proposer, version=run.version)
    rows = {
        row.kind: row
        for row in ProposerCalibration.objects.filter(
            project=run.project, proposer=run.proposer, version=run.version
        )
    }
    shown, refit = [], False
    for entry in decisions:
        row = rows.get(entry.kind)
        why_not = calibration_ready(n=entry.n, n_kept=entry.n_kept)
        stale = row is not None and row.fit_sha256 != entry.fit_sha256
        refit |= stale or (row is None) != bool(why_not)
        shown.append(
            KindCalibration(
                kind=entry.kind,
                n=entry.n,
                n_kept=entry.n_kept,
                without_confidence=entry.without_confidence,
                diagram=reliability(confidences=entry.confidences, kept=entry.kept),
                calibrator=calibrator_from_row(row) if row is not None else None,
                stale=stale,
                why_not=why_not,
                fitted_at=row.fitted_at if row is not None else None,
            )
        )
    refit |= bool(rows.keys() - {entry.kind for entry in decisions})
    return shown, refit


def run_calibrators(*, run_id: int, project_id: int) -> dict[str, Calibrator]:
    """Cue kind -> the stored Calibrator of the proposer version that made run ``run_id``, in
    one query (the run's proposer and version are read inside it)."""
    run = ModelRun.objects.filter(pk=run_id)
    rows = ProposerCalibration.objects.filter(
        project_id=project_id,
        proposer=Subquery(run.values("proposer")[:1]),
        version=Subquery(run.values("version")[:1]),
    )
    return {row.kind: calibrator_from_row(row) for row in rows}
