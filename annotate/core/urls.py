"""Routes of projects, members and the audit trail."""

from django.urls import path

from annotate.core import api, views

urlpatterns = [
    path(
        "p/<slug:slug>/audit.csv",
        views.project_audit_export,
        {"fmt": "csv"},
        name="project-audit-csv",
    ),
    path(
        "p/<slug:slug>/audit.json",
        views.project_audit_export,
        {"fmt": "json"},
        name="project-audit-json",
    ),
    path("api/projects/", api.ProjectListApi.as_view(), name="api-project-list"),
    path("api/projects/<slug:slug>/", api.ProjectDetailApi.as_view(), name="api-project-detail"),
    path("api/projects/<slug:slug>/members/", api.MemberListApi.as_view(), name="api-member-list"),
    path(
        "api/projects/<slug:slug>/members/<str:username>/",
        api.MemberDetailApi.as_view(),
        name="api-member-detail",
    ),
    path("api/projects/<slug:slug>/audit/", api.ProjectAuditApi.as_view(), name="api-audit"),
]
