"""Issue #16, finding 8 (anonymity): in a blind project the review screen calls the clip's
annotators "Annotator n"; the clip's history (page and API: rows, states, the actor filter and
its menu) and the annotation list's `?annotator=` must not undo that for anyone but managers."""

import json
import re

import pytest
from django.urls import reverse

from annotate.annotation import assignments
from annotate.clips.models import Clip
from annotate.core.models import AuditEvent
from annotate.review import selectors as review_selectors
from annotate.review import services as review_services
from annotate.review.models import GoldRecord
from tests.annotate.review.test_reviews import annotate, concept_scorer  # noqa: F401
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

# Created in this order, annotating in another: neither order gives the review screen's numbers.
USERNAMES = ("zed", "amy", "kim")
ORDER = ("kim", "zed", "amy")  # Annotator 1, 2, 3 on the review screen


@pytest.fixture
def project(db):
    return ProjectFactory(blind_mode=True, annotators_per_clip=3)


@pytest.fixture
def people(project):
    users = {
        name: MembershipFactory(
            project=project, role="annotator", user=UserFactory(username=name)
        ).user
        for name in USERNAMES
    }
    users["rita"] = MembershipFactory(
        project=project, role="reviewer", user=UserFactory(username="rita")
    ).user
    users["mona"] = MembershipFactory(
        project=project, role="manager", user=UserFactory(username="mona")
    ).user
    return users


@pytest.fixture
def clip(project, people):
    clip = Clip.objects.create(
        project=project,
        name="sample_00000001",
        sha256="1" * 64,
        source="x",
        status=Clip.Status.READY,
        duration_ms=4000,
    )
    assignments.assignment_slots_ensure(project=project)
    for n, name in enumerate(ORDER):
        annotate(clip, people[name], add=[("visual", f"A smile, {n + 1} times.", 0, 500)])
    review_services.gold_record_open(clip=clip, reviewer=people["rita"])
    return clip


def _history_api(client, project, clip, **params):
    response = client.get(reverse("api-clip-history", args=[project.slug, clip.name]), params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def _history_page(client, project, clip, **params):
    response = client.get(reverse("clip-history", args=[project.slug, clip.name]), params)
    assert response.status_code == 200, response.content
    return response.content.decode()


def _mentions_a_username(text: str) -> list[str]:
    return [name for name in USERNAMES if re.search(rf"\b{name}\b", text)]


def test_the_review_screen_numbers_the_annotators(client, project, people, clip):
    client.force_login(people["rita"])
    review = client.get(reverse("api-review-detail", args=[project.slug, clip.name])).json()
    assert [a["annotator"] for a in review["annotations"]] == [
        "Annotator 1",
        "Annotator 2",
        "Annotator 3",
    ]


def test_a_reviewer_sees_the_history_with_the_review_screens_names(client, project, people, clip):
    client.force_login(people["rita"])
    events = _history_api(client, project, clip, limit=500)
    assert events and not _mentions_a_username(json.dumps(events))
    assert {e["actor"] for e in events} <= {"Annotator 1", "Annotator 2", "Annotator 3", "rita"}
    # The same person is the same "Annotator n" as on the review screen.
    users = {u.pk: name for name, u in people.items()}
    for event in events:
        row = AuditEvent.objects.get(pk=event["id"])
        if row.actor_id and users[row.actor_id] in ORDER:
            assert event["actor"] == f"Annotator {ORDER.index(users[row.actor_id]) + 1}"
    # Ids in the states are named the same way (an annotation's and a slot's annotator, the
    # gold record's provenance).
    for kind in ("annotation", "assignment"):
        held = {e["after"]["annotator_id"] for e in events if e["object_type"] == kind}
        assert held == {"Annotator 1", "Annotator 2", "Annotator 3"}, kind
    record = next(e for e in events if e["object_type"] == "gold_record")
    provenance = record["after"]["provenance"]["annotations"]
    assert [a["annotator"] for a in provenance] == ["Annotator 1", "Annotator 2", "Annotator 3"]

    page = _history_page(client, project, clip)
    assert not _mentions_a_username(page)
    assert '<span class="actor">Annotator 1</span>' in page
    assert '<option value="Annotator 3">Annotator 3</option>' in page


def test_the_actor_filter_takes_the_shown_name_and_no_username(client, project, people, clip):
    client.force_login(people["rita"])
    kim = AuditEvent.objects.filter(clip=clip, actor=people["kim"]).count()
    assert kim > 0
    named = _history_api(client, project, clip, actor="Annotator 1", limit=500)
    assert len(named) == kim and {e["actor"] for e in named} == {"Annotator 1"}
    assert _history_api(client, project, clip, actor="kim") == []
    assert _history_api(client, project, clip, actor="zed") == []
    page = _history_page(client, project, clip, actor="kim")
    assert "0 events" in page
    page = _history_page(client, project, clip, actor="Annotator 1")
    assert f"{kim} event" in page


def test_managers_still_see_usernames(client, project, people, clip):
    client.force_login(people["mona"])
    events = _history_api(client, project, clip, limit=500)
    assert {"kim", "zed", "amy"} <= {e["actor"] for e in events}
    assert _history_api(client, project, clip, actor="kim")
    assert '<span class="actor">kim</span>' in _history_page(client, project, clip)


def test_reviewers_of_an_open_project_see_usernames(client, project, people, clip):
    project.blind_mode = False
    project.save(update_fields=["blind_mode"])
    client.force_login(people["rita"])
    assert {"kim", "zed", "amy"} <= {e["actor"] for e in _history_api(client, project, clip)}


def test_annotator_filter_of_the_annotation_list_is_for_managers_in_blind_mode(
    client, project, people, clip
):
    url = reverse("api-annotation-list", args=[project.slug])
    client.force_login(people["rita"])
    refused = client.get(url, {"annotator": "kim"})
    assert refused.status_code == 403 and "blind" in refused.json()["detail"]
    assert client.get(url).status_code == 200  # one's own list stays open
    client.force_login(people["mona"])
    listed = client.get(url, {"annotator": "kim"})
    assert listed.status_code == 200 and listed.json()["results"][0]["annotator"] == "kim"
    project.blind_mode = False
    project.save(update_fields=["blind_mode"])
    client.force_login(people["rita"])
    assert client.get(url, {"annotator": "kim"}).status_code == 200


def test_the_history_names_cues_and_records_without_undoing_the_blind(
    client, project, people, clip
):
    """Issue #15, point 6: the history names what its ids point at (a gold cue's source cues
    by whose and their words, the gold record by its clip); in a blind project, for the
    reviewer, whose is "Annotator n", as everywhere else on the page."""
    record = GoldRecord.objects.get(clip=clip)
    group = review_selectors.clip_review_get(clip=clip).groups[0]
    review_services.review_group_accept(
        record=record, group_key=group.key, reviewer=people["rita"], expected_version=record.version
    )
    client.force_login(people["rita"])
    page = _history_page(client, project, clip, type="gold_cue")
    assert not _mentions_a_username(page)
    sources = re.search(r'data-field="source_cues"[^>]*>(.*?)</dd>', page, re.S).group(1)
    assert re.search(r"Annotator \d: “A smile, \d times\.”", sources), sources
    decisions = _history_page(client, project, clip, type="review_decision")
    assert "gold record of sample_00000001" in decisions
    assert re.search(r'data-field="reviewer_id"[^>]*>\s*<ins>rita</ins>', decisions)
    client.force_login(people["mona"])  # the manager sees who
    page = _history_page(client, project, clip, type="gold_cue")
    assert re.search(r"(kim|zed|amy): “A smile, \d times\.”", page)
