"""What a clip's subtitle actions take, validated the same way by the API and the clip page: a
manager's correction (timed segments, or an untimed text) and a replacement file."""

from rest_framework import serializers

_MAX_INT = 2**31 - 1  # PostgreSQL's integer: larger values are refused as input, not stored
SEGMENT_TEXT_CHARS = 2000
CHINESE_TEXT_CHARS = 20_000


class SubtitleSegmentInput(serializers.Serializer):
    start_ms = serializers.IntegerField(
        min_value=0, max_value=_MAX_INT, help_text="Media time in ms."
    )
    end_ms = serializers.IntegerField(
        min_value=0, max_value=_MAX_INT, help_text="Media time in ms, after start_ms."
    )
    text = serializers.CharField(
        max_length=SEGMENT_TEXT_CHARS,
        help_text="What the subtitle says then (white space, line breaks included, becomes "
        "single spaces).",
    )

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - {"start_ms", "end_ms", "text"})
            if unknown:
                raise serializers.ValidationError(
                    f"unknown field(s) {', '.join(unknown)}: a segment has start_ms, end_ms "
                    "and text (the reading's confidence is not set by hand)."
                )
        return super().to_internal_value(data)

    def validate(self, attrs):
        if attrs["end_ms"] <= attrs["start_ms"]:
            raise serializers.ValidationError(
                f"end_ms {attrs['end_ms']} must be after start_ms {attrs['start_ms']}."
            )
        text = " ".join(attrs["text"].split())
        if not text:
            raise serializers.ValidationError("text is blank; remove the segment instead.")
        return {**attrs, "text": text}


class SubtitleCorrectInput(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=0,
        max_value=_MAX_INT,
        help_text="The subtitle's version you read (`subtitle.version`): a subtitle changed "
        "since (read from the picture, corrected by someone else) is refused with 409.",
    )
    segments = serializers.ListField(
        child=SubtitleSegmentInput(),
        required=False,
        allow_empty=True,
        help_text="The whole timed subtitle, replacing the segments (in any order; at most "
        "EMOCUE_MAX_SUBTITLE_CUES). An empty list leaves the clip without a subtitle. A "
        "segment whose text is unchanged keeps the reading's confidence.",
    )
    text = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=CHINESE_TEXT_CHARS,
        trim_whitespace=True,
        help_text="An untimed subtitle instead of segments (as a manifest gives it).",
    )
    chinese = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=CHINESE_TEXT_CHARS,
        trim_whitespace=True,
        help_text="The chinese text shown beside an english subtitle; omitted: unchanged.",
    )

    @property
    def errors(self):
        """A segment's problems named "segment N" (1-based, in the order sent), so that the
        API's 400 and the page's message say which one: DRF nests them by list index."""
        errors = super().errors
        segments = errors.get("segments")
        if not isinstance(segments, dict):
            return errors

        def sentences(problem) -> list[str]:
            if isinstance(problem, dict):
                return [
                    text if field == "non_field_errors" else f"{field}: {text}"
                    for field, inner in problem.items()
                    for text in sentences(inner)
                ]
            if isinstance(problem, list):
                return [text for inner in problem for text in sentences(inner)]
            return [str(problem).rstrip(".")]

        named = [
            f"segment {index + 1}: {'; '.join(sentences(problem))}."
            for index, problem in sorted(segments.items())
        ]
        return {**errors, "segments": named}

    def validate(self, attrs):
        if ("segments" in attrs) == ("text" in attrs):
            raise serializers.ValidationError(
                {"segments": "give either segments (a timed subtitle) or text (an untimed one)."}
            )
        return attrs


class SubtitleFileInput(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,
        help_text="SRT, WebVTT or plain text (UTF-8 or UTF-16 with a BOM), at most "
        "EMOCUE_MAX_SUBTITLE_BYTES.",
    )
