"""A clip's gold record (the reviewer's adjudication), its gold cues, the decisions that made
them, and review comments."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from annotate.runs.models import Cue


class GoldRecord(models.Model):
    """A clip's adjudicated gold: cues per modality, emotion labels and the reasoning, with
    where each part came from. One current record per clip; every change is audited and gold
    set versions snapshot it."""

    class Status(models.TextChoices):
        IN_REVIEW = "in_review", "In review"
        GOLD = "gold", "Gold"

    clip = models.OneToOneField("annotate.Clip", on_delete=models.CASCADE, related_name="gold")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_REVIEW)
    labels = models.JSONField(default=list, blank=True)
    primary_label = models.CharField(max_length=64, blank=True)
    description = models.TextField(blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="gold_records",
    )
    provenance = models.JSONField(
        default=dict,
        blank=True,
        help_text="{annotations: [{id, annotator, version, submitted_at}], run, thresholds}",
    )
    auto_promoted = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1, help_text="For optimistic locking.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finalized_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"gold of {self.clip}"


class GoldCue(models.Model):
    """One cue of a gold record: a group's cue accepted as is, a merge, or the reviewer's own."""

    class How(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        MERGED = "merged", "Merged"
        WRITTEN = "written", "Written by the reviewer"

    record = models.ForeignKey(GoldRecord, on_delete=models.CASCADE, related_name="cues")
    modality = models.CharField(max_length=16, choices=Cue.Modality.choices)
    text = models.TextField()
    start_ms = models.PositiveIntegerField(null=True, blank=True)
    end_ms = models.PositiveIntegerField(null=True, blank=True)
    how = models.CharField(max_length=16, choices=How.choices, default=How.ACCEPTED)
    kind = models.CharField(
        max_length=16,
        choices=Cue.Kind.choices,
        default=Cue.Kind.OBSERVATION,
        help_text="As on cues: observation, subtitle, inference or unobservable",
    )
    group_key = models.CharField(
        max_length=64, blank=True, help_text="The alignment group it settles, if any."
    )
    source_cues = models.JSONField(
        default=list, blank=True, help_text="Ids of the cues it came from."
    )
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["record_id", "modality", "start_ms", "position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_ms__isnull=True, end_ms__isnull=True)
                | Q(start_ms__isnull=False, end_ms__isnull=False, end_ms__gte=F("start_ms")),
                name="gold_cue_span_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60]


# The note that starts every decision auto-promotion makes (no reviewer judged those groups).
AUTO_PROMOTED_NOTE = "auto-promoted"


class ReviewDecision(models.Model):
    """How the reviewer settled one alignment group of a clip."""

    class Action(models.TextChoices):
        ACCEPT = "accept", "Accept"
        MERGE = "merge", "Merge"
        REJECT = "reject", "Reject"

    record = models.ForeignKey(GoldRecord, on_delete=models.CASCADE, related_name="decisions")
    group_key = models.CharField(max_length=64)
    modality = models.CharField(max_length=16, choices=Cue.Modality.choices)
    action = models.CharField(max_length=8, choices=Action.choices)
    gold_cue = models.ForeignKey(
        GoldCue, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions"
    )
    note = models.TextField(blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["record_id", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["record", "group_key"], name="review_decision_group_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.modality} group {self.group_key}"


class ReviewComment(models.Model):
    """A comment pinned to a cue or to a time of a clip (or to the clip as a whole)."""

    clip = models.ForeignKey("annotate.Clip", on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    cue = models.ForeignKey(
        "annotate.Cue", null=True, blank=True, on_delete=models.SET_NULL, related_name="comments"
    )
    time_ms = models.PositiveIntegerField(null=True, blank=True)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["clip_id", "created_at"]

    def __str__(self) -> str:
        return self.text[:60]


class ClipAlignment(models.Model):
    """The alignment of a clip's submitted annotations (inference.alignment's groups), computed
    by a cpu worker when an annotation is submitted and read by every web process: the review
    queue never computes one. `key` names the state it was computed for (the submitted
    annotations' ids and versions, the model run, the project's thresholds); a row whose key
    is not the clip's current one is stale and read as missing. One row per clip."""

    clip = models.OneToOneField(
        "annotate.Clip", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    key = models.CharField(max_length=64, blank=True, help_text="The state it was computed for.")
    groups = models.JSONField(default=list, blank=True)
    model_id = models.CharField(max_length=200, blank=True, help_text="The embedding model's id.")
    computed_at = models.DateTimeField(null=True, blank=True)
    queued_key = models.CharField(
        max_length=64, blank=True, help_text="The state a worker was last asked to align."
    )
    queued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"alignment of clip {self.clip_id}"
