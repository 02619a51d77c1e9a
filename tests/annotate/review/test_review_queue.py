"""The review queue (issue #15, point 4): alignments are computed by a worker when an annotation
is submitted and stored in the database for every process; the queue only reads them (a clip
not aligned yet is "aligning…" and queued again, never aligned in the request, so the sentence
model never loads there); clips without all k submissions are listed apart ("waiting for n
more"), and a group of one is no disagreement when there is no one to disagree with."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from annotate.clips.models import Clip
from annotate.core import scorer as core_scorer
from tests.annotate.review.test_reviews import (  # noqa: F401
    annotate,
    concept_scorer,
    disputed_clip,
    unanimous_clip,
)
from tests.annotate.runs.test_runs import FakeProposer, _fresh_fake  # noqa: F401

pytestmark = pytest.mark.django_db
SIGH = ("visual", "He sighs.", 0, 400)


class ModelLoaded(AssertionError):
    pass


class RaisingScorer:
    """Stands in for the process's scorer: any use of it (its embedding cache, the sentence
    model behind it) fails the test."""

    def __getattr__(self, name):
        raise ModelLoaded(f"the sentence model was used in the request ({name})")


def _queue(client, project):
    response = client.get(reverse("review-queue", args=[project.slug]))
    assert response.status_code == 200
    return response.content.decode()


def _rows(body, table):
    """(clip, state or waiting-for) of each row of a table of the queue page, in order."""
    section = body.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    if table == "queue-table":
        return re.findall(r'data-clip="([^"]+)" data-state="([^"]+)"', section)
    return re.findall(r'data-clip="([^"]+)" data-waiting-for="(\d+)"', section)


def test_submitting_queues_the_alignment_on_the_cpu_queue(
    proposed, annotators, django_capture_on_commit_callbacks, monkeypatch
):
    from annotate.review import tasks as review_tasks
    from annotate.review.models import ClipAlignment

    sent = []
    monkeypatch.setattr(review_tasks.clip_align, "delay", lambda clip_id: sent.append(clip_id))
    clip = Clip.objects.get(name="a")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        annotate(clip, annotators[0])
    assert sent == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert sent == [clip.pk]
    row = ClipAlignment.objects.get(clip=clip)
    assert row.queued_key and row.queued_at and row.computed_at is None
    route = review_tasks.clip_align.app.amqp.router.route({}, review_tasks.clip_align.name)
    assert review_tasks.clip_align.name == "annotate.review.tasks.clip_align"
    assert route["queue"].name == "cpu"


def test_the_worker_stores_the_alignment_and_the_queue_and_page_read_it(
    client, proposed, annotators, reviewer, django_capture_on_commit_callbacks, monkeypatch
):
    from annotate.review.models import ClipAlignment

    with django_capture_on_commit_callbacks(execute=True):  # eager tasks: the worker's work
        disputed_clip("a", annotators)
    stored = ClipAlignment.objects.get(clip__name="a")
    assert stored.computed_at is not None and stored.key == stored.queued_key
    assert {g["label"] for g in stored.groups} >= {"consensus", "singleton"}
    monkeypatch.setattr(core_scorer, "_scorer", RaisingScorer())  # no model from here on
    client.force_login(reviewer)
    assert _rows(_queue(client, proposed), "queue-table") == [("a", "ranked")]
    page = client.get(reverse("review-clip", args=[proposed.slug, "a"]))
    assert page.status_code == 200  # the clip's page reads the same stored groups
    # What the queue shows comes from the stored row: rewrite it and the counts follow.
    groups = [{**g, "label": "disputed"} for g in stored.groups if g["label"] != "model_only"]
    ClipAlignment.objects.filter(pk=stored.pk).update(groups=groups)
    body = _queue(client, proposed)
    assert f'<span class="g-disputed">{len(groups)}</span>' in body
    assert '<span class="g-consensus">0</span>' in body


def test_the_queue_never_loads_the_model_lists_aligning_clips_and_queues_them_once(
    client, proposed, annotators, reviewer, django_capture_on_commit_callbacks, monkeypatch
):
    from annotate.review import tasks as review_tasks
    from annotate.review.alignment_queue import REQUEUE_AFTER
    from annotate.review.models import ClipAlignment

    with django_capture_on_commit_callbacks(execute=True):
        unanimous_clip("b", annotators)  # aligned by the worker
    disputed_clip("a", annotators)  # submitted, but its tasks never ran (no commit here)
    # ... and were lost: asked for longer ago than a task can take.
    ClipAlignment.objects.filter(clip__name="a").update(
        queued_at=timezone.now() - REQUEUE_AFTER - timedelta(seconds=1)
    )
    annotate(Clip.objects.get(name="broken"), annotators[0], add=[SIGH])  # 1 of 3
    sent = []
    monkeypatch.setattr(review_tasks.clip_align, "delay", lambda clip_id: sent.append(clip_id))
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        # the review queue in a process where the sentence model cannot load
        monkeypatch.setattr(core_scorer, "scorer_get", _raise)
        monkeypatch.setattr(core_scorer, "_scorer", RaisingScorer())
        body = _queue(client, proposed)
    assert _rows(body, "queue-table") == [("b", "ranked"), ("a", "aligning")]
    assert "aligning…" in body.split('data-clip="a"', 1)[1].split("</tr>", 1)[0]
    assert _rows(body, "waiting-table") == [("broken", "2")]
    assert "waiting for 2 more" in body
    a = Clip.objects.get(name="a")
    assert sent == [a.pk]  # the missing alignment is asked for, after the commit
    assert ClipAlignment.objects.get(clip=a).queued_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        _queue(client, proposed)
    assert sent == [a.pk]  # a reload does not ask again while the worker is on it
    # The API says the same.
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.get(f"/api/projects/{proposed.slug}/reviews/").json()["results"]
    assert [(r["clip"], r["state"], r["waiting_for"]) for r in answer] == [
        ("b", "ranked", 0),
        ("a", "aligning", 0),
        ("broken", "waiting", 2),
    ]
    assert answer[1]["disagreement"] is None and answer[1]["consensus"] is None


def _raise(*_args, **_kwargs):
    raise ModelLoaded("scorer_get() was called in the request")


def test_a_clip_missing_submissions_is_never_ranked_first(
    client, proposed, annotators, reviewer, django_capture_on_commit_callbacks
):
    """The first week: a clip with 1 of 3 annotations came first with disagreement 1.00."""
    with django_capture_on_commit_callbacks(execute=True):
        disputed_clip("a", annotators)
        annotate(Clip.objects.get(name="broken"), annotators[0], add=[SIGH])  # 1 of 3
        annotate(Clip.objects.get(name="b"), annotators[0])  # and "b" only 2 of 3
        annotate(Clip.objects.get(name="b"), annotators[1])
    client.force_login(reviewer)
    body = _queue(client, proposed)
    assert _rows(body, "queue-table") == [("a", "ranked")]
    assert _rows(body, "waiting-table") == [("b", "1"), ("broken", "2")]
    assert "waiting for 1 more" in body and "waiting for 2 more" in body


def test_a_group_of_one_is_no_disagreement_without_another_annotator(
    client, proposed, annotators, reviewer, django_capture_on_commit_callbacks
):
    from annotate.review.selectors import disagreement_score

    assert disagreement_score(
        consensus=0, disputed=0, singleton=3, label_agreement=1.0, annotators=1
    ) == pytest.approx(0.0)
    assert disagreement_score(
        consensus=1, disputed=0, singleton=3, label_agreement=1.0, annotators=3
    ) == pytest.approx(0.75)
    proposed.annotators_per_clip = 1  # one annotator per clip: every group is a group of one
    proposed.save(update_fields=["annotators_per_clip"])
    with django_capture_on_commit_callbacks(execute=True):
        annotate(Clip.objects.get(name="a"), annotators[0], add=[SIGH])
    client.force_login(reviewer)
    body = _queue(client, proposed)
    row = body.split('data-clip="a"', 1)[1].split("</tr>", 1)[0]
    singletons = int(re.search(r'<span class="g-singleton">(\d+)</span>', row).group(1))
    assert 'data-state="ranked"' in row and singletons >= 2  # the model's three, and the sigh
    assert "<td>0.00</td>" in row


def test_a_broker_outage_leaves_the_clip_to_be_asked_for_again(
    proposed, annotators, django_capture_on_commit_callbacks, monkeypatch
):
    from kombu.exceptions import OperationalError

    from annotate.review import tasks as review_tasks
    from annotate.review.alignment_queue import clip_alignments_queue
    from annotate.review.models import ClipAlignment

    def down(_clip_id):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(review_tasks.clip_align, "delay", down)
    clip = Clip.objects.get(name="a")
    with django_capture_on_commit_callbacks(execute=True):
        annotate(clip, annotators[0])  # the submission itself goes through
    assert ClipAlignment.objects.get(clip=clip).queued_at is None
    sent = []
    monkeypatch.setattr(review_tasks.clip_align, "delay", lambda clip_id: sent.append(clip_id))
    key = ClipAlignment.objects.get(clip=clip).queued_key
    with django_capture_on_commit_callbacks(execute=True):
        assert clip_alignments_queue(keys={clip.pk: key}) == [clip.pk]
    assert sent == [clip.pk]
