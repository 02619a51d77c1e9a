"""What managers and reviewers do around the annotation itself, over the API: retry or delete a
clip, the assignment slots (read, reassign, release), annotation quality (agreement between
annotators and with gold, rubber-stamp signs), and the audit trail (a clip's history for
reviewers and managers, the whole project's for managers). Access mirrors the pages: the
assignments board and the whole trail are for managers; quality and clip history for
reviewers and managers; to anyone else in the project they do not exist (404), as on the
pages, since they show other annotators' work."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from annotate.api.common import (
    NOT_SIGNED_IN,
    QUEUE_UNAVAILABLE,
    DetailOutput,
    RunErrorOutput,
    error_response,
    unreadable_response,
)
from annotate.api.serializers import ClipOutput
from annotate.models import Assignment, AuditEvent, Membership
from annotate.selectors import assignments as assignment_selectors
from annotate.selectors import projects as project_selectors
from annotate.selectors.audit import audit_changed_fields, project_audit_list
from annotate.selectors.quality import project_quality_get
from annotate.services import assignments as assignment_services
from annotate.services import clips as clip_services

MANAGERS = (Membership.Role.MANAGER,)
STAFF = (Membership.Role.REVIEWER, Membership.Role.MANAGER)

def _not_found(what: str) -> OpenApiResponse:
    return OpenApiResponse(DetailOutput, description=f"No such project{what}, or not a "
                                                     "member with a role that sees it.")


# Clips: retry a failed ingestion, delete

class ClipRetryApi(GenericAPIView):
    serializer_class = ClipOutput

    @extend_schema(operation_id="projects_clips_retry",
                   summary="Queue a failed clip's ingestion again (managers)", request=None,
                   responses={202: ClipOutput, 403: NOT_SIGNED_IN, 404: _not_found(" or clip"),
                              409: OpenApiResponse(RunErrorOutput,
                                                   description="The clip has not failed."),
                              503: QUEUE_UNAVAILABLE})
    def post(self, request, slug: str, name: str):
        project, _ = project_selectors.project_get_for_user(slug=slug, user=request.user,
                                                            roles=MANAGERS)
        clip = project_selectors.clip_get(project=project, name=name)
        try:
            clip = clip_services.clip_ingest_retry(clip=clip)
        except clip_services.ClipRejected as error:
            return error_response("conflict", error.message, status.HTTP_409_CONFLICT)
        return Response(ClipOutput(clip).data, status=status.HTTP_202_ACCEPTED)


# Assignment slots

class AssignmentOutput(serializers.ModelSerializer):
    clip = serializers.CharField(source="clip.name", read_only=True)
    slot = serializers.SerializerMethodField(help_text="1-based, as on the board.")
    status = serializers.CharField(read_only=True, help_text="open, leased or done.")
    annotator = serializers.CharField(source="annotator.username", read_only=True,
                                      allow_null=True, default=None)
    assigned_by = serializers.CharField(source="assigned_by.username", read_only=True,
                                        allow_null=True, default=None)

    class Meta:
        model = Assignment
        fields = ("id", "clip", "slot", "status", "annotator", "leased_at", "lease_expires_at",
                  "completed_at", "assigned_by", "version")

    def get_slot(self, assignment: Assignment) -> int:
        return assignment.slot + 1


class AssignmentReassignInput(serializers.Serializer):
    to = serializers.CharField(max_length=150, help_text="Username of an annotator of the project.")
    version = serializers.IntegerField(min_value=1, help_text="The slot's version you read.")


class AssignmentReleaseInput(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="The slot's version you read.")


_SLOT_REFUSALS = {
    400: OpenApiResponse(RunErrorOutput, description="A missing or malformed field, or `to` is "
                                                     "not a member of the project."),
    409: OpenApiResponse(RunErrorOutput, description="The slot changed since you read it "
                                                     "(`stale`: read it again)."),
    422: OpenApiResponse(RunErrorOutput, description="The move is not possible (e.g. the annotator "
                                                     "already holds a slot of the clip)."),
}


class AssignmentListApi(GenericAPIView):
    queryset = Assignment.objects.none()
    serializer_class = AssignmentOutput

    @extend_schema(operation_id="projects_assignments_list",
                   summary="Every clip's annotator slots, by clip and slot (managers)",
                   parameters=[OpenApiParameter("status", str, enum=Assignment.Status.values,
                                                description="Only slots with this status.")],
                   responses={200: AssignmentOutput(many=True),
                              400: OpenApiResponse(RunErrorOutput, description="Unknown status."),
                              403: NOT_SIGNED_IN, 404: _not_found("")})
    def get(self, request, slug: str):
        project, _ = project_selectors.project_get_for_user(slug=slug, user=request.user,
                                                            roles=MANAGERS)
        wanted = request.query_params.get("status") or None
        if wanted is not None and wanted not in Assignment.Status.values:
            return error_response("invalid", f"status must be one of "
                                     f"{', '.join(Assignment.Status.values)}; got {wanted!r}.",
                          status.HTTP_400_BAD_REQUEST)
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
        project, _ = project_selectors.project_get_for_user(slug=slug, user=request.user,
                                                            roles=MANAGERS)
        assignment = assignment_selectors.assignment_get(project=project,
                                                         assignment_id=assignment_id)
        try:
            form = self.form_class(data=request.data)
        except ParseError as error:
            return unreadable_response(error, '{"version": 3}')
        if not form.is_valid():
            detail = "; ".join(f"{field}: {' '.join(map(str, errors)).rstrip('.')}"
                               for field, errors in form.errors.items()) + "."
            return error_response("invalid", detail, status.HTTP_400_BAD_REQUEST)
        try:
            slot = self.change(request, project, assignment, form.validated_data)
        except assignment_services.AssignmentStale as error:
            return error_response("stale", error.message, status.HTTP_409_CONFLICT)
        except assignment_services.AssignmentRejected as error:
            return error_response("rejected", error.message, status.HTTP_422_UNPROCESSABLE_ENTITY)
        if isinstance(slot, Response):
            return slot
        slot = assignment_selectors.assignment_get(project=project, assignment_id=slot.pk)
        return Response(AssignmentOutput(slot).data)


class AssignmentReassignApi(_SlotChangeApi):
    form_class = AssignmentReassignInput

    def change(self, request, project, assignment, data):
        to_user = assignment_selectors.assignment_member_by_username(project=project,
                                                                     username=data["to"])
        if to_user is None:
            return error_response("invalid", f"to: {data['to']!r} is not a member of this project.",
                          status.HTTP_400_BAD_REQUEST)
        return assignment_services.assignment_reassign(
            assignment=assignment, to_user=to_user, by=request.user,
            expected_version=data["version"])

    @extend_schema(operation_id="projects_assignments_reassign",
                   summary="Give a slot to another annotator (managers); their draft starts "
                           "from the slot's clip",
                   request=AssignmentReassignInput,
                   responses={200: AssignmentOutput, 403: NOT_SIGNED_IN,
                              404: _not_found(" or slot"), **_SLOT_REFUSALS})
    def post(self, request, slug: str, assignment_id: int):
        return super().post(request, slug, assignment_id)


class AssignmentReleaseApi(_SlotChangeApi):
    form_class = AssignmentReleaseInput

    def change(self, request, project, assignment, data):
        return assignment_services.assignment_release(assignment=assignment, by=request.user,
                                                      expected_version=data["version"])

    @extend_schema(operation_id="projects_assignments_release",
                   summary="Open a slot again (managers); the previous holder's draft is kept",
                   request=AssignmentReleaseInput,
                   responses={200: AssignmentOutput, 403: NOT_SIGNED_IN,
                              404: _not_found(" or slot"), **_SLOT_REFUSALS})
    def post(self, request, slug: str, assignment_id: int):
        return super().post(request, slug, assignment_id)


# Quality

class ModalityAgreementOutput(serializers.Serializer):
    modality = serializers.CharField(help_text="visual, auditory, emotional or overall.")
    mean = serializers.FloatField(allow_null=True, help_text="Mean pairwise EmoCue-360 F1.")
    n_pairs = serializers.IntegerField()


class GoldScoreOutput(serializers.Serializer):
    by_modality = serializers.DictField(child=serializers.FloatField(allow_null=True))
    overall = serializers.FloatField(allow_null=True)
    n_clips = serializers.IntegerField()


class AnnotatorQualityOutput(serializers.Serializer):
    username = serializers.CharField()
    n_submitted = serializers.IntegerField()
    gold = GoldScoreOutput(allow_null=True, help_text="F1 against the finished gold records.")
    label_accuracy = serializers.FloatField(allow_null=True)
    label_total = serializers.IntegerField()
    accepted_unchanged_share = serializers.FloatField(allow_null=True)
    proposals_decided = serializers.IntegerField()
    median_decision_s = serializers.FloatField(allow_null=True)
    decoys_shown = serializers.IntegerField()
    decoy_failure_rate = serializers.FloatField(allow_null=True)


class PairOutput(serializers.Serializer):
    a = serializers.CharField()
    b = serializers.CharField()
    f1 = serializers.FloatField(allow_null=True)
    n_clips = serializers.IntegerField()


class AlphaOutput(serializers.Serializer):
    alpha = serializers.FloatField(allow_null=True)
    n_units = serializers.IntegerField()
    n_coders = serializers.IntegerField()
    n_values = serializers.IntegerField()
    reason = serializers.CharField(allow_blank=True)


class QualityOutput(serializers.Serializer):
    n_submitted = serializers.IntegerField()
    n_clips_shared = serializers.IntegerField(help_text="Clips with two or more submitted "
                                                        "annotations.")
    n_gold = serializers.IntegerField()
    model_id = serializers.CharField(help_text="The sentence encoder behind every F1.")
    agreement = ModalityAgreementOutput(many=True)
    primary_label_alpha = AlphaOutput(help_text="Krippendorff's alpha (nominal) on primary "
                                                "labels.")
    annotators = AnnotatorQualityOutput(many=True)
    pairs = PairOutput(many=True)


def _quality_data(quality) -> dict:
    alpha = quality.alpha
    pairs = []
    for row in quality.heat_rows:
        for cell in row["cells"]:
            if not cell["self"] and row["annotator"].username < cell["other"].username:
                pairs.append({"a": row["annotator"].username, "b": cell["other"].username,
                              "f1": cell["f1"], "n_clips": cell["n_clips"]})
    return {
        "n_submitted": quality.n_submitted, "n_clips_shared": quality.n_clips_shared,
        "n_gold": quality.n_gold, "model_id": quality.model_id,
        "agreement": quality.modality_rows,
        "primary_label_alpha": {"alpha": alpha.alpha, "n_units": alpha.n_units,
                                "n_coders": alpha.n_coders, "n_values": alpha.n_values,
                                "reason": alpha.reason},
        "annotators": [{
            "username": a.username, "n_submitted": a.n_submitted,
            "gold": None if a.gold is None else {"by_modality": a.gold.by_modality,
                                                 "overall": a.gold.overall,
                                                 "n_clips": a.gold.n_clips},
            "label_accuracy": a.label_accuracy, "label_total": a.label_total,
            "accepted_unchanged_share": a.accepted_unchanged_share,
            "proposals_decided": a.proposals_decided, "median_decision_s": a.median_decision_s,
            "decoys_shown": a.decoys_shown, "decoy_failure_rate": a.decoy_failure_rate,
        } for a in quality.annotators],
        "pairs": pairs,
    }


class QualityApi(GenericAPIView):
    serializer_class = QualityOutput

    @extend_schema(operation_id="projects_quality_retrieve",
                   summary="Agreement between annotators and with gold, and rubber-stamp signs "
                           "(reviewers and managers; docs/review.md defines every figure)",
                   responses={200: QualityOutput, 403: NOT_SIGNED_IN, 404: _not_found("")})
    def get(self, request, slug: str):
        project, _ = project_selectors.project_get_for_user(slug=slug, user=request.user,
                                                            roles=STAFF)
        return Response(QualityOutput(_quality_data(project_quality_get(project=project))).data)


# The audit trail

class AuditEventOutput(serializers.ModelSerializer):
    clip = serializers.CharField(source="clip.name", read_only=True, allow_null=True, default=None)
    actor = serializers.CharField(source="actor.username", read_only=True, allow_null=True,
                                  default=None)
    changed = serializers.SerializerMethodField(help_text="The fields that differ between "
                                                          "before and after.")
    before = serializers.JSONField(allow_null=True, read_only=True)
    after = serializers.JSONField(allow_null=True, read_only=True)

    class Meta:
        model = AuditEvent
        fields = ("id", "at", "clip", "actor", "object_type", "object_id", "action", "changed",
                  "before", "after")

    def get_changed(self, event: AuditEvent) -> list[str]:
        return audit_changed_fields(event.before, event.after)


_AUDIT_FILTERS = [
    OpenApiParameter("object_type", str, description="cue, annotation, gold_record, gold_cue, …"),
    OpenApiParameter("actor", str, description="A username."),
]


def _audit_filtered(events, request):
    object_type = request.query_params.get("object_type") or None
    actor = request.query_params.get("actor") or None
    if object_type:
        events = events.filter(object_type=object_type)
    if actor:
        events = events.filter(actor__username=actor)
    return events


class ProjectAuditApi(GenericAPIView):
    queryset = AuditEvent.objects.none()
    serializer_class = AuditEventOutput

    @extend_schema(operation_id="projects_audit_list",
                   summary="The project's whole audit trail, oldest first (managers)",
                   parameters=[*_AUDIT_FILTERS,
                               OpenApiParameter("clip", str, description="A clip's name.")],
                   responses={200: AuditEventOutput(many=True), 403: NOT_SIGNED_IN,
                              404: _not_found("")})
    def get(self, request, slug: str):
        project, _ = project_selectors.project_get_for_user(slug=slug, user=request.user,
                                                            roles=MANAGERS)
        events = _audit_filtered(project_audit_list(project=project), request)
        if request.query_params.get("clip"):
            events = events.filter(clip__name=request.query_params["clip"])
        page = self.paginate_queryset(events)
        return self.get_paginated_response(AuditEventOutput(page, many=True).data)


class ClipHistoryApi(GenericAPIView):
    queryset = AuditEvent.objects.none()
    serializer_class = AuditEventOutput

    @extend_schema(operation_id="projects_clips_history_list",
                   summary="A clip's history, newest first (reviewers and managers)",
                   parameters=_AUDIT_FILTERS,
                   responses={200: AuditEventOutput(many=True), 403: NOT_SIGNED_IN,
                              404: _not_found(" or clip")})
    def get(self, request, slug: str, name: str):
        project, _ = project_selectors.project_get_for_user(slug=slug, user=request.user,
                                                            roles=STAFF)
        clip = project_selectors.clip_get(project=project, name=name)
        events = (AuditEvent.objects.filter(clip=clip).select_related("clip", "actor")
                  .order_by("-at", "-pk"))
        page = self.paginate_queryset(_audit_filtered(events, request))
        return self.get_paginated_response(AuditEventOutput(page, many=True).data)
