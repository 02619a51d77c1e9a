"""Model runs, their per-clip proposals, and cues: a proposal's cues and, copied from them, the
cues of annotations (Cue.origin and Cue.decision say which)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

# ModelRun.parameters key: the clips the run's model was trained on (a learned proposer's).
# The leaderboard never scores a run on them; see docs/learning.md.
TRAINING_CLIPS_PARAMETER = "training_clips"


class ModelRun(models.Model):
    """One proposer (at one version) over a set of a project's clips."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        CANCELLED = "cancelled", "Cancelled"

    project = models.ForeignKey("annotate.Project", on_delete=models.CASCADE, related_name="runs")
    proposer = models.CharField(max_length=64)
    version = models.CharField(
        max_length=64, help_text="The proposer's version when the run began."
    )
    label = models.CharField(max_length=200, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)

    class Source(models.TextChoices):
        PROPOSER = "proposer", "Run here by a proposer"
        IMPORT = "import", "A model's outputs uploaded as a file"

    source = models.CharField(
        max_length=16,
        choices=Source.choices,
        default=Source.PROPOSER,
        help_text="proposer (run here) or import (a model's outputs uploaded as a file)",
    )
    source_filename = models.CharField(max_length=255, blank=True)
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reruns",
        help_text="The run this one re-runs (kept beside it).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.label or f"{self.proposer} {self.version} #{self.pk}"

    @property
    def training_clips(self) -> list[str]:
        """Clips this run's model learned from (never scored): empty for most runs."""
        names = (self.parameters or {}).get(TRAINING_CLIPS_PARAMETER) or []
        return [str(name) for name in names] if isinstance(names, list) else []


class Proposal(models.Model):
    """A proposer's answer for one clip of a run: a description and its cues."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    run = models.ForeignKey("annotate.ModelRun", on_delete=models.CASCADE, related_name="proposals")
    clip = models.ForeignKey("annotate.Clip", on_delete=models.CASCADE, related_name="proposals")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    description = models.TextField(blank=True)
    emotions = models.JSONField(default=list, blank=True, help_text="[{label, score}] best first")
    notes = models.JSONField(default=list, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    uncertainty = models.FloatField(
        null=True,
        blank=True,
        help_text="1 − (best − second emotion score), 0 to 1: how unsure the proposer is of the "
        "clip's emotion (the expected-value queue reads it); null without emotion scores.",
    )
    features = models.JSONField(
        default=dict,
        blank=True,
        help_text="The proposer's clip-level measurements {name: number or null}, which a "
        "learned proposer trains on.",
    )
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claim = models.CharField(
        max_length=64, blank=True, help_text="The task (or process) computing it while running."
    )
    model_version = models.CharField(
        max_length=200,
        blank=True,
        help_text="The exact model that made it (e.g. with the checkpoint's sha256).",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run_id", "clip__name"]
        constraints = [
            models.UniqueConstraint(fields=["run", "clip"], name="proposal_run_clip_unique"),
        ]
        indexes = [models.Index(fields=["run", "status"])]

    def __str__(self) -> str:
        return f"{self.run} on {self.clip}"


class Cue(models.Model):
    """One atomic cue of a clip, time-anchored where possible. Proposed by a model (origin
    "model", decision "proposed" until an annotator decides) or written by a person."""

    # Not stored: the timeline sets it on an undecided proposal that has a calibrated confidence
    # (annotate.annotation.selectors). A default here keeps the templates' `cue.kept_estimate`
    # a plain attribute read: a missing one costs Django's lookup three caught exceptions, 600
    # times on a page of 300 cues.
    kept_estimate: float | None = None

    class Modality(models.TextChoices):
        VISUAL = "visual", "Visual"
        AUDITORY = "auditory", "Auditory"
        EMOTIONAL = "emotional", "Emotional"

    class Origin(models.TextChoices):
        MODEL = "model", "Model"
        HUMAN = "human", "Human"

    class Decision(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACCEPTED = "accepted", "Accepted"
        EDITED = "edited", "Edited"
        REJECTED = "rejected", "Rejected"

    class Kind(models.TextChoices):
        """What a cue is (as inference.proposers.base.CUE_KINDS): shared by gold cues."""

        OBSERVATION = "observation", "Observation"
        SUBTITLE = "subtitle", "Subtitle"
        INFERENCE = "inference", "Inference"
        UNOBSERVABLE = "unobservable", "Unobservable"

    clip = models.ForeignKey("annotate.Clip", on_delete=models.CASCADE, related_name="cues")
    proposal = models.ForeignKey(
        Proposal, null=True, blank=True, on_delete=models.CASCADE, related_name="cues"
    )
    annotation = models.ForeignKey(
        "annotate.Annotation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cues",
        help_text="The annotation that owns this cue (a proposal's own cues have none).",
    )
    position = models.PositiveIntegerField(default=0, help_text="Order within its proposal.")
    modality = models.CharField(max_length=16, choices=Modality.choices)
    kind = models.CharField(
        max_length=16,
        choices=Kind.choices,
        default=Kind.OBSERVATION,
        help_text="observation, subtitle, inference or unobservable",
    )
    text = models.TextField()
    start_ms = models.PositiveIntegerField(null=True, blank=True)
    end_ms = models.PositiveIntegerField(null=True, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    evidence = models.JSONField(default=dict, blank=True)
    origin = models.CharField(max_length=8, choices=Origin.choices, default=Origin.HUMAN)
    decision = models.CharField(max_length=16, choices=Decision.choices, default=Decision.ACCEPTED)
    derived_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="derived",
        help_text="The proposed cue this one was edited from.",
    )
    reject_reason = models.TextField(blank=True)
    decoy = models.BooleanField(
        default=False, help_text="A known-wrong cue mixed into the proposals (rubber-stamp guard)."
    )
    version = models.PositiveIntegerField(default=1, help_text="For optimistic locking.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["clip_id", "modality", "start_ms", "position"]
        constraints = [
            # A re-delivered proposal task replaces its cues; it can never add a second set.
            models.UniqueConstraint(
                fields=["proposal", "position"], name="cue_proposal_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(start_ms__isnull=True, end_ms__isnull=True)
                | Q(start_ms__isnull=False, end_ms__isnull=False, end_ms__gte=F("start_ms")),
                name="cue_span_valid",
            ),
        ]
        indexes = [models.Index(fields=["clip", "modality"])]

    def __str__(self) -> str:
        return self.text[:60]


class ProposerCalibration(models.Model):
    """A calibrated confidence for the cues of one kind that one proposer version emits in a
    project: the share of them annotators keep (accept, or edit), as a function of the
    confidence the proposer claimed (inference/calibration.py). Refitted when the decisions
    change; what it was fitted on is named by its data hash, method and n, so a refit on the
    same decisions gives the same numbers."""

    project = models.ForeignKey(
        "annotate.Project", on_delete=models.CASCADE, related_name="proposer_calibrations"
    )
    proposer = models.CharField(max_length=64)
    version = models.CharField(max_length=64)
    kind = models.CharField(max_length=16, choices=Cue.Kind.choices)
    method = models.CharField(max_length=16, help_text="platt or isotonic")
    params = models.JSONField(help_text="Platt: slope, intercept; isotonic: x, y breakpoints.")
    n = models.PositiveIntegerField(help_text="Decisions it was fitted on.")
    n_kept = models.PositiveIntegerField(help_text="Of which accepted or edited.")
    fit_sha256 = models.CharField(max_length=64, help_text="Of the (confidence, kept) data.")
    library = models.CharField(max_length=64, blank=True, help_text="What fitted it.")
    ece_before = models.FloatField(null=True, blank=True)
    ece_after = models.FloatField(
        null=True, blank=True, help_text="Cross-validated ECE of the calibrated confidence."
    )
    cv = models.JSONField(default=dict, blank=True, help_text="{folds, seed} of ece_after.")
    fitted_at = models.DateTimeField()

    class Meta:
        ordering = ["project_id", "proposer", "version", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "proposer", "version", "kind"],
                name="proposer_calibration_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.proposer} {self.version} {self.kind} ({self.method}, n={self.n})"
