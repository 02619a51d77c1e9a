"""Routes of clips: upload, subtitles (the track, the clip page's card and the timeline's lane,
a manager's correction, replacement and reading from the picture), retry, delete, media, and
their API (a clip's history is routed by review)."""

from django.urls import path

from annotate.clips import api, media, views

_CLIP = "p/<slug:slug>/c/<str:name>/"
_API_CLIP = "api/projects/<slug:slug>/clips/<str:name>/"

urlpatterns = [
    path("p/<slug:slug>/upload/", views.clip_upload, name="clip-upload"),
    path(_CLIP + "subtitles.vtt", views.clip_subtitles_vtt, name="clip-subtitles"),
    path(_CLIP + "subtitle/", views.clip_subtitle_card, name="clip-subtitle"),
    path(_CLIP + "subtitle/lane/", views.clip_subtitle_lane, name="clip-subtitle-lane"),
    path(_CLIP + "subtitle/correct/", views.clip_subtitle_correct, name="clip-subtitle-correct"),
    path(_CLIP + "subtitle/file/", views.clip_subtitle_replace, name="clip-subtitle-replace"),
    path(_CLIP + "subtitle/read/", views.clip_subtitle_read, name="clip-subtitle-read"),
    path(_CLIP + "retry/", views.clip_retry, name="clip-retry"),
    path(_CLIP + "delete/", views.clip_delete, name="clip-delete"),
    path("media/<path:path>", media.media_serve, name="media"),
    path("api/projects/<slug:slug>/clips/", api.ClipListApi.as_view(), name="api-clip-list"),
    path(_API_CLIP, api.ClipDetailApi.as_view(), name="api-clip-detail"),
    path(_API_CLIP + "retry/", api.ClipRetryApi.as_view(), name="api-clip-retry"),
    path(_API_CLIP + "subtitle/", api.ClipSubtitleApi.as_view(), name="api-clip-subtitle"),
    path(
        _API_CLIP + "subtitle/file/",
        api.ClipSubtitleFileApi.as_view(),
        name="api-clip-subtitle-file",
    ),
    path(
        _API_CLIP + "subtitle/read/",
        api.ClipSubtitleReadApi.as_view(),
        name="api-clip-subtitle-read",
    ),
]
