"""A gold set version keeps each clip's subtitle as it was when frozen (so that every export of
the version is the same), a manager's later correction is a change the next version holds, and
the export shows a subtitle read from the picture as such."""

import json
import zipfile

import pytest
from django.utils import timezone

from annotate.clips.models import Clip
from annotate.clips.subtitles import clip_subtitle_correct
from annotate.goldsets import selectors
from annotate.goldsets.export_builder import goldset_zip_write
from annotate.goldsets.models import GoldSetItem
from annotate.goldsets.services import goldset_freeze
from tests.annotate.goldsets.test_goldsets import content_sha256, gold_clip
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

READ = [
    {"start_ms": 200, "end_ms": 900, "text": "你好，世界", "confidence": 0.97},
    {"start_ms": 1000, "end_ms": 1800, "text": "I am fine", "confidence": 0.66},
]


@pytest.fixture
def manager(project):
    return MembershipFactory(project=project, role="manager").user


@pytest.fixture
def clips(project):
    read = gold_clip(project, "sample_read", cues=[("visual", "He smiles.", 0, 500)])
    Clip.objects.filter(pk=read.clip_id).update(
        subtitle_source="ocr",
        subtitle_segments=READ,
        subtitle_text="你好，世界 I am fine",
        subtitle_version=1,
        subtitle_ocr_status="done",
        subtitle_ocr_at=timezone.now(),
        subtitle_ocr_settings={"engine": "rapidocr-onnxruntime 1.4.4", "fps": 4.0},
    )
    typed = gold_clip(project, "sample_typed", cues=[("visual", "He frowns.", 0, 500)])
    Clip.objects.filter(pk=typed.clip_id).update(
        subtitle_source="manifest",
        subtitle_format="text",
        subtitle_text="Thanks, really.",
        subtitle_chinese="谢谢，真的。",
    )
    gold_clip(project, "sample_none", cues=[("visual", "He nods.", 0, 500)])
    return {"read": read.clip, "typed": typed.clip}


def test_a_version_keeps_each_clips_subtitle_as_it_was(project, manager, clips):
    gold_set = goldset_freeze(project=project, by=manager)
    items = {i.name: i for i in GoldSetItem.objects.filter(gold_set=gold_set)}
    assert items["sample_read"].subtitle == {
        "source": "ocr",
        "corrected": False,
        "text": "你好，世界 I am fine",
        "chinese": "",
        "segments": READ,
        "reader": {"engine": "rapidocr-onnxruntime 1.4.4", "fps": 4.0},
    }
    assert items["sample_typed"].subtitle["chinese"] == "谢谢，真的。"
    assert items["sample_typed"].subtitle["reader"] is None
    assert items["sample_none"].subtitle["source"] == "none"
    # A clip without a subtitle hashes as it always did (content without a subtitle key).
    none_item = selectors.gold_item_from_row(items["sample_none"])
    assert selectors.gold_items_sha256([none_item]) == content_sha256([none_item])


def test_a_correction_after_the_freeze_goes_into_the_next_version_only(project, manager, clips):
    first = goldset_freeze(project=project, by=manager)
    clip = Clip.objects.get(pk=clips["read"].pk)
    clip_subtitle_correct(
        clip=clip,
        by=manager,
        version=1,
        segments=[
            {"start_ms": 200, "end_ms": 900, "text": "你好，世界"},
            {"start_ms": 1000, "end_ms": 1800, "text": "I am fine."},
        ],
    )
    second = goldset_freeze(project=project, by=manager)  # not refused as "nothing changed"
    assert second.provenance["changes"] == {"added": [], "removed": [], "changed": ["sample_read"]}
    old = GoldSetItem.objects.get(gold_set=first, name="sample_read").subtitle
    new = GoldSetItem.objects.get(gold_set=second, name="sample_read").subtitle
    assert old["segments"][1] == READ[1] and old["corrected"] is False
    assert new["segments"][1] == {
        "start_ms": 1000,
        "end_ms": 1800,
        "text": "I am fine.",
        "confidence": None,
    }
    assert new["corrected"] is True and new["source"] == "ocr"


def test_the_export_marks_the_subtitle_read_from_the_picture(project, manager, clips, tmp_path):
    gold_set = goldset_freeze(project=project, by=manager)
    # what the clip says now does not change what the frozen version exports
    Clip.objects.filter(pk=clips["read"].pk).update(subtitle_text="changed later")
    goldset_zip_write(gold_set=gold_set, ratios={"all": 1.0}, seed=0, out=tmp_path / "v1.zip")
    with zipfile.ZipFile(tmp_path / "v1.zip") as archive:
        rows = {
            row["name"]: row
            for row in map(json.loads, archive.read("all/clips.jsonl").decode().splitlines())
        }
        sheet = json.loads(archive.read("datasheet.json"))
        vtt = archive.read("all/vtt/sample_read.vtt").decode()
    assert rows["sample_read"]["subtitle"]["source"] == "ocr"
    assert rows["sample_read"]["subtitle"]["text"] == "你好，世界 I am fine"
    assert [s["confidence"] for s in rows["sample_read"]["subtitle"]["segments"]] == [0.97, 0.66]
    assert sheet["subtitles"]["read_from_picture"] == ["sample_read"]
    assert sheet["subtitles"]["sources"] == {"manifest": 1, "none": 1, "ocr": 1}
    assert "subtitle-2 (OCR confidence 0.66)" in vtt
