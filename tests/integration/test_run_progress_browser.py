"""Run progress on the project page, with a real Celery worker (issue #15, point 5): the runs
table polls until it has shown the run's terminal state. A poll that gets no answer (a server
stalled by a lock, a dropped connection) must not freeze it: htmx sets no time limit on a
request by default and queues every later poll of the table behind the one in flight, so
the table stayed at "Running 0/1" long after the run had finished."""

import time

import pytest
from playwright.sync_api import expect

from annotate.clips.models import Clip
from annotate.clips.services import clip_create
from annotate.runs.models import ModelRun
from tests import mediafiles
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.integration.test_worker import worker  # noqa: F401  (the real worker process)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ready_clip(require_services, media_root, tmp_path):
    """A manager's project with one clip, ingested (eagerly) before the worker starts."""
    user = UserFactory(username="lead")
    project = ProjectFactory(name="Progress test", slug="progress-test")
    MembershipFactory(project=project, user=user, role="manager")
    path = mediafiles.make_clip(tmp_path / "talk.mp4", seconds=2.0)
    clip = clip_create(project=project, source=path, filename="talk.mp4")
    clip.refresh_from_db()
    assert clip.status == Clip.Status.READY, clip.error
    return clip


def test_the_runs_table_shows_the_end_of_a_run_whose_first_poll_gets_no_answer(
    ready_clip, live_server, browser, request
):
    process, log = request.getfixturevalue("worker")  # started after the clip is ingested
    page = browser.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "lead")
    page.fill("input[name=password]", "pw-for-tests")
    page.click("button[type=submit]")
    page.click("text=Progress test")

    held = []  # the first poll of the runs table: never answered while the run finishes

    def hold_the_first_poll(route):
        if not held:
            held.append(route)
        else:
            route.continue_()

    page.route("**/p/progress-test/runs/rows/", hold_the_first_poll)
    page.check('input[name=clips][value="talk"]')
    # The worker process knows the real proposers only; tests/annotate/runs registers fakes
    # in this process, which the form would then offer first.
    page.select_option("#run-form select[name=proposer]", "signals")
    page.click("#run-form button[type=submit]")
    running = page.locator('#run-rows tr[data-status="running"][data-total="1"]')
    expect(running).to_be_visible()  # the page has shown the run running

    # (page.wait_for_timeout, not time.sleep: the route handler runs only while Playwright
    # is called.)
    deadline = time.monotonic() + 120
    while not held or ModelRun.objects.filter(status=ModelRun.Status.RUNNING).exists():
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        page.wait_for_timeout(200)

    # The run is over: the table must say so soon, though its first poll is still unanswered.
    finished = page.locator('#run-rows tr[data-status="finished"][data-done="1"][data-total="1"]')
    try:
        expect(finished).to_be_visible(timeout=10_000)
    finally:
        page.unroute("**/p/progress-test/runs/rows/")
        for route in held:
            try:
                route.abort()
            except Exception:  # the page gave up on it already
                pass
    # ... and polling stops there: no poll once the terminal state is shown.
    assert page.get_attribute("#run-rows", "hx-trigger") == "runs-changed from:body"
