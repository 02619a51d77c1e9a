"""Issue #16, finding 6: `POST /api/projects/<slug>/reviews/` with auto-promotion on answers a
plain list of results, where the schema promised a page (`PaginatedAutoPromotionOutputList`,
with `limit` and `offset`). Only a GET answers a page: the schema now says so, for this and
every other operation (checked over all of them by tests/annotate/test_api_schemathesis.py)."""

import jsonschema
import pytest
from django.urls import reverse

from annotate.clips.models import Clip
from annotate.review.models import GoldRecord
from tests.annotate.review.test_reviews import annotate, concept_scorer  # noqa: F401
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

PATH = "/api/projects/{slug}/reviews/"


def documented(schema: dict, path: str, method: str, status: str) -> dict:
    """The JSON Schema of one documented answer, with the components its $refs point at."""
    body = schema["paths"][path][method]["responses"][status]["content"]["application/json"]
    return {**body["schema"], "components": schema["components"]}


def test_auto_promotion_answers_the_documented_list(client):
    membership = MembershipFactory(role="manager", project__slug="promote")
    project, manager = membership.project, membership.user
    project.auto_promote_consensus = True
    project.annotators_per_clip = 2
    project.save(update_fields=["auto_promote_consensus", "annotators_per_clip"])
    clip = Clip.objects.create(
        project=project,
        name="sample_00000007",
        source="clips/sample_00000007.mp4",
        sha256="0" * 64,
        status=Clip.Status.READY,
        duration_ms=2000,
        proxy="proxies/sample_00000007.mp4",
    )
    for _ in range(2):
        annotator = MembershipFactory(project=project, role="annotator").user
        annotate(clip, annotator, add=[("visual", "He smiles.", 0, 400)])
    client.force_login(manager)

    response = client.post(reverse("api-review-list", args=[project.slug]))

    assert response.status_code == 200, response.content
    body = response.json()
    assert [row["clip"] for row in body] == ["sample_00000007"]
    assert body[0]["promoted"] == GoldRecord.objects.filter(clip=clip).exists()
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    jsonschema.validate(body, documented(schema, PATH, "post", "200"))
    parameters = schema["paths"][PATH]["post"].get("parameters", [])
    assert not {p["name"] for p in parameters} & {"limit", "offset"}


def test_only_a_get_is_documented_as_a_page(client):
    client.force_login(MembershipFactory(role="manager").user)
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    pages = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            if "limit" in names:
                pages.append((method, path))
    assert pages and all(method == "get" for method, _ in pages), pages
