"""Gold sets and their exports over the API. Access mirrors the pages: gold sets for reviewers
and managers, freezing and exports for managers; annotators and non-members get a 404."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
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
from annotate.goldsets import exports as export_services
from annotate.goldsets import selectors as goldset_selectors
from annotate.goldsets import services as goldset_services
from annotate.goldsets.downloads import export_file_response
from annotate.goldsets.inputs import ExportCreateInput, GoldSetFreezeInput
from annotate.goldsets.models import Export, GoldSet, GoldSetItem

VIEW_ROLES = (Membership.Role.REVIEWER, Membership.Role.MANAGER)


MANAGE_ROLES = (Membership.Role.MANAGER,)


def _project_for_goldsets(request, slug: str) -> tuple[Project, str]:
    # Annotators do not see gold sets at all (the pages are a 404 for them too).
    return core_selectors.project_get_for_user(slug=slug, user=request.user, roles=VIEW_ROLES)


def _gold_set(project: Project, version: int) -> GoldSet:
    gold_set = goldset_selectors.goldset_list(project=project).filter(version=version).first()
    if gold_set is None:
        raise Http404(
            f"{project.name} has no gold set version {version}; GET "
            f"/api/projects/{project.slug}/goldsets/ lists them."
        )
    return gold_set


def _export(gold_set: GoldSet, export_id: int) -> Export:
    export = goldset_selectors.export_get(gold_set=gold_set, export_id=export_id)
    if export is None:
        raise Http404(
            f"Version {gold_set.version} has no export {export_id}; GET "
            f"/api/projects/{gold_set.project.slug}/goldsets/{gold_set.version}/"
            "exports/ lists them."
        )
    return export


class GoldSetCountsOutput(serializers.Serializer):
    clips = serializers.IntegerField()
    cues = serializers.DictField(child=serializers.IntegerField(), help_text="Per modality.")
    cues_total = serializers.IntegerField()
    labels = serializers.DictField(
        child=serializers.IntegerField(), help_text="How many clips have each label, most first."
    )
    primary_labels = serializers.DictField(child=serializers.IntegerField())


class GoldSetOutput(serializers.ModelSerializer):
    counts = GoldSetCountsOutput()
    content_sha256 = serializers.CharField(
        help_text="sha256 of the items' canonical JSON (name order; sorted keys, no spaces)."
    )
    frozen_by = serializers.CharField(source="frozen_by.username", allow_null=True, default=None)
    exports = serializers.IntegerField(source="n_exports", help_text="Exports asked for.")
    exports_done = serializers.IntegerField(source="n_exports_done")

    class Meta:
        model = GoldSet
        fields = [
            "version",
            "note",
            "licence",
            "counts",
            "content_sha256",
            "frozen_by",
            "frozen_at",
            "exports",
            "exports_done",
        ]


class GoldSetChangesOutput(serializers.Serializer):
    added = serializers.ListField(child=serializers.CharField())
    removed = serializers.ListField(child=serializers.CharField())
    changed = serializers.ListField(child=serializers.CharField())


class GoldSetDetailOutput(GoldSetOutput):
    changes = serializers.SerializerMethodField(help_text="Clip names against the version before.")
    provenance = serializers.JSONField(
        help_text="Who froze it, each record's version and reviewer, the version before."
    )

    class Meta(GoldSetOutput.Meta):
        fields = [*GoldSetOutput.Meta.fields, "changes", "provenance"]

    @extend_schema_field(GoldSetChangesOutput)
    def get_changes(self, gold_set: GoldSet) -> dict:
        changes = (gold_set.provenance or {}).get("changes") or {}
        return {key: changes.get(key, []) for key in ("added", "removed", "changed")}


class GoldSetItemCueOutput(serializers.Serializer):
    text = serializers.CharField()
    start_ms = serializers.IntegerField(allow_null=True)
    end_ms = serializers.IntegerField(allow_null=True)
    kind = serializers.CharField()


class GoldSetItemOutput(serializers.ModelSerializer):
    cues = serializers.DictField(
        child=GoldSetItemCueOutput(many=True),
        help_text="Per modality (visual, auditory, emotional).",
    )
    labels = serializers.ListField(child=serializers.CharField())
    record = serializers.IntegerField(
        source="record_id", allow_null=True, help_text="The gold record it snapshots (not content)."
    )
    subtitle = serializers.JSONField(
        allow_null=True,
        help_text="The clip's subtitle when frozen: {source (file, manifest, ocr: read from the "
        "picture, manual, none), corrected, text, chinese, segments: [{start_ms, end_ms, text, "
        "confidence}]}; null in versions frozen before subtitles were kept.",
    )

    class Meta:
        model = GoldSetItem
        fields = [
            "name",
            "group_key",
            "cues",
            "labels",
            "primary_label",
            "description",
            "subtitle",
            "record",
            "record_version",
        ]


class ExportOutput(serializers.ModelSerializer):
    version = serializers.IntegerField(source="gold_set.version", help_text="The gold set's.")
    status = serializers.CharField(help_text="pending, running, done or failed.")
    ratios = serializers.SerializerMethodField(help_text="In the order they were given.")
    report = serializers.JSONField(help_text="Clips, groups and labels per split (once done).")
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)

    class Meta:
        model = Export
        fields = [
            "id",
            "version",
            "status",
            "ratios",
            "seed",
            "with_media",
            "sha256",
            "size_bytes",
            "report",
            "error",
            "created_by",
            "created_at",
            "finished_at",
        ]

    @extend_schema_field(serializers.DictField(child=serializers.FloatField()))
    def get_ratios(self, export: Export) -> dict[str, float]:
        return export_services.export_ratios(export)


_NOT_FOUND = OpenApiResponse(
    DetailOutput, description="No such project or version, not a member, or an annotator."
)


_FORBIDDEN = OpenApiResponse(
    RunErrorOutput,
    description="A reviewer: only managers freeze and "
    "export (without credentials DRF "
    "answers with `detail` only).",
)


_EXPORT_NOT_FOUND = OpenApiResponse(
    DetailOutput,
    description=(
        "No such project, version or export of the version, not a member, or an annotator."
    ),
)


def goldset_parameter() -> OpenApiParameter:
    return OpenApiParameter(
        "goldset",
        str,
        description="A frozen version's number, or "
        '"working" (the default): the final '
        "gold records as they are now.",
    )


class GoldSetListApi(GenericAPIView):
    queryset = GoldSet.objects.none()
    serializer_class = GoldSetOutput

    @extend_schema(
        operation_id="projects_goldsets_list",
        summary="A project's frozen gold set versions, newest first",
        responses={200: GoldSetOutput(many=True), 403: NOT_SIGNED_IN, 404: _NOT_FOUND},
    )
    def get(self, request, slug: str):
        project, _ = _project_for_goldsets(request, slug)
        page = self.paginate_queryset(goldset_selectors.goldset_list(project=project))
        return self.get_paginated_response(GoldSetOutput(page, many=True).data)

    @extend_schema(
        operation_id="projects_goldsets_freeze",
        summary="Freeze the project's final gold records as the next version",
        request=GoldSetFreezeInput,
        responses={
            201: GoldSetDetailOutput,
            400: OpenApiResponse(
                RunErrorOutput, description="A body that is not JSON, or fields of the wrong type."
            ),
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            409: OpenApiResponse(
                RunErrorOutput,
                description=(
                    "Refused, with the reason: no final gold record yet, nothing changed "
                    "since the last version, a note or licence too long, or the number taken "
                    "by a freeze at the same moment."
                ),
            ),
        },
        examples=[
            OpenApiExample(
                "Pilot", request_only=True, value={"note": "pilot", "licence": "CC-BY-NC-4.0"}
            )
        ],
    )
    def post(self, request, slug: str):
        project, role = _project_for_goldsets(request, slug)
        if role not in MANAGE_ROLES:
            return managers_only_response("freeze a gold set version")
        body, unreadable = request_body(request, '{"note": "pilot"}')
        if unreadable:
            return unreadable
        form = GoldSetFreezeInput(data=body)
        if not form.is_valid():
            return invalid_response(form.errors)
        gold_set = goldset_services.goldset_freeze(
            project=project,
            by=request.user,
            note=form.validated_data["note"],
            licence=form.validated_data["licence"],
        )
        return Response(
            GoldSetDetailOutput(_gold_set(project, gold_set.version)).data,
            status=status.HTTP_201_CREATED,
        )


class GoldSetDetailApi(GenericAPIView):
    queryset = GoldSet.objects.none()
    serializer_class = GoldSetDetailOutput

    @extend_schema(
        operation_id="projects_goldsets_retrieve",
        summary="One frozen version: counts, content hash, changes and provenance",
        responses={200: GoldSetDetailOutput, 403: NOT_SIGNED_IN, 404: _NOT_FOUND},
    )
    def get(self, request, slug: str, version: int):
        project, _ = _project_for_goldsets(request, slug)
        return Response(GoldSetDetailOutput(_gold_set(project, version)).data)


class GoldSetItemListApi(GenericAPIView):
    queryset = GoldSetItem.objects.none()
    serializer_class = GoldSetItemOutput

    @extend_schema(
        operation_id="projects_goldsets_items_list",
        summary="A frozen version's items (one per clip, by name): the frozen content",
        responses={200: GoldSetItemOutput(many=True), 403: NOT_SIGNED_IN, 404: _NOT_FOUND},
    )
    def get(self, request, slug: str, version: int):
        project, _ = _project_for_goldsets(request, slug)
        gold_set = _gold_set(project, version)
        page = self.paginate_queryset(goldset_selectors.goldset_items_list(gold_set=gold_set))
        return self.get_paginated_response(GoldSetItemOutput(page, many=True).data)


class ExportListApi(GenericAPIView):
    queryset = Export.objects.none()
    serializer_class = ExportOutput

    @extend_schema(
        operation_id="projects_goldsets_exports_list",
        summary="A version's exports, newest first",
        responses={200: ExportOutput(many=True), 403: NOT_SIGNED_IN, 404: _NOT_FOUND},
    )
    def get(self, request, slug: str, version: int):
        project, _ = _project_for_goldsets(request, slug)
        gold_set = _gold_set(project, version)
        page = self.paginate_queryset(goldset_selectors.goldset_exports_list(gold_set=gold_set))
        return self.get_paginated_response(ExportOutput(page, many=True).data)

    @extend_schema(
        operation_id="projects_goldsets_exports_create",
        summary="Ask for an export: the split is checked now, the zip is built by a worker "
        "(poll the export until its status is done)",
        request=ExportCreateInput,
        responses={
            202: ExportOutput,
            400: OpenApiResponse(
                RunErrorOutput,
                description="A body that is not JSON, or ratios that are not numbers.",
            ),
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            422: OpenApiResponse(
                RunErrorOutput, description="A split the splitter refuses, with its message."
            ),
            503: QUEUE_UNAVAILABLE,
        },
        examples=[
            OpenApiExample(
                "Three splits",
                request_only=True,
                value={"ratios": {"train": 0.8, "val": 0.1, "test": 0.1}, "seed": 0},
            )
        ],
    )
    def post(self, request, slug: str, version: int):
        project, role = _project_for_goldsets(request, slug)
        gold_set = _gold_set(project, version)
        if role not in MANAGE_ROLES:
            return managers_only_response("export a gold set version")
        body, unreadable = request_body(
            request, '{"ratios": {"train": 0.8, "test": 0.2}, "seed": 0}'
        )
        if unreadable:
            return unreadable
        form = ExportCreateInput(data=body)
        if not form.is_valid():
            return invalid_response(form.errors)
        export = export_services.export_create(
            gold_set=gold_set,
            ratios=form.validated_data["ratios"],
            seed=form.validated_data["seed"],
            by=request.user,
            with_media=form.validated_data["with_media"],
        )
        return Response(ExportOutput(export).data, status=status.HTTP_202_ACCEPTED)


class ExportDetailApi(GenericAPIView):
    queryset = Export.objects.none()
    serializer_class = ExportOutput

    @extend_schema(
        operation_id="projects_goldsets_exports_retrieve",
        summary="An export: its status, and once done the zip's sha256, size and the split report",
        responses={200: ExportOutput, 403: NOT_SIGNED_IN, 404: _EXPORT_NOT_FOUND},
    )
    def get(self, request, slug: str, version: int, export_id: int):
        project, _ = _project_for_goldsets(request, slug)
        return Response(ExportOutput(_export(_gold_set(project, version), export_id)).data)


class ExportDownloadApi(GenericAPIView):
    queryset = Export.objects.none()
    serializer_class = ExportOutput

    def perform_content_negotiation(self, request, force=False):
        # A client asking for the zip (Accept: application/zip) still gets errors as JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="projects_goldsets_exports_download",
        summary="The export's zip (an attachment; its sha256 is the export's)",
        responses={
            (200, "application/zip"): OpenApiTypes.BINARY,
            403: NOT_SIGNED_IN,
            404: OpenApiResponse(
                DetailOutput,
                description=(
                    "No such project, version or export, not a member, an annotator, or "
                    "the zip is no longer in storage."
                ),
            ),
            409: OpenApiResponse(
                RunErrorOutput, description="The export is not built (yet, or it failed)."
            ),
        },
    )
    def get(self, request, slug: str, version: int, export_id: int):
        project, _ = _project_for_goldsets(request, slug)
        gold_set = _gold_set(project, version)
        export = _export(gold_set, export_id)
        return export_file_response(project=project, gold_set=gold_set, export=export)
