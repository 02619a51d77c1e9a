"""API routes for a project's detail, its members, and annotating (included by annotate/urls.py).
annotations/next/ comes before annotations/<name>/: a clip named "next" is reached by the pages
only."""

from django.urls import path

from annotate.api import annotations as annotations_api
from annotate.api import members as members_api

_ANNOTATION = "api/projects/<slug:slug>/annotations/<str:name>/"

urlpatterns: list = [
    path("api/projects/<slug:slug>/", members_api.ProjectDetailApi.as_view(),
         name="api-project-detail"),
    path("api/projects/<slug:slug>/members/", members_api.MemberListApi.as_view(),
         name="api-member-list"),
    path("api/projects/<slug:slug>/members/<str:username>/", members_api.MemberDetailApi.as_view(),
         name="api-member-detail"),
    path("api/projects/<slug:slug>/annotations/", annotations_api.AnnotationListApi.as_view(),
         name="api-annotation-list"),
    path("api/projects/<slug:slug>/annotations/next/", annotations_api.AnnotationNextApi.as_view(),
         name="api-annotation-next"),
    path(_ANNOTATION, annotations_api.AnnotationDetailApi.as_view(), name="api-annotation-detail"),
    path(_ANNOTATION + "submit/", annotations_api.AnnotationSubmitApi.as_view(),
         name="api-annotation-submit"),
    path(_ANNOTATION + "undo/", annotations_api.AnnotationUndoApi.as_view(),
         name="api-annotation-undo"),
    path(_ANNOTATION + "cues/", annotations_api.CueListApi.as_view(), name="api-cue-list"),
    path(_ANNOTATION + "cues/<int:cue_id>/", annotations_api.CueDetailApi.as_view(),
         name="api-cue-detail"),
    path(_ANNOTATION + "cues/<int:cue_id>/accept/", annotations_api.CueAcceptApi.as_view(),
         name="api-cue-accept"),
    path(_ANNOTATION + "cues/<int:cue_id>/reject/", annotations_api.CueRejectApi.as_view(),
         name="api-cue-reject"),
]
