import os

import pytest
from django.db import connection
from django.db.backends.base.creation import TEST_DATABASE_PREFIX

# Playwright's sync API runs an event loop in this thread; the ORM calls beside it are sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "1")

CHROMIUM = os.environ.get("EMOCUE_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def require_services(settings):
    """Integration tests run against the real services; say plainly when they are missing."""
    assert connection.vendor == "postgresql", (
        "integration tests need PostgreSQL: set DATABASE_URL (./studio.sh test does)"
    )
    assert settings.CELERY_BROKER_URL.startswith("redis://"), (
        "integration tests need Redis: set CELERY_BROKER_URL (./studio.sh test does)"
    )


# Reported by every page of a watched context: whatever the Content-Security-Policy blocks (an
# inline script, an on* attribute, eval, an injected <style>, a source it does not allow).
_CSP_WATCH = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error("CSP violation: " + event.violatedDirective + " blocked " +
    (event.blockedURI || "inline") + " at " + event.sourceFile + ":" + event.lineNumber +
    " " + (event.sample || ""));
}, true);
"""


class CSPWatchedBrowser:
    """The browser, with every context it opens watched for CSP violations: a browser test
    fails when a page it visited broke the policy (an inline script added to a template, an
    hx-on attribute), even if the page looked right."""

    def __init__(self, browser):
        self._browser = browser
        self._contexts = []
        self.csp_violations: list[str] = []

    def new_context(self, **kwargs):
        context = self._browser.new_context(**kwargs)
        context.add_init_script(_CSP_WATCH)
        context.on("console", self._on_console)
        self._contexts.append(context)
        return context

    def new_page(self, **kwargs):
        return self.new_context(**kwargs).new_page()

    def _on_console(self, message):
        if message.type == "error" and message.text.startswith("CSP violation"):
            where = message.page.url if message.page else "?"
            self.csp_violations.append(f"{where}: {message.text}")

    def flush(self):
        """Let the events of pages still open arrive (the sync API delivers them on a call)."""
        for context in self._contexts:
            for page in context.pages:
                try:
                    page.evaluate("0")
                except Exception:  # a page closing or navigating away: nothing left to say
                    pass

    def __getattr__(self, name):
        return getattr(self._browser, name)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        watched = CSPWatchedBrowser(browser)
        yield watched
        watched.flush()
        browser.close()
        assert watched.csp_violations == [], "the page broke its Content-Security-Policy"


@pytest.fixture(scope="session", autouse=True)
def _end_live_server_sessions(django_db_setup, django_db_blocker):
    """The live server's request threads are daemons: one still parked on a keep-alive
    socket when the session ends leaves its connection open, and PostgreSQL then refuses to
    drop the test database. End those sessions before the drop."""
    yield
    # pytest-django creates the test database only when a collected test uses the database;
    # without one (the embedded-mode tests alone) the connection names a database that may not
    # exist, and there is nothing to drop.
    if connection.vendor != "postgresql" or not connection.settings_dict["NAME"].startswith(
        TEST_DATABASE_PREFIX
    ):
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
