"""API routes for clip retry, assignment slots, quality and the audit trail (included by
annotate/urls.py)."""

from django.urls import path

from annotate.api import oversight as api

urlpatterns: list = [
    path("api/projects/<slug:slug>/clips/<str:name>/retry/", api.ClipRetryApi.as_view(),
         name="api-clip-retry"),
    path("api/projects/<slug:slug>/clips/<str:name>/history/", api.ClipHistoryApi.as_view(),
         name="api-clip-history"),
    path("api/projects/<slug:slug>/assignments/", api.AssignmentListApi.as_view(),
         name="api-assignment-list"),
    path("api/projects/<slug:slug>/assignments/<int:assignment_id>/reassign/",
         api.AssignmentReassignApi.as_view(), name="api-assignment-reassign"),
    path("api/projects/<slug:slug>/assignments/<int:assignment_id>/release/",
         api.AssignmentReleaseApi.as_view(), name="api-assignment-release"),
    path("api/projects/<slug:slug>/quality/", api.QualityApi.as_view(), name="api-quality"),
    path("api/projects/<slug:slug>/audit/", api.ProjectAuditApi.as_view(), name="api-audit"),
]
