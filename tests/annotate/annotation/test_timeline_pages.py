"""The timeline pages: who sees which annotation, each cue action over htmx, stale writes as
409, submit naming what is missing, and a constant number of queries however many cues."""

import pytest
from django.db.models import Field
from django.urls import reverse

from annotate.annotation import opening
from annotate.annotation.models import Annotation
from annotate.runs import services as run_services
from annotate.runs.models import Cue
from tests.annotate.runs.test_runs import FakeProposer, _fresh_fake  # noqa: F401
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


@pytest.fixture
def proposed(project, ready_clips, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_services.run_create(project=project, proposer="fake")
    return project


@pytest.fixture
def opened(client, proposed, annotator):
    client.force_login(annotator)
    response = client.post(reverse("annotate-next", args=[proposed.slug]))
    assert response.status_code == 302 and response["Location"] == f"/p/{proposed.slug}/annotate/a/"
    return Annotation.objects.get(annotator=annotator)


def _url(annotation, suffix=""):
    return reverse("timeline", args=[annotation.clip.project.slug, annotation.clip.name]) + suffix


def _cues(annotation):
    return list(annotation.cues.order_by("position"))


def _counts_oob(text):
    return f'<span class="muted" id="cue-counts" hx-swap-oob="true">{text}</span>'


def test_project_page_offers_start_and_the_timeline_shows_the_proposals(client, opened, proposed):
    page = client.get(reverse("project-detail", args=[proposed.slug])).content.decode()
    assert "Start annotating" in page and f"/p/{proposed.slug}/annotate/next/" in page
    body = client.get(_url(opened)).content.decode()
    for lane in ("lane-visual", "lane-auditory", "lane-emotional"):
        assert f'id="{lane}"' in body
    visual, auditory, emotional = _cues(opened)
    assert f'id="seg-{visual.pk}"' in body and "--start: 0; --end: 500" in body
    assert (
        'class="chip seg-untimed origin-model decision-proposed kind-inference"' in body
    )  # whole-clip cue in the margin
    assert body.count('class="cue-row origin-model decision-proposed"') == 3
    assert '<option value="happy">' in body  # vocabulary completion
    assert (
        f'data-peaks="/media/{opened.clip.peaks}"' in body
        and f'src="/media/{opened.clip.proxy}"' in body
    )


def test_another_annotator_never_reaches_your_annotation(client, opened, proposed):
    visual = _cues(opened)[0]
    other = MembershipFactory(project=proposed, role="annotator").user
    client.force_login(other)
    # No own annotation of this clip yet: the clip's read-only timeline (the run's proposals),
    # without the first annotator's copy.
    response = client.get(_url(opened), follow=True)
    assert response.redirect_chain == [(_url(opened, "view/"), 302)]
    assert f'id="cue-{visual.pk}"' not in response.content.decode()
    response = client.post(_url(opened, f"cues/{visual.pk}/accept/"), {"version": 1}, headers=HX)
    assert response.status_code == 404
    assert client.post(_url(opened, "undo/"), headers=HX).status_code == 404
    client.post(reverse("annotate-next", args=[proposed.slug]))  # now they open their own
    own = Annotation.objects.get(annotator=other)
    body = client.get(_url(own)).content.decode()
    assert f'id="cue-{visual.pk}"' not in body and own.cues.count() == 3
    Cue.objects.filter(pk=visual.pk).update(text="only the first annotator's words")
    assert "only the first annotator" not in client.get(_url(own)).content.decode()


def test_outsiders_and_anonymous_users(client, opened, outsider):
    client.logout()
    assert client.get(_url(opened)).status_code == 302  # to the login page
    response = client.post(_url(opened, "save/"), {"version": 1}, headers=HX)
    assert response.status_code == 401 and "session has ended" in response.content.decode()
    assert response["HX-Retarget"] == "#timeline-message"
    client.force_login(outsider)
    assert client.get(_url(opened)).status_code == 404
    assert client.post(reverse("annotate-next", args=[opened.clip.project.slug])).status_code == 404


def test_each_cue_action_saves_and_answers_the_row(client, opened):
    visual, auditory, emotional = _cues(opened)
    response = client.post(_url(opened, f"cues/{visual.pk}/accept/"), {"version": 1}, headers=HX)
    body = response.content.decode()
    assert response.status_code == 200 and 'class="cue-row origin-model decision-accepted"' in body
    assert (
        f'id="seg-{visual.pk}"' in body
        and 'hx-swap-oob="true"' in body
        and 'data-version="2"' in body
    )
    assert _counts_oob("3 · 2 proposed, 1 accepted") in body  # the list's header, out of band

    response = client.post(
        _url(opened, f"cues/{auditory.pk}/edit/"),
        {"version": 1, "text": "The voice is loud and fast."},
        headers=HX,
    )
    assert (
        response.status_code == 200 and "The voice is loud and fast." in response.content.decode()
    )
    assert _counts_oob("3 · 1 proposed, 1 accepted, 1 edited") in response.content.decode()
    response = client.post(
        _url(opened, f"cues/{emotional.pk}/reject/"),
        {"version": 1, "reason": "not supported"},
        headers=HX,
    )
    assert response.status_code == 200 and "not supported" in response.content.decode()
    assert _counts_oob("3 · 1 accepted, 1 edited, 1 rejected") in response.content.decode()
    page = client.get(_url(opened)).content.decode()  # the page's header says the same, in place
    assert '<span class="muted" id="cue-counts">3 · 1 accepted, 1 edited, 1 rejected</span>' in page

    response = client.post(
        _url(opened, f"cues/{visual.pk}/retime/"),
        {"version": 2, "start_ms": "101", "end_ms": "499"},
        headers=HX,
    )
    assert (
        response.status_code == 200 and "--start: 120; --end: 480" in response.content.decode()
    )  # snapped

    response = client.post(
        _url(opened, "cues/new/"),
        {"modality": "visual", "text": "He glances away.", "start_ms": 200, "end_ms": 600},
        headers=HX,
    )
    assert response.status_code == 201 and "cues-changed" in response["HX-Trigger"]
    added = opened.cues.get(origin="human")
    assert (added.start_ms, added.end_ms) == (200, 600)
    workspace = client.get(_url(opened, "workspace/"), headers=HX).content.decode()
    assert (
        f'id="cue-{added.pk}"' in workspace and 'id="cue-list-card" hx-swap-oob="true"' in workspace
    )
    assert (
        '<span class="muted" id="cue-counts">4 · 2 accepted, 1 edited, 1 rejected</span>'
        in workspace
    )

    response = client.post(_url(opened, f"cues/{added.pk}/delete/"), {"version": 1}, headers=HX)
    assert response.status_code == 200 and not opened.cues.filter(origin="human").exists()
    response = client.post(_url(opened, "undo/"), headers=HX)
    assert response.status_code == 200 and opened.cues.filter(origin="human").exists()
    assert str(added.pk) in response["HX-Trigger"]

    stored = {c.pk: c for c in opened.cues.all()}
    assert stored[visual.pk].decision == "accepted" and stored[auditory.pk].decision == "edited"
    assert stored[emotional.pk].reject_reason == "not supported"


def test_refusals_are_4xx_with_the_message(client, opened):
    visual, auditory, emotional = _cues(opened)
    assert (
        client.post(
            _url(opened, f"cues/{visual.pk}/accept/"), {"version": 1}, headers=HX
        ).status_code
        == 200
    )
    stale = client.post(
        _url(opened, f"cues/{visual.pk}/edit/"), {"version": 1, "text": "Other."}, headers=HX
    )
    body = stale.content.decode()
    assert stale.status_code == 409 and "changed elsewhere" in body and "Reload" in body
    assert stale["HX-Retarget"] == "#timeline-message"
    assert (
        Cue.objects.get(pk=visual.pk).text == "The corners of the mouth turn up."
    )  # not overwritten

    assert (
        client.post(
            _url(opened, f"cues/{auditory.pk}/edit/"), {"text": "x"}, headers=HX
        ).status_code
        == 400
    )
    bad = client.post(_url(opened, "cues/new/"), {"modality": "smell", "text": "x"}, headers=HX)
    assert (
        bad.status_code == 400 and "is not a valid choice" in bad.content.decode()
    )  # the API's serializer
    outside = client.post(
        _url(opened, "cues/new/"),
        {"modality": "visual", "text": "x", "start_ms": 0, "end_ms": 99999},
        headers=HX,
    )
    assert outside.status_code == 400 and "does not fit the clip" in outside.content.decode()
    assert (
        client.post(_url(opened, f"cues/{visual.pk}/fly/"), {"version": 2}, headers=HX).status_code
        == 404
    )

    saved = client.post(
        _url(opened, "save/"),
        {
            "version": 1,
            "labels": ["Happy"],
            "primary_label": "happy",
            "description": "In the video, he smiles.",
        },
        headers=HX,
    )
    assert (
        saved.status_code == 200 and 'id="annotation-version" value="2"' in saved.content.decode()
    )
    stale = client.post(
        _url(opened, "save/"), {"version": 1, "description": "older tab"}, headers=HX
    )
    assert stale.status_code == 409
    assert Annotation.objects.get(pk=opened.pk).description == "In the video, he smiles."


def test_submit_names_what_is_missing_then_opens_the_next_clip(client, opened, proposed):
    response = client.post(_url(opened, "submit/"), {"version": 1}, headers=HX)
    body = response.content.decode()
    assert response.status_code == 409  # the annotation's state refuses it, as in the API
    assert "3 proposed cue(s) still need a decision" in body and "a primary emotion label" in body
    assert "the reasoning description" in body
    for cue in _cues(opened):
        client.post(_url(opened, f"cues/{cue.pk}/accept/"), {"version": cue.version}, headers=HX)
    client.post(
        _url(opened, "save/"),
        {
            "version": 1,
            "labels": ["happy", "excited"],
            "primary_label": "happy",
            "description": "In the video, he smiles. Therefore, happy.",
        },
        headers=HX,
    )
    response = client.post(_url(opened, "submit/"), {"version": 2}, headers=HX)
    assert (
        response.status_code == 200
        and response["HX-Redirect"] == f"/p/{proposed.slug}/annotate/next/?submitted=a"
    )
    assert Annotation.objects.get(pk=opened.pk).status == "submitted"
    nxt = client.get(response["HX-Redirect"])
    assert nxt.status_code == 302
    assert nxt["Location"] == f"/p/{proposed.slug}/annotate/b/?submitted=a"
    # The next clip says what was submitted, with an undo (reopen) for a short while.
    notice = client.get(nxt["Location"]).content.decode()
    assert "Submitted\n  a — next: b." in notice and 'data-undo-seconds="10"' in notice
    assert f'hx-post="/p/{proposed.slug}/annotate/a/reopen/"' in notice
    # A second submit (a double Enter) is told it is already submitted.
    again = client.post(_url(opened, "submit/"), {"version": 2}, headers=HX)
    assert again.status_code == 409 and "Clip a is already submitted" in again.content.decode()
    assert "reservation" not in again.content.decode()
    page = client.get(_url(opened)).content.decode()  # read only now
    assert "read only" in page and "hx-post" not in page.split('id="cue-list"')[1]
    for _ in range(2):  # clips b and broken (ready, though its proposal failed)
        client.post(reverse("annotate-next", args=[proposed.slug]))
        Annotation.objects.filter(annotator=opened.annotator).update(status="submitted")
    done = client.post(reverse("annotate-next", args=[proposed.slug]))
    assert done.status_code == 200 and "Nothing left to annotate" in done.content.decode()


def test_the_page_needs_the_same_few_queries_for_300_cues(
    client, opened, django_assert_max_num_queries
):
    clip = opened.clip
    Cue.objects.bulk_create(
        [
            Cue(
                clip=clip,
                annotation=opened,
                position=10 + n,
                modality=("visual", "auditory", "emotional")[n % 3],
                text=f"cue number {n}",
                start_ms=(n * 3) % 900,
                end_ms=(n * 3) % 900 + 50,
                origin="human",
                decision="accepted",
            )
            for n in range(297)
        ]
    )
    # Six, and one for the calibrated confidence of the proposals still undecided (there are).
    with django_assert_max_num_queries(7):
        body = client.get(_url(opened)).content.decode()
    assert body.count('<li class="cue-row') == 300
    with django_assert_max_num_queries(7):
        client.get(_url(opened, "workspace/"), headers=HX)
    cue = opened.cues.get(position=11)
    # Session, user, the cue (one join), savepoint, the lease renewal, UPDATE, the undo event,
    # the audit event, release, and the header counts.
    with django_assert_max_num_queries(10):
        response = client.post(
            _url(opened, f"cues/{cue.pk}/edit/"), {"version": 1, "text": "new"}, headers=HX
        )
    assert response.status_code == 200


def test_the_project_page_lists_my_annotations_only(
    client,
    project,
    ready_clips,
    annotator,
    django_assert_max_num_queries,
):
    from annotate.clips.models import Clip

    other = MembershipFactory(project=project, role="annotator").user
    opening.annotation_open(clip=Clip.objects.get(name="a"), annotator=annotator)
    opening.annotation_open(clip=Clip.objects.get(name="b"), annotator=other)
    client.force_login(annotator)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("project-detail", args=[project.slug])).content.decode()
    assert 'id="my-annotations"' in page and 'data-clip="a" data-status="draft"' in page
    assert 'data-clip="b" data-status="draft"' not in page


def test_the_timelines_data_are_never_localized(client, opened, settings):
    """Times, ids and versions in attributes and styles are read by the scripts and by CSS: a
    deployment that turns on thousands separators must not write "12,345" there. (It also
    skips Django's number formatting, about a fifth of the page's work: bench/RESULTS.md.)"""
    settings.USE_THOUSAND_SEPARATOR = True
    clip = opened.clip
    clip.duration_ms = 60_000
    clip.save(update_fields=["duration_ms"])
    visual = _cues(opened)[0]
    Cue.objects.filter(pk=visual.pk).update(start_ms=12_000, end_ms=13_480, version=1234)
    for response in (
        client.get(_url(opened)),
        client.get(_url(opened, "workspace/"), headers=HX),
        client.post(_url(opened, f"cues/{visual.pk}/accept/"), {"version": 1234}, headers=HX),
    ):
        body = response.content.decode()
        assert response.status_code == 200, body[:300]
        assert f'id="seg-{visual.pk}"' in body
        assert 'data-start-ms="12000" data-end-ms="13480"' in body
        assert "--start: 12000; --end: 13480" in body
        assert "12,000" not in body and "13,480" not in body and "1,23" not in body


def test_cue_changes_create_no_model_field(client, opened):
    """Creating a model field invalidates CPython's attribute caches of every field class
    (studio/typecache.py): a save's joins and its version bump must not create one."""
    visual, auditory, _ = _cues(opened)
    counters = (Field.creation_counter, Field.auto_creation_counter)
    for path, data in (
        (f"cues/{visual.pk}/accept/", {"version": 1}),
        (f"cues/{auditory.pk}/edit/", {"version": 1, "text": "The voice is loud."}),
        (f"cues/{auditory.pk}/retime/", {"version": 2, "start_ms": 0, "end_ms": 400}),
        ("undo/", {}),
    ):
        response = client.post(_url(opened, path), data, headers=HX)
        assert response.status_code == 200, (path, response.content[:300])
    assert (Field.creation_counter, Field.auto_creation_counter) == counters
    # Each change bumps its cue's version by one, the undo too: accepted; edited, retimed, undone.
    assert [cue.version for cue in _cues(opened)][:2] == [2, 4]
