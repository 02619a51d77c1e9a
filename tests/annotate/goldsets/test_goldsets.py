"""Freezing gold: what a version holds, how versions follow each other, that a frozen version
never changes, the refusals, the audit row, and two freezes at once."""

import hashlib
import json
import threading

import pytest
from django.db import connection

from annotate.clips.models import Clip
from annotate.core.models import AuditEvent, Project
from annotate.goldsets import selectors
from annotate.goldsets.models import GoldSet, GoldSetItem
from annotate.goldsets.services import GoldSetRejected, goldset_freeze
from annotate.review.models import GoldCue, GoldRecord
from annotate.runs.models import ModelRun
from annotate.scoring.models import RunScore
from tests.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def gold_clip(
    project: Project,
    name: str,
    *,
    group: str = "",
    labels=("happy",),
    primary: str = "happy",
    cues=(),
    status: str = GoldRecord.Status.GOLD,
    reviewer=None,
    auto: bool = False,
    description: str = "",
    duration_ms: int = 10_000,
) -> GoldRecord:
    """A ready clip with a gold record made directly; cues are (modality, text, start, end[,
    kind[, position]])."""
    clip = Clip.objects.create(
        project=project,
        name=name,
        source=f"clips/test/{name}",
        sha256=hashlib.sha256(f"{project.pk}/{name}".encode()).hexdigest(),
        status=Clip.Status.READY,
        duration_ms=duration_ms,
        group_key=group,
        proxy=f"clips/{project.pk}/{name}/proxy.mp4",
    )
    record = GoldRecord.objects.create(
        clip=clip,
        status=status,
        labels=list(labels),
        primary_label=primary,
        description=description,
        reviewer=reviewer,
        auto_promoted=auto,
    )
    for position, cue in enumerate(cues, start=1):
        modality, text, start, end, *rest = cue
        GoldCue.objects.create(
            record=record,
            modality=modality,
            text=text,
            start_ms=start,
            end_ms=end,
            kind=rest[0] if rest else "observation",
            position=rest[1] if len(rest) > 1 else position,
        )
    return record


def content_sha256(items: list[dict]) -> str:
    """The documented hash, computed independently: canonical JSON of the content fields."""
    content = [
        {
            k: item[k]
            for k in ("name", "group_key", "cues", "labels", "primary_label", "description")
        }
        for item in sorted(items, key=lambda i: i["name"])
    ]
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def people(project):
    return {
        "manager": MembershipFactory(project=project, role="manager").user,
        "rev": MembershipFactory(project=project, role="reviewer").user,
    }


@pytest.fixture
def gold(project, people):
    rev = people["rev"]
    a = gold_clip(
        project,
        "sample_a",
        group="spk1",
        labels=["happy", "excited"],
        primary="happy",
        reviewer=rev,
        description="She smiles.",
        cues=[
            ("visual", "later smile", 3000, 4000, "observation", 1),
            ("visual", "whole-clip posture", None, None, "observation", 0),
            ("visual", "early smile", 1000, 2000, "observation", 5),
            ("visual", "same start, lower position", 3000, 3500, "observation", 0),
            ("auditory", "raised pitch", 500, 1500),
            ("emotional", "she is pleased", None, None, "inference"),
        ],
    )
    b = gold_clip(
        project,
        "sample_b",
        group="spk2",
        labels=["sad"],
        primary="sad",
        auto=True,
        cues=[("auditory", "sigh", 200, 900)],
    )
    gold_clip(
        project,
        "sample_c",
        status=GoldRecord.Status.IN_REVIEW,
        primary="angry",
        labels=["angry"],
        cues=[("visual", "frown", 0, 500)],
    )
    return {"a": a, "b": b}


def test_freeze_snapshots_every_final_record(project, people, gold):
    gold_set = goldset_freeze(
        project=project, by=people["manager"], note="first", licence="CC-BY-4.0"
    )
    assert gold_set.version == 1 and gold_set.frozen_by == people["manager"]
    assert gold_set.note == "first" and gold_set.licence == "CC-BY-4.0"
    items = {i.name: i for i in GoldSetItem.objects.filter(gold_set=gold_set)}
    assert sorted(items) == ["sample_a", "sample_b"]  # the record in review is not gold yet
    a = items["sample_a"]
    assert [c["text"] for c in a.cues["visual"]] == [
        "early smile",
        "same start, lower position",
        "later smile",
        "whole-clip posture",
    ]
    assert a.cues["visual"][0] == {
        "text": "early smile",
        "start_ms": 1000,
        "end_ms": 2000,
        "kind": "observation",
    }
    assert a.cues["emotional"] == [
        {"text": "she is pleased", "start_ms": None, "end_ms": None, "kind": "inference"}
    ]
    assert items["sample_b"].cues == {
        "visual": [],
        "auditory": [{"text": "sigh", "start_ms": 200, "end_ms": 900, "kind": "observation"}],
        "emotional": [],
    }
    assert (a.labels, a.primary_label, a.description, a.group_key) == (
        ["happy", "excited"],
        "happy",
        "She smiles.",
        "spk1",
    )
    assert (a.record_id, a.record_version, a.clip_id) == (gold["a"].pk, 1, gold["a"].clip_id)

    assert gold_set.counts["clips"] == 2
    assert gold_set.counts["cues"] == {"visual": 4, "auditory": 2, "emotional": 1}
    assert gold_set.counts["labels"] == {"excited": 1, "happy": 1, "sad": 1}
    assert gold_set.counts["primary_labels"] == {"happy": 1, "sad": 1}

    provenance = gold_set.provenance
    assert provenance["frozen_by"]["username"] == people["manager"].username
    assert provenance["auto_promoted"] == 1
    assert provenance["reviewers"] == {people["rev"].username: 1}
    assert [(r["clip"], r["record_id"], r["version"]) for r in provenance["records"]] == [
        ("sample_a", gold["a"].pk, 1),
        ("sample_b", gold["b"].pk, 1),
    ]
    assert provenance["previous"] is None
    assert provenance["changes"] == {
        "added": ["sample_a", "sample_b"],
        "removed": [],
        "changed": [],
    }
    stored = [selectors.gold_item_from_row(i) for i in items.values()]
    assert gold_set.content_sha256 == content_sha256(stored)


def test_versions_increase_and_a_frozen_version_never_changes(project, people, gold):
    v1 = goldset_freeze(project=project, by=people["manager"])
    frozen_a = GoldSetItem.objects.get(gold_set=v1, name="sample_a")
    # Edit the gold after the freeze: a cue's wording, the labels, and a new final record.
    cue = GoldCue.objects.get(record=gold["a"], text="early smile")
    GoldCue.objects.filter(pk=cue.pk).update(text="broad early smile")
    GoldRecord.objects.filter(pk=gold["a"].pk).update(version=2, labels=["happy"])
    GoldRecord.objects.filter(clip__name="sample_c").update(status=GoldRecord.Status.GOLD)

    frozen_again = GoldSetItem.objects.get(pk=frozen_a.pk)
    assert frozen_again.cues == frozen_a.cues and frozen_again.labels == ["happy", "excited"]
    assert GoldSet.objects.get(pk=v1.pk).content_sha256 == v1.content_sha256

    v2 = goldset_freeze(project=project, by=people["manager"])
    assert v2.version == 2 and v2.content_sha256 != v1.content_sha256
    new_a = GoldSetItem.objects.get(gold_set=v2, name="sample_a")
    assert new_a.cues["visual"][0]["text"] == "broad early smile"
    assert (new_a.labels, new_a.record_version) == (["happy"], 2)
    assert v2.provenance["previous"] == {"version": 1, "content_sha256": v1.content_sha256}
    assert v2.provenance["changes"] == {
        "added": ["sample_c"],
        "removed": [],
        "changed": ["sample_a"],
    }
    assert v2.counts["clips"] == 3
    # v1 still has its two items as they were.
    assert GoldSetItem.objects.filter(gold_set=v1).count() == 2
    old_a = GoldSetItem.objects.get(gold_set=v1, name="sample_a")
    assert old_a.cues["visual"][0]["text"] == "early smile"


def test_a_reopened_record_leaves_the_next_version(project, people, gold):
    goldset_freeze(project=project, by=people["manager"])
    GoldRecord.objects.filter(pk=gold["b"].pk).update(status=GoldRecord.Status.IN_REVIEW)
    working = selectors.gold_working_get(project=project)
    assert working.changes == {"added": [], "removed": ["sample_b"], "changed": []}
    assert working.n_in_review == 2 and working.can_freeze
    v2 = goldset_freeze(project=project, by=None)
    assert v2.frozen_by is None and v2.provenance["frozen_by"] is None
    names = GoldSetItem.objects.filter(gold_set=v2).values_list("name", flat=True)
    assert list(names) == ["sample_a"]
    assert v2.provenance["changes"]["removed"] == ["sample_b"]


def test_refusals_no_gold_and_nothing_changed(project, people, gold):
    empty = ProjectFactory()
    with pytest.raises(GoldSetRejected, match="no final gold record yet"):
        goldset_freeze(project=empty, by=people["manager"])
    gold_clip(empty, "only_in_review", status=GoldRecord.Status.IN_REVIEW)
    with pytest.raises(GoldSetRejected, match="no final gold record yet"):
        goldset_freeze(project=empty, by=people["manager"])
    assert not GoldSet.objects.filter(project=empty).exists()

    goldset_freeze(project=project, by=people["manager"])
    with pytest.raises(GoldSetRejected, match="Nothing changed since version 1"):
        goldset_freeze(project=project, by=people["manager"])
    # Reopened and finalized again without a change: a new record version, the same content.
    GoldRecord.objects.filter(pk=gold["a"].pk).update(version=5)
    with pytest.raises(GoldSetRejected, match="Nothing changed since version 1"):
        goldset_freeze(project=project, by=people["manager"])
    assert list(GoldSet.objects.filter(project=project).values_list("version", flat=True)) == [1]
    with pytest.raises(GoldSetRejected, match="licence"):
        goldset_freeze(project=project, by=people["manager"], licence="x" * 201)


def test_the_freeze_is_audited(project, people, gold):
    gold_set = goldset_freeze(project=project, by=people["manager"], note="for the paper")
    event = AuditEvent.objects.get(object_type="gold_set")
    assert (event.action, event.object_id, event.actor, event.project_id, event.clip_id) == (
        "freeze",
        gold_set.pk,
        people["manager"],
        project.pk,
        None,
    )
    assert event.before is None
    assert event.after["version"] == 1 and event.after["content_sha256"] == gold_set.content_sha256
    assert event.after["counts"]["clips"] == 2 and event.after["note"] == "for the paper"


def test_finished_runs_are_queued_for_scoring_against_the_new_version(
    project, people, gold, django_capture_on_commit_callbacks
):
    run = ModelRun.objects.create(
        project=project, proposer="signals", version="1", status=ModelRun.Status.FINISHED
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        gold_set = goldset_freeze(project=project, by=people["manager"])
    row = RunScore.objects.get(gold_set=gold_set, run=run)
    assert row.stale and row.generation == 1
    # Its row against the working gold was missing too; one recomputation each, after commit.
    assert len(callbacks) == RunScore.objects.filter(run=run).count() == 2


def test_working_gold_against_the_last_version(project, people, gold):
    working = selectors.gold_working_get(project=project)
    assert working.latest is None and working.counts["clips"] == 2 and working.can_freeze
    assert working.changes["added"] == ["sample_a", "sample_b"]
    goldset_freeze(project=project, by=people["manager"])
    working = selectors.gold_working_get(project=project)
    assert working.unchanged and not working.can_freeze and working.n_changes == 0


def test_a_version_number_taken_meanwhile_is_refused(project, people, gold, monkeypatch):
    # The unique constraint is the backstop behind the project lock: a freeze that read a stale
    # last version gets a message, not an IntegrityError.
    GoldSet.objects.create(
        project=project,
        version=1,
        content_sha256="0" * 64,
        frozen_at="2026-01-01T00:00:00Z",
        counts={"clips": 0},
    )
    monkeypatch.setattr(selectors, "goldset_latest", lambda *, project: None)
    with pytest.raises(GoldSetRejected, match="Version 1 of .* was frozen by someone else"):
        goldset_freeze(project=project, by=people["manager"])
    assert GoldSet.objects.filter(project=project).count() == 1
    assert not GoldSetItem.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_freezes_at_once_make_one_version(people, gold, project):
    results: list = []
    # On PostgreSQL both start together and the second waits on the project row. SQLite's
    # in-memory test database fails a second writer at once instead of queueing it, so there
    # the two run one after the other (the embedded default has one writer anyway).
    together = connection.vendor == "postgresql"
    barrier = threading.Barrier(2 if together else 1)

    def freeze():
        try:
            barrier.wait(timeout=10)
            results.append(goldset_freeze(project=project, by=people["manager"]).version)
        except GoldSetRejected as error:
            results.append(error.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=freeze) for _ in range(2)]
    for thread in threads:
        thread.start()
        if not together:
            thread.join(timeout=30)
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results, key=str) == [
        1,
        "Nothing changed since version 1 (2 clips, same content): finalize or change gold "
        "records before freezing again.",
    ]
    assert list(GoldSet.objects.filter(project=project).values_list("version", flat=True)) == [1]
