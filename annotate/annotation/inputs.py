"""What each annotation action takes, validated the same way by the API and the htmx timeline
and assignment pages: one serializer per action (a page builds its data from the form, the API
from the JSON body)."""

from rest_framework import serializers

from annotate.runs.models import Cue


class AssignmentReassignInput(serializers.Serializer):
    to = serializers.CharField(max_length=150, help_text="Username of an annotator of the project.")
    version = serializers.IntegerField(min_value=1, help_text="The slot's version you read.")


class AssignmentReleaseInput(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="The slot's version you read.")


_MAX_INT = 2**31 - 1  # PostgreSQL's integer: larger values are refused as input, not stored


def _version_field(what: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1, max_value=_MAX_INT, help_text=f"The {what}'s version you last read."
    )


def _ms_field() -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=_MAX_INT,
        help_text="Media time in ms, snapped to the nearest frame; null with its partner for "
        "a whole-clip cue.",
    )


class AnnotationChangeInput(serializers.Serializer):
    version = _version_field("annotation")
    labels = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        help_text="Emotion labels from the project's vocabulary (any, when the project allows "
        "free labels), at most EMOCUE_MAX_LABELS; replaces the list.",
    )
    primary_label = serializers.CharField(required=False, allow_blank=True, max_length=64)
    description = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="The reasoning, at most EMOCUE_MAX_DESCRIPTION_CHARS characters.",
    )


class VersionInput(serializers.Serializer):
    version = _version_field("annotation")


class CueVersionInput(serializers.Serializer):
    version = _version_field("cue")


class CueRejectInput(CueVersionInput):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class CueAddInput(serializers.Serializer):
    modality = serializers.ChoiceField(choices=Cue.Modality.choices)
    text = serializers.CharField(max_length=2000)
    start_ms = _ms_field()
    end_ms = _ms_field()


class CueChangeInput(CueVersionInput):
    text = serializers.CharField(
        required=False, max_length=2000, help_text="New wording (an edit)."
    )
    start_ms = _ms_field()
    end_ms = _ms_field()

    def validate(self, data: dict) -> dict:
        span = [key for key in ("start_ms", "end_ms") if key in data]
        if ("text" in data) == bool(span):
            raise serializers.ValidationError(
                {
                    "text": "Send either text (an edit) or start_ms and end_ms (a retime); one "
                    "change per request, each its own undo step."
                }
            )
        if len(span) == 1:
            missing = "end_ms" if span == ["start_ms"] else "start_ms"
            raise serializers.ValidationError(
                {missing: "Send start_ms and end_ms together (both null for a whole-clip cue)."}
            )
        return data
