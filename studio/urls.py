from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic.base import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView


class FaviconRedirect(RedirectView):
    permanent = False  # the hashed name changes with each new icon

    def get_redirect_url(self, *args, **kwargs):
        return static("studio/favicon.ico")  # the storage's URL (hashed in production)


favicon = FaviconRedirect.as_view()

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="registration/login.html"),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (?script): no inline script.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="core/api_docs.html"
        ),
        name="api-docs",
    ),
    # Browsers ask for /favicon.ico on pages that name no icon (the admin, a raw file).
    path("favicon.ico", favicon, name="favicon"),
    path("", include("annotate.urls")),
]

# Error pages in the site's layout, JSON under /api/; a database or broker outage is a 503
# with a message, not a bare 500 (studio/errors.py).
handler403 = "studio.errors.permission_denied"
handler404 = "studio.errors.page_not_found"
handler500 = "studio.errors.server_error"
