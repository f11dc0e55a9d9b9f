"""Django settings for shebao.

Every value that differs between machines comes from the environment through the typed
helpers in ``shebao.core.env``; a malformed value stops start-up with the variable's name.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext

from shebao.core.caches import cache_config
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
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
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
    "shebao.privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Public, user-independent: answered before sessions and authentication are looked at.
    "shebao.catalog.middleware.CatalogCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the TOTP step.
    "django_otp.middleware.OTPMiddleware",
    # Staff with a TOTP device (or whose role requires one) finish the second step first.
    "shebao.accounts.otp.OTPRequiredMiddleware",
    # Employer accounts created by SBZX00001/2 must change the issued password at first login.
    "shebao.registry.middleware.ForcePasswordChangeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes requires: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
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
        options: dict[str, object] = config.setdefault("OPTIONS", {})  # type: ignore[assignment]
        if env_bool("SHEBAO_PG_PREPARED", True):
            # Server-side parameters, and a statement run 5 times on a connection is prepared:
            # PostgreSQL then skips parsing and planning it (docs/performance.md, HTTP reads).
            # Off (0) behind a transaction-pooling PgBouncer older than 1.21, which cannot keep
            # prepared statements; Django leaves them off by default for that reason.
            options.update(server_side_binding=True, prepare_threshold=5)
    else:
        raise EnvironmentVariableError(f"DATABASE_URL={url!r}: only sqlite:// and postgres:// are supported")
    config["ATOMIC_REQUESTS"] = False
    return config


DATABASES = {"default": _database_from_env()}

# Per-process memory by default; SHEBAO_CACHE_URL=redis://… shares the cache (the /track/ rate
# limit, cached catalog responses) between server processes and hosts (shebao/core/caches.py).
CACHES = {"default": cache_config(env_str("SHEBAO_CACHE_URL", ""),
                                  key_prefix=env_str("SHEBAO_CACHE_KEY_PREFIX", "shebao"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Argon2id first (new and changed passwords); the others only verify hashes made before it and
# are upgraded to Argon2 at the next login. tests/conftest.py swaps in MD5 for speed.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# Django's validators, worded in Chinese by Django's zh-hans catalogue, except two of ours
# (shebao/accounts/passwords.py): the length rule, whose Chinese message that catalogue lacks, and
# letters-and-digits, which Django does not have.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "shebao.accounts.passwords.MinimumLengthValidator",
     "OPTIONS": {"min_length": env_int("SHEBAO_PASSWORD_MIN_LENGTH", 10)}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "shebao.accounts.passwords.LettersAndDigitsValidator"},
]

# Login lockout (django-axes): after SHEBAO_LOGIN_FAILURE_LIMIT wrong passwords for one username
# from one address, that pair is locked for SHEBAO_LOGIN_LOCKOUT_MINUTES. Username *and* address:
# a whole office sits behind one NAT address, and a stranger must not lock a clerk out from afar.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("SHEBAO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SHEBAO_LOGIN_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "shebao.accounts.lockout.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token"]
AXES_VERBOSE = False

# Optional TOTP second step for staff (django-otp). Roles listed here must enrol before they can
# work; any staff member may enrol voluntarily at /accounts/otp/.
OTP_TOTP_ISSUER = env_str("SHEBAO_OTP_ISSUER", "武汉社保经办")
SHEBAO_OTP_REQUIRED_ROLES = env_list("SHEBAO_OTP_REQUIRED_ROLES", [])

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
# At most this many files in one request (Django answers 400 beyond it, before any is stored).
DATA_UPLOAD_MAX_NUMBER_FILES = env_int("SHEBAO_UPLOAD_MAX_FILES", 30)
FILE_UPLOAD_PERMISSIONS = 0o640

# Staff land on the workbench, applicants on their portal (shebao.web.views.home).
LOGIN_REDIRECT_URL = "web:home"

# --- Sessions, cookies and headers (docs/security.md) -------------------------------------
# Local serving is plain HTTP, so the Secure flag, HSTS and the proxy header come with
# SHEBAO_HTTPS=1 (production, behind the bureau's TLS-terminating reverse proxy, which must set
# X-Forwarded-Proto itself and drop any the client sent).
SHEBAO_HTTPS = env_bool("SHEBAO_HTTPS", False)
SESSION_COOKIE_SECURE = SHEBAO_HTTPS
CSRF_COOKIE_SECURE = SHEBAO_HTTPS
if SHEBAO_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SHEBAO_HSTS_SECONDS", 31536000 if SHEBAO_HTTPS else 0)
CSRF_TRUSTED_ORIGINS = env_list("SHEBAO_CSRF_TRUSTED_ORIGINS", [])
# The reverse proxy's address: `shebao serve` (waitress) then takes the client's address from its
# X-Forwarded-For. Without it every request would seem to come from the proxy, and the lockout and
# the /track/ limit would count the whole city as one client. Nothing else reads forwarded headers.
SHEBAO_TRUSTED_PROXY = env_str("SHEBAO_TRUSTED_PROXY", "")
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # no script reads the token: forms carry it, HTMX only GETs
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# A window PC is shared: the session ends when the browser closes, or after this many idle
# minutes (every request renews it).
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = env_int("SHEBAO_SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Everything is served by the platform itself (no CDN), so 'self' is the whole policy: no inline
# script or style anywhere (HTMX's own indicator <style> is switched off in base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# The public progress lookup (/track/): at most this many lookups per client address per
# window, so the six-character ID tail cannot be guessed by brute force.
SHEBAO_TRACK_RATE_LIMIT = env_int("SHEBAO_TRACK_RATE_LIMIT", 10)
SHEBAO_TRACK_RATE_WINDOW_SECONDS = env_int("SHEBAO_TRACK_RATE_WINDOW_SECONDS", 600)
# Roles that see a person's full 身份证号 on a single record; everyone else sees 4201**********1234.
SHEBAO_FULL_ID_ROLES = env_list(
    "SHEBAO_FULL_ID_ROLES", ["window_clerk", "reviewer", "city_reviewer", "finance", "bureau_approver"])

# The bureau's identity as printed on every public page.
SHEBAO_BUREAU_NAME = env_str("SHEBAO_BUREAU_NAME", "武汉市人力资源和社会保障局")
SHEBAO_HOTLINE = env_str("SHEBAO_HOTLINE", "12333")
# How completed cases change the registries: strict | when_data | off (shebao/registry/effects.py).
SHEBAO_REGISTRY_EFFECTS = env_str("SHEBAO_REGISTRY_EFFECTS", "strict")
if SHEBAO_REGISTRY_EFFECTS not in {"strict", "when_data", "off"}:
    raise EnvironmentVariableError(f"SHEBAO_REGISTRY_EFFECTS={SHEBAO_REGISTRY_EFFECTS!r}: use strict, when_data or off")
# Warning thresholds: yellow when at most this many working days are left; red when overdue.
SHEBAO_WARNING_YELLOW_WORKING_DAYS = env_int("SHEBAO_WARNING_YELLOW_WORKING_DAYS", 2)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # 身份证号 never reach a log in full (a request path can carry one).
    "filters": {"mask_id_numbers": {"()": "shebao.privacy.log_filters.MaskIdNumbersFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_id_numbers"]}},
    "root": {"handlers": ["console"], "level": env_str("SHEBAO_LOG_LEVEL", "WARNING")},
}
