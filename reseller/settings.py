"""Django settings for the reseller portal.

Every value comes from an environment variable read through the typed helpers
in reseller.env. With nothing set, a fresh checkout runs in demo mode: SQLite
and the Celery broker live under var/, and the portal talks to linode_fake on
loopback.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from reseller.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PORTAL_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# --- Linode API -------------------------------------------------------------

LINODE_TOKEN = env_str("LINODE_TOKEN")
# Demo mode: no real token, so the portal runs against linode_fake.
DEMO_MODE = env_bool("DEMO_MODE", default=not LINODE_TOKEN)
LINODE_FAKE_PORT = env_int("LINODE_FAKE_PORT", 8765, minimum=1)
LINODE_FAKE_TOKEN = "demo-operator-token"  # accepted by the fake that `make run` starts
if DEMO_MODE and not LINODE_TOKEN:
    LINODE_TOKEN = LINODE_FAKE_TOKEN
LINODE_API_URL = env_str(
    "LINODE_API_URL",
    f"http://127.0.0.1:{LINODE_FAKE_PORT}/v4" if DEMO_MODE else "",
)
if not LINODE_API_URL:
    raise ImproperlyConfigured(
        "LINODE_API_URL is not set. With a real LINODE_TOKEN, set "
        "LINODE_API_URL=https://api.linode.com/v4 (or the URL of your API endpoint)."
    )
LINODE_API_TIMEOUT = env_float("LINODE_API_TIMEOUT", 30.0, minimum=0.1)
# Tags every portal-owned Linode carries, so reconciliation can find them.
LINODE_TAG = env_str("LINODE_TAG", "reseller-portal")
# Linode create requests allowed per window across all workers (the API's
# documented limit in late 2026 is 20 per 15 seconds per token).
LINODE_CREATE_LIMIT = env_int("LINODE_CREATE_LIMIT", 20, minimum=1)
LINODE_CREATE_WINDOW_SECONDS = env_float("LINODE_CREATE_WINDOW_SECONDS", 15.0, minimum=0.01)
# Prefix of each portal Linode's label and per-server tag ("<prefix>-<uuid hex>").
# Must start with a letter and may hold letters, digits and single dashes.
LINODE_LABEL_PREFIX = env_str("LINODE_LABEL_PREFIX", "rp")
# Cloud Firewall (its numeric id) attached to every Linode the portal creates; 0 attaches none.
LINODE_FIREWALL_ID = env_int("LINODE_FIREWALL_ID", 0, minimum=0)

# --- Provisioning jobs (seconds) ---------------------------------------------

PROVISIONING_TRACK_INTERVAL = env_float("PROVISIONING_TRACK_INTERVAL", 2.0, minimum=0.1)
PROVISIONING_SWEEP_INTERVAL = env_float("PROVISIONING_SWEEP_INTERVAL", 5.0, minimum=0.1)
PROVISIONING_RECONCILE_INTERVAL = env_float("PROVISIONING_RECONCILE_INTERVAL", 60.0, minimum=1)
PROVISIONING_CATALOG_INTERVAL = env_float("PROVISIONING_CATALOG_INTERVAL", 3600.0, minimum=1)
# A claimed operation whose worker has not touched it for this long is handed
# to another worker. Keep it above the Linode API timeout.
PROVISIONING_STALL_SECONDS = env_float("PROVISIONING_STALL_SECONDS", 120.0, minimum=1)
# An operation waiting this long for the Linode to reach a status is flagged for the operator.
PROVISIONING_WAIT_ALERT_SECONDS = env_float("PROVISIONING_WAIT_ALERT_SECONDS", 1800.0, minimum=1)
# Attempts (API errors that may pass, such as 5xx or lost connections) before
# an operation fails and waits for the operator.
PROVISIONING_MAX_ATTEMPTS = env_int("PROVISIONING_MAX_ATTEMPTS", 8, minimum=1)
# Reconciliation passes in a row that must miss a Linode before it is flagged as vanished.
PROVISIONING_VANISHED_AFTER = env_int("PROVISIONING_VANISHED_AFTER", 3, minimum=1)

# --- Core Django ------------------------------------------------------------

# Off unless asked for, demo mode included: Django's debug error page shows
# POSTed form values such as passwords (its filter of sensitive parameters only
# works with DEBUG off).
DEBUG = env_bool("DEBUG", default=False)


def _load_secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    if not DEMO_MODE:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random string, for example the "
            'output of: python -c "import secrets; print(secrets.token_urlsafe(50))"'
        )
    # Demo mode: generate one key and keep it, so sessions and encrypted root
    # passwords survive restarts.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _load_secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
PORTAL_PORT = env_int("PORTAL_PORT", 8000, minimum=1)
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", f"http://127.0.0.1:{PORTAL_PORT}").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [PORTAL_BASE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "accounts",
    "provisioning",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "reseller.urls"
WSGI_APPLICATION = "reseller.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one SQLite file: wait for locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# `manage.py collectstatic` fills this; whitenoise serves it under gunicorn.
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Without a collectstatic run (the demo), whitenoise serves the apps' static
# files straight from their folders.
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", default=DEMO_MODE)

SESSION_COOKIE_SECURE = env_bool(
    "SESSION_COOKIE_SECURE", default=PORTAL_BASE_URL.startswith("https://")
)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# --- Email ------------------------------------------------------------------

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEMO_MODE
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "portal@localhost")
# Folder for django.core.mail.backends.filebased.EmailBackend (one file per message).
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
# How long an email verification link stays valid.
EMAIL_VERIFICATION_MAX_AGE_SECONDS = env_int(
    "EMAIL_VERIFICATION_MAX_AGE_SECONDS", 3 * 24 * 3600, minimum=60
)

# --- Celery -----------------------------------------------------------------

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport: no broker server, messages are files under var/.
    _broker_dir = Path(env_str("CELERY_FILESYSTEM_DIR", str(VAR_DIR / "celery-broker")))
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Broadcast (remote control) exchanges; kombu's default is ./control.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Logging ----------------------------------------------------------------

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
CELERY_TASK_LOG_LEVEL = env_str("CELERY_TASK_LOG_LEVEL", "WARNING").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # urllib3 logs full URLs at DEBUG; keep it quiet.
        "urllib3": {"level": "WARNING"},
        # Celery logs every received and finished task and every beat tick at
        # INFO; the periodic jobs run every few seconds, so these lines would
        # bury everything else. The tasks log what they did themselves.
        "celery.app.trace": {"level": CELERY_TASK_LOG_LEVEL},
        "celery.worker.strategy": {"level": CELERY_TASK_LOG_LEVEL},
        "celery.beat": {"level": CELERY_TASK_LOG_LEVEL},
    },
}
