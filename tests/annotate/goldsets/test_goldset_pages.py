"""Gold set pages: who may see, freeze, export and download (annotators and non-members get a
404, anonymous users the login page), the export built by the (eager) worker after commit and
served as an attachment, refusals with their messages, and query counts that do not grow with
the number of versions, items or exports."""

import hashlib
import io
import zipfile

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate.core.models import AuditEvent
from annotate.goldsets import export_builder
from annotate.goldsets.exports import export_create
from annotate.goldsets.models import Export, GoldSet
from annotate.goldsets.services import goldset_freeze
from annotate.review.models import GoldRecord
from tests.annotate.goldsets.test_goldsets import gold_clip
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}
SPLIT = {"split": "train=0.5,test=0.5", "seed": "3"}


def add_gold(project, start: int, n: int) -> None:
    for i in range(start, start + n):
        label = "happy" if i % 2 else "sad"
        gold_clip(
            project,
            f"sample_{i:08d}",
            group=f"spk{i}",
            labels=[label],
            primary=label,
            cues=[("visual", f"face {i}", 0, 500), ("auditory", f"voice {i}", None, None)],
        )


@pytest.fixture
def reviewer(project):
    return MembershipFactory(project=project, role="reviewer").user


@pytest.fixture
def v1(project, manager, media_root):
    add_gold(project, 0, 4)
    return goldset_freeze(project=project, by=manager, note="first", licence="CC-BY-4.0")


@pytest.fixture
def done_export(v1, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export = export_create(gold_set=v1, ratios={"train": 0.5, "test": 0.5}, seed=1, by=manager)
    export.refresh_from_db()
    assert export.status == Export.Status.DONE, export.error
    return export


def urls(project, export):
    return {
        "list": reverse("goldset-list", args=[project.slug]),
        "detail": reverse("goldset-detail", args=[project.slug, 1]),
        "exports": reverse("goldset-exports", args=[project.slug, 1]),
        "download": reverse("goldset-export-download", args=[project.slug, 1, export.pk]),
    }


def test_who_sees_the_pages_and_the_download(
    client, project, v1, done_export, manager, reviewer, annotator, outsider
):
    pages = urls(project, done_export)
    for user in (manager, reviewer):
        client.force_login(user)
        assert {k: client.get(u).status_code for k, u in pages.items()} == dict.fromkeys(pages, 200)
    for user in (annotator, outsider):
        client.force_login(user)
        assert {k: client.get(u).status_code for k, u in pages.items()} == dict.fromkeys(pages, 404)
        assert client.post(reverse("goldset-freeze", args=[project.slug])).status_code == 404
        assert client.post(pages["exports"], SPLIT).status_code == 404
    client.logout()
    for url in pages.values():
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    response = client.post(pages["exports"], SPLIT, headers=HX)
    assert response.status_code == 401 and "session has ended" in response.content.decode()
    assert Export.objects.count() == 1 and GoldSet.objects.count() == 1


def test_reviewers_view_but_do_not_freeze_or_export(client, project, v1, reviewer):
    client.force_login(reviewer)
    body = client.get(reverse("goldset-list", args=[project.slug])).content.decode()
    assert 'id="goldset-freeze-form"' not in body and 'data-version="1"' in body
    body = client.get(reverse("goldset-detail", args=[project.slug, 1])).content.decode()
    assert 'id="goldset-export-form"' not in body
    GoldRecord.objects.filter(clip__name="sample_00000000").update(description="changed")
    response = client.post(reverse("goldset-freeze", args=[project.slug]), headers=HX)
    assert response.status_code == 403 and "Only a project manager" in response.content.decode()
    response = client.post(reverse("goldset-exports", args=[project.slug, 1]), SPLIT, headers=HX)
    assert response.status_code == 403 and "Only a project manager" in response.content.decode()
    assert GoldSet.objects.count() == 1 and not Export.objects.exists()


def test_managers_freeze_from_the_working_gold(client, project, manager, media_root):
    client.force_login(manager)
    freeze = reverse("goldset-freeze", args=[project.slug])
    response = client.post(freeze, {"note": "n"}, headers=HX)
    assert response.status_code == 409
    assert "no final gold record yet" in response.content.decode()
    add_gold(project, 0, 3)
    body = client.get(reverse("goldset-list", args=[project.slug])).content.decode()
    assert 'data-clips="3"' in body and "Freeze v1" in body
    response = client.post(freeze, {"note": "pilot", "licence": "CC-BY-NC-4.0"}, headers=HX)
    assert response.status_code == 201
    assert response["HX-Redirect"] == reverse("goldset-detail", args=[project.slug, 1])
    gold_set = GoldSet.objects.get()
    assert (gold_set.note, gold_set.licence, gold_set.frozen_by) == (
        "pilot",
        "CC-BY-NC-4.0",
        manager,
    )
    body = client.get(reverse("goldset-detail", args=[project.slug, 1])).content.decode()
    assert gold_set.content_sha256 in body and 'data-item="sample_00000002"' in body
    assert "face 2" in body and "<strong>happy</strong>" in body
    row = body[body.index('data-item="sample_00000002"') :]
    assert row.index("face 2") < row.index("voice 2")  # visual column before auditory
    body = client.get(reverse("goldset-list", args=[project.slug])).content.decode()
    assert 'id="goldset-unchanged"' in body and 'id="goldset-freeze-form"' not in body
    response = client.post(freeze, headers=HX)
    assert response.status_code == 409
    assert "Nothing changed since version 1" in response.content.decode()
    add_gold(project, 3, 1)
    body = client.get(reverse("goldset-list", args=[project.slug])).content.decode()
    assert "1 added, 0 changed, 0 removed" in body and "Freeze v2" in body
    response = client.post(freeze)  # without htmx: a redirect to the new version
    assert response.status_code == 302
    assert response["Location"] == reverse("goldset-detail", args=[project.slug, 2])


def test_an_export_is_built_after_commit_and_downloaded(
    client, project, v1, manager, tmp_path, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    exports = reverse("goldset-exports", args=[project.slug, 1])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(exports, SPLIT, headers=HX)
    assert response.status_code == 201 and len(callbacks) == 1
    assert "is queued" in response.content.decode()
    assert 'data-polling="true"' in response.content.decode()  # pending when rendered
    export = Export.objects.get()
    assert (export.status, export.seed, export.split_spec["ratios"]) == (
        "done",
        3,
        {"train": 0.5, "test": 0.5},
    )
    assert export.file == f"exports/{project.pk}/1/{export.sha256}.zip"
    assert export.report["total"] == 4 and set(export.report["splits"]) == {"train", "test"}
    assert AuditEvent.objects.filter(object_type="export", object_id=export.pk).exists()

    body = client.get(exports).content.decode()
    assert 'data-status="done"' in body and "data-polling" not in body
    assert "Counts per label per split" in body
    response = client.get(reverse("goldset-export-download", args=[project.slug, 1, export.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    data = b"".join(response.streaming_content)
    assert hashlib.sha256(data).hexdigest() == export.sha256 and len(data) == export.size_bytes
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "MANIFEST.sha256" in archive.namelist()

    assert "<td>train=0.5, test=0.5</td>" in body  # in the order given, not jsonb's
    assert body.index("<th>train</th>") < body.index("<th>test</th>")
    # The command makes the very same zip from the same version, split and seed.
    out = tmp_path / "cli.zip"
    call_command(
        "export_goldset",
        project.slug,
        "--version",
        "1",
        "--split",
        SPLIT["split"],
        "--seed",
        SPLIT["seed"],
        "--out",
        str(out),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert hashlib.sha256(out.read_bytes()).hexdigest() == export.sha256

    # The same version, split and seed again: the same bytes, so the stored file is reused.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(exports, SPLIT, headers=HX)
    again = Export.objects.exclude(pk=export.pk).get()
    assert (again.status, again.sha256, again.file) == ("done", export.sha256, export.file)


def _write_proxies(gold_set, media_root) -> dict[str, bytes]:
    """A stand-in proxy video in storage for every clip of the version, by clip name."""
    videos = {}
    for item in gold_set.items.select_related("clip"):
        videos[item.name] = f"proxy video of {item.name}".encode() * 50
        path = media_root / item.clip.proxy
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(videos[item.name])
    return videos


def test_the_page_exports_with_media_as_the_command_does(
    client, project, v1, manager, media_root, tmp_path, django_capture_on_commit_callbacks
):
    videos = _write_proxies(v1, media_root)
    client.force_login(manager)
    exports = reverse("goldset-exports", args=[project.slug, 1])
    assert 'type="checkbox" name="with_media"' in client.get(exports).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(exports, {**SPLIT, "with_media": "on"}, headers=HX)
        plain = client.post(exports, SPLIT, headers=HX)
    assert response.status_code == plain.status_code == 201
    full, bare = Export.objects.order_by("pk")
    assert (full.status, full.with_media, bare.status, bare.with_media) == (
        "done",
        True,
        "done",
        False,
    )
    event = AuditEvent.objects.get(object_type="export", object_id=full.pk)
    assert event.after["with_media"] is True
    body = client.get(exports).content.decode()
    assert body.count('<td class="media">with media</td>') == 1

    def download(export) -> zipfile.ZipFile:
        answer = client.get(reverse("goldset-export-download", args=[project.slug, 1, export.pk]))
        return zipfile.ZipFile(io.BytesIO(b"".join(answer.streaming_content)))

    with download(full) as archive:
        for name, video in videos.items():
            assert archive.read(f"media/{name}.mp4") == video
            assert archive.getinfo(f"media/{name}.mp4").compress_type == zipfile.ZIP_STORED
    with download(bare) as archive:
        assert not [n for n in archive.namelist() if n.startswith("media/")]
        sheet = archive.read("datasheet.md").decode()
        assert 'tick "with media" on the export page' in sheet
    # The command with --with-media makes the very same zip.
    out = tmp_path / "cli.zip"
    call_command(
        *("export_goldset", project.slug, "--version", "1", "--split", SPLIT["split"]),
        *("--seed", SPLIT["seed"], "--out", str(out), "--with-media"),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert hashlib.sha256(out.read_bytes()).hexdigest() == full.sha256 != bare.sha256

    refused = client.post(exports, {**SPLIT, "with_media": "maybe"}, headers=HX)
    assert refused.status_code == 400 and "valid boolean" in refused.content.decode()
    assert Export.objects.count() == 2


def test_export_refusals_store_nothing(
    client, project, v1, manager, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    exports = reverse("goldset-exports", args=[project.slug, 1])
    cases = [
        (
            {"split": "a=0.2,b=0.2,c=0.2,d=0.2,e=0.2", "seed": "0"},
            "5 splits (a, b, c, d, e) need at least 5 groups",
            422,
        ),
        ({"split": "train=0.7,test=0.2", "seed": "0"}, "ratios must sum to 1", 422),
        ({"split": "train", "seed": "0"}, "is not name=share", 422),
        # the API's serializer checks the seed, as it does for the API: a 400 naming it
        ({"split": "train=0.5,test=0.5", "seed": "x"}, "seed: A valid integer is required", 400),
    ]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for form, message, status in cases:
            response = client.post(exports, form, headers=HX)
            assert response.status_code == status, form
            assert message in response.content.decode(), form
            assert f'value="{form["split"]}"' in response.content.decode()  # kept for fixing
    assert not callbacks and not Export.objects.exists()
    assert client.get(reverse("goldset-detail", args=[project.slug, 7])).status_code == 404
    assert client.post(reverse("goldset-exports", args=[project.slug, 7]), SPLIT).status_code == 404


def test_a_pending_export_is_not_downloadable_and_the_list_polls(client, project, v1, manager):
    export = Export.objects.create(gold_set=v1, split_spec={"ratios": {"train": 1.0}}, seed=0)
    client.force_login(manager)
    response = client.get(reverse("goldset-export-download", args=[project.slug, 1, export.pk]))
    assert response.status_code == 409
    assert "download it once its status is done" in response.content.decode()
    body = client.get(reverse("goldset-exports", args=[project.slug, 1])).content.decode()
    assert 'data-polling="true"' in body and 'hx-trigger="every 2s"' in body
    missing = reverse("goldset-export-download", args=[project.slug, 1, export.pk + 100])
    assert client.get(missing).status_code == 404


def test_a_failed_build_is_recorded_and_leaves_no_file(
    project, v1, manager, media_root, django_capture_on_commit_callbacks
):

    export = Export.objects.create(gold_set=v1, split_spec={"ratios": {"a": 0.5, "b": 0.5}}, seed=0)
    # The gold set's items are unchanged, but the build meets an item the formats refuse.
    v1.items.filter(name="sample_00000000").update(cues={"smell": [{"text": "x"}]})
    result = export_builder.export_build(export_id=export.pk)
    assert result.status == Export.Status.FAILED and "smell" in result.error
    assert result.file == "" and not list(media_root.rglob("*.zip"))
    assert export_builder.export_build(export_id=export.pk).status == "failed"  # left alone


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_do_not_grow(
    client, project, manager, media_root, django_capture_on_commit_callbacks
):
    add_gold(project, 0, 2)
    v1 = goldset_freeze(project=project, by=manager)
    with django_capture_on_commit_callbacks(execute=True):
        export_create(gold_set=v1, ratios={"train": 0.5, "test": 0.5}, seed=0, by=manager)
    client.force_login(manager)
    pages = [
        reverse("goldset-list", args=[project.slug]),
        reverse("goldset-detail", args=[project.slug, 1]),
        reverse("goldset-exports", args=[project.slug, 1]),
    ]
    before = [_queries(client, url) for url in pages]
    # Many more versions, items (in v1's place: rebuild v1 bigger), exports and gold records.
    add_gold(project, 2, 30)
    GoldSet.objects.filter(pk=v1.pk).delete()
    v1 = goldset_freeze(project=project, by=manager)
    assert v1.version == 1 and v1.counts["clips"] == 32
    GoldRecord.objects.filter(clip__name="sample_00000005").update(primary_label="sad")
    goldset_freeze(project=project, by=manager)
    with django_capture_on_commit_callbacks(execute=True):
        for seed in range(3):
            export_create(gold_set=v1, ratios={"train": 0.5, "test": 0.5}, seed=seed, by=manager)
    after = [_queries(client, url) for url in pages]
    # list: session, user, project, role, versions, gold records, their cues, the last version,
    # its items, records in review; version: + the version, items page, exports; exports: rows.
    assert after == before == [10, 7, 6]
