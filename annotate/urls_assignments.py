"""Routes of the assignments pages (included by annotate/urls.py)."""

from django.urls import path

from annotate.views import assignments

urlpatterns: list = [
    path("p/<slug:slug>/assignments/", assignments.assignment_board, name="assignment-board"),
    path("p/<slug:slug>/assignments/<int:assignment_id>/reassign/", assignments.assignment_reassign,
         name="assignment-reassign"),
    path("p/<slug:slug>/assignments/<int:assignment_id>/release/", assignments.assignment_release,
         name="assignment-release"),
]
