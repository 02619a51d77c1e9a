"""Score jobs (uploaded cue files scored against each other) and the leaderboard's rows."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from annotate.core.models import WorkStatus


class ScoreJob(models.Model):
    """EmoCue-360 of one cue file (a model's output) against another (gold), run by a worker."""

    Status = WorkStatus

    class Mode(models.TextChoices):
        """The metric's modes (inference.emocue360.MODES)."""

        STRICT = "strict", "Strict"
        REFERENCE = "reference", "Reference (the public code, quirks included)"

    project = models.ForeignKey(
        "annotate.Project", on_delete=models.CASCADE, related_name="score_jobs"
    )
    label = models.CharField(max_length=200, blank=True)
    gold = models.JSONField()
    predicted = models.JSONField()
    gold_filename = models.CharField(max_length=255, blank=True)
    predicted_filename = models.CharField(max_length=255, blank=True)
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.STRICT)
    variants = models.JSONField(default=list, blank=True)
    tau = models.FloatField(default=0.5)
    ci = models.BooleanField(default=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    result = models.JSONField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.label or f"score job {self.pk}"

    @property
    def is_settled(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class RunScore(models.Model):
    """EmoCue-360 of one model run, or of one annotator (the human row), against the project's
    gold: the working gold (gold_set empty) or a frozen version. Recomputed by a worker when
    the gold or the run's proposals change; `stale` says a recomputation is due."""

    Status = WorkStatus

    project = models.ForeignKey(
        "annotate.Project", on_delete=models.CASCADE, related_name="run_scores"
    )
    gold_set = models.ForeignKey(
        "annotate.GoldSet", null=True, blank=True, on_delete=models.CASCADE, related_name="scores"
    )
    run = models.ForeignKey(
        "annotate.ModelRun", null=True, blank=True, on_delete=models.CASCADE, related_name="scores"
    )
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    stale = models.BooleanField(default=True)
    generation = models.PositiveIntegerField(
        default=0, help_text="Bumped at each change that calls for a recomputation."
    )
    computed_generation = models.PositiveIntegerField(default=0)
    result = models.JSONField(
        null=True, blank=True, help_text="Both modes with intervals and variants, per modality."
    )
    samples = models.JSONField(null=True, blank=True, help_text="Per-sample rows.")
    config = models.JSONField(default=dict, blank=True, help_text="Model id, modes, variants, tau.")
    error = models.TextField(blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["project_id", "gold_set_id", "run_id", "annotator_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(run__isnull=False, annotator__isnull=True)
                | Q(run__isnull=True, annotator__isnull=False),
                name="run_score_run_xor_annotator",
            ),
            models.UniqueConstraint(
                fields=["project", "run"],
                condition=Q(gold_set__isnull=True, run__isnull=False),
                name="run_score_working_run_unique",
            ),
            models.UniqueConstraint(
                fields=["project", "annotator"],
                condition=Q(gold_set__isnull=True, annotator__isnull=False),
                name="run_score_working_annotator_unique",
            ),
            models.UniqueConstraint(
                fields=["gold_set", "run"],
                condition=Q(run__isnull=False),
                name="run_score_set_run_unique",
            ),
            models.UniqueConstraint(
                fields=["gold_set", "annotator"],
                condition=Q(annotator__isnull=False),
                name="run_score_set_annotator_unique",
            ),
        ]

    def __str__(self) -> str:
        who = self.run or self.annotator
        return f"{who} vs {self.gold_set or 'working gold'}"
