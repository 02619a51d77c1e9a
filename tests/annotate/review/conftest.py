import pytest

from annotate.runs import services as run_services
from tests.factories import MembershipFactory


@pytest.fixture
def proposed(project, ready_clips, django_capture_on_commit_callbacks):
    """The project, three annotators per clip, after a run of the fake proposer (the test module
    registers it by importing tests.annotate.runs.test_runs.FakeProposer)."""
    project.annotators_per_clip = 3
    project.save(update_fields=["annotators_per_clip"])
    with django_capture_on_commit_callbacks(execute=True):
        run_services.run_create(project=project, proposer="fake")
    return project


@pytest.fixture
def annotators(proposed):
    return [MembershipFactory(project=proposed, role="annotator").user for _ in range(3)]


@pytest.fixture
def reviewer(proposed):
    return MembershipFactory(project=proposed, role="reviewer").user
