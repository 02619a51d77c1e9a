"""Projects, their members, and clips with their derived media.

Time is integer milliseconds of media time, measured from the first presented frame
(ffprobe's start_time subtracted). Frame numbers derive from time and the real frame rate.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q


def default_emotion_vocabulary() -> list[str]:
    # MER2023's discrete labels plus the extra ones EMER descriptions use most.
    return ["neutral", "happy", "sad", "angry", "worried", "surprise",
            "fear", "disgust", "calm", "excited", "anxious", "grateful"]


class Project(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    emotion_vocabulary = models.JSONField(default=default_emotion_vocabulary, blank=True)
    annotators_per_clip = models.PositiveSmallIntegerField(
        default=1, help_text="How many annotators label each clip (k)."
    )
    blind_mode = models.BooleanField(
        default=False, help_text="Annotators do not see each other's work or the model's name."
    )
    proposer_settings = models.JSONField(default=dict, blank=True)
    # Review and agreement (docs/review.md justifies the defaults).
    assignment_lease_minutes = models.PositiveIntegerField(
        default=120, help_text="How long a handed-out clip stays reserved without activity.")
    align_similarity = models.FloatField(
        default=0.6, help_text="EmoCue-360 cosine similarity at which two cues say the same.")
    align_overlap = models.FloatField(
        default=0.2, help_text="Share of the shorter span two timed cues must overlap to align.")
    auto_promote_consensus = models.BooleanField(
        default=False, help_text="Clips where every annotator agrees become gold without review.")
    decoy_rate = models.FloatField(
        default=0.0, help_text="Share of proposed cues that are decoys (known-wrong), 0 to 0.5.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
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

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
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


def clip_upload_to(clip: "Clip", filename: str) -> str:
    # Stored under generated names only: the user's file name never reaches the file system.
    return f"clips/{clip.project_id}/{clip.uid}/source"


class Clip(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        INGESTING = "ingesting", "Ingesting"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="clips")
    name = models.CharField(max_length=200)
    original_filename = models.CharField(max_length=255, blank=True)
    source = models.FileField(upload_to=clip_upload_to, max_length=255)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.BigIntegerField(default=0)

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error_code = models.CharField(max_length=32, blank=True)
    error = models.TextField(blank=True)
    ingest_attempts = models.PositiveSmallIntegerField(default=0)

    # From ffprobe.
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    fps_num = models.PositiveIntegerField(null=True, blank=True)
    fps_den = models.PositiveIntegerField(null=True, blank=True)
    frame_count = models.PositiveIntegerField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    start_ms = models.IntegerField(default=0, help_text="ffprobe start_time of the first frame.")
    video_codec = models.CharField(max_length=32, blank=True)
    has_audio = models.BooleanField(default=False)
    audio_codec = models.CharField(max_length=32, blank=True)

    # Subtitles: whole text plus timed segments [{start_ms, end_ms, text}] where the format has them.
    subtitle_text = models.TextField(blank=True)
    subtitle_format = models.CharField(max_length=8, blank=True)
    subtitle_segments = models.JSONField(default=list, blank=True)

    group_key = models.CharField(
        max_length=200, blank=True, help_text="Speaker or source video; keeps splits apart."
    )
    metadata = models.JSONField(default=dict, blank=True)

    # Derived media, as storage names (under clips/<project>/<uid>/).
    proxy = models.CharField(max_length=255, blank=True)
    proxy_mode = models.CharField(max_length=16, blank=True)
    audio = models.CharField(max_length=255, blank=True)
    peaks = models.CharField(max_length=255, blank=True)
    thumbs = models.CharField(max_length=255, blank=True)
    thumb_times_ms = models.JSONField(default=list, blank=True)
    frames = models.JSONField(default=list, blank=True, help_text="[{index, time_ms, name}]")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    ingested_at = models.DateTimeField(null=True, blank=True)
    ingest_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["project_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="clip_name_unique"),
            models.UniqueConstraint(fields=["project", "sha256"], name="clip_sha256_unique"),
        ]
        indexes = [models.Index(fields=["project", "status"])]

    def __str__(self) -> str:
        return self.name

    @property
    def media_dir(self) -> str:
        return f"clips/{self.project_id}/{self.uid}"

    @property
    def fps(self) -> float | None:
        if not self.fps_num or not self.fps_den:
            return None
        return self.fps_num / self.fps_den

    @property
    def is_settled(self) -> bool:
        return self.status in (self.Status.READY, self.Status.FAILED)


class CueEmbedding(models.Model):
    """A sentence embedding of one cue text, shared by every worker (EmoCue-360's cache)."""

    model_id = models.CharField(max_length=200)
    text_sha256 = models.CharField(max_length=64)
    dim = models.PositiveSmallIntegerField()
    vector = models.BinaryField(help_text="float32, little-endian, dim values")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model_id", "text_sha256"], name="cue_embedding_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.model_id}:{self.text_sha256[:12]}"


class ScoreJob(models.Model):
    """EmoCue-360 of one cue file (a model's output) against another (gold), run by a worker."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="score_jobs")
    label = models.CharField(max_length=200, blank=True)
    gold = models.JSONField()
    predicted = models.JSONField()
    gold_filename = models.CharField(max_length=255, blank=True)
    predicted_filename = models.CharField(max_length=255, blank=True)
    mode = models.CharField(max_length=16, default="strict")
    variants = models.JSONField(default=list, blank=True)
    tau = models.FloatField(default=0.5)
    ci = models.BooleanField(default=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    result = models.JSONField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
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


class ModelRun(models.Model):
    """One proposer (at one version) over a set of a project's clips."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        CANCELLED = "cancelled", "Cancelled"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="runs")
    proposer = models.CharField(max_length=64)
    version = models.CharField(max_length=64, help_text="The proposer's version when the run began.")
    label = models.CharField(max_length=200, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    source = models.CharField(
        max_length=16, default="proposer",
        help_text="proposer (run here) or import (a model's outputs uploaded as a file)")
    source_filename = models.CharField(max_length=255, blank=True)
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reruns",
        help_text="The run this one re-runs (kept beside it).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.label or f"{self.proposer} {self.version} #{self.pk}"


class Proposal(models.Model):
    """A proposer's answer for one clip of a run: a description and its cues."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    run = models.ForeignKey(ModelRun, on_delete=models.CASCADE, related_name="proposals")
    clip = models.ForeignKey(Clip, on_delete=models.CASCADE, related_name="proposals")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    description = models.TextField(blank=True)
    emotions = models.JSONField(default=list, blank=True, help_text="[{label, score}] best first")
    notes = models.JSONField(default=list, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claim = models.CharField(max_length=64, blank=True,
                             help_text="The task (or process) computing it while running.")
    model_version = models.CharField(
        max_length=200, blank=True,
        help_text="The exact model that made it (e.g. with the checkpoint's sha256).")
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


class Annotation(models.Model):
    """One annotator's work on one clip: their decisions on the proposed cues, their own cues,
    emotion labels (open vocabulary, one primary) and the reasoning description."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    clip = models.ForeignKey(Clip, on_delete=models.CASCADE, related_name="annotations")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="annotations"
    )
    run = models.ForeignKey(
        ModelRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="annotations",
        help_text="The run whose proposals this annotation started from.",
    )
    proposals_hidden = models.BooleanField(
        default=False, help_text="Proposals were withheld from this annotator on purpose.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    labels = models.JSONField(default=list, blank=True)
    primary_label = models.CharField(max_length=64, blank=True)
    description = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1, help_text="For optimistic locking.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["clip_id", "annotator_id"]
        constraints = [
            models.UniqueConstraint(fields=["clip", "annotator"], name="annotation_clip_annotator_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.annotator} on {self.clip}"


class Cue(models.Model):
    """One atomic cue of a clip, time-anchored where possible. Proposed by a model (origin
    "model", decision "proposed" until an annotator decides) or written by a person."""

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

    clip = models.ForeignKey(Clip, on_delete=models.CASCADE, related_name="cues")
    proposal = models.ForeignKey(
        Proposal, null=True, blank=True, on_delete=models.CASCADE, related_name="cues"
    )
    annotation = models.ForeignKey(
        Annotation, null=True, blank=True, on_delete=models.CASCADE, related_name="cues",
        help_text="The annotation that owns this cue (a proposal's own cues have none).",
    )
    position = models.PositiveIntegerField(default=0, help_text="Order within its proposal.")
    modality = models.CharField(max_length=16, choices=Modality.choices)
    kind = models.CharField(max_length=16, default="observation",
                            help_text="observation, subtitle, inference or unobservable")
    text = models.TextField()
    start_ms = models.PositiveIntegerField(null=True, blank=True)
    end_ms = models.PositiveIntegerField(null=True, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    evidence = models.JSONField(default=dict, blank=True)
    origin = models.CharField(max_length=8, choices=Origin.choices, default=Origin.HUMAN)
    decision = models.CharField(max_length=16, choices=Decision.choices, default=Decision.ACCEPTED)
    derived_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="derived",
        help_text="The proposed cue this one was edited from.",
    )
    reject_reason = models.TextField(blank=True)
    decoy = models.BooleanField(
        default=False, help_text="A known-wrong cue mixed into the proposals (rubber-stamp guard).")
    version = models.PositiveIntegerField(default=1, help_text="For optimistic locking.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["clip_id", "modality", "start_ms", "position"]
        constraints = [
            # A re-delivered proposal task replaces its cues; it can never add a second set.
            models.UniqueConstraint(fields=["proposal", "position"], name="cue_proposal_position_unique"),
            models.CheckConstraint(
                condition=Q(start_ms__isnull=True, end_ms__isnull=True)
                | Q(start_ms__isnull=False, end_ms__isnull=False, end_ms__gte=F("start_ms")),
                name="cue_span_valid",
            ),
        ]
        indexes = [models.Index(fields=["clip", "modality"])]

    def __str__(self) -> str:
        return self.text[:60]


class AnnotationEvent(models.Model):
    """Every change to an annotation's cues, with the state before and after: the undo stack."""

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="events")
    cue = models.ForeignKey(Cue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=16)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                              related_name="+")
    undone = models.BooleanField(default=False)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["annotation_id", "pk"]


class Assignment(models.Model):
    """One of a clip's k annotator slots. "Next clip" leases a free slot; a lease that sees no
    activity until it expires returns the slot to the pool; submitting completes it."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        LEASED = "leased", "Leased"
        DONE = "done", "Done"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="assignments")
    clip = models.ForeignKey(Clip, on_delete=models.CASCADE, related_name="assignments")
    slot = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="assignments")
    annotation = models.ForeignKey(Annotation, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="assignments")
    leased_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    help_text="The manager who (re)assigned it by hand.")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["clip_id", "slot"]
        constraints = [
            models.UniqueConstraint(fields=["clip", "slot"], name="assignment_clip_slot_unique"),
            models.UniqueConstraint(fields=["clip", "annotator"], condition=Q(annotator__isnull=False),
                                    name="assignment_clip_annotator_unique"),
        ]
        indexes = [models.Index(fields=["project", "status", "lease_expires_at"])]

    def __str__(self) -> str:
        return f"{self.clip} slot {self.slot} ({self.status})"


class GoldRecord(models.Model):
    """A clip's adjudicated gold: cues per modality, emotion labels and the reasoning, with
    where each part came from. One current record per clip; every change is audited and gold
    set versions snapshot it."""

    class Status(models.TextChoices):
        IN_REVIEW = "in_review", "In review"
        GOLD = "gold", "Gold"

    clip = models.OneToOneField(Clip, on_delete=models.CASCADE, related_name="gold")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_REVIEW)
    labels = models.JSONField(default=list, blank=True)
    primary_label = models.CharField(max_length=64, blank=True)
    description = models.TextField(blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="gold_records")
    provenance = models.JSONField(
        default=dict, blank=True,
        help_text="{annotations: [{id, annotator, version, submitted_at}], run, thresholds}")
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
    kind = models.CharField(max_length=16, default="observation",
                            help_text="As on cues: observation, subtitle, inference or unobservable")
    group_key = models.CharField(max_length=64, blank=True,
                                 help_text="The alignment group it settles, if any.")
    source_cues = models.JSONField(default=list, blank=True, help_text="Ids of the cues it came from.")
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
    gold_cue = models.ForeignKey(GoldCue, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="decisions")
    note = models.TextField(blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                 related_name="+")
    at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["record_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["record", "group_key"], name="review_decision_group_unique"),
        ]


class ReviewComment(models.Model):
    """A comment pinned to a cue or to a time of a clip (or to the clip as a whole)."""

    clip = models.ForeignKey(Clip, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                               related_name="+")
    cue = models.ForeignKey(Cue, null=True, blank=True, on_delete=models.SET_NULL, related_name="comments")
    time_ms = models.PositiveIntegerField(null=True, blank=True)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["clip_id", "created_at"]


class AuditEvent(models.Model):
    """Every create, change and delete of cues, annotations and gold records: who, when, the
    state before and after. Never updated or deleted by the application."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="audit_events")
    clip = models.ForeignKey(Clip, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="audit_events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    object_type = models.CharField(max_length=32, help_text="cue, annotation, gold_record, gold_cue, ...")
    object_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=32)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["clip", "at"]), models.Index(fields=["project", "at"]),
                   models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_id}"


class GoldSet(models.Model):
    """A frozen version of a project's gold: an immutable snapshot of its gold records (one
    item per clip), with provenance and counts. Later edits of gold records go into the next
    version; a frozen version never changes."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="gold_sets")
    version = models.PositiveIntegerField()
    note = models.TextField(blank=True)
    licence = models.CharField(max_length=200, blank=True,
                               help_text="The licence the exported data is released under.")
    provenance = models.JSONField(default=dict, blank=True,
                                  help_text="Who froze it, the records and their versions, reviewers.")
    counts = models.JSONField(default=dict, blank=True,
                              help_text="Clips, cues per modality, label distribution.")
    content_sha256 = models.CharField(max_length=64, help_text="Of the items' canonical JSON.")
    frozen_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    frozen_at = models.DateTimeField()

    class Meta:
        ordering = ["project_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["project", "version"], name="gold_set_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.project} gold v{self.version}"


class GoldSetItem(models.Model):
    """One clip of a frozen gold set, EmoCue-Eval style: cues per modality (with times),
    emotion labels, the reasoning description, and where the record came from."""

    gold_set = models.ForeignKey(GoldSet, on_delete=models.CASCADE, related_name="items")
    clip = models.ForeignKey(Clip, null=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=200, help_text="The clip's name when frozen.")
    group_key = models.CharField(max_length=200, blank=True)
    cues = models.JSONField(help_text="{visual|auditory|emotional: [{text, start_ms, end_ms}]}")
    labels = models.JSONField(default=list)
    primary_label = models.CharField(max_length=64, blank=True)
    description = models.TextField(blank=True)
    record_id = models.BigIntegerField(null=True, help_text="The gold record it snapshots.")
    record_version = models.PositiveIntegerField(null=True)

    class Meta:
        ordering = ["gold_set_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["gold_set", "name"], name="gold_set_item_name_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} in {self.gold_set}"


class RunScore(models.Model):
    """EmoCue-360 of one model run, or of one annotator (the human row), against the project's
    gold: the working gold (gold_set empty) or a frozen version. Recomputed by a worker when
    the gold or the run's proposals change; `stale` says a recomputation is due."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="run_scores")
    gold_set = models.ForeignKey(GoldSet, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="scores")
    run = models.ForeignKey(ModelRun, null=True, blank=True, on_delete=models.CASCADE,
                            related_name="scores")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    stale = models.BooleanField(default=True)
    generation = models.PositiveIntegerField(
        default=0, help_text="Bumped at each change that calls for a recomputation.")
    computed_generation = models.PositiveIntegerField(default=0)
    result = models.JSONField(null=True, blank=True,
                              help_text="Both modes with intervals and variants, per modality.")
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
            models.UniqueConstraint(fields=["project", "run"], condition=Q(gold_set__isnull=True, run__isnull=False),
                                    name="run_score_working_run_unique"),
            models.UniqueConstraint(fields=["project", "annotator"],
                                    condition=Q(gold_set__isnull=True, annotator__isnull=False),
                                    name="run_score_working_annotator_unique"),
            models.UniqueConstraint(fields=["gold_set", "run"], condition=Q(run__isnull=False),
                                    name="run_score_set_run_unique"),
            models.UniqueConstraint(fields=["gold_set", "annotator"], condition=Q(annotator__isnull=False),
                                    name="run_score_set_annotator_unique"),
        ]

    def __str__(self) -> str:
        who = self.run or self.annotator
        return f"{who} vs {self.gold_set or 'working gold'}"


class Export(models.Model):
    """A frozen gold set version with a split, as one zip of the field's formats with a
    manifest of sha256 sums. The same inputs give a byte-identical zip."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    gold_set = models.ForeignKey(GoldSet, on_delete=models.CASCADE, related_name="exports")
    split_spec = models.JSONField(help_text="{ratios: {train: .8, ...}, stratify, group}")
    seed = models.IntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    file = models.CharField(max_length=255, blank=True, help_text="Storage name of the zip.")
    sha256 = models.CharField(max_length=64, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True, help_text="Counts per label per split.")
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"export of {self.gold_set} (seed {self.seed})"
