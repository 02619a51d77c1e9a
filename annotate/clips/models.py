"""Clips with their derived media.

Time is integer milliseconds of media time, measured from the first presented frame
(ffprobe's start_time subtracted). Frame numbers derive from time and the real frame rate."""

import uuid

from django.conf import settings
from django.db import models


def clip_upload_to(clip: "Clip", filename: str) -> str:
    # Stored under generated names only: the user's file name never reaches the file system.
    return f"clips/{clip.project_id}/{clip.uid}/source"


class SubtitleSource(models.TextChoices):
    """Where a clip's subtitle came from."""

    FILE = "file", "Subtitle file"
    MANIFEST = "manifest", "Import manifest"
    OCR = "ocr", "Read from the picture"
    MANUAL = "manual", "Typed by a manager"


class SubtitleReading(models.TextChoices):
    """The state of reading a clip's subtitle from the picture (a cpu task after ingestion)."""

    PENDING = "pending", "Pending"
    RUNNING = "running", "Reading"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Clip(models.Model):
    Subtitle = SubtitleSource
    Reading = SubtitleReading

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        INGESTING = "ingesting", "Ingesting"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey("annotate.Project", on_delete=models.CASCADE, related_name="clips")
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

    # Subtitles: whole text plus timed segments [{start_ms, end_ms, text}] where the format
    # has them; segments read from the picture also carry the reading's "confidence" (0-1),
    # which a manager's change of a segment's text drops.
    subtitle_text = models.TextField(blank=True)
    subtitle_format = models.CharField(max_length=8, blank=True)
    subtitle_segments = models.JSONField(default=list, blank=True)
    subtitle_source = models.CharField(
        max_length=16,
        choices=SubtitleSource.choices,
        blank=True,
        help_text="Where the subtitle came from; empty when the clip has none.",
    )
    subtitle_chinese = models.TextField(
        blank=True,
        help_text="The manifest's chinese text when it also gave an english one (which is "
        "subtitle_text): both are shown.",
    )
    subtitle_version = models.PositiveIntegerField(
        default=0, help_text="Counts the subtitle's changes; a correction names the one it read."
    )
    subtitle_corrected_at = models.DateTimeField(
        null=True, blank=True, help_text="When a manager last corrected the subtitle by hand."
    )
    subtitle_ocr_status = models.CharField(
        max_length=16,
        choices=SubtitleReading.choices,
        blank=True,
        help_text="Reading the subtitle from the picture; empty when it was never asked for.",
    )
    subtitle_ocr_error = models.TextField(blank=True)
    subtitle_ocr_progress = models.FloatField(default=0.0)
    subtitle_ocr_at = models.DateTimeField(null=True, blank=True)
    subtitle_ocr_settings = models.JSONField(
        default=dict,
        blank=True,
        help_text="What read it (inference.ocr.ocr_settings: engine, models, rate, thresholds).",
    )

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
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
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

    @property
    def subtitle_reading(self) -> bool:
        """Whether its subtitle is still to be read from the picture (queued or running)."""
        return self.subtitle_ocr_status in (self.Reading.PENDING, self.Reading.RUNNING)
