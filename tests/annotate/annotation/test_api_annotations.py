"""The annotations API: next clip and open, every cue action with its version, stale writes as
409 that change nothing, undo and submit, blind answers (no model ids, no decoy flag), and
404s for everything that is not the caller's own."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from annotate.annotation.models import Annotation, Assignment
from annotate.clips.models import Clip
from annotate.core.models import AuditEvent
from annotate.runs import services as run_services
from annotate.runs.models import Cue
from tests.annotate.runs.test_runs import FakeProposer, _fresh_fake  # noqa: F401
from tests.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db

ANNOTATION_KEYS = {
    "clip",
    "duration_ms",
    "status",
    "version",
    "labels",
    "primary_label",
    "description",
    "counts",
    "cues",
    "created_at",
    "updated_at",
    "submitted_at",
    "returned_comment",
    "returned_at",
}
CUE_KEYS = {
    "id",
    "modality",
    "kind",
    "text",
    "start_ms",
    "end_ms",
    "origin",
    "decision",
    "reject_reason",
    "version",
}


@pytest.fixture
def proposed(project, ready_clips, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_services.run_create(project=project, proposer="fake")
    return project


@pytest.fixture
def opened(client, proposed, annotator):
    client.force_login(annotator)
    response = client.post(reverse("api-annotation-next", args=[proposed.slug]))
    assert response.status_code == 200, response.content
    assert response.json()["clip"] == "a"
    return response.json()


def _url(name: str, *args, slug: str = "") -> str:
    return reverse(name, args=[slug, *args])


def _cue_url(project, cue_id: int, action: str = "", clip: str = "a") -> str:
    suffix = f"{action}/" if action else ""
    return reverse("api-cue-detail", args=[project.slug, clip, cue_id]) + suffix


def _keys(value) -> set[str]:
    """Every key anywhere in a JSON value."""
    if isinstance(value, dict):
        return set(value) | {key for inner in value.values() for key in _keys(inner)}
    if isinstance(value, list):
        return {key for inner in value for key in _keys(inner)}
    return set()


def test_next_opens_the_clip_with_its_proposals_and_asking_again_returns_it(
    client, opened, proposed, annotator
):
    assert set(opened) == ANNOTATION_KEYS and opened["status"] == "draft" and opened["version"] == 1
    assert [
        (c["modality"], c["text"], c["start_ms"], c["end_ms"], c["decision"], c["origin"])
        for c in opened["cues"]
    ] == [
        ("visual", "The corners of the mouth turn up.", 0, 500, "proposed", "model"),
        ("auditory", "The voice is loud.", 500, 1000, "proposed", "model"),
        ("emotional", "He is happy.", None, None, "proposed", "model"),
    ]
    assert opened["counts"] == {
        "total": 3,
        "proposed": 3,
        "accepted": 0,
        "edited": 0,
        "rejected": 0,
    }
    assert opened["duration_ms"] == 1000
    again = client.post(reverse("api-annotation-next", args=[proposed.slug]))
    assert again.status_code == 200 and again.json()["cues"] == opened["cues"]
    assert Annotation.objects.filter(annotator=annotator).count() == 1
    assert Assignment.objects.get(annotator=annotator).status == "leased"

    listed = client.get(reverse("api-annotation-list", args=[proposed.slug])).json()
    assert listed["count"] == 1
    assert listed["results"][0] | {"created_at": None, "updated_at": None} == {
        "clip": "a",
        "annotator": annotator.username,
        "status": "draft",
        "version": 1,
        "labels": [],
        "primary_label": "",
        "submitted_at": None,
        "returned_comment": "",
        "returned_at": None,
        "created_at": None,
        "updated_at": None,
        "counts": {"total": 3, "proposed": 3, "accepted": 0, "edited": 0, "rejected": 0},
    }
    detail = client.get(reverse("api-annotation-detail", args=[proposed.slug, "a"]))
    assert detail.status_code == 200 and detail.json() == again.json()


def test_a_second_edit_with_the_old_version_is_a_409_and_keeps_the_first(client, opened, proposed):
    auditory = opened["cues"][1]
    first = client.patch(
        _cue_url(proposed, auditory["id"]),
        {"version": 1, "text": "The voice is  loud and fast."},
        content_type="application/json",
    )
    assert first.status_code == 200, first.content
    assert (
        first.json()["text"] == "The voice is loud and fast."
    )  # whitespace as the service keeps it
    assert (first.json()["version"], first.json()["decision"]) == (2, "edited")

    # The README's example: the same request again.
    second = client.patch(
        _cue_url(proposed, auditory["id"]),
        {"version": 1, "text": "The voice is loud and fast."},
        content_type="application/json",
    )
    assert second.status_code == 409
    assert second.json() == {
        "code": "stale",
        "detail": "Cue 'The voice is loud and fast.' was changed elsewhere since "
        "you loaded it (now version 2); reload to see the current "
        "state, then redo your change.",
    }
    assert (
        client.patch(
            _cue_url(proposed, auditory["id"]),
            {"version": 1, "text": "Quiet."},
            content_type="application/json",
        ).status_code
        == 409
    )
    assert Cue.objects.get(pk=auditory["id"]).text == "The voice is loud and fast."
    # The same for the annotation's own fields.
    saved = client.patch(
        _url("api-annotation-detail", "a", slug=proposed.slug),
        {
            "version": 1,
            "labels": ["Happy", "happy", " Surprise "],
            "primary_label": "Happy",
            "description": "Smiles and a loud voice.",
        },
        content_type="application/json",
    )
    assert saved.status_code == 200, saved.content
    assert (saved.json()["version"], saved.json()["labels"]) == (2, ["happy", "surprise"])
    stale = client.patch(
        _url("api-annotation-detail", "a", slug=proposed.slug),
        {"version": 1, "primary_label": "sad"},
        content_type="application/json",
    )
    assert stale.status_code == 409 and stale.json()["code"] == "stale"
    assert "now version 2" in stale.json()["detail"]
    assert Annotation.objects.get().primary_label == "happy"


def test_each_cue_action_undo_and_submit(client, opened, proposed, annotator):
    visual, auditory, emotional = (c["id"] for c in opened["cues"])
    json = {"content_type": "application/json"}
    accepted = client.post(_cue_url(proposed, visual, "accept"), {"version": 1}, **json)
    assert accepted.status_code == 200 and accepted.json()["decision"] == "accepted"
    rejected = client.post(
        _cue_url(proposed, emotional, "reject"), {"version": 1, "reason": "not supported"}, **json
    )
    assert rejected.status_code == 200
    assert (rejected.json()["decision"], rejected.json()["reject_reason"]) == (
        "rejected",
        "not supported",
    )
    retimed = client.patch(
        _cue_url(proposed, visual), {"version": 2, "start_ms": 101, "end_ms": 499}, **json
    )
    assert retimed.status_code == 200, retimed.content
    assert (retimed.json()["start_ms"], retimed.json()["end_ms"]) == (120, 480)  # snapped to 25 fps

    added = client.post(
        _url("api-cue-list", "a", slug=proposed.slug),
        {"modality": "visual", "text": "He glances away.", "start_ms": 200, "end_ms": 600},
        **json,
    )
    assert added.status_code == 201, added.content
    cue = added.json()
    assert set(cue) == CUE_KEYS and (cue["origin"], cue["decision"]) == ("human", "accepted")
    assert client.get(_cue_url(proposed, cue["id"])).json() == cue

    # Proposed cues are rejected, not deleted; own cues deleted, not rejected.
    refused = client.delete(_cue_url(proposed, visual) + "?version=3")
    assert refused.status_code == 409 and refused.json()["code"] == "wrong_origin"
    refused = client.post(_cue_url(proposed, cue["id"], "reject"), {"version": 1}, **json)
    assert refused.status_code == 409 and refused.json()["code"] == "wrong_origin"
    assert client.delete(_cue_url(proposed, cue["id"]) + "?version=2").status_code == 409  # stale
    assert client.delete(_cue_url(proposed, cue["id"]) + "?version=1").status_code == 204
    assert not Cue.objects.filter(pk=cue["id"]).exists()

    undone = client.post(_url("api-annotation-undo", "a", slug=proposed.slug))
    assert undone.status_code == 200, undone.content
    assert (undone.json()["undone"], undone.json()["cue_id"]) == ("delete", cue["id"])
    assert cue["id"] in [c["id"] for c in undone.json()["annotation"]["cues"]]
    assert undone.json()["annotation"]["counts"] == {
        "total": 4,
        "proposed": 1,
        "accepted": 2,
        "edited": 0,
        "rejected": 1,
    }
    undone = client.post(_url("api-annotation-undo", "a", slug=proposed.slug)).json()
    assert undone["undone"] == "add" and not Cue.objects.filter(pk=cue["id"]).exists()

    submit = _url("api-annotation-submit", "a", slug=proposed.slug)
    incomplete = client.post(submit, {"version": 1}, **json)
    assert incomplete.status_code == 409 and incomplete.json()["code"] == "incomplete"
    detail = incomplete.json()["detail"]
    assert (
        "1 proposed cue(s) still need a decision" in detail and "a primary emotion label" in detail
    )
    assert (
        client.post(_cue_url(proposed, auditory, "accept"), {"version": 1}, **json).status_code
        == 200
    )
    assert (
        client.patch(
            _url("api-annotation-detail", "a", slug=proposed.slug),
            {
                "version": 1,
                "labels": ["happy"],
                "primary_label": "happy",
                "description": "The smile.",
            },
            **json,
        ).status_code
        == 200
    )
    submitted = client.post(submit, {"version": 2}, **json)
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["status"] == "submitted" and submitted.json()["submitted_at"]
    assert Assignment.objects.get(annotator=annotator).status == "done"
    after = client.post(_cue_url(proposed, auditory, "accept"), {"version": 2}, **json)
    assert after.status_code == 409 and after.json()["code"] == "submitted"
    assert AuditEvent.objects.filter(action="submit", actor=annotator).count() == 1
    # The next clip now; once every clip is taken, nothing is left.
    assert client.post(reverse("api-annotation-next", args=[proposed.slug])).json()["clip"] == "b"
    Annotation.objects.filter(annotator=annotator, clip__name="b").update(status="submitted")
    Assignment.objects.filter(annotator=annotator).update(status="done")
    assert (
        client.post(reverse("api-annotation-next", args=[proposed.slug])).json()["clip"] == "broken"
    )
    Assignment.objects.filter(annotator=annotator).update(status="done")
    Annotation.objects.filter(annotator=annotator).update(status="submitted")
    assert client.post(reverse("api-annotation-next", args=[proposed.slug])).status_code == 204


def test_refusals_name_the_fields(client, opened, proposed):
    visual = opened["cues"][0]["id"]
    json = {"content_type": "application/json"}
    neither = client.patch(_cue_url(proposed, visual), {"version": 1}, **json)
    assert neither.status_code == 400 and neither.json()["code"] == "invalid"
    assert neither.json()["detail"].startswith("text: Send either text")
    half = client.patch(_cue_url(proposed, visual), {"version": 1, "start_ms": 100}, **json)
    assert half.status_code == 400 and half.json()["detail"].startswith("end_ms: ")
    too_long = client.patch(
        _cue_url(proposed, visual), {"version": 1, "start_ms": 100, "end_ms": 5000}, **json
    )
    assert too_long.status_code == 400 and too_long.json()["detail"].startswith("end_ms: The span")
    no_version = client.post(_cue_url(proposed, visual, "accept"), {}, **json)
    assert no_version.status_code == 400 and "version: " in no_version.json()["detail"]
    bad = client.post(
        _url("api-cue-list", "a", slug=proposed.slug), {"modality": "smell", "text": " "}, **json
    )
    assert bad.status_code == 400
    assert "modality: " in bad.json()["detail"] and "text: " in bad.json()["detail"]
    unreadable = client.post(
        _cue_url(proposed, visual, "accept"), "{not json", content_type="application/json"
    )
    assert unreadable.status_code == 400 and unreadable.json()["code"] == "invalid"
    assert "could not be read" in unreadable.json()["detail"]
    delete = client.delete(_cue_url(proposed, visual))
    assert delete.status_code == 400 and delete.json()["detail"].startswith("version: ")
    nothing = client.post(_url("api-annotation-undo", "a", slug=proposed.slug))
    assert nothing.status_code == 409 and nothing.json()["code"] == "nothing_to_undo"
    assert Cue.objects.get(pk=visual).version == 1  # nothing above changed the cue


def test_blind_answers_carry_no_model_ids_and_no_decoy_flag(client, proposed, annotator):
    proposed.blind_mode, proposed.decoy_rate = True, 0.5  # as many decoys as real proposals
    proposed.save(update_fields=["blind_mode", "decoy_rate"])
    client.force_login(annotator)
    body = client.post(reverse("api-annotation-next", args=[proposed.slug])).json()
    annotation = Annotation.objects.get(annotator=annotator)
    decoys = set(annotation.cues.filter(decoy=True).values_list("pk", flat=True))
    assert decoys and annotation.run_id is not None  # there are decoys and a model run
    assert len(body["cues"]) == annotation.cues.count() == 3 + len(decoys)
    assert set(body) == ANNOTATION_KEYS and all(set(cue) == CUE_KEYS for cue in body["cues"])
    assert not _keys(body) & {
        "decoy",
        "run",
        "run_id",
        "proposal",
        "proposal_id",
        "derived_from",
        "evidence",
        "confidence",
        "proposer",
        "model_version",
    }
    shown = {cue["id"]: cue for cue in body["cues"]}
    for cue_id in decoys:  # a decoy reads like any proposed cue
        assert (shown[cue_id]["origin"], shown[cue_id]["decision"]) == ("model", "proposed")
    # The same answers for every other read and write.
    decoy = min(decoys)
    accepted = client.post(
        _cue_url(proposed, decoy, "accept"), {"version": 1}, content_type="application/json"
    ).json()
    assert set(accepted) == CUE_KEYS and accepted["decision"] == "accepted"
    listed = client.get(reverse("api-annotation-list", args=[proposed.slug])).json()
    assert not _keys(listed) & {"decoy", "run", "proposal"}
    undone = client.post(_url("api-annotation-undo", "a", slug=proposed.slug)).json()
    assert not _keys(undone) & {"decoy", "run", "proposal"}


def test_nothing_but_your_own_annotation_is_reached(client, opened, proposed, annotator, manager):
    visual = opened["cues"][0]["id"]
    json = {"content_type": "application/json"}
    # The caller's annotation of a clip "a" in another project: its cue ids are 404s through
    # this project's URLs, and this project's through that one's; so are a proposal's own cues.
    other_project = ProjectFactory()
    MembershipFactory(project=other_project, user=annotator, role="annotator")
    clip = Clip.objects.create(
        project=other_project,
        name="a",
        sha256="0" * 64,
        source="a.mp4",
        status="ready",
        duration_ms=1000,
    )
    elsewhere = Cue.objects.create(
        clip=clip,
        modality="visual",
        text="Elsewhere.",
        annotation=Annotation.objects.create(clip=clip, annotator=annotator),
    )
    assert client.get(_cue_url(other_project, elsewhere.pk)).status_code == 200
    assert client.get(_cue_url(other_project, visual)).status_code == 404
    proposal_cue = Cue.objects.filter(proposal__clip__name="a", clip__project=proposed).first()
    for cue_id in (elsewhere.pk, proposal_cue.pk, 10**12):
        assert client.get(_cue_url(proposed, cue_id)).status_code == 404
        assert (
            client.post(_cue_url(proposed, cue_id, "accept"), {"version": 1}, **json).status_code
            == 404
        )
    assert Cue.objects.get(pk=elsewhere.pk).version == 1

    # Another annotator of the same project reaches none of it.
    other = MembershipFactory(project=proposed, role="annotator").user
    client.force_login(other)
    annotation_url = _url("api-annotation-detail", "a", slug=proposed.slug)
    assert client.get(annotation_url).status_code == 404
    assert (
        client.patch(annotation_url, {"version": 1, "primary_label": "sad"}, **json).status_code
        == 404
    )
    assert client.get(_cue_url(proposed, visual)).status_code == 404
    assert (
        client.patch(
            _cue_url(proposed, visual), {"version": 1, "text": "Mine now."}, **json
        ).status_code
        == 404
    )
    assert (
        client.post(_cue_url(proposed, visual, "accept"), {"version": 1}, **json).status_code == 404
    )
    assert client.delete(_cue_url(proposed, visual) + "?version=1").status_code == 404
    assert client.post(_url("api-annotation-undo", "a", slug=proposed.slug)).status_code == 404
    assert (
        client.post(
            _url("api-annotation-submit", "a", slug=proposed.slug), {"version": 1}, **json
        ).status_code
        == 404
    )
    refused = client.get(
        reverse("api-annotation-list", args=[proposed.slug]), {"annotator": annotator.username}
    )
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert client.get(reverse("api-annotation-list", args=[proposed.slug])).json()["count"] == 0
    assert Cue.objects.get(pk=visual).version == 1
    assert Annotation.objects.get(annotator=annotator, clip__project=proposed).version == 1

    # A manager lists anyone's; an outsider gets 404 everywhere.
    client.force_login(manager)
    listed = client.get(
        reverse("api-annotation-list", args=[proposed.slug]),
        {"annotator": annotator.username, "status": "draft"},
    ).json()
    assert [row["annotator"] for row in listed["results"]] == [annotator.username]
    assert client.get(annotation_url).status_code == 404  # not theirs: the review pages show it
    bad = client.get(reverse("api-annotation-list", args=[proposed.slug]), {"status": "done"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    client.force_login(MembershipFactory(role="manager").user)
    assert client.get(reverse("api-annotation-list", args=[proposed.slug])).status_code == 404
    assert client.post(reverse("api-annotation-next", args=[proposed.slug])).status_code == 404
    assert client.post(annotation_url).status_code == 404
    client.logout()
    assert client.get(annotation_url).status_code == 403


def test_open_a_chosen_clip_takes_a_free_slot_and_a_lost_lease_is_a_409(
    client, opened, proposed, annotator
):
    json = {"content_type": "application/json"}
    # k = 1: clip a is reserved for the first annotator, so nobody else can open it.
    other = MembershipFactory(project=proposed, role="annotator").user
    client.force_login(other)
    full = client.post(_url("api-annotation-detail", "a", slug=proposed.slug))
    assert full.status_code == 409 and full.json()["code"] == "no_slot"
    assert not Annotation.objects.filter(annotator=other).exists()  # nothing half-made
    created = client.post(_url("api-annotation-detail", "b", slug=proposed.slug))
    assert created.status_code == 201 and created.json()["clip"] == "b"
    again = client.post(_url("api-annotation-detail", "b", slug=proposed.slug))
    assert again.status_code == 200 and again.json() == created.json()
    assert client.post(_url("api-annotation-detail", "nope", slug=proposed.slug)).status_code == 404

    # The first annotator's lease runs out and the other takes the slot: their next write is
    # refused as lease_lost, and the draft keeps what it had.
    Assignment.objects.filter(annotator=annotator).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert client.post(_url("api-annotation-detail", "a", slug=proposed.slug)).status_code == 201
    client.force_login(annotator)
    visual = opened["cues"][0]["id"]
    lost = client.post(_cue_url(proposed, visual, "accept"), {"version": 1}, **json)
    assert lost.status_code == 409 and lost.json()["code"] == "lease_lost"
    assert "expired" in lost.json()["detail"]
    assert Cue.objects.get(pk=visual).decision == "proposed"
