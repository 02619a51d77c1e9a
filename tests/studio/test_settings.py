"""The two settings profiles are chosen by the environment alone; production refuses bad keys."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, django
from django.conf import settings
django.setup()
from studio.celery import app
app.loader.import_default_modules()
polling_interval = None
if settings.CELERY_BROKER_URL.startswith("sqla+"):
    from kombu.transport.sqlalchemy import Transport
    polling_interval = Transport.polling_interval
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "broker": app.conf.broker_url,
    "polling_interval": polling_interval,
    "route": app.amqp.router.route({}, "annotate.clips.tasks.clip_ingest")["queue"].name,
    "default_queue": app.conf.task_default_queue,
    "embedded": settings.EMBEDDED,
    "media": str(settings.MEDIA_ROOT),
}))
"""


def _settings(env_extra: dict, module="studio.settings.base") -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "MEDIA_ROOT", "DJANGO_SECRET_KEY")
    }
    env.update(DJANGO_SETTINGS_MODULE=module, **env_extra)
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_embedded_profile_needs_no_server(tmp_path):
    done = _settings({"EMOCUE_VAR_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["engine"] == "django.db.backends.sqlite3"
    assert seen["db_name"] == str(tmp_path / "db.sqlite3")
    assert seen["broker"] == f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    assert seen["polling_interval"] == 0.2
    assert seen["embedded"] is True and seen["media"] == str(tmp_path / "media")
    assert seen["route"] == "cpu"


def test_services_profile_from_the_environment(tmp_path):
    done = _settings(
        {
            "DATABASE_URL": "postgres://u:p@db.example:5432/studio",
            "CELERY_BROKER_URL": "redis://cache.example:6379/0",
            "MEDIA_ROOT": str(tmp_path),
        }
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["engine"] == "django.db.backends.postgresql" and seen["db_name"] == "studio"
    assert seen["broker"] == "redis://cache.example:6379/0"
    assert seen["embedded"] is False and seen["route"] == "cpu"


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    done = _settings({"EMOCUE_VAR_DIR": str(tmp_path)}, module="studio.settings.production")
    assert done.returncode != 0 and "DJANGO_SECRET_KEY" in done.stderr
    done = _settings(
        {"EMOCUE_VAR_DIR": str(tmp_path), "DJANGO_SECRET_KEY": "x" * 50},
        module="studio.settings.production",
    )
    assert done.returncode == 0, done.stderr
