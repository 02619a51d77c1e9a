"""API routes for reviews: the queue, a clip's review and its writes, comments (included by
annotate/urls.py)."""

from django.urls import path

from annotate.api import reviews as api

_CLIP = "api/projects/<slug:slug>/reviews/<str:name>/"

urlpatterns: list = [
    path("api/projects/<slug:slug>/reviews/", api.ReviewQueueApi.as_view(),
         name="api-review-list"),
    path(_CLIP, api.ReviewDetailApi.as_view(), name="api-review-detail"),
    path(_CLIP + "open/", api.ReviewOpenApi.as_view(), name="api-review-open"),
    path(_CLIP + "groups/<str:key>/accept/", api.ReviewAcceptApi.as_view(),
         name="api-review-accept"),
    path(_CLIP + "groups/<str:key>/reject/", api.ReviewRejectApi.as_view(),
         name="api-review-reject"),
    path(_CLIP + "groups/<str:key>/undo/", api.ReviewUndoApi.as_view(), name="api-review-undo"),
    path(_CLIP + "merge/", api.ReviewMergeApi.as_view(), name="api-review-merge"),
    path(_CLIP + "gold-cues/", api.ReviewGoldCueListApi.as_view(), name="api-review-gold-cues"),
    path(_CLIP + "gold-cues/<int:cue_id>/", api.ReviewGoldCueDetailApi.as_view(),
         name="api-review-gold-cue"),
    path(_CLIP + "labels/", api.ReviewLabelsApi.as_view(), name="api-review-labels"),
    path(_CLIP + "finalize/", api.ReviewFinalizeApi.as_view(), name="api-review-finalize"),
    path(_CLIP + "reopen/", api.ReviewReopenApi.as_view(), name="api-review-reopen"),
    path(_CLIP + "comments/", api.ReviewCommentListApi.as_view(), name="api-review-comments"),
    path(_CLIP + "comments/<int:comment_id>/resolve/", api.ReviewCommentResolveApi.as_view(),
         name="api-review-comment-resolve"),
]
