"""Clips over the API: list, upload (multipart; probed with ffprobe before anything is stored),
read one, retry a failed ingestion. A clip's audit history is review's (annotate/review/api.py):
in a blind project it names the annotators as the review screen does."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.clips import selectors as clips_selectors
from annotate.clips import services as clip_services
from annotate.clips.models import Clip
from annotate.core import selectors as core_selectors
from annotate.core.api_errors import (
    NO_PROJECT_DOC,
    NOT_SIGNED_IN,
    QUEUE_UNAVAILABLE,
    DetailOutput,
    ErrorOutput,
    RunErrorOutput,
    form_invalid_response,
    multipart_unreadable_response,
    not_found_doc,
)
from annotate.core.display_names import DisplayNameValidator
from annotate.core.models import MANAGER_ROLES, Membership


class ClipOutput(serializers.ModelSerializer):
    fps = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Clip
        fields = [
            "id",
            "name",
            "original_filename",
            "sha256",
            "size_bytes",
            "status",
            "error_code",
            "error",
            "duration_ms",
            "fps",
            "fps_num",
            "fps_den",
            "frame_count",
            "width",
            "height",
            "start_ms",
            "video_codec",
            "has_audio",
            "audio_codec",
            "subtitle_format",
            "group_key",
            "created_at",
            "ingested_at",
        ]


class ClipDetailOutput(ClipOutput):
    media = serializers.SerializerMethodField()
    metadata = serializers.SerializerMethodField(
        help_text="The import manifest's other columns for this clip (a source dataset's "
        "label among them). Managers only: for everyone else it is null, so that annotators "
        "and reviewers are not anchored on the source's label."
    )

    class Meta(ClipOutput.Meta):
        fields = [
            *ClipOutput.Meta.fields,
            "subtitle_text",
            "subtitle_segments",
            "metadata",
            "media",
            "frames",
            "thumb_times_ms",
            "proxy_mode",
        ]

    @extend_schema_field({"type": "object", "additionalProperties": True, "nullable": True})
    def get_metadata(self, clip: Clip) -> dict | None:
        return clip.metadata if self.context.get("role") in MANAGER_ROLES else None

    def get_media(self, clip: Clip) -> dict[str, str | None]:
        def url(name: str) -> str | None:
            return f"/media/{name}" if name else None

        return {
            "proxy": url(clip.proxy),
            "audio": url(clip.audio),
            "peaks": url(clip.peaks),
            "thumbs": url(clip.thumbs),
        }


class ClipUploadInput(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True, help_text="The video; validated with ffprobe, not by extension."
    )
    subtitle = serializers.FileField(required=False, help_text="SRT, WebVTT or plain text.")
    name = serializers.CharField(
        required=False,
        max_length=200,
        validators=[DisplayNameValidator("A clip name")],
        help_text="Default: the file's name without its extension.",
    )
    group_key = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        validators=[DisplayNameValidator("A group key")],
    )


class ClipListApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses={200: ClipOutput(many=True), 404: NO_PROJECT_DOC})
    def get(self, request, slug: str):
        project, _ = core_selectors.project_get_for_user(slug=slug, user=request.user)
        clips = clips_selectors.clip_list(
            project=project, status=request.query_params.get("status")
        )
        return Response(ClipOutput(clips, many=True).data)

    @extend_schema(
        request={"multipart/form-data": ClipUploadInput},
        responses={
            201: ClipOutput,
            400: ErrorOutput,
            403: ErrorOutput,
            404: NO_PROJECT_DOC,
            409: ErrorOutput,
            413: ErrorOutput,
            422: ErrorOutput,
            503: QUEUE_UNAVAILABLE,
        },
    )
    def post(self, request, slug: str):
        project, role = core_selectors.project_get_for_user(slug=slug, user=request.user)
        if role != Membership.Role.MANAGER:
            return Response(
                {"code": "forbidden", "detail": "Only a project manager can upload clips."},
                status=status.HTTP_403_FORBIDDEN,
            )
        try:
            form = ClipUploadInput(data=request.data)
        except ParseError as error:
            return multipart_unreadable_response(error)
        if not form.is_valid():
            return form_invalid_response(form)
        data = form.validated_data
        upload, subtitle = data["file"], data.get("subtitle")
        clip = clip_services.clip_create(
            project=project,
            source=upload,
            filename=upload.name,
            name=data.get("name"),
            subtitle=clip_services.subtitle_upload_read(subtitle) if subtitle else None,
            subtitle_filename=subtitle.name if subtitle else "",
            group_key=data.get("group_key", ""),
            created_by=request.user,
        )
        return Response(ClipOutput(clip).data, status=status.HTTP_201_CREATED)


class ClipDetailApi(APIView):
    @extend_schema(
        responses={
            200: ClipDetailOutput,
            404: OpenApiResponse(DetailOutput, description="No such project or clip."),
        }
    )
    def get(self, request, slug: str, name: str):
        project, role = core_selectors.project_get_for_user(slug=slug, user=request.user)
        clip = clips_selectors.clip_get(project=project, name=name)
        return Response(ClipDetailOutput(clip, context={"role": role}).data)

    @extend_schema(
        operation_id="projects_clips_destroy",
        summary="Delete a clip with its media, proposals and annotations (managers)",
        responses={
            204: None,
            404: OpenApiResponse(
                DetailOutput, description="No such project or clip, or not a manager."
            ),
        },
    )
    def delete(self, request, slug: str, name: str):
        project, _ = core_selectors.project_get_for_user(
            slug=slug, user=request.user, roles=(Membership.Role.MANAGER,)
        )
        clip_services.clip_delete(clip=clips_selectors.clip_get(project=project, name=name))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ClipRetryApi(GenericAPIView):
    serializer_class = ClipOutput

    @extend_schema(
        operation_id="projects_clips_retry",
        summary="Queue a failed clip's ingestion again (managers)",
        request=None,
        responses={
            202: ClipOutput,
            403: NOT_SIGNED_IN,
            404: not_found_doc(" or clip"),
            409: OpenApiResponse(RunErrorOutput, description="The clip has not failed."),
            503: QUEUE_UNAVAILABLE,
        },
    )
    def post(self, request, slug: str, name: str):
        project, _ = core_selectors.project_get_for_user(
            slug=slug, user=request.user, roles=MANAGER_ROLES
        )
        clip = clips_selectors.clip_get(project=project, name=name)
        clip = clip_services.clip_ingest_retry(clip=clip)
        return Response(ClipOutput(clip).data, status=status.HTTP_202_ACCEPTED)
