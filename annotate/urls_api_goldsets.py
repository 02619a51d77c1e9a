"""API routes for gold sets, their exports and the leaderboard (included by annotate/urls.py)."""

from django.urls import path

from annotate.api import goldsets as api

_VERSION = "api/projects/<slug:slug>/goldsets/<int:version>/"

urlpatterns: list = [
    path("api/projects/<slug:slug>/goldsets/", api.GoldSetListApi.as_view(),
         name="api-goldset-list"),
    path(_VERSION, api.GoldSetDetailApi.as_view(), name="api-goldset-detail"),
    path(_VERSION + "items/", api.GoldSetItemListApi.as_view(), name="api-goldset-items"),
    path(_VERSION + "exports/", api.ExportListApi.as_view(), name="api-export-list"),
    path(_VERSION + "exports/<int:export_id>/", api.ExportDetailApi.as_view(),
         name="api-export-detail"),
    path(_VERSION + "exports/<int:export_id>/download/", api.ExportDownloadApi.as_view(),
         name="api-export-download"),
    path("api/projects/<slug:slug>/leaderboard/", api.LeaderboardApi.as_view(),
         name="api-leaderboard"),
    path("api/projects/<slug:slug>/leaderboard/<int:row_id>/", api.LeaderboardRowApi.as_view(),
         name="api-leaderboard-row"),
]
