from rest_framework import serializers

from annotate.models import Clip, Project, ScoreJob


class ProjectOutput(serializers.ModelSerializer):
    clip_count = serializers.IntegerField(read_only=True)
    ready_count = serializers.IntegerField(read_only=True)
    hide_proposals_share = serializers.SerializerMethodField(
        help_text="Share of clips whose annotators start without the model's proposals (0 to 1).")

    class Meta:
        model = Project
        fields = ["slug", "name", "description", "emotion_vocabulary", "annotators_per_clip",
                  "blind_mode", "assignment_lease_minutes", "align_similarity", "align_overlap",
                  "auto_promote_consensus", "decoy_rate", "hide_proposals_share", "clip_count",
                  "ready_count", "created_at"]

    def get_hide_proposals_share(self, project: Project) -> float:
        return float(project.proposer_settings.get("hide_proposals_share", 0) or 0)


class ClipOutput(serializers.ModelSerializer):
    fps = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Clip
        fields = ["id", "name", "original_filename", "sha256", "size_bytes", "status",
                  "error_code", "error", "duration_ms", "fps", "fps_num", "fps_den",
                  "frame_count", "width", "height", "start_ms", "video_codec", "has_audio",
                  "audio_codec", "subtitle_format", "group_key", "created_at", "ingested_at"]


class ClipDetailOutput(ClipOutput):
    media = serializers.SerializerMethodField()

    class Meta(ClipOutput.Meta):
        fields = [*ClipOutput.Meta.fields, "subtitle_text", "subtitle_segments", "metadata",
                  "media", "frames", "thumb_times_ms", "proxy_mode"]

    def get_media(self, clip: Clip) -> dict[str, str | None]:
        def url(name: str) -> str | None:
            return f"/media/{name}" if name else None

        return {"proxy": url(clip.proxy), "audio": url(clip.audio), "peaks": url(clip.peaks),
                "thumbs": url(clip.thumbs)}


class ClipUploadInput(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, help_text="The video; validated with ffprobe, not by extension.")
    subtitle = serializers.FileField(required=False, help_text="SRT, WebVTT or plain text.")
    name = serializers.CharField(required=False, max_length=200)
    group_key = serializers.CharField(required=False, allow_blank=True, max_length=200)


class ErrorOutput(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    filename = serializers.CharField(required=False)


class ScoreJobOutput(serializers.ModelSerializer):
    class Meta:
        model = ScoreJob
        fields = ["id", "label", "gold_filename", "predicted_filename", "mode", "variants", "tau",
                  "ci", "status", "error", "created_at", "started_at", "finished_at"]


class ScoreJobDetailOutput(ScoreJobOutput):
    class Meta(ScoreJobOutput.Meta):
        fields = [*ScoreJobOutput.Meta.fields, "result"]


class ScoreJobInput(serializers.Serializer):
    gold = serializers.FileField(allow_empty_file=True, help_text='EmoCue cue JSON: {name: {"visual": [...], "auditory": [...], "emotional": [...]}}')
    predicted = serializers.FileField(allow_empty_file=True, help_text="The model's cues, same format.")
    label = serializers.CharField(required=False, allow_blank=True, max_length=200)
    mode = serializers.ChoiceField(choices=["strict", "reference"], default="strict")
    variants = serializers.MultipleChoiceField(choices=["one_to_one", "hit_rate"], required=False)
    tau = serializers.FloatField(default=0.5, min_value=0.0, max_value=1.0)
    ci = serializers.BooleanField(default=True)
