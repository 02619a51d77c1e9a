"""Clips over the API: list, upload (multipart; probed with ffprobe before anything is stored),
read one, retry a failed ingestion, and a clip's subtitle: read it (with where it came from and
the state of reading it from the picture), correct it, replace it with a file, or have it read
from the picture again (managers). A clip's audit history is review's (annotate/review/api.py):
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
from annotate.clips import subtitles as subtitle_services
from annotate.clips.inputs import SubtitleCorrectInput, SubtitleFileInput
from annotate.clips.models import Clip
from annotate.core import selectors as core_selectors
from annotate.core.api_errors import (
    NO_PROJECT_DOC,
    NOT_SIGNED_IN,
    OVER_LIMIT,
    QUEUE_UNAVAILABLE,
    DetailOutput,
    ErrorOutput,
    RunErrorOutput,
    form_invalid_response,
    invalid_response,
    managers_only_response,
    multipart_unreadable_response,
    not_found_doc,
    request_body,
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
            "subtitle_source",
            "subtitle_ocr_status",
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
            "subtitle_chinese",
            "subtitle_segments",
            "subtitle_version",
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


class SubtitleSegmentOutput(serializers.Serializer):
    start_ms = serializers.IntegerField()
    end_ms = serializers.IntegerField()
    text = serializers.CharField()
    confidence = serializers.FloatField(
        allow_null=True,
        help_text="The reading's confidence (0-1) for a segment read from the picture; null "
        "for one from a file or whose words a manager wrote.",
    )


class SubtitleReadingOutput(serializers.Serializer):
    status = serializers.CharField(
        help_text="pending, running, done or failed; empty when the subtitle was never asked "
        "to be read from the picture (it had a file or manifest text)."
    )
    progress = serializers.FloatField(help_text="0 to 1 while running.")
    error = serializers.CharField(help_text="Why it failed; the clip is usable regardless.")
    finished_at = serializers.DateTimeField(allow_null=True)
    settings = serializers.DictField(
        help_text="What read it: the OCR engine and its models, the sampling rate and the "
        "thresholds (inference.ocr.ocr_settings); empty before a reading is stored."
    )


class SubtitleOutput(serializers.Serializer):
    """A clip's subtitle, where it came from, and the state of reading it from the picture."""

    clip = serializers.CharField(source="name")
    source = serializers.CharField(
        source="subtitle_source",
        help_text="file, manifest, ocr (read from the picture), manual (typed by a manager), "
        "or empty: no subtitle.",
    )
    format = serializers.CharField(
        source="subtitle_format", help_text="srt, vtt or text for a file or manifest text."
    )
    text = serializers.CharField(source="subtitle_text", help_text="The whole subtitle.")
    chinese = serializers.CharField(
        source="subtitle_chinese",
        help_text="The manifest's chinese text beside an english subtitle (empty otherwise).",
    )
    segments = serializers.SerializerMethodField()
    version = serializers.IntegerField(
        source="subtitle_version", help_text="Send it with a correction."
    )
    corrected_at = serializers.DateTimeField(
        source="subtitle_corrected_at",
        allow_null=True,
        help_text="When a manager last corrected it by hand.",
    )
    reading = serializers.SerializerMethodField()

    @extend_schema_field(SubtitleSegmentOutput(many=True))
    def get_segments(self, clip: Clip) -> list[dict]:
        return [
            {
                "start_ms": s["start_ms"],
                "end_ms": s["end_ms"],
                "text": s["text"],
                "confidence": s.get("confidence"),
            }
            for s in clip.subtitle_segments
        ]

    @extend_schema_field(SubtitleReadingOutput)
    def get_reading(self, clip: Clip) -> dict:
        return {
            "status": clip.subtitle_ocr_status,
            "progress": clip.subtitle_ocr_progress,
            "error": clip.subtitle_ocr_error,
            "finished_at": clip.subtitle_ocr_at,
            "settings": clip.subtitle_ocr_settings,
        }


_SUBTITLE_NOT_FOUND = not_found_doc(" or clip")
_SUBTITLE_FORBIDDEN = OpenApiResponse(
    RunErrorOutput,
    description="A member who is not a manager: only managers change a subtitle (without "
    "credentials DRF answers with `detail` only).",
)


def _subtitle_clip(request, slug: str, name: str, *, action: str | None = None):
    """The clip, and for a write (action named), a 403 answer for members who do not manage."""
    project, role = core_selectors.project_get_for_user(slug=slug, user=request.user)
    clip = clips_selectors.clip_get(project=project, name=name)
    if action is not None and role not in MANAGER_ROLES:
        return clip, managers_only_response(action)
    return clip, None


class ClipSubtitleApi(GenericAPIView):
    serializer_class = SubtitleOutput
    # DRF's OPTIONS description of a PUT looks the object up by pk, which this route has not.
    metadata_class = None

    @extend_schema(
        operation_id="projects_clips_subtitle_retrieve",
        summary="A clip's subtitle, its source, and the state of reading it from the picture",
        responses={200: SubtitleOutput, 403: NOT_SIGNED_IN, 404: _SUBTITLE_NOT_FOUND},
    )
    def get(self, request, slug: str, name: str):
        clip, _ = _subtitle_clip(request, slug, name)
        return Response(SubtitleOutput(clip).data)

    @extend_schema(
        operation_id="projects_clips_subtitle_update",
        summary="Correct a clip's subtitle: its segments' text and times, or an untimed text "
        "(managers)",
        request=SubtitleCorrectInput,
        responses={
            200: SubtitleOutput,
            400: OpenApiResponse(
                RunErrorOutput,
                description="A malformed correction (a segment that ends before it starts or "
                "after the clip, blank text, an unknown field, both or neither of segments and "
                "text): the detail names it; nothing is stored.",
            ),
            403: _SUBTITLE_FORBIDDEN,
            404: _SUBTITLE_NOT_FOUND,
            409: OpenApiResponse(
                RunErrorOutput,
                description="`stale`: the subtitle changed since the version you sent.",
            ),
            413: OVER_LIMIT,
        },
    )
    def put(self, request, slug: str, name: str):
        clip, forbidden = _subtitle_clip(request, slug, name, action="correct a subtitle")
        if forbidden:
            return forbidden
        body, unreadable = request_body(
            request,
            '{"version": 2, "segments": [{"start_ms": 0, "end_ms": 1500, "text": "你好"}]}',
        )
        if unreadable:
            return unreadable
        form = SubtitleCorrectInput(data=body)
        if not form.is_valid():
            return invalid_response(form.errors)
        data = form.validated_data
        clip = subtitle_services.clip_subtitle_correct(
            clip=clip,
            by=request.user,
            version=data["version"],
            segments=data.get("segments"),
            text=data.get("text"),
            chinese=data.get("chinese"),
        )
        return Response(SubtitleOutput(clip).data)


class ClipSubtitleFileApi(GenericAPIView):
    serializer_class = SubtitleOutput
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="projects_clips_subtitle_file",
        summary="Replace a clip's subtitle with an SRT, WebVTT or text file (managers)",
        request={"multipart/form-data": SubtitleFileInput},
        responses={
            200: SubtitleOutput,
            400: OpenApiResponse(RunErrorOutput, description="No file, or an unreadable body."),
            403: _SUBTITLE_FORBIDDEN,
            404: _SUBTITLE_NOT_FOUND,
            413: OpenApiResponse(
                ErrorOutput, description="Over EMOCUE_MAX_SUBTITLE_BYTES or _CUES."
            ),
            422: OpenApiResponse(
                ErrorOutput,
                description="`subtitle`: the file cannot be read; the detail names the cue and "
                "line. Nothing is stored.",
            ),
        },
    )
    def post(self, request, slug: str, name: str):
        clip, forbidden = _subtitle_clip(request, slug, name, action="replace a subtitle")
        if forbidden:
            return forbidden
        try:
            form = SubtitleFileInput(data=request.data)
        except ParseError as error:
            return multipart_unreadable_response(error)
        if not form.is_valid():
            return invalid_response(form.errors)
        upload = form.validated_data["file"]
        clip = subtitle_services.clip_subtitle_replace(
            clip=clip,
            by=request.user,
            data=clip_services.subtitle_upload_read(upload),
            filename=upload.name or "",
        )
        return Response(SubtitleOutput(clip).data)


class ClipSubtitleReadApi(GenericAPIView):
    serializer_class = SubtitleOutput

    @extend_schema(
        operation_id="projects_clips_subtitle_read",
        summary="Read a clip's subtitle from the picture again; what is read replaces the "
        "current subtitle (managers)",
        request=None,
        responses={
            202: SubtitleOutput,
            403: _SUBTITLE_FORBIDDEN,
            404: _SUBTITLE_NOT_FOUND,
            409: OpenApiResponse(
                RunErrorOutput,
                description="`not_ready`: the clip is not ingested; `conflict`: a reading is "
                "already queued or running.",
            ),
            503: QUEUE_UNAVAILABLE,
        },
    )
    def post(self, request, slug: str, name: str):
        clip, forbidden = _subtitle_clip(
            request, slug, name, action="have a subtitle read from the picture"
        )
        if forbidden:
            return forbidden
        clip = subtitle_services.clip_subtitle_read_request(clip=clip, by=request.user)
        return Response(SubtitleOutput(clip).data, status=status.HTTP_202_ACCEPTED)
