"""The leaderboard pages: who sees them, the polled partial, the plots, the sample view."""

from xml.etree import ElementTree

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate.runs.models import ModelRun
from annotate.scoring import leaderboard
from annotate.scoring.models import RunScore
from tests.annotate.scoring.test_leaderboard import (  # noqa: F401 (word_scorer: a fixture)
    annotation_make,
    clip_make,
    gold_make,
    run_make,
    word_scorer,
)
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(project, annotator, django_capture_on_commit_callbacks):
    """Two gold clips, one finished run, one annotator's human row, all computed."""
    clips = [clip_make(project, f"sample_{i:08d}") for i in range(2)]
    gold_make(
        clips[0],
        [
            ("visual", "He smiles."),
            ("auditory", "A loud shout."),
            ("auditory", "get out", "subtitle"),
            ("emotional", "He is happy."),
        ],
    )
    gold_make(clips[1], [("visual", "Tears run down."), ("emotional", "She is sad.")])
    run = run_make(
        project,
        {
            clips[0]: [
                ("visual", "He smiles broadly."),
                ("auditory", "A soft whisper."),
                ("emotional", "He is happy."),
            ],
            clips[1]: [("visual", "A glare.")],
        },
        label="signal v1",
    )
    annotation_make(
        clips[0], annotator, [("visual", "He smiles.", {}), ("emotional", "He is happy.", {})]
    )
    with django_capture_on_commit_callbacks(execute=True):
        leaderboard.run_scores_invalidate(project=project, gold_changed=True)
    return {
        "clips": clips,
        "run": run,
        "rows": {
            "run": RunScore.objects.get(run=run),
            "human": RunScore.objects.get(annotator=annotator),
        },
    }


def url(project, route="leaderboard", **kwargs):
    return reverse(route, kwargs={"slug": project.slug, **kwargs})


def test_members_see_the_rows_and_the_human_row_is_marked(client, project, manager, board):
    client.force_login(manager)
    page = client.get(url(project))
    assert page.status_code == 200
    html = page.content.decode()
    assert "signal v1" in html and 'data-kind="human"' in html and ">human</span>" in html
    assert f'data-row="{board["rows"]["run"].pk}"' in html
    assert "<svg" in html and 'id="leaderboard-bars"' in html
    svg = ElementTree.fromstring(html[html.index("<svg") : html.index("</svg>") + 6])
    whiskers = svg.findall(".//{http://www.w3.org/2000/svg}line[@class='ci']") or svg.findall(
        ".//line[@class='ci']"
    )
    bars = svg.findall(".//{http://www.w3.org/2000/svg}rect") or svg.findall(".//rect")
    assert len(bars) == 8  # 2 rows x (3 modalities + overall), each with a number
    assert len(whiskers) == len(bars)
    assert 'hx-trigger="every 500ms"' in html  # even when idle: a change shows within 2 s
    assert "recomputing…" not in html


def test_annotators_see_it_unless_the_project_is_blind(client, project, annotator, board):
    client.force_login(annotator)
    assert client.get(url(project)).status_code == 200
    project.blind_mode = True
    project.save(update_fields=["blind_mode"])
    for target in (
        url(project),
        url(project, "leaderboard-rows"),
        url(project, "leaderboard-row", row_id=board["rows"]["run"].pk),
        url(
            project,
            "leaderboard-sample",
            row_id=board["rows"]["run"].pk,
            name=board["clips"][0].name,
        ),
    ):
        assert client.get(target).status_code == 404, target
    reviewer = MembershipFactory(project=project, role="reviewer").user
    client.force_login(reviewer)
    assert client.get(url(project)).status_code == 200


def test_outsiders_and_rows_of_other_projects_are_404(client, project, outsider, board):
    client.force_login(outsider)
    assert client.get(url(project)).status_code == 404
    other_project = outsider.memberships.get().project
    row = board["rows"]["run"].pk
    assert client.get(url(other_project, "leaderboard-row", row_id=row)).status_code == 404


def test_a_stale_row_says_recomputing_and_keeps_polling(client, project, manager, board):
    leaderboard.run_scores_invalidate(project=project, gold_changed=True)  # tasks not run yet
    client.force_login(manager)
    html = client.get(url(project, "leaderboard-rows")).content.decode()
    assert html.count("recomputing…") == 2
    assert 'hx-trigger="every 500ms"' in html


def test_the_partial_answers_204_while_nothing_changed(
    client, project, manager, board, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    first = client.get(url(project, "leaderboard-rows"))
    token = first.content.decode().split('data-token="')[1].split('"')[0]
    again = client.get(url(project, "leaderboard-rows"), {"since": token})
    assert again.status_code == 204
    with django_capture_on_commit_callbacks(execute=True):
        leaderboard.run_scores_invalidate(project=project, run=board["run"])
    changed = client.get(url(project, "leaderboard-rows"), {"since": token})
    assert changed.status_code == 200
    row = board["rows"]["run"]
    assert (
        f'data-row="{row.pk}" data-kind="run" data-status="done" data-generation="2" '
        f'data-computed-generation="2"' in changed.content.decode()
    )


def test_the_partial_needs_the_same_queries_with_more_rows(
    client, project, manager, board, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(project, "leaderboard-rows")).status_code == 200
    for i in range(4):
        run_make(project, {board["clips"][0]: [("visual", f"He smiles {i}.")]}, label=f"more {i}")
        annotation_make(
            board["clips"][0],
            MembershipFactory(project=project).user,
            [("visual", "He smiles.", {})],
        )
    with django_capture_on_commit_callbacks(execute=True):
        leaderboard.run_scores_invalidate(project=project, gold_changed=True)
    assert RunScore.objects.filter(project=project).count() == 10
    with CaptureQueriesContext(connection) as many:
        html = client.get(url(project, "leaderboard-rows")).content.decode()
    assert html.count('<tr data-row="') == 10
    assert len(many) == len(few) <= 8


def test_the_numbers_on_the_page(client, project, manager, board):
    client.force_login(manager)
    html = client.get(url(project, "leaderboard-rows")).content.decode()
    human = board["rows"]["human"]
    # the annotator kept exactly the gold's visual and emotional cues of the clip they did
    row_html = html.split(f'<tr data-row="{human.pk}"')[1].split("</tr>")[0]
    assert '<td data-modality="visual"><strong>1.000</strong>' in row_html
    assert '<td data-modality="emotional"><strong>1.000</strong>' in row_html
    assert '<td data-modality="auditory"><strong>0.000</strong>' in row_html


def test_the_row_page_draws_the_per_sample_distribution(client, project, manager, board):
    client.force_login(manager)
    row = board["rows"]["run"]
    page = client.get(url(project, "leaderboard-row", row_id=row.pk), {"modality": "visual"})
    html = page.content.decode()
    assert page.status_code == 200 and 'id="sample-histogram"' in html
    assert html.count('data-sample="') == 2
    assert sum(int(c) for c in html.split('data-count="')[1:] for c in [c.split('"')[0]]) == 2
    assert (
        client.get(url(project, "leaderboard-row", row_id=row.pk), {"mode": "nonsense"}).status_code
        == 404
    )


def test_the_sample_view_shows_both_sides_with_best_matches(client, project, manager, board):
    client.force_login(manager)
    row = board["rows"]["run"]
    page = client.get(
        url(project, "leaderboard-sample", row_id=row.pk, name=board["clips"][0].name)
    )
    html = page.content.decode()
    assert page.status_code == 200
    visual = html.split('data-modality="visual"')[1].split("</section>")[0]
    gold_side = visual.split('class="gold"')[1].split('class="predicted"')[0]
    predicted_side = visual.split('class="predicted"')[1]
    assert "He smiles." in gold_side and "He smiles broadly." in gold_side  # its best match
    assert "He smiles broadly." in predicted_side
    assert "1.000" in gold_side  # both texts hold the one concept "smile" for the test encoder
    auditory = html.split('data-modality="auditory"')[1].split("</section>")[0]
    assert "subtitle · not scored" in auditory
    assert (
        client.get(
            url(project, "leaderboard-sample", row_id=row.pk, name="sample_99999999")
        ).status_code
        == 404
    )


def test_a_cancelled_run_leaves_the_page(client, project, manager, board):
    run = board["run"]
    ModelRun.objects.filter(pk=run.pk).update(status=ModelRun.Status.CANCELLED)
    leaderboard.run_scores_invalidate(project=project, run=run)
    client.force_login(manager)
    assert "signal v1" not in client.get(url(project, "leaderboard-rows")).content.decode()


def test_rows_without_a_gold_clip_are_set_apart_not_ranked(
    client, project, manager, board, django_capture_on_commit_callbacks
):
    """Two runs on a clip that is not gold: listed as not scorable yet, with why, after the
    ranked rows; the API gives them no rank."""
    other = clip_make(project, "sample_00000099")
    strays = [
        run_make(project, {other: [("visual", "A frown.")]}, label=f"stray {n}") for n in (1, 2)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        leaderboard.run_scores_invalidate(project=project, gold_changed=True)
    client.force_login(manager)
    html = client.get(url(project)).content.decode()
    ranked, _, apart = html.partition('id="not-scorable"')
    assert "signal v1" in ranked and "stray 1" not in ranked and "stray 2" not in ranked
    assert "Not scorable yet" in apart
    assert apart.count('data-scorable="0"') == 2
    assert "None of the 2 gold clips is among the clips it ran on" in apart
    assert "stray 1" in apart and "stray 2" in apart

    answer = client.get(reverse("api-leaderboard", kwargs={"slug": project.slug})).json()
    listed = {row["name"]: row for row in answer["results"]}
    assert [row["rank"] for row in answer["results"]] == [1, 2, None, None]
    assert listed["signal v1"]["scorable"] is True and listed["signal v1"]["not_scorable"] == ""
    for stray in strays:
        row = listed[stray.label]
        assert row["scorable"] is False and row["rank"] is None
        assert "None of the 2 gold clips" in row["not_scorable"]
