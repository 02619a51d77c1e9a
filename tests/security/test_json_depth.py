"""Issue #16, finding 3: JSON nested 5,000 deep (a request body, a run import, a score job's cue
files) was a 500 (RecursionError). Now every JSON a user sends is refused past
EMOCUE_MAX_JSON_DEPTH levels with a 400 that names the limit, before anything recurses on it,
and nothing is stored."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.parsers import JSONParser
from rest_framework.views import APIView

from annotate.annotation import opening
from annotate.annotation.models import Annotation
from annotate.clips.models import Clip
from annotate.core.parsers import DepthLimitedJSONParser, JsonTooDeep, json_depth_check
from annotate.runs.models import ModelRun
from annotate.scoring.models import ScoreJob
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

DEEP = 5000


def nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


def assert_names_the_limit(text: str, limit: int = 64) -> None:
    assert f"more than {limit} levels deep" in text, text
    assert "EMOCUE_MAX_JSON_DEPTH" in text, text


@pytest.fixture
def manager_project(db):
    membership = MembershipFactory(role="manager", project__slug="deep")
    for name in ("sample_00000007",):
        Clip.objects.create(
            project=membership.project,
            name=name,
            original_filename=f"{name}.mp4",
            source=f"clips/{name}.mp4",
            sha256="0" * 64,
            status=Clip.Status.READY,
            duration_ms=2000,
            proxy=f"proxies/{name}.mp4",
        )
    return membership.project, membership.user


def test_a_label_list_nested_5000_deep_is_a_400_naming_the_limit(client, manager_project):
    project, manager = manager_project
    clip = project.clips.get()
    annotation = opening.annotation_open(clip=clip, annotator=manager)
    client.force_login(manager)
    response = client.patch(
        reverse("api-annotation-detail", args=[project.slug, clip.name]),
        data='{"version": ' + str(annotation.version) + ', "labels": ' + nested(DEEP, '"x"') + "}",
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert_names_the_limit(response.json()["detail"])
    after = Annotation.objects.get(pk=annotation.pk)
    assert (after.version, after.labels) == (annotation.version, annotation.labels)


def test_a_run_import_nested_5000_deep_is_a_400_naming_the_limit(client, manager_project):
    project, manager = manager_project
    client.force_login(manager)
    body = '{"sample_00000007": {"visual": ' + nested(DEEP, '"A smile."') + "}}"
    response = client.post(
        reverse("api-run-import", args=[project.slug]),
        {"file": SimpleUploadedFile("deep.json", body.encode(), "application/json")},
    )
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert response.json()["detail"].startswith("file: deep.json was not imported")
    assert_names_the_limit(response.json()["detail"])
    assert_names_the_limit(" ".join(response.json()["problems"]))
    assert not ModelRun.objects.filter(project=project).exists()


def test_the_run_import_page_refuses_it_too(client, manager_project):
    project, manager = manager_project
    client.force_login(manager)
    body = '{"sample_00000007": ' + nested(DEEP, "{}") + "}"
    response = client.post(
        reverse("run-import", args=[project.slug]),
        {"file": SimpleUploadedFile("deep.json", body.encode(), "application/json")},
    )
    assert response.status_code == 400
    assert_names_the_limit(response.content.decode())
    assert not ModelRun.objects.filter(project=project).exists()


def test_a_csv_label_list_nested_deep_is_a_problem_not_a_500(client, manager_project):
    """The EMER CSV's openset column is a Python list; literal_eval recursed on `[-(-(...1`."""
    project, manager = manager_project
    client.force_login(manager)
    for cell in (nested(DEEP, "'happy'"), "[" + "-" * 100_000 + "1]", "[" + "1+" * 50_000 + "1]"):
        body = f'name,english,openset\nsample_00000007,He smiles.,"{cell}"\n'
        response = client.post(
            reverse("api-run-import", args=[project.slug]),
            {"file": SimpleUploadedFile("deep.csv", body.encode(), "text/csv")},
        )
        assert response.status_code == 422, response.content
        assert "is not a list of strings" in " ".join(response.json()["problems"])
    assert not ModelRun.objects.filter(project=project).exists()


def test_a_flat_csv_label_list_is_still_read(manager_project):
    from annotate.runs.imports import run_import

    project, manager = manager_project
    body = 'name,english,openset\nsample_00000007,He smiles.,"[\'happy\', ""it\'s""]"\n'
    run = run_import(project=project, by=manager, file_name="ok.csv", data=body.encode())
    assert [label["label"] for label in run.proposals.get().emotions] == ["happy", "it's"]


@pytest.mark.parametrize("role", ["gold", "predicted"])
def test_a_score_file_nested_5000_deep_is_a_400_naming_the_limit(client, manager_project, role):
    project, manager = manager_project
    client.force_login(manager)
    good = b'{"sample_00000007": {"visual": ["A smile."]}}'
    deep = ('{"sample_00000007": {"visual": ' + nested(DEEP, '"A smile."') + "}}").encode()
    files = {"gold": good, "predicted": good, role: deep}
    response = client.post(
        reverse("api-score-list", args=[project.slug]),
        {name: SimpleUploadedFile(f"{name}.json", data) for name, data in files.items()},
    )
    assert response.status_code == 400, response.content
    assert response.json()["detail"].startswith(f"{role}: {role}.json is too deeply nested")
    assert_names_the_limit(response.json()["detail"])
    assert not ScoreJob.objects.filter(project=project).exists()


def test_a_number_of_5000_digits_in_a_file_is_refused_not_a_500(client, manager_project):
    """json.loads lets a too-long integer out as a bare ValueError, which the JSONDecodeError
    handlers of run imports and score jobs missed."""
    project, manager = manager_project
    client.force_login(manager)
    long = "1" * 5000
    cue = '{"text": "x", "start_ms": ' + long + ', "end_ms": 2}'
    response = client.post(
        reverse("api-run-import", args=[project.slug]),
        {
            "file": SimpleUploadedFile(
                "long.json", f'{{"sample_00000007": {{"visual": [{cue}]}}}}'.encode()
            )
        },
    )
    assert response.status_code == 422, response.content
    assert "Not valid JSON: a number of 5000 digits (Python reads at most 4300) at line 1" in (
        " ".join(response.json()["problems"])
    )
    good = b'{"sample_00000007": {"visual": ["A smile."]}}'
    response = client.post(
        reverse("api-score-list", args=[project.slug]),
        {
            "gold": SimpleUploadedFile("gold.json", good),
            "predicted": SimpleUploadedFile("predicted.json", ("[" + long + "]").encode()),
        },
    )
    assert response.status_code == 422, response.content
    assert "predicted.json is not JSON: a number of 5000 digits" in response.json()["detail"]
    assert not ModelRun.objects.filter(project=project).exists()
    assert not ScoreJob.objects.filter(project=project).exists()


CUE_FILE = b'{"sample_00000007": {"visual": [{"text": "x"}]}}'


def test_the_limit_is_a_setting(client, manager_project, settings):
    """A cue file is 4 levels deep: under a limit of 3 it is refused, naming 3."""
    settings.EMOCUE_MAX_JSON_DEPTH = 3
    project, manager = manager_project
    client.force_login(manager)
    response = client.post(
        reverse("api-run-import", args=[project.slug]),
        {"file": SimpleUploadedFile("ok.json", CUE_FILE)},
    )
    assert response.status_code == 400
    assert_names_the_limit(response.json()["detail"], limit=3)
    settings.EMOCUE_MAX_JSON_DEPTH = 4
    response = client.post(
        reverse("api-run-import", args=[project.slug]),
        {"file": SimpleUploadedFile("ok.json", CUE_FILE)},
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("text", "deep"),
    [
        (nested(64), False),
        (nested(65), True),
        ('{"a": ' * 64 + "1" + "}" * 64, False),
        ('{"a": ' * 65 + "1" + "}" * 65, True),
        ('["' + "[" * 1000 + '"]', False),  # brackets inside a string are text
        ('["\\"' + "[" * 1000 + '"]', False),  # an escaped quote does not end the string
        ('["\\\\", ' + nested(64) + "]", True),  # an escaped backslash does
        ('"' + "[" * 1000, False),  # an unterminated string: json refuses it, not the scan
        (nested(DEEP * 100), True),
    ],
)
def test_the_depth_is_counted_without_recursion(text, deep):
    if deep:
        with pytest.raises(JsonTooDeep):
            json_depth_check(text, limit=64)
    else:
        json_depth_check(text, limit=64)


def _api_views(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "view_class", None)
            if view is not None and issubclass(view, APIView):
                yield view


def test_every_api_view_reads_json_through_the_depth_limited_parser():
    views = set(_api_views(get_resolver().url_patterns))
    assert len(views) > 20
    for view in views:
        for parser in view.parser_classes:
            if issubclass(parser, JSONParser):
                assert issubclass(parser, DepthLimitedJSONParser), view
