"""Routes of learned proposers: pages and API."""

from django.urls import path

from annotate.learning import api, views

_API = "api/projects/<slug:slug>/learned/"

urlpatterns = [
    path("p/<slug:slug>/learned/", views.learned_list, name="learned-list"),
    path("p/<slug:slug>/learned/train/", views.learned_train, name="learned-train"),
    path("p/<slug:slug>/learned/<int:number>/", views.learned_detail, name="learned-detail"),
    path("p/<slug:slug>/learned/<int:number>/run/", views.learned_run, name="learned-run"),
    path(_API, api.LearnedProposerListApi.as_view(), name="api-learned-list"),
    path(_API + "<int:number>/", api.LearnedProposerDetailApi.as_view(), name="api-learned-detail"),
    path(_API + "<int:number>/runs/", api.LearnedRunApi.as_view(), name="api-learned-run"),
]
