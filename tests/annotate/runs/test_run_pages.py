import pytest
from django.urls import reverse

from annotate.runs.models import ModelRun
from tests.annotate.runs.test_runs import FakeProposer, _fresh_fake  # noqa: F401

pytestmark = pytest.mark.django_db


def test_start_a_run_and_watch_it(
    client,
    manager,
    project,
    ready_clips,
    django_capture_on_commit_callbacks,
):
    client.force_login(manager)
    page = client.get(reverse("project-detail", args=[project.slug])).content.decode()
    assert '<option value="fake">' in page and "No model runs yet." in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("run-start", args=[project.slug]),
            {"proposer": "fake", "label": "pilot"},
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 201 and "Started pilot." in response.content.decode()
    assert "every 1s" in response.content.decode()  # running when the answer was rendered
    body = client.get(reverse("run-rows", args=[project.slug])).content.decode()
    assert 'data-done="2" data-failed="1" data-total="3"' in body
    assert "every 1s" not in body  # finished (eager tasks after commit): polling stops
    run = ModelRun.objects.get()
    detail = client.get(reverse("run-detail", args=[project.slug, run.pk])).content.decode()
    assert "could not be tracked" in detail and 'data-clip="a" data-status="done"' in detail
    clip_page = client.get(reverse("clip-detail", args=[project.slug, "a"])).content.decode()
    assert "The corners of the mouth turn up." in clip_page and 'data-start-ms="0"' in clip_page
    assert "0.00 s – 0.50 s" in clip_page


def test_run_actions_by_role_and_state(
    client,
    manager,
    annotator,
    project,
    ready_clips,
    django_capture_on_commit_callbacks,
):
    client.force_login(annotator)
    assert (
        client.post(reverse("run-start", args=[project.slug]), {"proposer": "fake"}).status_code
        == 403
    )
    client.force_login(manager)
    response = client.post(reverse("run-start", args=[project.slug]), {"proposer": "fake"})
    run = ModelRun.objects.get()  # on-commit not executed: it stays running
    assert response.status_code == 201 and "every 1s" in response.content.decode()
    url = reverse("run-action", args=[project.slug, run.pk, "rerun"])
    assert client.post(url, headers={"HX-Request": "true"}).status_code == 409  # still running
    cancel = client.post(
        reverse("run-action", args=[project.slug, run.pk, "cancel"]), headers={"HX-Request": "true"}
    )
    assert cancel.status_code == 200 and "Cancelled" in cancel.content.decode()
    assert (
        client.post(reverse("run-action", args=[project.slug, run.pk, "explode"])).status_code
        == 404
    )
    bad = client.post(reverse("run-start", args=[project.slug]), {"proposer": "nope"})
    # validated by the API's serializer: the same 400 and sentence as POST /api/.../runs/
    assert (
        bad.status_code == 400
        and "proposer: Unknown proposer &#x27;nope&#x27;" in bad.content.decode()
    )


def test_project_page_query_count_is_flat_in_runs(
    client,
    manager,
    project,
    ready_clips,
    django_assert_max_num_queries,
):
    from annotate.runs.services import run_create

    for _ in range(5):
        run_create(project=project, proposer="fake", enqueue=False)
    client.force_login(manager)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("project-detail", args=[project.slug])).status_code == 200


def test_a_run_over_the_ticked_clips_only(
    client,
    manager,
    project,
    ready_clips,
    django_capture_on_commit_callbacks,
):
    client.force_login(manager)
    page = client.get(reverse("project-detail", args=[project.slug])).content.decode()
    assert page.count('name="clips"') == 3 and 'form="run-form"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("run-start", args=[project.slug]), {"proposer": "fake", "clips": ["a", "b"]}
        )
    assert response.status_code == 201
    run = ModelRun.objects.get()
    assert sorted(run.proposals.values_list("clip__name", flat=True)) == ["a", "b"]
    assert sorted(FakeProposer.calls) == ["a", "b"]
