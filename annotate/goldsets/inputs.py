"""What freezing a version and asking for an export take, validated the same way by the API and
the gold set pages (the export page writes its split as text, train=0.8,test=0.2, and turns it
into the same ratios first)."""

from rest_framework import serializers


class GoldSetFreezeInput(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    licence = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Name or SPDX id, e.g. CC-BY-NC-4.0.",
    )


class ExportCreateInput(serializers.Serializer):
    ratios = serializers.DictField(
        child=serializers.FloatField(),
        allow_empty=False,
        help_text="Split name -> share, summing to 1; the order is kept (it is part of the "
        "zip's bytes).",
    )
    seed = serializers.IntegerField(
        required=False, default=0, min_value=-(2**31), max_value=2**31 - 1
    )
    with_media = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Put the clips' proxy videos into the zip at media/<name>.<ext>, where the "
        "ELAN files point (stored uncompressed: the zip is about as large as the videos).",
    )
