"""Routes of annotating (the timeline and its htmx writes), assignment slots, and their API.
annotate/next/ and annotations/next/ come before the clip routes: a clip named "next" is
reached by the clip's own links only."""

from django.urls import path

from annotate.annotation import api, views

_CLIP = "p/<slug:slug>/annotate/<str:name>/"
_API = "api/projects/<slug:slug>/annotations/<str:name>/"
_SLOT = "p/<slug:slug>/assignments/<int:assignment_id>/"
_API_SLOT = "api/projects/<slug:slug>/assignments/<int:assignment_id>/"

urlpatterns = [
    path("p/<slug:slug>/annotate/next/", views.annotate_next, name="annotate-next"),
    path(_CLIP, views.timeline_page, name="timeline"),
    path(_CLIP + "view/", views.timeline_view, name="timeline-view"),
    path(_CLIP + "workspace/", views.timeline_workspace, name="timeline-workspace"),
    path(_CLIP + "cues/new/", views.cue_create, name="timeline-cue-new"),
    path(_CLIP + "cues/<int:cue_id>/<str:action>/", views.cue_action, name="timeline-cue-action"),
    path(_CLIP + "undo/", views.annotation_undo, name="timeline-undo"),
    path(_CLIP + "save/", views.annotation_save, name="timeline-save"),
    path(_CLIP + "submit/", views.annotation_submit, name="timeline-submit"),
    path("p/<slug:slug>/assignments/", views.assignment_board, name="assignment-board"),
    path(_SLOT + "reassign/", views.assignment_reassign, name="assignment-reassign"),
    path(_SLOT + "release/", views.assignment_release, name="assignment-release"),
    path(
        "api/projects/<slug:slug>/annotations/",
        api.AnnotationListApi.as_view(),
        name="api-annotation-list",
    ),
    path(
        "api/projects/<slug:slug>/annotations/next/",
        api.AnnotationNextApi.as_view(),
        name="api-annotation-next",
    ),
    path(_API, api.AnnotationDetailApi.as_view(), name="api-annotation-detail"),
    path(_API + "submit/", api.AnnotationSubmitApi.as_view(), name="api-annotation-submit"),
    path(_API + "undo/", api.AnnotationUndoApi.as_view(), name="api-annotation-undo"),
    path(_API + "cues/", api.CueListApi.as_view(), name="api-cue-list"),
    path(_API + "cues/<int:cue_id>/", api.CueDetailApi.as_view(), name="api-cue-detail"),
    path(_API + "cues/<int:cue_id>/accept/", api.CueAcceptApi.as_view(), name="api-cue-accept"),
    path(_API + "cues/<int:cue_id>/reject/", api.CueRejectApi.as_view(), name="api-cue-reject"),
    path(
        "api/projects/<slug:slug>/assignments/",
        api.AssignmentListApi.as_view(),
        name="api-assignment-list",
    ),
    path(
        _API_SLOT + "reassign/", api.AssignmentReassignApi.as_view(), name="api-assignment-reassign"
    ),
    path(_API_SLOT + "release/", api.AssignmentReleaseApi.as_view(), name="api-assignment-release"),
]
