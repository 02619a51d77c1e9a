"""A clip's subtitle in the API and on the pages: where it came from and the state of reading it
from the picture, a manager's correction (page form and PUT), replacement file and new reading,
who may do what, bad input answered with a clear 400 and nothing stored, the player's WebVTT
track, the timeline's lane, the clip list and the clip's history."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from annotate.annotation.opening import annotation_open
from annotate.clips.models import Clip
from annotate.core.models import AuditEvent
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

OCR_SEGMENTS = [
    {"start_ms": 200, "end_ms": 900, "text": "你好，世界", "confidence": 0.97},
    {"start_ms": 1000, "end_ms": 1800, "text": "I am <fine> & you?", "confidence": 0.62},
]


def _clip(project, name="sample_00000001", **fields) -> Clip:
    values = {
        "status": Clip.Status.READY,
        "duration_ms": 4000,
        "fps_num": 25,
        "fps_den": 1,
        "subtitle_source": "ocr",
        "subtitle_segments": OCR_SEGMENTS,
        "subtitle_text": "你好，世界 I am <fine> & you?",
        "subtitle_version": 1,
        "subtitle_ocr_status": "done",
        "subtitle_ocr_at": timezone.now(),
        "subtitle_ocr_progress": 1.0,
        "subtitle_ocr_settings": {"engine": "rapidocr-onnxruntime 1.4.4", "fps": 4.0},
        **fields,
    }
    return Clip.objects.create(
        project=project, name=name, sha256=name.ljust(64, "0"), source=f"clips/{name}", **values
    )


@pytest.fixture
def clip(project):
    return _clip(project)


@pytest.fixture
def reviewer(project):
    return MembershipFactory(project=project, role="reviewer").user


def _api(name_or_clip, project, tail=""):
    name = getattr(name_or_clip, "name", name_or_clip)
    return reverse("api-clip-subtitle", args=[project.slug, name]) + tail


# --- the API ----------------------------------------------------------------------------------


def test_every_member_reads_the_subtitle_with_its_source_and_reading(client, annotator, clip):
    client.force_login(annotator)
    body = client.get(_api(clip, clip.project)).json()
    assert body["source"] == "ocr" and body["version"] == 1 and body["corrected_at"] is None
    assert body["segments"][0] == {
        "start_ms": 200,
        "end_ms": 900,
        "text": "你好，世界",
        "confidence": 0.97,
    }
    assert body["reading"]["status"] == "done" and body["reading"]["progress"] == 1.0
    assert body["reading"]["settings"] == {"engine": "rapidocr-onnxruntime 1.4.4", "fps": 4.0}
    detail = client.get(reverse("api-clip-detail", args=[clip.project.slug, clip.name])).json()
    assert (detail["subtitle_source"], detail["subtitle_ocr_status"]) == ("ocr", "done")
    assert detail["subtitle_version"] == 1 and detail["subtitle_chinese"] == ""


def test_a_manager_corrects_the_subtitle_through_the_api(client, manager, clip):
    client.force_login(manager)
    response = client.put(
        _api(clip, clip.project),
        {
            "version": 1,
            "segments": [
                {"start_ms": 1000, "end_ms": 1800, "text": "I am fine, and you?"},
                {"start_ms": 200, "end_ms": 900, "text": "你好，世界"},
            ],
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert [s["confidence"] for s in body["segments"]] == [0.97, None]
    assert body["version"] == 2 and body["corrected_at"] and body["source"] == "ocr"
    event = AuditEvent.objects.get(object_type="subtitle")
    assert (event.action, event.actor_id, event.clip_id) == ("correct", manager.pk, clip.pk)


@pytest.mark.parametrize("role", ["annotator", "reviewer"])
def test_only_managers_change_a_subtitle(client, project, clip, role):
    member = MembershipFactory(project=project, role=role).user
    client.force_login(member)
    attempts = [
        client.put(
            _api(clip, project),
            {"version": 1, "text": "Mine."},
            content_type="application/json",
        ),
        client.post(
            _api(clip, project, "file/"),
            {"file": SimpleUploadedFile("a.srt", b"Hello.")},
        ),
        client.post(_api(clip, project, "read/")),
    ]
    for response in attempts:
        assert response.status_code == 403, response.content
        assert response.json()["code"] == "forbidden"
        assert "Only a project manager" in response.json()["detail"]
    # and on the page
    page = client.post(
        reverse("clip-subtitle-correct", args=[project.slug, clip.name]),
        {"version": "1", "mode": "text", "whole_text": "Mine."},
        HTTP_HX_REQUEST="true",
    )
    assert page.status_code == 403 and "Only a project manager" in page.content.decode()
    clip.refresh_from_db()
    assert clip.subtitle_version == 1 and clip.subtitle_ocr_status == "done"
    assert not AuditEvent.objects.filter(object_type="subtitle").exists()


def test_non_members_do_not_find_the_subtitle(client, outsider, clip):
    client.force_login(outsider)
    assert client.get(_api(clip, clip.project)).status_code == 404
    assert (
        client.put(
            _api(clip, clip.project), {"version": 1, "text": "x"}, content_type="application/json"
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    "body, says",
    [
        (
            {"version": 1, "segments": [{"start_ms": 900, "end_ms": 200, "text": "x"}]},
            "segments: segment 1: end_ms 200 must be after start_ms 900",
        ),
        (
            {
                "version": 1,
                "segments": [
                    {"start_ms": 0, "end_ms": 10, "text": "ok"},
                    {"start_ms": 0, "end_ms": 10, "text": "   "},
                ],
            },
            "segment 2: text: This field may not be blank",
        ),
        (
            {
                "version": 1,
                "segments": [{"start_ms": 0, "end_ms": 10, "text": "a", "confidence": 1.0}],
            },
            "unknown field(s) confidence",
        ),
        (
            {"version": 1, "segments": [{"start_ms": -5, "end_ms": "soon", "text": "a"}]},
            "segment 1: start_ms: Ensure this value is greater than or equal to 0",
        ),
        (
            {"version": 1, "segments": [{"start_ms": 0, "end_ms": 9000, "text": "a"}]},
            "after the clip's end (4000 ms)",
        ),
        ({"version": 1, "segments": [], "text": "both"}, "either segments"),
        ({"version": 1}, "either segments"),
        ({"segments": []}, "version: This field is required"),
        ({"version": 1, "segments": "none"}, "segments: Expected a list"),
        (["version", 1], "Invalid data"),
    ],
)
def test_a_malformed_correction_is_a_clear_400_and_nothing_is_stored(
    client, manager, clip, body, says
):
    client.force_login(manager)
    response = client.put(_api(clip, clip.project), body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid" and says in response.json()["detail"]
    clip.refresh_from_db()
    assert clip.subtitle_version == 1 and clip.subtitle_segments == OCR_SEGMENTS
    assert not AuditEvent.objects.filter(object_type="subtitle").exists()


def test_a_body_that_is_not_json_is_a_400_naming_an_example(client, manager, clip):
    client.force_login(manager)
    response = client.put(_api(clip, clip.project), "{version", content_type="application/json")
    assert response.status_code == 400 and '"segments"' in response.json()["detail"]


def test_a_stale_correction_is_a_409(client, manager, clip):
    client.force_login(manager)
    response = client.put(
        _api(clip, clip.project), {"version": 0, "text": "x"}, content_type="application/json"
    )
    assert response.status_code == 409 and response.json()["code"] == "stale"


def test_a_manager_replaces_the_subtitle_with_a_file_through_the_api(client, manager, clip):
    client.force_login(manager)
    srt = "1\n00:00:00,500 --> 00:00:01,500\n谢谢\n".encode()
    response = client.post(
        _api(clip, clip.project, "file/"), {"file": SimpleUploadedFile("talk.srt", srt)}
    )
    assert response.status_code == 200, response.content
    assert response.json()["source"] == "file" and response.json()["format"] == "srt"
    assert response.json()["segments"] == [
        {"start_ms": 500, "end_ms": 1500, "text": "谢谢", "confidence": None}
    ]
    broken = client.post(
        _api(clip, clip.project, "file/"),
        {"file": SimpleUploadedFile("bad.vtt", b"00:01.000 --> 00:02.000\nNo header\n")},
    )
    assert broken.status_code == 422 and "must start with 'WEBVTT'" in broken.json()["detail"]
    missing = client.post(_api(clip, clip.project, "file/"), {})
    assert missing.status_code == 400 and "file" in missing.json()["detail"]
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["replace"]


def test_a_manager_has_it_read_again_through_the_api(
    client, manager, clip, django_capture_on_commit_callbacks, monkeypatch
):
    from annotate.clips import tasks

    sent = []
    monkeypatch.setattr(tasks.clip_subtitle_read, "delay", lambda clip_id: sent.append(clip_id))
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_api(clip, clip.project, "read/"))
    assert response.status_code == 202 and response.json()["reading"]["status"] == "pending"
    assert sent == [clip.pk]
    again = client.post(_api(clip, clip.project, "read/"))
    assert again.status_code == 409 and "already being read" in again.json()["detail"]


# --- the pages ----------------------------------------------------------------------------------


def test_the_clip_page_shows_the_reading_and_its_confidence(client, annotator, clip):
    client.force_login(annotator)
    page = client.get(reverse("clip-detail", args=[clip.project.slug, clip.name])).content.decode()
    assert "Read from the picture (OCR)" in page
    assert "2 segments" in page and "mean confidence 0.79" in page and "1 below 0.8" in page
    assert 'class="subtitle-segment low-confidence"' in page
    assert "I am &lt;fine&gt; &amp; you?" in page
    assert 'label="Subtitles (read from the picture)"' in page
    assert "subtitle-correct" not in page  # the tools are for managers


@pytest.mark.parametrize(
    "fields, says",
    [
        (
            {
                "subtitle_ocr_status": "pending",
                "subtitle_source": "",
                "subtitle_segments": [],
                "subtitle_text": "",
            },
            "Queued to be read from the picture",
        ),
        (
            {
                "subtitle_ocr_status": "running",
                "subtitle_ocr_progress": 0.4,
                "subtitle_source": "",
                "subtitle_segments": [],
                "subtitle_text": "",
            },
            "Reading the subtitle from the picture…",
        ),
        (
            {
                "subtitle_ocr_status": "failed",
                "subtitle_ocr_error": "No video stream in x.mp4.",
                "subtitle_source": "",
                "subtitle_segments": [],
                "subtitle_text": "",
            },
            "Reading the subtitle from the picture failed: No video stream in x.mp4.",
        ),
    ],
)
def test_the_clip_page_shows_each_state_of_the_reading(client, manager, project, fields, says):
    clip = _clip(project, **fields)
    client.force_login(manager)
    page = client.get(reverse("clip-detail", args=[project.slug, clip.name])).content.decode()
    assert says in page
    polls = 'hx-trigger="every 2s"' in page
    assert polls == (fields["subtitle_ocr_status"] != "failed")
    if fields["subtitle_ocr_status"] == "running":
        assert '<progress max="1" value="0.4"' in page and "40 %" in page


def test_the_polled_part_comes_back_whole_when_the_reading_ends(client, manager, project):
    clip = _clip(project, subtitle_ocr_status="running", subtitle_source="", subtitle_segments=[])
    client.force_login(manager)
    url = reverse("clip-subtitle", args=[project.slug, clip.name]) + "?part=view"
    still = client.get(url, HTTP_HX_REQUEST="true")
    assert 'id="subtitle-view"' in still.content.decode() and "HX-Retarget" not in still
    assert 'id="subtitle-edit"' not in still.content.decode()
    Clip.objects.filter(pk=clip.pk).update(
        subtitle_ocr_status="done", subtitle_source="ocr", subtitle_segments=OCR_SEGMENTS
    )
    done = client.get(url, HTTP_HX_REQUEST="true")
    assert done["HX-Retarget"] == "#subtitle" and done["HX-Reswap"] == "outerHTML"
    assert 'id="subtitle-edit"' in done.content.decode() and "你好，世界" in done.content.decode()


def test_a_manager_corrects_the_subtitle_in_the_page_in_seconds(client, manager, clip):
    client.force_login(manager)
    url = reverse("clip-subtitle-correct", args=[clip.project.slug, clip.name])
    response = client.post(
        url,
        {
            "version": "1",
            "mode": "segments",
            "start": ["0.2", "1,0", ""],
            "end": ["0.9", "1.85", ""],
            "text": ["你好，世界", "I am fine.", ""],  # the blank row adds nothing
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200, response.content
    assert "The subtitle is corrected." in response.content.decode()
    clip.refresh_from_db()
    assert clip.subtitle_segments == [
        {"start_ms": 200, "end_ms": 900, "text": "你好，世界", "confidence": 0.97},
        {"start_ms": 1000, "end_ms": 1850, "text": "I am fine."},
    ]


@pytest.mark.parametrize(
    "start, end, says",
    [
        ("0.2", "", "Segment 1 needs a start and an end time"),
        ("soon", "1", "Segment 1: start “soon” is not a time in seconds"),
        ("-1", "1", "Segment 1: start “-1” is not a time in seconds from 0"),
        ("2", "1", "segment 1: end_ms 1000 must be after start_ms 2000"),
    ],
)
def test_a_bad_page_correction_keeps_the_form_and_says_what_is_wrong(
    client, manager, clip, start, end, says
):
    client.force_login(manager)
    response = client.post(
        reverse("clip-subtitle-correct", args=[clip.project.slug, clip.name]),
        {"version": "1", "mode": "segments", "start": [start], "end": [end], "text": ["Typed"]},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert response.status_code == 400 and says in page
    assert 'value="Typed"' in page and "<details" in page and " open>" in page
    clip.refresh_from_db()
    assert clip.subtitle_version == 1


def test_a_manager_replaces_and_rereads_in_the_page(
    client, manager, clip, monkeypatch, django_capture_on_commit_callbacks
):
    from annotate.clips import tasks

    monkeypatch.setattr(tasks.clip_subtitle_read, "delay", lambda clip_id: None)
    client.force_login(manager)
    args = [clip.project.slug, clip.name]
    replaced = client.post(
        reverse("clip-subtitle-replace", args=args),
        {"file": SimpleUploadedFile("talk.txt", b"Just text.")},
        HTTP_HX_REQUEST="true",
    )
    assert replaced.status_code == 200 and "replaced by talk.txt" in replaced.content.decode()
    assert "From the subtitle file (TEXT)" in replaced.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post(reverse("clip-subtitle-read", args=args), HTTP_HX_REQUEST="true")
    assert asked.status_code == 202 and "queued to be read" in asked.content.decode()
    refused = client.post(reverse("clip-subtitle-read", args=args), HTTP_HX_REQUEST="true")
    assert refused.status_code == 409 and "already being read" in refused.content.decode()
    # without htmx, a success goes back to the clip page
    plain = client.post(
        reverse("clip-subtitle-correct", args=args),
        {"version": "2", "mode": "text", "whole_text": "Typed."},
    )
    assert plain.status_code == 302 and plain["Location"].endswith("#subtitle")


def test_english_and_chinese_are_both_shown(client, annotator, project):
    clip = _clip(
        project,
        subtitle_source="manifest",
        subtitle_format="text",
        subtitle_segments=[],
        subtitle_text="Thanks, really.",
        subtitle_chinese="谢谢，真的。",
        subtitle_ocr_status="",
    )
    client.force_login(annotator)
    page = client.get(reverse("clip-detail", args=[project.slug, clip.name])).content.decode()
    assert "From the import manifest" in page
    assert '<dt>English</dt><dd class="subtitle-text">Thanks, really.</dd>' in page
    assert '<dd class="subtitle-chinese" lang="zh">谢谢，真的。</dd>' in page
    vtt = client.get(reverse("clip-subtitles", args=[project.slug, clip.name])).content.decode()
    assert "00:00:00.000 --> 00:00:04.000\nThanks, really." in vtt
    assert "chinese\n00:00:00.000 --> 00:00:04.000\n谢谢，真的。" in vtt
    annotation_open(clip=clip, annotator=annotator)
    lane = client.get(reverse("timeline", args=[project.slug, clip.name])).content.decode()
    assert 'id="subtitles-chinese"' in lane and "谢谢，真的。" in lane
    assert 'Subtitle <span class="muted small">(English)</span>' in lane


def test_the_player_track_marks_a_reading_and_its_confidence(client, annotator, clip):
    client.force_login(annotator)
    response = client.get(reverse("clip-subtitles", args=[clip.project.slug, clip.name]))
    vtt = response.content.decode()
    assert response["Content-Type"].startswith("text/vtt")
    assert vtt.startswith("WEBVTT\n\nNOTE Read from the picture (OCR of the burned-in subtitle).")
    assert "1 (OCR confidence 0.97)\n00:00:00.200 --> 00:00:00.900\n你好，世界\n" in vtt
    # escaped as WebVTT needs: a "<" would start a tag
    assert (
        "2 (OCR confidence 0.62)\n00:00:01.000 --> 00:00:01.800\nI am &lt;fine&gt; &amp; you?"
        in vtt
    )


def test_the_timeline_lane_marks_the_reading_and_polls_while_it_runs(client, annotator, project):
    clip = _clip(project)
    annotation_open(clip=clip, annotator=annotator)
    client.force_login(annotator)
    page = client.get(reverse("timeline", args=[project.slug, clip.name])).content.decode()
    assert 'id="subtitle-ocr-tag"' in page
    assert 'class="seg subtitle ocr low-confidence"' in page
    assert "(read from the picture, confidence 0.62)" in page
    assert "clip-subtitle-lane" not in page and "every 3s" not in page
    Clip.objects.filter(pk=clip.pk).update(subtitle_ocr_status="running")
    page = client.get(reverse("timeline", args=[project.slug, clip.name])).content.decode()
    lane_url = reverse("clip-subtitle-lane", args=[project.slug, clip.name])
    assert f'hx-get="{lane_url}" hx-trigger="every 3s"' in page
    assert "reading from the picture…" in page
    lane = client.get(lane_url).content.decode()
    assert lane.lstrip().startswith('<div id="subtitle-lanes"') and "你好，世界" in lane


def test_the_clip_list_says_where_each_subtitle_came_from(client, manager, project):
    _clip(project, "a")
    _clip(project, "b", subtitle_source="file", subtitle_format="srt", subtitle_ocr_status="")
    _clip(
        project,
        "c",
        subtitle_source="",
        subtitle_segments=[],
        subtitle_text="",
        subtitle_ocr_status="running",
    )
    client.force_login(manager)
    rows = client.get(reverse("clip-rows", args=[project.slug])).content.decode()
    assert 'data-source="ocr"><span' in rows and ">srt" in rows
    assert "reading…" in rows and 'hx-trigger="every 1s' in rows


def test_the_clip_history_shows_the_subtitle_changes(client, manager, clip):
    client.force_login(manager)
    client.put(
        _api(clip, clip.project),
        {"version": 1, "segments": [{"start_ms": 200, "end_ms": 900, "text": "你好，世界！"}]},
        content_type="application/json",
    )
    page = client.get(reverse("clip-history", args=[clip.project.slug, clip.name]))
    text = page.content.decode()
    assert page.status_code == 200
    assert 'data-object-type="subtitle"' in text and 'data-action="correct"' in text
    assert "<ins>" in text and "你好，世界！" in text
    history = client.get(reverse("api-clip-history", args=[clip.project.slug, clip.name])).json()
    (event,) = history["results"]
    assert (event["object_type"], event["action"], event["actor"]) == (
        "subtitle",
        "correct",
        manager.username,
    )
    assert event["after"]["segments"] == [
        {"start_ms": 200, "end_ms": 900, "text": "你好，世界！"}  # changed words: no confidence
    ]
    assert event["before"]["segments"] == OCR_SEGMENTS
