from django.urls import path

from annotate.api import views as api
from annotate.views import media, pages, runs

urlpatterns = [
    path("", pages.project_list, name="project-list"),
    path("p/<slug:slug>/", pages.project_detail, name="project-detail"),
    path("p/<slug:slug>/clips/rows/", pages.clip_rows, name="clip-rows"),
    path("p/<slug:slug>/upload/", pages.clip_upload, name="clip-upload"),
    path("p/<slug:slug>/c/<str:name>/", pages.clip_detail, name="clip-detail"),
    path("p/<slug:slug>/c/<str:name>/subtitles.vtt", pages.clip_subtitles_vtt, name="clip-subtitles"),
    path("p/<slug:slug>/c/<str:name>/retry/", pages.clip_retry, name="clip-retry"),
    path("p/<slug:slug>/c/<str:name>/delete/", pages.clip_delete, name="clip-delete"),
    path("p/<slug:slug>/runs/rows/", runs.run_rows, name="run-rows"),
    path("p/<slug:slug>/runs/start/", runs.run_start, name="run-start"),
    path("p/<slug:slug>/runs/<int:run_id>/", runs.run_detail, name="run-detail"),
    path("p/<slug:slug>/runs/<int:run_id>/<str:action>/", runs.run_action, name="run-action"),
    path("media/<path:path>", media.media_serve, name="media"),
    path("api/projects/", api.ProjectListApi.as_view(), name="api-project-list"),
    path("api/projects/<slug:slug>/clips/", api.ClipListApi.as_view(), name="api-clip-list"),
    path("api/projects/<slug:slug>/clips/<str:name>/", api.ClipDetailApi.as_view(),
         name="api-clip-detail"),
    path("api/projects/<slug:slug>/scores/", api.ScoreJobListApi.as_view(), name="api-score-list"),
    path("api/projects/<slug:slug>/scores/<int:job_id>/", api.ScoreJobDetailApi.as_view(),
         name="api-score-detail"),
    path("p/<slug:slug>/scores/", pages.score_list, name="score-list"),
    path("p/<slug:slug>/scores/rows/", pages.score_rows, name="score-rows"),
    path("p/<slug:slug>/scores/new/", pages.score_create, name="score-create"),
]
