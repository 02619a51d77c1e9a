"""manage.py export_goldset and freeze_goldset end to end on a small project whose gold records
are made directly: the zip, its manifest, byte-identical reruns, and the errors."""

import hashlib
import io
import json
import re
import zipfile

import pytest
from django.core.management import CommandError, call_command

from annotate.goldsets.models import GoldSet
from annotate.review.models import GoldRecord
from tests.annotate.goldsets.test_goldsets import gold_clip
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

SPLIT = "train=0.5,val=0.25,test=0.25"


@pytest.fixture
def small_project(db):
    """Twelve final gold clips of six speakers (two each), happy and sad, frozen as v1."""
    project = ProjectFactory(slug="small")
    for i in range(12):
        label = "happy" if i % 2 else "sad"
        gold_clip(
            project,
            f"sample_{i:08d}",
            group=f"spk{i // 2}",
            labels=[label],
            primary=label,
            description=f"Clip {i}: the speaker sounds {label}.",
            cues=[
                ("visual", f"face {i}", 100 * i, 100 * i + 500),
                ("auditory", f"voice {i}", None, None),
                ("emotional", f"{label} overall", None, None, "inference"),
            ],
        )
    gold_clip(project, "sample_in_review", status=GoldRecord.Status.IN_REVIEW)
    call_command(
        "freeze_goldset",
        project.slug,
        "--note",
        "twelve clips",
        "--licence",
        "CC-BY-NC-4.0",
        stdout=io.StringIO(),
    )
    return project


def export(project, out, *, version=1, split=SPLIT, seed=0) -> str:
    stdout = io.StringIO()
    call_command(
        "export_goldset",
        project.slug,
        "--version",
        str(version),
        "--split",
        split,
        "--seed",
        str(seed),
        "--out",
        str(out),
        stdout=stdout,
        stderr=io.StringIO(),
    )
    return stdout.getvalue()


def test_the_zip_its_manifest_and_the_report(small_project, tmp_path):
    out = tmp_path / "v1.zip"
    printed = export(small_project, out)
    data = out.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    assert f"sha256 {sha}" in printed

    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        manifest = archive.read("MANIFEST.sha256").decode().splitlines()
        listed = {}
        for line in manifest:
            digest, path = line.split("  ", 1)
            listed[path] = digest
            assert hashlib.sha256(archive.read(path)).hexdigest() == digest, path
        splits = json.loads(archive.read("splits.json"))
    assert set(listed) == set(names) - {"MANIFEST.sha256"}
    assert {"train/emocue.json", "val/emer.csv", "test/clips.jsonl", "datasheet.md"} <= set(names)
    assert sorted(n for names_ in splits.values() for n in names_) == [
        f"sample_{i:08d}" for i in range(12)
    ]  # the clip in review is not in v1
    sizes = [len(splits[s]) for s in ("train", "val", "test")]
    assert sizes[0] == 6 and sorted(sizes[1:]) == [2, 4]  # speakers come in twos
    # A speaker's clips stay in one split.
    for i in range(0, 12, 2):
        assert [s for s in splits if f"sample_{i:08d}" in splits[s]] == [
            s for s in splits if f"sample_{i + 1:08d}" in splits[s]
        ]

    # The report table: counts per label per split, the totals matching the split lists.
    lines = printed.splitlines()
    assert re.match(r"label\s+train\s+val\s+test\s+total$", lines[0])
    clips_row = next(line for line in lines if line.startswith("clips"))
    assert clips_row.split() == ["clips", *map(str, sizes), "12"]
    happy = next(line for line in lines if line.startswith("happy")).split()
    sad = next(line for line in lines if line.startswith("sad")).split()
    assert happy[-1] == sad[-1] == "6"
    assert [int(h) + int(s) for h, s in zip(happy[1:4], sad[1:4], strict=True)] == sizes


def test_the_same_seed_gives_the_same_bytes(small_project, tmp_path):
    export(small_project, tmp_path / "a.zip", seed=7)
    export(small_project, tmp_path / "b.zip", seed=7)
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


def test_an_impossible_split_writes_nothing(small_project, tmp_path):
    out = tmp_path / "impossible.zip"
    eight = ",".join(f"s{i}=0.125" for i in range(8))  # eight splits, six speakers
    with pytest.raises(CommandError, match="need at least 8 groups, but the 12 clips form only 6"):
        export(small_project, out, split=eight)
    with pytest.raises(CommandError, match="ratios must sum to 1"):
        export(small_project, out, split="train=0.8,test=0.1")
    with pytest.raises(CommandError, match="'train=' is not|must be a number"):
        export(small_project, out, split="train=,test=1")
    assert list(tmp_path.iterdir()) == []


def test_unknown_project_and_version(small_project, tmp_path):
    out = tmp_path / "x.zip"
    with pytest.raises(CommandError, match=r"has no gold set version 9; frozen versions: 1\."):
        export(small_project, out, version=9)
    with pytest.raises(CommandError, match="No project with the slug 'nope'"):
        call_command(
            "export_goldset", "nope", "--version", "1", "--split", SPLIT, "--out", str(out)
        )
    assert not out.exists()


def test_freeze_goldset_refuses_an_unchanged_gold(small_project):
    with pytest.raises(CommandError, match="Nothing changed since version 1"):
        call_command("freeze_goldset", small_project.slug, stdout=io.StringIO())
    gold_set = GoldSet.objects.get(project=small_project)
    assert (gold_set.version, gold_set.note, gold_set.licence) == (
        1,
        "twelve clips",
        "CC-BY-NC-4.0",
    )
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("freeze_goldset", small_project.slug, "--by", "ghost")
    GoldRecord.objects.filter(clip__name="sample_in_review").update(status=GoldRecord.Status.GOLD)
    stdout = io.StringIO()
    call_command("freeze_goldset", small_project.slug, stdout=stdout)
    assert "1 added, 0 changed, 0 removed" in stdout.getvalue()
    assert "Froze small gold v2." in stdout.getvalue()


def _eaf_media(archive: zipfile.ZipFile, member: str) -> tuple[str, str]:
    from xml.etree import ElementTree

    descriptor = ElementTree.fromstring(archive.read(member)).find("HEADER/MEDIA_DESCRIPTOR")
    return descriptor.get("MEDIA_URL"), descriptor.get("RELATIVE_MEDIA_URL")


def test_elan_files_point_at_media_that_with_media_puts_in_the_zip(
    small_project, media_root, tmp_path
):
    from pathlib import PurePosixPath

    from annotate.clips.models import Clip

    videos = {}
    for clip in Clip.objects.filter(project=small_project).exclude(proxy=""):
        videos[clip.name] = f"proxy video of {clip.name}".encode() * 100
        (media_root / clip.proxy).parent.mkdir(parents=True, exist_ok=True)
        (media_root / clip.proxy).write_bytes(videos[clip.name])

    export(small_project, tmp_path / "plain.zip")
    stdout = io.StringIO()
    for name in ("a.zip", "b.zip"):
        call_command(
            *("export_goldset", small_project.slug, "--version", "1", "--split", SPLIT),
            *("--out", str(tmp_path / name), "--with-media"),
            stdout=stdout,
            stderr=io.StringIO(),
        )
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()

    with (
        zipfile.ZipFile(tmp_path / "plain.zip") as plain,
        zipfile.ZipFile(tmp_path / "a.zip") as full,
    ):
        eafs = [n for n in plain.namelist() if n.endswith(".eaf")]
        assert len(eafs) == 12
        assert not [n for n in plain.namelist() if n.startswith("media/")]
        for member in eafs:
            name = PurePosixPath(member).stem
            # The same ELAN file in both zips, pointing relative to itself at media/<name>.mp4.
            assert plain.read(member) == full.read(member)
            media_url, relative = _eaf_media(full, member)
            assert (media_url, relative) == (f"media/{name}.mp4", f"../../media/{name}.mp4")
            resolved = PurePosixPath(member).parent.joinpath(relative).as_posix().split("/")
            while ".." in resolved:  # resolve ../ as ELAN does against the .eaf's folder
                i = resolved.index("..")
                del resolved[i - 1 : i + 1]
            assert full.read("/".join(resolved)) == videos[name]
            assert full.getinfo(f"media/{name}.mp4").compress_type == zipfile.ZIP_STORED
        rows = [
            json.loads(line)
            for split in ("train", "val", "test")
            for line in full.read(f"{split}/clips.jsonl").decode().splitlines()
        ]
        in_review = videos.pop("sample_in_review")  # its clip has a proxy but is not in v1
        assert in_review and "media/sample_in_review.mp4" not in full.namelist()
        assert {row["media"] for row in rows} == {f"media/{n}.mp4" for n in videos}
        listed = dict(
            reversed(line.split("  ", 1))
            for line in full.read("MANIFEST.sha256").decode().splitlines()
        )
        for name, video in videos.items():
            assert listed[f"media/{name}.mp4"] == hashlib.sha256(video).hexdigest()
        assert json.loads(full.read("datasheet.json"))["media"] == {"included": 12}
        assert json.loads(plain.read("datasheet.json"))["media"] == {"included": 0}
        assert "All 12 videos are in the export" in full.read("datasheet.md").decode()
        plain_sheet = plain.read("datasheet.md").decode()
        assert "0 of the 12 videos are in the export" in plain_sheet
        assert "--with-media" in plain_sheet and "Linked Files" in plain_sheet
        # Nothing else differs between the two zips.
        same = set(plain.namelist()) - {"datasheet.md", "datasheet.json", "MANIFEST.sha256"}
        assert all(plain.read(n) == full.read(n) for n in same)
