"""Every route of the app, one include per capability (each capability's urls.py lists its
pages, htmx endpoints and API)."""

from django.urls import include, path

urlpatterns = [
    path("", include("annotate.home.urls")),
    path("", include("annotate.core.urls")),
    path("", include("annotate.clips.urls")),
    path("", include("annotate.runs.urls")),
    path("", include("annotate.annotation.urls")),
    path("", include("annotate.review.urls")),
    path("", include("annotate.goldsets.urls")),
    path("", include("annotate.scoring.urls")),
]
