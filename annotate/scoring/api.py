"""Scoring over the API: score jobs (one uploaded cue file against another) and the live
leaderboard with its per-sample rows. Both are for members, but not for annotators of a blind
project (a 404, as if the project did not exist)."""

from django.http import Http404
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
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
    ErrorOutput,
    RunErrorOutput,
    form_invalid_response,
    multipart_unreadable_response,
    query_choice,
)
from annotate.core.models import Membership, Project
from annotate.goldsets.api import goldset_parameter
from annotate.scoring import selectors as leaderboard_selectors
from annotate.scoring import services as scoring_services
from annotate.scoring.comparison import learned_comparisons
from annotate.scoring.inputs import ScoreJobInput, cue_file_too_large
from annotate.scoring.models import RunScore, ScoreJob
from inference.emocue360 import MODALITIES, MODES, VARIANTS


class ScoreJobOutput(serializers.ModelSerializer):
    class Meta:
        model = ScoreJob
        fields = [
            "id",
            "label",
            "gold_filename",
            "predicted_filename",
            "mode",
            "variants",
            "tau",
            "ci",
            "status",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]


class ScoreJobDetailOutput(ScoreJobOutput):
    class Meta(ScoreJobOutput.Meta):
        fields = [*ScoreJobOutput.Meta.fields, "result"]


SCORE_ROLES = (Membership.Role.MANAGER, Membership.Role.REVIEWER)


_NO_SCORES = OpenApiResponse(
    DetailOutput, description="No such project, not a member, or an annotator of a blind project."
)


class ScoreJobListApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses={200: ScoreJobOutput(many=True), 404: _NO_SCORES})
    def get(self, request, slug: str):
        project, _ = core_selectors.project_get_for_model_output(slug=slug, user=request.user)
        jobs = ScoreJob.objects.filter(project=project).defer("gold", "predicted", "result")
        return Response(ScoreJobOutput(jobs, many=True).data)

    @extend_schema(
        request={"multipart/form-data": ScoreJobInput},
        responses={
            202: ScoreJobOutput,
            400: ErrorOutput,
            403: ErrorOutput,
            404: _NO_SCORES,
            413: ErrorOutput,
            422: ErrorOutput,
            503: QUEUE_UNAVAILABLE,
        },
    )
    def post(self, request, slug: str):
        project, role = core_selectors.project_get_for_model_output(slug=slug, user=request.user)
        if role not in SCORE_ROLES:
            return Response(
                {"code": "forbidden", "detail": "Only managers and reviewers can score runs."},
                status=status.HTTP_403_FORBIDDEN,
            )
        try:
            form = ScoreJobInput(data=request.data)
        except ParseError as error:
            return multipart_unreadable_response(error)
        if not form.is_valid():
            return form_invalid_response(form)
        data = form.validated_data
        too_large = cue_file_too_large(data)
        if too_large:
            return Response(
                {"code": "too_large", "detail": too_large},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        job = scoring_services.score_job_create(
            project=project,
            gold=data["gold"].read(),
            predicted=data["predicted"].read(),
            gold_filename=data["gold"].name,
            predicted_filename=data["predicted"].name,
            label=data.get("label", ""),
            mode=data["mode"],
            variants=sorted(data.get("variants", [])),
            tau=data["tau"],
            ci=data["ci"],
            created_by=request.user,
        )
        return Response(ScoreJobOutput(job).data, status=status.HTTP_202_ACCEPTED)


class ScoreJobDetailApi(APIView):
    @extend_schema(
        responses={
            200: ScoreJobDetailOutput,
            404: OpenApiResponse(
                DetailOutput,
                description="No such project or score job, not a member, or an annotator of a "
                "blind project.",
            ),
        }
    )
    def get(self, request, slug: str, job_id: int):
        project, _ = core_selectors.project_get_for_model_output(slug=slug, user=request.user)
        job = ScoreJob.objects.filter(project=project, pk=job_id).first()
        if job is None:
            raise Http404("No such score job.")
        return Response(ScoreJobDetailOutput(job).data)


SCORE_KEYS = (*MODALITIES, "overall")


def _project_for_leaderboard(request, slug: str) -> tuple[Project, str]:
    # Blind annotators must not see other people's or the model's work (the page's rule).
    return core_selectors.project_get_for_model_output(slug=slug, user=request.user)


class LeaderboardCellOutput(serializers.Serializer):
    f1 = serializers.FloatField(allow_null=True)
    lo = serializers.FloatField(allow_null=True, help_text="95 % CI, low end.")
    hi = serializers.FloatField(allow_null=True)
    n = serializers.IntegerField(help_text="Samples scored.")


class LeaderboardCellsOutput(serializers.Serializer):
    visual = LeaderboardCellOutput()
    auditory = LeaderboardCellOutput()
    emotional = LeaderboardCellOutput()
    overall = LeaderboardCellOutput()


class LeaderboardRowOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    rank = serializers.IntegerField(
        allow_null=True,
        help_text="1 for the best overall F1; rows without numbers yet come after those with "
        "them. null for a row that is not scorable: those are listed last.",
    )
    scorable = serializers.BooleanField(
        help_text="false when none of the gold clips is among the run's clips (the "
        "annotator's submitted clips), or nothing is gold yet: not ranked."
    )
    not_scorable = serializers.CharField(
        help_text="Why the row is not scorable yet; empty when it is."
    )
    kind = serializers.CharField(help_text="run or human (an annotator's row).")
    name = serializers.CharField(help_text="The run's label, or the annotator's username.")
    proposer = serializers.CharField()
    version = serializers.CharField(help_text="The proposer's version.")
    status = serializers.CharField(help_text="pending, running, done or failed.")
    stale = serializers.BooleanField(help_text="A recomputation is due.")
    busy = serializers.BooleanField()
    error = serializers.CharField()
    computed_at = serializers.DateTimeField(allow_null=True)
    cells = LeaderboardCellsOutput(help_text="EmoCue-360 strict F1 per modality and overall.")
    reference_overall = serializers.FloatField(
        allow_null=True, help_text="Overall F1 in reference mode."
    )
    n_samples = serializers.IntegerField()
    excluded_training_clips = serializers.IntegerField(
        help_text="Gold clips this run was not scored on because its model was trained on them "
        "(a learned proposer: held-out clips only); 0 for other rows."
    )


class LeaderboardSampleOutput(serializers.Serializer):
    name = serializers.CharField()
    f1 = serializers.FloatField()


class LeaderboardRowDetailOutput(LeaderboardRowOutput):
    rank = None  # a rank is a place in the list; one row alone has none
    label = serializers.CharField()
    gold_version = serializers.IntegerField(allow_null=True, help_text="null: the working gold.")
    mode = serializers.CharField()
    variant = serializers.CharField()
    modality = serializers.CharField()
    samples = LeaderboardSampleOutput(many=True, help_text="Per-sample F1, lowest first.")
    result = serializers.JSONField(
        allow_null=True, help_text="Both modes, every variant, with intervals."
    )
    config = serializers.JSONField(help_text="Model id, modes, variants, tau.")


class LeaderboardApi(GenericAPIView):
    queryset = RunScore.objects.none()
    serializer_class = LeaderboardRowOutput

    @extend_schema(
        operation_id="projects_leaderboard_list",
        summary="The leaderboard: each finished run and each annotator scored with EmoCue-360 "
        "against the working gold or a frozen version, best overall first; rows that are "
        "not scorable yet (no gold clip among theirs) last, without a rank",
        parameters=[
            goldset_parameter(),
            OpenApiParameter(
                "variant",
                str,
                enum=list(VARIANTS),
                description="The score variant (default paper).",
            ),
        ],
        responses={
            200: LeaderboardRowOutput(many=True),
            400: OpenApiResponse(RunErrorOutput, description="Unknown variant."),
            403: NOT_SIGNED_IN,
            404: OpenApiResponse(
                DetailOutput,
                description=(
                    "No such project or gold set version, not a member, or an annotator "
                    "of a blind project."
                ),
            ),
        },
    )
    def get(self, request, slug: str):
        project, _ = _project_for_leaderboard(request, slug)
        variant, bad = query_choice(request, "variant", VARIANTS, "paper")
        if bad:
            return bad
        gold_set = leaderboard_selectors.gold_set_for(
            project=project, version=request.query_params.get("goldset")
        )
        rows = leaderboard_selectors.leaderboard_rows(
            project=project, gold_set=gold_set, variant=variant
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(LeaderboardRowOutput(page, many=True).data)


class LeaderboardRowApi(GenericAPIView):
    queryset = RunScore.objects.none()
    serializer_class = LeaderboardRowDetailOutput

    @extend_schema(
        operation_id="projects_leaderboard_retrieve",
        summary="One leaderboard row with its per-sample scores",
        parameters=[
            OpenApiParameter("mode", str, enum=list(MODES), description="Default strict."),
            OpenApiParameter("variant", str, enum=list(VARIANTS), description="Default paper."),
            OpenApiParameter(
                "modality",
                str,
                enum=list(SCORE_KEYS),
                description="Per-sample F1 of this modality, or overall (the "
                "default: the mean over the sample's modalities).",
            ),
        ],
        responses={
            200: LeaderboardRowDetailOutput,
            400: OpenApiResponse(RunErrorOutput, description="Unknown mode, variant or modality."),
            403: NOT_SIGNED_IN,
            404: OpenApiResponse(
                DetailOutput,
                description=(
                    "No such project or row in it, not a member, or an annotator of a "
                    "blind project."
                ),
            ),
        },
    )
    def get(self, request, slug: str, row_id: int):
        project, _ = _project_for_leaderboard(request, slug)
        choices = {}
        for name, allowed, default in (
            ("mode", MODES, "strict"),
            ("variant", VARIANTS, "paper"),
            ("modality", SCORE_KEYS, "overall"),
        ):
            choices[name], bad = query_choice(request, name, allowed, default)
            if bad:
                return bad
        score = leaderboard_selectors.run_score_get(project=project, row_id=row_id)
        row = leaderboard_selectors.leaderboard_row_from_score(score, variant=choices["variant"])
        samples = leaderboard_selectors.sample_scores(
            score=score, mode=choices["mode"], variant=choices["variant"], key=choices["modality"]
        )
        row.label = leaderboard_selectors.run_score_label(score)
        row.gold_version = score.gold_set.version if score.gold_set else None
        row.mode, row.variant = choices["mode"], choices["variant"]
        row.modality = choices["modality"]
        row.samples, row.result, row.config = samples, score.result, score.config
        return Response(LeaderboardRowDetailOutput(row).data)


class LearnedComparisonOutput(serializers.Serializer):
    learned = serializers.IntegerField(source="learned.number", help_text="Its number (#).")
    gold_version = serializers.IntegerField(
        source="learned.gold_set.version", help_text="The gold version it was trained on."
    )
    base_run = serializers.IntegerField(source="base_run.pk", allow_null=True, default=None)
    learned_run = serializers.IntegerField(source="learned_run.pk", allow_null=True, default=None)
    state = serializers.CharField(
        help_text="ready; no_run (no finished run of it); scoring (a score is being computed); "
        "no_clips (no held-out clip is scored by both against this gold)."
    )
    message = serializers.CharField()
    result = serializers.JSONField(
        help_text="When ready: clips (held-out clips scored by both), base / other (the "
        "learned run) F1 per modality and overall, difference (learned − base) and ci (95 %, "
        "paired bootstrap over clips), bootstrap (its configuration)."
    )
    ahead = serializers.BooleanField(
        allow_null=True, help_text="true when the CI lies above 0, false below, null across 0."
    )


class LearnedComparisonApi(GenericAPIView):
    queryset = RunScore.objects.none()
    serializer_class = LearnedComparisonOutput
    pagination_class = None

    @extend_schema(
        operation_id="projects_leaderboard_learned_list",
        summary="Each learned proposer against the run it learned from, on its held-out clips "
        "only, with the CI of the difference (paired bootstrap over clips)",
        parameters=[
            goldset_parameter(),
            OpenApiParameter(
                "variant",
                str,
                enum=list(VARIANTS),
                description="The score variant (default paper).",
            ),
        ],
        responses={
            200: LearnedComparisonOutput(many=True),
            400: OpenApiResponse(RunErrorOutput, description="Unknown variant."),
            403: NOT_SIGNED_IN,
            404: OpenApiResponse(
                DetailOutput,
                description="No such project or gold set version, not a member, or an "
                "annotator of a blind project.",
            ),
        },
    )
    def get(self, request, slug: str):
        project, _ = _project_for_leaderboard(request, slug)
        variant, bad = query_choice(request, "variant", VARIANTS, "paper")
        if bad:
            return bad
        gold_set = leaderboard_selectors.gold_set_for(
            project=project, version=request.query_params.get("goldset")
        )
        comparisons = learned_comparisons(project=project, gold_set=gold_set, variant=variant)
        return Response(LearnedComparisonOutput(comparisons, many=True).data)
