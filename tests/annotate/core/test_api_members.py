"""The project and members API: every member reads, managers add, re-role and remove members,
the last manager stays, outsiders get 404s; every change is audited."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.http import Http404
from django.urls import reverse

from annotate.clips.selectors import clip_get
from annotate.core.models import AuditEvent, Membership
from annotate.core.selectors import membership_get
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
JSON = {"content_type": "application/json"}


def _members(project) -> str:
    return reverse("api-member-list", args=[project.slug])


def _member(project, username: str) -> str:
    return reverse("api-member-detail", args=[project.slug, username])


def test_members_read_the_project_and_its_members(client, project, manager, annotator):
    client.force_login(annotator)
    detail = client.get(reverse("api-project-detail", args=[project.slug]))
    assert detail.status_code == 200
    assert detail.json()["role"] == "annotator" and detail.json()["slug"] == project.slug
    assert (detail.json()["clip_count"], detail.json()["ready_count"]) == (0, 0)
    listed = client.get(_members(project)).json()
    assert listed["count"] == 2
    assert sorted((m["username"], m["role"]) for m in listed["results"]) == sorted(
        [(manager.username, "manager"), (annotator.username, "annotator")]
    )
    assert all(set(m) == {"username", "role", "joined"} and m["joined"] for m in listed["results"])
    one = client.get(_member(project, manager.username))
    assert one.status_code == 200 and one.json()["role"] == "manager"
    assert client.get(_member(project, "nobody")).status_code == 404


def test_only_managers_change_members(client, project, manager, annotator):
    newcomer = UserFactory()
    client.force_login(annotator)
    for response in (
        client.post(_members(project), {"username": newcomer.username}, **JSON),
        client.patch(_member(project, annotator.username), {"role": "manager"}, **JSON),
        client.delete(_member(project, manager.username)),
    ):
        assert response.status_code == 403 and response.json()["code"] == "forbidden"
        assert "Only a project manager" in response.json()["detail"]
    assert Membership.objects.filter(project=project).count() == 2
    assert Membership.objects.get(user=annotator).role == "annotator"


def test_add_change_and_remove_with_a_token(client, project, manager):
    printed = StringIO()
    call_command("drf_create_token", manager.username, stdout=printed)
    headers = {"Authorization": f"Token {printed.getvalue().split()[2]}"}
    ana = UserFactory(username="ana")

    added = client.post(
        _members(project), {"username": "ana", "role": "reviewer"}, headers=headers, **JSON
    )
    assert added.status_code == 201, added.content
    assert (added.json()["username"], added.json()["role"]) == ("ana", "reviewer")
    again = client.post(_members(project), {"username": "ana"}, headers=headers, **JSON)
    assert again.status_code == 409 and again.json()["code"] == "exists"
    assert "already a member" in again.json()["detail"] and "reviewer" in again.json()["detail"]
    unknown = client.post(
        _members(project), {"username": "nobody", "role": "boss"}, headers=headers, **JSON
    )
    assert unknown.status_code == 400 and unknown.json()["code"] == "invalid"
    assert "username: No user named 'nobody'" in unknown.json()["detail"]
    assert "role: " in unknown.json()["detail"]
    unreadable = client.post(_members(project), "{", headers=headers, **JSON)
    assert unreadable.status_code == 400 and "could not be read" in unreadable.json()["detail"]

    changed = client.patch(_member(project, "ana"), {"role": "manager"}, headers=headers, **JSON)
    assert changed.status_code == 200 and changed.json()["role"] == "manager"
    assert Membership.objects.get(user=ana).role == "manager"
    removed = client.delete(_member(project, "ana"), headers=headers)
    assert removed.status_code == 204 and not Membership.objects.filter(user=ana).exists()
    assert client.delete(_member(project, "ana"), headers=headers).status_code == 404
    assert list(
        AuditEvent.objects.filter(object_type="membership")
        .order_by("pk")
        .values_list("action", "actor__username")
    ) == [
        ("add", manager.username),
        ("change_role", manager.username),
        ("remove", manager.username),
    ]


def test_the_last_manager_is_never_demoted_or_removed(client, project, manager):
    client.force_login(manager)
    demote = client.patch(_member(project, manager.username), {"role": "annotator"}, **JSON)
    assert demote.status_code == 409 and demote.json()["code"] == "last_manager"
    assert "last manager" in demote.json()["detail"]
    remove = client.delete(_member(project, manager.username))
    assert remove.status_code == 409 and remove.json()["code"] == "last_manager"
    assert Membership.objects.get(project=project, user=manager).role == "manager"

    second = MembershipFactory(project=project, role="manager").user
    assert (
        client.patch(_member(project, second.username), {"role": "reviewer"}, **JSON).status_code
        == 200
    )
    assert client.delete(_member(project, manager.username)).status_code == 409  # still the last
    assert (
        client.patch(_member(project, second.username), {"role": "manager"}, **JSON).status_code
        == 200
    )
    assert client.delete(_member(project, manager.username)).status_code == 204  # themselves
    assert client.get(_members(project)).status_code == 404  # no longer a member
    assert list(Membership.objects.filter(project=project).values_list("role", flat=True)) == [
        "manager"
    ]


def test_outsiders_get_404_and_anonymous_callers_403(client, project, manager, outsider):
    client.force_login(outsider)
    assert client.get(reverse("api-project-detail", args=[project.slug])).status_code == 404
    assert client.get(_members(project)).status_code == 404
    assert (
        client.post(_members(project), {"username": outsider.username}, **JSON).status_code == 404
    )
    assert (
        client.patch(_member(project, manager.username), {"role": "annotator"}, **JSON).status_code
        == 404
    )
    assert client.delete(_member(project, manager.username)).status_code == 404
    client.logout()
    assert client.get(_members(project)).status_code == 403
    assert Membership.objects.filter(project=project).count() == 1


def test_a_name_with_a_nul_character_is_refused_not_a_database_error(client, project, manager):
    # PostgreSQL text cannot hold NUL: the request is refused before any view (a 400 naming
    # it), and the selectors would match nothing anyway (a 404).
    client.force_login(manager)
    base = f"/api/projects/{project.slug}/"
    for method, path in [
        ("get", "members/a%00b/"),
        ("delete", "members/a%00b/"),
        ("get", "clips/a%00b/"),
        ("get", "annotations/a%00b/"),
        ("post", "annotations/a%00b/"),
        ("get", "annotations/a%00b/cues/1/"),
        ("get", "annotations/?annotator=a%00b"),
    ]:
        response = getattr(client, method)(base + path)
        assert response.status_code == 400 and "NUL character" in response.json()["detail"], path
    with pytest.raises(Http404):
        membership_get(project=project, username="a\x00b")
    with pytest.raises(Http404):
        clip_get(project=project, name="a\x00b")
    nul = client.post(base + "members/", {"username": "a\x00b"}, **JSON)
    assert nul.status_code == 400 and nul.json()["detail"].startswith("username: ")
