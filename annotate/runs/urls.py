"""Routes of model runs: the run table and pages, imports of outside results, and their API."""

from django.urls import path

from annotate.runs import api, views

_API_RUN = "api/projects/<slug:slug>/runs/<int:run_id>/"

urlpatterns = [
    path("p/<slug:slug>/runs/rows/", views.run_rows, name="run-rows"),
    path("p/<slug:slug>/runs/start/", views.run_start, name="run-start"),
    path("p/<slug:slug>/runs/import/", views.run_import_page, name="run-import"),
    path("p/<slug:slug>/runs/<int:run_id>/", views.run_detail, name="run-detail"),
    path("p/<slug:slug>/runs/<int:run_id>/<str:action>/", views.run_action, name="run-action"),
    path("api/projects/<slug:slug>/runs/", api.RunListApi.as_view(), name="api-run-list"),
    path(
        "api/projects/<slug:slug>/runs/import/", api.RunImportApi.as_view(), name="api-run-import"
    ),
    path(_API_RUN, api.RunDetailApi.as_view(), name="api-run-detail"),
    path(_API_RUN + "cancel/", api.RunCancelApi.as_view(), name="api-run-cancel"),
    path(_API_RUN + "retry/", api.RunRetryApi.as_view(), name="api-run-retry"),
    path(_API_RUN + "rerun/", api.RunRerunApi.as_view(), name="api-run-rerun"),
    path(_API_RUN + "proposals/", api.ProposalListApi.as_view(), name="api-run-proposals"),
    path(
        _API_RUN + "proposals/<str:name>/", api.ProposalDetailApi.as_view(), name="api-run-proposal"
    ),
]
