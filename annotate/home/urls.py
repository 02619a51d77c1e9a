"""Routes of the pages that gather every capability: the project list, the project page with
its clip table, and the clip page."""

from django.urls import path

from annotate.home import views

urlpatterns = [
    path("", views.project_list, name="project-list"),
    path("p/<slug:slug>/", views.project_detail, name="project-detail"),
    path("p/<slug:slug>/clips/rows/", views.clip_rows, name="clip-rows"),
    path("p/<slug:slug>/c/<str:name>/", views.clip_detail, name="clip-detail"),
]
