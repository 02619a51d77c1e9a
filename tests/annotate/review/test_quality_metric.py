"""The quality page's section on EmoCue-360 judged by reviewers, on a factory-built history."""

import re

import pytest
from django.urls import reverse

from annotate.core import scorer as core_scorer
from inference.emocue360 import MemoryEmbeddingStore, Scorer
from tests.annotate.review.histories import GLANCE, SIGH, KeywordEncoder, judged_history
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def keyword_scorer(monkeypatch):
    scorer = Scorer(encoder=KeywordEncoder(), store=MemoryEmbeddingStore())
    monkeypatch.setattr(core_scorer, "_scorer", scorer)
    return scorer


def _body(client, project, user):
    client.force_login(user)
    response = client.get(reverse("quality-body", args=[project.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    return html.split('id="quality-metric"', 1)[1]


def test_the_section_shows_auc_thresholds_and_the_worst_disagreement(client, project):
    history = judged_history(project)
    section = _body(client, project, history["reviewer"])
    assert 'data-pairs="10"' in section
    assert re.search(r'data-modality="visual" data-auc="1.000"', section)
    assert re.search(r'data-modality="overall" data-auc="0.900"', section)
    assert "no pair the reviewers kept apart (different)" in section  # auditory
    assert "Youden" in section and "1000 resamples, seed 0" in section
    assert 'id="metric-roc"' in section and 'class="mark best"' in section
    rows = section.split('id="metric-disagreements"', 1)[1]
    assert rows.count("<tr data-pair=") == 1
    assert SIGH in rows and GLANCE in rows and "(merged)" in rows and ">rev<" in rows
    assert reverse("review-clip", args=[project.slug, "merged"]) in rows


def test_a_project_without_judged_pairs_says_where_they_come_from(client, project):
    reviewer = MembershipFactory(project=project, role="reviewer").user
    section = _body(client, project, reviewer)
    assert 'data-pairs="0"' in section and "No judged pair yet" in section
    assert 'id="metric-roc"' not in section
