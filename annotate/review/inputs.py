"""What each review action takes, validated the same way by the API and the htmx review page:
one serializer per action (the page builds its data from the form, the API from the JSON body)."""

from rest_framework import serializers

_INT_MAX = 2**31 - 1  # the database's integer columns


def _version_field():
    return serializers.IntegerField(
        min_value=1, max_value=_INT_MAX, help_text="The gold record's version you saw."
    )


def _ms_field():
    return serializers.IntegerField(
        min_value=0, max_value=_INT_MAX, required=False, allow_null=True, default=None
    )


class ReviewVersionInput(serializers.Serializer):
    version = _version_field()


class ReviewAcceptInput(ReviewVersionInput):
    text = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Your wording; default: the first annotator's.",
    )
    start_ms = _ms_field()
    end_ms = _ms_field()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ReviewRejectInput(ReviewVersionInput):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ReviewMergeInput(ReviewVersionInput):
    groups = serializers.ListField(
        child=serializers.CharField(max_length=64),
        help_text="Two or more group keys of one modality.",
    )
    text = serializers.CharField(allow_blank=True, help_text="The merged cue's wording.")
    start_ms = _ms_field()
    end_ms = _ms_field()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ReviewGoldCueInput(ReviewVersionInput):
    modality = serializers.CharField(help_text="visual, auditory or emotional.")
    text = serializers.CharField(allow_blank=True)
    start_ms = _ms_field()
    end_ms = _ms_field()


class ReviewLabelsInput(ReviewVersionInput):
    labels = serializers.ListField(child=serializers.CharField(allow_blank=True))
    primary_label = serializers.CharField(allow_blank=True)
    description = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        default=None,
        help_text="Left as it is when absent.",
    )


class ReviewCommentInput(serializers.Serializer):
    text = serializers.CharField(allow_blank=True)
    cue = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=2**63 - 1,
        help_text="Pin it to a cue of this clip.",
    )
    time_ms = _ms_field()


def _annotation_version_field():
    return serializers.IntegerField(
        min_value=1, max_value=_INT_MAX, help_text="The annotation's version you saw."
    )


class TakeBackInput(serializers.Serializer):
    """The annotator reopens their own submission."""

    version = _annotation_version_field()


class SendBackInput(serializers.Serializer):
    """A reviewer or manager returns a submission to its annotator."""

    version = _annotation_version_field()
    comment = serializers.CharField(
        max_length=2000, help_text="Why it goes back; the annotator reads it."
    )
