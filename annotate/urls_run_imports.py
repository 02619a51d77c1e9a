"""Routes for importing a model's results as a run (included by annotate/urls.py)."""

from django.urls import path

from annotate.api.run_imports import RunImportApi
from annotate.views import run_imports

urlpatterns: list = [
    path("p/<slug:slug>/runs/import/", run_imports.run_import_page, name="run-import"),
    path("api/projects/<slug:slug>/runs/import/", RunImportApi.as_view(), name="api-run-import"),
]
