"""Annotating over the API: an annotator's own annotations and cues (list, next, open, read,
save labels, submit, undo; add, edit, retime, accept, reject, delete cues, each with its
version), and the manager's assignment slots (list, reassign, release). Owners only: anything
else is a 404."""

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from annotate.annotation import assignments as assignment_services
from annotate.annotation import selectors, services
from annotate.annotation import selectors as assignment_selectors
from annotate.annotation.inputs import (
    AnnotationChangeInput,
    AssignmentReassignInput,
    AssignmentReleaseInput,
    CueAddInput,
    CueChangeInput,
    CueRejectInput,
    CueVersionInput,
    VersionInput,
)
from annotate.annotation.models import Annotation, Assignment
from annotate.clips import selectors as clips_selectors
from annotate.core import selectors as core_selectors
from annotate.core.api_errors import (
    NOT_SIGNED_IN,
    OVER_LIMIT,
    DetailOutput,
    RunErrorOutput,
    error_response,
    invalid_response,
    not_found_doc,
    request_body,
    status_filter,
    status_parameter,
    unreadable_response,
)
from annotate.core.models import MANAGER_ROLES, Membership
from annotate.runs.models import Cue


class AssignmentOutput(serializers.ModelSerializer):
    clip = serializers.CharField(source="clip.name", read_only=True)
    slot = serializers.SerializerMethodField(help_text="1-based, as on the board.")
    status = serializers.CharField(read_only=True, help_text="open, leased or done.")
    annotator = serializers.CharField(
        source="annotator.username", read_only=True, allow_null=True, default=None
    )
    assigned_by = serializers.CharField(
        source="assigned_by.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Assignment
        fields = (
            "id",
            "clip",
            "slot",
            "status",
            "annotator",
            "leased_at",
            "lease_expires_at",
            "completed_at",
            "assigned_by",
            "version",
        )

    def get_slot(self, assignment: Assignment) -> int:
        return assignment.slot + 1


_SLOT_REFUSALS = {
    400: OpenApiResponse(
        RunErrorOutput,
        description="A missing or malformed field, or `to` is not a member of the project.",
    ),
    409: OpenApiResponse(
        RunErrorOutput, description="The slot changed since you read it (`stale`: read it again)."
    ),
    422: OpenApiResponse(
        RunErrorOutput,
        description="The move is not possible (e.g. the annotator "
        "already holds a slot of the clip).",
    ),
}


class AssignmentListApi(GenericAPIView):
    queryset = Assignment.objects.none()
    serializer_class = AssignmentOutput

    @extend_schema(
        operation_id="projects_assignments_list",
        summary="Every clip's annotator slots, by clip and slot (managers)",
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=Assignment.Status.values,
                description="Only slots with this status.",
            )
        ],
        responses={
            200: AssignmentOutput(many=True),
            400: OpenApiResponse(RunErrorOutput, description="Unknown status."),
            403: NOT_SIGNED_IN,
            404: not_found_doc(""),
        },
    )
    def get(self, request, slug: str):
        project, _ = core_selectors.project_get_for_user(
            slug=slug, user=request.user, roles=MANAGER_ROLES
        )
        wanted = request.query_params.get("status") or None
        if wanted is not None and wanted not in Assignment.Status.values:
            return error_response(
                "invalid",
                f"status must be one of {', '.join(Assignment.Status.values)}; got {wanted!r}.",
                status.HTTP_400_BAD_REQUEST,
            )
        assignment_services.assignment_slots_ensure(project=project)
        slots = assignment_selectors.assignment_list(project=project, status=wanted)
        page = self.paginate_queryset(slots)
        return self.get_paginated_response(AssignmentOutput(page, many=True).data)


class _SlotChangeApi(GenericAPIView):
    queryset = Assignment.objects.none()
    serializer_class = AssignmentOutput
    form_class: type[serializers.Serializer] = AssignmentReleaseInput

    def change(self, request, project, assignment, data) -> Assignment:
        raise NotImplementedError

    def post(self, request, slug: str, assignment_id: int):
        project, _ = core_selectors.project_get_for_user(
            slug=slug, user=request.user, roles=MANAGER_ROLES
        )
        assignment = assignment_selectors.assignment_get(
            project=project, assignment_id=assignment_id
        )
        try:
            form = self.form_class(data=request.data)
        except ParseError as error:
            return unreadable_response(error, '{"version": 3}')
        if not form.is_valid():
            detail = (
                "; ".join(
                    f"{field}: {' '.join(map(str, errors)).rstrip('.')}"
                    for field, errors in form.errors.items()
                )
                + "."
            )
            return error_response("invalid", detail, status.HTTP_400_BAD_REQUEST)
        slot = self.change(request, project, assignment, form.validated_data)
        if isinstance(slot, Response):
            return slot
        slot = assignment_selectors.assignment_get(project=project, assignment_id=slot.pk)
        return Response(AssignmentOutput(slot).data)


class AssignmentReassignApi(_SlotChangeApi):
    form_class = AssignmentReassignInput

    def change(self, request, project, assignment, data):
        to_user = assignment_selectors.assignment_member_by_username(
            project=project, username=data["to"]
        )
        if to_user is None:
            return error_response(
                "invalid",
                f"to: {data['to']!r} is not a member of this project.",
                status.HTTP_400_BAD_REQUEST,
            )
        return assignment_services.assignment_reassign(
            assignment=assignment,
            to_user=to_user,
            by=request.user,
            expected_version=data["version"],
        )

    @extend_schema(
        operation_id="projects_assignments_reassign",
        summary="Give a slot to another annotator (managers); their draft starts "
        "from the slot's clip",
        request=AssignmentReassignInput,
        responses={
            200: AssignmentOutput,
            403: NOT_SIGNED_IN,
            404: not_found_doc(" or slot"),
            **_SLOT_REFUSALS,
        },
    )
    def post(self, request, slug: str, assignment_id: int):
        return super().post(request, slug, assignment_id)


class AssignmentReleaseApi(_SlotChangeApi):
    form_class = AssignmentReleaseInput

    def change(self, request, project, assignment, data):
        return assignment_services.assignment_release(
            assignment=assignment, by=request.user, expected_version=data["version"]
        )

    @extend_schema(
        operation_id="projects_assignments_release",
        summary="Open a slot again (managers); the previous holder's draft is kept",
        request=AssignmentReleaseInput,
        responses={
            200: AssignmentOutput,
            403: NOT_SIGNED_IN,
            404: not_found_doc(" or slot"),
            **_SLOT_REFUSALS,
        },
    )
    def post(self, request, slug: str, assignment_id: int):
        return super().post(request, slug, assignment_id)


LIST_OTHERS_ROLES = (Membership.Role.MANAGER, Membership.Role.REVIEWER)


class CueCountsOutput(serializers.Serializer):
    total = serializers.IntegerField()
    proposed = serializers.IntegerField(help_text="Still need a decision before submitting.")
    accepted = serializers.IntegerField()
    edited = serializers.IntegerField()
    rejected = serializers.IntegerField()


class AnnotationCueOutput(serializers.ModelSerializer):
    modality = serializers.CharField(read_only=True, help_text="visual, auditory or emotional.")
    origin = serializers.CharField(
        read_only=True, help_text="model (proposed to you) or human (your own)."
    )
    decision = serializers.CharField(
        read_only=True, help_text="proposed, accepted, edited or rejected."
    )

    class Meta:
        model = Cue
        fields = [
            "id",
            "modality",
            "kind",
            "text",
            "start_ms",
            "end_ms",
            "origin",
            "decision",
            "reject_reason",
            "version",
        ]


def _counts(per_decision: dict[str, int]) -> dict[str, int]:
    counts = {decision: per_decision.get(decision, 0) for decision in Cue.Decision.values}
    return {"total": sum(per_decision.values()), **counts}


class AnnotationSummaryOutput(serializers.ModelSerializer):
    clip = serializers.CharField(source="clip.name", read_only=True, help_text="The clip's name.")
    annotator = serializers.CharField(source="annotator.username", read_only=True)
    status = serializers.CharField(read_only=True, help_text="draft or submitted.")
    counts = serializers.SerializerMethodField(help_text="The annotation's cues per decision.")

    class Meta:
        model = Annotation
        fields = [
            "clip",
            "annotator",
            "status",
            "version",
            "labels",
            "primary_label",
            "counts",
            "created_at",
            "updated_at",
            "submitted_at",
            "returned_comment",
            "returned_at",
        ]
        extra_kwargs = {
            "returned_comment": {"help_text": "Why a reviewer or manager sent it back to you."}
        }

    @extend_schema_field(CueCountsOutput)
    def get_counts(self, annotation: Annotation) -> dict[str, int]:
        return _counts(
            {decision: getattr(annotation, f"n_{decision}") for decision in Cue.Decision.values}
        )


class AnnotationOutput(serializers.ModelSerializer):
    clip = serializers.CharField(source="clip.name", read_only=True, help_text="The clip's name.")
    duration_ms = serializers.IntegerField(
        source="clip.duration_ms",
        read_only=True,
        allow_null=True,
        help_text="The clip's length: cue spans fit in it.",
    )
    status = serializers.CharField(read_only=True, help_text="draft or submitted.")
    counts = serializers.SerializerMethodField(help_text="The cues per decision.")
    cues = serializers.SerializerMethodField(
        help_text="In time order; whole-clip cues (no span) last."
    )

    class Meta:
        model = Annotation
        fields = [
            "clip",
            "duration_ms",
            "status",
            "version",
            "labels",
            "primary_label",
            "description",
            "counts",
            "cues",
            "created_at",
            "updated_at",
            "submitted_at",
            "returned_comment",
            "returned_at",
        ]
        extra_kwargs = {
            "returned_comment": {"help_text": "Why a reviewer or manager sent it back to you."}
        }

    @extend_schema_field(CueCountsOutput)
    def get_counts(self, annotation: Annotation) -> dict[str, int]:
        per_decision: dict[str, int] = {}
        for cue in self.context["cues"]:
            per_decision[cue.decision] = per_decision.get(cue.decision, 0) + 1
        return _counts(per_decision)

    @extend_schema_field(AnnotationCueOutput(many=True))
    def get_cues(self, annotation: Annotation) -> list[dict]:
        return AnnotationCueOutput(self.context["cues"], many=True).data


class UndoOutput(serializers.Serializer):
    undone = serializers.CharField(
        help_text="The change undone: accept, reject, edit, retime, add or delete."
    )
    cue_id = serializers.IntegerField(allow_null=True, help_text="The cue it concerned.")
    annotation = AnnotationOutput()


def _timeline(request, slug: str, name: str) -> Response:
    timeline = selectors.annotation_timeline_get(slug=slug, clip_name=name, user=request.user)
    return Response(AnnotationOutput(timeline.annotation, context={"cues": timeline.cues}).data)


_NOT_FOUND = OpenApiResponse(DetailOutput, description="No such project, or not a member.")


_NO_ANNOTATION = OpenApiResponse(
    DetailOutput,
    description=(
        "No such project or clip, not a member, or no annotation of yours of this clip (open it "
        "first): another annotator's annotation is never reached."
    ),
)


_NO_CUE = OpenApiResponse(
    DetailOutput,
    description=(
        "No such cue in your annotation of this clip (another annotation's or project's cue ids "
        "included), no such project or clip, or not a member."
    ),
)


_INVALID = OpenApiResponse(
    RunErrorOutput,
    description=(
        "A missing or malformed field, a span that does not fit the clip, or a body that is not "
        "JSON; the detail names the fields."
    ),
)


_CONFLICT = OpenApiResponse(
    RunErrorOutput,
    description=(
        "`stale`: changed since you read it (the detail names the current version; reload). "
        "`lease_lost`: your reservation of the clip expired and its slots are taken. `submitted`: "
        "the annotation is submitted and can no longer change. `wrong_origin`: proposed cues are "
        "rejected, your own are deleted."
    ),
)


_STALE_EXAMPLE = OpenApiExample(
    "Stale",
    status_codes=["409"],
    response_only=True,
    value={
        "code": "stale",
        "detail": "Cue 'The voice is loud.' was changed elsewhere since you "
        "loaded it (now version 3); reload to see the current "
        "state, then redo your change.",
    },
)


class AnnotationListApi(GenericAPIView):
    queryset = Annotation.objects.none()
    serializer_class = AnnotationSummaryOutput

    @extend_schema(
        operation_id="projects_annotations_list",
        summary="Your annotations in a project by clip name (managers and reviewers: anyone's)",
        parameters=[
            OpenApiParameter(
                "annotator",
                str,
                description=(
                    "Whose annotations: a username. Default: yours. Managers and reviewers may "
                    "name any member; annotators only themselves. In a blind project only "
                    "managers may name another member (reviewers see annotators as "
                    '"Annotator n").'
                ),
            ),
            status_parameter(Annotation.Status.values),
        ],
        responses={
            200: AnnotationSummaryOutput(many=True),
            400: OpenApiResponse(RunErrorOutput, description="Unknown `status` filter."),
            403: OpenApiResponse(
                RunErrorOutput,
                description=(
                    "An annotator asking for someone else's annotations, or a reviewer of a "
                    "blind project doing so (without credentials DRF answers with `detail` "
                    "only)."
                ),
            ),
            404: _NOT_FOUND,
        },
    )
    def get(self, request, slug: str):
        project, role = core_selectors.project_get_for_user(slug=slug, user=request.user)
        annotation_status, bad = status_filter(request, Annotation.Status.values)
        if bad:
            return bad
        username = request.query_params.get("annotator") or request.user.get_username()
        if username != request.user.get_username() and role not in LIST_OTHERS_ROLES:
            return error_response(
                "forbidden",
                "Annotators list only their own annotations; leave out `annotator`.",
                status.HTTP_403_FORBIDDEN,
            )
        if (
            username != request.user.get_username()
            and project.blind_mode
            and role not in MANAGER_ROLES
        ):
            # The review screen shows "Annotator n": a list by username would undo that.
            return error_response(
                "forbidden",
                "In a blind project only managers list another member's annotations; leave "
                "out `annotator`.",
                status.HTTP_403_FORBIDDEN,
            )
        annotations = selectors.annotation_list_with_counts(project=project, username=username)
        if annotation_status:
            annotations = annotations.filter(status=annotation_status)
        page = self.paginate_queryset(annotations)
        return self.get_paginated_response(AnnotationSummaryOutput(page, many=True).data)


class AnnotationNextApi(GenericAPIView):
    queryset = Annotation.objects.none()
    serializer_class = AnnotationOutput

    @extend_schema(
        operation_id="projects_annotations_next",
        summary="The clip to annotate next: your reserved draft, else a newly reserved clip",
        description='As "Start annotating" on the project page: a clip is reserved for you '
        "(its lease renews with every write); asking again while it is reserved "
        "returns the same annotation.",
        request=None,
        responses={
            200: AnnotationOutput,
            204: OpenApiResponse(description="Nothing left for you to annotate."),
            403: NOT_SIGNED_IN,
            404: _NOT_FOUND,
            409: OpenApiResponse(RunErrorOutput, description="The reserved clip is not ready."),
            413: OVER_LIMIT,
            503: OpenApiResponse(
                RunErrorOutput,
                description="Clips are being handed out very fast right now; try again.",
            ),
        },
    )
    def post(self, request, slug: str):
        project, _ = core_selectors.project_get_for_user(slug=slug, user=request.user)
        annotation = services.annotation_next(project=project, annotator=request.user)
        if annotation is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return _timeline(request, project.slug, annotation.clip.name)


class AnnotationDetailApi(GenericAPIView):
    queryset = Annotation.objects.none()
    serializer_class = AnnotationOutput

    @extend_schema(
        operation_id="projects_annotations_retrieve",
        summary="Your annotation of a clip, with its cues",
        responses={200: AnnotationOutput, 403: NOT_SIGNED_IN, 404: _NO_ANNOTATION},
    )
    def get(self, request, slug: str, name: str):
        return _timeline(request, slug, name)

    @extend_schema(
        operation_id="projects_annotations_open",
        summary="Open your annotation of a chosen clip (it takes a free slot of the clip)",
        description="Your existing annotation is answered as it is (200). Otherwise one is "
        'created (201) from the latest finished run\'s proposals, as "next clip" '
        "does, and takes one of the clip's free assignment slots; when all of them "
        "are taken nothing is created (409 `no_slot`).",
        request=None,
        responses={
            200: AnnotationOutput,
            201: AnnotationOutput,
            403: NOT_SIGNED_IN,
            404: OpenApiResponse(
                DetailOutput, description="No such project or clip, or not a member."
            ),
            409: OpenApiResponse(
                RunErrorOutput,
                description=(
                    "`no_slot`: the clip needs no more annotators. `not_ready`: the clip is not "
                    "ready."
                ),
            ),
            413: OVER_LIMIT,
        },
    )
    def post(self, request, slug: str, name: str):
        project, _ = core_selectors.project_get_for_user(slug=slug, user=request.user)
        clip = clips_selectors.clip_get(project=project, name=name)
        _, created = assignment_services.assignment_open(clip=clip, annotator=request.user)
        response = _timeline(request, project.slug, clip.name)
        response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return response

    @extend_schema(
        operation_id="projects_annotations_change",
        summary="Save labels, the primary label and the reasoning (fields left out stay)",
        request=AnnotationChangeInput,
        responses={
            200: AnnotationOutput,
            400: _INVALID,
            403: NOT_SIGNED_IN,
            404: _NO_ANNOTATION,
            409: _CONFLICT,
            413: OVER_LIMIT,
        },
        examples=[
            OpenApiExample(
                "Labels",
                request_only=True,
                value={"version": 3, "labels": ["happy", "surprise"], "primary_label": "happy"},
            )
        ],
    )
    def patch(self, request, slug: str, name: str):
        annotation = selectors.annotation_get_for_user(slug=slug, clip_name=name, user=request.user)
        body, unreadable = request_body(request, '{"version": 3, "primary_label": "happy"}')
        if unreadable:
            return unreadable
        form = AnnotationChangeInput(data=body)
        if not form.is_valid():
            return invalid_response(form.errors)
        data = form.validated_data
        services.annotation_update(
            annotation=annotation,
            user=request.user,
            expected_version=data["version"],
            labels=data.get("labels"),
            primary_label=data.get("primary_label"),
            description=data.get("description"),
        )
        return _timeline(request, slug, name)


class AnnotationSubmitApi(GenericAPIView):
    queryset = Annotation.objects.none()
    serializer_class = AnnotationOutput

    @extend_schema(
        operation_id="projects_annotations_submit",
        summary="Submit your annotation (every proposed cue decided, labels and reasoning given)",
        request=VersionInput,
        responses={
            200: AnnotationOutput,
            400: _INVALID,
            403: NOT_SIGNED_IN,
            404: _NO_ANNOTATION,
            409: OpenApiResponse(
                RunErrorOutput,
                description=(
                    "`incomplete`: the detail names everything missing. `stale`, "
                    "`lease_lost`, `submitted`: as for any write."
                ),
            ),
        },
    )
    def post(self, request, slug: str, name: str):
        annotation = selectors.annotation_get_for_user(slug=slug, clip_name=name, user=request.user)
        body, unreadable = request_body(request, '{"version": 3}')
        if unreadable:
            return unreadable
        form = VersionInput(data=body)
        if not form.is_valid():
            return invalid_response(form.errors)
        services.annotation_submit(
            annotation=annotation,
            user=request.user,
            expected_version=form.validated_data["version"],
        )
        return _timeline(request, slug, name)


class AnnotationUndoApi(GenericAPIView):
    queryset = Annotation.objects.none()
    serializer_class = UndoOutput

    @extend_schema(
        operation_id="projects_annotations_undo",
        summary="Undo your annotation's last cue change not undone yet",
        request=None,
        responses={
            200: UndoOutput,
            403: NOT_SIGNED_IN,
            404: _NO_ANNOTATION,
            409: OpenApiResponse(
                RunErrorOutput,
                description=("`nothing_to_undo`, or `lease_lost` / `submitted` as for any write."),
            ),
        },
    )
    def post(self, request, slug: str, name: str):
        annotation = selectors.annotation_get_for_user(slug=slug, clip_name=name, user=request.user)
        event = services.annotation_undo(annotation=annotation, user=request.user)
        timeline = selectors.annotation_timeline_get(slug=slug, clip_name=name, user=request.user)
        return Response(
            UndoOutput(
                {
                    "undone": event.action,
                    "cue_id": (event.before or event.after or {}).get("id"),
                    "annotation": timeline.annotation,
                },
                context={"cues": timeline.cues},
            ).data
        )


class CueListApi(GenericAPIView):
    queryset = Cue.objects.none()
    serializer_class = AnnotationCueOutput

    @extend_schema(
        operation_id="projects_annotations_cues_add",
        summary="Add your own cue to your annotation",
        request=CueAddInput,
        responses={
            201: AnnotationCueOutput,
            400: _INVALID,
            403: NOT_SIGNED_IN,
            404: _NO_ANNOTATION,
            409: _CONFLICT,
            413: OVER_LIMIT,
        },
        examples=[
            OpenApiExample(
                "Timed",
                request_only=True,
                value={
                    "modality": "visual",
                    "text": "He glances away.",
                    "start_ms": 200,
                    "end_ms": 600,
                },
            )
        ],
    )
    def post(self, request, slug: str, name: str):
        annotation = selectors.annotation_get_for_user(slug=slug, clip_name=name, user=request.user)
        body, unreadable = request_body(
            request, '{"modality": "visual", "text": "He glances away."}'
        )
        if unreadable:
            return unreadable
        form = CueAddInput(data=body)
        if not form.is_valid():
            return invalid_response(form.errors)
        data = form.validated_data
        cue = services.cue_add(
            annotation=annotation,
            user=request.user,
            modality=data["modality"],
            text=data["text"],
            start_ms=data.get("start_ms"),
            end_ms=data.get("end_ms"),
        )
        return Response(AnnotationCueOutput(cue).data, status=status.HTTP_201_CREATED)


class CueDetailApi(GenericAPIView):
    queryset = Cue.objects.none()
    serializer_class = AnnotationCueOutput

    @extend_schema(
        operation_id="projects_annotations_cues_retrieve",
        summary="One cue of your annotation",
        responses={200: AnnotationCueOutput, 403: NOT_SIGNED_IN, 404: _NO_CUE},
    )
    def get(self, request, slug: str, name: str, cue_id: int):
        cue = selectors.annotation_cue_get(
            slug=slug, clip_name=name, cue_id=cue_id, user=request.user
        )
        return Response(AnnotationCueOutput(cue).data)

    @extend_schema(
        operation_id="projects_annotations_cues_change",
        summary="Edit a cue's text, or retime it (snapped to frames); one change per request",
        request=CueChangeInput,
        responses={
            200: AnnotationCueOutput,
            400: _INVALID,
            403: NOT_SIGNED_IN,
            404: _NO_CUE,
            409: _CONFLICT,
        },
        examples=[
            OpenApiExample(
                "Edit",
                request_only=True,
                value={"version": 1, "text": "The voice is loud and fast."},
            ),
            OpenApiExample(
                "Retime", request_only=True, value={"version": 2, "start_ms": 100, "end_ms": 500}
            ),
            _STALE_EXAMPLE,
        ],
    )
    def patch(self, request, slug: str, name: str, cue_id: int):
        cue = selectors.annotation_cue_get(
            slug=slug, clip_name=name, cue_id=cue_id, user=request.user
        )
        body, unreadable = request_body(request, '{"version": 1, "text": "The voice is loud."}')
        if unreadable:
            return unreadable
        form = CueChangeInput(data=body)
        if not form.is_valid():
            return invalid_response(form.errors)
        data = form.validated_data
        args = {"cue": cue, "user": request.user, "expected_version": data["version"]}
        if "text" in data:
            cue = services.cue_edit(**args, text=data["text"])
        else:
            cue = services.cue_retime(**args, start_ms=data["start_ms"], end_ms=data["end_ms"])
        return Response(AnnotationCueOutput(cue).data)

    @extend_schema(
        operation_id="projects_annotations_cues_delete",
        summary="Delete one of your own cues (proposed cues are rejected instead)",
        parameters=[
            OpenApiParameter(
                "version", int, required=True, description=("The cue's version you last read.")
            )
        ],
        responses={
            204: OpenApiResponse(description="Deleted (undo brings it back)."),
            400: _INVALID,
            403: NOT_SIGNED_IN,
            404: _NO_CUE,
            409: _CONFLICT,
        },
    )
    def delete(self, request, slug: str, name: str, cue_id: int):
        cue = selectors.annotation_cue_get(
            slug=slug, clip_name=name, cue_id=cue_id, user=request.user
        )
        form = CueVersionInput(data=request.query_params)
        if not form.is_valid():
            return invalid_response(form.errors)
        services.cue_delete(
            cue=cue, user=request.user, expected_version=form.validated_data["version"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class CueDecisionApi(GenericAPIView):
    """accept and reject: the cue row's buttons."""

    queryset = Cue.objects.none()
    serializer_class = AnnotationCueOutput
    action = "accept"
    input_class: type[serializers.Serializer] = CueVersionInput

    def post(self, request, slug: str, name: str, cue_id: int):
        cue = selectors.annotation_cue_get(
            slug=slug, clip_name=name, cue_id=cue_id, user=request.user
        )
        body, unreadable = request_body(request, '{"version": 1}')
        if unreadable:
            return unreadable
        form = self.input_class(data=body)
        if not form.is_valid():
            return invalid_response(form.errors)
        data = form.validated_data
        args = {"cue": cue, "user": request.user, "expected_version": data["version"]}
        if self.action == "reject":
            cue = services.cue_reject(**args, reason=data["reason"])
        else:
            cue = services.cue_accept(**args)
        return Response(AnnotationCueOutput(cue).data)


class CueAcceptApi(CueDecisionApi):
    @extend_schema(
        operation_id="projects_annotations_cues_accept",
        summary="Accept a cue",
        request=CueVersionInput,
        responses={
            200: AnnotationCueOutput,
            400: _INVALID,
            403: NOT_SIGNED_IN,
            404: _NO_CUE,
            409: _CONFLICT,
        },
    )
    def post(self, request, slug: str, name: str, cue_id: int):
        return super().post(request, slug, name, cue_id)


class CueRejectApi(CueDecisionApi):
    action = "reject"
    input_class = CueRejectInput

    @extend_schema(
        operation_id="projects_annotations_cues_reject",
        summary="Reject a proposed cue, with a reason",
        request=CueRejectInput,
        responses={
            200: AnnotationCueOutput,
            400: _INVALID,
            403: NOT_SIGNED_IN,
            404: _NO_CUE,
            409: _CONFLICT,
        },
        examples=[
            OpenApiExample(
                "With a reason",
                request_only=True,
                value={"version": 1, "reason": "Nothing in the clip shows it."},
            )
        ],
    )
    def post(self, request, slug: str, name: str, cue_id: int):
        return super().post(request, slug, name, cue_id)
