"""The datasheet carries the agreement figures stored when the version was frozen (so rebuilt
exports stay byte-identical), prints a single split without a repeating total, and a refused
split says which split would work (issue #15, point 12)."""

import io
import zipfile

import pytest
from django.core.management import CommandError, call_command

from annotate.annotation.models import Annotation
from annotate.goldsets.models import GoldSet
from annotate.goldsets.services import goldset_freeze
from annotate.review.quality import project_quality_get
from tests.annotate.goldsets.test_export_goldset_command import export
from tests.annotate.goldsets.test_goldsets import gold_clip
from tests.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db


class _NoCues:
    """The quality page's alpha does not use the cue scorer; this one answers nothing."""

    model_id = "none"

    def score(self, **kwargs):
        raise AssertionError("alpha needs no cue scorer")


def _submitted(clip, user, label):
    return Annotation.objects.create(
        clip=clip, annotator=user, primary_label=label, status=Annotation.Status.SUBMITTED
    )


@pytest.fixture
def labelled_project(db):
    """Four gold clips, each labelled by two annotators who disagree on one clip."""
    project = ProjectFactory(slug="agree")
    manager = MembershipFactory(project=project, role="manager").user
    ann1 = MembershipFactory(project=project, role="annotator").user
    ann2 = MembershipFactory(project=project, role="annotator").user
    labels = [("happy", "happy"), ("sad", "sad"), ("angry", "angry"), ("happy", "sad")]
    for i, (one, two) in enumerate(labels):
        record = gold_clip(project, f"clip_{i}", group=f"spk{i}", labels=[one], primary=one)
        _submitted(record.clip, ann1, one)
        _submitted(record.clip, ann2, two)
    return project, manager


def test_a_freeze_stores_the_quality_pages_alpha(labelled_project, monkeypatch):
    project, manager = labelled_project
    shown = project_quality_get(project=project, scorer=_NoCues()).alpha
    gold_set = goldset_freeze(project=project, by=manager)
    stored = GoldSet.objects.get(pk=gold_set.pk).agreement
    assert shown.alpha is not None
    assert stored["alpha"] == round(shown.alpha, 3)
    assert (stored["clips"], stored["annotators"], stored["distinct_labels"]) == (4, 2, 3)
    assert "Krippendorff" in stored["measure"]


def test_the_datasheet_prints_the_stored_figures_and_stays_byte_identical(
    labelled_project, tmp_path
):
    project, manager = labelled_project
    gold_set = goldset_freeze(project=project, by=manager)
    alpha = gold_set.agreement["alpha"]
    export(project, tmp_path / "a.zip", split="train=0.75,test=0.25")
    # Later work changes what the quality page shows, not what the frozen version says.
    clip = project.clips.get(name="clip_0")
    third = MembershipFactory(project=project, role="annotator").user
    _submitted(clip, third, "angry")
    export(project, tmp_path / "b.zip", split="train=0.75,test=0.25")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        sheet = archive.read("datasheet.md").decode()
        data = archive.read("datasheet.json").decode()
    section = sheet.split("## Inter-annotator agreement", 1)[1].split("##", 1)[0]
    assert "Not recorded" not in section
    assert f"**alpha**: {alpha}" in section
    assert "**annotators**: 2" in section
    assert f'"alpha": {alpha}' in data


def test_a_single_split_named_all_is_not_repeated_as_a_total(labelled_project, tmp_path):
    project, manager = labelled_project
    goldset_freeze(project=project, by=manager)
    export(project, tmp_path / "all.zip", split="all=1")
    with zipfile.ZipFile(tmp_path / "all.zip") as archive:
        sheet = archive.read("datasheet.md").decode()
    splits = sheet.split("## Splits", 1)[1].split("##", 1)[0]
    rows = [line for line in splits.splitlines() if line.startswith("| ") and "---" not in line]
    assert [row.split("|")[1].strip() for row in rows] == ["split", "all"]
    by_label = sheet.split("## Primary emotion by split", 1)[1].split("##", 1)[0]
    assert by_label.splitlines()[2] == "| label | all | share |"
    assert "| happy | 2 | 50.0% |" in by_label


def test_several_splits_keep_their_total(labelled_project, tmp_path):
    project, manager = labelled_project
    goldset_freeze(project=project, by=manager)
    export(project, tmp_path / "two.zip", split="train=0.75,test=0.25")
    with zipfile.ZipFile(tmp_path / "two.zip") as archive:
        sheet = archive.read("datasheet.md").decode()
    assert "| **total** | 4 | 4 |" in sheet
    assert "| label | train | test | total | share |" in sheet


def test_a_refused_split_says_which_split_would_work(db, tmp_path):
    project = ProjectFactory(slug="three")
    for i in range(3):
        gold_clip(project, f"clip_{i}", labels=["happy"], primary="happy")
    call_command("freeze_goldset", project.slug, stdout=io.StringIO())
    with pytest.raises(CommandError) as refused:
        export(project, tmp_path / "x.zip", split="train=0.6,val=0.2,test=0.2")
    message = str(refused.value)
    assert "cannot honour the ratios" in message
    assert 'would work: 2/1 clips (train/val), i.e. ratios {"train": 0.67, "val": 0.33}' in message
    # ... and the suggestion is itself accepted.
    export(project, tmp_path / "x.zip", split="train=0.67,val=0.33")
    assert (tmp_path / "x.zip").exists()
