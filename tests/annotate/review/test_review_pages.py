"""The review pages: the conflict-first queue, who may see them, each adjudication step over
htmx with stale writes as 409, and a constant number of queries however many cues."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate.clips.models import Clip
from annotate.review import services as review_services
from annotate.review.models import GoldCue, GoldRecord, ReviewComment
from tests.annotate.review.test_reviews import (  # noqa: F401
    MOUTH,
    annotate,
    concept_scorer,
    disputed_clip,
    unanimous_clip,
)
from tests.annotate.runs.test_runs import FakeProposer, _fresh_fake  # noqa: F401
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


@pytest.fixture
def two_clips(proposed, annotators, django_capture_on_commit_callbacks):
    """Two complete clips, each aligned by the (eager) worker task its submissions queue."""
    with django_capture_on_commit_callbacks(execute=True):
        disputed_clip("a", annotators)
        unanimous_clip("b", annotators)
    return proposed


def _page(project, name):
    return reverse("review-clip", args=[project.slug, name])


def _action(project, name, action):
    return reverse("review-action", args=[project.slug, name, action])


def test_queue_puts_the_most_disputed_clip_first(client, two_clips, reviewer):
    client.force_login(reviewer)
    body = client.get(reverse("review-queue", args=[two_clips.slug])).content.decode()
    assert body.index('data-clip="a"') < body.index('data-clip="b"')
    assert "3/3" in body and f'href="{_page(two_clips, "a")}"' in body
    assert 'id="auto-promote"' not in body  # managers only
    # Once "a" is final, it goes last.
    record = review_services.gold_record_open(clip=Clip.objects.get(name="a"), reviewer=reviewer)
    GoldRecord.objects.filter(pk=record.pk).update(status="gold")
    body = client.get(reverse("review-queue", args=[two_clips.slug])).content.decode()
    assert body.index('data-clip="b"') < body.index('data-clip="a"')


def test_managers_auto_promote_from_the_queue(client, two_clips, manager):
    client.force_login(manager)
    response = client.post(reverse("review-queue", args=[two_clips.slug]))
    assert response.status_code == 409 and "switched off" in response.content.decode()
    two_clips.auto_promote_consensus = True
    two_clips.save(update_fields=["auto_promote_consensus"])
    body = client.post(reverse("review-queue", args=[two_clips.slug])).content.decode()
    assert "1 of 2 clip(s) auto-promoted" in body and "lack an annotator" in body
    assert GoldRecord.objects.get().clip.name == "b"


def test_annotators_outsiders_and_anonymous_users(
    client, two_clips, annotators, outsider, reviewer
):
    urls = [reverse("review-queue", args=[two_clips.slug]), _page(two_clips, "a")]
    client.force_login(annotators[0])
    assert [client.get(url).status_code for url in urls] == [404, 404]
    assert client.post(reverse("review-open", args=[two_clips.slug, "a"])).status_code == 404
    client.force_login(outsider)  # a manager of another project
    assert [client.get(url).status_code for url in urls] == [404, 404]
    other_reviewer = MembershipFactory(role="reviewer").user
    client.force_login(other_reviewer)
    assert [client.get(url).status_code for url in urls] == [404, 404]
    client.logout()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    response = client.post(_action(two_clips, "a", "accept"), {"version": 1}, headers=HX)
    assert response.status_code == 401 and "session has ended" in response.content.decode()
    client.force_login(reviewer)
    response = client.get(_page(two_clips, "broken"))  # nothing submitted: not reviewable
    assert response.status_code == 404


def test_the_page_shows_lanes_groups_and_label_disagreement(
    client, two_clips, reviewer, annotators
):
    client.force_login(reviewer)
    body = client.get(_page(two_clips, "a")).content.decode()
    clip = Clip.objects.get(name="a")
    assert f'src="/media/{clip.proxy}"' in body and 'id="lane-model"' in body
    for user in annotators:
        assert f'data-lane="{user.username}"' in body
    assert 'id="labels-differ"' in body and body.count('class="label-row disagree"') == 1
    assert (
        body.count('class="group label-consensus"') == 3
        and body.count('class="group label-singleton"') == 2
    )
    assert 'id="start-review"' in body and 'class="g-accept"' not in body  # not started yet
    two_clips.blind_mode = True
    two_clips.save(update_fields=["blind_mode"])
    body = client.get(_page(two_clips, "a")).content.decode()
    assert 'data-lane="Annotator 1"' in body and annotators[0].username not in body


def test_adjudicate_over_htmx_with_a_stale_tab(client, two_clips, reviewer):
    client.force_login(reviewer)
    response = client.post(reverse("review-open", args=[two_clips.slug, "a"]))
    assert response.status_code == 302
    record = GoldRecord.objects.get(clip__name="a")
    review = review_services.review_selectors.clip_review_get(clip=record.clip)
    mouth = next(g for g in review.groups if g.members and g.members[0][1].text == MOUTH)
    singles = [g for g in review.groups if g.label == "singleton"]
    body = client.get(_page(two_clips, "a")).content.decode()
    assert body.count('class="g-accept"') == 5 and 'id="record-version" value="1"' in body

    response = client.post(
        _action(two_clips, "a", "accept"),
        {"version": 1, "group": mouth.key, "text": MOUTH},
        headers=HX,
    )
    body = response.content.decode()
    assert (
        response.status_code == 200 and 'id="record-version" value="2" hx-swap-oob="true"' in body
    )
    assert f'id="group-{mouth.key}"' in body and "decided action-accept" in body
    response = client.post(
        _action(two_clips, "a", "merge"),
        {"version": 2, "text": "His face changes.", "groups": [g.key for g in singles]},
        headers=HX,
    )
    assert (
        response.status_code == 200
        and GoldCue.objects.get(how="merged").text == "His face changes."
    )

    stale = client.post(
        _action(two_clips, "a", "reject"), {"version": 1, "group": mouth.key}, headers=HX
    )
    assert stale.status_code == 409 and stale["HX-Retarget"] == "#review-message"
    assert (
        "changed elsewhere" in stale.content.decode() and 'class="reload"' in stale.content.decode()
    )

    response = client.post(_action(two_clips, "a", "finalize"), {"version": 3}, headers=HX)
    assert response.status_code == 409 and "2 undecided cue group(s)" in response.content.decode()
    assert "a primary emotion label" in response.content.decode()
    response = client.post(
        _action(two_clips, "a", "labels"),
        {
            "version": 3,
            "labels": ["happy", "sad"],
            "primary_label": "happy",
            "extra_labels": "Calm, ",
            "description": "Mixed.",
        },
        headers=HX,
    )
    assert response.status_code == 200
    record.refresh_from_db()
    assert record.labels == ["happy", "sad", "calm"] and record.version == 4
    assert (
        client.post(_action(two_clips, "a", "teleport"), {"version": 4}, headers=HX).status_code
        == 404
    )
    assert (
        client.post(_action(two_clips, "a", "accept"), {"version": "x"}, headers=HX).status_code
        == 400
    )


def test_comments_on_a_time_and_on_a_cue(client, two_clips, reviewer):
    client.force_login(reviewer)
    cue = Clip.objects.get(name="a").cues.filter(annotation__isnull=False).first()
    url = reverse("review-comment", args=[two_clips.slug, "a"])
    response = client.post(url, {"text": "Check the smile.", "time_ms": "400"}, headers=HX)
    assert response.status_code == 201 and "at 0.40 s" in response.content.decode()
    response = client.post(url, {"text": "Really?", "cue": str(cue.pk)}, headers=HX)
    assert response.status_code == 201 and ReviewComment.objects.filter(cue=cue).count() == 1
    other = Clip.objects.get(name="b").cues.filter(annotation__isnull=False).first()
    assert client.post(url, {"text": "x", "cue": str(other.pk)}, headers=HX).status_code == 422
    comment = ReviewComment.objects.get(time_ms=400)
    response = client.post(
        reverse("review-comment-resolve", args=[two_clips.slug, "a", comment.pk]), headers=HX
    )
    assert response.status_code == 200 and "resolved" in response.content.decode()


def test_the_review_page_makes_a_constant_number_of_queries(client, proposed, annotators, reviewer):
    client.force_login(reviewer)
    clip = disputed_clip("a", annotators)
    review_services.gold_record_open(clip=clip, reviewer=reviewer)
    client.get(_page(proposed, "a"))  # aligns once; the cache answers from now on
    with CaptureQueriesContext(connection) as few:
        assert client.get(_page(proposed, "a")).status_code == 200
    # Many more cues (each annotator adds ten) and comments: the same number of queries.
    from annotate.annotation.models import Annotation
    from annotate.runs.models import Cue

    for annotation in Annotation.objects.filter(clip=clip):
        Cue.objects.bulk_create(
            [
                Cue(
                    clip=clip,
                    annotation=annotation,
                    modality="visual",
                    origin="human",
                    text=f"Extra cue {annotation.pk}-{i}.",
                    start_ms=i * 40,
                    end_ms=i * 40 + 40,
                    position=100 + i,
                )
                for i in range(10)
            ]
        )
        Annotation.objects.filter(pk=annotation.pk).update(version=annotation.version + 1)
    for i in range(5):
        review_services.review_comment_add(clip=clip, author=reviewer, text=f"note {i}", time_ms=i)
    client.get(_page(proposed, "a"))
    with CaptureQueriesContext(connection) as many:
        body = client.get(_page(proposed, "a")).content.decode()
    assert "Extra cue" in body
    # session, user, project, role, clip, annotations, their cues, the model's cues, the stored
    # alignment, the gold record, its decisions, its cues, the comments
    assert len(many) == len(few) == 13, [q["sql"] for q in many.captured_queries]


def test_the_queue_makes_a_constant_number_of_queries(
    client, two_clips, reviewer, annotators, django_capture_on_commit_callbacks
):
    client.force_login(reviewer)
    url = reverse("review-queue", args=[two_clips.slug])
    with CaptureQueriesContext(connection) as two:
        assert client.get(url).status_code == 200
    clip = Clip.objects.get(name="broken")  # a third clip (its proposal failed: no model lane)
    with django_capture_on_commit_callbacks(execute=True):
        for user in annotators:
            annotate(clip, user, add=[("visual", "He smiles.", 0, 400)])
    with CaptureQueriesContext(connection) as three:
        body = client.get(url).content.decode()
    assert 'data-clip="broken" data-state="ranked"' in body and body.count("3/3") == 3
    # session, user, project, role, annotations, clips, gold records, stored alignments
    assert len(three) == len(two) == 8, [q["sql"] for q in three.captured_queries]
