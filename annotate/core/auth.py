"""login_required for pages that htmx talks to: an htmx request of an expired session gets an
answer the page can swap in (each page says what), not a login page inside a fragment."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse


def htmx_login_required(on_expired: Callable[[HttpRequest], HttpResponse]):
    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if request.user.is_authenticated:
                return view(request, *args, **kwargs)
            if request.htmx:
                return on_expired(request)
            return redirect_to_login(request.get_full_path())

        return wrapper

    return decorator
