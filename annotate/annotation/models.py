"""An annotator's annotation of a clip (labels, description, status), its event log (for undo
and agreement timing), and the assignment slots that lease clips to annotators."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Annotation(models.Model):
    """One annotator's work on one clip: their decisions on the proposed cues, their own cues,
    emotion labels (from the project's vocabulary unless it allows free labels; one primary)
    and the reasoning description."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    clip = models.ForeignKey("annotate.Clip", on_delete=models.CASCADE, related_name="annotations")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="annotations"
    )
    run = models.ForeignKey(
        "annotate.ModelRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="annotations",
        help_text="The run whose proposals this annotation started from.",
    )
    proposals_hidden = models.BooleanField(
        default=False, help_text="Proposals were withheld from this annotator on purpose."
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    labels = models.JSONField(default=list, blank=True)
    primary_label = models.CharField(max_length=64, blank=True)
    description = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1, help_text="For optimistic locking.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    returned_comment = models.TextField(
        blank=True, help_text="Why a reviewer or manager sent the submission back to its annotator."
    )
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    returned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["clip_id", "annotator_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["clip", "annotator"], name="annotation_clip_annotator_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.annotator} on {self.clip}"


class AnnotationEvent(models.Model):
    """Every change to an annotation's cues, with the state before and after: the undo stack."""

    annotation = models.ForeignKey(
        "annotate.Annotation", on_delete=models.CASCADE, related_name="events"
    )
    cue = models.ForeignKey(
        "annotate.Cue", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Action(models.TextChoices):
        ADD = "add", "Added a cue"
        EDIT = "edit", "Edited a cue's text"
        RETIME = "retime", "Moved a cue in time"
        ACCEPT = "accept", "Accepted a proposed cue"
        REJECT = "reject", "Rejected a proposed cue"
        DELETE = "delete", "Deleted a cue"

    action = models.CharField(max_length=16, choices=Action.choices)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone = models.BooleanField(default=False)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["annotation_id", "pk"]

    def __str__(self) -> str:
        return f"{self.action} in annotation {self.annotation_id}"


class Assignment(models.Model):
    """One of a clip's k annotator slots. "Next clip" leases a free slot; a lease that sees no
    activity until it expires returns the slot to the pool; submitting completes it."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        LEASED = "leased", "Leased"
        DONE = "done", "Done"

    project = models.ForeignKey(
        "annotate.Project", on_delete=models.CASCADE, related_name="assignments"
    )
    clip = models.ForeignKey("annotate.Clip", on_delete=models.CASCADE, related_name="assignments")
    slot = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assignments",
    )
    annotation = models.ForeignKey(
        "annotate.Annotation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assignments",
    )
    leased_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The manager who (re)assigned it by hand.",
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["clip_id", "slot"]
        constraints = [
            models.UniqueConstraint(fields=["clip", "slot"], name="assignment_clip_slot_unique"),
            models.UniqueConstraint(
                fields=["clip", "annotator"],
                condition=Q(annotator__isnull=False),
                name="assignment_clip_annotator_unique",
            ),
        ]
        indexes = [models.Index(fields=["project", "status", "lease_expires_at"])]

    def __str__(self) -> str:
        return f"{self.clip} slot {self.slot} ({self.status})"
