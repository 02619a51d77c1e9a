"""Model runs over the API: start a run, watch its progress, cancel, retry, re-run, and read
its proposals with their cues, so that a lab can script "upload a clip, start a run, fetch
its cues". Access follows the run pages: members read, managers act; in a blind project the
annotators get a 404 here (as on the leaderboard): they must not see the model's work out of
band.

POST /api/projects/<slug>/runs/import/: a model's outside results as a run."""

from django.http import Http404
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.core import selectors as core_selectors
from annotate.core.api_errors import (
    NOT_SIGNED_IN,
    QUEUE_UNAVAILABLE,
    DetailOutput,
    RunErrorOutput,
    invalid_response,
    managers_only_response,
    request_body,
    status_filter,
    status_parameter,
)
from annotate.core.models import Membership, Project
from annotate.runs import imports as services
from annotate.runs import services as run_services
from annotate.runs.inputs import RunImportInput, RunStartInput
from annotate.runs.models import Cue, ModelRun, Proposal
from annotate.runs.selectors import _PROGRESS, proposals_with_cues, run_get, runs_with_progress

RUN_ROLES = (Membership.Role.MANAGER,)


def _project_for_runs(request, slug: str) -> tuple[Project, str]:
    return core_selectors.project_get_for_model_output(slug=slug, user=request.user)


class RunProgressOutput(serializers.Serializer):
    pending = serializers.IntegerField()
    running = serializers.IntegerField()
    done = serializers.IntegerField()
    failed = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    total = serializers.IntegerField(help_text="Clips in the run (one proposal each).")
    settled = serializers.IntegerField(help_text="done + failed + cancelled.")


class RunOutput(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True, help_text="running, finished or cancelled.")
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, allow_null=True, default=None
    )
    progress = serializers.SerializerMethodField()

    class Meta:
        model = ModelRun
        fields = [
            "id",
            "label",
            "proposer",
            "version",
            "source",
            "status",
            "previous",
            "created_by",
            "created_at",
            "finished_at",
            "progress",
        ]

    @extend_schema_field(RunProgressOutput)
    def get_progress(self, run: ModelRun) -> dict[str, int]:
        counts = {name: getattr(run, f"n_{name}") for name in _PROGRESS}
        return {
            **counts,
            "total": run.n_total,
            "settled": counts["done"] + counts["failed"] + counts["cancelled"],
        }


class CueOutput(serializers.ModelSerializer):
    modality = serializers.CharField(read_only=True, help_text="visual, auditory or emotional.")

    class Meta:
        model = Cue
        fields = ["modality", "kind", "text", "start_ms", "end_ms", "confidence"]


class EmotionOutput(serializers.Serializer):
    label = serializers.CharField()
    score = serializers.FloatField()


class ProposalOutput(serializers.ModelSerializer):
    clip = serializers.CharField(source="clip.name", read_only=True, help_text="The clip's name.")
    status = serializers.CharField(
        read_only=True, help_text="pending, running, done, failed or cancelled."
    )
    emotions = EmotionOutput(many=True, read_only=True, help_text="Best first.")
    cues = CueOutput(many=True, read_only=True)

    class Meta:
        model = Proposal
        fields = [
            "clip",
            "status",
            "description",
            "emotions",
            "error",
            "model_version",
            "started_at",
            "finished_at",
            "cues",
        ]


_NOT_FOUND = OpenApiResponse(
    DetailOutput,
    description="No such project or run, not a member, or an annotator of a blind project.",
)


_FORBIDDEN = OpenApiResponse(
    RunErrorOutput,
    description="Not a manager of the project (without credentials DRF "
    "answers with `detail` only).",
)


_BAD_STATUS = OpenApiResponse(RunErrorOutput, description="Unknown `status` filter.")


_CONFLICT = OpenApiResponse(RunErrorOutput, description="The run's state does not allow it.")


class RunListApi(GenericAPIView):
    queryset = ModelRun.objects.none()
    serializer_class = RunOutput

    @extend_schema(
        operation_id="projects_runs_list",
        summary="A project's model runs with their progress, newest first",
        parameters=[status_parameter(ModelRun.Status.values)],
        responses={
            200: RunOutput(many=True),
            400: _BAD_STATUS,
            403: NOT_SIGNED_IN,
            404: _NOT_FOUND,
        },
    )
    def get(self, request, slug: str):
        project, _ = _project_for_runs(request, slug)
        run_status, bad = status_filter(request, ModelRun.Status.values)
        if bad:
            return bad
        page = self.paginate_queryset(runs_with_progress(project=project, status=run_status))
        return self.get_paginated_response(RunOutput(page, many=True).data)

    @extend_schema(
        operation_id="projects_runs_start",
        summary="Start a run of a proposer over ready clips (one task per clip)",
        request=RunStartInput,
        responses={
            201: RunOutput,
            400: OpenApiResponse(
                RunErrorOutput,
                description="Unknown proposer or clip names "
                "(the message names them), or a "
                "body that is not JSON.",
            ),
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            422: OpenApiResponse(
                RunErrorOutput,
                description="A named clip is not ready, or the project has no ready clip.",
            ),
            503: QUEUE_UNAVAILABLE,
        },
        examples=[
            OpenApiExample(
                "Two clips",
                request_only=True,
                value={
                    "proposer": "signals",
                    "label": "pilot",
                    "clips": ["sample_00000007", "sample_00000012"],
                },
            ),
            OpenApiExample(
                "Unknown clip",
                status_codes=["400"],
                response_only=True,
                value={
                    "code": "invalid",
                    "detail": "clips: No clip named 'sample_7' in project "
                    "'pilot'; GET /api/projects/pilot/clips/ lists "
                    "them.",
                },
            ),
        ],
    )
    def post(self, request, slug: str):
        project, role = _project_for_runs(request, slug)
        if role not in RUN_ROLES:
            return managers_only_response("start runs")
        body, unreadable = request_body(request, '{"proposer": "signals"}')
        if unreadable:
            return unreadable
        form = RunStartInput(data=body, context={"project": project})
        if not form.is_valid():
            return invalid_response(form.errors)
        data = form.validated_data
        run = run_services.run_create(
            project=project,
            proposer=data.get("proposer"),
            clip_names=data.get("clips"),
            label=data["label"],
            created_by=request.user,
        )
        return Response(
            RunOutput(run_get(project=project, run_id=run.pk)).data, status=status.HTTP_201_CREATED
        )


class RunDetailApi(GenericAPIView):
    queryset = ModelRun.objects.none()
    serializer_class = RunOutput

    @extend_schema(
        operation_id="projects_runs_retrieve",
        summary="A run: its status and progress (poll until status is not running)",
        responses={200: RunOutput, 403: NOT_SIGNED_IN, 404: _NOT_FOUND},
    )
    def get(self, request, slug: str, run_id: int):
        project, _ = _project_for_runs(request, slug)
        return Response(RunOutput(run_get(project=project, run_id=run_id)).data)


class RunActionApi(GenericAPIView):
    """cancel, retry and rerun: the run page's buttons."""

    queryset = ModelRun.objects.none()
    serializer_class = RunOutput
    action: str = ""

    def post(self, request, slug: str, run_id: int):
        project, role = _project_for_runs(request, slug)
        if role not in RUN_ROLES:
            return managers_only_response(f"{self.action} runs")
        run = run_get(project=project, run_id=run_id)
        if self.action == "cancel":
            result, http_status = run_services.run_cancel(run=run), status.HTTP_200_OK
        elif self.action == "retry":
            run_services.run_retry_failed(run=run)
            result, http_status = run, status.HTTP_200_OK
        else:
            result = run_services.run_rerun(run=run, created_by=request.user)
            http_status = status.HTTP_201_CREATED
        return Response(
            RunOutput(run_get(project=project, run_id=result.pk)).data, status=http_status
        )


class RunCancelApi(RunActionApi):
    action = "cancel"

    @extend_schema(
        operation_id="projects_runs_cancel",
        summary="Cancel a running run: its pending clips are not run",
        request=None,
        responses={
            200: RunOutput,
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            409: OpenApiResponse(RunErrorOutput, description="The run is not running."),
        },
    )
    def post(self, request, slug: str, run_id: int):
        return super().post(request, slug, run_id)


class RunRetryApi(RunActionApi):
    action = "retry"

    @extend_schema(
        operation_id="projects_runs_retry",
        summary="Queue a run's failed clips again (the run reopens)",
        request=None,
        responses={
            200: RunOutput,
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            409: OpenApiResponse(
                RunErrorOutput,
                description=(
                    "No failed clips, or the proposer's version changed (re-run instead)."
                ),
            ),
            503: QUEUE_UNAVAILABLE,
        },
    )
    def post(self, request, slug: str, run_id: int):
        return super().post(request, slug, run_id)


class RunRerunApi(RunActionApi):
    action = "rerun"

    @extend_schema(
        operation_id="projects_runs_rerun",
        summary="Run the same clips again with the proposer's current version, as "
        "a new run beside this one",
        request=None,
        responses={
            201: RunOutput,
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            409: OpenApiResponse(RunErrorOutput, description="The run is still running."),
            503: QUEUE_UNAVAILABLE,
        },
    )
    def post(self, request, slug: str, run_id: int):
        return super().post(request, slug, run_id)


class ProposalListApi(GenericAPIView):
    queryset = Proposal.objects.none()
    serializer_class = ProposalOutput

    @extend_schema(
        operation_id="projects_runs_proposals_list",
        summary="A run's proposals by clip name, each with its cues",
        parameters=[status_parameter(Proposal.Status.values)],
        responses={
            200: ProposalOutput(many=True),
            400: _BAD_STATUS,
            403: NOT_SIGNED_IN,
            404: _NOT_FOUND,
        },
    )
    def get(self, request, slug: str, run_id: int):
        project, _ = _project_for_runs(request, slug)
        run = run_get(project=project, run_id=run_id)
        proposal_status, bad = status_filter(request, Proposal.Status.values)
        if bad:
            return bad
        page = self.paginate_queryset(proposals_with_cues(run=run, status=proposal_status))
        return self.get_paginated_response(ProposalOutput(page, many=True).data)


class ProposalDetailApi(GenericAPIView):
    queryset = Proposal.objects.none()
    serializer_class = ProposalOutput

    @extend_schema(
        operation_id="projects_runs_proposals_retrieve",
        summary="A run's proposal for one clip, with its cues",
        responses={
            200: ProposalOutput,
            403: NOT_SIGNED_IN,
            404: OpenApiResponse(
                DetailOutput,
                description=(
                    "No such project, run or clip in the run, not a member, or an "
                    "annotator of a blind project."
                ),
            ),
        },
    )
    def get(self, request, slug: str, run_id: int, name: str):
        project, _ = _project_for_runs(request, slug)
        run = run_get(project=project, run_id=run_id)
        proposal = proposals_with_cues(run=run).filter(clip__name=name).first()
        if proposal is None:
            raise Http404(
                f"Run {run.pk} has no proposal for a clip named {name!r}; "
                f"GET /api/projects/{project.slug}/runs/{run.pk}/proposals/ lists "
                "them."
            )
        return Response(ProposalOutput(proposal).data)


class RunImportOutput(serializers.ModelSerializer):
    # a plain string: an enum here would collide by name with the other "status" enums
    status = serializers.CharField(read_only=True, help_text="Always finished for an import.")
    clips = serializers.SerializerMethodField(help_text="Clips in the file (one proposal each).")
    missing_clips = serializers.SerializerMethodField(
        help_text="Ready clips of the project that the file does not cover (no proposal)."
    )
    cues = serializers.SerializerMethodField(help_text="Cues stored, per modality.")
    format = serializers.SerializerMethodField(help_text="emocue-json, emer-csv or emer-v1-csv.")

    class Meta:
        model = ModelRun
        fields = [
            "id",
            "label",
            "proposer",
            "version",
            "source",
            "source_filename",
            "status",
            "format",
            "clips",
            "missing_clips",
            "cues",
            "created_at",
            "finished_at",
        ]

    def get_clips(self, run: ModelRun) -> int:
        return int(run.parameters.get("clips", 0))

    def get_missing_clips(self, run: ModelRun) -> int:
        return int(run.parameters.get("missing_clips", 0))

    def get_cues(self, run: ModelRun) -> dict[str, int]:
        return dict(run.parameters.get("cues", {}))

    def get_format(self, run: ModelRun) -> str:
        return str(run.parameters.get("format", ""))


class RunImportErrorOutput(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    problems = serializers.ListField(
        child=serializers.CharField(), help_text="Each problem, naming the line or key."
    )
    run = serializers.IntegerField(required=False, help_text="The earlier run (409 only).")


def _error(code: str, detail: str, problems: list[str], http_status: int, **extra) -> Response:
    return Response(
        {"code": code, "detail": detail, "problems": problems, **extra}, status=http_status
    )


class RunImportApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="projects_runs_import",
        summary="Import a model's results as a finished run",
        request={"multipart/form-data": RunImportInput},
        responses={
            201: RunImportOutput,
            400: OpenApiResponse(RunImportErrorOutput, description="The request lacks the file."),
            403: OpenApiResponse(RunImportErrorOutput, description="Not a manager of the project."),
            404: OpenApiResponse(description="No such project (or not a member)."),
            409: OpenApiResponse(
                RunImportErrorOutput,
                description="The same file was imported before; `run` is that run.",
            ),
            413: OpenApiResponse(
                RunImportErrorOutput,
                description="The file is over EMOCUE_MAX_RUN_IMPORT_BYTES, or its cues over "
                "EMOCUE_MAX_CUES_PER_PROPOSAL (one clip) or EMOCUE_MAX_RUN_IMPORT_CUES; "
                "`problems` names the limit.",
            ),
            422: OpenApiResponse(
                RunImportErrorOutput, description="The file cannot be imported; nothing was stored."
            ),
        },
        examples=[
            OpenApiExample(
                "Unknown clip",
                status_codes=["422"],
                response_only=True,
                value={
                    "code": "invalid_file",
                    "detail": "out.json was not imported (1 problem); nothing was stored.",
                    "problems": [
                        "key '00000007': no clip named '00000007' in project 'Pilot'. "
                        "Did you mean 'sample_00000007'? (The names differ by the "
                        "'sample_' prefix, zero padding, case or spaces.)"
                    ],
                },
            )
        ],
    )
    def post(self, request, slug: str):
        project, role = core_selectors.project_get_for_user(slug=slug, user=request.user)
        if role != Membership.Role.MANAGER:
            return _error(
                "forbidden",
                "Only a project manager can import runs.",
                [],
                status.HTTP_403_FORBIDDEN,
            )
        try:
            form = RunImportInput(data=request.data)
        except ParseError as error:
            detail = (
                f"The request body could not be read ({error.detail}); send it as "
                "multipart/form-data."
            )
            return _error("invalid", detail, [detail], status.HTTP_400_BAD_REQUEST)
        if not form.is_valid():
            problems = [
                f"{name}: {' '.join(map(str, errors))}" for name, errors in form.errors.items()
            ]
            return _error(
                "invalid",
                "The request is incomplete: " + "; ".join(problems),
                problems,
                status.HTTP_400_BAD_REQUEST,
            )
        data = form.validated_data
        upload = data["file"]
        services.run_import_size_check(size=upload.size, file_name=upload.name)
        run = services.run_import(
            project=project,
            by=request.user,
            file_name=upload.name,
            data=upload.read(),
            label=data.get("label", ""),
            fmt=data.get("format"),
        )
        return Response(RunImportOutput(run).data, status=status.HTTP_201_CREATED)
