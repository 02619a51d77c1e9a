from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.api import serializers as s
from annotate.api.common import QUEUE_UNAVAILABLE, DetailOutput
from annotate.models import Membership, ScoreJob
from annotate.selectors import projects as selectors
from annotate.services import clips as clip_services
from annotate.services import scores as score_services

_REJECT_STATUS = {"duplicate": 409, "name_taken": 409, "too_large": 413}
_NO_PROJECT = OpenApiResponse(DetailOutput, description="No such project (or not a member).")


def _unreadable(error: ParseError) -> Response:
    detail = f"The request body could not be read ({error.detail}); send it as multipart/form-data."
    return Response({"code": "invalid", "detail": detail}, status=status.HTTP_400_BAD_REQUEST)


def _invalid(form) -> Response:
    detail = "; ".join(f"{field}: {' '.join(map(str, errors))}" for field, errors in form.errors.items())
    return Response({"code": "invalid", "detail": detail}, status=status.HTTP_400_BAD_REQUEST)


class ClipListApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses={200: s.ClipOutput(many=True), 404: _NO_PROJECT})
    def get(self, request, slug: str):
        project, _ = selectors.project_get_for_user(slug=slug, user=request.user)
        clips = selectors.clip_list(project=project, status=request.query_params.get("status"))
        return Response(s.ClipOutput(clips, many=True).data)

    @extend_schema(
        request={"multipart/form-data": s.ClipUploadInput},
        responses={201: s.ClipOutput, 400: s.ErrorOutput, 403: s.ErrorOutput,
                   404: _NO_PROJECT,
                   409: s.ErrorOutput, 413: s.ErrorOutput, 422: s.ErrorOutput,
                   503: QUEUE_UNAVAILABLE},
    )
    def post(self, request, slug: str):
        project, role = selectors.project_get_for_user(slug=slug, user=request.user)
        if role != Membership.Role.MANAGER:
            return Response({"code": "forbidden", "detail": "Only a project manager can upload clips."},
                            status=status.HTTP_403_FORBIDDEN)
        try:
            form = s.ClipUploadInput(data=request.data)
        except ParseError as error:
            return _unreadable(error)
        if not form.is_valid():
            return _invalid(form)
        data = form.validated_data
        upload, subtitle = data["file"], data.get("subtitle")
        try:
            clip = clip_services.clip_create(
                project=project, source=upload, filename=upload.name, name=data.get("name"),
                subtitle=subtitle.read() if subtitle else None,
                subtitle_filename=subtitle.name if subtitle else "",
                group_key=data.get("group_key", ""), created_by=request.user,
            )
        except clip_services.ClipRejected as error:
            return Response({"code": error.code, "detail": error.message, "filename": error.filename},
                            status=_REJECT_STATUS.get(error.code, 422))
        return Response(s.ClipOutput(clip).data, status=status.HTTP_201_CREATED)


class ClipDetailApi(APIView):
    @extend_schema(responses={
        200: s.ClipDetailOutput,
        404: OpenApiResponse(DetailOutput, description="No such project or clip.")})
    def get(self, request, slug: str, name: str):
        project, _ = selectors.project_get_for_user(slug=slug, user=request.user)
        clip = selectors.clip_get(project=project, name=name)
        return Response(s.ClipDetailOutput(clip).data)

    @extend_schema(operation_id="projects_clips_destroy",
                   summary="Delete a clip with its media, proposals and annotations (managers)",
                   responses={204: None, 404: OpenApiResponse(
                       DetailOutput, description="No such project or clip, or not a manager.")})
    def delete(self, request, slug: str, name: str):
        project, _ = selectors.project_get_for_user(slug=slug, user=request.user,
                                                    roles=(Membership.Role.MANAGER,))
        clip_services.clip_delete(clip=selectors.clip_get(project=project, name=name))
        return Response(status=status.HTTP_204_NO_CONTENT)


SCORE_ROLES = (Membership.Role.MANAGER, Membership.Role.REVIEWER)
_MAX_CUE_FILE_BYTES = 50 * 1024 * 1024


class ScoreJobListApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses={200: s.ScoreJobOutput(many=True), 404: _NO_PROJECT})
    def get(self, request, slug: str):
        project, _ = selectors.project_get_for_user(slug=slug, user=request.user)
        jobs = ScoreJob.objects.filter(project=project).defer("gold", "predicted", "result")
        return Response(s.ScoreJobOutput(jobs, many=True).data)

    @extend_schema(
        request={"multipart/form-data": s.ScoreJobInput},
        responses={202: s.ScoreJobOutput, 400: s.ErrorOutput, 403: s.ErrorOutput,
                   404: _NO_PROJECT,
                   413: s.ErrorOutput, 422: s.ErrorOutput,
                   503: QUEUE_UNAVAILABLE},
    )
    def post(self, request, slug: str):
        project, role = selectors.project_get_for_user(slug=slug, user=request.user)
        if role not in SCORE_ROLES:
            return Response({"code": "forbidden", "detail": "Only managers and reviewers can score runs."},
                            status=status.HTTP_403_FORBIDDEN)
        try:
            form = s.ScoreJobInput(data=request.data)
        except ParseError as error:
            return _unreadable(error)
        if not form.is_valid():
            return _invalid(form)
        data = form.validated_data
        for key in ("gold", "predicted"):
            if data[key].size > _MAX_CUE_FILE_BYTES:
                return Response({"code": "too_large", "detail": f"{data[key].name} is over 50 MB."},
                                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        try:
            job = score_services.score_job_create(
                project=project, gold=data["gold"].read(), predicted=data["predicted"].read(),
                gold_filename=data["gold"].name, predicted_filename=data["predicted"].name,
                label=data.get("label", ""), mode=data["mode"], variants=sorted(data.get("variants", [])),
                tau=data["tau"], ci=data["ci"], created_by=request.user,
            )
        except score_services.ScoreRejected as error:
            return Response({"code": "invalid_cues", "detail": error.message},
                            status=status.HTTP_422_UNPROCESSABLE_ENTITY)
        return Response(s.ScoreJobOutput(job).data, status=status.HTTP_202_ACCEPTED)


class ScoreJobDetailApi(APIView):
    @extend_schema(responses={
        200: s.ScoreJobDetailOutput,
        404: OpenApiResponse(DetailOutput, description="No such project or score job.")})
    def get(self, request, slug: str, job_id: int):
        project, _ = selectors.project_get_for_user(slug=slug, user=request.user)
        job = ScoreJob.objects.filter(project=project, pk=job_id).first()
        if job is None:
            raise Http404("No such score job.")
        return Response(s.ScoreJobDetailOutput(job).data)
