from django.contrib import admin

from annotate.annotation.models import Annotation, AnnotationEvent, Assignment
from annotate.clips.models import Clip
from annotate.core.deletion import rows_delete
from annotate.core.models import AuditEvent, CueEmbedding, Membership, Project
from annotate.goldsets.models import Export, GoldSet, GoldSetItem
from annotate.learning.models import LearnedProposer
from annotate.review.models import (
    ClipAlignment,
    GoldCue,
    GoldRecord,
    ReviewComment,
    ReviewDecision,
)
from annotate.runs.models import Cue, ModelRun, Proposal, ProposerCalibration
from annotate.scoring.models import RunScore, ScoreJob


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class BatchedDeleteAdmin(admin.ModelAdmin):
    """Deletes in batches of ids (annotate.core.deletion), so that a project or clip with more
    rows than SQLite takes in one statement can still be deleted."""

    def delete_model(self, request, obj):
        rows_delete(type(obj)._base_manager.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        rows_delete(queryset)


@admin.register(Project)
class ProjectAdmin(BatchedDeleteAdmin):
    list_display = ["name", "slug", "annotators_per_clip", "blind_mode", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["project", "user", "role"]
    list_filter = ["role", "project"]
    search_fields = ["user__username", "project__name"]
    list_select_related = ["project", "user"]
    autocomplete_fields = ["user", "project"]


@admin.register(Clip)
class ClipAdmin(BatchedDeleteAdmin):
    list_display = [
        "name",
        "project",
        "status",
        "duration_ms",
        "width",
        "height",
        "has_audio",
        "proxy_mode",
        "created_at",
    ]
    list_filter = ["status", "project", "has_audio", "subtitle_source", "subtitle_ocr_status"]
    search_fields = ["name", "original_filename", "sha256", "group_key"]
    list_select_related = ["project"]
    readonly_fields = [
        "uid",
        "sha256",
        "size_bytes",
        "source",
        "ingest_attempts",
        "ingested_at",
        "ingest_seconds",
        # a correction names the version it read: the clip page and the API count it
        "subtitle_version",
        "subtitle_ocr_at",
        "created_at",
        "updated_at",
    ]


class CueInline(admin.TabularInline):
    model = Cue
    extra = 0
    fields = [
        "position",
        "modality",
        "kind",
        "text",
        "start_ms",
        "end_ms",
        "confidence",
        "decision",
    ]
    readonly_fields = fields
    can_delete = False
    show_change_link = True


@admin.register(ModelRun)
class ModelRunAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "project",
        "proposer",
        "version",
        "status",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "proposer", "project"]
    list_select_related = ["project"]
    raw_id_fields = ["previous"]


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    list_display = ["clip", "run", "status", "attempts", "model_version", "finished_at"]
    list_filter = ["status", "run__proposer"]
    search_fields = ["clip__name", "error"]
    list_select_related = ["clip", "run"]
    raw_id_fields = ["run", "clip"]
    readonly_fields = ["claim", "attempts", "started_at", "finished_at", "timings"]
    inlines = [CueInline]


@admin.register(Cue)
class CueAdmin(admin.ModelAdmin):
    list_display = ["text", "clip", "modality", "kind", "start_ms", "end_ms", "origin", "decision"]
    list_filter = ["modality", "kind", "origin", "decision"]
    search_fields = ["text", "clip__name"]
    list_select_related = ["clip"]
    raw_id_fields = ["clip", "proposal", "derived_from"]


@admin.register(ScoreJob)
class ScoreJobAdmin(admin.ModelAdmin):
    list_display = ["__str__", "project", "mode", "status", "created_at", "finished_at"]
    list_filter = ["status", "mode", "project"]
    readonly_fields = ["result", "error", "started_at", "finished_at"]


@admin.register(CueEmbedding)
class CueEmbeddingAdmin(admin.ModelAdmin):
    list_display = ["text_sha256", "model_id", "dim", "created_at"]
    list_filter = ["model_id"]
    readonly_fields = ["model_id", "text_sha256", "dim", "vector", "created_at"]


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    list_display = ["clip", "annotator", "status", "primary_label", "version", "updated_at"]
    list_filter = ["status", "clip__project"]
    search_fields = ["clip__name", "annotator__username", "description"]
    list_select_related = ["clip", "annotator"]
    raw_id_fields = ["clip", "annotator", "run"]


@admin.register(AnnotationEvent)
class AnnotationEventAdmin(admin.ModelAdmin):
    list_display = ["annotation", "action", "actor", "undone", "at"]
    list_filter = ["action"]
    raw_id_fields = ["annotation", "cue", "actor"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["clip", "slot", "status", "annotator", "lease_expires_at", "completed_at"]
    list_filter = ["status", "project"]
    search_fields = ["clip__name", "annotator__username"]
    list_select_related = ["clip", "annotator"]
    raw_id_fields = ["clip", "annotator", "annotation", "assigned_by"]


class GoldCueInline(admin.TabularInline):
    model = GoldCue
    extra = 0
    fields = ["modality", "text", "start_ms", "end_ms", "how", "source_cues"]


@admin.register(GoldRecord)
class GoldRecordAdmin(admin.ModelAdmin):
    list_display = ["clip", "status", "primary_label", "reviewer", "auto_promoted", "finalized_at"]
    list_filter = ["status", "auto_promoted", "clip__project"]
    search_fields = ["clip__name", "description"]
    list_select_related = ["clip", "reviewer"]
    raw_id_fields = ["clip", "reviewer"]
    inlines = [GoldCueInline]


@admin.register(GoldCue)
class GoldCueAdmin(admin.ModelAdmin):
    list_display = ["text", "record", "modality", "how", "start_ms", "end_ms"]
    list_filter = ["modality", "how"]
    raw_id_fields = ["record"]


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(admin.ModelAdmin):
    list_display = ["record", "group_key", "modality", "action", "reviewer", "at"]
    list_filter = ["action", "modality"]
    raw_id_fields = ["record", "gold_cue", "reviewer"]


@admin.register(ReviewComment)
class ReviewCommentAdmin(admin.ModelAdmin):
    list_display = ["clip", "author", "time_ms", "text", "created_at", "resolved_at"]
    raw_id_fields = ["clip", "author", "cue"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is never edited, not even by a superuser in the admin."""

    list_display = ["at", "project", "clip", "actor", "object_type", "object_id", "action"]
    list_filter = ["object_type", "action", "project"]
    search_fields = ["clip__name", "actor__username"]
    list_select_related = ["project", "clip", "actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Frozen data: shown, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(GoldSet)
class GoldSetAdmin(_ReadOnlyAdmin):
    list_display = ["project", "version", "frozen_at", "frozen_by", "content_sha256"]
    list_filter = ["project"]


@admin.register(GoldSetItem)
class GoldSetItemAdmin(_ReadOnlyAdmin):
    list_display = ["name", "gold_set", "primary_label", "record_version"]
    list_filter = ["gold_set__project"]
    search_fields = ["name"]
    list_select_related = ["gold_set"]


@admin.register(ClipAlignment)
class ClipAlignmentAdmin(_ReadOnlyAdmin):
    """Computed by a cpu worker; deleting a row only makes the next queue load ask again."""

    list_display = ["__str__", "clip", "model_id", "computed_at", "queued_at"]
    list_filter = ["clip__project"]
    raw_id_fields = ["clip"]
    list_select_related = ["clip"]


@admin.register(ProposerCalibration)
class ProposerCalibrationAdmin(_ReadOnlyAdmin):
    """Fitted by a cpu worker from annotators' decisions; deleting a row only makes the
    timeline show claimed confidences until the next refit."""

    list_display = ["__str__", "project", "n", "ece_before", "ece_after", "fitted_at"]
    list_filter = ["project", "proposer", "kind"]


@admin.register(LearnedProposer)
class LearnedProposerAdmin(_ReadOnlyAdmin):
    """Trained by a cpu worker; its artefact in storage is named by its sha256. Deleting a row
    leaves its runs (they name the artefact themselves) and the file."""

    list_display = ["__str__", "project", "status", "gold_set", "seed", "artefact_sha256"]
    list_filter = ["project", "status"]


@admin.register(RunScore)
class RunScoreAdmin(admin.ModelAdmin):
    list_display = ["__str__", "project", "status", "stale", "generation", "computed_at"]
    list_filter = ["status", "stale", "project"]
    raw_id_fields = ["run", "annotator", "gold_set"]
    readonly_fields = ["result", "samples", "config", "error", "computed_at"]


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "sha256", "size_bytes", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["gold_set", "created_by"]
    readonly_fields = ["file", "sha256", "size_bytes", "report", "error", "finished_at"]
