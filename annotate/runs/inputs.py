"""What starting a run and importing outside results take, validated the same way by the API
and the pages (the run table's form, the import page)."""

from rest_framework import serializers

from annotate.clips.models import Clip
from annotate.core.display_names import DisplayNameValidator
from annotate.runs.imports import FORMATS
from annotate.runs.proposing import proposer_needs_artefact
from inference.proposers import proposer_names


def startable_proposer_names() -> list[str]:
    """The proposers a run can be started with by name (not those built from an artefact)."""
    return [name for name in proposer_names() if not proposer_needs_artefact(name)]


class RunStartInput(serializers.Serializer):
    proposer = serializers.CharField(
        required=False,
        help_text="A registered proposer (e.g. signals, xemogpt). Default: the "
        "EMOCUE_DEFAULT_PROPOSER setting.",
    )
    label = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        default="",
        validators=[DisplayNameValidator("A run label")],
    )
    clips = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        allow_empty=False,
        help_text="Clip names; they must be ready. Default: every ready clip of the project.",
    )

    def validate_proposer(self, value: str) -> str:
        known = startable_proposer_names()
        if value not in known and value in proposer_names():
            raise serializers.ValidationError(
                f"{value} runs a model trained on the project's gold: start it from the "
                f"learned proposer's page; here: {', '.join(known)}."
            )
        if value not in known:
            raise serializers.ValidationError(
                f"Unknown proposer {value!r}; known: {', '.join(known)}."
            )
        return value

    def validate_clips(self, names: list[str]) -> list[str]:
        project = self.context["project"]
        found = set(
            Clip.objects.filter(project=project, name__in=names).values_list("name", flat=True)
        )
        missing = [name for name in dict.fromkeys(names) if name not in found]
        if missing:
            raise serializers.ValidationError(
                f"No clip named {', '.join(map(repr, missing))} in project {project.slug!r}; "
                f"GET /api/projects/{project.slug}/clips/ lists them."
            )
        return list(dict.fromkeys(names))


class RunImportInput(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,
        help_text='EmoCue cue JSON {name: {"visual": [...], "auditory": [...], '
        '"emotional": [...]}} (cues as strings or {text, kind, start_ms, end_ms}) or '
        "an EMER-style CSV (name,english; name,chinese,english; "
        "names,emotions,subtitles,reasons; optional openset). The format is read from "
        "the content.",
    )
    label = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        validators=[DisplayNameValidator("A run label")],
        help_text="Default: the file name without its extension (less any control or "
        "bidirectional formatting characters).",
    )
    format = serializers.ChoiceField(
        choices=list(FORMATS), required=False, help_text="Overrides the detection from the content."
    )
