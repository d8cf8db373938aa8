"""Django settings for vanban. Every deploy-time value comes from the environment (VANBAN_*).

Embedded default: SQLite (WAL) and local files under VANBAN_DATA_DIR (default ./var),
database-backed task queue. Production: VANBAN_DATABASE_URL=postgres://..., and a secret key
from the environment.
"""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(f"VANBAN_{name}")
    return default if value in (None, "") else value


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    return default if value is None else int(value)


DATA_DIR = Path(env("DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)
(DATA_DIR / "static").mkdir(exist_ok=True)


def _secret(name: str, filename: str) -> str:
    """A secret from VANBAN_<name>. For the embedded single-machine default we create a random
    one once and keep it in the data directory (never in the repository)."""
    value = env(name)
    if value:
        return value
    path = DATA_DIR / filename
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_text().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret("SECRET_KEY", "secret_key")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = [
    h.strip()
    for h in (env("ALLOWED_HOSTS") or f"localhost,127.0.0.1,[::1],{socket.gethostname()}").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in (env("CSRF_TRUSTED_ORIGINS") or "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "vanban",
    "vanban.audit",
    "vanban.orgs",
    "vanban.documents",
    "vanban.signing",
    "vanban.exchange",
    "vanban.workflow",
    "vanban.search",
    "vanban.capture",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "vanban.middleware.RequestSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "vanban.middleware.OutOfRangeNumberMiddleware",
]

ROOT_URLCONF = "vanban.urls"
WSGI_APPLICATION = "vanban.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "vanban.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
_SQLITE_OPTIONS = {
    # Every atomic block takes the write lock up front (BEGIN IMMEDIATE): concurrent writers
    # queue on the busy timeout instead of failing with "database is locked" on lock upgrade.
    "transaction_mode": "IMMEDIATE",
    "timeout": 30,
    "init_command": (
        "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;PRAGMA busy_timeout=30000;"
    ),
}

_db_url = env("DATABASE_URL")
if _db_url:
    DATABASES = {"default": dj_database_url.parse(_db_url, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "vanban.sqlite3"),
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(_SQLITE_OPTIONS)
    # Tests use a file (not :memory:) so that threads get real, separate connections.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-vanban.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- People and login -----------------------------------------------------------------------
AUTH_USER_MODEL = "orgs.Person"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_AGE = 8 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("HTTPS", False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

# --- Static files and documents -------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
WHITENOISE_USE_FINDERS = True
STORAGES = {
    # Content-addressed document files (see vanban.documents.storage).
    "documents": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "files"), "file_permissions_mode": 0o640},
    },
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "media")},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = None
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

VANBAN = {
    # Where this installation is reached by others (certificates point to its CRL, OCSP and
    # timestamp services); the timestamp authority to use when another one is configured; the
    # PKCS#11 libraries an administrator may register tokens with (colon-separated paths).
    "PUBLIC_URL": env("PUBLIC_URL", ""),
    "TSA_URL": env("TSA_URL", ""),
    "PKCS11_LIBRARIES": [p for p in (env("PKCS11_LIBRARIES", "") or "/usr/lib/softhsm/libsofthsm2.so").split(":") if p],
    # Largest accepted document file.
    "MAX_UPLOAD_BYTES": env_int("MAX_UPLOAD_MB", 50) * 1024 * 1024,
    # Letter code of the province in agency identifier codes (QCVN 102:2016). Tiền Giang is
    # only inferred to be H58 (see the standards notes): configurable.
    "PROVINCE_ID_SUFFIX": env("PROVINCE_ID_SUFFIX", "H58"),
    # Place name written in documents' "Địa danh" (promulgation place).
    "PROVINCE_PLACE": env("PROVINCE_PLACE", "Tiền Giang"),
    "REGISTER_PAGE_SIZE": 50,
    # Encrypts the agencies' private signing keys at rest.
    "KEY_PASSPHRASE": _secret("KEY_PASSPHRASE", "key_passphrase"),
    # Exchange (liên thông): how long undelivered packages are retried before they are listed as
    # undeliverable, the first retry delay (doubling each time, capped), the HTTP timeout.
    "EXCHANGE_RETRY_WINDOW_SECONDS": env_int("EXCHANGE_RETRY_WINDOW_SECONDS", 48 * 3600),
    "EXCHANGE_RETRY_FIRST_SECONDS": env_int("EXCHANGE_RETRY_FIRST_SECONDS", 5),
    "EXCHANGE_RETRY_MAX_SECONDS": env_int("EXCHANGE_RETRY_MAX_SECONDS", 3600),
    "EXCHANGE_HTTP_TIMEOUT_SECONDS": env_int("EXCHANGE_HTTP_TIMEOUT_SECONDS", 30),
    # Messages a worker sends at the same time.
    "EXCHANGE_PARALLEL": env_int("EXCHANGE_PARALLEL", 8),
    # CA bundle to verify peers' HTTPS certificates (default: the system's).
    "EXCHANGE_TLS_CA_FILE": env("EXCHANGE_TLS_CA_FILE"),
    # A worker running a scan's OCR renews its lease every third of this; a lease that runs out
    # (the worker was killed) puts the scan back in the queue.
    "CAPTURE_LEASE_SECONDS": env_int("CAPTURE_LEASE_SECONDS", 180),
}

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "vanban.orgs.authentication.PersonalTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "vanban.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "vanban API",
    "DESCRIPTION": "Văn bản điện tử — quản lý văn bản đến, đi theo Nghị định 30/2020/NĐ-CP.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Background work ------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "pikepdf": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
