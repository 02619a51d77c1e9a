"""POST /api/projects/<slug>/runs/import/: a model's outside results as a run."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.models import Membership, ModelRun
from annotate.selectors import projects as selectors
from annotate.services import run_imports as services
from annotate.views.run_imports import MAX_IMPORT_BYTES


class RunImportInput(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,
        help_text='EmoCue cue JSON {name: {"visual": [...], "auditory": [...], '
                  '"emotional": [...]}} (cues as strings or {text, kind, start_ms, end_ms}) or '
                  "an EMER-style CSV (name,english; name,chinese,english; "
                  "names,emotions,subtitles,reasons; optional openset). The format is read from "
                  "the content.")
    label = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                  help_text="Default: the file name without its extension.")
    format = serializers.ChoiceField(choices=list(services.FORMATS), required=False,
                                     help_text="Overrides the detection from the content.")


class RunImportOutput(serializers.ModelSerializer):
    # a plain string: an enum here would collide by name with the other "status" enums
    status = serializers.CharField(read_only=True, help_text="Always finished for an import.")
    clips = serializers.SerializerMethodField(help_text="Clips in the file (one proposal each).")
    missing_clips = serializers.SerializerMethodField(
        help_text="Ready clips of the project that the file does not cover (no proposal).")
    cues = serializers.SerializerMethodField(help_text="Cues stored, per modality.")
    format = serializers.SerializerMethodField(help_text="emocue-json, emer-csv or emer-v1-csv.")

    class Meta:
        model = ModelRun
        fields = ["id", "label", "proposer", "version", "source", "source_filename", "status",
                  "format", "clips", "missing_clips", "cues", "created_at", "finished_at"]

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
    problems = serializers.ListField(child=serializers.CharField(),
                                     help_text="Each problem, naming the line or key.")
    run = serializers.IntegerField(required=False, help_text="The earlier run (409 only).")


def _error(code: str, detail: str, problems: list[str], http_status: int, **extra) -> Response:
    return Response({"code": code, "detail": detail, "problems": problems, **extra},
                    status=http_status)


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
                description="The same file was imported before; `run` is that run."),
            413: OpenApiResponse(RunImportErrorOutput, description="The file is over 50 MB."),
            422: OpenApiResponse(RunImportErrorOutput,
                                 description="The file cannot be imported; nothing was stored."),
        },
        examples=[OpenApiExample(
            "Unknown clip", status_codes=["422"], response_only=True,
            value={"code": "invalid_file",
                   "detail": "out.json was not imported (1 problem); nothing was stored.",
                   "problems": ["key '00000007': no clip named '00000007' in project 'Pilot'. "
                                "Did you mean 'sample_00000007'? (The names differ by the "
                                "'sample_' prefix, zero padding, case or spaces.)"]})],
    )
    def post(self, request, slug: str):
        project, role = selectors.project_get_for_user(slug=slug, user=request.user)
        if role != Membership.Role.MANAGER:
            return _error("forbidden", "Only a project manager can import runs.", [],
                          status.HTTP_403_FORBIDDEN)
        try:
            form = RunImportInput(data=request.data)
        except ParseError as error:
            detail = (f"The request body could not be read ({error.detail}); send it as "
                      "multipart/form-data.")
            return _error("invalid", detail, [detail], status.HTTP_400_BAD_REQUEST)
        if not form.is_valid():
            problems = [f"{name}: {' '.join(map(str, errors))}"
                        for name, errors in form.errors.items()]
            return _error("invalid", "The request is incomplete: " + "; ".join(problems), problems,
                          status.HTTP_400_BAD_REQUEST)
        data = form.validated_data
        upload = data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            limit = MAX_IMPORT_BYTES // (1024 * 1024)
            detail = f"{upload.name} is over {limit} MB; split it by clips."
            return _error("too_large", detail, [detail], status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        try:
            run = services.run_import(project=project, by=request.user, file_name=upload.name,
                                      data=upload.read(), label=data.get("label", ""),
                                      fmt=data.get("format"))
        except services.RunImportDuplicate as error:
            return _error("duplicate", error.message, error.problems, status.HTTP_409_CONFLICT,
                          run=error.existing.pk)
        except services.RunImportRejected as error:
            return _error("invalid_file", error.message, error.problems,
                          status.HTTP_422_UNPROCESSABLE_ENTITY)
        return Response(RunImportOutput(run).data, status=status.HTTP_201_CREATED)
