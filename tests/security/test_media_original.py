"""Issue #16, finding 1: the original upload is never served, whatever spelling of its path a
member sends (`//source`, `/%2e/source`, `source/` as curl --path-as-is sends it), through the
Django test client and through the live test server (Django's own WSGI server), which hands
the raw path to the view. Only the derived files the clip records are
served, and every page and API that names one still gets it."""

import http.client
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from annotate.clips.ingest import clip_ingest
from annotate.clips.services import clip_create
from tests import mediafiles
from tests.annotate.clips import test_s3_media
from tests.factories import MembershipFactory, ProjectFactory

# A private bucket on a local S3 server, as the S3 media tests run it.
s3_endpoint = test_s3_media.s3_endpoint
s3 = test_s3_media.s3


@pytest.fixture
def project(db):
    return ProjectFactory(blind_mode=True)


@pytest.fixture
def blind_annotator(project):
    return MembershipFactory(project=project, role="annotator").user


@pytest.fixture
def ready_clip(project, media_root, tmp_path):
    path = mediafiles.make_clip(tmp_path / "talk.mp4", seconds=1.0, audio=True)
    clip = clip_create(project=project, source=path, filename="talk.mp4", enqueue=False)
    clip = clip_ingest(clip_id=clip.pk)
    assert clip.status == "ready" and clip.audio and clip.peaks, clip.error
    return clip


def _aliases(clip) -> list[str]:
    folder = clip.media_dir
    return [
        f"/media/{folder}/source",
        f"/media/{folder}//source",
        f"/media/{folder}/%2e/source",
        f"/media/{folder}/./source",
        f"/media/{folder}/source/",
        f"/media/{folder}/frames/../source",
        f"/media/{folder}//proxy.mp4",  # a derived file, but not by its own name
    ]


@pytest.mark.django_db
def test_no_spelling_of_the_original_is_served(client, blind_annotator, ready_clip, media_root):
    original = (media_root / ready_clip.source.name).read_bytes()
    client.force_login(blind_annotator)
    for url in _aliases(ready_clip):
        response = client.get(url)
        assert response.status_code == 404, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert original not in body, url


@pytest.mark.django_db
def test_other_files_beside_the_derived_ones_are_not_served(
    client, blind_annotator, ready_clip, media_root
):
    (media_root / ready_clip.media_dir / "notes.json").write_text('{"secret": 1}')
    client.force_login(blind_annotator)
    assert client.get(f"/media/{ready_clip.media_dir}/notes.json").status_code == 404


@pytest.mark.django_db
def test_every_derived_file_a_page_or_the_api_names_is_served(
    client, blind_annotator, project, ready_clip
):
    client.force_login(blind_annotator)
    detail = client.get(reverse("api-clip-detail", args=[project.slug, ready_clip.name])).json()
    urls = [url for url in detail["media"].values() if url]
    urls += [f"/media/{frame['name']}" for frame in detail["frames"]]
    assert len(urls) == 4 + len(ready_clip.frames) and ready_clip.frames
    page = client.get(reverse("clip-detail", args=[project.slug, ready_clip.name]))
    text = page.content.decode()
    for url in urls:
        response = client.get(url, headers={"Range": "bytes=0-9"})
        assert response.status_code == 206, url
    for name in (ready_clip.proxy, ready_clip.peaks, ready_clip.frames[0]["name"]):
        assert f"/media/{name}" in text


@pytest.mark.django_db(transaction=True)
def test_the_embedded_server_passes_raw_paths_and_they_are_refused(
    client, live_server, blind_annotator, ready_clip, media_root
):
    """http.client sends the path byte for byte, as curl --path-as-is does."""
    original = (media_root / ready_clip.source.name).read_bytes()
    client.force_login(blind_annotator)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    where = urlsplit(live_server.url)
    for url in _aliases(ready_clip):
        connection = http.client.HTTPConnection(where.hostname, where.port, timeout=10)
        connection.request("GET", url, headers={"Cookie": cookie})
        response = connection.getresponse()
        body = response.read()
        connection.close()
        assert response.status == 404, url
        assert original not in body, url
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=10)
    connection.request("GET", f"/media/{ready_clip.proxy}", headers={"Cookie": cookie})
    response = connection.getresponse()
    assert response.status == 200 and response.read()[4:8] == b"ftyp"
    connection.close()


@pytest.mark.django_db
def test_in_s3_storage_the_original_is_not_served_either(
    s3, client, blind_annotator, project, tmp_path
):
    """S3Storage normalises names itself (`a//b` is read as `a/b`): the rule must not rely on
    the storage refusing them."""
    path = mediafiles.make_clip(tmp_path / "talk.mp4", seconds=1.0)
    clip = clip_create(project=project, source=path, filename="talk.mp4", enqueue=False)
    clip = clip_ingest(clip_id=clip.pk)
    assert clip.status == "ready" and clip.source.name in s3["keys"]()
    client.force_login(blind_annotator)
    for url in _aliases(clip):
        assert client.get(url).status_code == 404, url
    served = client.get(f"/media/{clip.proxy}", headers={"Range": "bytes=4-7"})
    assert served.status_code == 206 and b"".join(served.streaming_content) == b"ftyp"
