"""Headless Chromium on a run page's calibration (issue #17, point 2): a reliability diagram per
cue kind with its ECE, the calibrated curve where one is fitted, the reason where not, and the
page's Content-Security-Policy kept (the browser fixture fails the test on a violation)."""

import pytest

from annotate.runs.calibration import proposer_calibrations_refresh
from tests.annotate.review.histories import decided_run
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def calibrated(require_services):
    project = ProjectFactory(name="Calibrated", slug="calibrated")
    MembershipFactory(project=project, user=UserFactory(username="boss"), role="manager")
    decided = decided_run(project)
    done = proposer_calibrations_refresh(project=project, proposer="signals", version="1.0")
    assert done["observation"] == "fitted (platt, n=50)"
    return project, decided["run"]


def test_the_run_page_draws_what_annotators_keep(live_server, browser, calibrated):
    project, run = calibrated
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    path = f"/p/{project.slug}/runs/{run.pk}/"
    page.goto(f"{live_server.url}/login/?next={path}")
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", "pw-for-tests")
    page.click("button[type=submit]")
    page.wait_for_selector("#run-calibration figure.reliability")
    observation = page.locator("#reliability-observation")
    assert observation.get_attribute("data-n") == "50"
    assert observation.get_attribute("data-ece") == "0.100"  # see histories.KEEP
    assert observation.get_attribute("data-calibrated") == "platt"
    svg = observation.locator("svg")
    assert svg.is_visible() and svg.bounding_box()["width"] > 150
    assert svg.locator("rect.bin").count() == 5 and svg.locator("polyline.calibrated").count() == 1
    assert "cross-validated ECE" in observation.inner_text()
    inference = page.locator("#reliability-inference")
    assert inference.get_attribute("data-calibrated") is None
    assert "No calibrated confidence yet: 10 decisions" in inference.inner_text()
    page.context.close()
