"""Routes of review (the queue, a clip's review and its writes, comments), the quality page,
and their API."""

from django.urls import path

from annotate.review import api, views

_CLIP = "p/<slug:slug>/review/<str:name>/"
_API = "api/projects/<slug:slug>/reviews/<str:name>/"

urlpatterns = [
    # A clip's history sits under the clip's address, but is review's: see review/views.py.
    path("p/<slug:slug>/c/<str:name>/history/", views.clip_history, name="clip-history"),
    path(
        "api/projects/<slug:slug>/clips/<str:name>/history/",
        api.ClipHistoryApi.as_view(),
        name="api-clip-history",
    ),
    path("p/<slug:slug>/review/", views.review_queue, name="review-queue"),
    path(_CLIP, views.review_page, name="review-clip"),
    path(_CLIP + "workspace/", views.review_workspace, name="review-workspace"),
    path(_CLIP + "open/", views.review_open, name="review-open"),
    path(_CLIP + "comments/", views.review_comment, name="review-comment"),
    path(
        _CLIP + "comments/<int:comment_id>/resolve/",
        views.review_comment_resolve,
        name="review-comment-resolve",
    ),
    path(
        _CLIP + "annotations/<int:annotation_id>/send-back/",
        views.annotation_send_back,
        name="review-send-back",
    ),
    # The annotator's own take-back sits under the timeline's address, but is review's rule.
    path(
        "p/<slug:slug>/annotate/<str:name>/reopen/",
        views.annotation_take_back,
        name="timeline-reopen",
    ),
    path(_CLIP + "<str:action>/", views.review_action, name="review-action"),
    path("p/<slug:slug>/quality/", views.quality_page, name="quality"),
    path("p/<slug:slug>/quality/body/", views.quality_body, name="quality-body"),
    path("api/projects/<slug:slug>/reviews/", api.ReviewQueueApi.as_view(), name="api-review-list"),
    path(_API, api.ReviewDetailApi.as_view(), name="api-review-detail"),
    path(_API + "open/", api.ReviewOpenApi.as_view(), name="api-review-open"),
    path(
        _API + "groups/<str:key>/accept/", api.ReviewAcceptApi.as_view(), name="api-review-accept"
    ),
    path(
        _API + "groups/<str:key>/reject/", api.ReviewRejectApi.as_view(), name="api-review-reject"
    ),
    path(_API + "groups/<str:key>/undo/", api.ReviewUndoApi.as_view(), name="api-review-undo"),
    path(_API + "merge/", api.ReviewMergeApi.as_view(), name="api-review-merge"),
    path(_API + "gold-cues/", api.ReviewGoldCueListApi.as_view(), name="api-review-gold-cues"),
    path(
        _API + "gold-cues/<int:cue_id>/",
        api.ReviewGoldCueDetailApi.as_view(),
        name="api-review-gold-cue",
    ),
    path(_API + "labels/", api.ReviewLabelsApi.as_view(), name="api-review-labels"),
    path(_API + "finalize/", api.ReviewFinalizeApi.as_view(), name="api-review-finalize"),
    path(_API + "reopen/", api.ReviewReopenApi.as_view(), name="api-review-reopen"),
    path(
        _API + "annotations/<int:annotation_id>/send-back/",
        api.ReviewSendBackApi.as_view(),
        name="api-review-send-back",
    ),
    path(
        "api/projects/<slug:slug>/annotations/<str:name>/reopen/",
        api.AnnotationTakeBackApi.as_view(),
        name="api-annotation-reopen",
    ),
    path(_API + "comments/", api.ReviewCommentListApi.as_view(), name="api-review-comments"),
    path(
        _API + "comments/<int:comment_id>/resolve/",
        api.ReviewCommentResolveApi.as_view(),
        name="api-review-comment-resolve",
    ),
    path("api/projects/<slug:slug>/quality/", api.QualityApi.as_view(), name="api-quality"),
]
