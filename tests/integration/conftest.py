import os

import pytest
from django.db import connection

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
        yield browser
        browser.close()


@pytest.fixture(scope="session", autouse=True)
def _end_live_server_sessions(django_db_setup, django_db_blocker):
    """The live server's request threads are daemons: one still parked on a keep-alive
    socket when the session ends leaves its connection open, and PostgreSQL then refuses to
    drop the test database. End those sessions before the drop."""
    yield
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
