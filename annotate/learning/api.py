"""Learned proposers over the API. Access mirrors the pages (and gold sets): reviewers and
managers read them, managers train and run them; annotators and non-members get a 404."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from annotate.core import selectors as core_selectors
from annotate.core.api_errors import (
    NOT_SIGNED_IN,
    QUEUE_UNAVAILABLE,
    DetailOutput,
    RunErrorOutput,
    invalid_response,
    managers_only_response,
    request_body,
)
from annotate.core.models import Membership, Project
from annotate.learning import selectors
from annotate.learning import services as learning_services
from annotate.learning.inputs import LearnedProposerStartInput, LearnedRunStartInput
from annotate.learning.models import LearnedProposer

VIEW_ROLES = (Membership.Role.REVIEWER, Membership.Role.MANAGER)
MANAGE_ROLES = (Membership.Role.MANAGER,)

_NOT_FOUND = OpenApiResponse(
    DetailOutput,
    description="No such project or learned proposer, not a member, or an annotator.",
)
_FORBIDDEN = OpenApiResponse(RunErrorOutput, description="Not a manager of the project.")


def _project(request, slug: str) -> tuple[Project, str]:
    return core_selectors.project_get_for_user(slug=slug, user=request.user, roles=VIEW_ROLES)


class LearnedProgressOutput(serializers.Serializer):
    stage = serializers.CharField(source="progress_stage")
    done = serializers.IntegerField(source="progress_done")
    total = serializers.IntegerField(source="progress_total")


class LearnedProposerOutput(serializers.ModelSerializer):
    status = serializers.CharField(help_text="pending, running, done or failed.")
    gold_version = serializers.IntegerField(source="gold_set.version")
    base_run = serializers.IntegerField(
        source="base_run_id", allow_null=True, help_text="The run it learned from."
    )
    split = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='{part: [clip names]}: "train" is learned from, every other part held out.',
    )
    ratios = serializers.DictField(child=serializers.FloatField())
    progress = LearnedProgressOutput(source="*")
    report = serializers.JSONField(
        help_text="Training counts, the cue rules with their keep rates, the emotion classes."
    )
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)
    runs = serializers.SerializerMethodField(help_text="Ids of its runs, newest first.")

    class Meta:
        model = LearnedProposer
        fields = [
            "number",
            "status",
            "progress",
            "error",
            "gold_version",
            "base_run",
            "base_version",
            "ratios",
            "seed",
            "split",
            "training_sha256",
            "artefact",
            "artefact_sha256",
            "report",
            "runs",
            "created_by",
            "created_at",
            "finished_at",
        ]

    def get_runs(self, learned: LearnedProposer) -> list[int]:
        return [run.pk for run in selectors.learned_runs(learned=learned)]


class LearnedRunOutput(serializers.Serializer):
    run = serializers.IntegerField(source="pk", help_text="The new run's id.")
    label = serializers.CharField()
    clips = serializers.IntegerField(help_text="Clips it runs on.")


class LearnedProposerListApi(GenericAPIView):
    queryset = LearnedProposer.objects.none()
    serializer_class = LearnedProposerOutput

    @extend_schema(
        operation_id="projects_learned_list",
        summary="The project's learned proposers, newest first",
        responses={200: LearnedProposerOutput(many=True), 403: NOT_SIGNED_IN, 404: _NOT_FOUND},
    )
    def get(self, request, slug: str):
        project, _ = _project(request, slug)
        page = self.paginate_queryset(selectors.learned_proposer_list(project=project))
        return self.get_paginated_response(LearnedProposerOutput(page, many=True).data)

    @extend_schema(
        operation_id="projects_learned_create",
        summary="Train a learned proposer on a frozen gold version's training split: checked "
        "now, trained by a worker (poll it until its status is done)",
        request=LearnedProposerStartInput,
        responses={
            202: LearnedProposerOutput,
            400: OpenApiResponse(
                RunErrorOutput, description="A body that is not JSON, or a field at fault."
            ),
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            409: OpenApiResponse(
                RunErrorOutput,
                description="The base run is not finished, or of an older proposer version.",
            ),
            422: OpenApiResponse(RunErrorOutput, description="A split that cannot be made."),
            503: QUEUE_UNAVAILABLE,
        },
        examples=[
            OpenApiExample(
                "80/20",
                request_only=True,
                value={"gold_version": 1, "ratios": {"train": 0.8, "test": 0.2}, "seed": 0},
            )
        ],
    )
    def post(self, request, slug: str):
        project, role = _project(request, slug)
        if role not in MANAGE_ROLES:
            return managers_only_response("train a learned proposer")
        body, unreadable = request_body(
            request, '{"gold_version": 1, "ratios": {"train": 0.8, "test": 0.2}, "seed": 0}'
        )
        if unreadable:
            return unreadable
        form = LearnedProposerStartInput(data=body, context={"project": project})
        if not form.is_valid():
            return invalid_response(form.errors)
        data = form.validated_data
        learned = learning_services.learned_proposer_start(
            project=project,
            gold_set=data["gold_version"],
            ratios=data["ratios"],
            seed=data["seed"],
            base_run=data["run"],
            by=request.user,
        )
        return Response(LearnedProposerOutput(learned).data, status=status.HTTP_202_ACCEPTED)


class LearnedProposerDetailApi(GenericAPIView):
    queryset = LearnedProposer.objects.none()
    serializer_class = LearnedProposerOutput

    @extend_schema(
        operation_id="projects_learned_retrieve",
        summary="One learned proposer: its progress, data, split, seed and model",
        responses={200: LearnedProposerOutput, 403: NOT_SIGNED_IN, 404: _NOT_FOUND},
    )
    def get(self, request, slug: str, number: int):
        project, _ = _project(request, slug)
        learned = selectors.learned_proposer_get(project=project, number=number)
        return Response(LearnedProposerOutput(learned).data)


class LearnedRunApi(GenericAPIView):
    queryset = LearnedProposer.objects.none()
    serializer_class = LearnedRunOutput

    @extend_schema(
        operation_id="projects_learned_runs_create",
        summary="Run a trained learned proposer (by default on its held-out clips that are "
        "ready); the leaderboard never scores it on its training clips",
        request=LearnedRunStartInput,
        responses={
            201: LearnedRunOutput,
            400: OpenApiResponse(RunErrorOutput, description="A body or clip name at fault."),
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            409: OpenApiResponse(RunErrorOutput, description="Not trained (yet), or no clip."),
            422: OpenApiResponse(RunErrorOutput, description="A clip that is not ready."),
            503: QUEUE_UNAVAILABLE,
        },
    )
    def post(self, request, slug: str, number: int):
        project, role = _project(request, slug)
        learned = selectors.learned_proposer_get(project=project, number=number)
        if role not in MANAGE_ROLES:
            return managers_only_response("start runs")
        body, unreadable = request_body(request, '{"clips": ["sample_00000007"]}')
        if unreadable:
            return unreadable
        form = LearnedRunStartInput(data=body or {})
        if not form.is_valid():
            return invalid_response(form.errors)
        run = learning_services.learned_run_start(
            learned=learned, by=request.user, clip_names=form.validated_data.get("clips")
        )
        data = {"pk": run.pk, "label": run.label, "clips": run.proposals.count()}
        return Response(LearnedRunOutput(data).data, status=status.HTTP_201_CREATED)
