"""Learned proposers: a cue filter and an emotion model trained on a base run's observations
against a frozen gold set's training split, stored as one artefact (docs/learning.md)."""

from django.conf import settings
from django.db import models

from annotate.core.models import WorkStatus


class LearnedProposer(models.Model):
    """One training of `signals+learned`: what it learned from (a finished base run, a gold set
    version, the split with its seed, the hash of the training data) and the artefact it made.
    Numbered per project (#1, #2, ...); a done one never changes."""

    Status = WorkStatus

    project = models.ForeignKey(
        "annotate.Project", on_delete=models.CASCADE, related_name="learned_proposers"
    )
    number = models.PositiveIntegerField(help_text="#1, #2, ... within the project.")
    base_run = models.ForeignKey(
        "annotate.ModelRun",
        null=True,
        on_delete=models.SET_NULL,
        related_name="learned_proposers",
        help_text="The finished run whose observations it learned from.",
    )
    base_version = models.CharField(max_length=64, help_text="The base run's proposer version.")
    gold_set = models.ForeignKey(
        "annotate.GoldSet", on_delete=models.CASCADE, related_name="learned_proposers"
    )
    ratios = models.JSONField(help_text='The split asked for, e.g. {"train": 0.8, "test": 0.2}.')
    seed = models.IntegerField(default=0)
    split = models.JSONField(
        default=dict,
        blank=True,
        help_text='{split name: [clip names]}: "train" is learned from, every other part is '
        "held out.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    progress_stage = models.CharField(max_length=64, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    training_sha256 = models.CharField(
        max_length=64, blank=True, help_text="Of the training data: inputs and gold labels."
    )
    artefact = models.CharField(max_length=255, blank=True, help_text="Storage name of the model.")
    artefact_sha256 = models.CharField(max_length=64, blank=True)
    report = models.JSONField(
        default=dict, blank=True, help_text="Training counts, the cue rules and their keep rates."
    )
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["project_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "number"], name="learned_proposer_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"signals+learned #{self.number}"

    @property
    def is_settled(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def training_clips(self) -> list[str]:
        return list((self.split or {}).get("train", []))

    @property
    def heldout_clips(self) -> list[str]:
        return sorted(
            name for part, names in (self.split or {}).items() if part != "train" for name in names
        )
