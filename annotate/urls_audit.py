"""Routes of the audit pages (included by annotate/urls.py)."""

urlpatterns: list = []
