from django.contrib import admin

from annotate.models import Clip, Cue, CueEmbedding, Membership, ModelRun, Project, Proposal, ScoreJob


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
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
class ClipAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "status", "duration_ms", "width", "height", "has_audio",
                    "proxy_mode", "created_at"]
    list_filter = ["status", "project", "has_audio"]
    search_fields = ["name", "original_filename", "sha256", "group_key"]
    list_select_related = ["project"]
    readonly_fields = ["uid", "sha256", "size_bytes", "source", "ingest_attempts", "ingested_at",
                       "ingest_seconds", "created_at", "updated_at"]


class CueInline(admin.TabularInline):
    model = Cue
    extra = 0
    fields = ["position", "modality", "kind", "text", "start_ms", "end_ms", "confidence", "decision"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True


@admin.register(ModelRun)
class ModelRunAdmin(admin.ModelAdmin):
    list_display = ["__str__", "project", "proposer", "version", "status", "created_at", "finished_at"]
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
