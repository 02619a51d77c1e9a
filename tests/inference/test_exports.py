"""Gold set exports: every format read back by its real reader, reproducible bytes, safe writes."""

from __future__ import annotations

import ast
import csv
import hashlib
import html
import io
import json
import os
import random
import re
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from inference.emocue360 import check_inputs  # noqa: E402
from inference.exports import FORMATS, MANIFEST, export_zip  # noqa: E402
from inference.manifests import manifest_read  # noqa: E402

FROZEN_AT = "2026-11-30T09:15:42+00:00"
DATASHEET = {
    "project": "EmoCue demo",
    "version": 3,
    "frozen_at": FROZEN_AT,
    "licence": "CC BY-NC 4.0",
    "provenance": {"annotators": 4, "source": "MER2025 samples", "reviewed_by": "two reviewers"},
    "agreement": {"krippendorff_alpha_primary": 0.71, "cue_f1_between_annotators": 0.64},
    "note": "Demo gold set | made for tests.",
}
LABELS = ("happy", "sad", "angry", "worried")


def cue(text, start=None, end=None, kind="observation"):
    return {"text": text, "start_ms": start, "end_ms": end, "kind": kind}


def make_items(n: int = 12) -> list[dict]:
    rng = random.Random(5)
    items = []
    for i in range(n):
        label = LABELS[i % len(LABELS)]
        t = rng.randint(0, 3000)
        items.append(
            {
                "name": f"sample_{i:08d}",
                "group_key": f"spk{i % 5}" if i % 6 else "",
                "duration_ms": 5000 + i if i % 4 else None,
                "media": f"media/clips/sample_{i:08d}.mp4" if i % 5 else "",
                "labels": [label, "surprised"] if i % 3 else [label],
                "primary_label": label if i != 7 else "",
                "description": f'In the video, the speaker looks {label}; he says "no, = 1, 2".\n'
                f"Overall: {label} <really> & more.",
                "cues": {
                    "visual": [
                        cue(f"Clip {i}: the brows are drawn together.", t, t + 800),
                        cue("No face is visible for a moment.", kind="unobservable"),
                        cue(f"Clip {i}: a brief blink --> then a stare.", t, t),  # a point cue
                    ],
                    "auditory": [
                        cue(f"Clip {i}: the voice rises at the end.", t + 100, t + 1500),
                        cue(f"I can't believe it, number {i}!", 0, 900, "subtitle"),
                    ],
                    "emotional": [cue(f"Clip {i}: the speaker feels {label}.", kind="inference")]
                    if i != 3
                    else [],
                },
            }
        )
    return items


SPLITS = {
    "train": [f"sample_{i:08d}" for i in (0, 1, 2, 3, 4, 5, 6, 7)],
    "test": [f"sample_{i:08d}" for i in (11, 8, 9, 10)],  # out of order on purpose
}


@pytest.fixture(scope="module")
def items():
    return make_items()


@pytest.fixture(scope="module")
def exported(items, tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "gold-v3.zip"
    calls = []
    result = export_zip(
        items=items,
        splits=SPLITS,
        datasheet=DATASHEET,
        out=path,
        progress=lambda done, total: calls.append((done, total)),
    )
    return path, result, calls


@pytest.fixture(scope="module")
def archive(exported):
    with zipfile.ZipFile(exported[0]) as zf:
        yield zf


def extract(archive, tmp_path, member) -> Path:
    target = tmp_path / member
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(archive.read(member))
    return target


def test_the_zip_holds_every_format_for_every_split(archive, items):
    names = archive.namelist()
    expected = {"datasheet.md", "datasheet.json", "splits.json", MANIFEST}
    for split, clips in SPLITS.items():
        expected |= {f"{split}/emocue.json", f"{split}/emer.csv", f"{split}/clips.jsonl"}
        expected |= {f"{split}/vtt/{n}.vtt" for n in clips}
        expected |= {f"{split}/elan/{n}.eaf" for n in clips}
    assert set(names) == expected
    assert names == sorted(names)
    assert FORMATS == ("emocue_json", "emer_csv", "jsonl", "webvtt", "elan", "datasheet")
    for info in archive.infolist():
        assert info.date_time == (2026, 11, 30, 9, 15, 42)
        assert info.external_attr >> 16 == 0o100644
        assert info.compress_type == zipfile.ZIP_DEFLATED
        assert not info.filename.startswith("/") and ".." not in info.filename


def test_splits_json_lists_each_split_in_name_order(archive):
    assert json.loads(archive.read("splits.json")) == {
        "train": SPLITS["train"],
        "test": sorted(SPLITS["test"]),
    }
    assert list(json.loads(archive.read("splits.json"))) == ["train", "test"]


def test_emocue_json_loads_in_both_scorers_and_scores_f1_one_against_itself(archive, tmp_path):
    path = extract(archive, tmp_path, "test/emocue.json")
    with open(path, encoding="utf-8") as f:  # the reference scorer's loader: plain json.load
        data = json.load(f)
    assert list(data) == sorted(SPLITS["test"])
    sample = data["sample_00000008"]
    assert list(sample) == ["visual", "auditory", "emotional"]
    assert all(isinstance(text, str) for texts in sample.values() for text in texts)
    assert sample["auditory"][1] == "Subtitle text: I can't believe it, number 8!"
    # the reference filter ("text" in cue) drops the subtitle restatement, keeps the others
    assert [c for c in sample["auditory"] if "text" not in c] == [
        "Clip 8: the voice rises at the end."
    ]
    counts = check_inputs(gold=str(path), predicted=str(path))
    assert counts["gold_samples"] == 4 and counts["scorable_units"] == 12

    from inference.emocue360 import Scorer

    result = Scorer().score(gold=str(path), predicted=str(path))
    for modality in ("visual", "auditory", "emotional", "overall"):
        assert result["scores"]["paper"][modality]["f1"] == pytest.approx(1.0, abs=1e-6)
    assert result["scores"]["paper"]["visual"]["n_samples"] == 4


def test_emer_csv_reads_as_mer_and_emer_columns(archive, tmp_path, items):
    raw = archive.read("train/emer.csv")
    assert b"\r\n" not in raw
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert list(rows[0]) == ["name", "english", "openset", "primary"]
    assert [r["name"] for r in rows] == SPLITS["train"]
    by_name = {item["name"]: item for item in items}
    for row in rows:
        item = by_name[row["name"]]
        assert row["english"] == item["description"]  # newline, quotes, '=' kept as written
        assert ast.literal_eval(row["openset"]) == item["labels"]
        assert row["primary"] == item["primary_label"]
    # the project's own MER/EMER manifest reader takes it as it is
    manifest = manifest_read(extract(archive, tmp_path, "train/emer.csv"))
    assert [(m.name, m.labels) for m in manifest][:2] == [
        ("sample_00000000", ("happy",)),
        ("sample_00000001", ("sad", "surprised")),
    ]


def test_jsonl_loads_with_datasets_in_one_schema(archive, tmp_path, items):
    import datasets

    path = extract(archive, tmp_path, "train/clips.jsonl")
    loaded = datasets.load_dataset(
        "json", data_files=str(path), split="train", cache_dir=str(tmp_path / "hf-cache")
    )
    assert loaded.num_rows == 8
    assert loaded["name"] == SPLITS["train"]
    assert str(loaded.features["cues"]["visual"].feature["start_ms"].dtype) == "int64"
    assert loaded[3]["cues"]["emotional"] == []  # sample 3 has no emotional cue
    assert loaded[3]["labels"] == ["worried"]
    assert loaded[4]["duration_ms"] is None and loaded[5]["duration_ms"] == 5005
    by_name = {item["name"]: item for item in items}
    visual = loaded[1]["cues"]["visual"]
    assert visual == by_name["sample_00000001"]["cues"]["visual"]
    assert visual[1]["start_ms"] is None and visual[1]["kind"] == "unobservable"
    assert loaded[1]["media"] == "media/clips/sample_00000001.mp4"
    assert loaded[1]["description"] == by_name["sample_00000001"]["description"]


VTT_TIMING = re.compile(r"^(\d{2}):(\d{2}):(\d{2})\.(\d{3}) --> (\d{2}):(\d{2}):(\d{2})\.(\d{3})$")


def _ms(h, m, s, f):
    return ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(f)


def test_webvtt_reads_back_with_webvtt_py_and_follows_the_spec(archive, tmp_path, items):
    import webvtt

    item = next(i for i in items if i["name"] == "sample_00000009")
    raw = archive.read("test/vtt/sample_00000009.vtt").decode("utf-8")
    parsed = webvtt.read(str(extract(archive, tmp_path, "test/vtt/sample_00000009.vtt")))
    timed = [(m, c) for m, cues in item["cues"].items() for c in cues if c["start_ms"] is not None]
    assert len(parsed.captions) == len(timed) == 4
    got = {
        (
            c.identifier.split("-")[0],
            _ms(*re.split(r"[:.]", c.start)),
            _ms(*re.split(r"[:.]", c.end)),
            html.unescape(c.text),
        )
        for c in parsed
    }
    want = {
        (m, c["start_ms"], max(c["end_ms"], c["start_ms"] + 1), f"[{m}] {c['text']}")
        for m, c in timed
    }  # a point cue lasts 1 ms
    assert got == want
    # untimed cues are kept in a NOTE block
    assert parsed.header_comments == [
        "untimed cues\n[visual] No face is visible for a moment.\n"
        "[emotional] Clip 9: the speaker feels sad."
    ]
    # what webvtt-py does not check: header, increasing starts, end > start, no "-->" in text
    blocks = raw.rstrip("\n").split("\n\n")
    assert blocks[0] == "WEBVTT"
    starts = []
    for block in blocks[1:]:
        lines = block.split("\n")
        if lines[0].startswith("NOTE"):
            assert all("-->" not in line for line in lines)
            continue
        match = VTT_TIMING.match(lines[1])
        assert match, lines
        start, end = _ms(*match.groups()[:4]), _ms(*match.groups()[4:])
        assert end > start
        starts.append(start)
        assert all("-->" not in line and "<" not in line for line in lines[2:])
    assert starts == sorted(starts)


def test_elan_reads_back_with_pympi_with_a_tier_per_modality(archive, tmp_path, items):
    from pympi import Elan

    item = next(i for i in items if i["name"] == "sample_00000001")
    eaf = Elan.Eaf(str(extract(archive, tmp_path, "train/elan/sample_00000001.eaf")))
    assert set(eaf.get_tier_names()) == {
        "visual",
        "auditory",
        "emotional",
        "visual (untimed)",
        "emotional (untimed)",
    }
    visual = sorted(eaf.get_annotation_data_for_tier("visual"))
    t = item["cues"]["visual"][0]["start_ms"]
    assert visual == sorted(
        [
            (t, t + 800, "Clip 1: the brows are drawn together."),
            (t, t + 1, "Clip 1: a brief blink --> then a stare."),
        ]
    )
    assert sorted(eaf.get_annotation_data_for_tier("auditory")) == sorted(
        (c["start_ms"], c["end_ms"], c["text"]) for c in item["cues"]["auditory"]
    )
    assert eaf.get_annotation_data_for_tier("emotional") == []
    assert eaf.get_annotation_data_for_tier("emotional (untimed)") == [
        (0, 5001, "Clip 1: the speaker feels sad.")
    ]
    assert eaf.media_descriptors[0]["MEDIA_URL"] == "media/clips/sample_00000001.mp4"
    assert eaf.media_descriptors[0]["RELATIVE_MEDIA_URL"] == "../../media/clips/sample_00000001.mp4"
    assert eaf.media_descriptors[0]["MIME_TYPE"] == "video/mp4"
    assert eaf.adocument["DATE"] == FROZEN_AT
    assert dict(eaf.properties)["lastUsedAnnotation"] == str(
        max(int(a[1:]) for a in eaf.annotations)
    )


def test_elan_without_media_has_no_media_descriptor(archive, tmp_path):
    from pympi import Elan

    eaf = Elan.Eaf(str(extract(archive, tmp_path, "train/elan/sample_00000000.eaf")))
    assert eaf.media_descriptors == []


def test_datasheet_counts_splits_labels_cues_and_passes_fields_through(archive):
    sheet = json.loads(archive.read("datasheet.json"))
    for key in ("project", "version", "frozen_at", "licence", "provenance", "agreement", "note"):
        assert sheet[key] == DATASHEET[key]
    counts = sheet["counts"]
    assert counts["total"]["clips"] == 12
    assert counts["splits"]["train"]["clips"] == 8 and counts["splits"]["test"]["clips"] == 4
    assert counts["total"]["cues"] == {"visual": 36, "auditory": 24, "emotional": 11}
    assert counts["total"]["timed_cues"] == {"visual": 24, "auditory": 24, "emotional": 0}
    assert counts["splits"]["train"]["primary_labels"] == {
        "(none)": 1,
        "angry": 2,
        "happy": 2,
        "sad": 2,
        "worried": 1,
    }
    assert sheet["label_distribution"]["happy"] == {
        "clips": 3,
        "share": 0.25,
        "by_split": {"train": 2, "test": 1},
    }
    markdown = archive.read("datasheet.md").decode("utf-8")
    assert "**Licence**: CC BY-NC 4.0" in markdown
    assert "| train | 8 |" in markdown and "| test | 4 |" in markdown
    assert "**krippendorff_alpha_primary**: 0.71" in markdown
    assert "**source**: MER2025 samples" in markdown
    assert "Demo gold set | made for tests." in markdown


def test_an_empty_licence_reads_not_stated(items):
    buffer = io.BytesIO()
    export_zip(items=items, splits=SPLITS, datasheet={**DATASHEET, "licence": ""}, out=buffer)
    with zipfile.ZipFile(buffer) as zf:
        assert json.loads(zf.read("datasheet.json"))["licence"] == "not stated"
        assert "**Licence**: not stated" in zf.read("datasheet.md").decode()


def test_the_manifest_covers_every_other_file_and_verifies(archive, exported):
    lines = archive.read(MANIFEST).decode().splitlines()
    paths = [line.split("  ", 1)[1] for line in lines]
    assert paths == sorted(paths)
    assert set(paths) == set(archive.namelist()) - {MANIFEST}
    for line in lines:
        digest, path = line.split("  ", 1)
        assert hashlib.sha256(archive.read(path)).hexdigest() == digest
    result = exported[1]
    assert result["sha256"] == hashlib.sha256(exported[0].read_bytes()).hexdigest()
    assert result["size_bytes"] == exported[0].stat().st_size
    assert set(result["files"]) == set(archive.namelist())
    assert result["counts"]["total"]["clips"] == 12


def test_the_manifest_verifies_with_sha256sum(archive, tmp_path):
    archive.extractall(tmp_path)
    (tmp_path / "test" / "emer.csv").write_text("name,english\n")  # tamper with one file
    checked = subprocess.run(
        ["sha256sum", "--check", "--quiet", MANIFEST], cwd=tmp_path, capture_output=True, text=True
    )
    assert checked.returncode == 1
    assert checked.stdout.strip() == "test/emer.csv: FAILED"
    (tmp_path / "test" / "emer.csv").write_bytes(archive.read("test/emer.csv"))
    assert (
        subprocess.run(["sha256sum", "--check", "--quiet", MANIFEST], cwd=tmp_path).returncode == 0
    )


def test_items_in_no_split_are_left_out(items):
    buffer = io.BytesIO()
    result = export_zip(
        items=items, splits={"test": SPLITS["test"]}, datasheet=DATASHEET, out=buffer
    )
    assert result["counts"]["total"]["clips"] == 4
    with zipfile.ZipFile(buffer) as zf:
        assert not any(name.startswith("train/") for name in zf.namelist())
        assert len([n for n in zf.namelist() if n.endswith(".vtt")]) == 4


def test_progress_is_reported_for_each_file(exported, archive):
    calls = exported[2]
    total = len(archive.namelist())
    assert calls == [(done, total) for done in range(1, total + 1)]


def test_same_input_gives_the_same_bytes_in_any_item_order(items, exported):
    first = exported[0].read_bytes()
    again = io.BytesIO()
    export_zip(items=items, splits=SPLITS, datasheet=DATASHEET, out=again)
    assert again.getvalue() == first
    shuffled = [dict(item) for item in items]
    random.Random(1).shuffle(shuffled)
    reordered = {"train": list(reversed(SPLITS["train"])), "test": SPLITS["test"]}
    third = io.BytesIO()
    export_zip(
        items=shuffled, splits=reordered, datasheet=dict(reversed(DATASHEET.items())), out=third
    )
    assert third.getvalue() == first
    # a datetime frozen_at stamps the same time as its ISO string
    fourth = io.BytesIO()
    export_zip(
        items=items,
        splits=SPLITS,
        out=fourth,
        datasheet={
            **DATASHEET,
            "frozen_at": datetime(2026, 11, 30, 9, 15, 42, tzinfo=UTC),
        },
    )
    with zipfile.ZipFile(fourth) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2026, 11, 30, 9, 15, 42)}


def test_a_changed_cue_changes_the_bytes(items, exported):
    changed = [dict(item) for item in items]
    changed[0] = {**changed[0], "description": changed[0]["description"] + " Changed."}
    buffer = io.BytesIO()
    export_zip(items=changed, splits=SPLITS, datasheet=DATASHEET, out=buffer)
    assert buffer.getvalue() != exported[0].read_bytes()


def test_an_error_while_writing_leaves_no_file_and_keeps_the_old_one(items, tmp_path):
    def fail_halfway(done, total):
        if done == total // 2:
            raise RuntimeError("disk full")

    target = tmp_path / "gold.zip"
    with pytest.raises(RuntimeError, match="disk full"):
        export_zip(
            items=items, splits=SPLITS, datasheet=DATASHEET, out=target, progress=fail_halfway
        )
    assert list(tmp_path.iterdir()) == []

    target.write_bytes(b"the previous export")
    with pytest.raises(RuntimeError):
        export_zip(
            items=items, splits=SPLITS, datasheet=DATASHEET, out=str(target), progress=fail_halfway
        )
    assert list(tmp_path.iterdir()) == [target]
    assert target.read_bytes() == b"the previous export"
    export_zip(items=items, splits=SPLITS, datasheet=DATASHEET, out=str(target))
    assert zipfile.is_zipfile(target) and list(tmp_path.iterdir()) == [target]


def _with(items, index, **changes):
    changed = [dict(item) for item in items]
    changed[index] = {**changed[index], **changes}
    return changed


def _with_cue(items, index, modality, cue_fields):
    cues = {**items[index]["cues"], modality: [cue_fields]}
    return _with(items, index, cues=cues)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda it: _with(it, 2, cues={**it[2]["cues"], "textual": []}),
            r"item 'sample_00000002': unknown modality 'textual'",
        ),
        (
            lambda it: _with_cue(it, 4, "visual", cue("late", 900, 100)),
            r"item 'sample_00000004': cues\['visual'\]\[0\]: end_ms 100 is before start_ms 900",
        ),
        (
            lambda it: _with_cue(it, 4, "auditory", cue("half", 900, None)),
            r"item 'sample_00000004': cues\['auditory'\]\[0\]: start_ms and end_ms must both",
        ),
        (
            lambda it: _with_cue(it, 5, "emotional", cue("   ")),
            r"item 'sample_00000005': cues\['emotional'\]\[0\].text must be a non-empty",
        ),
        (
            lambda it: _with_cue(it, 5, "visual", cue("x", kind="guess")),
            r"item 'sample_00000005': cues\['visual'\]\[0\].kind must be one of",
        ),
        (
            lambda it: _with_cue(it, 5, "visual", cue("x", -5, 10)),
            r"item 'sample_00000005': cues\['visual'\]\[0\].start_ms must be a whole number",
        ),
        (
            lambda it: _with(it, 1, media="/srv/media/x.mp4"),
            r"item 'sample_00000001': media must be a path relative",
        ),
        (
            lambda it: _with(it, 1, media="../x.mp4"),
            r"item 'sample_00000001': media must be a path relative",
        ),
        (
            lambda it: _with(it, 1, duration_ms=12.5),
            r"item 'sample_00000001': duration_ms must be a whole number",
        ),
        (
            lambda it: _with(it, 1, labels="happy"),
            r"item 'sample_00000001': labels must be a list of strings",
        ),
        (lambda it: _with(it, 1, name="../evil"), r"items\[1\].name must be a clip name"),
        (lambda it: it + [dict(it[0])], r"item 'sample_00000000' appears twice in items"),
    ],
)
def test_bad_items_are_refused_naming_the_item_and_field(items, tmp_path, change, message):
    target = tmp_path / "gold.zip"
    with pytest.raises(ValueError, match=message):
        export_zip(items=change(items), splits=SPLITS, datasheet=DATASHEET, out=target)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("splits", "message"),
    [
        (
            {**SPLITS, "test": [*SPLITS["test"], "sample_99999999"]},
            r"split 'test' names clip 'sample_99999999', which has no item",
        ),
        (
            {**SPLITS, "test": [*SPLITS["test"], "sample_00000000"]},
            r"item 'sample_00000000' is in two splits: 'train' and 'test'",
        ),
        (
            {**SPLITS, "test": [*SPLITS["test"], "sample_00000008"]},
            r"item 'sample_00000008' is listed twice in split 'test'",
        ),
        ({**SPLITS, "val": []}, r"split 'val' has no clips"),
        ({"Train": SPLITS["train"]}, r"split name 'Train' is not allowed"),
        ({}, r"splits must map"),
    ],
)
def test_bad_splits_are_refused(items, splits, message):
    buffer = io.BytesIO()
    with pytest.raises(ValueError, match=message):
        export_zip(items=items, splits=splits, datasheet=DATASHEET, out=buffer)
    assert buffer.getvalue() == b""


@pytest.mark.parametrize(
    ("datasheet", "message"),
    [
        ({**DATASHEET, "frozen_at": "last tuesday"}, r"frozen_at 'last tuesday' is not an ISO"),
        ({**DATASHEET, "counts": {}}, r"'counts' is computed by the export"),
        ({**DATASHEET, "provenance": ["a"]}, r"provenance must be a mapping"),
        ({**DATASHEET, "note": object()}, r"note cannot be written as JSON"),
        ({**DATASHEET, "licence": 4}, r"licence must be a string"),
    ],
)
def test_bad_datasheets_are_refused(items, datasheet, message):
    with pytest.raises(ValueError, match=message):
        export_zip(items=items, splits=SPLITS, datasheet=datasheet, out=io.BytesIO())


def test_media_files_go_in_at_their_media_paths_stored_and_listed(items, tmp_path):
    videos = {
        item["media"]: f"video of {item['name']}".encode() * 50
        for item in items
        if item["media"] and item["name"] in SPLITS["test"]
    }
    media_files = {path: (lambda data=data: io.BytesIO(data)) for path, data in videos.items()}
    results = [
        export_zip(
            items=items,
            splits=SPLITS,
            datasheet=DATASHEET,
            out=tmp_path / name,
            media_files=media_files,
        )
        for name in ("a.zip", "b.zip")
    ]
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    assert results[0]["sha256"] == hashlib.sha256((tmp_path / "a.zip").read_bytes()).hexdigest()
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        for path, data in videos.items():
            assert archive.read(path) == data
            assert archive.getinfo(path).compress_type == zipfile.ZIP_STORED
            assert results[0]["files"][path] == hashlib.sha256(data).hexdigest()
            assert f"{hashlib.sha256(data).hexdigest()}  {path}" in archive.read(MANIFEST).decode()
        sheet = json.loads(archive.read("datasheet.json"))
        assert sheet["media"] == {"included": len(videos)}
        with_media = sheet["counts"]["total"]["with_media"]
        assert (
            f"{len(videos)} of the {with_media} videos are in the export"
            in archive.read("datasheet.md").decode()
        )
    # A file object gets the same bytes as a path.
    buffer = io.BytesIO()
    export_zip(items=items, splits=SPLITS, datasheet=DATASHEET, out=buffer, media_files=media_files)
    assert buffer.getvalue() == (tmp_path / "a.zip").read_bytes()


def test_media_files_must_be_the_media_of_an_exported_clip(items, tmp_path):
    with pytest.raises(ValueError, match="'media/other.mp4' is not the media of any exported"):
        export_zip(
            items=items,
            splits=SPLITS,
            datasheet=DATASHEET,
            out=tmp_path / "x.zip",
            media_files={"media/other.mp4": lambda: io.BytesIO(b"x")},
        )
    assert not (tmp_path / "x.zip").exists()
