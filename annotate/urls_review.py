"""Routes of the review pages (included by annotate/urls.py)."""

urlpatterns: list = []
