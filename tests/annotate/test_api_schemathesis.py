"""Fuzz every API operation against the served OpenAPI schema (/api/schema/) with schemathesis:
no 5xx, and every answer (status code, content type, body) is one the schema documents.

The WSGI app answers in-process against the pytest-django test database, as a manager with a
token. Most cases are pointed at real objects (the project, ready clips, runs with proposals
and cues, the manager's own draft with its cues, three submitted annotations under review
with a gold record, a comment and a gold cue, a frozen gold set with an export, a leaderboard
row, assignment slots, a score job) so that the checks see real bodies and not only 404s."""

import json
import re
import zlib
from io import BytesIO

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.core.transport import Response
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.transport.serialization import Binary
from werkzeug.datastructures import FileStorage
from werkzeug.test import Client

from annotate.annotation import assignments as assignment_services
from annotate.annotation import opening
from annotate.annotation.models import Assignment
from annotate.clips.models import Clip
from annotate.goldsets.exports import export_create
from annotate.goldsets.services import goldset_freeze
from annotate.learning.models import LearnedProposer
from annotate.review import selectors as review_selectors
from annotate.review import services as review_services
from annotate.runs import imports as run_imports
from annotate.runs import services as run_services
from annotate.scoring.models import RunScore, ScoreJob
from studio.wsgi import application
from tests.annotate.goldsets.test_goldsets import gold_clip
from tests.annotate.review.test_reviews import annotate, concept_scorer  # noqa: F401
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
# Schema-valid requests only: a path value the schema itself rules out never reaches the API's
# views (Django's URL resolver answers it), and the token header below is the credential.
schema.config.generation.update(modes=[GenerationMode.POSITIVE], with_security_parameters=False)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def wsgi_keeps_the_test_transaction():
    """The raw WSGI app closes the database connection after each request, which would end the
    test's transaction; Django's test client unhooks the same receivers."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(media_root, wsgi_keeps_the_test_transaction):
    """A manager's project with two ready clips, an imported (finished) run with cues, and a
    finished score job; returns the token and the path values that hit them."""
    membership = MembershipFactory(role="manager", project__slug="lab")
    project, manager = membership.project, membership.user
    manager.is_staff = True  # a lab administrator too: POST /api/projects/ creates projects
    manager.save(update_fields=["is_staff"])
    # Named as in the schema's run start example, so that example starts a run.
    for index, name in enumerate(("sample_00000007", "sample_00000012")):
        Clip.objects.create(
            project=project,
            name=name,
            original_filename=f"{name}.mp4",
            source=f"clips/{name}.mp4",
            sha256=f"{index:064x}",
            size_bytes=1000,
            status=Clip.Status.READY,
            duration_ms=2000,
            fps_num=25,
            fps_den=1,
            frame_count=50,
            width=320,
            height=240,
            video_codec="h264",
            proxy=f"proxies/{name}.mp4",
            thumb_times_ms=[0, 1000],
        )
    imported = run_imports.run_import(
        project=project,
        by=manager,
        file_name="cues.json",
        data=b'{"sample_00000007": {"visual": ["A smile."], "auditory": ["A loud voice."], '
        b'"emotional": ["Happy."]}, "sample_00000012": {"visual": ["A frown."]}}',
    )
    assert imported.proposals.get(clip__name="sample_00000007").cues.count() == 3
    # A running run too (its tasks are never sent: on_commit does not fire in a test
    # transaction), and a cancelled one, so that cancel, retry and rerun answer more than 409.
    running = run_services.run_create(project=project, proposer="signals", created_by=manager)
    cancelled = run_services.run_cancel(
        run=run_services.run_create(project=project, proposer="signals", created_by=manager)
    )
    job = ScoreJob.objects.create(
        project=project,
        label="pilot",
        gold={"sample_00000007": {"visual": ["A smile."]}},
        predicted={"sample_00000007": {"visual": ["A smile."]}},
        status=ScoreJob.Status.DONE,
        result={"f1": 1.0},
        created_by=manager,
    )
    # Three annotators' submitted work on the first clip, under review, with a comment and a
    # reviewer's own gold cue; the manager's own draft on the same clip.
    clip = Clip.objects.get(project=project, name="sample_00000007")
    # Auto-promotion on, so that POST .../reviews/ answers its list and not only a 409.
    project.annotators_per_clip = 4
    project.auto_promote_consensus = True
    project.save(update_fields=["annotators_per_clip", "auto_promote_consensus"])
    annotators = [MembershipFactory(project=project, role="annotator").user for _ in range(3)]
    for user in annotators:
        annotate(clip, user, add=[("visual", "He smiles.", 0, 400)])
    # The other clip's submitted annotation (no gold record): auto-promotion has a clip to judge.
    annotate(
        Clip.objects.get(project=project, name="sample_00000012"),
        annotators[0],
        add=[("visual", "He frowns.", 0, 400)],
    )
    record = review_services.gold_record_open(clip=clip, reviewer=manager)
    record = review_services.gold_cue_add(
        record=record,
        modality="visual",
        text="He nods.",
        reviewer=manager,
        expected_version=record.version,
    )
    comment = review_services.review_comment_add(clip=clip, author=manager, text="At 0:01.")
    draft = opening.annotation_open(clip=clip, annotator=manager)
    keys = [group.key for group in review_selectors.clip_review_get(clip=clip).groups]
    # A frozen gold set with an export (pending: on_commit does not fire here) and a row.
    gold_clip(project, "sample_00000099", cues=[("visual", "A smile.", 0, 500)])
    gold_set = goldset_freeze(project=project, by=manager, note="fuzz")
    export = export_create(gold_set=gold_set, ratios={"train": 1.0}, seed=1, by=manager)
    row = (
        RunScore.objects.filter(gold_set=gold_set).first()  # the freeze queues the rows
        or RunScore.objects.create(project=project, gold_set=gold_set, run=imported)
    )
    assignment_services.assignment_slots_ensure(project=project)
    # A trained learned proposer (its run's tasks are never sent here either).
    LearnedProposer.objects.create(
        project=project,
        number=1,
        base_run=running,
        base_version=running.version,
        gold_set=gold_set,
        ratios={"train": 0.5, "test": 0.5},
        split={"train": [], "test": ["sample_00000007"]},
        status=LearnedProposer.Status.DONE,
        artefact="learned/fuzz.json",
        artefact_sha256="0" * 64,
    )
    token = Token.objects.create(user=manager)
    known = {
        "slug": [project.slug],
        "name": ["sample_00000007"],
        "run_id": [imported.pk, running.pk, cancelled.pk],
        "job_id": [job.pk],
        "cue_id": [
            *draft.cues.values_list("pk", flat=True),
            *record.cues.values_list("pk", flat=True),
        ],
        "key": keys,
        "comment_id": [comment.pk],
        "annotation_id": list(clip.annotations.order_by("pk").values_list("pk", flat=True)),
        "version": [gold_set.version],
        "export_id": [export.pk],
        "row_id": [row.pk],
        "assignment_id": list(
            Assignment.objects.filter(project=project).values_list("pk", flat=True)
        ),
        "username": [manager.username, annotators[0].username],
        "number": [1],
    }
    return {"headers": {"Authorization": f"Token {token.key}"}, "known": known}


def _aim_at_known_objects(case, known: dict) -> None:
    """Three cases in four use the real objects' path values; the rest keep what was generated
    (mostly 404s). The choice hashes the generated values, so a failure replays the same way."""
    if not case.path_parameters:
        return
    pick = zlib.crc32(repr(sorted(case.path_parameters.items())).encode())
    if pick % 4 == 0:
        return
    case.path_parameters = {key: known[key][pick % len(known[key])] for key in case.path_parameters}


def _form_part(name: str, value):
    if isinstance(value, Binary):  # a file field: the bytes, under a file name
        return FileStorage(BytesIO(value.data), filename=f"{name}.bin", name=name)
    if isinstance(value, str):
        return value
    return json.dumps(value)  # numbers, booleans, nulls and stray objects as their JSON text


def _send_multipart(case, headers: dict) -> Response:
    """Send a multipart case with each binary field as a file part. schemathesis 4.32 sends
    them as plain form fields (no filename) when the body schema is a bundled $ref, as it is
    for the score and run import bodies (their enums are components), so those would never get
    past "The submitted data was not a file"."""
    parts: dict[str, list] = {}
    for name, value in case.body.items():
        for item in value if isinstance(value, list) else [value]:
            parts.setdefault(name, []).append(_form_part(name, item))
    answer = Client(application).open(
        case.formatted_path,
        method=case.method,
        data=parts,
        query_string=case.query or {},
        headers={**(case.headers or {}), **headers},
    )
    return Response.from_any(answer)


def _send_malformed_multipart(case, headers: dict) -> Response:
    """A schema-violating multipart body that is not an object (`true`, a list): werkzeug
    cannot build form parts from it, so it goes as the raw bytes a client could send."""
    body = case.body if isinstance(case.body, bytes) else json.dumps(case.body).encode()
    answer = Client(application).open(
        case.formatted_path,
        method=case.method,
        data=body,
        content_type="multipart/form-data; boundary=emocue",
        query_string=case.query or {},
        headers={**(case.headers or {}), **headers},
    )
    return Response.from_any(answer)


def _call_and_check(case, world, checks=CHECKS) -> None:
    _aim_at_known_objects(case, world["known"])
    multipart = (case.media_type or "").startswith("multipart/")
    if multipart and isinstance(case.body, dict):
        response = _send_multipart(case, world["headers"])
    elif multipart and not isinstance(case.body, NotSet):
        response = _send_malformed_multipart(case, world["headers"])
    else:
        response = case.call(headers=world["headers"])
    case.validate_response(response, checks=checks, headers=world["headers"])
    if response.status_code >= 400 and "json" in response.headers.get("content-type", [""])[0]:
        assert response.json().get("detail"), response.content  # a refusal says what to do


UPLOADS = {
    "name": [
        "POST /api/projects/{slug}/clips/",
        "POST /api/projects/{slug}/runs/import/",
        "POST /api/projects/{slug}/scores/",
    ]
}
FUZZ = settings(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


@schema.exclude(**UPLOADS).parametrize()
@settings(FUZZ, max_examples=15)
def test_every_operation_answers_as_documented(case, world):
    _call_and_check(case, world)


# Uploads go through ffprobe or a parser per example: fewer examples keep the test bounded.
@schema.include(**UPLOADS).parametrize()
@settings(FUZZ, max_examples=10)
def test_uploads_answer_as_documented(case, world):
    _call_and_check(case, world)


# Schema-violating requests too (wrong types, missing fields, other methods): never a 5xx, and
# every JSON answer with a documented status has the documented shape. Their status codes and
# content types are not held to the schema: a path value no URL converter matches gets Django's
# HTML 404, and a method the route does not have gets DRF's 405.
negative = schemathesis.openapi.from_wsgi("/api/schema/", application)
negative.config.generation.update(modes=[GenerationMode.NEGATIVE], with_security_parameters=False)


@negative.parametrize()
@settings(FUZZ, max_examples=6)
def test_invalid_requests_never_get_a_server_error(case, world):
    _call_and_check(case, world, checks=[not_a_server_error, response_schema_conformance])


def _api_routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            if route.startswith("api/") and pattern.name not in ("api-schema", "api-docs"):
                yield "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def test_the_fuzz_tests_cover_every_api_route():
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert set(UPLOADS["name"]) <= labels  # a renamed upload would drop out of the fuzzing
    paths = {label.split(" ", 1)[1] for label in labels}
    routes = set(_api_routes(get_resolver().url_patterns))
    assert routes and routes <= paths, f"API routes missing from the schema: {routes - paths}"
    assert len(labels) >= len(routes)
