"""Every model has a working admin: list and change pages render for a superuser."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from annotate.clips.models import Clip
from annotate.runs.models import Cue, ModelRun, Proposal
from annotate.scoring.models import ScoreJob

pytestmark = pytest.mark.django_db


def test_admin_pages_render(admin_client, project, manager):
    clip = Clip.objects.create(
        project=project, name="c1", sha256="0" * 64, source="x", status="ready"
    )
    run = ModelRun.objects.create(project=project, proposer="signals", version="v")
    proposal = Proposal.objects.create(run=run, clip=clip, status="done")
    Cue.objects.create(
        clip=clip, proposal=proposal, modality="visual", text="He smiles.", start_ms=0, end_ms=10
    )
    ScoreJob.objects.create(project=project, gold={}, predicted={})
    for model in admin.site._registry:
        if model._meta.app_label != "annotate":
            continue
        meta = model._meta
        listing = admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        assert listing.status_code == 200, meta.model_name
        obj = model.objects.first()
        if obj is not None:
            page = admin_client.get(
                reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
            )
            assert page.status_code == 200, meta.model_name
    registered = {m for m in admin.site._registry if m._meta.app_label == "annotate"}
    assert registered == set(apps.get_app_config("annotate").get_models())
