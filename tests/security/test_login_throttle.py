"""Issue #16, finding 7: 40 wrong passwords and then the right one logged straight in, on the
login page and in the admin alike. Now each password sign-in is counted by user name and by
address (django-axes): past the limit, even the right password is refused with a 429 that says
when to try again, until the cool-off has passed."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.db.models import F
from django.test import override_settings
from django.urls import get_resolver, path, reverse
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken, obtain_auth_token

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests"  # tests.factories.UserFactory's
WRONG_TRIES = 40


def _post_login(client, url, username, password, address="10.0.0.1", headers=None):
    return client.post(
        url, {"username": username, "password": password}, REMOTE_ADDR=address, headers=headers
    )


def _assert_locked_page(response):
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 15 * 60
    body = response.content.decode()
    assert "Too many failed sign-ins" in body and "15 minutes" in body
    assert "Try again after" in body
    assert 'class="topbar"' in body  # the site's layout


@pytest.mark.parametrize("url_name", ["login", "admin:login"])
def test_forty_wrong_passwords_then_the_right_one_is_refused(client, url_name):
    user = UserFactory(username="target", is_staff=True, is_superuser=True)
    url = reverse(url_name)
    for _ in range(WRONG_TRIES):
        assert _post_login(client, url, user.username, "wrong").status_code in (200, 429)
    response = _post_login(client, url, user.username, PASSWORD)
    _assert_locked_page(response)
    assert SESSION_KEY not in client.session  # not signed in
    assert client.get(reverse("project-list")).status_code == 302  # still sent to the login page


def test_the_limit_counts_the_user_name_from_any_address(client, settings):
    user = UserFactory(username="roamer")
    for i in range(settings.AXES_FAILURE_LIMIT):
        _post_login(client, reverse("login"), user.username, "wrong", address=f"10.0.1.{i}")
    response = _post_login(client, reverse("login"), user.username, PASSWORD, address="10.9.9.9")
    _assert_locked_page(response)
    # Another user name from a fresh address is not concerned.
    other = UserFactory(username="bystander")
    response = _post_login(client, reverse("login"), other.username, PASSWORD, address="10.9.9.8")
    assert response.status_code == 302 and client.session[SESSION_KEY] == str(other.pk)


def test_the_limit_counts_the_address_for_any_user_name(client, settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        _post_login(client, reverse("login"), f"guess{i}", "wrong", address="10.0.2.1")
    user = UserFactory(username="colleague")
    response = _post_login(client, reverse("login"), user.username, PASSWORD, address="10.0.2.1")
    _assert_locked_page(response)


def test_under_the_limit_the_right_password_signs_in(client, settings):
    user = UserFactory(username="typo")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _post_login(client, reverse("login"), user.username, "wrong").status_code == 200
    response = _post_login(client, reverse("login"), user.username, PASSWORD)
    assert response.status_code == 302 and client.session[SESSION_KEY] == str(user.pk)


def test_signing_in_to_ones_own_account_does_not_reset_the_count(client, settings):
    # An attacker with an account of their own signs in between guesses at another's password:
    # the guesses still add up, for that user name and for that address.
    own, victim = UserFactory(username="insider"), UserFactory(username="victim")
    for _ in range(settings.AXES_FAILURE_LIMIT * 2):
        _post_login(client, reverse("login"), victim.username, "guess")
        _post_login(client, reverse("login"), own.username, PASSWORD)
        client.logout()
    response = _post_login(client, reverse("login"), victim.username, PASSWORD, "10.7.7.7")
    _assert_locked_page(response)


def test_the_lockout_ends_after_the_cool_off(client, settings):
    user = UserFactory(username="patient")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _post_login(client, reverse("login"), user.username, "wrong")
    assert _post_login(client, reverse("login"), user.username, PASSWORD).status_code == 429
    # The cool-off passes: the last failure is older than it.
    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    response = _post_login(client, reverse("login"), user.username, PASSWORD)
    assert response.status_code == 302 and client.session[SESSION_KEY] == str(user.pk)


@override_settings(EMOCUE_LOGIN_PROXY_COUNT=1)
def test_behind_the_proxy_the_forwarded_address_is_counted(client, settings):
    # Everyone arrives from the proxy's address; the forged first entry is not trusted.
    for i in range(settings.AXES_FAILURE_LIMIT):
        _post_login(
            client,
            reverse("login"),
            f"guess{i}",
            "wrong",
            address="172.16.0.1",
            headers={"X-Forwarded-For": f"1.2.3.{i}, 192.0.2.66"},
        )
    user = UserFactory(username="elsewhere")
    response = _post_login(
        client,
        reverse("login"),
        user.username,
        PASSWORD,
        address="172.16.0.1",
        headers={"X-Forwarded-For": "192.0.2.77"},
    )
    assert response.status_code == 302  # another client behind the same proxy
    response = _post_login(
        client,
        reverse("login"),
        "someone",
        PASSWORD,
        address="172.16.0.1",
        headers={"X-Forwarded-For": "192.0.2.66"},
    )
    assert response.status_code == 429  # the address that failed


def test_a_script_gets_json(client, settings):
    user = UserFactory(username="scripted")
    for _ in range(WRONG_TRIES):
        _post_login(client, reverse("login"), user.username, "wrong")
    response = _post_login(
        client, reverse("login"), user.username, PASSWORD, headers={"Accept": "application/json"}
    )
    assert response.status_code == 429 and response["Retry-After"] == str(15 * 60)
    body = response.json()
    assert body["code"] == "locked_out" and "15 minutes" in body["detail"]
    assert body["failure_limit"] == settings.AXES_FAILURE_LIMIT


# --- token creation ------------------------------------------------------------------------
# The app has no token endpoint: tokens are made on the server (manage.py drf_create_token).
# Should DRF's obtain_auth_token be routed, it signs in through authenticate(request, ...) and
# so through axes, which refuses the right password during a lockout; DRF then answers its own
# 400 "Unable to log in" (axes marks DRF's request object, which its middleware never sees).
urlpatterns = [path("api/auth/token/", obtain_auth_token, name="api-token")]


def test_no_route_creates_tokens_from_a_password():
    def views(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                yield from views(pattern.url_patterns)
            else:
                yield getattr(pattern.callback, "cls", None)

    routed = [v for v in views(get_resolver().url_patterns) if v]
    assert routed and not [v for v in routed if issubclass(v, ObtainAuthToken)]


@override_settings(ROOT_URLCONF=__name__)
def test_forty_wrong_passwords_then_the_right_one_get_no_token(client):
    user = UserFactory(username="apiuser")
    url = reverse("api-token")
    for _ in range(WRONG_TRIES):
        assert _post_login(client, url, user.username, "wrong").status_code == 400
    response = _post_login(client, url, user.username, PASSWORD)
    assert response.status_code == 400 and "token" not in response.json()
    assert not Token.objects.filter(user=user).exists()
