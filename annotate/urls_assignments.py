"""Routes of the assignments pages (included by annotate/urls.py)."""

urlpatterns: list = []
