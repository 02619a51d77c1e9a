"""Test settings: the environment still picks the database and broker (CI points them at
PostgreSQL and Redis); media goes to a throwaway folder."""

import tempfile
from pathlib import Path

from studio.settings.base import *  # noqa: F403
from studio.settings.base import env

MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=tempfile.mkdtemp(prefix="emocue-test-media-")))
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
# Tasks run eagerly here: reading every test clip's subtitle would run the OCR in each test
# that uploads one. The tests of the reading turn it on.
EMOCUE_SUBTITLE_OCR = env.bool("EMOCUE_SUBTITLE_OCR", default=False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Request threads of the live test server must not keep connections past their request,
# or the test database cannot be dropped at the end.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
