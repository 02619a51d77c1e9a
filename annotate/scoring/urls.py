"""Routes of scoring: score jobs of uploaded cue files and the live leaderboard, pages and API."""

from django.urls import path

from annotate.scoring import api, views

_ROW = "p/<slug:slug>/leaderboard/<int:row_id>/"

urlpatterns = [
    path("p/<slug:slug>/scores/", views.score_list, name="score-list"),
    path("p/<slug:slug>/scores/rows/", views.score_rows, name="score-rows"),
    path("p/<slug:slug>/scores/new/", views.score_create, name="score-create"),
    path("p/<slug:slug>/leaderboard/", views.leaderboard_page, name="leaderboard"),
    path("p/<slug:slug>/leaderboard/rows/", views.leaderboard_rows, name="leaderboard-rows"),
    path(_ROW, views.leaderboard_row, name="leaderboard-row"),
    path(_ROW + "sample/<str:name>/", views.leaderboard_sample, name="leaderboard-sample"),
    path("api/projects/<slug:slug>/scores/", api.ScoreJobListApi.as_view(), name="api-score-list"),
    path(
        "api/projects/<slug:slug>/scores/<int:job_id>/",
        api.ScoreJobDetailApi.as_view(),
        name="api-score-detail",
    ),
    path(
        "api/projects/<slug:slug>/leaderboard/",
        api.LeaderboardApi.as_view(),
        name="api-leaderboard",
    ),
    path(
        "api/projects/<slug:slug>/leaderboard/learned/",
        api.LearnedComparisonApi.as_view(),
        name="api-leaderboard-learned",
    ),
    path(
        "api/projects/<slug:slug>/leaderboard/<int:row_id>/",
        api.LeaderboardRowApi.as_view(),
        name="api-leaderboard-row",
    ),
]
