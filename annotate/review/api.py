"""Review over the API: the queue, a clip's review and its writes (accept, reject, undo, merge,
gold cues, labels, finalize, reopen), comments, and the project's quality report."""

from django.http import Http404
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

from annotate.annotation import selectors as annotation_selectors
from annotate.annotation.models import Annotation
from annotate.clips import selectors as clips_selectors
from annotate.clips.models import Clip
from annotate.core import selectors as core_selectors
from annotate.core.api import AUDIT_FILTER_REFUSED, AUDIT_FILTERS, AuditEventOutput, audit_filtered
from annotate.core.api_errors import (
    NOT_SIGNED_IN,
    OVER_LIMIT,
    DetailOutput,
    RunErrorOutput,
    error_response,
    invalid_response,
    managers_only_response,
    not_found_doc,
    request_body,
)
from annotate.core.models import REVIEWER_ROLES, AuditEvent, Membership, Project
from annotate.review import selectors as review_selectors
from annotate.review import services as review_services
from annotate.review.alignment_queue import clip_alignments_queue
from annotate.review.inputs import (
    ReviewAcceptInput,
    ReviewCommentInput,
    ReviewGoldCueInput,
    ReviewLabelsInput,
    ReviewMergeInput,
    ReviewRejectInput,
    ReviewVersionInput,
    SendBackInput,
    TakeBackInput,
)
from annotate.review.models import GoldRecord, ReviewComment
from annotate.review.quality import project_quality_get


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
    n_clips_shared = serializers.IntegerField(
        help_text="Clips with two or more submitted annotations."
    )
    n_gold = serializers.IntegerField()
    model_id = serializers.CharField(help_text="The sentence encoder behind every F1.")
    agreement = ModalityAgreementOutput(many=True)
    primary_label_alpha = AlphaOutput(help_text="Krippendorff's alpha (nominal) on primary labels.")
    annotators = AnnotatorQualityOutput(many=True)
    pairs = PairOutput(many=True)


def _quality_data(quality) -> dict:
    alpha = quality.alpha
    pairs = []
    for row in quality.heat_rows:
        for cell in row["cells"]:
            if not cell["self"] and row["annotator"].username < cell["other"].username:
                pairs.append(
                    {
                        "a": row["annotator"].username,
                        "b": cell["other"].username,
                        "f1": cell["f1"],
                        "n_clips": cell["n_clips"],
                    }
                )
    return {
        "n_submitted": quality.n_submitted,
        "n_clips_shared": quality.n_clips_shared,
        "n_gold": quality.n_gold,
        "model_id": quality.model_id,
        "agreement": quality.modality_rows,
        "primary_label_alpha": {
            "alpha": alpha.alpha,
            "n_units": alpha.n_units,
            "n_coders": alpha.n_coders,
            "n_values": alpha.n_values,
            "reason": alpha.reason,
        },
        "annotators": [
            {
                "username": a.username,
                "n_submitted": a.n_submitted,
                "gold": None
                if a.gold is None
                else {
                    "by_modality": a.gold.by_modality,
                    "overall": a.gold.overall,
                    "n_clips": a.gold.n_clips,
                },
                "label_accuracy": a.label_accuracy,
                "label_total": a.label_total,
                "accepted_unchanged_share": a.accepted_unchanged_share,
                "proposals_decided": a.proposals_decided,
                "median_decision_s": a.median_decision_s,
                "decoys_shown": a.decoys_shown,
                "decoy_failure_rate": a.decoy_failure_rate,
            }
            for a in quality.annotators
        ],
        "pairs": pairs,
    }


class QualityApi(GenericAPIView):
    serializer_class = QualityOutput

    @extend_schema(
        operation_id="projects_quality_retrieve",
        summary="Agreement between annotators and with gold, and rubber-stamp signs "
        "(reviewers and managers; docs/review.md defines every figure)",
        responses={200: QualityOutput, 403: NOT_SIGNED_IN, 404: not_found_doc("")},
    )
    def get(self, request, slug: str):
        project, _ = core_selectors.project_get_for_user(
            slug=slug, user=request.user, roles=REVIEWER_ROLES
        )
        return Response(QualityOutput(_quality_data(project_quality_get(project=project))).data)


REVIEW_ROLES = (Membership.Role.REVIEWER, Membership.Role.MANAGER)


def _project_for_reviews(request, slug: str) -> tuple[Project, str]:
    return core_selectors.project_get_for_user(slug=slug, user=request.user)


def _forbidden(action: str) -> Response:
    return error_response(
        "forbidden",
        f"Only the project's reviewers and managers can {action}; "
        "ask a manager for the reviewer role.",
        status.HTTP_403_FORBIDDEN,
    )


def _clip(project: Project, name: str) -> Clip:
    clip = clips_selectors.clip_get(project=project, name=name)
    clip.project = project  # already loaded: no second query
    return clip


def _review(clip: Clip) -> review_selectors.ClipReview:
    review = review_selectors.clip_review_get(clip=clip)
    if not review.annotations:
        raise Http404(
            f"No annotation of {clip.name} is submitted yet, so there is nothing to "
            "review; it joins the review queue with its first submission."
        )
    return review


class ReviewQueueRowOutput(serializers.Serializer):
    clip = serializers.CharField(source="clip.name", help_text="The clip's name.")
    submitted = serializers.IntegerField(help_text="Submitted annotations.")
    k = serializers.IntegerField(help_text="Annotators per clip (the project's setting).")
    state = serializers.ChoiceField(
        choices=["ranked", "aligning", "waiting"],
        help_text="ranked: all k submitted and aligned; aligning: all k submitted, a worker is "
        "aligning the cues (counts and disagreement null); waiting: fewer than k submitted "
        "(never ranked).",
    )
    waiting_for = serializers.IntegerField(help_text="Submissions still missing (k - submitted).")
    consensus = serializers.IntegerField(allow_null=True)
    disputed = serializers.IntegerField(allow_null=True)
    singleton = serializers.IntegerField(allow_null=True)
    model_only = serializers.IntegerField(allow_null=True)
    label_agreement = serializers.FloatField(
        help_text="Share of annotators whose primary label is the most common one."
    )
    primary_labels = serializers.ListField(child=serializers.CharField())
    gold_status = serializers.CharField(help_text='"" (not started), in_review or gold.')
    disagreement = serializers.FloatField(
        allow_null=True,
        help_text="The order of the ranked clips: highest first, in [0, 2]; null unless ranked.",
    )


class ReviewCueOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    kind = serializers.CharField()
    text = serializers.CharField()
    start_ms = serializers.IntegerField(allow_null=True)
    end_ms = serializers.IntegerField(allow_null=True)


class ReviewMemberOutput(ReviewCueOutput):
    annotator = serializers.CharField(
        help_text='The lane as the page labels it: a username, or "Annotator n" when blind.'
    )


class ReviewDecisionOutput(serializers.Serializer):
    action = serializers.CharField(help_text="accept, merge or reject.")
    gold_cue = serializers.IntegerField(source="gold_cue_id", allow_null=True)
    note = serializers.CharField()
    reviewer = serializers.CharField(source="reviewer.username", allow_null=True, default=None)
    at = serializers.DateTimeField()


class ReviewGroupOutput(serializers.Serializer):
    key = serializers.CharField(help_text="Names the group in accept, reject, undo and merge.")
    modality = serializers.CharField(help_text="visual, auditory or emotional.")
    label = serializers.CharField(help_text="consensus, disputed, singleton or model_only.")
    similarity = serializers.FloatField()
    start_ms = serializers.IntegerField(allow_null=True)
    end_ms = serializers.IntegerField(allow_null=True)
    members = serializers.SerializerMethodField(help_text="The annotators' cues, in lane order.")
    model_cue = serializers.SerializerMethodField(help_text="The model's cue in the group, if any.")
    decision = ReviewDecisionOutput(allow_null=True, help_text="null while undecided.")

    @extend_schema_field(ReviewMemberOutput(many=True))
    def get_members(self, group: review_selectors.ReviewGroup) -> list[dict]:
        return [{**ReviewCueOutput(cue).data, "annotator": label} for label, cue in group.members]

    @extend_schema_field(ReviewCueOutput(allow_null=True))
    def get_model_cue(self, group: review_selectors.ReviewGroup) -> dict | None:
        return ReviewCueOutput(group.model_cues[0]).data if group.model_cues else None


class ReviewGoldCueOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk", help_text="For DELETE .../gold-cues/<id>/.")
    modality = serializers.CharField()
    text = serializers.CharField()
    start_ms = serializers.IntegerField(allow_null=True)
    end_ms = serializers.IntegerField(allow_null=True)
    how = serializers.CharField(help_text="accepted, merged or written.")
    kind = serializers.CharField()
    group_key = serializers.CharField(help_text='The group it settles ("" for a written cue).')
    orphan = serializers.BooleanField(
        default=False,
        help_text="It settles a group of an earlier alignment (an annotation was submitted since).",
    )


class ReviewGoldRecordOutput(serializers.Serializer):
    version = serializers.IntegerField(help_text="Send it with every write.")
    status = serializers.CharField(help_text="in_review or gold.")
    labels = serializers.ListField(child=serializers.CharField())
    primary_label = serializers.CharField()
    description = serializers.CharField()
    reviewer = serializers.CharField(source="reviewer.username", allow_null=True, default=None)
    auto_promoted = serializers.BooleanField()
    finalized_at = serializers.DateTimeField(allow_null=True)
    cues = ReviewGoldCueOutput(many=True, source="cues_shown", help_text="The gold cues.")


class ReviewAnnotationOutput(serializers.Serializer):
    annotator = serializers.CharField(source="lane_label")
    primary_label = serializers.CharField(source="annotation.primary_label")
    labels = serializers.ListField(child=serializers.CharField(), source="annotation.labels")
    description = serializers.CharField(source="annotation.description")
    agrees = serializers.BooleanField(
        help_text="The primary label is the most common one (and that one is not tied)."
    )


class ReviewCountsOutput(serializers.Serializer):
    consensus = serializers.IntegerField()
    disputed = serializers.IntegerField()
    singleton = serializers.IntegerField()
    model_only = serializers.IntegerField()


class ReviewClipOutput(serializers.Serializer):
    clip = serializers.CharField(source="clip.name")
    run = serializers.IntegerField(
        source="run.pk",
        allow_null=True,
        default=None,
        help_text="The model run whose cues are aligned, if any.",
    )
    editable = serializers.SerializerMethodField(
        help_text="The record is in review (a final one must be reopened first)."
    )
    annotations = ReviewAnnotationOutput(many=True, source="label_rows")
    counts = ReviewCountsOutput()
    groups = ReviewGroupOutput(many=True)
    record = serializers.SerializerMethodField(
        help_text="null until the review is started with POST .../open/."
    )
    missing = serializers.ListField(
        child=serializers.CharField(), help_text="What the record needs before it can be final."
    )
    candidate_labels = serializers.ListField(child=serializers.CharField())

    def get_editable(self, review: review_selectors.ClipReview) -> bool:
        return review.record is not None and review.record.status == GoldRecord.Status.IN_REVIEW

    @extend_schema_field(ReviewGoldRecordOutput(allow_null=True))
    def get_record(self, review: review_selectors.ClipReview) -> dict | None:
        if review.record is None:
            return None
        review.record.cues_shown = review.gold_cues  # in the page's order, with orphan flags
        return ReviewGoldRecordOutput(review.record).data


class ReviewCommentOutput(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", allow_null=True, default=None)
    cue = serializers.IntegerField(source="cue_id", allow_null=True)

    class Meta:
        model = ReviewComment
        fields = ["id", "author", "text", "cue", "time_ms", "created_at", "resolved_at"]


class AutoPromotionOutput(serializers.Serializer):
    clip = serializers.CharField(source="clip.name")
    promoted = serializers.BooleanField()
    reason = serializers.CharField(help_text="Why it was promoted, or why not.")


_NOT_FOUND = OpenApiResponse(
    DetailOutput,
    description="No such project or clip, not a member, "
    "or no annotation of the clip is "
    "submitted yet.",
)


_FORBIDDEN = OpenApiResponse(
    RunErrorOutput,
    description="An annotator of the project: reviews are for reviewers and "
    "managers (without credentials DRF answers with `detail` only).",
)


_BAD_BODY = OpenApiResponse(
    RunErrorOutput,
    description="A body that is not JSON, or a field "
    "missing or of the wrong type (the "
    "message names it).",
)


_CONFLICT = OpenApiResponse(
    RunErrorOutput,
    description=(
        'code "stale": the record changed since the version you sent (the message gives the '
        'current one; nothing was changed); code "not_started": the review has not been started '
        '(POST .../open/); code "rejected": the review services refused, with their message (a '
        "final record, an unknown group, a span outside the clip, undecided groups at finalize, "
        "...). Every refusal of a review write is a 409, as for annotations."
    ),
)


_STALE_EXAMPLE = OpenApiExample(
    "Stale version",
    status_codes=["409"],
    response_only=True,
    value={
        "code": "stale",
        "detail": "The gold record of sample_00000007 was changed elsewhere "
        "since you loaded it (now version 3); reload to see the "
        "current state, then redo your change.",
    },
)


def _write_responses(ok: int = 200) -> dict:
    return {ok: ReviewClipOutput, 400: _BAD_BODY, 403: _FORBIDDEN, 404: _NOT_FOUND, 409: _CONFLICT}


class ReviewQueueApi(GenericAPIView):
    queryset = GoldRecord.objects.none()
    serializer_class = ReviewQueueRowOutput

    @extend_schema(
        operation_id="projects_reviews_list",
        summary="The review queue: complete clips, most disagreement first, then those still "
        "aligning, final ones, and clips waiting for submissions",
        responses={
            200: ReviewQueueRowOutput(many=True),
            403: _FORBIDDEN,
            404: OpenApiResponse(DetailOutput, description="No such project, or not a member."),
        },
    )
    def get(self, request, slug: str):
        project, role = _project_for_reviews(request, slug)
        if role not in REVIEW_ROLES:
            return _forbidden("read the review queue")
        rows = review_selectors.review_queue_list(project=project)
        clip_alignments_queue(keys={r.clip.pk: r.alignment_key for r in rows if r.aligning})
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ReviewQueueRowOutput(page, many=True).data)

    @extend_schema(
        operation_id="projects_reviews_auto_promote",
        summary="Auto-promote every clip that qualifies (managers; as the queue page's button)",
        request=None,
        responses={
            200: AutoPromotionOutput(many=True),
            403: OpenApiResponse(RunErrorOutput, description="Not a manager of the project."),
            404: OpenApiResponse(DetailOutput, description="No such project, or not a member."),
            409: OpenApiResponse(
                RunErrorOutput,
                description="Auto-promotion is switched off in the project's settings.",
            ),
        },
    )
    def post(self, request, slug: str):
        project, role = _project_for_reviews(request, slug)
        if role != Membership.Role.MANAGER:
            return managers_only_response("run auto-promotion")
        if not project.auto_promote_consensus:
            return error_response(
                "conflict",
                "Auto-promotion is switched off for this project: a "
                "manager turns on “auto promote consensus” in the "
                "project's settings first.",
                status.HTTP_409_CONFLICT,
            )
        results = review_services.gold_auto_promote_project(project=project, actor=request.user)
        return Response(AutoPromotionOutput(results, many=True).data)


class ReviewDetailApi(GenericAPIView):
    queryset = GoldRecord.objects.none()
    serializer_class = ReviewClipOutput

    @extend_schema(
        operation_id="projects_reviews_retrieve",
        summary="One clip's review: the annotators' labels, the aligned cue groups with their "
        "decisions, and the gold record",
        responses={200: ReviewClipOutput, 403: _FORBIDDEN, 404: _NOT_FOUND},
    )
    def get(self, request, slug: str, name: str):
        project, role = _project_for_reviews(request, slug)
        if role not in REVIEW_ROLES:
            return _forbidden("read reviews")
        return Response(ReviewClipOutput(_review(_clip(project, name))).data)


class ReviewOpenApi(GenericAPIView):
    queryset = GoldRecord.objects.none()
    serializer_class = ReviewClipOutput

    @extend_schema(
        operation_id="projects_reviews_open",
        summary="Start the clip's review: its gold record is created at version 1 (once; "
        "later calls answer the review as it is)",
        request=None,
        responses={200: ReviewClipOutput, 201: ReviewClipOutput, 403: _FORBIDDEN, 404: _NOT_FOUND},
    )
    def post(self, request, slug: str, name: str):
        project, role = _project_for_reviews(request, slug)
        if role not in REVIEW_ROLES:
            return _forbidden("start reviews")
        clip = _clip(project, name)
        existed = review_selectors.gold_record_get(clip=clip) is not None
        review = _review(clip)
        if not existed:
            review_services.gold_record_open(clip=clip, reviewer=request.user)
            review = _review(clip)
        return Response(
            ReviewClipOutput(review).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )


class ReviewWriteApi(GenericAPIView):
    """The shared path of every versioned write: role, clip, body, record, service, answer."""

    queryset = GoldRecord.objects.none()
    serializer_class = ReviewClipOutput
    input_class: type[serializers.Serializer] = ReviewVersionInput
    example = '{"version": 1}'
    ok_status = status.HTTP_200_OK

    def apply(self, record: GoldRecord, data: dict, **kwargs) -> None:
        raise NotImplementedError

    def write(self, request, slug: str, name: str, body=None, **kwargs):
        project, role = _project_for_reviews(request, slug)
        if role not in REVIEW_ROLES:
            return _forbidden("change the gold")
        clip = _clip(project, name)
        if body is None:
            body, bad = request_body(request, self.example)
            if bad:
                return bad
        form = self.input_class(data=body)
        if not form.is_valid():
            return invalid_response(form.errors)
        record = review_selectors.gold_record_get(clip=clip)
        if record is None:
            return error_response(
                "not_started",
                f"The review of {clip.name} has not started yet; POST "
                f"/api/projects/{project.slug}/reviews/{clip.name}/open/ first.",
                status.HTTP_409_CONFLICT,
            )
        record.clip = clip
        self.apply(record, {**form.validated_data, "reviewer": request.user}, **kwargs)
        return Response(ReviewClipOutput(_review(clip)).data, status=self.ok_status)


def _args(data: dict) -> dict:
    return {"reviewer": data["reviewer"], "expected_version": data["version"]}


def _span(data: dict) -> dict:
    return {"start_ms": data["start_ms"], "end_ms": data["end_ms"]}


class ReviewAcceptApi(ReviewWriteApi):
    input_class = ReviewAcceptInput

    def apply(self, record, data, key: str = "") -> None:
        review_services.review_group_accept(
            record=record,
            group_key=key,
            **_args(data),
            text=data["text"] or None,
            **_span(data),
            note=data["note"],
        )

    @extend_schema(
        operation_id="projects_reviews_groups_accept",
        summary="Settle a group with one gold cue: a member's text (default: the first "
        "annotator's) or your own, over the group's span unless given",
        request=ReviewAcceptInput,
        responses=_write_responses(),
        examples=[
            OpenApiExample(
                "Own wording", request_only=True, value={"version": 1, "text": "He smiles broadly."}
            ),
            _STALE_EXAMPLE,
        ],
    )
    def post(self, request, slug: str, name: str, key: str):
        return self.write(request, slug, name, key=key)


class ReviewRejectApi(ReviewWriteApi):
    input_class = ReviewRejectInput

    def apply(self, record, data, key: str = "") -> None:
        review_services.review_group_reject(
            record=record, group_key=key, **_args(data), note=data["note"]
        )

    @extend_schema(
        operation_id="projects_reviews_groups_reject",
        summary="Settle a group by keeping none of its cues in the gold",
        request=ReviewRejectInput,
        responses=_write_responses(),
    )
    def post(self, request, slug: str, name: str, key: str):
        return self.write(request, slug, name, key=key)


class ReviewUndoApi(ReviewWriteApi):
    def apply(self, record, data, key: str = "") -> None:
        review_services.review_decision_undo(record=record, group_key=key, **_args(data))

    @extend_schema(
        operation_id="projects_reviews_groups_undo",
        summary="Make a group undecided again (a merge is undone whole)",
        request=ReviewVersionInput,
        responses=_write_responses(),
    )
    def post(self, request, slug: str, name: str, key: str):
        return self.write(request, slug, name, key=key)


class ReviewMergeApi(ReviewWriteApi):
    input_class = ReviewMergeInput
    example = '{"version": 1, "groups": ["<key>", "<key>"], "text": "..."}'

    def apply(self, record, data) -> None:
        review_services.review_groups_merge(
            record=record,
            group_keys=data["groups"],
            text=data["text"],
            **_args(data),
            **_span(data),
            note=data["note"],
        )

    @extend_schema(
        operation_id="projects_reviews_merge",
        summary="Settle several groups of one modality with one gold cue in your wording",
        request=ReviewMergeInput,
        responses=_write_responses(),
    )
    def post(self, request, slug: str, name: str):
        return self.write(request, slug, name)


class ReviewGoldCueListApi(ReviewWriteApi):
    input_class = ReviewGoldCueInput
    example = '{"version": 1, "modality": "visual", "text": "..."}'
    ok_status = status.HTTP_201_CREATED

    def apply(self, record, data) -> None:
        review_services.gold_cue_add(
            record=record,
            modality=data["modality"],
            text=data["text"],
            **_args(data),
            **_span(data),
        )

    @extend_schema(
        operation_id="projects_reviews_gold_cues_create",
        summary="Add a gold cue that no annotator had",
        request=ReviewGoldCueInput,
        responses=_write_responses(201),
    )
    def post(self, request, slug: str, name: str):
        return self.write(request, slug, name)


class ReviewGoldCueDetailApi(ReviewWriteApi):
    def apply(self, record, data, cue_id: int = 0) -> None:
        gold_cue = review_selectors.gold_cue_get(record=record, cue_id=cue_id)
        if gold_cue is None:
            raise Http404(
                f"The gold of {record.clip.name} has no cue {cue_id}; GET "
                f"/api/projects/{record.clip.project.slug}/reviews/{record.clip.name}/ "
                "lists them."
            )
        review_services.gold_cue_delete(record=record, gold_cue=gold_cue, **_args(data))

    @extend_schema(
        operation_id="projects_reviews_gold_cues_destroy",
        summary="Delete a gold cue; the groups it settled are undecided again",
        parameters=[
            OpenApiParameter(
                "version", int, required=True, description="The gold record's version you saw."
            )
        ],
        responses={
            **_write_responses(),
            404: OpenApiResponse(
                DetailOutput,
                description="No such project, clip or gold cue of the clip, or not a member.",
            ),
        },
    )
    def delete(self, request, slug: str, name: str, cue_id: int):
        return self.write(request, slug, name, body=request.query_params, cue_id=cue_id)


class ReviewLabelsApi(ReviewWriteApi):
    input_class = ReviewLabelsInput
    # DRF's OPTIONS description of a PUT looks the object up by pk, which no route here has.
    metadata_class = None
    example = '{"version": 1, "labels": ["happy"], "primary_label": "happy"}'

    def apply(self, record, data) -> None:
        review_services.gold_labels_set(
            record=record,
            labels=data["labels"],
            primary_label=data["primary_label"],
            description=data["description"],
            **_args(data),
        )

    @extend_schema(
        operation_id="projects_reviews_labels_update",
        summary="Set the gold emotion labels, the primary one and (if given) the reasoning",
        request=ReviewLabelsInput,
        responses={**_write_responses(), 413: OVER_LIMIT},
    )
    def put(self, request, slug: str, name: str):
        return self.write(request, slug, name)


class ReviewFinalizeApi(ReviewWriteApi):
    def apply(self, record, data) -> None:
        review_services.gold_record_finalize(record=record, **_args(data))

    @extend_schema(
        operation_id="projects_reviews_finalize",
        summary="Make the clip's gold final (refused, naming what is missing, while a "
        "group is undecided or there is no primary label)",
        request=ReviewVersionInput,
        responses=_write_responses(),
    )
    def post(self, request, slug: str, name: str):
        return self.write(request, slug, name)


class ReviewReopenApi(ReviewWriteApi):
    def apply(self, record, data) -> None:
        review_services.gold_record_reopen(record=record, **_args(data))

    @extend_schema(
        operation_id="projects_reviews_reopen",
        summary="Reopen a final gold so it can be changed again",
        request=ReviewVersionInput,
        responses=_write_responses(),
    )
    def post(self, request, slug: str, name: str):
        return self.write(request, slug, name)


_COMMENT_NOT_FOUND = OpenApiResponse(
    DetailOutput, description="No such project, clip or comment, or not a member."
)


class ReviewCommentListApi(GenericAPIView):
    queryset = ReviewComment.objects.none()
    serializer_class = ReviewCommentOutput

    @extend_schema(
        operation_id="projects_reviews_comments_list",
        summary="A clip's review comments",
        responses={200: ReviewCommentOutput(many=True), 403: _FORBIDDEN, 404: _COMMENT_NOT_FOUND},
    )
    def get(self, request, slug: str, name: str):
        project, role = _project_for_reviews(request, slug)
        if role not in REVIEW_ROLES:
            return _forbidden("read review comments")
        clip = _clip(project, name)
        page = self.paginate_queryset(review_selectors.review_comments_list(clip=clip))
        return self.get_paginated_response(ReviewCommentOutput(page, many=True).data)

    @extend_schema(
        operation_id="projects_reviews_comments_create",
        summary="Comment on the clip, pinned to one of its cues or to a media time (or neither)",
        request=ReviewCommentInput,
        responses={
            201: ReviewCommentOutput,
            400: _BAD_BODY,
            403: _FORBIDDEN,
            404: _COMMENT_NOT_FOUND,
            413: OVER_LIMIT,
            422: OpenApiResponse(
                RunErrorOutput,
                description="No text, a cue of another clip, or a time outside the clip.",
            ),
        },
    )
    def post(self, request, slug: str, name: str):
        project, role = _project_for_reviews(request, slug)
        if role not in REVIEW_ROLES:
            return _forbidden("comment on reviews")
        clip = _clip(project, name)
        body, bad = request_body(request, '{"text": "Check the smile.", "time_ms": 400}')
        if bad:
            return bad
        form = ReviewCommentInput(data=body)
        if not form.is_valid():
            return invalid_response(form.errors)
        data = form.validated_data
        cue = None
        if data["cue"] is not None:
            cue = review_selectors.clip_cue_get(clip=clip, cue_id=data["cue"])
            if cue is None:
                return error_response(
                    "rejected",
                    f"Cue {data['cue']} is not part of {clip.name}; pin the comment "
                    "to one of its cues.",
                    status.HTTP_422_UNPROCESSABLE_ENTITY,
                )
        comment = review_services.review_comment_add(
            clip=clip, author=request.user, text=data["text"], cue=cue, time_ms=data["time_ms"]
        )
        return Response(ReviewCommentOutput(comment).data, status=status.HTTP_201_CREATED)


class ReviewCommentResolveApi(GenericAPIView):
    queryset = ReviewComment.objects.none()
    serializer_class = ReviewCommentOutput

    @extend_schema(
        operation_id="projects_reviews_comments_resolve",
        summary="Resolve a comment",
        request=None,
        responses={
            200: ReviewCommentOutput,
            403: _FORBIDDEN,
            404: _COMMENT_NOT_FOUND,
            409: OpenApiResponse(RunErrorOutput, description="It is resolved already."),
        },
    )
    def post(self, request, slug: str, name: str, comment_id: int):
        project, role = _project_for_reviews(request, slug)
        if role not in REVIEW_ROLES:
            return _forbidden("resolve review comments")
        clip = _clip(project, name)
        comment = review_selectors.review_comment_get(clip=clip, comment_id=comment_id)
        if comment is None:
            raise Http404(
                f"{clip.name} has no comment {comment_id}; GET "
                f"/api/projects/{project.slug}/reviews/{clip.name}/comments/ lists "
                "them."
            )
        comment = review_services.review_comment_resolve(comment=comment, user=request.user)
        return Response(ReviewCommentOutput(comment).data)


class ClipHistoryApi(GenericAPIView):
    queryset = AuditEvent.objects.none()
    serializer_class = AuditEventOutput

    @extend_schema(
        operation_id="projects_clips_history_list",
        summary="A clip's history, newest first (reviewers and managers)",
        parameters=AUDIT_FILTERS,
        responses={
            200: AuditEventOutput(many=True),
            400: AUDIT_FILTER_REFUSED,
            403: NOT_SIGNED_IN,
            404: not_found_doc(" or clip"),
        },
    )
    def get(self, request, slug: str, name: str):
        project, role = core_selectors.project_get_for_user(
            slug=slug, user=request.user, roles=REVIEWER_ROLES
        )
        clip = clips_selectors.clip_get(project=project, name=name)
        names = review_selectors.clip_history_names(clip=clip, role=role)
        events = (
            AuditEvent.objects.filter(clip=clip)
            .select_related("clip", "actor")
            .order_by("-at", "-pk")
        )
        page = self.paginate_queryset(audit_filtered(events, request, names))
        return self.get_paginated_response(
            AuditEventOutput(page, many=True, context={"names": names}).data
        )


class SubmissionStateOutput(serializers.ModelSerializer):
    """An annotation's state after it was taken back or sent back."""

    clip = serializers.CharField(source="clip.name", read_only=True)

    class Meta:
        model = Annotation
        fields = ["clip", "status", "version", "submitted_at", "returned_comment", "returned_at"]
        read_only_fields = fields


_RETURN_CONFLICT = OpenApiResponse(
    RunErrorOutput,
    description=(
        "`not_submitted`: it is a draft already; `stale`: the annotation changed since the "
        "version you sent; `review_started` (take back): a reviewer opened the clip's review, "
        "ask them to send it back; `gold_final` (send back): reopen the gold record first."
    ),
)


class AnnotationTakeBackApi(GenericAPIView):
    queryset = Annotation.objects.none()
    serializer_class = SubmissionStateOutput

    @extend_schema(
        operation_id="projects_annotations_reopen",
        summary="Reopen your own submission (until a reviewer opens the clip's review)",
        request=TakeBackInput,
        responses={
            200: SubmissionStateOutput,
            400: _BAD_BODY,
            403: NOT_SIGNED_IN,
            404: OpenApiResponse(DetailOutput, description="You have no annotation of this clip."),
            409: _RETURN_CONFLICT,
        },
    )
    def post(self, request, slug: str, name: str):
        annotation = annotation_selectors.annotation_get_for_user(
            slug=slug, clip_name=name, user=request.user
        )
        body, unreadable = request_body(request, '{"version": 4}')
        if unreadable:
            return unreadable
        form = TakeBackInput(data=body)
        if not form.is_valid():
            return invalid_response(form.errors)
        annotation = review_services.annotation_take_back(
            annotation=annotation,
            user=request.user,
            expected_version=form.validated_data["version"],
        )
        return Response(SubmissionStateOutput(annotation).data)


class ReviewSendBackApi(GenericAPIView):
    queryset = Annotation.objects.none()
    serializer_class = SubmissionStateOutput

    @extend_schema(
        operation_id="projects_reviews_send_back",
        summary="Send a submitted annotation back to its annotator, with a comment",
        request=SendBackInput,
        responses={
            200: SubmissionStateOutput,
            400: _BAD_BODY,
            403: _FORBIDDEN,
            404: OpenApiResponse(
                DetailOutput, description="No such project, clip or annotation of the clip."
            ),
            409: _RETURN_CONFLICT,
        },
    )
    def post(self, request, slug: str, name: str, annotation_id: int):
        project, role = _project_for_reviews(request, slug)
        if role not in REVIEW_ROLES:
            return _forbidden("send an annotation back")
        clip = _clip(project, name)
        annotation = (
            Annotation.objects.filter(pk=annotation_id, clip=clip)
            .select_related("clip", "clip__project")
            .first()
        )
        if annotation is None:
            raise Http404("No such annotation of this clip.")
        body, unreadable = request_body(request, '{"version": 4, "comment": "..."}')
        if unreadable:
            return unreadable
        form = SendBackInput(data=body)
        if not form.is_valid():
            return invalid_response(form.errors)
        annotation = review_services.annotation_send_back(
            annotation=annotation,
            by=request.user,
            comment=form.validated_data["comment"],
            expected_version=form.validated_data["version"],
        )
        return Response(SubmissionStateOutput(annotation).data)
