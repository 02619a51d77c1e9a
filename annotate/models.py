"""Every model of the `annotate` app, for Django's app registry and the migrations.

The models live in their capability's package (`annotate/<capability>/models.py`) and keep
the app label `annotate`, so the migrations and tables are unchanged. Code imports a model
from its own package; this module only gathers them (and keeps the names the migrations
refer to, such as `annotate.models.clip_upload_to`).
"""

from annotate.annotation.models import Annotation, AnnotationEvent, Assignment
from annotate.clips.models import Clip, clip_upload_to
from annotate.core.models import (
    AuditEvent,
    CueEmbedding,
    Membership,
    Project,
    default_emotion_vocabulary,
)
from annotate.goldsets.models import Export, GoldSet, GoldSetItem
from annotate.review.models import (
    ClipAlignment,
    GoldCue,
    GoldRecord,
    ReviewComment,
    ReviewDecision,
)
from annotate.runs.models import Cue, ModelRun, Proposal, ProposerCalibration
from annotate.scoring.models import RunScore, ScoreJob

__all__ = [
    "Annotation",
    "AnnotationEvent",
    "Assignment",
    "AuditEvent",
    "Clip",
    "ClipAlignment",
    "Cue",
    "CueEmbedding",
    "Export",
    "GoldCue",
    "GoldRecord",
    "GoldSet",
    "GoldSetItem",
    "Membership",
    "ModelRun",
    "Project",
    "Proposal",
    "ProposerCalibration",
    "ReviewComment",
    "ReviewDecision",
    "RunScore",
    "ScoreJob",
    "clip_upload_to",
    "default_emotion_vocabulary",
]
