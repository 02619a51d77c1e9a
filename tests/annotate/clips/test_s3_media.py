"""Media in S3-compatible storage, as a lab deployment runs it with MinIO: django-storages'
S3Storage against moto's S3 server over HTTP on loopback. An upload is ingested from the
bucket, the real signal proposer runs on the clip's media (copied to a temporary folder of
the task and removed after), playback streams byte ranges from the bucket to members only,
and a missing object fails its clip with a message that names it."""

import socket
import tempfile
import uuid
from pathlib import Path

import boto3
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from moto.server import ThreadedMotoServer

from annotate.clips.models import Clip
from annotate.runs.models import ModelRun, Proposal
from tests import mediafiles
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

KEYS = {
    "aws_access_key_id": "emocue-test",
    "aws_secret_access_key": "emocue-test-secret",
    "region_name": "us-east-1",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _reset_storage() -> None:
    default_storage.__dict__.pop("_wrapped", None)
    default_storage._setup()


@pytest.fixture
def s3(settings, s3_endpoint, media_root, monkeypatch, tmp_path):
    """A fresh private bucket as the default storage, configured as studio/settings/production.py
    does for MinIO; MEDIA_ROOT stays empty (checked) and temporary files go to tmp_path/tmp."""
    bucket = f"emocue-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, **KEYS)
    client.create_bucket(Bucket=bucket)
    settings.AWS_STORAGE_BUCKET_NAME = bucket
    settings.AWS_S3_ENDPOINT_URL = s3_endpoint
    settings.AWS_S3_ACCESS_KEY_ID = KEYS["aws_access_key_id"]
    settings.AWS_S3_SECRET_ACCESS_KEY = KEYS["aws_secret_access_key"]
    settings.AWS_S3_REGION_NAME = KEYS["region_name"]
    settings.AWS_S3_ADDRESSING_STYLE = "path"
    settings.AWS_S3_SIGNATURE_VERSION = "s3v4"
    settings.AWS_DEFAULT_ACL = None
    settings.AWS_QUERYSTRING_AUTH = True
    settings.AWS_S3_FILE_OVERWRITE = False
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage"},
    }
    _reset_storage()
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    assert type(default_storage._wrapped).__name__ == "S3Storage"

    def keys() -> list[str]:
        listed = client.list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    yield {"client": client, "bucket": bucket, "keys": keys, "temp": temp}
    assert not any(media_root.rglob("*")), "media went to MEDIA_ROOT instead of the bucket"
    _reset_storage()


def _upload_ready_clip(
    client, project, manager, tmp_path, capture, *, name="talk", seconds=2.0
) -> Clip:
    client.force_login(manager)
    video = mediafiles.make_clip(tmp_path / f"{name}.mp4", seconds=seconds)
    with capture(execute=True):  # the ingest task runs eagerly, reading the source from S3
        upload = client.post(
            reverse("api-clip-list", args=[project.slug]),
            {"file": SimpleUploadedFile(f"{name}.mp4", video.read_bytes())},
        )
    assert upload.status_code == 201, upload.content
    clip = Clip.objects.get(project=project, name=name)
    assert clip.status == Clip.Status.READY, (clip.error_code, clip.error)
    return clip


def _start_run(client, project, capture, clips: list[str]) -> ModelRun:
    with capture(execute=True):  # one proposer task per clip, eagerly
        started = client.post(
            reverse("api-run-list", args=[project.slug]),
            {"proposer": "signals", "clips": clips},
            content_type="application/json",
        )
    assert started.status_code == 201, started.content
    return ModelRun.objects.get(pk=started.json()["id"])


def test_upload_ingest_and_a_real_proposer_run_with_media_in_s3(
    s3, client, project, manager, tmp_path, django_capture_on_commit_callbacks
):
    clip = _upload_ready_clip(
        client, project, manager, tmp_path, django_capture_on_commit_callbacks
    )
    stored = s3["keys"]()
    frame_names = [frame["name"] for frame in clip.frames]
    assert clip.frames and clip.audio and clip.peaks
    for name in [clip.source.name, clip.proxy, clip.audio, clip.peaks, *frame_names]:
        assert name in stored, name

    run = _start_run(client, project, django_capture_on_commit_callbacks, [clip.name])
    run.refresh_from_db()
    proposal = Proposal.objects.get(run=run, clip=clip)
    assert (proposal.status, proposal.error) == (Proposal.Status.DONE, "")
    assert run.status == ModelRun.Status.FINISHED
    cues = list(proposal.cues.values_list("modality", flat=True))
    assert cues and set(cues) <= {"visual", "auditory", "emotional"}
    # The task's copies are gone with the task.
    assert not list(s3["temp"].iterdir())


def test_playback_streams_ranges_from_the_bucket_to_members_only(
    s3, client, project, manager, annotator, tmp_path, django_capture_on_commit_callbacks
):
    clip = _upload_ready_clip(
        client, project, manager, tmp_path, django_capture_on_commit_callbacks
    )
    whole = s3["client"].get_object(Bucket=s3["bucket"], Key=clip.proxy)["Body"].read()
    url = f"/media/{clip.proxy}"
    client.force_login(annotator)

    part = client.get(url, headers={"Range": "bytes=100-1123"})
    assert part.status_code == 206
    assert b"".join(part.streaming_content) == whole[100:1124]
    assert (
        part["Content-Range"] == f"bytes 100-1123/{len(whole)}" and part["Content-Length"] == "1024"
    )
    assert part["Content-Type"] == "video/mp4" and part["X-Content-Type-Options"] == "nosniff"

    tail = client.get(url, headers={"Range": "bytes=-500"})
    assert tail.status_code == 206 and b"".join(tail.streaming_content) == whole[-500:]

    full = client.get(url)
    assert full.status_code == 200 and full["Content-Length"] == str(len(whole))
    assert b"".join(full.streaming_content) == whole and full["Accept-Ranges"] == "bytes"

    beyond = client.get(url, headers={"Range": f"bytes={len(whole)}-"})
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{len(whole)}"
    # The upload itself is never served, and nobody outside the project gets anything.
    assert client.get(f"/media/{clip.source.name}").status_code == 404
    outsider = UserFactory()
    MembershipFactory(user=outsider)  # a member of another project
    client.force_login(outsider)
    assert client.get(url, headers={"Range": "bytes=0-99"}).status_code == 404


def test_a_missing_object_fails_its_clip_with_a_message_naming_it(
    s3, client, project, manager, tmp_path, django_capture_on_commit_callbacks
):
    clip = _upload_ready_clip(
        client, project, manager, tmp_path, django_capture_on_commit_callbacks
    )
    good = _upload_ready_clip(
        client,
        project,
        manager,
        tmp_path,
        django_capture_on_commit_callbacks,
        name="other",
        seconds=1.5,
    )
    s3["client"].delete_object(Bucket=s3["bucket"], Key=clip.proxy)

    run = _start_run(client, project, django_capture_on_commit_callbacks, [clip.name, good.name])
    run.refresh_from_db()
    failed = Proposal.objects.get(run=run, clip=clip)
    assert failed.status == Proposal.Status.FAILED
    assert failed.error == f"Clip talk: media file {clip.proxy} is missing from storage."
    assert Proposal.objects.get(run=run, clip=good).status == Proposal.Status.DONE
    assert run.status == ModelRun.Status.FINISHED
    assert not list(s3["temp"].iterdir())
    # Playback of the missing file is a plain 404.
    assert client.get(f"/media/{clip.proxy}").status_code == 404


def test_a_source_missing_from_the_bucket_fails_ingestion_with_its_name(
    s3, project, manager, tmp_path
):
    from annotate.clips.ingest import clip_ingest
    from annotate.clips.services import clip_create

    video = mediafiles.make_clip(tmp_path / "gone.mp4", seconds=1.0)
    clip = clip_create(project=project, source=video, filename="gone.mp4")
    s3["client"].delete_object(Bucket=s3["bucket"], Key=clip.source.name)
    clip = clip_ingest(clip_id=clip.pk)
    assert clip.status == Clip.Status.FAILED and clip.error_code == "storage_error"
    assert clip.error == (
        f"The upload could not be read back: media file {clip.source.name} is "
        "missing from storage. Retry the clip once the media storage answers again."
    )
    assert [key for key in s3["keys"]() if key.startswith(clip.media_dir)] == []
    assert not list(Path(s3["temp"]).iterdir())
