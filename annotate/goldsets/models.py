"""Frozen, versioned gold sets with their items, and the exports built from them."""

from django.conf import settings
from django.db import models

from annotate.core.models import WorkStatus


class GoldSet(models.Model):
    """A frozen version of a project's gold: an immutable snapshot of its gold records (one
    item per clip), with provenance and counts. Later edits of gold records go into the next
    version; a frozen version never changes."""

    project = models.ForeignKey(
        "annotate.Project", on_delete=models.CASCADE, related_name="gold_sets"
    )
    version = models.PositiveIntegerField()
    note = models.TextField(blank=True)
    licence = models.CharField(
        max_length=200, blank=True, help_text="The licence the exported data is released under."
    )
    provenance = models.JSONField(
        default=dict,
        blank=True,
        help_text="Who froze it, the records and their versions, reviewers.",
    )
    counts = models.JSONField(
        default=dict, blank=True, help_text="Clips, cues per modality, label distribution."
    )
    agreement = models.JSONField(
        default=dict,
        blank=True,
        help_text="Inter-annotator agreement when it was frozen (the datasheet prints it).",
    )
    judgements = models.JSONField(
        default=dict,
        blank=True,
        help_text="The judged cue pairs of its records when it was frozen "
        "(annotate/review/judgements.py); empty for versions frozen before they were kept.",
    )
    content_sha256 = models.CharField(max_length=64, help_text="Of the items' canonical JSON.")
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
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

    gold_set = models.ForeignKey("annotate.GoldSet", on_delete=models.CASCADE, related_name="items")
    clip = models.ForeignKey(
        "annotate.Clip", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=200, help_text="The clip's name when frozen.")
    group_key = models.CharField(max_length=200, blank=True)
    cues = models.JSONField(help_text="{visual|auditory|emotional: [{text, start_ms, end_ms}]}")
    labels = models.JSONField(default=list)
    primary_label = models.CharField(max_length=64, blank=True)
    description = models.TextField(blank=True)
    subtitle = models.JSONField(
        null=True,
        blank=True,
        help_text="The clip's subtitle when frozen: {source, corrected, text, chinese, "
        "segments: [{start_ms, end_ms, text, confidence}]}; null in versions frozen before "
        "subtitles were kept with a version.",
    )
    record_id = models.BigIntegerField(null=True, help_text="The gold record it snapshots.")
    record_version = models.PositiveIntegerField(null=True)

    class Meta:
        ordering = ["gold_set_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["gold_set", "name"], name="gold_set_item_name_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} in {self.gold_set}"


class Export(models.Model):
    """A frozen gold set version with a split, as one zip of the field's formats with a
    manifest of sha256 sums. The same inputs give a byte-identical zip."""

    Status = WorkStatus

    gold_set = models.ForeignKey(
        "annotate.GoldSet", on_delete=models.CASCADE, related_name="exports"
    )
    split_spec = models.JSONField(help_text="{ratios: {train: .8, ...}, stratify, group}")
    seed = models.IntegerField(default=0)
    with_media = models.BooleanField(
        default=False,
        help_text="The clips' proxy videos are in the zip, at media/<name>.<ext> (where the "
        "ELAN files point), as with export_goldset --with-media.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    file = models.CharField(max_length=255, blank=True, help_text="Storage name of the zip.")
    sha256 = models.CharField(max_length=64, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True, help_text="Counts per label per split.")
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"export of {self.gold_set} (seed {self.seed})"
