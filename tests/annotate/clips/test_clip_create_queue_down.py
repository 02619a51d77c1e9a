"""clip_create with the Celery broker down: the upload is refused (ClipQueueUnavailable, a 503)
and taken out again, row and file, instead of sitting "pending" with no task to ingest it."""

from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from kombu.exceptions import OperationalError

from annotate.clips.models import Clip
from annotate.clips.services import ClipQueueUnavailable, clip_create, clips_upload
from tests import mediafiles
from tests.conftest import stored_files

# The clip's own transaction must be the outermost one, so that its on-commit enqueue runs
# (and fails) inside clip_create, as it does in a request.
pytestmark = pytest.mark.django_db(transaction=True)

BROKER_DOWN = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def _upload(path, name=None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes(), content_type="video/mp4")


@pytest.fixture
def broker_down():
    with mock.patch(
        "annotate.clips.tasks.clip_ingest.apply_async", side_effect=BROKER_DOWN
    ) as apply_async:
        yield apply_async


def test_clip_is_refused_and_nothing_stays_when_the_broker_is_down(
    project, media_root, tmp_path, broker_down
):
    path = mediafiles.make_clip(tmp_path / "talk.mp4", seconds=1.0)
    with pytest.raises(ClipQueueUnavailable) as caught:
        clip_create(project=project, source=_upload(path), filename="talk.mp4")
    broker_down.assert_called_once()  # it was tried, after the commit
    assert isinstance(caught.value, OperationalError)  # the 503 handler knows it as a broker error
    assert caught.value.code == "queue_unavailable" and caught.value.filename == "talk.mp4"
    assert "talk.mp4 was not added" in caught.value.message and "again" in caught.value.message
    assert Clip.objects.count() == 0
    assert stored_files(media_root) == []


def test_the_same_file_goes_in_once_the_broker_is_back(project, media_root, tmp_path, broker_down):
    path = mediafiles.make_clip(tmp_path / "talk.mp4", seconds=1.0)
    with pytest.raises(ClipQueueUnavailable):
        clip_create(project=project, source=_upload(path), filename="talk.mp4")
    broker_down.side_effect = None
    clip = clip_create(project=project, source=_upload(path), filename="talk.mp4")
    assert broker_down.call_args.args[0] == (clip.pk,)
    assert list(Clip.objects.values_list("name", "status")) == [("talk", Clip.Status.PENDING)]
    assert stored_files(media_root) == [clip.source.name]


def test_an_upload_of_several_files_stops_at_the_first_refusal(
    project, media_root, tmp_path, broker_down
):
    files = [
        _upload(mediafiles.make_clip(tmp_path / f"{n}.mp4", seconds=1.0 + n / 10)) for n in range(3)
    ]
    results = clips_upload(project=project, files=files)
    assert [(r.filename, r.ok, r.code) for r in results] == [
        (f"{n}.mp4", False, "queue_unavailable") for n in range(3)
    ]
    assert "task queue" in results[0].message and "0.mp4" in results[0].message
    assert all("upload it again" in r.message for r in results[1:])
    assert broker_down.call_count == 1  # the others were not stored and taken out again
    assert Clip.objects.count() == 0 and stored_files(media_root) == []


def test_the_upload_page_answers_503_with_the_reason(
    project, manager, media_root, tmp_path, broker_down, client
):
    client.force_login(manager)
    path = mediafiles.make_clip(tmp_path / "talk.mp4", seconds=1.0)
    response = client.post(
        f"/p/{project.slug}/upload/", {"files": [_upload(path)]}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 503
    assert response["X-Upload-Results"] == "1"  # upload.js swaps it in like a 4xx
    assert "talk.mp4 was not added" in response.content.decode()
    assert Clip.objects.count() == 0 and stored_files(media_root) == []
