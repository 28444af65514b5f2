"""Settings from environment variables; SQLite by default, PostgreSQL when ``DATABASE_URL`` says so.

KOKIN_HOME            data folder (secrets, SQLite database, TLS files, blobs)
DATABASE_URL          e.g. postgres://user@127.0.0.1:5432/kokin (default: SQLite in KOKIN_HOME)
KOKIN_DEBUG           1 for development only
KOKIN_ALLOWED_HOSTS   comma-separated (default localhost,127.0.0.1)
KOKIN_SECURE          0 turns off HTTPS-only cookies and redirects (tests over plain HTTP only)
KOKIN_LOCKOUT_LIMIT   failed logins before lockout (default 5)
KOKIN_LOCKOUT_MINUTES the window and lockout time (default 15)
KOKIN_ADDRESS_LIMIT   failed logins from one client address before it is refused (default 100)
KOKIN_ADDRESS_MINUTES the address's window and refusal time (default 10)
KOKIN_IDLE_MINUTES    idle timeout (default 15)
KOKIN_ISSUE_LIMIT     errors (and as many warnings) listed per checked file; the rest are counted (default 10000)
KOKIN_TRUSTED_PROXIES comma-separated IPs whose X-Forwarded-For / X-Client-Cert-Fingerprint are trusted
KOKIN_BLOB_STORE      where encrypted files are kept: local (KOKIN_HOME/blobs, default) or database
KOKIN_MASTER_KEY      the vault's master key (base64 Tink keyset); unset: a key file in KOKIN_HOME/keys
KOKIN_MASTER_KEY_PROVIDER  auto (default), file, env, or a dotted path to an HSM/KMS provider
KOKIN_AUDIT_CHECKPOINT_DIR      the operation log's signed checkpoints and their key (default KOKIN_HOME/audit)
KOKIN_AUDIT_CHECKPOINT_EVERY    a checkpoint after every N-th entry (default 100; 0: only by time)
KOKIN_AUDIT_CHECKPOINT_SECONDS  and when the last one is older than this (default 60)
KOKIN_AUDIT_SYSLOG              also send each checkpoint to syslog: /dev/log or host:port (UDP)
KOKIN_RETAIN_OPERATION_LOG_DAYS days the operation log stays in the database before it is archived (default 1827)
KOKIN_RETAIN_ACCESS_LOG_DAYS    the same for page views (default 365; one chain: the longer of the two applies)
KOKIN_RETAIN_INCIDENTS_DAYS     days a done incident is kept before it is archived and removed (default 1827)
KOKIN_ARCHIVE_DIR               where archives of expired records are written (default KOKIN_HOME/archive)
KOKIN_EMAIL_BACKEND   Django mail backend (default: console; smtp: django.core.mail.backends.smtp.EmailBackend)
KOKIN_EMAIL_HOST, KOKIN_EMAIL_PORT, KOKIN_EMAIL_USE_TLS, KOKIN_EMAIL_FROM  the SMTP relay (default localhost:25)
KOKIN_EMAIL_FILE_PATH the folder of the filebased mail backend (default KOKIN_HOME/mail; the demo's var/mail)
KOKIN_ENROLMENT_HOURS how long a one-time enrolment link works (default 24)
KOKIN_DISK_MARGIN_MB  free space kept beyond an upload's length, else it is refused with 507 (default 64)
KOKIN_DISK_WARN_MB    free space below which the administrator and auditor are warned (default 4 × margin)
KOKIN_SQLITE_TIMEOUT  seconds a SQLite write waits for another one's lock (default 5)
KOKIN_WEBAUTHN_RP_ID, KOKIN_WEBAUTHN_ORIGIN  the passkeys' relying party and the hub's public origin
KOKIN_LOG_LEVEL       DEBUG, INFO, WARNING (default), ERROR or CRITICAL
KOKIN_INCIDENT_RULES  a TOML file of the detection rules' settings (default: none, the built-in values)
KOKIN_CLAMD           ClamAV's daemon for the malware scan of every upload: unix:/path or tcp://host:port
                      (unset: no scan — only for the demo without clamd; a deployment check warns)
KOKIN_CLAMD_TIMEOUT   seconds to wait for clamd (default 60); no answer holds the upload, never passes it
KOKIN_CLAMD_MAX_AGE_DAYS  signature database age that warns the administrator (default 3)
KOKIN_APPROVAL_REAUTH_AMOUNT   approving a file of at least this many yen asks for the second factor
                               again (default 1000000)
KOKIN_APPROVAL_REAUTH_MINUTES  and so does any approval this long after the last second factor (default 15)
KOKIN_ACKNOWLEDGEMENT_DAYS  an operator acknowledges the handling rules again after this many days (default 365)

An empty variable counts as unset. Every value is checked at start (Django's system checks,
:mod:`kokin.web.checks`): ``kokin hub serve``, ``kokin demo`` and ``kokin manage check`` stop on a
wrong one and name the variable (ids ``kokin.E001`` …, and ``kokin.W001`` … with ``check --deploy``).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from kokin.paths import home, server_secrets
from kokin.web.env import Environment

BASE_DIR = Path(__file__).resolve().parent
try:
    HOME = home()
    _secrets = server_secrets()
    # (uploads, below, are received into a temporary file here)
    FILE_UPLOAD_TEMP_DIR = str(HOME / "tmp" / "uploads")
    Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True, mode=0o700)
except OSError as exc:
    # nothing works without the data folder, not even the checks: stop here, naming the variable
    raise ImproperlyConfigured(
        f"KOKIN_HOME: データフォルダ {exc.filename} を作成または読み書きできません ({exc.strerror}) / "
        f"cannot create, read or write the data folder {exc.filename} ({exc.strerror})"
    ) from exc
_env = Environment(os.environ)

SECRET_KEY = _secrets["django_secret_key"]
AUDIT_KEY = bytes.fromhex(_secrets["audit_key"])
DEBUG = _env.flag("KOKIN_DEBUG", False)
SECURE = _env.flag("KOKIN_SECURE", True)
ALLOWED_HOSTS = _env.names("KOKIN_ALLOWED_HOSTS", "localhost,127.0.0.1")
TRUSTED_PROXIES = _env.names("KOKIN_TRUSTED_PROXIES", "")
# the vault (kokin.vault, docs/vault.md): where new encrypted bodies go, and the master-key provider
VAULT_BLOB_STORE = _env.text("KOKIN_BLOB_STORE", "local")
VAULT_MASTER_KEY_PROVIDER = _env.text("KOKIN_MASTER_KEY_PROVIDER", "auto")
# the operation log's signed checkpoints (kokin.audit.checkpoints, docs/audit.md): kept out of the database
AUDIT_CHECKPOINT_DIR = Path(_env.text("KOKIN_AUDIT_CHECKPOINT_DIR", str(HOME / "audit")))
AUDIT_CHECKPOINT_EVERY = _env.integer("KOKIN_AUDIT_CHECKPOINT_EVERY", 100)
AUDIT_CHECKPOINT_SECONDS = _env.integer("KOKIN_AUDIT_CHECKPOINT_SECONDS", 60)
AUDIT_CHECKPOINT_SYSLOG = _env.text("KOKIN_AUDIT_SYSLOG", "")
# retention classes (kokin.audit.retention, docs/audit.md): days in the database, at least 365 (kokin.E201)
RETAIN_OPERATION_LOG_DAYS = _env.integer("KOKIN_RETAIN_OPERATION_LOG_DAYS", 1827)
RETAIN_ACCESS_LOG_DAYS = _env.integer("KOKIN_RETAIN_ACCESS_LOG_DAYS", 365)
RETAIN_INCIDENTS_DAYS = _env.integer("KOKIN_RETAIN_INCIDENTS_DAYS", 1827)
ARCHIVE_DIR = Path(_env.text("KOKIN_ARCHIVE_DIR", str(HOME / "archive")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "kokin.accounts",
    "kokin.audit",
    "kokin.api",
    "kokin.vault",
    "kokin.exchange",
    "kokin.banklink",
    "kokin.incidents",
    "kokin.compliance",
    "kokin.registers",
    "kokin.training",
    "kokin.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kokin.accounts.renewal.SessionRenewalMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "kokin.accounts.middleware.OperatorMiddleware",
    "kokin.accounts.middleware.ActorMiddleware",
    "kokin.accounts.middleware.PageViewLogMiddleware",
    "kokin.incidents.middleware.DefenderMiddleware",
    "kokin.training.gate.AcknowledgementGateMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kokin.web.urls"
WSGI_APPLICATION = "kokin.web.wsgi.application"
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
            ],
        },
    }
]

DATABASES = {"default": dj_database_url.config(default=f"sqlite:///{HOME / 'kokin.sqlite3'}", conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # an interactive service: a write that cannot get the lock in a few seconds is answered with a page
    # that says so (kokin.web.errors) rather than keeping the operator waiting
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": _env.number("KOKIN_SQLITE_TIMEOUT", 5.0), "transaction_mode": "IMMEDIATE"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "kokin.accounts.backends.PermissionBackend",  # has_perm("kokin.<action>"): permissions.can, no login
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "kokin.accounts.validators.CharacterClassValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"

# sessions: idle timeout, renewed at most once a minute (kokin.accounts.renewal), gone when the browser closes
IDLE_MINUTES = _env.integer("KOKIN_IDLE_MINUTES", 15)
SESSION_COOKIE_AGE = IDLE_MINUTES * 60
SESSION_RENEW_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "kokin.web.error_pages.csrf_failure"  # a Japanese page with a way back
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SESSION_COOKIE_NAME = "__Host-kokin-session" if SECURE else "kokin-session"
CSRF_COOKIE_NAME = "__Host-kokin-csrf" if SECURE else "kokin-csrf"
SECURE_SSL_REDIRECT = SECURE
SECURE_HSTS_SECONDS = 31_536_000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# lockout after repeated failures (django-axes)
AXES_FAILURE_LIMIT = _env.integer("KOKIN_LOCKOUT_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=_env.integer("KOKIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username"]
# failed second factors count too; the count is cleared when the whole login (password and second
# factor) succeeds, by kokin.accounts.services.complete_login, not by the password alone
AXES_RESET_ON_SUCCESS = False
# axes keeps the form data of a failed attempt; mask codes and tokens as it masks the password
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "token", "recovery-token", "csrfmiddlewaretoken"]
AXES_LOCKOUT_CALLABLE = "kokin.accounts.views.locked_out"
# the address axes records is the one the rest of the hub uses (forwarded only by KOKIN_TRUSTED_PROXIES)
AXES_CLIENT_IP_CALLABLE = "kokin.accounts.network.client_ip"
# and a second, larger limit per client address (kokin.accounts.throttle): generous enough for a
# ward office behind one NAT address, small enough to stop one address trying many IDs; counted
# from axes' failure log in the database, so every worker and app server sees the same count
ADDRESS_FAILURE_LIMIT = _env.integer("KOKIN_ADDRESS_LIMIT", 100)
ADDRESS_COOLOFF = timedelta(minutes=_env.integer("KOKIN_ADDRESS_MINUTES", 10))
AXES_HANDLER = "kokin.accounts.throttle.AddressCountingHandler"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False
# lockout is per account, as the ward's policy asks; a per-address lockout would shut out a whole
# office behind one NAT address after five typos by different people
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

OTP_TOTP_ISSUER = "kokin"
WEBAUTHN_RP_ID = _env.text("KOKIN_WEBAUTHN_RP_ID", "localhost")
WEBAUTHN_RP_NAME = "kokin 公金収納ネットワークサービス"
WEBAUTHN_ORIGIN = _env.text("KOKIN_WEBAUTHN_ORIGIN", "https://localhost:8443")

LANGUAGE_CODE = "ja"
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = HOME / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

EMAIL_BACKEND = _env.text("KOKIN_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = _env.text("KOKIN_EMAIL_HOST", "localhost")
EMAIL_PORT = _env.integer("KOKIN_EMAIL_PORT", 25)
EMAIL_USE_TLS = _env.flag("KOKIN_EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = _env.text("KOKIN_EMAIL_FROM", "kokin@localhost")
EMAIL_FILE_PATH = _env.text("KOKIN_EMAIL_FILE_PATH", str(HOME / "mail"))
# one-time enrolment links (kokin.accounts.enrolment) use Django's password-reset tokens and timeout
PASSWORD_RESET_TIMEOUT = _env.integer("KOKIN_ENROLMENT_HOURS", 24) * 3600

# the check of a received file lists this many errors and warnings; the rest are counted (kokin.exchange.checks)
ISSUE_LIMIT = _env.integer("KOKIN_ISSUE_LIMIT", 10_000)

# approval (kokin.exchange.stepup, docs/exchange.md): the second factor is asked again before approving a
# file of at least this amount, or when the last second factor is older than this many minutes
APPROVAL_REAUTH_AMOUNT = _env.integer("KOKIN_APPROVAL_REAUTH_AMOUNT", 1_000_000)
APPROVAL_REAUTH_MINUTES = _env.integer("KOKIN_APPROVAL_REAUTH_MINUTES", 15)

# uploads (kokin.exchange): anything over 64 KiB is received into a temporary file under KOKIN_HOME
# (FILE_UPLOAD_TEMP_DIR, above), never held in memory; the exchange's own handler also limits the size
# (docs/exchange.md)
FILE_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
# storage space (kokin.exchange.space, docs/security.md): an upload that would leave less than the margin
# free is refused before its body is read
DISK_MARGIN_MB = _env.integer("KOKIN_DISK_MARGIN_MB", 64)
DISK_WARN_MB = _env.integer("KOKIN_DISK_WARN_MB", 0)
# the detection rules' settings (kokin.incidents.config, docs/incidents.md); checked at start (kokin.E101-E103)
INCIDENT_RULES = _env.text("KOKIN_INCIDENT_RULES", "")
# malware scan (kokin.exchange.malware, docs/exchange.md): every upload is streamed to clamd while it is taken in;
# a file that cannot be scanned is held (refused for now, to be sent again), never passed
CLAMD = _env.text("KOKIN_CLAMD", "")
CLAMD_TIMEOUT = _env.number("KOKIN_CLAMD_TIMEOUT", 60.0)
CLAMD_MAX_AGE_DAYS = _env.integer("KOKIN_CLAMD_MAX_AGE_DAYS", 3)
# the equipment register (kokin.accounts.terminals, docs/registers.md): "on" lets operators log in only from a
# registered, not retired terminal (別紙3 第6条1); checked at start (kokin.E001, kokin.E003)
TERMINAL_REGISTER = _env.choice("KOKIN_TERMINAL_REGISTER", "off", ("off", "on"))
# the acknowledgement of the handling rules (kokin.training, docs/training.md): it holds this many days
ACKNOWLEDGEMENT_DAYS = _env.integer("KOKIN_ACKNOWLEDGEMENT_DAYS", 365)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # a refused request (403) is one line, without a traceback (kokin.web.log_filters)
    "filters": {"refusal": {"()": "kokin.web.log_filters.RefusalWithoutTraceback"}},
    "loggers": {"django.request": {"filters": ["refusal"]}},
    "root": {
        "handlers": ["console"],
        "level": _env.choice("KOKIN_LOG_LEVEL", "WARNING", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")),
    },
}

#: the KOKIN_* values that could not be read (their defaults were used): the check kokin.E001 reports them
ENV_UNREADABLE = _env.unreadable
