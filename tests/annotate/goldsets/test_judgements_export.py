"""Freezing a gold set keeps its judged cue pairs; its export adds them as judgements.jsonl with
a datasheet section, and stays byte-identical however the review goes on afterwards."""

import json
import zipfile

import pytest

from annotate.core import scorer as core_scorer
from annotate.goldsets.models import GoldSet
from annotate.goldsets.services import goldset_freeze
from annotate.review import services as review_services
from annotate.review.judgements import judgement_pairs_collect
from annotate.review.models import GoldRecord
from inference.emocue360 import MemoryEmbeddingStore, Scorer
from tests.annotate.goldsets.test_export_goldset_command import export
from tests.annotate.review.histories import FROWN, KeywordEncoder, judged_history
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db
SPLIT = "train=0.67,test=0.33"


@pytest.fixture(autouse=True)
def keyword_scorer(monkeypatch):
    scorer = Scorer(encoder=KeywordEncoder(), store=MemoryEmbeddingStore())
    monkeypatch.setattr(core_scorer, "_scorer", scorer)
    return scorer


@pytest.fixture
def frozen(project):
    history = judged_history(project)
    manager = MembershipFactory(project=project, role="manager").user
    gold_set = goldset_freeze(project=project, by=manager)
    return history, GoldSet.objects.get(pk=gold_set.pk)


def _read(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_freeze_keeps_the_pairs_with_its_version(project, frozen):
    _, gold_set = frozen
    kept = gold_set.judgements
    assert kept["version"] == 1 and len(kept["pairs"]) == 10
    assert {pair["gold_set_version"] for pair in kept["pairs"]} == {gold_set.version}
    now = judgement_pairs_collect(project=project, gold_set_version=gold_set.version)
    assert kept == json.loads(json.dumps(now))


def test_the_export_adds_judgements_jsonl_and_stays_byte_identical(project, frozen, tmp_path):
    history, gold_set = frozen
    export(project, tmp_path / "a.zip", split=SPLIT)
    # The review goes on: the kept clip is reopened and its frown group rejected and
    # finalized again. The working gold's pairs change; the frozen version's do not.
    record = GoldRecord.objects.get(clip=history["kept"])
    reviewer = history["reviewer"]
    record = review_services.gold_record_reopen(
        record=record, reviewer=reviewer, expected_version=record.version
    )
    frown = next(c for c in record.cues.all() if c.text == FROWN)
    record = review_services.gold_cue_delete(
        record=record, gold_cue=frown, reviewer=reviewer, expected_version=record.version
    )
    record = review_services.review_group_reject(
        record=record,
        group_key=frown.group_key,
        reviewer=reviewer,
        expected_version=record.version,
    )
    review_services.gold_record_finalize(
        record=record, reviewer=reviewer, expected_version=record.version
    )
    assert len(judgement_pairs_collect(project=project)["pairs"]) == 7
    export(project, tmp_path / "b.zip", split=SPLIT)
    first, second = (tmp_path / "a.zip").read_bytes(), (tmp_path / "b.zip").read_bytes()
    assert first == second

    files = _read(tmp_path / "a.zip")
    rows = [json.loads(line) for line in files["judgements.jsonl"].decode().splitlines()]
    assert len(rows) == 10
    assert [(r["clip"], r["id"]) for r in rows] == sorted((r["clip"], r["id"]) for r in rows)
    splits = json.loads(files["splits.json"])
    split_of = {name: split for split, names in splits.items() for name in names}
    assert all(row["split"] == split_of[row["clip"]] for row in rows)
    assert {row["label"] for row in rows} == {"same", "close", "different"}
    assert list(json.loads(files["judgements.jsonl"].splitlines()[0])) == sorted(rows[0])
    manifest = files["MANIFEST.sha256"].decode()
    assert "  judgements.jsonl\n" in manifest

    sheet = json.loads(files["datasheet.json"])
    summary = sheet["judgements"]
    assert summary["pairs"] == 10 and summary["file"] == "judgements.jsonl"
    assert summary["by_modality"]["visual"] == {"same": 1, "close": 2, "different": 5}
    assert summary["left_out_of_version"] == {
        "auto_promoted_decisions": 3,
        "decoys": 0,
        "identical_text": 1,
    }
    assert sheet["formats"]["judgements"]["files"] == "judgements.jsonl"
    markdown = files["datasheet.md"].decode()
    section = markdown.split("## Judged cue pairs", 1)[1].split("\n## ", 1)[0]
    assert "holds 10 pair(s)" in section and "| visual | 1 | 2 | 5 |" in section
    assert "aligned_together" in section and "metric_report" in section


def test_a_version_frozen_without_pairs_says_not_recorded(project, frozen, tmp_path):
    _, gold_set = frozen
    GoldSet.objects.filter(pk=gold_set.pk).update(judgements={})
    export(project, tmp_path / "old.zip", split=SPLIT)
    files = _read(tmp_path / "old.zip")
    assert "judgements.jsonl" not in files
    assert json.loads(files["datasheet.json"])["judgements"] == {"recorded": False}
    assert "judgements" not in json.loads(files["datasheet.json"])["formats"]
    section = files["datasheet.md"].decode().split("## Judged cue pairs", 1)[1]
    assert section.split("\n## ", 1)[0].strip().startswith("Not recorded")
