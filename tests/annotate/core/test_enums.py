"""The model enums agree with the constants that inference/ (which knows no Django) keeps."""

from annotate.annotation.models import Annotation, AnnotationEvent
from annotate.review.judgements import JUDGEMENT_RULES
from annotate.review.models import GoldCue
from annotate.review.quality import DECISION_ACTIONS
from annotate.runs.calibration import SUBMITTED
from annotate.runs.imports import CUE_KINDS as IMPORT_CUE_KINDS
from annotate.runs.models import Cue, ModelRun
from annotate.scoring.models import ScoreJob
from inference.emocue360 import MODES
from inference.exports.clips import CUE_KINDS as EXPORT_CUE_KINDS
from inference.exports.judgements import LABELS as EXPORT_LABELS
from inference.metaeval import LABELS as METAEVAL_LABELS
from inference.proposers.base import CUE_KINDS as PROPOSER_CUE_KINDS


def test_cue_kinds_are_one_list_everywhere():
    kinds = list(Cue.Kind.values)
    assert kinds == list(PROPOSER_CUE_KINDS) == list(EXPORT_CUE_KINDS) == list(IMPORT_CUE_KINDS)
    assert GoldCue._meta.get_field("kind").choices == Cue._meta.get_field("kind").choices


def test_score_modes_are_the_metrics_modes():
    assert list(ScoreJob.Mode.values) == list(MODES)


def test_decision_actions_are_annotation_event_actions():
    assert set(DECISION_ACTIONS) <= set(AnnotationEvent.Action.values)


def test_run_sources():
    assert ModelRun._meta.get_field("source").default == ModelRun.Source.PROPOSER == "proposer"
    assert ModelRun.Source.IMPORT == "import"


def test_the_calibration_reads_submitted_annotations_by_their_status():
    assert SUBMITTED == Annotation.Status.SUBMITTED


def test_the_judged_pair_labels_are_the_meta_evaluations():
    assert set(JUDGEMENT_RULES.values()) == set(METAEVAL_LABELS) == set(EXPORT_LABELS)
