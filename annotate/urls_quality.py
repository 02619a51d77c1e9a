"""Routes of the quality pages (included by annotate/urls.py)."""

from django.urls import path

from annotate.views import quality

urlpatterns: list = [
    path("p/<slug:slug>/quality/", quality.quality_page, name="quality"),
    path("p/<slug:slug>/quality/body/", quality.quality_body, name="quality-body"),
]
