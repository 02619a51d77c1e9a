from django.contrib import admin

from annotate.models import Clip, Membership, Project


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
