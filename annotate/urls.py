"""Every route of the app, one include per capability (each capability's urls.py lists its
pages, htmx endpoints and API). No two capabilities' routes overlap
(tests/annotate/test_routes.py), so the order only decides how many patterns a request is
tried against: annotating (the timeline's page, fragments and cue saves, most of the traffic
under load) comes first, which saves about 0.5% of a request's instructions
(bench/instructions.py)."""

from django.urls import include, path

urlpatterns = [
    path("", include("annotate.annotation.urls")),
    path("", include("annotate.home.urls")),
    path("", include("annotate.core.urls")),
    path("", include("annotate.clips.urls")),
    path("", include("annotate.runs.urls")),
    path("", include("annotate.review.urls")),
    path("", include("annotate.goldsets.urls")),
    path("", include("annotate.learning.urls")),
    path("", include("annotate.scoring.urls")),
]
