"""API routes for model runs and their proposals (included by annotate/urls.py)."""

from django.urls import path

from annotate.api import runs as api

urlpatterns: list = [
    path("api/projects/<slug:slug>/runs/", api.RunListApi.as_view(), name="api-run-list"),
    path("api/projects/<slug:slug>/runs/<int:run_id>/", api.RunDetailApi.as_view(),
         name="api-run-detail"),
    path("api/projects/<slug:slug>/runs/<int:run_id>/cancel/", api.RunCancelApi.as_view(),
         name="api-run-cancel"),
    path("api/projects/<slug:slug>/runs/<int:run_id>/retry/", api.RunRetryApi.as_view(),
         name="api-run-retry"),
    path("api/projects/<slug:slug>/runs/<int:run_id>/rerun/", api.RunRerunApi.as_view(),
         name="api-run-rerun"),
    path("api/projects/<slug:slug>/runs/<int:run_id>/proposals/", api.ProposalListApi.as_view(),
         name="api-run-proposals"),
    path("api/projects/<slug:slug>/runs/<int:run_id>/proposals/<str:name>/",
         api.ProposalDetailApi.as_view(), name="api-run-proposal"),
]
