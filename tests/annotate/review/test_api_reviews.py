"""The reviews API: a reviewer adjudicates a clip step by step (accept, reject, merge, undo,
own cues, labels, finalize, reopen) with the record's version, a stale version changes nothing,
refusals carry the services' messages, comments, and who may do what."""

import pytest
from django.urls import reverse

from annotate.clips.models import Clip
from annotate.review.models import GoldCue, GoldRecord, ReviewComment, ReviewDecision
from tests.annotate.goldsets.test_goldsets import gold_clip
from tests.annotate.review.test_reviews import (  # noqa: F401
    MOUTH,
    concept_scorer,
    disputed_clip,
    unanimous_clip,
)
from tests.annotate.runs.test_runs import FakeProposer, _fresh_fake  # noqa: F401
from tests.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db
LOUD_AS_HEARD = "The voice is loud."


@pytest.fixture
def two_clips(proposed, annotators, django_capture_on_commit_callbacks):
    """Two complete clips, each aligned by the (eager) worker task its submissions queue."""
    with django_capture_on_commit_callbacks(execute=True):
        disputed_clip("a", annotators)
        unanimous_clip("b", annotators)
    return proposed


def url(project, route: str, *args) -> str:
    return reverse(f"api-review-{route}", args=[project.slug, *args])


def post(client, target: str, body: dict | None = None):
    return client.post(target, body or {}, content_type="application/json")


def group_with(review: dict, text: str) -> dict:
    return next(
        g
        for g in review["groups"]
        if text in [m["text"] for m in g["members"]] or (g["model_cue"] or {}).get("text") == text
    )


def test_a_reviewer_adjudicates_a_clip(client, two_clips, reviewer, annotators):
    client.force_login(reviewer)
    queue = client.get(url(two_clips, "list")).json()
    assert queue["count"] == 2 and [r["clip"] for r in queue["results"]] == ["a", "b"]
    first = queue["results"][0]
    assert (first["submitted"], first["k"], first["consensus"], first["singleton"]) == (3, 3, 3, 2)
    assert (first["state"], first["waiting_for"]) == ("ranked", 0)
    assert first["gold_status"] == "" and sorted(first["primary_labels"]) == [
        "happy",
        "happy",
        "sad",
    ]

    review = client.get(url(two_clips, "detail", "a")).json()
    assert review["record"] is None and review["editable"] is False
    assert [a["annotator"] for a in review["annotations"]] == [u.username for u in annotators]
    assert [a["agrees"] for a in review["annotations"]] == [True, True, False]
    mouth = group_with(review, MOUTH)
    assert mouth["label"] == "consensus" and mouth["decision"] is None
    assert [m["annotator"] for m in mouth["members"]] == [u.username for u in annotators]
    assert mouth["model_cue"]["text"] == MOUTH
    singles = [g["key"] for g in review["groups"] if g["label"] == "singleton"]
    loud = group_with(review, LOUD_AS_HEARD)
    happy = next(g for g in review["groups"] if g["modality"] == "emotional")

    not_started = post(client, url(two_clips, "accept", "a", mouth["key"]), {"version": 1})
    assert not_started.status_code == 409 and not_started.json()["code"] == "not_started"
    opened = post(client, url(two_clips, "open", "a"))
    assert opened.status_code == 201 and opened.json()["record"]["version"] == 1
    assert opened.json()["editable"] is True
    assert post(client, url(two_clips, "open", "a")).status_code == 200  # opened once

    accepted = post(client, url(two_clips, "accept", "a", mouth["key"]), {"version": 1})
    assert accepted.status_code == 200, accepted.content
    record = accepted.json()["record"]
    assert record["version"] == 2 and record["status"] == "in_review"
    assert [(c["text"], c["how"], c["start_ms"], c["end_ms"]) for c in record["cues"]] == [
        (MOUTH, "accepted", 0, 500)
    ]
    decided = group_with(accepted.json(), MOUTH)["decision"]
    assert decided["action"] == "accept" and decided["gold_cue"] == record["cues"][0]["id"]
    assert decided["reviewer"] == reviewer.username

    rejected = post(
        client, url(two_clips, "reject", "a", loud["key"]), {"version": 2, "note": "not audible"}
    )
    assert rejected.status_code == 200 and rejected.json()["record"]["version"] == 3
    assert group_with(rejected.json(), LOUD_AS_HEARD)["decision"]["action"] == "reject"
    merged = post(
        client,
        url(two_clips, "merge", "a"),
        {"version": 3, "groups": singles, "text": "His face changes twice."},
    )
    assert merged.status_code == 200 and merged.json()["record"]["version"] == 4
    assert GoldCue.objects.get(how="merged").text == "His face changes twice."

    # A tab that still holds version 1: refused, and nothing changes.
    decisions = set(ReviewDecision.objects.values_list("group_key", "action"))
    stale = post(client, url(two_clips, "reject", "a", mouth["key"]), {"version": 1})
    assert stale.status_code == 409 and stale.json()["code"] == "stale"
    assert "now version 4" in stale.json()["detail"]
    assert GoldRecord.objects.get(clip__name="a").version == 4
    assert set(ReviewDecision.objects.values_list("group_key", "action")) == decisions

    early = post(client, url(two_clips, "finalize", "a"), {"version": 4})
    assert early.status_code == 409 and early.json()["code"] == "rejected"
    assert "1 undecided cue group(s) (emotional 1)" in early.json()["detail"]
    assert "a primary emotion label" in early.json()["detail"]
    assert GoldRecord.objects.get(clip__name="a").status == "in_review"

    post(
        client,
        url(two_clips, "accept", "a", happy["key"]),
        {"version": 4, "text": "He is cheerful."},
    )
    labelled = client.put(
        url(two_clips, "labels", "a"),
        {
            "version": 5,
            "labels": ["happy", "Calm "],
            "primary_label": "happy",
            "description": "Mostly happy.",
        },
        content_type="application/json",
    )
    assert labelled.status_code == 200, labelled.content
    assert labelled.json()["record"]["labels"] == ["happy", "calm"]
    assert labelled.json()["missing"] == []
    final = post(client, url(two_clips, "finalize", "a"), {"version": 6})
    assert final.status_code == 200 and final.json()["record"]["status"] == "gold"
    assert final.json()["editable"] is False and final.json()["record"]["finalized_at"]
    locked = post(client, url(two_clips, "undo", "a", happy["key"]), {"version": 7})
    assert locked.status_code == 409 and "is final; reopen it" in locked.json()["detail"]
    assert client.get(url(two_clips, "list")).json()["results"][-1]["clip"] == "a"  # final: last

    reopened = post(client, url(two_clips, "reopen", "a"), {"version": 7})
    assert reopened.status_code == 200 and reopened.json()["record"]["status"] == "in_review"
    undone = post(client, url(two_clips, "undo", "a", singles[0]), {"version": 8})
    assert undone.status_code == 200  # the merge is undone whole
    assert [
        group_with(undone.json(), text)["decision"]
        for text in ("He frowns briefly.", "He glances away.")
    ] == [None, None]
    assert not GoldCue.objects.filter(how="merged").exists()


def test_own_gold_cues_are_added_and_deleted_with_the_version(client, two_clips, reviewer):
    client.force_login(reviewer)
    post(client, url(two_clips, "open", "a"))
    added = post(
        client,
        url(two_clips, "gold-cues", "a"),
        {"version": 1, "modality": "visual", "text": "He blinks.", "start_ms": 0, "end_ms": 400},
    )
    assert added.status_code == 201, added.content
    cue = next(c for c in added.json()["record"]["cues"] if c["text"] == "He blinks.")
    assert (cue["how"], cue["group_key"], cue["start_ms"]) == ("written", "", 0)
    bad_span = post(
        client,
        url(two_clips, "gold-cues", "a"),
        {"version": 2, "modality": "visual", "text": "x", "start_ms": 0},
    )
    assert bad_span.status_code == 400 and "both a start and an end" in bad_span.json()["detail"]

    delete = url(two_clips, "gold-cue", "a", cue["id"])
    assert client.delete(delete).status_code == 400  # which version did you see?
    stale = client.delete(delete + "?version=1")
    assert stale.status_code == 409 and stale.json()["code"] == "stale"
    assert GoldCue.objects.filter(pk=cue["id"]).exists()
    deleted = client.delete(delete + "?version=2")
    assert deleted.status_code == 200 and deleted.json()["record"]["version"] == 3
    assert deleted.json()["record"]["cues"] == []
    # Another project's gold cue, by id: not found here.
    elsewhere = gold_clip(ProjectFactory(), "x", cues=[("visual", "far away", 0, 100)])
    other_cue = elsewhere.cues.get()
    gone = client.delete(url(two_clips, "gold-cue", "a", other_cue.pk) + "?version=3")
    assert gone.status_code == 404 and GoldCue.objects.filter(pk=other_cue.pk).exists()


def test_bad_bodies_and_refusals_name_the_problem(client, two_clips, reviewer):
    client.force_login(reviewer)
    post(client, url(two_clips, "open", "a"))
    key = client.get(url(two_clips, "detail", "a")).json()["groups"][0]["key"]
    target = url(two_clips, "accept", "a", key)
    broken = client.post(target, "{not json", content_type="application/json")
    assert broken.status_code == 400 and broken.json()["code"] == "invalid"
    assert "could not be read" in broken.json()["detail"]
    missing = post(client, target, {})
    assert missing.status_code == 400 and missing.json()["detail"].startswith("version:")
    wrong = post(client, target, {"version": "one"})
    assert wrong.status_code == 400 and "valid integer" in wrong.json()["detail"]
    unknown = post(client, url(two_clips, "accept", "a", "0123456789abcdef"), {"version": 1})
    assert (
        unknown.status_code == 409
        and "not part of this clip's alignment" in unknown.json()["detail"]
    )
    alone = post(client, url(two_clips, "merge", "a"), {"version": 1, "groups": [key], "text": "x"})
    assert alone.status_code == 400 and "at least two groups" in alone.json()["detail"]
    assert GoldRecord.objects.get(clip__name="a").version == 1
    nothing = client.get(url(two_clips, "detail", "broken"))  # nothing submitted: no review
    assert nothing.status_code == 404 and "nothing to review" in nothing.json()["detail"]
    assert client.get(url(two_clips, "detail", "nope")).status_code == 404
    assert client.options(url(two_clips, "labels", "a")).status_code == 405  # not a 500


def test_comments(client, two_clips, reviewer):
    client.force_login(reviewer)
    target = url(two_clips, "comments", "a")
    cue = Clip.objects.get(name="a").cues.filter(annotation__isnull=False).first()
    timed = post(client, target, {"text": "Check the smile.", "time_ms": 400})
    assert timed.status_code == 201, timed.content
    assert (timed.json()["author"], timed.json()["time_ms"], timed.json()["cue"]) == (
        reviewer.username,
        400,
        None,
    )
    pinned = post(client, target, {"text": "Really?", "cue": cue.pk})
    assert pinned.status_code == 201 and pinned.json()["cue"] == cue.pk
    other_cue = Clip.objects.get(name="b").cues.first()
    wrong = post(client, target, {"text": "Here?", "cue": other_cue.pk})
    assert wrong.status_code == 422 and "not part of a" in wrong.json()["detail"]
    outside = post(client, target, {"text": "Late", "time_ms": 999_999})
    assert outside.status_code == 400 and "outside the clip" in outside.json()["detail"]
    listed = client.get(target).json()
    assert listed["count"] == 2 and {c["text"] for c in listed["results"]} == {
        "Check the smile.",
        "Really?",
    }

    resolve = url(two_clips, "comment-resolve", "a", timed.json()["id"])
    resolved = post(client, resolve)
    assert resolved.status_code == 200 and resolved.json()["resolved_at"]
    again = post(client, resolve)
    assert again.status_code == 409 and "resolved already" in again.json()["detail"]
    # A comment of another clip is not found through this one.
    elsewhere = ReviewComment.objects.create(
        clip=Clip.objects.get(name="b"), author=reviewer, text="b's"
    )
    assert post(client, url(two_clips, "comment-resolve", "a", elsewhere.pk)).status_code == 404
    assert ReviewComment.objects.get(pk=elsewhere.pk).resolved_at is None


def test_who_may_review(client, two_clips, annotators, reviewer, outsider):
    manager = MembershipFactory(project=two_clips, role="manager").user
    reads = [url(two_clips, "list"), url(two_clips, "detail", "a"), url(two_clips, "comments", "a")]
    writes = [
        url(two_clips, "open", "a"),
        url(two_clips, "finalize", "a"),
        url(two_clips, "comments", "a"),
    ]

    client.force_login(annotators[0])  # a member without the role: told so
    for target in reads:
        refused = client.get(target)
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert [post(client, t, {"version": 1, "text": "x"}).status_code for t in writes] == [403] * 3
    assert "reviewers and managers" in client.get(reads[0]).json()["detail"]
    for user in (outsider, MembershipFactory(role="reviewer").user):  # of another project
        client.force_login(user)
        assert [client.get(t).status_code for t in reads] == [404] * 3
        assert [post(client, t, {"version": 1}).status_code for t in writes] == [404] * 3
    client.logout()
    anonymous = client.get(reads[0])
    assert anonymous.status_code == 403 and "credentials" in anonymous.json()["detail"]
    assert not GoldRecord.objects.exists() and not ReviewComment.objects.exists()

    two_clips.blind_mode = True  # reviewers see lanes, not names
    two_clips.save(update_fields=["blind_mode"])
    for user in (reviewer, manager):
        client.force_login(user)
        response = client.get(url(two_clips, "detail", "a"))
        assert response.status_code == 200
        assert [a["annotator"] for a in response.json()["annotations"]] == [
            "Annotator 1",
            "Annotator 2",
            "Annotator 3",
        ]
        assert not any(u.username in response.content.decode() for u in annotators)


def test_managers_auto_promote_from_the_queue(client, two_clips, reviewer):
    manager = MembershipFactory(project=two_clips, role="manager").user
    client.force_login(reviewer)
    assert post(client, url(two_clips, "list")).status_code == 403
    client.force_login(manager)
    off = post(client, url(two_clips, "list"))
    assert off.status_code == 409 and "switched off" in off.json()["detail"]
    two_clips.auto_promote_consensus = True
    two_clips.save(update_fields=["auto_promote_consensus"])
    results = post(client, url(two_clips, "list"))
    assert results.status_code == 200
    assert {r["clip"]: r["promoted"] for r in results.json()} == {"a": False, "b": True}
    assert "lack an annotator" in next(r for r in results.json() if r["clip"] == "a")["reason"]
    assert GoldRecord.objects.get().clip.name == "b"
