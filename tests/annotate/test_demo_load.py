"""manage.py demo_load: what `./studio.sh run` shows a new user, and the scripted annotations
of fixtures/demo_annotations.py (made through the annotation services)."""

from io import StringIO

import pytest
from django.contrib import admin
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from annotate.annotation.models import Annotation, AnnotationEvent
from annotate.clips.models import Clip
from annotate.core.models import AuditEvent, Membership, Project
from annotate.goldsets.models import GoldSet
from annotate.review.models import GoldRecord
from annotate.runs.models import Cue, ModelRun, Proposal
from fixtures.demo_annotations import SCRIPT, demo_annotations_load
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

ANNOTATED = [
    "sample_00000001",
    "sample_00000002",
    "sample_00000003",
    "sample_00000004",
    "sample_00000006",
]


def _state(project) -> dict:
    """Everything demo_load writes, as comparable values."""
    annotations = Annotation.objects.filter(clip__project=project)
    return {
        "annotations": sorted(annotations.values_list("pk", "version", "status", "updated_at")),
        "cues": sorted(
            Cue.objects.filter(clip__project=project).values_list(
                "pk", "version", "decision", "text"
            )
        ),
        "events": AnnotationEvent.objects.filter(annotation__in=annotations).count(),
        "audit": AuditEvent.objects.filter(project=project).count(),
        "runs": ModelRun.objects.filter(project=project).count(),
        "clips": Clip.objects.filter(project=project).count(),
        "members": sorted(
            Membership.objects.filter(project=project).values_list("user__username", "role")
        ),
        "passwords": sorted(User.objects.values_list("username", "password")),
        "k": Project.objects.get(pk=project.pk).annotators_per_clip,
        "gold": sorted(
            GoldRecord.objects.filter(clip__project=project).values_list(
                "clip__name", "version", "status"
            )
        ),
        "gold_sets": list(
            GoldSet.objects.filter(project=project).values_list("version", "content_sha256")
        ),
    }


def test_demo_load_gives_ready_clips_a_run_accounts_and_annotations_then_changes_nothing(
    demo_set, media_root, client
):
    out = StringIO()
    call_command(
        "demo_load",
        "--out",
        str(demo_set.out_dir),
        "--password",
        "demo-pass-123",
        stdout=out,
        stderr=StringIO(),
    )
    project = Project.objects.get(name="Demo: talking clips")
    assert Clip.objects.filter(project=project, status="ready").count() == 8
    run = ModelRun.objects.get(project=project, proposer="signals")
    assert run.status == "finished"
    assert run.proposals.filter(status="done").count() == 8
    smile = Cue.objects.filter(
        proposal__run=run,
        clip__name="sample_00000001",
        modality="visual",
        text__icontains="corners of the mouth turn up",
    )
    assert smile.exists() and smile.first().start_ms is not None
    assert "8 clip(s) ready" in out.getvalue() and "finished" in out.getvalue()

    # The accounts: a manager, three annotators and a reviewer, all with the given password
    # (signed in as the login page does: django-axes checks every sign-in against its request).
    for username in ("demo", "ann1", "ann2", "ann3", "reviewer"):
        request = RequestFactory().post(reverse("login"))
        assert authenticate(request, username=username, password="demo-pass-123"), username
    members = Membership.objects.filter(project=project).values_list("user__username", "role")
    assert sorted(members) == [
        ("ann1", "annotator"),
        ("ann2", "annotator"),
        ("ann3", "annotator"),
        ("demo", "manager"),
        ("reviewer", "reviewer"),
    ]
    assert project.annotators_per_clip == 3
    assert "ann1, ann2, ann3" in out.getvalue() and "reviewer" in out.getvalue()

    # Their submitted work: three annotations on each of five clips, from the run's proposals.
    annotations = list(
        Annotation.objects.filter(clip__project=project).select_related("clip", "annotator")
    )
    assert sorted((a.clip.name, a.annotator.username) for a in annotations) == [
        (clip, name) for clip in ANNOTATED for name in ("ann1", "ann2", "ann3")
    ]
    assert all(a.status == "submitted" and a.run_id == run.pk for a in annotations)
    primaries = {}
    for a in annotations:
        primaries.setdefault(a.clip.name, []).append(a.primary_label)
        assert a.primary_label in a.labels and a.description.startswith("In the video")
    agreeing = sorted(name for name, labels in primaries.items() if len(set(labels)) == 1)
    assert agreeing == ["sample_00000002", "sample_00000003", "sample_00000004"]
    assert sorted(primaries["sample_00000001"]) == ["calm", "neutral", "neutral"]
    assert sorted(primaries["sample_00000006"]) == ["happy", "surprise", "surprise"]

    cues = Cue.objects.filter(annotation__clip__project=project)
    assert not cues.filter(decision="proposed").exists()
    assert cues.filter(decision="accepted", origin="model").count() > 50
    assert cues.filter(decision="rejected").exclude(reject_reason="").count() > 10
    assert cues.filter(origin="human").count() >= 15  # everyone added cues of their own
    edited = list(cues.filter(decision="edited").select_related("derived_from"))
    assert len(edited) >= 5
    assert all(c.text != c.derived_from.text for c in edited)  # paraphrases, not copies
    # Disagreement on cues too: ann2 drops the word-list cues that ann1 keeps.
    joy = cues.filter(clip__name="sample_00000002", text__startswith="The words express joy")
    assert set(joy.values_list("annotation__annotator__username", "decision")) == {
        ("ann1", "accepted"),
        ("ann2", "rejected"),
        ("ann3", "accepted"),
    }
    # Made through the services: every change is on the undo stack.
    assert AnnotationEvent.objects.filter(annotation__in=annotations).count() >= cues.count()
    # ... and in the audit trail, which the reviewer reads on the clip's history page.
    client.force_login(User.objects.get(username="reviewer"))
    history = client.get(
        reverse("clip-history", args=[project.slug, "sample_00000002"]),
        {"actor": "ann2", "type": "cue"},
    )
    assert history.status_code == 200
    assert "<del>The voice is loud.</del> <ins>She speaks loudly.</ins>" in history.content.decode()

    # The reviewer adjudicated two clips through the review services; they are gold set v1.
    gold = GoldRecord.objects.filter(clip__project=project).select_related("clip", "reviewer")
    assert sorted((g.clip.name, g.status, g.reviewer.username) for g in gold) == [
        ("sample_00000002", "gold", "reviewer"),
        ("sample_00000003", "gold", "reviewer"),
    ]
    assert {g.primary_label for g in gold} == {"happy", "sad"} and all(
        g.cues.exists() for g in gold
    )
    gold_set = GoldSet.objects.get(project=project)
    assert gold_set.version == 1 and gold_set.items.count() == 2 and gold_set.licence
    assert "gold set v1 frozen" in out.getvalue()

    before = _state(project)
    again = StringIO()  # a second start changes nothing and says so
    call_command(
        "demo_load",
        "--out",
        str(demo_set.out_dir),
        "--password",
        "demo-pass-123",
        stdout=again,
        stderr=StringIO(),
    )
    assert _state(project) == before
    assert (
        "Nothing changed" in again.getvalue()
        and "submitted" not in again.getvalue().split("Demo project")[0]
    )


# --- the annotation script on a small project, without media ----------------------------------


def _clip_with_proposal(project, run, name: str, cues: list[tuple[str, str, str]]) -> Clip:
    clip = Clip.objects.create(
        project=project,
        name=name,
        sha256=name.ljust(64, "0"),
        status=Clip.Status.READY,
        duration_ms=4000,
        fps_num=25,
        fps_den=1,
        subtitle_segments=[
            {"start_ms": 300, "end_ms": 1600, "text": "One."},
            {"start_ms": 1900, "end_ms": 3400, "text": "Two."},
        ],
    )
    proposal = Proposal.objects.create(run=run, clip=clip, status=Proposal.Status.DONE)
    Cue.objects.bulk_create(
        [
            Cue(
                clip=clip,
                proposal=proposal,
                position=n,
                modality=modality,
                kind=kind,
                text=text,
                start_ms=0,
                end_ms=4000,
                origin=Cue.Origin.MODEL,
                decision=Cue.Decision.PROPOSED,
            )
            for n, (modality, kind, text) in enumerate(cues)
        ]
    )
    return clip


@pytest.fixture
def scripted(db):
    project = ProjectFactory(annotators_per_clip=3)
    run = ModelRun.objects.create(
        project=project,
        proposer="signals",
        version="test",
        status=ModelRun.Status.FINISHED,
        finished_at=timezone.now(),
    )
    proposed = [
        ("visual", "observation", "The corners of the mouth turn up (clear smile)."),
        ("auditory", "subtitle", '"Wait, is that really you?"'),
        ("auditory", "observation", "The voice is loud."),
        ("auditory", "subtitle", 'The words express surprise ("expect").'),
        ("auditory", "subtitle", "The words are positive."),
        ("emotional", "inference", "The smile suggests that the person is happy."),
        ("emotional", "inference", "The question suggests that the person is surprised."),
    ]
    clip = _clip_with_proposal(project, run, "sample_00000006", proposed)
    users = {}
    for name in ("ann1", "ann2", "ann3"):
        users[name] = UserFactory(username=name)
        Membership.objects.create(project=project, user=users[name], role="annotator")
    return project, clip, users


def _decisions(clip, username) -> dict[str, tuple[str, str]]:
    cues = Cue.objects.filter(
        annotation__clip=clip, annotation__annotator__username=username, origin="model"
    ).select_related("derived_from")
    return {
        c.derived_from.text: (c.decision, c.text if c.decision == "edited" else c.reject_reason)
        for c in cues
    }


def test_each_annotator_decides_by_their_habits_and_submits(scripted):
    project, clip, users = scripted
    report = demo_annotations_load(project=project, annotators=users)
    assert report.created == [
        ("sample_00000006", "ann1", "surprise"),
        ("sample_00000006", "ann2", "happy"),
        ("sample_00000006", "ann3", "surprise"),
    ]
    assert {why for *_, why in report.skipped} == {"the clip is missing"}  # the other four
    assert len(report.skipped) == 3 * (len(SCRIPT) - 1)

    ann1, ann2, ann3 = (_decisions(clip, name) for name in ("ann1", "ann2", "ann3"))
    smile, loud = "The corners of the mouth turn up (clear smile).", "The voice is loud."
    lexicon, generic = 'The words express surprise ("expect").', "The words are positive."
    happy = "The smile suggests that the person is happy."
    surprised = "The question suggests that the person is surprised."
    assert ann1[smile] == ("edited", "The corners of the mouth lift into a smile.")
    assert ann2[smile][0] == ann3[smile][0] == "accepted"
    assert ann2[loud] == ("edited", "She speaks loudly.")
    assert ann1[lexicon][0] == ann3[lexicon][0] == "accepted"
    assert ann2[lexicon] == ("rejected", "A word-list match, not evidence of how she feels.")
    assert ann3[generic] == ("rejected", "Too generic to count as a cue.")
    assert ann1[happy][0] == ann2[happy][0] == "accepted"  # happy is among their labels
    assert ann3[happy] == ("rejected", "I do not read her as happy; my label is surprise.")
    assert {ann1[surprised][0], ann2[surprised][0], ann3[surprised][0]} == {"accepted"}

    own = Cue.objects.filter(annotation__clip=clip, origin="human")
    assert sorted(own.values_list("annotation__annotator__username", "modality")) == [
        ("ann1", "auditory"),
        ("ann2", "emotional"),
        ("ann3", "visual"),
    ]
    timed = own.get(annotation__annotator__username="ann1")
    assert (timed.start_ms, timed.end_ms) == (320, 1600)  # the first subtitle, snapped to frames
    annotation = Annotation.objects.get(clip=clip, annotator=users["ann2"])
    assert annotation.status == "submitted" and annotation.labels == ["happy", "surprise"]


def test_a_second_load_keeps_what_is_there_and_leaves_drafts_alone(scripted):
    project, clip, users = scripted
    demo_annotations_load(
        project=project,
        annotators={"ann1": users["ann1"], "ann2": users["ann2"], "ann3": users["ann3"]},
    )
    cues_before = sorted(Cue.objects.values_list("pk", "version"))
    again = demo_annotations_load(project=project, annotators=users)
    assert again.created == [] and len(again.already) == 3
    assert sorted(Cue.objects.values_list("pk", "version")) == cues_before

    other = ProjectFactory(annotators_per_clip=3)  # a draft someone started stays theirs
    run = ModelRun.objects.create(
        project=other, proposer="signals", version="t", status=ModelRun.Status.FINISHED
    )
    draft_clip = _clip_with_proposal(
        other, run, "sample_00000001", [("visual", "observation", "The voice is loud.")]
    )
    Annotation.objects.create(clip=draft_clip, annotator=users["ann1"])
    report = demo_annotations_load(project=other, annotators=users)
    assert ("sample_00000001", "ann1", "a draft is in progress; left alone") in report.skipped
    assert [c for c, name, _ in report.created] == ["sample_00000001", "sample_00000001"]
    assert Annotation.objects.get(clip=draft_clip, annotator=users["ann1"]).status == "draft"


def test_the_demo_manager_opens_every_studio_page_of_the_admin(demo_set, media_root, client):
    """`demo` is staff, and staff alone opens no admin page: demo_load gives it the studio's
    model permissions (not superuser: users and groups stay out of its reach)."""
    call_command(
        "demo_load",
        "--out",
        str(demo_set.out_dir),
        "--password",
        "demo-pass-123",
        stdout=StringIO(),
        stderr=StringIO(),
    )
    signed_in = client.post(reverse("login"), {"username": "demo", "password": "demo-pass-123"})
    assert signed_in.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    models = [m for m in admin.site._registry if m._meta.app_label == "annotate"]
    assert len(models) > 15
    for model in models:
        meta = model._meta
        listing = client.get(reverse(f"admin:annotate_{meta.model_name}_changelist"))
        assert listing.status_code == 200, meta.model_name
    demo = User.objects.get(username="demo")
    assert demo.is_staff and not demo.is_superuser
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
