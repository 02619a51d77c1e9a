"""Issue #16, finding 8 (anchoring): the import manifest's metadata (a source dataset's label
among it) reaches managers only, on the clip page and in the clip API; annotators of a blind
project get a 404 from the EmoCue-360 scores page and API, as from the leaderboard."""

import pytest
from django.urls import reverse

from annotate.clips.models import Clip
from annotate.scoring.models import ScoreJob
from tests.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(db):
    return ProjectFactory(blind_mode=True)


@pytest.fixture
def members(project):
    return {
        role: MembershipFactory(project=project, role=role).user
        for role in ("manager", "reviewer", "annotator")
    }


@pytest.fixture
def clip(project):
    return Clip.objects.create(
        project=project,
        name="sample_00000007",
        sha256="7" * 64,
        source="x",
        status=Clip.Status.READY,
        metadata={"emotion": "worried", "reasons": "furrowed brows"},
    )


def test_only_managers_see_the_manifest_metadata(client, project, members, clip):
    page_url = reverse("clip-detail", args=[project.slug, clip.name])
    api_url = reverse("api-clip-detail", args=[project.slug, clip.name])
    for role in ("annotator", "reviewer"):
        client.force_login(members[role])
        page = client.get(page_url)
        assert page.status_code == 200
        assert b"worried" not in page.content and b"furrowed" not in page.content, role
        detail = client.get(api_url)
        assert detail.status_code == 200 and detail.json()["metadata"] is None, role
        assert b"worried" not in detail.content
    client.force_login(members["manager"])
    assert b"<dt>emotion</dt><dd>worried</dd>" in client.get(page_url).content
    assert client.get(api_url).json()["metadata"] == clip.metadata


def test_the_schema_documents_the_metadata_rule(client, members):
    client.force_login(members["manager"])
    schema = client.get("/api/schema/", headers={"Accept": "application/json"})
    field = schema.json()["components"]["schemas"]["ClipDetailOutput"]["properties"]["metadata"]
    assert field["nullable"] is True and "Managers only" in field["description"]


def test_blind_annotators_get_404_from_the_scores_page_and_api(client, project, members):
    job = ScoreJob.objects.create(project=project, label="run A", gold={}, predicted={})
    urls = [
        reverse("score-list", args=[project.slug]),
        reverse("score-rows", args=[project.slug]),
        reverse("api-score-list", args=[project.slug]),
        reverse("api-score-detail", args=[project.slug, job.pk]),
    ]
    client.force_login(members["annotator"])
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("api-score-list", args=[project.slug])).status_code == 404
    assert client.post(reverse("score-create", args=[project.slug])).status_code == 404
    project_page = client.get(reverse("project-detail", args=[project.slug])).content.decode()
    assert reverse("score-list", args=[project.slug]) not in project_page
    for role in ("reviewer", "manager"):
        client.force_login(members[role])
        for url in urls:
            assert client.get(url).status_code == 200, (role, url)


def test_annotators_of_an_open_project_still_read_scores(client, project, members):
    project.blind_mode = False
    project.save(update_fields=["blind_mode"])
    client.force_login(members["annotator"])
    assert client.get(reverse("score-list", args=[project.slug])).status_code == 200
    assert client.get(reverse("api-score-list", args=[project.slug])).status_code == 200
