"""manage.py demo_load: what `./studio.sh run` shows a new user."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from annotate.models import Clip, Cue, ModelRun, Project

pytestmark = pytest.mark.django_db


def test_demo_load_gives_ready_clips_a_finished_signal_run_and_an_account(demo_set, media_root):
    out = StringIO()
    call_command("demo_load", "--out", str(demo_set.out_dir), "--password", "demo-pass-123",
                 stdout=out, stderr=StringIO())
    project = Project.objects.get(name="Demo: talking clips")
    assert Clip.objects.filter(project=project, status="ready").count() == 8
    run = ModelRun.objects.get(project=project, proposer="signals")
    assert run.status == "finished"
    assert run.proposals.filter(status="done").count() == 8
    smile = Cue.objects.filter(proposal__run=run, clip__name="sample_00000001", modality="visual",
                               text__icontains="corners of the mouth turn up")
    assert smile.exists() and smile.first().start_ms is not None
    assert authenticate(username="demo", password="demo-pass-123") is not None
    assert "8 clip(s) ready" in out.getvalue() and "finished" in out.getvalue()

    again = StringIO()  # a second start changes nothing and makes no second run
    call_command("demo_load", "--out", str(demo_set.out_dir), "--password", "demo-pass-123",
                 stdout=again, stderr=StringIO())
    assert ModelRun.objects.filter(project=project).count() == 1
    assert Clip.objects.filter(project=project).count() == 8
