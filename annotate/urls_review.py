"""Routes of the review pages (included by annotate/urls.py)."""

from django.urls import path

from annotate.views import reviews

urlpatterns: list = [
    path("p/<slug:slug>/review/", reviews.review_queue, name="review-queue"),
    path("p/<slug:slug>/review/<str:name>/", reviews.review_page, name="review-clip"),
    path("p/<slug:slug>/review/<str:name>/workspace/", reviews.review_workspace,
         name="review-workspace"),
    path("p/<slug:slug>/review/<str:name>/open/", reviews.review_open, name="review-open"),
    path("p/<slug:slug>/review/<str:name>/comments/", reviews.review_comment,
         name="review-comment"),
    path("p/<slug:slug>/review/<str:name>/comments/<int:comment_id>/resolve/",
         reviews.review_comment_resolve, name="review-comment-resolve"),
    path("p/<slug:slug>/review/<str:name>/<str:action>/", reviews.review_action,
         name="review-action"),
]
