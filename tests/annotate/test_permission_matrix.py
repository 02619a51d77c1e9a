"""Permissions as a matrix: every page and API route x {anonymous, annotator of another project,
annotator, reviewer, manager} of a blind project, with the status each must get, and every
route with an object id tried with another project's object (always a 404, never a hint that
it exists).

The world is built once for the module (real clips through ffmpeg, a run, three submitted
annotations and one draft, a gold record, a frozen gold set with a built export, a leaderboard
row, a score job, comments, assignment slots) in two projects; each test runs in a transaction
that is rolled back, so the writes of one route do not reach the next. A route added to the
URL conf without a row here fails `test_every_route_has_a_row`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from annotate.annotation import opening
from annotate.annotation.models import Assignment
from annotate.clips.models import Clip
from annotate.core import scorer as core_scorer
from annotate.core.models import Membership, Project
from annotate.learning.models import LearnedProposer
from annotate.runs.models import Cue, ModelRun
from annotate.scoring.models import RunScore, ScoreJob

ROLES = ("anonymous", "outsider", "annotator", "reviewer", "manager")
A, R, M = "annotator", "reviewer", "manager"
MEMBERS = frozenset({A, R, M})
STAFF = frozenset({R, M})  # reviewers and managers
MANAGERS = frozenset({M})
OWNER = frozenset({A})  # the annotator's own annotation: nobody else's to read or write
DENIED = {403, 404}

# Routes outside the matrix, and why.
UNGUARDED = {
    "login": "the sign-in form",
    "logout": "signs out whoever asks",
    "api-schema": "describes the API; no data of any project",
    "api-docs": "the interactive docs page for that schema",
    "favicon": "a redirect to the site's icon, a static file",
    # Each user's own list: see test_project_lists_show_only_ones_own_projects.
    "project-list": "lists the projects the user is a member of",
    "api-project-list": "lists the projects the user is a member of; creating one (POST) is for "
    "staff accounts, which no project role makes: test_api_projects.py",
}


@dataclass(frozen=True)
class Row:
    route: str
    method: str
    allow: frozenset
    kwargs: dict = field(default_factory=dict)  # names of world attributes or literal values
    data: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)  # for DELETE: the version it read
    cross: tuple = ()  # kwargs to swap for another project's object in the cross-project check
    api: bool = False
    label: str = ""  # tells apart rows of one route and method

    @property
    def id(self) -> str:
        return f"{self.method} {self.route}" + (f" ({self.label})" if self.label else "")


def page(route, method, allow, **kwargs):
    return Row(route, method, frozenset(allow), **kwargs)


def api(route, method, allow, **kwargs):
    return Row(route, method, frozenset(allow), api=True, **kwargs)


P = {"slug": "@slug"}
CLIP = {"slug": "@slug", "name": "@review_clip"}
OWN = {"slug": "@slug", "name": "@own_clip"}
RUN = {"slug": "@slug", "run_id": "@run"}
GOLD = {"slug": "@slug", "version": 1}
LEARNED = {"slug": "@slug", "number": 1}  # numbered per project: no other project's id to try

ROWS = [
    # Project and clips
    page("project-detail", "GET", MEMBERS, kwargs=P),
    page("clip-rows", "GET", MEMBERS, kwargs=P),
    page("clip-upload", "POST", MANAGERS, kwargs=P),
    page("clip-detail", "GET", MEMBERS, kwargs=CLIP),
    page("clip-subtitles", "GET", MEMBERS, kwargs=CLIP),
    page("clip-subtitle", "GET", MEMBERS, kwargs=CLIP),
    page("clip-subtitle-lane", "GET", MEMBERS, kwargs=CLIP),
    page(
        "clip-subtitle-correct",
        "POST",
        MANAGERS,
        kwargs=CLIP,
        data={"version": "0", "mode": "text", "whole_text": "Hello."},
    ),
    page("clip-subtitle-replace", "POST", MANAGERS, kwargs=CLIP),
    page("clip-subtitle-read", "POST", MANAGERS, kwargs=CLIP),
    page("clip-retry", "POST", MANAGERS, kwargs=CLIP),
    page("clip-delete", "POST", MANAGERS, kwargs=CLIP),
    page("clip-history", "GET", STAFF, kwargs=CLIP),
    page("project-audit-csv", "GET", MANAGERS, kwargs=P),
    page("project-audit-json", "GET", MANAGERS, kwargs=P),
    page("media", "GET", MEMBERS, kwargs={"path": "@media_path"}),
    # Runs: a blind project keeps them from its annotators
    page("run-rows", "GET", STAFF, kwargs=P),
    page("run-start", "POST", MANAGERS, kwargs=P),
    page("run-detail", "GET", STAFF, kwargs=RUN, cross=("run_id",)),
    page("run-action", "POST", MANAGERS, kwargs={**RUN, "action": "cancel"}, cross=("run_id",)),
    page("run-import", "GET", MANAGERS, kwargs=P),
    page("run-import", "POST", MANAGERS, kwargs=P),
    # Score jobs: hidden from the annotators of a blind project, as the leaderboard
    page("score-list", "GET", STAFF, kwargs=P),
    page("score-rows", "GET", STAFF, kwargs=P),
    page("score-create", "POST", STAFF, kwargs=P),
    # The annotator's timeline: only the owner of the annotation. Reviewers and managers without
    # one are sent on to the clip's read-only timeline (its proposals and the submitted work),
    # which the annotators of a blind project (the matrix's) do not reach.
    page("annotate-next", "POST", MEMBERS, kwargs=P),
    page("timeline", "GET", OWNER | STAFF, kwargs=OWN),
    page("timeline", "GET", STAFF, kwargs=CLIP, label="a clip the annotator does not hold"),
    page("timeline-view", "GET", STAFF, kwargs=CLIP),
    page("timeline-view", "GET", STAFF, kwargs=CLIP, query={"run": "@run"}, label="?run="),
    page(
        "timeline-view",
        "GET",
        STAFF,
        kwargs=CLIP,
        query={"annotation": "@review_annotation"},
        label="?annotation=",
    ),
    page("timeline-view", "GET", STAFF, kwargs=OWN, label="the annotator's own clip"),
    page("timeline-workspace", "GET", OWNER, kwargs=OWN),
    page(
        "timeline-cue-new",
        "POST",
        OWNER,
        kwargs=OWN,
        data={"modality": "visual", "text": "He smiles.", "version": "@own_version"},
    ),
    page(
        "timeline-cue-action",
        "POST",
        OWNER,
        kwargs={**OWN, "cue_id": "@own_cue", "action": "accept"},
        data={"version": "@own_cue_version"},
        cross=("cue_id",),
    ),
    page("timeline-undo", "POST", OWNER, kwargs=OWN),
    page("timeline-save", "POST", OWNER, kwargs=OWN, data={"version": "@own_version"}),
    page("timeline-submit", "POST", OWNER, kwargs=OWN, data={"version": "@own_version"}),
    page("timeline-reopen", "POST", OWNER, kwargs=OWN, data={"version": "@own_version"}),
    # Assignment slots: managers
    page("assignment-board", "GET", MANAGERS, kwargs=P),
    page(
        "assignment-reassign",
        "POST",
        MANAGERS,
        kwargs={**P, "assignment_id": "@assignment"},
        cross=("assignment_id",),
    ),
    page(
        "assignment-release",
        "POST",
        MANAGERS,
        kwargs={**P, "assignment_id": "@assignment"},
        cross=("assignment_id",),
    ),
    # Review and quality: reviewers and managers
    page("review-queue", "GET", STAFF, kwargs=P),
    page("review-clip", "GET", STAFF, kwargs=CLIP),
    page("review-workspace", "GET", STAFF, kwargs=CLIP),
    page("review-open", "POST", STAFF, kwargs=CLIP),
    page("review-comment", "POST", STAFF, kwargs=CLIP, data={"text": "Look at 0:01."}),
    page(
        "review-send-back",
        "POST",
        STAFF,
        kwargs={**CLIP, "annotation_id": "@review_annotation"},
        data={"version": "@review_annotation_version", "comment": "The voice cue is missing."},
        cross=("annotation_id",),
    ),
    page(
        "review-comment-resolve",
        "POST",
        STAFF,
        kwargs={**CLIP, "comment_id": "@comment"},
        cross=("comment_id",),
    ),
    page(
        "review-action",
        "POST",
        STAFF,
        kwargs={**CLIP, "action": "finalize"},
        data={"version": "@record_version"},
    ),
    page("quality", "GET", STAFF, kwargs=P),
    page("quality-body", "GET", STAFF, kwargs=P),
    # Gold sets: reviewers read, managers freeze and export
    page("goldset-list", "GET", STAFF, kwargs=P),
    page("goldset-freeze", "POST", MANAGERS, kwargs=P),
    page("goldset-detail", "GET", STAFF, kwargs=GOLD),
    page("goldset-exports", "GET", STAFF, kwargs=GOLD),
    page("goldset-exports", "POST", MANAGERS, kwargs=GOLD, data={"split": "train=1", "seed": "1"}),
    page(
        "goldset-export-download",
        "GET",
        STAFF,
        kwargs={**GOLD, "export_id": "@export"},
        cross=("export_id",),
    ),
    # Learned proposers: reviewers read, managers train and run them (as gold sets)
    page("learned-list", "GET", STAFF, kwargs=P),
    page(
        "learned-train",
        "POST",
        MANAGERS,
        kwargs=P,
        data={"gold_version": "1", "split": "train=0.5,test=0.5", "seed": "0"},
    ),
    page("learned-detail", "GET", STAFF, kwargs=LEARNED),
    page("learned-run", "POST", MANAGERS, kwargs=LEARNED),
    # Leaderboard: hidden from the annotators of a blind project
    page("leaderboard", "GET", STAFF, kwargs=P),
    page("leaderboard-rows", "GET", STAFF, kwargs=P),
    page("leaderboard-row", "GET", STAFF, kwargs={**P, "row_id": "@score_row"}, cross=("row_id",)),
    page(
        "leaderboard-sample",
        "GET",
        STAFF,
        kwargs={**P, "row_id": "@score_row", "name": "@gold_clip"},
        cross=("row_id",),
    ),
    # The API
    api("api-clip-list", "GET", MEMBERS, kwargs=P),
    api("api-clip-list", "POST", MANAGERS, kwargs=P),
    api("api-clip-detail", "GET", MEMBERS, kwargs=CLIP),
    api("api-score-list", "GET", STAFF, kwargs=P),
    api("api-score-list", "POST", STAFF, kwargs=P),
    api("api-score-detail", "GET", STAFF, kwargs={**P, "job_id": "@score_job"}, cross=("job_id",)),
    api("api-run-list", "GET", STAFF, kwargs=P),
    api("api-run-list", "POST", MANAGERS, kwargs=P, data={"proposer": "fake"}),
    api("api-run-detail", "GET", STAFF, kwargs=RUN, cross=("run_id",)),
    api("api-run-cancel", "POST", MANAGERS, kwargs=RUN, cross=("run_id",)),
    api("api-run-retry", "POST", MANAGERS, kwargs=RUN, cross=("run_id",)),
    api("api-run-rerun", "POST", MANAGERS, kwargs=RUN, cross=("run_id",)),
    api("api-run-proposals", "GET", STAFF, kwargs=RUN, cross=("run_id",)),
    api(
        "api-run-proposal", "GET", STAFF, kwargs={**RUN, "name": "@review_clip"}, cross=("run_id",)
    ),
    api("api-run-import", "POST", MANAGERS, kwargs=P),
    api("api-clip-detail", "DELETE", MANAGERS, kwargs=CLIP),
    api("api-clip-retry", "POST", MANAGERS, kwargs=CLIP),
    api("api-clip-subtitle", "GET", MEMBERS, kwargs=CLIP),
    api("api-clip-subtitle", "PUT", MANAGERS, kwargs=CLIP, data={"version": 0, "text": "Hello."}),
    api("api-clip-subtitle-file", "POST", MANAGERS, kwargs=CLIP),
    api("api-clip-subtitle-read", "POST", MANAGERS, kwargs=CLIP),
    api("api-clip-history", "GET", STAFF, kwargs=CLIP),
    api("api-assignment-list", "GET", MANAGERS, kwargs=P),
    api(
        "api-assignment-reassign",
        "POST",
        MANAGERS,
        kwargs={**P, "assignment_id": "@assignment"},
        data={"to": "@member", "version": 1},
        cross=("assignment_id",),
    ),
    api(
        "api-assignment-release",
        "POST",
        MANAGERS,
        kwargs={**P, "assignment_id": "@assignment"},
        data={"version": 1},
        cross=("assignment_id",),
    ),
    api("api-quality", "GET", STAFF, kwargs=P),
    api("api-audit", "GET", MANAGERS, kwargs=P),
    # Project and members
    api("api-project-detail", "GET", MEMBERS, kwargs=P),
    api("api-project-detail", "PATCH", MANAGERS, kwargs=P, data={"description": "Round two"}),
    api("api-member-list", "GET", MEMBERS, kwargs=P),
    api(
        "api-member-list",
        "POST",
        MANAGERS,
        kwargs=P,
        data={"username": "@member", "role": "annotator"},
    ),
    api("api-member-detail", "GET", MEMBERS, kwargs={**P, "username": "@member"}),
    api(
        "api-member-detail",
        "PATCH",
        MANAGERS,
        kwargs={**P, "username": "@member"},
        data={"role": "reviewer"},
    ),
    api("api-member-detail", "DELETE", MANAGERS, kwargs={**P, "username": "@member"}),
    # Annotating over the API: the owner only, as on the timeline
    api("api-annotation-list", "GET", MEMBERS, kwargs=P),
    api("api-annotation-next", "POST", MEMBERS, kwargs=P),
    api("api-annotation-detail", "GET", OWNER, kwargs=OWN),
    api(
        "api-annotation-detail",
        "PATCH",
        OWNER,
        kwargs=OWN,
        data={"version": "@own_version", "labels": ["happy"]},
    ),
    api("api-annotation-submit", "POST", OWNER, kwargs=OWN, data={"version": "@own_version"}),
    api("api-annotation-reopen", "POST", OWNER, kwargs=OWN, data={"version": "@own_version"}),
    api("api-annotation-undo", "POST", OWNER, kwargs=OWN),
    api(
        "api-cue-list",
        "POST",
        OWNER,
        kwargs=OWN,
        data={"modality": "visual", "text": "He smiles.", "version": "@own_version"},
    ),
    api("api-cue-detail", "GET", OWNER, kwargs={**OWN, "cue_id": "@own_cue"}, cross=("cue_id",)),
    api(
        "api-cue-detail",
        "PATCH",
        OWNER,
        kwargs={**OWN, "cue_id": "@own_cue"},
        data={"version": "@own_cue_version", "text": "He grins."},
        cross=("cue_id",),
    ),
    api(
        "api-cue-detail",
        "DELETE",
        OWNER,
        kwargs={**OWN, "cue_id": "@own_cue"},
        query={"version": "@own_cue_version"},
        cross=("cue_id",),
    ),
    api(
        "api-cue-accept",
        "POST",
        OWNER,
        kwargs={**OWN, "cue_id": "@own_cue"},
        data={"version": "@own_cue_version"},
        cross=("cue_id",),
    ),
    api(
        "api-cue-reject",
        "POST",
        OWNER,
        kwargs={**OWN, "cue_id": "@own_cue"},
        data={"version": "@own_cue_version"},
        cross=("cue_id",),
    ),
    # Reviews
    api("api-review-list", "GET", STAFF, kwargs=P),
    api("api-review-list", "POST", MANAGERS, kwargs=P),  # auto-promote
    api("api-review-detail", "GET", STAFF, kwargs=CLIP),
    api("api-review-open", "POST", STAFF, kwargs=CLIP),
    api(
        "api-review-accept",
        "POST",
        STAFF,
        kwargs={**CLIP, "key": "@group_key"},
        data={"version": "@record_version"},
    ),
    api(
        "api-review-reject",
        "POST",
        STAFF,
        kwargs={**CLIP, "key": "@group_key"},
        data={"version": "@record_version"},
    ),
    api(
        "api-review-undo",
        "POST",
        STAFF,
        kwargs={**CLIP, "key": "@group_key"},
        data={"version": "@record_version"},
    ),
    api(
        "api-review-merge",
        "POST",
        STAFF,
        kwargs=CLIP,
        data={"version": "@record_version", "keys": ["@group_key"], "text": "Both."},
    ),
    api(
        "api-review-gold-cues",
        "POST",
        STAFF,
        kwargs=CLIP,
        data={"version": "@record_version", "modality": "visual", "text": "He nods."},
    ),
    api(
        "api-review-gold-cue",
        "DELETE",
        STAFF,
        kwargs={**CLIP, "cue_id": "@gold_cue"},
        query={"version": "@record_version"},
        cross=("cue_id",),
    ),
    api(
        "api-review-labels",
        "PUT",
        STAFF,
        kwargs=CLIP,
        data={"version": "@record_version", "labels": ["happy"]},
    ),
    api("api-review-finalize", "POST", STAFF, kwargs=CLIP, data={"version": "@record_version"}),
    api("api-review-reopen", "POST", STAFF, kwargs=CLIP, data={"version": "@record_version"}),
    api(
        "api-review-send-back",
        "POST",
        STAFF,
        kwargs={**CLIP, "annotation_id": "@review_annotation"},
        data={"version": "@review_annotation_version", "comment": "The voice cue is missing."},
        cross=("annotation_id",),
    ),
    api("api-review-comments", "GET", STAFF, kwargs=CLIP),
    api("api-review-comments", "POST", STAFF, kwargs=CLIP, data={"text": "Listen at 0:01."}),
    api(
        "api-review-comment-resolve",
        "POST",
        STAFF,
        kwargs={**CLIP, "comment_id": "@comment"},
        cross=("comment_id",),
    ),
    # Gold sets, exports, the leaderboard
    api("api-goldset-list", "GET", STAFF, kwargs=P),
    api("api-goldset-list", "POST", MANAGERS, kwargs=P, data={"note": "again"}),
    api("api-goldset-detail", "GET", STAFF, kwargs=GOLD),
    api("api-goldset-items", "GET", STAFF, kwargs=GOLD),
    api("api-export-list", "GET", STAFF, kwargs=GOLD),
    api(
        "api-export-list", "POST", MANAGERS, kwargs=GOLD, data={"ratios": {"train": 1.0}, "seed": 1}
    ),
    api(
        "api-export-detail",
        "GET",
        STAFF,
        kwargs={**GOLD, "export_id": "@export"},
        cross=("export_id",),
    ),
    api(
        "api-export-download",
        "GET",
        STAFF,
        kwargs={**GOLD, "export_id": "@export"},
        cross=("export_id",),
    ),
    api("api-leaderboard", "GET", STAFF, kwargs=P),
    api("api-leaderboard-learned", "GET", STAFF, kwargs=P),
    api("api-learned-list", "GET", STAFF, kwargs=P),
    api(
        "api-learned-list",
        "POST",
        MANAGERS,
        kwargs=P,
        data={"gold_version": 1, "ratios": {"train": 0.5, "test": 0.5}},
    ),
    api("api-learned-detail", "GET", STAFF, kwargs=LEARNED),
    api("api-learned-run", "POST", MANAGERS, kwargs=LEARNED),
    api(
        "api-leaderboard-row", "GET", STAFF, kwargs={**P, "row_id": "@score_row"}, cross=("row_id",)
    ),
]


# The world


@dataclass
class World:
    slug: str
    users: dict
    review_clip: str
    gold_clip: str
    group_key: str
    gold_cue: int
    member: str
    own_clip: str
    run: int
    own_cue: int
    own_cue_version: int
    own_version: int
    record_version: int
    review_annotation: int
    review_annotation_version: int
    assignment: int
    comment: int
    export: int
    score_row: int
    score_job: int
    media_path: str


def _users(project: Project, prefix: str, roles: dict[str, str]):
    from tests.factories import MembershipFactory, UserFactory

    users = {}
    for key, role in roles.items():
        users[key] = UserFactory(username=f"{prefix}-{key}")
        MembershipFactory(project=project, user=users[key], role=role)
    return users


def _build(tmp_path, name: str, *, blind: bool) -> tuple[World, list]:
    from annotate.annotation import assignments as assignment_services
    from annotate.clips.ingest import clip_ingest
    from annotate.clips.services import clip_create
    from annotate.goldsets.exports import export_create
    from annotate.goldsets.services import goldset_freeze
    from annotate.review import selectors as review_selectors
    from annotate.review import services as review_services
    from annotate.runs import services as run_services
    from tests import mediafiles
    from tests.annotate.goldsets.test_goldsets import gold_clip
    from tests.annotate.review.test_reviews import disputed_clip

    project = Project.objects.create(
        name=f"Matrix {name}", slug=f"matrix-{name}", blind_mode=blind, annotators_per_clip=3
    )
    users = _users(
        project,
        name,
        {
            "manager": "manager",
            "reviewer": "reviewer",
            "annotator": "annotator",
            "a2": "annotator",
            "a3": "annotator",
            "a4": "annotator",
        },
    )
    clips = {}
    for fps, clip_name in enumerate((f"{name}-a", f"{name}-b"), start=25):
        path = mediafiles.make_clip(tmp_path / f"{clip_name}.mp4", seconds=1.0, fps=fps)
        clip = clip_create(project=project, source=path, filename=f"{clip_name}.mp4", enqueue=False)
        clips[clip_name] = clip_ingest(clip_id=clip.pk)
    run = run_services.run_create(project=project, proposer="fake", label="matrix")
    review_clip = disputed_clip(f"{name}-a", [users["a2"], users["a3"], users["a4"]])
    own = opening.annotation_open(clip=clips[f"{name}-b"], annotator=users["annotator"])
    own_cue = own.cues.order_by("position").first()
    record = review_services.gold_record_open(clip=review_clip, reviewer=users["reviewer"])
    group_key = review_selectors.clip_review_get(clip=review_clip).groups[0].key
    record = review_services.gold_cue_add(
        record=record,
        modality="visual",
        text="He nods.",
        reviewer=users["reviewer"],
        expected_version=record.version,
    )
    gold_cue = record.cues.get(text="He nods.")
    comment = review_services.review_comment_add(
        clip=review_clip, author=users["reviewer"], text="The voice is hard to hear."
    )
    assignment_services.assignment_slots_ensure(project=project)
    gold = gold_clip(project, f"{name}-gold", cues=[("visual", "He smiles.", 0, 500)])
    gold_set = goldset_freeze(project=project, by=users["manager"], note="matrix")
    export = export_create(gold_set=gold_set, ratios={"train": 1.0}, seed=1, by=users["manager"])
    score_job = ScoreJob.objects.create(project=project, gold={}, predicted={}, label="matrix")
    LearnedProposer.objects.create(
        project=project,
        number=1,
        base_run=run,
        base_version=run.version,
        gold_set=gold_set,
        ratios={"train": 0.5, "test": 0.5},
        split={"train": [], "test": [gold.clip.name]},
        status=LearnedProposer.Status.DONE,
        artefact="learned/matrix.json",
        artefact_sha256="0" * 64,
    )
    score_row = RunScore.objects.filter(gold_set=gold_set).first() or RunScore.objects.create(
        project=project, gold_set=gold_set, run=run
    )
    clip = Clip.objects.get(pk=review_clip.pk)
    world = World(
        slug=project.slug,
        users=users,
        review_clip=review_clip.name,
        gold_clip=gold.clip.name,
        group_key=group_key,
        gold_cue=gold_cue.pk,
        member=users["a4"].username,
        own_clip=own.clip.name,
        run=run.pk,
        own_cue=own_cue.pk,
        own_cue_version=own_cue.version,
        own_version=own.version,
        record_version=record.version,
        review_annotation=review_clip.annotations.order_by("pk").first().pk,
        review_annotation_version=review_clip.annotations.order_by("pk").first().version,
        assignment=Assignment.objects.filter(clip__project=project).order_by("pk").first().pk,
        comment=comment.pk,
        export=export.pk,
        score_row=score_row.pk,
        score_job=score_job.pk,
        media_path=clip.proxy,
    )
    return world, [project, *users.values()]


@pytest.fixture(scope="module")
def worlds(django_db_setup, django_db_blocker, tmp_path_factory):
    import tests.annotate.runs.test_runs  # noqa: F401  (registers the "fake" proposer)
    from annotate.core.embedding_store import DatabaseEmbeddingStore
    from inference.emocue360 import Scorer
    from tests.annotate.review.test_reviews import ConceptEncoder

    tmp_path = tmp_path_factory.mktemp("matrix")
    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            core_scorer, "_scorer", Scorer(encoder=ConceptEncoder(), store=DatabaseEmbeddingStore())
        )
        mine, made = _build(tmp_path, "p", blind=True)
        other, other_made = _build(tmp_path, "q", blind=True)
        yield {"mine": mine, "other": other}
        for obj in [*made, *other_made]:
            type(obj).objects.filter(pk=obj.pk).delete()


def _value(world: World, value):
    if isinstance(value, str) and value.startswith("@"):
        return getattr(world, value[1:])
    if isinstance(value, list):
        return [_value(world, item) for item in value]
    return value


def _url(row: Row, world: World, kwargs_world=None) -> str:
    """The row's URL in `world`, with the kwargs named in `kwargs_world`'s keys taken from
    that other world instead."""
    swapped = kwargs_world or {}
    kwargs = {k: _value(swapped.get(k, world), v) for k, v in row.kwargs.items()}
    url = reverse(row.route, kwargs=kwargs)
    if row.query:
        url += "?" + urlencode({k: _value(world, v) for k, v in row.query.items()})
    return url


def _client(world: World, other: World, role: str) -> Client:
    client = Client()
    if role == "outsider":
        client.force_login(other.users["annotator"])
    elif role != "anonymous":
        client.force_login(world.users[role])
    return client


def _call(client: Client, row: Row, url: str, data: dict):
    method = getattr(client, row.method.lower())
    if row.method in ("GET", "DELETE") and not data:
        return method(url)
    if row.api:
        return method(url, data=json.dumps(data), content_type="application/json")
    return method(url, data=data)


def _denied(response, role: str, row: Row) -> bool:
    if role == "anonymous":
        if row.api:
            return response.status_code in (401, 403)
        if response.status_code == 302:
            return reverse("login") in response["Location"]
        return response.status_code in (401, 403, 404)
    if role == "outsider":
        return response.status_code == 404
    return response.status_code in DENIED


@pytest.mark.django_db
@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
def test_each_role_gets_what_its_role_allows(worlds, row):
    world, other = worlds["mine"], worlds["other"]
    url = _url(row, world)
    data = {k: _value(world, v) for k, v in row.data.items()}
    got = {}
    for role in ROLES:
        # Each role meets the same world: an allowed write (a delete) is undone before the next.
        with transaction.atomic():
            response = _call(_client(world, other, role), row, url, data)
            transaction.set_rollback(True)
        assert response.status_code < 500, f"{role}: {response.status_code}"
        denied = _denied(response, role, row)
        allowed = role in row.allow
        got[role] = response.status_code
        assert denied != allowed, (
            f"{row.id} as {role}: {response.status_code} "
            f"({'should be allowed' if allowed else 'should be refused'}); all so far: {got}; "
            f"{response.content[:300]!r}"
        )


CROSS_ROWS = [row for row in ROWS if row.cross]


@pytest.mark.django_db
@pytest.mark.parametrize("row", CROSS_ROWS, ids=lambda row: row.id)
def test_another_projects_object_is_not_reachable_by_id(worlds, row):
    """In my project's URL, the id of an object of a project I also manage is still a 404."""
    world, other = worlds["mine"], worlds["other"]
    role = "annotator" if row.allow == OWNER else "manager"
    user = world.users[role]
    project = Project.objects.get(slug=other.slug)
    Membership.objects.create(project=project, user=user, role=role)  # rolled back after the test
    data = {k: _value(world, v) for k, v in row.data.items()}
    client = Client()
    client.force_login(user)
    response = _call(client, row, _url(row, world, {k: other for k in row.cross}), data)
    assert response.status_code == 404, (row.id, response.status_code, response.content[:300])


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield prefix + str(pattern.pattern), pattern.name


def test_every_route_has_a_row():
    covered = {row.route for row in ROWS} | set(UNGUARDED)
    routes = {
        name: route
        for route, name in _routes(get_resolver().url_patterns)
        if not route.startswith("admin/")
    }
    missing = sorted(f"{name} ({route})" for name, route in routes.items() if name not in covered)
    assert not missing, f"routes without a row in the permission matrix: {missing}"


@pytest.mark.django_db
def test_project_lists_show_only_ones_own_projects(worlds):
    world, other = worlds["mine"], worlds["other"]
    outsider = Client()
    outsider.force_login(other.users["annotator"])
    assert world.slug not in outsider.get(reverse("project-list")).content.decode()
    slugs = [p["slug"] for p in outsider.get(reverse("api-project-list")).json()["results"]]
    assert world.slug not in slugs and other.slug in slugs
    assert Client().get(reverse("project-list")).status_code == 302
    assert Client().get(reverse("api-project-list")).status_code in (401, 403)


@pytest.mark.django_db
def test_blind_annotators_see_no_model_output_on_the_pages_they_may_open(worlds):
    """The clip page and the API clip read are open to annotators; in a blind project neither
    may show the model's proposals."""
    world = worlds["mine"]
    client = Client()
    client.force_login(world.users["annotator"])
    run = ModelRun.objects.get(pk=world.run)
    model_texts = set(
        Cue.objects.filter(proposal__run=run, proposal__clip__name=world.review_clip).values_list(
            "text", flat=True
        )
    )
    assert model_texts
    for route in ("clip-detail", "api-clip-detail"):
        body = client.get(reverse(route, args=[world.slug, world.review_clip])).content.decode()
        leaked = [text for text in model_texts if text in body]
        assert not leaked, (route, leaked)


WRITE_ROWS = [row for row in ROWS if row.method != "GET"]


def _allowed_user(world: World, row: Row):
    return world.users[A if row.allow == OWNER else M if M in row.allow else min(row.allow)]


@pytest.mark.django_db
@pytest.mark.parametrize("row", WRITE_ROWS, ids=lambda row: row.id)
def test_every_write_needs_the_csrf_token_of_the_session(worlds, row):
    """With CSRF checks on (as in a browser), a write of a signed-in user without the token is a
    403 whatever the route; with the token the pages send as X-CSRFToken (base.html's hx-headers)
    it passes. API writes with a token header instead of the session need none."""
    world = worlds["mine"]
    url = _url(row, world)
    data = {k: _value(world, v) for k, v in row.data.items()}
    client = Client(enforce_csrf_checks=True)
    client.force_login(_allowed_user(world, row))
    refused = _call(client, row, url, data)
    assert refused.status_code == 403 and b"CSRF" in refused.content, refused.content[:300]

    page = client.get(reverse("project-detail", args=[world.slug]))
    token = (
        page.cookies["csrftoken"].value
        if "csrftoken" in page.cookies
        else client.cookies["csrftoken"].value
    )
    method = getattr(client, row.method.lower())
    if row.api:
        passed = method(
            url,
            data=json.dumps(data),
            content_type="application/json",
            headers={"X-CSRFToken": token},
        )
    else:
        passed = method(url, data=data, headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert passed.status_code not in (401, 403), (passed.status_code, passed.content[:300])
