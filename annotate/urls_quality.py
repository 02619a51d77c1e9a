"""Routes of the quality pages (included by annotate/urls.py)."""

urlpatterns: list = []
