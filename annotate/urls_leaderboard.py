"""Routes of the leaderboard (included by annotate/urls.py)."""

from django.urls import path

from annotate.views import leaderboard

urlpatterns: list = [
    path("p/<slug:slug>/leaderboard/", leaderboard.leaderboard_page, name="leaderboard"),
    path("p/<slug:slug>/leaderboard/rows/", leaderboard.leaderboard_rows, name="leaderboard-rows"),
    path("p/<slug:slug>/leaderboard/<int:row_id>/", leaderboard.leaderboard_row,
         name="leaderboard-row"),
    path("p/<slug:slug>/leaderboard/<int:row_id>/sample/<str:name>/",
         leaderboard.leaderboard_sample, name="leaderboard-sample"),
]
