"""Settings read from the environment.

Two profiles, chosen by the environment alone:
- embedded (the default): SQLite, media in a local folder, Celery on kombu's SQLAlchemy/SQLite
  transport, so nothing but this process and the worker it starts is needed;
- services: DATABASE_URL (PostgreSQL via psycopg 3) and CELERY_BROKER_URL (Redis) set.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env.str("EMOCUE_VAR_DIR", default=str(BASE_DIR / "var")))

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="embedded-insecure-dev-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# A form the CSRF check refuses gets the site's 403 page saying why (not Django's bare page).
CSRF_FAILURE_VIEW = "studio.errors.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "annotate",
]

MIDDLEWARE = [
    # First: the request's frames get one roomy chunk of CPython's stack (studio/stack.py).
    "studio.stack.StackRoomMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "studio.limits.RequestSizeLimitMiddleware",
    "studio.limits.NulCharacterMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "studio.urls"
WSGI_APPLICATION = "studio.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "frontend" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
EMBEDDED_DATABASE_URL = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASES = {"default": env.db_url("DATABASE_URL", default=EMBEDDED_DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # The web process and the worker write the same file: WAL lets readers run beside a
    # writer, IMMEDIATE transactions queue writers instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
EMBEDDED = "DATABASE_URL" not in env and "CELERY_BROKER_URL" not in env

# --- auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# django-axes checks every password sign-in (the login page, the admin's, anything that calls
# authenticate() with the request) before the model backend does.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"

# --- sign-in throttling (django-axes) -------------------------------------------------------
# After EMOCUE_LOGIN_FAILURE_LIMIT failed sign-ins for one user name, or from one address, that
# user name (from anywhere) and that address (for any user name) are refused, even with the
# right password, until EMOCUE_LOGIN_COOLOFF_MINUTES have passed since the last failure.
# Failures are kept in the database (axes' tables), so every web process sees them.
AXES_FAILURE_LIMIT = env.int("EMOCUE_LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("EMOCUE_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# A successful sign-in does not wipe the failures: axes would delete every failure from that
# address too, so an attacker signing in to an account of their own between guesses at another
# account's password would never reach the limit. Failures older than the cool-off don't count.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "studio.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "studio.lockout.client_address"
# Proxies in front of the app that append to X-Forwarded-For (the lab's TLS proxy: 1). 0 takes
# the address of the connection itself, which behind a proxy is the proxy's for everyone.
EMOCUE_LOGIN_PROXY_COUNT = env.int("EMOCUE_LOGIN_PROXY_COUNT", default=0)
AXES_VERBOSE = False
LOGIN_REDIRECT_URL = "project-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every start without it
STATICFILES_DIRS = [BASE_DIR / "frontend" / "static"]
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Media reach browsers only through the members-only view at /media/ (annotate.clips.media);
# MEDIA_URL is a different prefix that nothing serves, so no handler can bypass that view.
MEDIA_URL = "/storage-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploads above this size are streamed to a temporary file rather than held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024 * 1024

# --- clips ----------------------------------------------------------------------------------
EMOCUE_MAX_UPLOAD_BYTES = env.int("EMOCUE_MAX_UPLOAD_BYTES", default=2 * 1024**3)
# The whole request (a batch of clips with their subtitles): refused with 413 before it is read.
EMOCUE_MAX_REQUEST_BYTES = env.int(
    "EMOCUE_MAX_REQUEST_BYTES", default=EMOCUE_MAX_UPLOAD_BYTES + 64 * 1024 * 1024
)
EMOCUE_MAX_CLIP_DURATION_MS = env.int("EMOCUE_MAX_CLIP_DURATION_MS", default=10 * 60 * 1000)
EMOCUE_FRAMES_PER_CLIP = 16  # XEmoGPT samples 16 frames uniformly over the clip
EMOCUE_PROXY_MAX_HEIGHT = env.int("EMOCUE_PROXY_MAX_HEIGHT", default=720)  # when transcoding
EMOCUE_PROXY_REMUX_MAX_HEIGHT = env.int("EMOCUE_PROXY_REMUX_MAX_HEIGHT", default=1080)
# A clip with no subtitle file and no manifest text has its subtitle read from the picture
# (OCR of burned-in text, inference.ocr) by a cpu task after its ingestion. Off: never on its
# own; a manager can still ask for it on the clip page.
EMOCUE_SUBTITLE_OCR = env.bool("EMOCUE_SUBTITLE_OCR", default=True)

# --- limits on what a user can send (docs/security.md) ---------------------------------------
# Each is refused with a 4xx that names the setting and its value, before anything is stored.
# The defaults are far above what a MER/EMER project needs (clips of seconds to a few minutes,
# a handful of cues and labels each); lower them for a public deployment.
EMOCUE_MAX_SUBTITLE_BYTES = env.int("EMOCUE_MAX_SUBTITLE_BYTES", default=2 * 1024 * 1024)
EMOCUE_MAX_SUBTITLE_CUES = env.int("EMOCUE_MAX_SUBTITLE_CUES", default=5000)
# Cues one proposal may hold (a proposer's output, or one clip of a run import).
EMOCUE_MAX_CUES_PER_PROPOSAL = env.int("EMOCUE_MAX_CUES_PER_PROPOSAL", default=5000)
# Cues one annotation may hold (the proposals' cues it opens with, decoys and its own cues).
EMOCUE_MAX_CUES_PER_ANNOTATION = env.int("EMOCUE_MAX_CUES_PER_ANNOTATION", default=10000)
EMOCUE_MAX_RUN_IMPORT_BYTES = env.int("EMOCUE_MAX_RUN_IMPORT_BYTES", default=50 * 1024 * 1024)
EMOCUE_MAX_RUN_IMPORT_CUES = env.int("EMOCUE_MAX_RUN_IMPORT_CUES", default=2_000_000)
EMOCUE_MAX_COMMENT_CHARS = env.int("EMOCUE_MAX_COMMENT_CHARS", default=10_000)
# The reasoning description of an annotation or a gold record.
EMOCUE_MAX_DESCRIPTION_CHARS = env.int("EMOCUE_MAX_DESCRIPTION_CHARS", default=20_000)
# Labels on one annotation or gold record.
EMOCUE_MAX_LABELS = env.int("EMOCUE_MAX_LABELS", default=100)

# --- proposers ------------------------------------------------------------------------------
EMOCUE_DEFAULT_PROPOSER = env.str("EMOCUE_DEFAULT_PROPOSER", default="signals")
# The queue each proposer's tasks go to: CPU proposers beside ingestion, XEmoGPT on GPU workers.
EMOCUE_PROPOSER_QUEUES = {"signals": "cpu", "signals+learned": "cpu", "xemogpt": "gpu"}
# Keyword options each proposer is built with (model paths for XEmoGPT live here).
# XEmoGPT's weights (local paths, never downloaded) come from EMOCUE_XEMOGPT_LLM_PATH,
# _CLIP_PATH, _HUBERT_PATH and _CHECKPOINT_PATH, which the proposer reads itself.
# A Chinese emotion lexicon file the lab holds a licence for (DUTIR's affective lexicon ontology
# as distributed, .xlsx or .csv), readable by the cpu workers; empty: the built-in lexicon.
# docs/signal-proposer.md says why DUTIR is not built in.
EMOCUE_CHINESE_LEXICON = env.str("EMOCUE_CHINESE_LEXICON", default="")
EMOCUE_PROPOSER_OPTIONS: dict[str, dict] = {
    "signals": (
        {"text": {"chinese_lexicon": EMOCUE_CHINESE_LEXICON}} if EMOCUE_CHINESE_LEXICON else {}
    ),
    "xemogpt": {
        key: value
        for key, value in {
            "device": env.str("EMOCUE_XEMOGPT_DEVICE", default="cuda"),
            # Refused by default: XEmoGPT on a CPU takes minutes a clip.
            "allow_cpu": env.bool("EMOCUE_XEMOGPT_ALLOW_CPU", default=False),
            "max_new_tokens": env.int("EMOCUE_XEMOGPT_MAX_NEW_TOKENS", default=None),
            "num_beams": env.int("EMOCUE_XEMOGPT_NUM_BEAMS", default=None),
        }.items()
        if value is not None
    },
}
# The learned proposer runs the signal proposer underneath, with the same thresholds (its
# model refuses output of another signal version than the one it learned from).
EMOCUE_PROPOSER_OPTIONS["signals+learned"] = EMOCUE_PROPOSER_OPTIONS["signals"]
# Clips per batch for proposers that batch (XEmoGPT on a GPU); others take one clip a task.
EMOCUE_PROPOSER_BATCH_SIZES = {"xemogpt": env.int("EMOCUE_XEMOGPT_BATCH_SIZE", default=8)}

# --- celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str(
    "CELERY_BROKER_URL", default=f"sqla+sqlite:///{VAR_DIR / 'broker.sqlite3'}"
)
# Seconds between polls of the embedded SQLite broker (kombu's SQLAlchemy transport passes its
# transport options to create_engine, so studio/celery.py sets this on the transport class).
EMOCUE_BROKER_POLLING_INTERVAL = env.float("EMOCUE_BROKER_POLLING_INTERVAL", default=0.2)
CELERY_TASK_IGNORE_RESULT = True  # task state lives in the database rows they update
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_DEFAULT_QUEUE = "cpu"
# Django's cache framework. Nothing of the studio needs it shared today (computed alignments are
# in the database, annotate.review.models.ClipAlignment); a lab deployment points CACHE_URL at
# Redis (e.g. redis://redis:6379/2) so that whatever comes to use it is shared by every process.
if "CACHE_URL" in env:
    CACHES = {"default": env.cache_url("CACHE_URL")}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "emocue",
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }

# Each capability's tasks.py is found by studio/celery.py; a task's name is its module path.
# Every annotate task runs on the cpu queue unless it is sent elsewhere (a run's proposer
# chooses its queue when the run is enqueued).
CELERY_TASK_ROUTES = {
    "annotate.*.tasks.*": {"queue": "cpu"},
    "inference.tasks.gpu.*": {"queue": "gpu"},
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # A task whose worker died unacknowledged goes back to the queue after this long; it must
    # outlast the longest task (hard limits are 31 min) or running tasks would be handed out twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("EMOCUE_BROKER_VISIBILITY_TIMEOUT", default=2 * 60 * 60)
    }
    if "EMOCUE_BROKER_RESTORE_SWEEP_S" in env:
        # How often a worker looks for such tasks (kombu's default: about every 100 s).
        CELERY_BROKER_TRANSPORT_OPTIONS.update(
            unacked_restore_interval=env.float("EMOCUE_BROKER_RESTORE_SWEEP_S"),
            unacked_restore_throttle=1,
        )

# --- API ------------------------------------------------------------------------------------
# Limits on what a client sends (docs/security.md). The deepest JSON the app reads is a cue
# file's 4 levels (clip, modality, list, cue); 64 leaves room for any client's wrapping while
# every recursive walk of the data (json, serializers, the scorer) stays far from Python's limit.
EMOCUE_MAX_JSON_DEPTH = env.int("EMOCUE_MAX_JSON_DEPTH", default=64)
# The largest ?limit= of a list; the API's own default page is 100.
EMOCUE_API_MAX_PAGE_SIZE = env.int("EMOCUE_API_MAX_PAGE_SIZE", default=500)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bodies, nested at most EMOCUE_MAX_JSON_DEPTH deep; uploads declare multipart themselves.
    "DEFAULT_PARSER_CLASSES": ["annotate.core.parsers.DepthLimitedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "annotate.core.api_schema.StudioAutoSchema",
    # ?limit= (1 to EMOCUE_API_MAX_PAGE_SIZE) and ?offset=, checked: a 400 names the bounds.
    "DEFAULT_PAGINATION_CLASS": "annotate.core.pagination.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 100,
    # A domain error (annotate.core.errors.DomainError) answers with its one status everywhere.
    "EXCEPTION_HANDLER": "annotate.core.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "EmoCue Studio API",
    "DESCRIPTION": "Cue-level gold data for explainable multimodal emotion recognition.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request bodies get their own components, so that file fields are `format: binary` (an
    # upload) and not the `uri` the responses give.
    "COMPONENT_SPLIT_REQUEST": True,
    # Path values as Django's converters match them, so the schema never promises a URL that
    # no route answers.
    "PATH_CONVERTER_OVERRIDES": {
        "slug": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"},
        "str": {"type": "string", "pattern": "^[^/]+$"},
        "int": {"type": "integer", "minimum": 0},
    },
    # Several models have a "status" field with their own choices; name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "ClipStatusEnum": "annotate.clips.models.Clip.Status",
        "ScoreJobStatusEnum": "annotate.scoring.models.ScoreJob.Status",
        # The metric's modes: one enum for the score job's input and output.
        "ModeEnum": "annotate.scoring.models.ScoreJob.Mode",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}
SPECTACULAR_SETTINGS.update(
    {"SWAGGER_UI_DIST": "SIDECAR", "SWAGGER_UI_FAVICON_HREF": "SIDECAR", "REDOC_DIST": "SIDECAR"}
)

# --- Content-Security-Policy (django-csp) ---------------------------------------------------
# Scripts only from this server's files: no inline script, no event-handler attributes, no
# eval (htmx's hx-on and js: values are off, see base.html). Style sheets and <style> elements
# need this server or the response's nonce (wavesurfer's shadow DOM styles, the API docs);
# style *attributes* are allowed, because the timeline and review lanes place every segment
# with style="--start: ..; --end: .." (and the ruler, the leaderboard legend). Media, peaks,
# fetches and images come from this server (data: images for Swagger UI's icons).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "media-src": [SELF],
        "connect-src": [SELF],
        "font-src": [SELF],
        "worker-src": [NONE],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if "EMOCUE_CSP_REPORT_URI" in env:
    # Where browsers report violations (a collector of the lab's choosing).
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [env.str("EMOCUE_CSP_REPORT_URI")]
