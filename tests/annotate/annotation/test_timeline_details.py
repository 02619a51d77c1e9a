"""Timeline details (issue #15, point 10): a retime snaps only the edge that moved, a retime
reloads the cue list in time order, read-only label chips have no ×, subtitle-derived cues are
marked, reviewers are not offered "Start annotating", and the clip page shows one proposal
table with a run picker."""

import json

import pytest
from django.urls import reverse

from annotate.annotation import services
from annotate.annotation.models import Annotation
from annotate.runs import services as run_services
from annotate.runs.models import Cue
from tests.annotate.runs.test_runs import FakeProposer, _fresh_fake  # noqa: F401
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


@pytest.fixture
def two_runs(project, ready_clips, django_capture_on_commit_callbacks):
    runs = []
    for label in ("first", "second"):
        with django_capture_on_commit_callbacks(execute=True):
            runs.append(run_services.run_create(project=project, proposer="fake", label=label))
    return runs


@pytest.fixture
def opened(client, two_runs, project, annotator):
    client.force_login(annotator)
    client.post(reverse("annotate-next", args=[project.slug]))
    return Annotation.objects.get(annotator=annotator)


def _url(annotation, suffix=""):
    return reverse("timeline", args=[annotation.clip.project.slug, annotation.clip.name]) + suffix


def test_dragging_the_end_keeps_a_start_that_is_off_the_frames(opened, annotator):
    # Clip "a" runs at 25 fps (40 ms frames): 300 ms lies between frames 7 and 8.
    visual = opened.cues.get(modality="visual")
    Cue.objects.filter(pk=visual.pk).update(start_ms=300, end_ms=480)
    visual.refresh_from_db()
    moved = services.cue_retime(
        cue=visual, user=annotator, expected_version=visual.version, start_ms=300, end_ms=611
    )
    assert (moved.start_ms, moved.end_ms) == (300, 600)  # the end snapped, the start kept
    moved = services.cue_retime(
        cue=moved, user=annotator, expected_version=moved.version, start_ms=139, end_ms=600
    )
    assert (moved.start_ms, moved.end_ms) == (120, 600)  # now the start moved: snapped
    with pytest.raises(services.AnnotationRejected, match="ends before it starts"):
        services.cue_retime(
            cue=moved, user=annotator, expected_version=moved.version, start_ms=620, end_ms=600
        )


def test_a_retime_reloads_the_list_in_time_order(client, opened):
    auditory = opened.cues.get(modality="auditory")
    response = client.post(
        _url(opened, f"cues/{auditory.pk}/retime/"),
        {"version": auditory.version, "start_ms": 0, "end_ms": 200},
        headers=HX,
    )
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {"cues-changed": {"select": auditory.pk}}
    workspace = client.get(_url(opened, "workspace/")).content.decode()
    visual = opened.cues.get(modality="visual")
    # The auditory cue (now 0-200 ms) comes before the visual one (0-500 ms) in the list.
    listed = workspace.split('id="cue-list"')[1]
    assert listed.index(f'id="cue-{auditory.pk}"') < listed.index(f'id="cue-{visual.pk}"')


def test_read_only_chips_have_no_remove_button(client, opened, annotator):
    services.annotation_update(
        annotation=opened,
        user=annotator,
        expected_version=1,
        labels=["happy"],
        primary_label="happy",
    )
    assert 'class="remove-label"' in client.get(_url(opened)).content.decode()
    Annotation.objects.filter(pk=opened.pk).update(status="submitted")
    page = client.get(_url(opened)).content.decode()
    assert 'data-label="happy"' in page and 'class="remove-label"' not in page


def test_subtitle_derived_cues_are_marked(client, opened):
    auditory = opened.cues.get(modality="auditory")
    Cue.objects.filter(pk=auditory.pk).update(kind="subtitle")
    page = client.get(_url(opened)).content.decode()
    lane = page.split('id="lane-auditory"')[1].split('id="lane-emotional"')[0]
    assert "kind-subtitle" in lane and '<span class="kind-tag"' in lane
    assert "from the subtitles" in lane
    assert page.count('<span class="kind-tag"') == 2  # the segment and the list row
    assert "kind-subtitle" not in page.split('id="lane-visual"')[1].split('id="lane-auditory"')[0]


def test_reviewers_are_not_offered_start_annotating(client, project, annotator):
    page = reverse("project-detail", args=[project.slug])
    client.force_login(annotator)
    assert 'id="start-annotating"' in client.get(page).content.decode()
    client.force_login(MembershipFactory(project=project, role="reviewer").user)
    assert 'id="start-annotating"' not in client.get(page).content.decode()
    client.force_login(MembershipFactory(project=project, role="manager").user)
    assert 'id="start-annotating"' in client.get(page).content.decode()


def test_the_clip_page_shows_one_proposal_table_with_a_run_picker(client, project, two_runs):
    client.force_login(MembershipFactory(project=project, role="manager").user)
    url = reverse("clip-detail", args=[project.slug, "a"])
    first, second = two_runs
    page = client.get(url).content.decode()
    assert page.count('class="card proposal"') == 1 and page.count('<table class="grid cues">') == 1
    assert f'data-run="{second.pk}"' in page  # the newest by default
    assert (
        f'<option value="{first.pk}">' in page and f'<option value="{second.pk}" selected>' in page
    )
    picked = client.get(url, {"run": first.pk}).content.decode()
    assert f'data-run="{first.pk}"' in picked and picked.count('class="card proposal"') == 1
    assert client.get(url, {"run": "nonsense"}).status_code == 200  # the newest again
