"""The clip's read-only timeline (issue #15, point 1): who reaches it and what each sees (a run's
proposals for whoever may see model output; the annotators' submitted work for reviewers and
managers, named as the review screen names them), the run picker and its ?run=, the answers to
ids that name nothing, no editing control anywhere, and no write through the timeline's POST
endpoints for anyone without their own annotation."""

import re

import pytest
from django.urls import reverse

from annotate.annotation import opening
from annotate.annotation.models import Annotation
from annotate.clips.models import Clip
from annotate.review import selectors as review_selectors
from annotate.runs import services as run_services
from annotate.runs.models import Cue, ModelRun, Proposal
from tests.annotate.review.test_reviews import annotate, concept_scorer  # noqa: F401
from tests.annotate.runs.test_runs import FakeProposer, _fresh_fake  # noqa: F401
from tests.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}

# What no page of the read-only timeline may hold: every editing control of the timeline.
EDITING = (
    "hx-post",
    "data-retime-url",
    'class="handle',
    "act-accept",
    "act-edit",
    "act-reject",
    "act-delete",
    "inline-edit",
    "inline-reject",
    'id="annotation-form"',
    'id="submit-btn"',
    'id="undo-btn"',
    'id="reopen-btn"',
    'id="new-cue-form"',
    'id="label-new"',
    "remove-label",
    "<textarea",
)


@pytest.fixture
def world(project, ready_clips, django_capture_on_commit_callbacks):
    """Clip "a" with two finished runs of the fake proposer ("first", then "second") and three
    annotators' submitted work on it (started from the second run's proposals), a fourth
    annotator's draft, a reviewer and a manager."""
    project.annotators_per_clip = 3
    project.save(update_fields=["annotators_per_clip"])
    with django_capture_on_commit_callbacks(execute=True):
        first = run_services.run_create(project=project, proposer="fake", label="first")
    with django_capture_on_commit_callbacks(execute=True):
        second = run_services.run_create(project=project, proposer="fake", label="second")
    annotators = [MembershipFactory(project=project, role="annotator").user for _ in range(4)]
    clip = Clip.objects.get(name="a")
    annotate(clip, annotators[0], add=[("visual", "He frowns briefly.", 0, 400)])
    annotate(clip, annotators[1], decide={"auditory": "He shouts."}, primary="sad", labels=["sad"])
    annotate(clip, annotators[2], decide={"auditory": "reject"})
    draft = opening.annotation_open(clip=clip, annotator=annotators[3])
    return {
        "project": project,
        "clip": clip,
        "runs": (first, second),
        "annotators": annotators,
        "draft": draft,
        "submitted": list(Annotation.objects.filter(clip=clip, status="submitted").order_by("pk")),
        "reviewer": MembershipFactory(project=project, role="reviewer").user,
        "manager": MembershipFactory(project=project, role="manager").user,
    }


def _view(world, query=""):
    return reverse("timeline-view", args=[world["project"].slug, "a"]) + query


def _own(world):
    return reverse("timeline", args=[world["project"].slug, "a"])


def _proposal_cues(run, clip):
    return list(Cue.objects.filter(proposal__run=run, proposal__clip=clip))


def _segments(body: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'id="seg-(\d+)"', body)}


def _lane_of(body: str, cue_id: int) -> str:
    """The modality lane that holds segment `cue_id`."""
    lanes = re.split(r'(?=<div class="track-row lane" id="lane-)', body)
    for lane in lanes[1:]:
        if f'id="seg-{cue_id}"' in lane:
            return re.match(r'<div class="track-row lane" id="lane-(\w+)"', lane).group(1)
    raise AssertionError(f"cue {cue_id} is on no lane")


def _no_editing_control(body: str) -> None:
    found = [marker for marker in EDITING if marker in body]
    assert not found, f"editing controls on the read-only timeline: {found}"


def test_a_manager_without_an_annotation_is_sent_to_the_read_only_timeline(client, world):
    client.force_login(world["manager"])
    response = client.get(_own(world))
    assert response.status_code == 302 and response["Location"] == _view(world)
    first = world["runs"][0]
    response = client.get(_own(world) + f"?run={first.pk}")  # a shared link keeps its run
    assert response["Location"] == _view(world, f"?run={first.pk}")


def test_it_shows_the_newest_finished_runs_proposals_on_their_lanes(client, world):
    first, second = world["runs"]
    client.force_login(world["manager"])
    response = client.get(_view(world))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="read-only-banner"' in body and 'class="badge read-only">Read-only<' in body
    assert 'data-read-only="1"' in body and 'data-editable="0"' in body
    cues = _proposal_cues(second, world["clip"])
    assert _segments(body) == {c.pk for c in cues}
    for cue in cues:
        assert _lane_of(body, cue.pk) == cue.modality
    assert 'id="lane-visual"' in body and 'id="subtitles"' in body and 'id="player"' in body
    assert f'data-run="{second.pk}"' in body and "In the video, the corners of the mouth" in body
    # the picker offers both runs, newest first, the shown one selected
    options = re.findall(r'<option value="(\d+)"( selected)?>', body)
    assert options == [(str(second.pk), " selected"), (str(first.pk), "")]
    _no_editing_control(body)


def test_the_run_picker_shows_the_chosen_run_and_prefers_finished_runs(client, world):
    first, second = world["runs"]
    clip = world["clip"]
    client.force_login(world["manager"])
    body = client.get(_view(world, f"?run={first.pk}")).content.decode()
    assert _segments(body) == {c.pk for c in _proposal_cues(first, clip)}
    assert f'<option value="{first.pk}" selected>' in body
    assert f'<option value="{second.pk}">' in body
    # A newer run still running (its proposal for "a" done) is offered but not opened by default.
    running = run_services.run_create(project=world["project"], proposer="fake", label="third")
    ModelRun.objects.filter(pk=running.pk).update(status=ModelRun.Status.RUNNING)
    Proposal.objects.filter(run=running, clip=clip).update(status=Proposal.Status.DONE)
    body = client.get(_view(world)).content.decode()
    assert f'<option value="{running.pk}">' in body
    assert f'data-run="{second.pk}"' in body
    # A run whose proposal for this clip failed is not offered.
    Proposal.objects.filter(run=running, clip=clip).update(status=Proposal.Status.FAILED)
    body = client.get(_view(world)).content.decode()
    assert f'<option value="{running.pk}">' not in body


def test_ids_that_name_nothing_get_a_clear_answer(client, world):
    with_other = ModelRun.objects.create(project=ProjectFactory(), proposer="fake", version="1.0")
    client.force_login(world["manager"])
    for run_id in (999_999, with_other.pk):
        response = client.get(_view(world, f"?run={run_id}"))
        body = response.content.decode()
        assert response.status_code == 404
        assert f"Run #{run_id} has no proposals for a. Choose one in the run picker." in body
        assert 'id="run-picker"' in body and _segments(body) == set()
    response = client.get(_view(world, "?run=seven"))
    assert response.status_code == 400
    said = "?run= takes a run&#x27;s number, as its picker sets it; &#x27;seven&#x27; is not one."
    assert said in response.content.decode()
    response = client.get(_view(world, f"?annotation={world['draft'].pk}"))  # a draft: not shown
    assert response.status_code == 404
    assert f"a has no submitted annotation #{world['draft'].pk} that you can see." in (
        response.content.decode()
    )
    assert client.get(_view(world, "?annotation=-1")).status_code == 400
    elsewhere = annotate(Clip.objects.get(name="b"), world["annotators"][0])  # submitted, clip b
    response = client.get(_view(world, f"?annotation={elsewhere.pk}"))
    assert response.status_code == 404 and _segments(response.content.decode()) == set()
    no_runs = reverse("timeline-view", args=[world["project"].slug, "b"]) + "?run=999999"
    Proposal.objects.filter(clip__name="b").delete()
    assert "No run has any yet." in client.get(no_runs).content.decode()
    missing = reverse("timeline-view", args=[world["project"].slug, "nope"])
    assert client.get(missing).status_code == 404


def test_reviewers_and_managers_choose_an_annotators_submitted_work(client, world):
    first_work, second_work, _ = world["submitted"]
    for user in (world["reviewer"], world["manager"]):
        client.force_login(user)
        body = client.get(_view(world)).content.decode()
        chooser = re.findall(r'data-annotation="(\d+)"\s*>([^<]+)</a>', body)
        assert chooser == [(str(a.pk), a.annotator.username) for a in world["submitted"]]
        assert f'data-annotation="{world["draft"].pk}"' not in body  # drafts are not shown
        response = client.get(_view(world, f"?annotation={first_work.pk}"))
        body = response.content.decode()
        assert response.status_code == 200 and 'data-showing="annotation"' in body
        cues = list(first_work.cues.all())
        assert _segments(body) == {c.pk for c in cues}
        frown = first_work.cues.get(text="He frowns briefly.")
        assert _lane_of(body, frown.pk) == "visual"
        row = body[body.index(f'id="cue-{frown.pk}"') :].split("</li>")[0]
        assert re.search(r'class="badge decision accepted">\s*added\s*<', row)  # not "yours"
        assert "In the video, he smiles. Therefore, happy." in body
        assert f"{first_work.annotator.username}'s submitted annotation of a" in body
        assert 'aria-current="true">' + first_work.annotator.username in body
        _no_editing_control(body)
        body = client.get(_view(world, f"?annotation={second_work.pk}")).content.decode()
        assert "He shouts." in body and 'data-label="sad"' in body


def test_blind_projects_name_the_work_as_the_review_screen_does(client, world):
    project = world["project"]
    project.blind_mode = True
    project.save(update_fields=["blind_mode"])
    review = review_selectors.clip_review_get(clip=Clip.objects.get(pk=world["clip"].pk))
    expected = [(str(lane.annotation.pk), lane.label) for lane in review.lanes]
    assert [label for _, label in expected] == ["Annotator 1", "Annotator 2", "Annotator 3"]
    for user in (world["reviewer"], world["manager"]):
        client.force_login(user)
        body = client.get(_view(world)).content.decode()
        assert re.findall(r'data-annotation="(\d+)"\s*>([^<]+)</a>', body) == expected
        shown = client.get(_view(world, f"?annotation={expected[1][0]}")).content.decode()
        assert "Annotator 2's submitted annotation of a" in shown
        for annotator in world["annotators"]:
            assert annotator.username not in shown
    # A blind project's annotators: a 404 without an annotation of their own, and their own
    # (editable) timeline with one, with no way to the read-only one.
    outsider_to_clip = MembershipFactory(project=project, role="annotator").user
    client.force_login(outsider_to_clip)
    assert client.get(_view(world)).status_code == 404
    assert client.get(_own(world)).status_code == 404
    client.force_login(world["annotators"][3])  # holds the draft
    assert client.get(_view(world)).status_code == 404
    body = client.get(_own(world)).content.decode()
    assert 'id="annotation-form"' in body and 'id="read-only-link"' not in body


def test_annotators_see_only_the_runs_proposals_never_anothers_work(client, world):
    newcomer = MembershipFactory(project=world["project"], role="annotator").user
    client.force_login(newcomer)
    response = client.get(_own(world), follow=True)
    body = response.content.decode()
    assert response.redirect_chain == [(_view(world), 302)] and response.status_code == 200
    assert _segments(body) == {c.pk for c in _proposal_cues(world["runs"][1], world["clip"])}
    assert 'id="work-picker"' not in body and "He frowns briefly." not in body
    for work in world["submitted"]:
        response = client.get(_view(world, f"?annotation={work.pk}"))
        assert response.status_code == 404 and "He frowns briefly." not in response.content.decode()
    # An annotator with an annotation of the clip gets it, editable, as before.
    client.force_login(world["annotators"][3])
    body = client.get(_own(world)).content.decode()
    assert 'id="annotation-form"' in body and 'id="read-only-link"' not in body
    assert 'id="own-annotation-link"' in client.get(_view(world)).content.decode()


def test_outsiders_and_anonymous_users(client, world, outsider):
    assert client.get(_view(world)).status_code == 302  # to the login page
    assert reverse("login") in client.get(_view(world))["Location"]
    client.force_login(outsider)
    assert client.get(_view(world)).status_code == 404
    assert client.get(_own(world)).status_code == 404


def test_a_manager_who_annotates_reaches_both_timelines(client, world):
    manager = world["manager"]
    opening.annotation_open(clip=world["clip"], annotator=manager)
    client.force_login(manager)
    body = client.get(_own(world)).content.decode()
    assert 'id="annotation-form"' in body
    assert f'id="read-only-link" href="{_view(world)}"' in body
    body = client.get(_view(world)).content.decode()
    assert f'id="own-annotation-link" href="{_own(world)}"' in body
    _no_editing_control(body)


def test_a_reviewer_cannot_write_through_the_timelines_endpoints(client, world):
    """The read-only timeline shows other people's cues with their ids; every write still needs
    one's own annotation, so each is a 404 and nothing changes. The view itself takes GET only."""
    work = world["submitted"][0]
    cue = work.cues.get(text="He frowns briefly.")
    model_cue = work.cues.filter(origin="model").first()
    before = {c.pk: (c.text, c.version, c.decision) for c in Cue.objects.filter(clip=world["clip"])}
    slug = world["project"].slug
    client.force_login(world["reviewer"])
    assert client.get(_view(world, f"?annotation={work.pk}")).status_code == 200
    for action, data in (
        ("accept", {"version": model_cue.version}),
        ("reject", {"version": model_cue.version, "reason": "no"}),
        ("edit", {"version": cue.version, "text": "changed by the reviewer"}),
        ("retime", {"version": cue.version, "start_ms": 0, "end_ms": 200}),
        ("delete", {"version": cue.version}),
    ):
        target = cue if action in ("edit", "retime", "delete") else model_cue
        url = reverse("timeline-cue-action", args=[slug, "a", target.pk, action])
        assert client.post(url, data, headers=HX).status_code == 404, action
    for route, data in (
        ("timeline-cue-new", {"modality": "visual", "text": "x", "version": work.version}),
        ("timeline-save", {"version": work.version, "labels": ["sad"], "primary_label": "sad"}),
        ("timeline-submit", {"version": work.version}),
        ("timeline-undo", {}),
        ("timeline-reopen", {"version": work.version}),
    ):
        response = client.post(reverse(route, args=[slug, "a"]), data, headers=HX)
        assert response.status_code == 404, route
    api = f"/api/projects/{slug}/annotations/a/cues/{cue.pk}/"
    response = client.patch(
        api, {"version": cue.version, "text": "x"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert client.post(_view(world), {"text": "x"}).status_code == 405
    after = {c.pk: (c.text, c.version, c.decision) for c in Cue.objects.filter(clip=world["clip"])}
    assert after == before
    work.refresh_from_db()
    assert work.status == "submitted" and work.labels == ["happy"]


def test_the_page_needs_the_same_few_queries_for_300_cues(
    client, world, django_assert_max_num_queries
):
    work = world["submitted"][0]
    Cue.objects.bulk_create(
        [
            Cue(
                clip=world["clip"],
                annotation=work,
                position=100 + n,
                modality=("visual", "auditory", "emotional")[n % 3],
                text=f"cue number {n}",
                start_ms=(n * 3) % 900,
                end_ms=(n * 3) % 900 + 50,
                origin="human",
                decision="accepted",
            )
            for n in range(300)
        ]
    )
    client.force_login(world["manager"])
    # Session, user, project, role, clip, the runs' proposals, the submitted work, its cues,
    # and one's own annotation.
    with django_assert_max_num_queries(9):
        body = client.get(_view(world, f"?annotation={work.pk}")).content.decode()
    assert body.count('<li class="cue-row') == work.cues.count() >= 300
    with django_assert_max_num_queries(9):
        client.get(_view(world))


def test_the_pages_link_to_the_read_only_timeline(client, world):
    first, second = world["runs"]
    slug = world["project"].slug
    client.force_login(world["manager"])
    clip_page = client.get(reverse("clip-detail", args=[slug, "a"])).content.decode()
    assert f'href="{_view(world)}?run={second.pk}">See these proposals on the' in clip_page
    run_page = client.get(reverse("run-detail", args=[slug, first.pk])).content.decode()
    assert f'href="{_view(world)}?run={first.pk}"' in run_page
    assert "/annotate/broken/view/" not in run_page  # its proposal failed: nothing to show
    review = client.get(reverse("review-clip", args=[slug, "a"])).content.decode()
    for work in world["submitted"]:
        assert f'href="{_view(world)}?annotation={work.pk}"' in review
    assert f'href="{_view(world)}?run={second.pk}"' in review
