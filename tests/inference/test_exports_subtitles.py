"""A clip's subtitle in the exports: where it came from, marked when it was read from the picture,
with each segment's reading confidence where the format has room (clips.jsonl, the WebVTT cue
identifiers, an ELAN tier), and the datasheet naming the clips whose subtitle was read."""

from __future__ import annotations

import json
import os
import zipfile

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from inference.exports import export_zip  # noqa: E402

FROZEN_AT = "2026-12-01T10:00:00+00:00"
DATASHEET = {"project": "MER pilot", "version": 2, "frozen_at": FROZEN_AT}
OCR = {
    "source": "ocr",
    "corrected": True,
    "text": "你好，世界 I am fine.",
    "chinese": "",
    "segments": [
        {"start_ms": 200, "end_ms": 900, "text": "你好，世界", "confidence": 0.97},
        {"start_ms": 1000, "end_ms": 1800, "text": "I am fine.", "confidence": None},
    ],
    "reader": {"engine": "rapidocr-onnxruntime 1.4.4", "fps": 4.0},
}
MANIFEST = {
    "source": "manifest",
    "corrected": False,
    "text": "Thanks, really.",
    "chinese": "谢谢，真的。",
    "segments": [],
}


def _item(name, subtitle, *, cues=None):
    return {
        "name": name,
        "group_key": "",
        "duration_ms": 4000,
        "media": f"media/{name}.mp4",
        "labels": ["happy"],
        "primary_label": "happy",
        "description": "In the video, he smiles.",
        "cues": cues
        or {
            "visual": [
                {"text": "He smiles.", "start_ms": 100, "end_ms": 700, "kind": "observation"}
            ]
        },
        "subtitle": subtitle,
    }


ITEMS = [
    _item("read", OCR),
    _item("typed", MANIFEST),
    _item(
        "silent", {"source": "none", "corrected": False, "text": "", "chinese": "", "segments": []}
    ),
    _item("old", None),  # frozen before subtitles were kept with a version
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "gold.zip"
    export_zip(
        items=ITEMS,
        splits={"all": [item["name"] for item in ITEMS]},
        datasheet=DATASHEET,
        out=path,
    )
    with zipfile.ZipFile(path) as zf:
        yield zf


def test_jsonl_holds_each_clips_subtitle_with_its_source_and_confidence(archive, tmp_path):
    import datasets

    (tmp_path / "clips.jsonl").write_bytes(archive.read("all/clips.jsonl"))
    rows = {
        row["name"]: row
        for row in map(json.loads, archive.read("all/clips.jsonl").decode().splitlines())
    }
    assert rows["read"]["subtitle"] == OCR
    assert rows["typed"]["subtitle"] == {**MANIFEST, "reader": None}
    assert rows["silent"]["subtitle"]["source"] == "none"
    assert rows["old"]["subtitle"] is None
    loaded = datasets.load_dataset(
        "json",
        data_files=str(tmp_path / "clips.jsonl"),
        split="train",
        cache_dir=str(tmp_path / "hf-cache"),
    )  # one schema for every row, the null subtitle included
    by_name = dict(zip(loaded["name"], loaded["subtitle"], strict=True))
    assert by_name["read"]["segments"][0]["confidence"] == pytest.approx(0.97)
    assert by_name["old"] is None


def test_webvtt_marks_a_reading_and_gives_each_cue_its_confidence(archive, tmp_path):
    import webvtt

    raw = archive.read("all/vtt/read.vtt").decode()
    assert (
        "NOTE subtitle: read from the picture (OCR of the burned-in text); each subtitle cue's "
        "identifier gives the reading's confidence, 0 to 1; corrected by a manager" in raw
    )
    (tmp_path / "read.vtt").write_text(raw)
    captions = webvtt.read(str(tmp_path / "read.vtt")).captions
    got = [(c.identifier, c.start, c.end, c.text) for c in captions]
    assert got == [
        ("visual-1", "00:00:00.100", "00:00:00.700", "[visual] He smiles."),
        (
            "subtitle-1 (OCR confidence 0.97)",
            "00:00:00.200",
            "00:00:00.900",
            "[subtitle] 你好，世界",
        ),
        ("subtitle-2", "00:00:01.000", "00:00:01.800", "[subtitle] I am fine."),
    ]
    typed = archive.read("all/vtt/typed.vtt").decode()
    assert "NOTE subtitle: from the import manifest\n[subtitle] Thanks, really.\n" in typed
    assert "[subtitle, chinese] 谢谢，真的。" in typed
    assert "subtitle" not in archive.read("all/vtt/silent.vtt").decode()
    assert "subtitle" not in archive.read("all/vtt/old.vtt").decode()


def test_elan_has_a_subtitle_tier_saying_its_source_and_a_confidence_tier(archive, tmp_path):
    from pympi import Elan

    (tmp_path / "read.eaf").write_bytes(archive.read("all/elan/read.eaf"))
    eaf = Elan.Eaf(str(tmp_path / "read.eaf"))
    assert eaf.get_annotation_data_for_tier("subtitle") == [
        (200, 900, "你好，世界"),
        (1000, 1800, "I am fine."),
    ]
    assert eaf.tiers["subtitle"][2]["ANNOTATOR"] == (
        "read from the picture (OCR), corrected by a manager"
    )
    assert eaf.tiers["subtitle confidence"][2]["PARENT_REF"] == "subtitle"
    assert eaf.linguistic_types["confidence"]["CONSTRAINTS"] == "Symbolic_Association"
    # only the segment whose words the reading gave has a confidence
    assert [a[2] for a in eaf.get_ref_annotation_data_for_tier("subtitle confidence")] == ["0.970"]
    (tmp_path / "typed.eaf").write_bytes(archive.read("all/elan/typed.eaf"))
    typed = Elan.Eaf(str(tmp_path / "typed.eaf"))
    assert typed.get_annotation_data_for_tier("subtitle (untimed)") == [
        (0, 4000, "Thanks, really.")
    ]
    assert typed.get_annotation_data_for_tier("subtitle (chinese)") == [(0, 4000, "谢谢，真的。")]
    assert "subtitle confidence" not in typed.get_tier_names()
    (tmp_path / "old.eaf").write_bytes(archive.read("all/elan/old.eaf"))
    assert set(Elan.Eaf(str(tmp_path / "old.eaf")).get_tier_names()) == {
        "visual",
        "auditory",
        "emotional",
    }


def test_the_datasheet_says_which_clips_subtitles_were_read_from_the_picture(archive):
    data = json.loads(archive.read("datasheet.json"))
    assert data["subtitles"] == {
        "sources": {"manifest": 1, "none": 1, "ocr": 1},
        "readers": [{"engine": "rapidocr-onnxruntime 1.4.4", "fps": 4.0}],
        "not_recorded": 1,
        "read_from_picture": ["read"],
        "read_from_picture_corrected": ["read"],
    }
    md = archive.read("datasheet.md").decode()
    assert "## Subtitles" in md
    assert "- 1 clip(s): read from the picture (OCR of the burned-in text)" in md
    assert "- 1 clip(s): not recorded (this version was frozen before" in md
    assert "The subtitles of 1 of the 4 clips were read from the picture" in md
    assert "`read`" in md and "A manager corrected 1 of them" in md
    assert "Read by engine rapidocr-onnxruntime 1.4.4, fps 4.0." in md


def _with_subtitle(**changes):
    return [{**ITEMS[0], "subtitle": {**OCR, **changes}}]


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (_with_subtitle(source="guess"), r"item 'read': subtitle.source must be one of"),
        (
            _with_subtitle(segments=[{"start_ms": 5, "end_ms": 1, "text": "x"}]),
            r"item 'read': subtitle.segments\[0\]: end_ms 1 is before start_ms 5",
        ),
        (
            _with_subtitle(segments=[{"start_ms": 0, "end_ms": 1, "text": "x", "confidence": 2}]),
            r"subtitle.segments\[0\].confidence must be a number from 0 to 1",
        ),
        (
            _with_subtitle(segments=[{"start_ms": 0, "end_ms": 1, "text": "x", "lang": "zh"}]),
            r"subtitle.segments\[0\] has unknown field\(s\) \['lang'\]",
        ),
        (_with_subtitle(corrected="yes"), r"subtitle.corrected must be true or false"),
        ([{**ITEMS[0], "subtitle": "ocr"}], r"item 'read': subtitle must be an object or null"),
    ],
)
def test_a_bad_subtitle_is_refused_naming_the_item_and_field(items, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        export_zip(
            items=items, splits={"all": ["read"]}, datasheet=DATASHEET, out=tmp_path / "x.zip"
        )
    assert list(tmp_path.iterdir()) == []
