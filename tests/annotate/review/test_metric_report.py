"""manage.py metric_report: EmoCue-360 against the judged pairs of a factory-built history, as
text and as JSON, for the working gold and for a frozen version."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from annotate.core import scorer as core_scorer
from annotate.goldsets.models import GoldSet
from annotate.goldsets.services import goldset_freeze
from inference.emocue360 import MemoryEmbeddingStore, Scorer
from tests.annotate.review.histories import GLANCE, SIGH, KeywordEncoder, judged_history

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def keyword_scorer(monkeypatch):
    scorer = Scorer(encoder=KeywordEncoder(), store=MemoryEmbeddingStore())
    monkeypatch.setattr(core_scorer, "_scorer", scorer)
    return scorer


@pytest.fixture
def history(project):
    return judged_history(project)


def _run(*args) -> str:
    out = io.StringIO()
    call_command("metric_report", *args, stdout=out)
    return out.getvalue()


def test_the_text_report(project, history):
    text = _run("--project", project.slug)
    lines = text.splitlines()
    assert "10 judged pairs: 2 same, 3 close, 5 different" in text
    assert "1 of identical wording" in text and "3 auto-promoted decision(s)" in text
    assert "95% percentile bootstrap over clips, 1000 resamples, seed 0" in text
    row = {line.split()[0]: line.split() for line in lines if line.split()[:1]}
    # visual: every same/close pair shares a keyword (similarity 1), every different one not
    assert row["visual"][1:6] == ["1", "2", "5", "1.000", "1.000-1.000"]
    # auditory: no pair kept apart; overall: the merge of SIGH and GLANCE scores 0 like the
    # five different pairs, so AUC = (4 * 5 + 0.5 * 5) / 25
    assert row["auditory"][4] == "-"
    assert row["overall"][4] == "0.900"
    assert row["overall"][6:10] == ["1.00", "0.80", "0.80", "0.90"]
    assert "auditory: no pair the reviewers kept apart (different)" in text
    # clip, modality, label and rule, then the similarity and how far it is on the wrong side
    disagreement = next(line for line in lines if "merged" in line and "similarity" in line)
    assert disagreement.strip().startswith("merged auditory same (merged): similarity 0.00")
    assert repr(SIGH) in disagreement and repr(GLANCE) in disagreement


def test_the_json_report_and_a_frozen_version(project, history):
    data = json.loads(_run("--project", project.slug, "--json", "--resamples", "200"))
    assert data["project"] == project.slug and data["source"].startswith("working gold")
    assert data["threshold"] == 0.6 and data["threshold_rule"] == "youden_j"
    assert data["model_id"] == "test-keywords" and data["n_pairs"] == 10
    assert data["bootstrap"]["n_resamples"] == 200
    overall = data["modalities"]["overall"]
    assert overall["auc"] == pytest.approx(0.9)
    assert overall["counts"] == {"same": 2, "close": 3, "different": 5}
    (worst,) = data["disagreements"]
    assert worst["rule"] == "merged" and worst["gap"] == pytest.approx(0.6)
    assert worst["review_decisions"] and worst["reviewer"] == "rev"

    manager = history["reviewer"]
    goldset_freeze(project=project, by=manager)
    frozen = json.loads(
        _run("--project", project.slug, "--json", "--version", "1", "--resamples", "200")
    )
    assert frozen["source"] == "gold set version 1"
    assert frozen["modalities"] == data["modalities"] | {"overall": frozen["modalities"]["overall"]}
    assert frozen["modalities"]["overall"]["auc"] == pytest.approx(0.9)
    assert frozen["disagreements"][0]["gold_set_version"] == 1


def test_refusals_name_the_problem(project, history):
    with pytest.raises(CommandError, match="No project with the slug 'nope'"):
        _run("--project", "nope")
    with pytest.raises(CommandError, match=r"no gold set version 3 \(frozen: none\)"):
        _run("--project", project.slug, "--version", "3")
    goldset_freeze(project=project, by=history["reviewer"])
    GoldSet.objects.filter(project=project).update(judgements={})
    with pytest.raises(CommandError, match="frozen before judged pairs were stored"):
        _run("--project", project.slug, "--version", "1")
    with pytest.raises(CommandError, match="--resamples must be at least 1"):
        _run("--project", project.slug, "--resamples", "0")
