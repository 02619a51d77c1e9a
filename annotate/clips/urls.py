"""Routes of clips: upload, subtitles, retry, delete, media, and their API (a clip's history
is routed by review)."""

from django.urls import path

from annotate.clips import api, media, views

_CLIP = "p/<slug:slug>/c/<str:name>/"
_API_CLIP = "api/projects/<slug:slug>/clips/<str:name>/"

urlpatterns = [
    path("p/<slug:slug>/upload/", views.clip_upload, name="clip-upload"),
    path(_CLIP + "subtitles.vtt", views.clip_subtitles_vtt, name="clip-subtitles"),
    path(_CLIP + "retry/", views.clip_retry, name="clip-retry"),
    path(_CLIP + "delete/", views.clip_delete, name="clip-delete"),
    path("media/<path:path>", media.media_serve, name="media"),
    path("api/projects/<slug:slug>/clips/", api.ClipListApi.as_view(), name="api-clip-list"),
    path(_API_CLIP, api.ClipDetailApi.as_view(), name="api-clip-detail"),
    path(_API_CLIP + "retry/", api.ClipRetryApi.as_view(), name="api-clip-retry"),
]
