"""The Celery app. Queues: "cpu" (ingest, signal proposer, scoring, exports), "gpu" (XEmoGPT)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings.base")

app = Celery("studio")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
