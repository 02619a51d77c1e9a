from django.apps import AppConfig

from studio import typecache


class AnnotateConfig(AppConfig):
    name = "annotate"
    verbose_name = "EmoCue Studio"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # No model field created per request (studio/typecache.py).
        typecache.install()
        # Higher capabilities hear of lower ones' changes through annotate/core/signals.py.
        from annotate.annotation import receivers as annotation
        from annotate.core import signals
        from annotate.review import receivers as review
        from annotate.scoring import receivers as scoring

        signals.scores_stale.connect(scoring.on_scores_stale, dispatch_uid="scoring.scores_stale")
        signals.goldset_frozen.connect(
            scoring.on_goldset_frozen, dispatch_uid="scoring.goldset_frozen"
        )
        signals.annotation_submitted.connect(
            review.on_annotation_submitted, dispatch_uid="review.annotation_submitted"
        )
        signals.annotators_per_clip_changed.connect(
            annotation.on_annotators_per_clip_changed,
            dispatch_uid="annotation.annotators_per_clip_changed",
        )
        signals.member_leaving.connect(
            annotation.on_member_leaving, dispatch_uid="annotation.member_leaving"
        )
