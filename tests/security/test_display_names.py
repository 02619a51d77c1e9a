"""Issue #16, finding 8: display names (project names and emotion labels, clip names and group
keys, run labels, score job labels) refuse control characters and bidirectional formatting
characters with a 400 that names the character, in the API and on the pages, and nothing is
stored. A label the app derives from a file name drops them instead."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotate.clips.models import Clip
from annotate.clips.services import ClipRejected, clip_create
from annotate.core.display_names import BIDI_CONTROLS, display_name_problem
from annotate.core.models import Project
from annotate.runs.imports import run_import
from annotate.runs.models import ModelRun
from annotate.scoring.models import ScoreJob
from tests import mediafiles
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
BAD = {
    "\u202e": "U+202E (RIGHT-TO-LEFT OVERRIDE)",
    "\u2066": "U+2066 (LEFT-TO-RIGHT ISOLATE)",
    "\u200f": "U+200F (RIGHT-TO-LEFT MARK)",
    "\x1b": "U+001B",
    "\n": "U+000A",
    "\x85": "U+0085",
}


@pytest.fixture
def project(db):
    return ProjectFactory(name="Pilot")


@pytest.fixture
def manager(project):
    return MembershipFactory(project=project, role="manager").user


def _refused(response, *words):
    assert response.status_code == 400, (response.status_code, response.content[:300])
    text = response.content.decode()
    for word in words:
        assert word in text, (word, text[:400])
    return text


def test_the_check_names_every_kind_of_character():
    for char, shown in BAD.items():
        problem = display_name_problem(f"ab{char}cd", what="A run label")
        assert problem and shown in problem and "at character 3" in problem
    for char in BIDI_CONTROLS:
        assert "bidirectional" in display_name_problem(char)
    # Right-to-left letters, accents, CJK and emoji joiners are names, not tricks.
    for fine in ("مشروع", "פרויקט", "Étude", "试点", "👩\u200d🔬 lab", "a-b_c (2)"):
        assert display_name_problem(fine) is None, fine


def test_project_names_and_labels_in_the_api(client, project, manager):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    url = reverse("api-project-list")
    for char, shown in BAD.items():
        body = {"name": f"Pilot{char}2"}
        _refused(client.post(url, body, content_type="application/json"), "name", shown)
    refused = client.post(
        url,
        {"name": "Clean", "emotion_vocabulary": ["happy", f"s{RLO}ad"]},
        content_type="application/json",
    )
    _refused(refused, "emotion_vocabulary", "U+202E")
    assert list(Project.objects.values_list("name", flat=True)) == ["Pilot"]

    client.force_login(manager)
    detail = reverse("api-project-detail", args=[project.slug])
    patch = client.patch(detail, {"name": "cod\u202egpj.exe"}, content_type="application/json")
    _refused(patch, "A project name cannot hold the bidirectional formatting character U+202E")
    project.refresh_from_db()
    assert project.name == "Pilot"


def test_clip_names_and_group_keys(client, project, manager, media_root, tmp_path):
    video = mediafiles.make_clip(tmp_path / "talk.mp4", seconds=1.0).read_bytes()
    client.force_login(manager)
    url = reverse("api-clip-list", args=[project.slug])
    for field in ("name", "group_key"):
        upload = SimpleUploadedFile("talk.mp4", video, content_type="video/mp4")
        _refused(client.post(url, {"file": upload, field: f"talk{RLO}"}), field, "U+202E")
    # Over HTTP Django drops unprintable characters from an upload's file name; a folder
    # import (import_clips) names clips after files as they are on disk.
    source = tmp_path / f"evil{RLO}4pm.mp4"
    source.write_bytes(video)
    with pytest.raises(ClipRejected) as refused:
        clip_create(project=project, source=source, filename=source.name, enqueue=False)
    assert refused.value.http_status == 400 and "U+202E" in refused.value.message
    assert refused.value.api_body()["code"] == "invalid"
    assert Clip.objects.count() == 0
    assert not [p for p in media_root.rglob("*") if p.is_file()]


def test_run_labels_in_the_api_and_on_the_pages(client, project, manager):
    Clip.objects.create(
        project=project, name="a", sha256="a" * 64, source="x", status="ready", duration_ms=2000
    )
    client.force_login(manager)
    started = client.post(
        reverse("api-run-list", args=[project.slug]),
        {"label": f"run{RLO}1"},
        content_type="application/json",
    )
    _refused(started, "label", "U+202E")
    page = client.post(reverse("run-start", args=[project.slug]), {"label": "run\x1b[31m"})
    _refused(page, "label", "U+001B")
    cues = json.dumps({"a": {"visual": ["He smiles."]}}).encode()
    for url in (
        reverse("api-run-import", args=[project.slug]),
        reverse("run-import", args=[project.slug]),
    ):
        upload = SimpleUploadedFile("cues.json", cues, content_type="application/json")
        _refused(client.post(url, {"file": upload, "label": f"x{RLO}y"}), "U+202E")
    assert ModelRun.objects.count() == 0
    # Without a label, the file's name is the label, less the characters a name refuses.
    run = run_import(project=project, by=manager, file_name=f"run{RLO}3.json", data=cues)
    assert run.label == "run3"


def test_score_job_labels_in_the_api_and_on_the_page(client, project, manager):
    client.force_login(manager)

    def files():
        cues = json.dumps({"a": {"visual": ["He smiles."]}}).encode()
        return {
            "gold": SimpleUploadedFile("gold.json", cues),
            "predicted": SimpleUploadedFile("run.json", cues),
        }

    api = client.post(
        reverse("api-score-list", args=[project.slug]), {**files(), "label": f"A{RLO}"}
    )
    _refused(api, "label", "U+202E")
    page = client.post(
        reverse("score-create", args=[project.slug]), {**files(), "label": "A\u2066B"}
    )
    _refused(page, "label", "U+2066")
    assert ScoreJob.objects.count() == 0
