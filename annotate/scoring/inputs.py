"""What a score job takes, validated the same way by the API and the scores page."""

from rest_framework import serializers

from annotate.core.display_names import DisplayNameValidator
from annotate.scoring.models import ScoreJob


class ScoreJobInput(serializers.Serializer):
    gold = serializers.FileField(
        allow_empty_file=True,
        help_text=(
            'EmoCue cue JSON: {name: {"visual": [...], "auditory": [...], "emotional": [...]}}'
        ),
    )
    predicted = serializers.FileField(
        allow_empty_file=True, help_text="The model's cues, same format."
    )
    label = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        validators=[DisplayNameValidator("A score job's label")],
    )
    mode = serializers.ChoiceField(choices=ScoreJob.Mode.choices, default=ScoreJob.Mode.STRICT)
    variants = serializers.MultipleChoiceField(choices=["one_to_one", "hit_rate"], required=False)
    tau = serializers.FloatField(default=0.5, min_value=0.0, max_value=1.0)
    ci = serializers.BooleanField(default=True)


_MAX_CUE_FILE_BYTES = 50 * 1024 * 1024


def cue_file_too_large(data: dict) -> str | None:
    """What to say when a validated job's gold or predicted file is over the limit, or None."""
    for key in ("gold", "predicted"):
        if data[key].size > _MAX_CUE_FILE_BYTES:
            return f"{data[key].name} is over 50 MB."
    return None
