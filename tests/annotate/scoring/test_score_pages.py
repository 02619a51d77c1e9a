import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotate.scoring.models import ScoreJob
from tests.annotate.scoring.test_score_jobs import GOLD, PRED, db_scorer  # noqa: F401

pytestmark = pytest.mark.django_db


def _files(gold=GOLD, pred=PRED):
    return {
        "gold": SimpleUploadedFile("gold.json", json.dumps(gold).encode()),
        "predicted": SimpleUploadedFile("run.json", json.dumps(pred).encode()),
    }


def test_score_through_the_api(
    client,
    manager,
    annotator,
    project,
    db_scorer,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    client.force_login(manager)
    url = reverse("api-score-list", args=[project.slug])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**_files(), "variants": ["hit_rate"], "mode": "reference"})
    assert response.status_code == 202, response.content
    detail = client.get(
        reverse("api-score-detail", args=[project.slug, response.json()["id"]])
    ).json()
    assert detail["status"] == "done" and detail["result"]["config"]["mode"] == "reference"
    assert list(detail["result"]["scores"]) == ["paper", "hit_rate"]
    bad = client.post(url, _files(pred={"nobody": {"visual": ["x"]}}))
    assert bad.status_code == 422 and "not in gold" in bad.json()["detail"]
    client.force_login(annotator)
    assert client.post(url, _files()).status_code == 403
    assert [j["id"] for j in client.get(url).json()] == [response.json()["id"]]


def test_score_page_shows_the_paper_rows_first(
    client,
    manager,
    project,
    db_scorer,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("score-create", args=[project.slug]),
            {**_files(), "variants": ["one_to_one"], "ci": "on", "label": "run A"},
        )
    assert response.status_code == 202 and "Queued: run A" in response.content.decode()
    page = client.get(reverse("score-list", args=[project.slug])).content.decode()
    job = ScoreJob.objects.get()
    f1 = job.result["scores"]["paper"]["visual"]["f1"]
    assert page.index('data-variant="paper"') < page.index('data-variant="one_to_one"')
    assert f"{f1:.3f}" in page and "every 1s" not in page
    wrong = client.post(
        reverse("score-create", args=[project.slug]),
        {
            "gold": SimpleUploadedFile("g.json", b"[]"),
            "predicted": SimpleUploadedFile("p.json", b"{}"),
        },
    )
    assert wrong.status_code == 422 and "expected a JSON object" in wrong.content.decode()
