from django.apps import AppConfig


class AnnotateConfig(AppConfig):
    name = "annotate"
    verbose_name = "EmoCue Studio"
    default_auto_field = "django.db.models.BigAutoField"
