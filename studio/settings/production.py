"""Production: the same environment-driven settings, hardened. Refuses to start without a key.

Variables read here (besides base's): DJANGO_SECURE_SSL_REDIRECT, DJANGO_SECURE_PROXY_SSL_HEADER,
DJANGO_SECURE_HSTS_SECONDS, DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE, DJANGO_FILE_UPLOAD_MAX_MEMORY_SIZE
and, for media on S3-compatible storage (MinIO), EMOCUE_S3_BUCKET, EMOCUE_S3_ENDPOINT_URL,
EMOCUE_S3_ACCESS_KEY_ID, EMOCUE_S3_SECRET_ACCESS_KEY, EMOCUE_S3_REGION, EMOCUE_S3_ADDRESSING_STYLE.
"""

import importlib.util

from django.core.exceptions import ImproperlyConfigured

from studio.settings.base import *  # noqa: F403
from studio.settings.base import env

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if len(SECRET_KEY) < 32 or SECRET_KEY.startswith(("embedded-insecure", "change-me")):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a random string of at least 32 characters in production."
    )
DEBUG = False

# --- HTTPS ----------------------------------------------------------------------------------
# The app sits behind the lab's TLS-terminating proxy, which must set X-Forwarded-Proto (and
# strip it from clients' requests); without such a proxy set DJANGO_SECURE_PROXY_SSL_HEADER=false.
if env.bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=True):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Origins allowed to POST (https://studio.lab.example): base reads DJANGO_CSRF_TRUSTED_ORIGINS.

# --- request sizes --------------------------------------------------------------------------
# Form and JSON bodies (files excluded) larger than this are refused with a 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", default=8 * 1024 * 1024)
# Uploaded files above this size are streamed to a temporary file instead of held in memory;
# clips above EMOCUE_MAX_UPLOAD_BYTES (base) are refused outright.
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("DJANGO_FILE_UPLOAD_MAX_MEMORY_SIZE", default=8 * 1024 * 1024)

# drf-spectacular reports colliding enum names in the API schema as warnings (W001); they are
# about the schema's component names, not about the deployment, and would fail
# `check --deploy --fail-level WARNING`.
SILENCED_SYSTEM_CHECKS = ["drf_spectacular.W001"]

# --- storage --------------------------------------------------------------------------------
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
EMOCUE_S3_BUCKET = env.str("EMOCUE_S3_BUCKET", default="")
if EMOCUE_S3_BUCKET:
    # Media (uploads, derived proxies, frames, export zips) in an S3-compatible bucket. Known
    # limit: proposers (model runs) read media from local paths and refuse remote storage.
    if importlib.util.find_spec("storages") is None or importlib.util.find_spec("boto3") is None:
        raise ImproperlyConfigured(
            "EMOCUE_S3_BUCKET is set but django-storages and boto3 are not installed."
        )
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}
    AWS_STORAGE_BUCKET_NAME = EMOCUE_S3_BUCKET
    AWS_S3_ENDPOINT_URL = env.str("EMOCUE_S3_ENDPOINT_URL", default="") or None  # None: AWS
    AWS_S3_ACCESS_KEY_ID = env.str("EMOCUE_S3_ACCESS_KEY_ID", default="") or None
    AWS_S3_SECRET_ACCESS_KEY = env.str("EMOCUE_S3_SECRET_ACCESS_KEY", default="") or None
    AWS_S3_REGION_NAME = env.str("EMOCUE_S3_REGION", default="us-east-1")
    # MinIO serves buckets by path (http://minio:9000/bucket/key), not by virtual host.
    AWS_S3_ADDRESSING_STYLE = env.str("EMOCUE_S3_ADDRESSING_STYLE", default="path")
    AWS_S3_SIGNATURE_VERSION = "s3v4"
    AWS_DEFAULT_ACL = None  # objects inherit the bucket's (private) policy
    AWS_QUERYSTRING_AUTH = True  # any URL the storage hands out is signed and expires
    AWS_QUERYSTRING_EXPIRE = 3600
    # Like FileSystemStorage: saving under a taken name picks a new name instead of overwriting.
    AWS_S3_FILE_OVERWRITE = False
