"""Routes of gold sets and their exports: pages and API."""

from django.urls import path

from annotate.goldsets import api, views

_VERSION = "api/projects/<slug:slug>/goldsets/<int:version>/"

urlpatterns = [
    path("p/<slug:slug>/gold/", views.goldset_list, name="goldset-list"),
    path("p/<slug:slug>/gold/freeze/", views.goldset_freeze, name="goldset-freeze"),
    path("p/<slug:slug>/gold/v<int:version>/", views.goldset_detail, name="goldset-detail"),
    path(
        "p/<slug:slug>/gold/v<int:version>/exports/", views.goldset_exports, name="goldset-exports"
    ),
    path(
        "p/<slug:slug>/gold/v<int:version>/exports/<int:export_id>.zip",
        views.export_download,
        name="goldset-export-download",
    ),
    path(
        "api/projects/<slug:slug>/goldsets/", api.GoldSetListApi.as_view(), name="api-goldset-list"
    ),
    path(_VERSION, api.GoldSetDetailApi.as_view(), name="api-goldset-detail"),
    path(_VERSION + "items/", api.GoldSetItemListApi.as_view(), name="api-goldset-items"),
    path(_VERSION + "exports/", api.ExportListApi.as_view(), name="api-export-list"),
    path(
        _VERSION + "exports/<int:export_id>/",
        api.ExportDetailApi.as_view(),
        name="api-export-detail",
    ),
    path(
        _VERSION + "exports/<int:export_id>/download/",
        api.ExportDownloadApi.as_view(),
        name="api-export-download",
    ),
]
