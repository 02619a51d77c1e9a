"""What starting a training and a learned run take, validated the same way by the API and the
pages (the page writes its split as text, train=0.8,test=0.2, turned into the same ratios)."""

from rest_framework import serializers

from annotate.goldsets.models import GoldSet
from annotate.runs.models import ModelRun


class LearnedProposerStartInput(serializers.Serializer):
    gold_version = serializers.IntegerField(
        min_value=1, help_text="The frozen gold set version to learn from."
    )
    ratios = serializers.DictField(
        child=serializers.FloatField(),
        allow_empty=False,
        help_text='Split name -> share, summing to 1: "train" is learned from, every other part '
        "is held out (and the only clips it is compared on). Split as an export of the version "
        "with this seed splits (grouped by speaker, stratified by primary label).",
    )
    seed = serializers.IntegerField(
        required=False, default=0, min_value=-(2**31), max_value=2**31 - 1
    )
    run = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The finished signal run to learn from (default: the newest at the current "
        "version).",
    )

    def validate_gold_version(self, value: int) -> GoldSet:
        project = self.context["project"]
        gold_set = GoldSet.objects.filter(project=project, version=value).first()
        if gold_set is None:
            raise serializers.ValidationError(
                f"{project.name} has no gold set version {value}; freeze one first."
            )
        return gold_set

    def validate_run(self, value: int | None) -> ModelRun | None:
        if value is None:
            return None
        project = self.context["project"]
        run = ModelRun.objects.filter(project=project, pk=value).first()
        if run is None:
            raise serializers.ValidationError(f"{project.name} has no run {value}.")
        return run


class LearnedRunStartInput(serializers.Serializer):
    clips = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        allow_empty=False,
        help_text="Clip names (default: its held-out clips that are ready). The leaderboard never "
        "scores it on its training clips, wherever it runs.",
    )
