"""Routes of the gold set and export pages (included by annotate/urls.py)."""

from django.urls import path

from annotate.views import goldsets

urlpatterns = [
    path("p/<slug:slug>/gold/", goldsets.goldset_list, name="goldset-list"),
    path("p/<slug:slug>/gold/freeze/", goldsets.goldset_freeze, name="goldset-freeze"),
    path("p/<slug:slug>/gold/v<int:version>/", goldsets.goldset_detail, name="goldset-detail"),
    path("p/<slug:slug>/gold/v<int:version>/exports/", goldsets.goldset_exports,
         name="goldset-exports"),
    path("p/<slug:slug>/gold/v<int:version>/exports/<int:export_id>.zip", goldsets.export_download,
         name="goldset-export-download"),
]
