"""Routes of the audit pages (included by annotate/urls.py)."""

from django.urls import path

from annotate.views import audit

urlpatterns = [
    path("p/<slug:slug>/c/<str:name>/history/", audit.clip_history, name="clip-history"),
    path("p/<slug:slug>/audit.csv", audit.project_audit_export, {"fmt": "csv"},
         name="project-audit-csv"),
    path("p/<slug:slug>/audit.json", audit.project_audit_export, {"fmt": "json"},
         name="project-audit-json"),
]
