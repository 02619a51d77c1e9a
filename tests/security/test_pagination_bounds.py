"""Issue #16, finding 4: `?limit=9223372036854775808` was a 500 on SQLite ("datatype mismatch")
on runs, members, gold sets, gold set items, audit, assignments, proposals and history, and
there was no maximum page size. Now every list checks `limit` (1 to EMOCUE_API_MAX_PAGE_SIZE)
and `offset` (0 to MAX_OFFSET) and answers anything else with a 400 naming the parameter and
its bounds; the schema documents both bounds and the 400. Run on SQLite and PostgreSQL."""

import pytest
from django.urls import reverse

from annotate.annotation import assignments as assignment_services
from annotate.clips.models import Clip
from annotate.core.pagination import MAX_OFFSET
from annotate.goldsets.services import goldset_freeze
from annotate.runs import imports as run_imports
from tests.annotate.goldsets.test_goldsets import gold_clip
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

OVERFLOW = "9223372036854775808"  # 2**63: one past SQLite's and PostgreSQL's bigint


@pytest.fixture
def lists(client):
    """A manager's project with a clip, an imported run, assignment slots, a frozen gold set
    and its audit trail; returns the URL of every paginated list of the API."""
    membership = MembershipFactory(role="manager", project__slug="pages")
    project, manager = membership.project, membership.user
    Clip.objects.create(
        project=project,
        name="sample_00000007",
        source="clips/sample_00000007.mp4",
        sha256="0" * 64,
        status=Clip.Status.READY,
        duration_ms=2000,
        proxy="proxies/sample_00000007.mp4",
    )
    run = run_imports.run_import(
        project=project,
        by=manager,
        file_name="cues.json",
        data=b'{"sample_00000007": {"visual": ["A smile."]}}',
    )
    assignment_services.assignment_slots_ensure(project=project)
    gold_clip(project, "sample_00000099", cues=[("visual", "A smile.", 0, 500)])
    gold_set = goldset_freeze(project=project, by=manager, note="pages")
    client.force_login(manager)
    client.pages = {  # the pages that take ?page=
        "history": reverse("clip-history", args=[project.slug, "sample_00000099"]),
        "gold set": reverse("goldset-detail", args=[project.slug, gold_set.version]),
    }
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    values = {
        "{slug}": project.slug,
        "{run_id}": str(run.pk),
        "{version}": str(gold_set.version),
        "{name}": "sample_00000099",
    }
    urls = {}
    for path, operations in schema["paths"].items():
        parameters = operations.get("get", {}).get("parameters", [])
        if any(p["name"] == "limit" and p["in"] == "query" for p in parameters):
            url = path
            for key, value in values.items():
                url = url.replace(key, value)
            urls[path] = url
    return urls


def test_every_list_of_the_issue_is_covered(lists):
    named = {"runs/", "members/", "goldsets/", "items/", "audit/", "assignments/"}
    named |= {"proposals/", "history/"}
    assert {path.rsplit("/", 2)[-2] + "/" for path in lists} >= named
    assert len(lists) >= 14


def test_an_overflowing_limit_is_a_400_on_every_list(client, lists):
    for path, url in lists.items():
        response = client.get(url, {"limit": OVERFLOW})
        assert response.status_code == 400, (path, response.status_code, response.content)
        assert response.json() == {
            "code": "invalid",
            "detail": f"limit: must be a whole number from 1 to 500; got '{OVERFLOW}'.",
        }, path


def test_an_overflowing_offset_is_a_400_on_every_list(client, lists):
    for path, url in lists.items():
        response = client.get(url, {"offset": OVERFLOW})
        assert response.status_code == 400, (path, response.status_code, response.content)
        assert response.json()["detail"] == (
            f"offset: must be a whole number from 0 to {MAX_OFFSET}; got '{OVERFLOW}'."
        ), path


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"limit": "-1"}, "limit: must be a whole number from 1 to 500; got '-1'."),
        ({"limit": "0"}, "limit: must be a whole number from 1 to 500; got '0'."),
        ({"limit": "501"}, "limit: must be a whole number from 1 to 500; got '501'."),
        ({"limit": "abc"}, "limit: must be a whole number from 1 to 500; got 'abc'."),
        ({"limit": "1.5"}, "limit: must be a whole number from 1 to 500; got '1.5'."),
        ({"limit": "1" * 5000}, f"limit: must be a whole number from 1 to 500; got '{'1' * 40}…'."),
        ({"offset": "-1"}, f"offset: must be a whole number from 0 to {MAX_OFFSET}; got '-1'."),
        ({"offset": "x"}, f"offset: must be a whole number from 0 to {MAX_OFFSET}; got 'x'."),
        (
            {"offset": str(MAX_OFFSET + 1)},
            f"offset: must be a whole number from 0 to {MAX_OFFSET}; got '{MAX_OFFSET + 1}'.",
        ),
    ],
)
def test_out_of_bounds_values_are_refused(client, lists, query, named):
    response = client.get(lists["/api/projects/{slug}/runs/"], query)
    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "detail": named}


def test_values_within_the_bounds_answer_a_page(client, lists):
    url = lists["/api/projects/{slug}/runs/"]
    page = client.get(url, {"limit": "500", "offset": "0"}).json()
    assert page["count"] == 1 and len(page["results"]) == 1
    assert client.get(url, {"limit": "1"}).json()["results"] == page["results"]
    past = client.get(url, {"offset": str(MAX_OFFSET)})
    assert past.status_code == 200 and past.json()["results"] == []
    assert client.get(url, {"limit": "", "offset": ""}).json() == page  # left empty: defaults


def test_the_maximum_is_a_setting(client, lists, settings):
    settings.EMOCUE_API_MAX_PAGE_SIZE = 20
    url = lists["/api/projects/{slug}/runs/"]
    assert client.get(url, {"limit": "20"}).status_code == 200
    response = client.get(url, {"limit": "21"})
    assert response.status_code == 400
    assert response.json()["detail"] == "limit: must be a whole number from 1 to 20; got '21'."


def test_the_schema_documents_the_bounds_and_the_400(client, lists):
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    for path in lists:
        operation = schema["paths"][path]["get"]
        parameters = {p["name"]: p["schema"] for p in operation["parameters"] if p["in"] == "query"}
        assert parameters["limit"] == {
            "type": "integer",
            "minimum": 1,
            "maximum": 500,
            "default": 100,
        }
        assert parameters["offset"] == {
            "type": "integer",
            "minimum": 0,
            "maximum": MAX_OFFSET,
            "default": 0,
        }
        assert "400" in operation["responses"], path


@pytest.mark.parametrize("raw", ["1" * 5000, "²", "0", "-1", "x", str(MAX_OFFSET + 1)])
def test_a_page_number_that_is_not_one_is_a_400_on_the_pages(client, lists, raw):
    """int() of "²" or of 5,000 digits raised on the history and gold set pages: a 500."""
    for page, url in client.pages.items():
        response = client.get(url, {"page": raw})
        assert response.status_code == 400, (page, response.status_code)
        assert response.content.decode() == (
            f"page must be a whole number from 1 to {MAX_OFFSET}, not {raw[:40]!r}."
        )
        assert client.get(url, {"page": "1"}).status_code == 200
