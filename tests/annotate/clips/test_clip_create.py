"""clip_create: every bad upload is refused with a named reason and leaves nothing behind."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotate.clips.models import Clip
from annotate.clips.services import (
    ClipDuplicate,
    ClipRejected,
    clip_create,
    clip_name_from_filename,
)
from tests import mediafiles
from tests.conftest import stored_files

pytestmark = pytest.mark.django_db


def _upload(path: Path, name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes(), content_type="video/mp4")


BAD_FILES = [
    ("notes.mp4", lambda p: mediafiles.make_text_as_mp4(p), "not_media", "not a video"),
    ("empty.mp4", lambda p: mediafiles.make_zero_length(p), "empty", "empty"),
    ("cut.mp4", lambda p: mediafiles.make_truncated_mp4(p, kind="moov_at_end"), "damaged", ""),
    ("voice.mp4", lambda p: mediafiles.make_audio_only(p), "no_video", "video"),
    ("still.mp4", lambda p: mediafiles.make_still_image(p), "no_video", ""),
    ("odd.avi", lambda p: mediafiles.make_unknown_codec(p), "unsupported_codec", "ZQXW"),
]


@pytest.mark.parametrize(
    "filename,make,code,words", BAD_FILES, ids=[b[2] + "-" + b[0] for b in BAD_FILES]
)
def test_bad_video_is_refused_and_nothing_is_stored(
    project, media_root, tmp_path, filename, make, code, words
):
    path = make(tmp_path / filename)
    with pytest.raises(ClipRejected) as caught:
        clip_create(project=project, source=_upload(path), filename=filename)
    assert caught.value.code == code
    assert filename in caught.value.message
    assert words.lower() in caught.value.message.lower()
    assert Clip.objects.count() == 0
    assert stored_files(media_root) == []


def test_clip_over_the_duration_limit_is_refused(project, media_root, tmp_path, settings):
    settings.EMOCUE_MAX_CLIP_DURATION_MS = 1500
    path = mediafiles.make_clip(tmp_path / "long.mp4", seconds=2.0)
    with pytest.raises(ClipRejected) as caught:
        clip_create(project=project, source=_upload(path), filename="long.mp4")
    assert caught.value.code == "too_long"
    assert "long.mp4" in caught.value.message
    assert Clip.objects.count() == 0 and stored_files(media_root) == []


def test_clip_over_the_size_limit_is_refused(project, media_root, tmp_path, settings):
    path = mediafiles.make_clip(tmp_path / "big.mp4", seconds=1.0)
    settings.EMOCUE_MAX_UPLOAD_BYTES = path.stat().st_size - 1
    with pytest.raises(ClipRejected) as caught:
        clip_create(project=project, source=_upload(path), filename="big.mp4")
    assert caught.value.code == "too_large"
    assert Clip.objects.count() == 0 and stored_files(media_root) == []


@pytest.mark.parametrize(
    "filename",
    [
        "../../etc/passwd.mp4",
        "a/b.mp4",
        "..\\evil.mp4",
        "..mp4",
        ".hidden.mp4",
        "bell\x07.mp4",
        "semi;colon.mp4",
        "nul\x00.mp4",
    ],
)
def test_file_names_with_paths_or_odd_characters_are_refused(
    project, media_root, tmp_path, filename
):
    path = mediafiles.make_clip(tmp_path / "ok.mp4", seconds=1.0)
    with pytest.raises(ClipRejected) as caught:
        clip_create(project=project, source=path, filename=filename)
    assert caught.value.code == "bad_name"
    assert Clip.objects.count() == 0 and stored_files(media_root) == []


@pytest.mark.parametrize(
    "filename,name",
    [
        ("sample_00000007.mp4", "sample_00000007"),
        ("Interview (take 2).mov", "Interview (take 2)"),
        ("採訪.mp4", "採訪"),
        ("noext", "noext"),
        ("clip.v2.mp4", "clip.v2"),
    ],
)
def test_clip_names_keep_what_people_type(filename, name):
    assert clip_name_from_filename(filename) == name


def test_broken_srt_is_refused_with_the_cue_named(project, media_root, tmp_path):
    path = mediafiles.make_clip(tmp_path / "talk.mp4", seconds=1.0)
    srt = b"1\n00:00:00,000 --> 00:00:00,800\nHello\n\n2\n00:00:0x,000 --> 00:00:01,000\nthere\n"
    with pytest.raises(ClipRejected) as caught:
        clip_create(
            project=project,
            source=path,
            filename="talk.mp4",
            subtitle=srt,
            subtitle_filename="talk.srt",
        )
    assert caught.value.code == "subtitle"
    assert "talk.srt" in caught.value.message
    assert Clip.objects.count() == 0 and stored_files(media_root) == []


def test_same_file_twice_is_reported_not_duplicated(
    project, media_root, tmp_path, django_capture_on_commit_callbacks
):
    path = mediafiles.make_clip(tmp_path / "a.mp4", seconds=1.0)
    with django_capture_on_commit_callbacks() as callbacks:
        first = clip_create(project=project, source=_upload(path), filename="a.mp4", enqueue=False)
    assert callbacks == []
    files_before = stored_files(media_root)
    with pytest.raises(ClipDuplicate) as caught:
        clip_create(
            project=project, source=_upload(path, "copy of a.mp4"), filename="copy of a.mp4"
        )
    assert caught.value.existing == first
    assert "'a'" in caught.value.message and "copy of a.mp4" in caught.value.message
    assert Clip.objects.count() == 1
    assert stored_files(media_root) == files_before


def test_same_file_in_another_project_is_fine(project, media_root, tmp_path):
    from tests.factories import ProjectFactory

    path = mediafiles.make_clip(tmp_path / "a.mp4", seconds=1.0)
    clip_create(project=project, source=path, filename="a.mp4", enqueue=False)
    clip_create(project=ProjectFactory(), source=path, filename="a.mp4", enqueue=False)
    assert Clip.objects.count() == 2


def test_create_stores_under_a_generated_name_and_enqueues_after_commit(
    project, media_root, tmp_path, django_capture_on_commit_callbacks, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from unittest import mock

    path = mediafiles.make_clip(tmp_path / "talk.mp4", seconds=1.5, fps=30)
    with mock.patch("annotate.clips.tasks.clip_ingest.apply_async") as apply_async:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            clip = clip_create(
                project=project,
                source=_upload(path),
                filename="talk.mp4",
                subtitle="Hello there.",
                subtitle_filename="talk.txt",
            )
            assert apply_async.call_count == 0  # not before the commit
        assert len(callbacks) == 1
        callbacks[0]()
    apply_async.assert_called_once()
    assert apply_async.call_args.args[0] == (clip.pk,)
    assert clip.status == Clip.Status.PENDING
    assert clip.source.name == f"clips/{project.pk}/{clip.uid}/source"
    assert clip.name == "talk" and clip.original_filename == "talk.mp4"
    assert (clip.fps_num, clip.fps_den) == (30, 1)
    assert clip.subtitle_text == "Hello there." and clip.subtitle_segments == []
    assert len(clip.sha256) == 64


def test_a_failed_clip_gives_way_to_a_new_file_of_the_same_name(
    project, media_root, tmp_path, django_capture_on_commit_callbacks
):
    good = mediafiles.make_clip(tmp_path / "x.mp4", seconds=1.0)
    failed = clip_create(project=project, source=good, filename="x.mp4", enqueue=False)
    Clip.objects.filter(pk=failed.pk).update(status=Clip.Status.FAILED, error="broken")
    other = mediafiles.make_clip(tmp_path / "y.mp4", seconds=1.2)
    with django_capture_on_commit_callbacks(execute=True):
        clip = clip_create(project=project, source=other, filename="x.mp4", enqueue=False)
    assert list(Clip.objects.values_list("pk", flat=True)) == [clip.pk]
    assert stored_files(media_root) == [f"clips/{project.pk}/{clip.uid}/source"]


def test_a_live_clip_keeps_its_name(project, media_root, tmp_path):
    clip_create(
        project=project,
        source=mediafiles.make_clip(tmp_path / "x.mp4", seconds=1.0),
        filename="x.mp4",
        enqueue=False,
    )
    with pytest.raises(ClipRejected) as caught:
        clip_create(
            project=project,
            source=mediafiles.make_clip(tmp_path / "y.mp4", seconds=1.2),
            filename="x.mp4",
            enqueue=False,
        )
    assert caught.value.code == "name_taken"


def test_a_taken_name_is_refused_with_a_free_name_to_use_instead(
    project, media_root, tmp_path, client, manager
):
    for n, name in enumerate(["sample_00000007", "sample_00000007_2"]):
        clip_create(
            project=project,
            source=mediafiles.make_clip(tmp_path / f"{n}.mp4", seconds=1.0 + n / 10),
            filename=f"{name}.mp4",
            enqueue=False,
        )
    video = mediafiles.make_clip(tmp_path / "new.mp4", seconds=1.5)
    with pytest.raises(ClipRejected) as caught:
        clip_create(project=project, source=video, filename="sample_00000007.mp4", enqueue=False)
    assert caught.value.code == "name_taken"
    assert caught.value.suggested_name == "sample_00000007_3"
    assert "such as 'sample_00000007_3'" in caught.value.message

    # The API says it too, and takes the suggestion as `name`.
    client.force_login(manager)
    url = reverse("api-clip-list", args=[project.slug])
    refused = client.post(url, {"file": _upload(video, "sample_00000007.mp4")})
    assert refused.status_code == 409
    assert refused.json()["suggested_name"] == "sample_00000007_3"
    assert Clip.objects.filter(project=project).count() == 2
    added = client.post(
        url, {"file": _upload(video, "sample_00000007.mp4"), "name": "sample_00000007_3"}
    )
    assert added.status_code == 201, added.content
    assert added.json()["name"] == "sample_00000007_3"


def test_the_upload_page_takes_a_name_per_file(project, media_root, tmp_path, client, manager):
    clip_create(
        project=project,
        source=mediafiles.make_clip(tmp_path / "a.mp4", seconds=1.0),
        filename="sample_00000007.mp4",
        enqueue=False,
    )
    client.force_login(manager)
    url = reverse("clip-upload", args=[project.slug])
    taken = _upload(mediafiles.make_clip(tmp_path / "b.mp4", seconds=1.2), "sample_00000007.mp4")
    other = _upload(mediafiles.make_clip(tmp_path / "c.mp4", seconds=1.4), "other.mp4")
    refused = client.post(url, {"files": [taken], "names": ["sample_00000007"]})
    assert refused.status_code == 422
    html = refused.content.decode()
    assert 'data-suggested-name="sample_00000007_2"' in html and "such as" in html
    assert Clip.objects.filter(project=project).count() == 1

    taken.seek(0)
    added = client.post(url, {"files": [taken, other], "names": ["renamed one", ""]})
    assert added.status_code == 201, added.content
    names = set(Clip.objects.filter(project=project).values_list("name", "original_filename"))
    assert names == {
        ("sample_00000007", "sample_00000007.mp4"),
        ("renamed one", "sample_00000007.mp4"),
        ("other", "other.mp4"),
    }
