"""Projects over the API: staff accounts create them (the creator becomes manager), managers
change their settings (audited, before and after; k moves the slots at once), everyone else is
refused with a message, and bad values are named."""

import pytest
from django.urls import reverse

from annotate.annotation.models import Assignment
from annotate.clips.models import Clip
from annotate.core.models import AuditEvent, Membership, Project
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
JSON = {"content_type": "application/json"}
LIST = "api-project-list"


def _detail(project) -> str:
    return reverse("api-project-detail", args=[project.slug])


@pytest.fixture
def staff(db):
    return UserFactory(username="labadmin", is_staff=True)


def test_a_staff_account_creates_a_project_and_becomes_its_manager(client, staff):
    client.force_login(staff)
    created = client.post(
        reverse(LIST),
        {
            "name": "  Pilot   study ",
            "annotators_per_clip": 3,
            "blind_mode": True,
            "hide_proposals_share": 0.25,
            "emotion_vocabulary": ["happy", "sad", "neutral"],
        },
        **JSON,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["slug"], body["name"], body["role"]) == ("pilot-study", "Pilot study", "manager")
    assert (body["annotators_per_clip"], body["blind_mode"], body["hide_proposals_share"]) == (
        3,
        True,
        0.25,
    )
    assert body["emotion_vocabulary"] == ["happy", "sad", "neutral"]
    assert (body["assignment_lease_minutes"], body["align_similarity"], body["decoy_rate"]) == (
        120,
        0.6,
        0.0,
    )
    assert (body["clip_count"], body["ready_count"]) == (0, 0)
    project = Project.objects.get(slug="pilot-study")
    assert Membership.objects.get(project=project, user=staff).role == "manager"
    assert project.proposer_settings == {"hide_proposals_share": 0.25}
    event = AuditEvent.objects.get(object_type="project", action="create")
    assert (
        event.actor == staff and event.project == project and event.after["name"] == "Pilot study"
    )
    listed = client.get(reverse(LIST)).json()
    assert [p["slug"] for p in listed["results"]] == ["pilot-study"]

    again = client.post(reverse(LIST), {"name": "Pilot study"}, **JSON)
    assert again.status_code == 409 and again.json() == {
        "code": "exists",
        "detail": "A project named 'Pilot study' exists already; choose another name.",
    }
    assert Project.objects.count() == 1


def test_only_staff_accounts_create_projects(client, project, manager):
    client.force_login(manager)  # a manager of another project is not enough
    refused = client.post(reverse(LIST), {"name": "Mine"}, **JSON)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert "staff account" in refused.json()["detail"]
    client.logout()
    assert client.post(reverse(LIST), {"name": "Mine"}, **JSON).status_code in (401, 403)
    assert not Project.objects.filter(name="Mine").exists()


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({}, "name: This field is required."),
        ({"name": "   "}, "name: "),
        (
            {"name": "X", "annotators_per_clip": 0},
            "annotators_per_clip: Ensure this value is greater than or equal to 1.",
        ),
        (
            {"name": "X", "decoy_rate": 0.9},
            "decoy_rate: Ensure this value is less than or equal to 0.5.",
        ),
        ({"name": "X", "align_similarity": -0.1}, "align_similarity: "),
        ({"name": "X", "hide_proposals_share": 2}, "hide_proposals_share: "),
        ({"name": "X", "emotion_vocabulary": []}, "emotion_vocabulary: "),
        ({"name": "X", "emotion_vocabulary": ["happy", "Happy"]}, "'Happy' is repeated"),
        (
            {"name": "X", "emotion_vocabulary": ["happy", " "]},
            "emotion_vocabulary: item 1: This field may not be blank.",
        ),
        ({"name": "X", "blind_mode": "perhaps"}, "blind_mode: "),
        ({"name": "a\u0000b"}, "name: Null characters are not allowed."),
    ],
)
def test_bad_settings_are_named_and_nothing_is_stored(client, staff, data, named):
    client.force_login(staff)
    refused = client.post(reverse(LIST), data, **JSON)
    assert refused.status_code == 400 and refused.json()["code"] == "invalid", refused.content
    assert named in refused.json()["detail"]
    assert not Project.objects.exists() and not AuditEvent.objects.exists()
    unreadable = client.post(reverse(LIST), "{", **JSON)
    assert unreadable.status_code == 400 and "could not be read" in unreadable.json()["detail"]


def test_a_manager_changes_settings_audited_and_k_moves_the_slots(client, project, manager):
    from annotate.annotation.assignments import assignment_slots_ensure

    for name in ("a", "b"):
        Clip.objects.create(
            project=project, name=name, sha256=name, status=Clip.Status.READY, duration_ms=1000
        )
    assignment_slots_ensure(project=project)
    assert Assignment.objects.filter(project=project).count() == 2
    client.force_login(manager)
    changed = client.patch(
        _detail(project),
        {"annotators_per_clip": 3, "decoy_rate": 0.1, "description": "Round two"},
        **JSON,
    )
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert (body["annotators_per_clip"], body["decoy_rate"], body["description"]) == (
        3,
        0.1,
        "Round two",
    )
    assert body["slug"] == project.slug and body["role"] == "manager" and body["clip_count"] == 2
    assert Assignment.objects.filter(project=project).count() == 6  # at once, not on the next read
    event = AuditEvent.objects.get(object_type="project", action="change_settings")
    assert event.actor == manager
    assert event.before == {"annotators_per_clip": 1, "decoy_rate": 0.0, "description": ""}
    assert event.after == {"annotators_per_clip": 3, "decoy_rate": 0.1, "description": "Round two"}

    assert client.patch(_detail(project), {"annotators_per_clip": 2}, **JSON).status_code == 200
    assert Assignment.objects.filter(project=project).count() == 4
    same = client.patch(_detail(project), {"annotators_per_clip": 2}, **JSON)
    assert same.status_code == 200
    assert AuditEvent.objects.filter(object_type="project").count() == 2  # no change, no event

    renamed = client.patch(_detail(project), {"name": "Renamed"}, **JSON)
    assert renamed.status_code == 200 and renamed.json()["slug"] == project.slug
    Project.objects.create(name="Taken", slug="taken")
    taken = client.patch(_detail(project), {"name": "Taken"}, **JSON)
    assert taken.status_code == 409 and taken.json()["code"] == "exists"
    bad = client.patch(_detail(project), {"align_overlap": 3, "blind_mode": True}, **JSON)
    assert bad.status_code == 400 and "align_overlap" in bad.json()["detail"]
    project.refresh_from_db()
    assert (project.name, project.blind_mode, project.align_overlap) == ("Renamed", False, 0.2)


def test_members_read_settings_but_only_managers_change_them(client, project, annotator, outsider):
    reviewer = MembershipFactory(project=project, role="reviewer").user
    for user in (annotator, reviewer):
        client.force_login(user)
        assert client.get(_detail(project)).json()["annotators_per_clip"] == 1
        refused = client.patch(_detail(project), {"blind_mode": True}, **JSON)
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    client.force_login(outsider)
    assert client.patch(_detail(project), {"blind_mode": True}, **JSON).status_code == 404
    client.logout()
    assert client.patch(_detail(project), {"blind_mode": True}, **JSON).status_code in (401, 403)
    project.refresh_from_db()
    assert project.blind_mode is False and not AuditEvent.objects.exists()


def test_a_create_racing_another_for_the_same_name_is_a_409_not_a_500(client, staff, monkeypatch):
    from annotate.core import services

    Project.objects.create(name="Pilot", slug="pilot-other")
    # Both creates passed the name check; the database's unique name decides.
    monkeypatch.setattr(services, "_name_taken", lambda name, exclude=None: False)
    monkeypatch.setattr(Project, "validate_unique", lambda self, exclude=None: None)
    client.force_login(staff)
    raced = client.post(reverse(LIST), {"name": "Pilot"}, **JSON)
    assert raced.status_code == 409 and raced.json()["code"] == "exists"
    assert Project.objects.filter(name="Pilot").count() == 1
    assert not Membership.objects.filter(user=staff).exists() and not AuditEvent.objects.exists()
