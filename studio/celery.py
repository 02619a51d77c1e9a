"""The Celery app. Queues: "cpu" (ingest, signal proposer, scoring, exports), "gpu" (XEmoGPT)."""

import os

from celery import Celery
from celery.signals import import_modules

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings.base")

app = Celery("studio")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each capability that has Celery tasks keeps them in its tasks.py.
TASK_PACKAGES = [
    "annotate.clips",
    "annotate.runs",
    "annotate.review",
    "annotate.goldsets",
    "annotate.learning",
    "annotate.scoring",
]
app.autodiscover_tasks(TASK_PACKAGES)


def use_embedded_broker_polling_interval(**_kwargs) -> None:
    """kombu's SQLAlchemy transport hands its transport options to create_engine, so its
    polling interval (1 s by default) can only be set on the class."""
    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("sqla+"):
        from kombu.transport import sqlalchemy

        sqlalchemy.Transport.polling_interval = settings.EMOCUE_BROKER_POLLING_INTERVAL


import_modules.connect(use_embedded_broker_polling_interval)
