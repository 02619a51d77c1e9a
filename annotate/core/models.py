"""Projects and their members (with the role sets capabilities check), the audit trail, and
the shared store of EmoCue-360 sentence embeddings."""

from django.conf import settings
from django.db import models
from django.db.models import Q


def default_emotion_vocabulary() -> list[str]:
    # MER2023's discrete labels plus the extra ones EMER descriptions use most.
    return [
        "neutral",
        "happy",
        "sad",
        "angry",
        "worried",
        "surprise",
        "fear",
        "disgust",
        "calm",
        "excited",
        "anxious",
        "grateful",
    ]


class WorkStatus(models.TextChoices):
    """The states of work a cpu worker does for a row (an export, a score job, a leaderboard
    row): shared, so every such row reads the same."""

    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Project(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    emotion_vocabulary = models.JSONField(default=default_emotion_vocabulary, blank=True)
    free_labels = models.BooleanField(
        default=False,
        help_text="Annotators and reviewers may give labels outside the emotion vocabulary.",
    )
    annotators_per_clip = models.PositiveSmallIntegerField(
        default=1, help_text="How many annotators label each clip (k)."
    )
    blind_mode = models.BooleanField(
        default=False, help_text="Annotators do not see each other's work or the model's name."
    )
    proposer_settings = models.JSONField(default=dict, blank=True)
    # Review and agreement (docs/review.md justifies the defaults).
    assignment_lease_minutes = models.PositiveIntegerField(
        default=120, help_text="How long a handed-out clip stays reserved without activity."
    )
    align_similarity = models.FloatField(
        default=0.6, help_text="EmoCue-360 cosine similarity at which two cues say the same."
    )
    align_overlap = models.FloatField(
        default=0.2, help_text="Share of the shorter span two timed cues must overlap to align."
    )
    auto_promote_consensus = models.BooleanField(
        default=False, help_text="Clips where every annotator agrees become gold without review."
    )
    decoy_rate = models.FloatField(
        default=0.0, help_text="Share of proposed cues that are decoys (known-wrong), 0 to 0.5."
    )

    class QueueOrder(models.TextChoices):
        BREADTH_FIRST = "breadth_first", "Breadth first (fewest annotators so far)"
        EXPECTED_VALUE = "expected_value", "Expected value (uncertainty and disagreement)"

    queue_order = models.CharField(
        max_length=16,
        choices=QueueOrder.choices,
        default=QueueOrder.BREADTH_FIRST,
        help_text="How 'next clip' picks among the free slots (docs/learning.md).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(annotators_per_clip__gte=1), name="project_k_at_least_one"
            ),
            models.CheckConstraint(
                condition=Q(align_similarity__gte=0, align_similarity__lte=1)
                & Q(align_overlap__gte=0, align_overlap__lte=1)
                & Q(decoy_rate__gte=0, decoy_rate__lte=0.5),
                name="project_review_settings_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        ANNOTATOR = "annotator", "Annotator"
        REVIEWER = "reviewer", "Reviewer"
        MANAGER = "manager", "Manager"

    project = models.ForeignKey(
        "annotate.Project", on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ANNOTATOR)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project} as {self.role}"


class CueEmbedding(models.Model):
    """A sentence embedding of one cue text, shared by every worker (EmoCue-360's cache)."""

    model_id = models.CharField(max_length=200)
    text_sha256 = models.CharField(max_length=64)
    dim = models.PositiveSmallIntegerField()
    vector = models.BinaryField(help_text="float32, little-endian, dim values")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["model_id", "text_sha256"], name="cue_embedding_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model_id}:{self.text_sha256[:12]}"


# Who may do what, by role: the sets that several capabilities check.
MANAGER_ROLES = (Membership.Role.MANAGER,)
REVIEWER_ROLES = (Membership.Role.REVIEWER, Membership.Role.MANAGER)  # reviewers and managers


class AuditEvent(models.Model):
    """Every create, change and delete of cues, annotations and gold records: who, when, the
    state before and after. Never updated or deleted by the application."""

    project = models.ForeignKey(
        "annotate.Project", on_delete=models.CASCADE, related_name="audit_events"
    )
    clip = models.ForeignKey(
        "annotate.Clip",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    object_type = models.CharField(
        max_length=32, help_text="cue, annotation, gold_record, gold_cue, ..."
    )
    object_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=32)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["clip", "at"]),
            models.Index(fields=["project", "at"]),
            models.Index(fields=["object_type", "object_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_id}"
