"""Django settings for shebao.

Every value that differs between machines comes from the environment through the typed
helpers in ``shebao.core.env``; a malformed value stops start-up with the variable's name.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
import django_stubs_ext

from shebao.core.env import EnvironmentVariableError, env_bool, env_int, env_list, env_str

# Lets typed code write ModelAdmin[Item], QuerySet[Item] etc. at run time, not only for mypy.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("SHEBAO_DATA_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("SHEBAO_DEBUG", False)
# A fixed development key is only acceptable on a debug instance; production must set one.
# A fixed development key keeps `make run` a one-command affair; a production deployment sets
# SHEBAO_REQUIRE_SECRET=1 so that a missing SHEBAO_SECRET_KEY stops start-up.
SECRET_KEY = env_str(
    "SHEBAO_SECRET_KEY",
    None if env_bool("SHEBAO_REQUIRE_SECRET", False) else "dev-insecure-shebao-key-change-me",
)
ALLOWED_HOSTS = env_list("SHEBAO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "shebao.core",
    "shebao.workdays",
    "shebao.catalog",
    "shebao.accounts",
    "shebao.cases",
    "shebao.changes",
    "shebao.registry",
    "shebao.documents",
    "shebao.web",
    "shebao.supervision",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Public, user-independent: answered before sessions and authentication are looked at.
    "shebao.catalog.middleware.CatalogCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Employer accounts created by SBZX00001/2 must change the issued password at first login.
    "shebao.registry.middleware.ForcePasswordChangeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "shebao.core.context_processors.site",
            ],
        },
    },
]


def _database_from_env() -> dict[str, object]:
    """SQLite (embedded default) or whatever ``DATABASE_URL`` names.

    SQLite runs in WAL mode with ``synchronous=FULL`` so an acknowledged commit survives a
    power cut, and opens write transactions IMMEDIATE so two writers queue on the lock
    instead of failing half-way with "database is locked".
    """
    url = env_str("DATABASE_URL", "")
    if not url:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{DATA_DIR / 'shebao.sqlite3'}"
    try:
        # Persistent connections (per server thread): opening one costs a PostgreSQL backend
        # start-up or SQLite's PRAGMAs on every request otherwise. Health-checked before reuse.
        config: dict[str, object] = dict(dj_database_url.parse(
            url, conn_max_age=env_int("SHEBAO_DB_CONN_MAX_AGE", 60), conn_health_checks=True))
    except Exception as exc:  # dj_database_url raises several types for a bad URL
        raise EnvironmentVariableError(f"DATABASE_URL={url!r} is not a database URL: {exc}") from exc
    engine = str(config.get("ENGINE", ""))
    if engine.endswith("sqlite3"):
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000;",
            "transaction_mode": "IMMEDIATE",
        }
    elif engine.endswith("postgresql"):
        config.setdefault("OPTIONS", {})
    else:
        raise EnvironmentVariableError(f"DATABASE_URL={url!r}: only sqlite:// and postgres:// are supported")
    config["ATOMIC_REQUESTS"] = False
    return config


DATABASES = {"default": _database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The UI is written in Simplified Chinese. No LocaleMiddleware: a browser asking for English
# must not get English weekday names inside Chinese pages (no English translation exists yet).
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "shebao" / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing root
# Static files are served by the platform itself (WhiteNoise): bureau intranets have no CDN.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Uploaded case materials. Never served from a public URL: only through a view that checks
# that the reader may see the case (shebao.web.views.case_file_download).
MEDIA_ROOT = Path(env_str("SHEBAO_MEDIA_DIR", str(DATA_DIR / "uploads")))
MEDIA_URL = "/no-public-media/"
SHEBAO_UPLOAD_MAX_BYTES = env_int("SHEBAO_UPLOAD_MAX_MB", 10) * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

# Staff land on the workbench, applicants on their portal (shebao.web.views.home).
LOGIN_REDIRECT_URL = "web:home"

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

# The bureau's identity as printed on every public page.
SHEBAO_BUREAU_NAME = env_str("SHEBAO_BUREAU_NAME", "武汉市人力资源和社会保障局")
SHEBAO_HOTLINE = env_str("SHEBAO_HOTLINE", "12333")
# How completed cases change the registries: strict | when_data | off (shebao/registry/effects.py).
SHEBAO_REGISTRY_EFFECTS = env_str("SHEBAO_REGISTRY_EFFECTS", "when_data")
if SHEBAO_REGISTRY_EFFECTS not in {"strict", "when_data", "off"}:
    raise EnvironmentVariableError(f"SHEBAO_REGISTRY_EFFECTS={SHEBAO_REGISTRY_EFFECTS!r}: use strict, when_data or off")
# Warning thresholds: yellow when at most this many working days are left; red when overdue.
SHEBAO_WARNING_YELLOW_WORKING_DAYS = env_int("SHEBAO_WARNING_YELLOW_WORKING_DAYS", 2)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("SHEBAO_LOG_LEVEL", "WARNING")},
}
