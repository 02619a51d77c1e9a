"""manage.py import_clips: manifests, per-row errors, exit codes, summary."""

import shutil

import pytest
from django.core.management import CommandError, call_command

from annotate.clips.models import Clip
from annotate.core.models import Project
from tests import mediafiles
from tests.conftest import stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "clips"
    d.mkdir()
    mediafiles.make_clip(d / "sample_00000001.mp4", seconds=1.0)
    mediafiles.make_clip(d / "sample_00000002.mp4", seconds=1.2, audio=False)
    (d / "sample_00000002.srt").write_text("1\n00:00:00,100 --> 00:00:00,900\nQuiet now.\n")
    return d


def _run(*args):
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("import_clips", *map(str, args), stdout=out, stderr=err)
    except CommandError as error:
        return False, out.getvalue() + str(error)
    return True, out.getvalue()


def test_mer_manifest_imports_and_ingests_in_process(folder, media_root, tmp_path):
    manifest = tmp_path / "mer.csv"
    manifest.write_text(
        "name,chinese,english\nsample_00000001,你好,Hello there.\n"
        "sample_00000002,,Ignored because the SRT wins.\n",
        encoding="utf-8",
    )
    ok, out = _run(folder, "--project", "MER test", "--manifest", manifest)
    assert ok, out
    assert "2 ready" in out
    project = Project.objects.get(name="MER test")
    first, second = Clip.objects.filter(project=project).order_by("name")
    assert first.status == second.status == Clip.Status.READY
    assert first.subtitle_text == "Hello there." and first.subtitle_chinese == "你好"
    assert first.subtitle_source == "manifest" and "chinese" not in first.metadata
    assert second.subtitle_format == "srt" and second.subtitle_segments[0]["start_ms"] == 100
    assert second.subtitle_source == "file" and second.subtitle_chinese == ""
    # Both had a subtitle: neither is read from the picture.
    assert first.subtitle_ocr_status == second.subtitle_ocr_status == ""


def test_emer_manifest_keeps_labels_and_reasons(folder, media_root, tmp_path):
    manifest = tmp_path / "emer.csv"
    manifest.write_text(
        "names,emotions,subtitles,reasons\n"
        'sample_00000001,happy,"Thanks, really.","In the video, he smiles."\n'
    )
    ok, out = _run(folder, "--project", "EMER", "--manifest", manifest)
    assert ok, out
    clip = Clip.objects.get(name="sample_00000001")
    assert clip.metadata["emotion"] == "happy" and clip.metadata["reasons"].startswith(
        "In the video"
    )
    assert "1 skipped" in out and "sample_00000002.mp4: not in the manifest" in out


def test_manifest_with_missing_columns_changes_nothing(folder, media_root, tmp_path):
    manifest = tmp_path / "bad.csv"
    manifest.write_text("clip,text\nsample_00000001,hi\n")
    ok, out = _run(folder, "--project", "Bad", "--manifest", manifest)
    assert not ok
    assert "no 'name' column" in out and "clip, text" in out
    assert not Project.objects.filter(name="Bad").exists()
    assert Clip.objects.count() == 0 and stored_files(media_root) == []


def test_emer_manifest_missing_a_column_is_named(folder, media_root, tmp_path):
    manifest = tmp_path / "emer.csv"
    manifest.write_text("names,emotions,subtitles\nsample_00000001,happy,hi\n")
    ok, out = _run(folder, "--project", "EMER", "--manifest", manifest)
    assert not ok and "lacks reasons" in out


def test_unknown_names_fail_their_row_and_the_exit_code(folder, media_root, tmp_path):
    manifest = tmp_path / "mer.csv"
    manifest.write_text("name,english\nsample_00000001,Hi.\nsample_99999999,Who?\n")
    ok, out = _run(folder, "--project", "P", "--manifest", manifest)
    assert not ok
    assert "sample_99999999" in out and "no file named sample_99999999" in out
    assert "line 3" in out
    assert "1 ready" in out and "1 failed" in out
    assert list(Clip.objects.values_list("name", flat=True)) == ["sample_00000001"]


def test_without_manifest_every_file_is_a_candidate_and_bad_ones_are_named(folder, media_root):
    mediafiles.make_text_as_mp4(folder / "notes.mp4")
    ok, out = _run(folder, "--project", "Loose")
    assert not ok
    assert "notes" in out and "not a video" in out.lower()
    assert Clip.objects.filter(status=Clip.Status.READY).count() == 2
    assert not Clip.objects.filter(name="notes").exists()


def test_reimport_is_idempotent_but_a_copy_under_another_name_is_a_duplicate(folder, media_root):
    ok, _ = _run(folder, "--project", "Again")
    assert ok
    ok, out = _run(folder, "--project", "Again")
    assert ok, out
    assert "2 already" in out
    shutil.copy(folder / "sample_00000001.mp4", folder / "copy.mp4")
    ok, out = _run(folder, "--project", "Again")
    assert not ok
    assert "DUPLICATE" in out and "copy" in out and "sample_00000001" in out
    assert Clip.objects.count() == 2


def test_broken_srt_is_a_named_row(folder, media_root):
    (folder / "sample_00000001.srt").write_text("1\n00:00:00,000 --> banana\nHi\n")
    ok, out = _run(folder, "--project", "Subs")
    assert not ok
    assert "sample_00000001" in out and "sample_00000001.srt" in out
    assert not Clip.objects.filter(name="sample_00000001").exists()


def test_enqueue_hands_clips_to_the_workers(folder, media_root, django_capture_on_commit_callbacks):
    from unittest import mock

    with (
        mock.patch("annotate.clips.tasks.clip_ingest.apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True),
    ):
        ok, out = _run(folder, "--project", "Queued", "--enqueue")
    assert ok, out
    assert "2 created" in out
    assert apply_async.call_count == 2
    assert set(Clip.objects.values_list("status", flat=True)) == {Clip.Status.PENDING}
