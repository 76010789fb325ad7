"""Settings of the O&M portal, read from environment variables only.

With nothing set, the portal runs for development: SQLite and Celery's filesystem broker under
``var/``, DEBUG on, a generated secret. With ``DEBUG=false`` it fails closed: it refuses to start
without a real ``SECRET_KEY`` and ``ALLOWED_HOSTS``.
"""

import datetime as dt
import ipaddress
import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from om_portal import queues

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# Everything the embedded (development) mode writes: the SQLite file, the broker's queue folders,
# the generated secret. Tests point it at a temporary folder.
VAR_DIR = Path(env.str("OM_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=True)


def _development_secret() -> str:
    # Kept in a file so that web, worker and beat share it and sessions survive a restart.
    path = VAR_DIR / "dev-secret-key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def _production_secret(value: str) -> str:
    # The same test as Django's security.W009, made fatal: a weak key signs sessions and tokens.
    if not value or value.startswith("django-insecure-") or len(value) < 50 or len(set(value)) < 5:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    return value


if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="") or _development_secret()
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
else:
    SECRET_KEY = _production_secret(env.str("SECRET_KEY", default=""))
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS must name the portal's host names (comma-separated) when DEBUG is off."
        )

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "om_portal",
    "om_portal.auth",
    "identity",
    "contracts",
    "incidents",
    "inspections",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "om_portal.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "om_portal.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "om_portal.middleware.refuse_nul_characters",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Tells whether the session has passed the second factor (request.user.is_verified()).
    "django_otp.middleware.OTPMiddleware",
    "om_portal.audit.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the messages (the login page says why the user is back) and before the views.
    "om_portal.auth.middleware.IdleTimeoutMiddleware",
    "om_portal.auth.middleware.SecondFactorMiddleware",
    "om_portal.auth.middleware.PasswordChangeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns a login refused for the account's wait (om_portal.auth.throttle) into a 429.
    "om_portal.auth.throttle.UsernameThrottleMiddleware",
    # Last, as django-axes asks: turns a login it refused into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "om_portal.urls"
WSGI_APPLICATION = "om_portal.wsgi.application"

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
                "om_portal.context_processors.portal",
                "identity.context_processors.duties",
                "om_portal.inbox.bell",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Web, worker and beat write to one SQLite file in the embedded mode: WAL lets readers run
    # beside the writer, IMMEDIATE transactions and a busy timeout queue writers instead of
    # failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery ---------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport: one folder shared by every process of this checkout.
    _queue_dir = VAR_DIR / "broker" / "queue"
    _control_dir = VAR_DIR / "broker" / "control"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    _control_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(_control_dir),  # else kombu writes ./control in the working directory
        "store_processed": False,
    }
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# Queues by kind of work (om_portal.queues, README "Workers"): a render never holds up the SLA tick.
# A render past this is stopped inside the task and recorded as failed, with why.
RENDER_TIME_LIMIT_SECONDS = env.int("RENDER_TIME_LIMIT_SECONDS", default=600)
# Processes one long PDF is laid out in (reports.parts): with 2, the half after a forced page break
# (a long incident list prints month by month) is laid out on a second core at the same time, in a
# fork of the render (bench/reports.py: the annual report in 0.6-0.7 of the time, about 60 MB more).
REPORT_RENDER_PROCESSES = env.int("REPORT_RENDER_PROCESSES", default=2)
# A render worker's child that has grown past this after a render is replaced (manage.py worker).
RENDER_WORKER_MAX_MEMORY_MB = env.int("RENDER_WORKER_MAX_MEMORY_MB", default=1024)
# Chunks of probes one probes worker runs side by side, a thread each (manage.py worker): their
# dead targets' timeouts overlap across a whole run instead of one chunk after another.
PROBES_WORKER_CONCURRENCY = env.int("PROBES_WORKER_CONCURRENCY", default=20)
vars().update(queues.settings_for(CELERY_TASK_DEFAULT_QUEUE, RENDER_TIME_LIMIT_SECONDS))
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_IGNORE_RESULT = True
# Tasks are idempotent, so a message is acknowledged only once its task has finished: a worker
# killed mid-task leaves it on the broker for another worker.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "om_portal.tasks.heartbeat", "schedule": 60.0},
    "sla-deadlines": {"task": "incidents.tasks.check_sla_deadlines", "schedule": 60.0},
    # Tells the next people of the policy while an incident is not acknowledged (受理).
    "escalations": {"task": "incidents.tasks.escalate", "schedule": 60.0},
    # Makes the coming slots, starts the due automated runs, records missed rounds.
    "inspections": {"task": "inspections.tasks.tick", "schedule": 60.0},
    # Deliveries whose enqueueing never reached the broker, or whose worker died mid-send.
    "notification-sweeper": {"task": "om_portal.tasks.requeue_stalled_deliveries", "schedule": 300.0},
    # Notices that waited for the minute to turn (a storm on one contract) go out as a digest.
    "notices": {"task": "om_portal.tasks.flush_all_notices", "schedule": 60.0},
    # Payments coming due and overdue, next year's calendar: one notice a day each, by its key.
    "daily-events": {"task": "contracts.tasks.daily_events", "schedule": 3600.0},
    # Creates and builds the reports of periods that closed, flags late ones, seals signed-off
    # PDFs a lost message left unsealed. Hourly: each step claims its rows, so a rerun is a no-op.
    "reports": {"task": "reports.tasks.tick", "schedule": 3600.0},
    # Late payments and build delays grow a day at a time; each breach is updated in place.
    "contracts": {"task": "contracts.tasks.tick", "schedule": 3600.0},
    # A build queued while Redis was down waits minutes for this, not the hourly tick.
    "reports-sweeper": {"task": "reports.tasks.resend_stalled", "schedule": 180.0},
    "audit-retention": {"task": "om_portal.tasks.purge_audit", "schedule": 86400.0},
    "audit-anchor": {"task": "om_portal.tasks.write_audit_anchor", "schedule": 86400.0},
    "check-results-retention": {"task": "inspections.tasks.purge_results", "schedule": 86400.0},
}
# A check that turns from passing to failing, or back, is probed once more before it counts
# (inspections.monitoring): its probes start at least this pause apart, those that failed only on
# time this many at a time, so that a busy prober's slowness is not taken for the target's.
MONITORING_CONFIRM_CHANGES = env.bool("MONITORING_CONFIRM_CHANGES", default=True)
MONITORING_CONFIRM_DELAY_SECONDS = env.float("MONITORING_CONFIRM_DELAY_SECONDS", default=1.0)
MONITORING_CONFIRM_CONCURRENCY = env.int("MONITORING_CONFIRM_CONCURRENCY", default=20)
# /healthz calls the worker down when its last heartbeat is older than this.
HEARTBEAT_MAX_AGE = env.int("HEARTBEAT_MAX_AGE", default=180)

# --- Notifications ------------------------------------------------------------------------------
# EMAIL_URL, e.g. smtp+tls://user:password@mail.example.gov.cn:587; the console without one.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="om-portal@localhost")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
NOTIFICATION_RETRY_BASE_SECONDS = env.int("NOTIFICATION_RETRY_BASE_SECONDS", default=30)
NOTIFICATION_RETRY_MAX_SECONDS = env.int("NOTIFICATION_RETRY_MAX_SECONDS", default=3600)
NOTIFICATION_TIMEOUT_SECONDS = env.int("NOTIFICATION_TIMEOUT_SECONDS", default=10)
# The portal's public address: links in email, WeCom and DingTalk are made absolute with it, so
# that they open on a phone (check --deploy warns when it is unset or not https).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Days before a payment's due date that its "coming due" notice goes out.
PAYMENT_DUE_NOTICE_DAYS = env.int("PAYMENT_DUE_NOTICE_DAYS", default=7)

# --- Authentication -----------------------------------------------------------------------------
# GB/T 22239 level 3 and OWASP ASVS L2: lockout, password complexity, session timeouts, a second
# factor for the roles that sign off and administer (om_portal/auth/).
AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out username and address before any password is checked; it logs no one in.
    "axes.backends.AxesStandaloneBackend",
    # Slows an account guessed at from many addresses (om_portal.auth.throttle); logs no one in.
    "om_portal.auth.throttle.UsernameThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Three of: upper-case, lower-case, digits, other characters.
    {"NAME": "om_portal.auth.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# The longest a login lasts however busy the session (IdleTimeoutMiddleware enforces it).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
# A session without a request for this long is logged out.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)

# Lockout (django-axes): after AXES_FAILURE_LIMIT failed logins from one address for one username,
# through the login form, the admin or the API token endpoint, that pair is refused for the
# cool-off; `manage.py axes_reset` (or axes_reset_username NAME) unlocks. Keyed on the pair, as
# axes advises, so that an attacker cannot lock a user out from another address.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
# The proxies in front of the portal (addresses or CIDR ranges, comma-separated: the bureau's TLS
# proxy, e.g. 10.1.2.3, or in the compose stack its network's gateway, 172.30.0.1). X-Forwarded-For
# is believed only from them (om_portal.middleware.client_ip); empty trusts no header: behind a
# proxy, every client would then share the proxy's address in the lockout and the audit trail.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES: {_proxy!r} is not an address or a CIDR range."
        ) from None
# At most how many X-Forwarded-For entries are read (0: no cap beyond TRUSTED_PROXIES).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "om_portal.middleware.client_ip"
# Across all addresses (om_portal.auth.throttle): after this many failures for one username within
# the window, each attempt waits a doubling delay (answered 429 with Retry-After), never a lockout;
# addresses the user logged in from before are not slowed.
LOGIN_USERNAME_FAILURE_LIMIT = env.int("LOGIN_USERNAME_FAILURE_LIMIT", default=10)
LOGIN_USERNAME_WINDOW_MINUTES = env.int("LOGIN_USERNAME_WINDOW_MINUTES", default=15)
LOGIN_USERNAME_MAX_DELAY_SECONDS = env.int("LOGIN_USERNAME_MAX_DELAY_SECONDS", default=300)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "om_portal.auth.lockout.lockout_response"
# The audit trail records every login and logout; axes keeps only the failures it counts.
AXES_DISABLE_ACCESS_LOG = True
# No banner at every start of every command; lockouts are still logged as warnings.
AXES_VERBOSE = False

# Second factor (django-otp, TOTP): required for these roles, and for superusers while any role
# is listed; an empty list turns it off. Other users may enrol from the Security page.
OTP_REQUIRED_ROLES = env.list(
    "OTP_REQUIRED_ROLES", default=["client_manager", "administrator", "security_admin", "auditor"]
)
# The name authenticator apps show beside the code.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="O&M Portal")

# How long an API token lasts (om_portal.auth.tokens): a working day by default; a script logs in
# again (password and one-time code) for a new one. check --deploy warns above a week.
API_TOKEN_LIFETIME_HOURS = env.int("API_TOKEN_LIFETIME_HOURS", default=12)

# --- Language and time --------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# Development serves static files straight from static/ and the apps, as they change.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
if DEBUG:
    # WhiteNoise warns when the collected folder is missing, even when it serves from the finders.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed names need collectstatic, which the Dockerfile runs; development
        # serves the files as they are.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Photos, signed PDFs and acceptance packages: on the local disk (MEDIA_ROOT) by default; in an
# S3-compatible store (MinIO on premises) when S3_BUCKET is set, so that several web and worker
# machines share them. The objects stay private: views check access, then stream them.
S3_BUCKET = env.str("S3_BUCKET", default="")
if S3_BUCKET:
    try:
        import storages.backends.s3  # noqa: F401
    except ImportError as exc:
        raise ImproperlyConfigured("S3_BUCKET is set: install the s3 extra (pip install '.[s3]').") from exc
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "access_key": env.str("S3_ACCESS_KEY_ID", default=""),
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default=""),
            "region_name": env.str("S3_REGION", default="us-east-1"),
            "addressing_style": "path",  # MinIO's and SeaweedFS's default
            "signature_version": "s3v4",
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,  # a second photo of the same name gets a name of its own
            "location": env.str("S3_PREFIX", default=""),
        },
    }
MEDIA_URL = "media/"
# Uploads (inspection photos) are never served from MEDIA_URL: views check access, then stream.
INSPECTION_PHOTO_MAX_BYTES = env.int("INSPECTION_PHOTO_MAX_BYTES", default=10 * 1024 * 1024)
# A round carries several photos: big files go to disk while they upload, and the request as a
# whole is bounded by the web server (client_max_body_size in the compose stack's proxy).
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# The asset ledger's import (contracts.assets_io) reads a file as a stream and refuses one past
# these limits before it costs memory: at these values an accepted file costs a worker at most
# 200 MB (bench/uploads.py). An .xlsx is a zip archive; its parts' sizes are checked before it
# is unpacked, and a part compressed past the ratio is a bomb, not a spreadsheet (a ledger's
# sheet compresses about 15 to 1).
ASSET_IMPORT_MAX_BYTES = env.int("ASSET_IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
ASSET_IMPORT_MAX_ROWS = env.int("ASSET_IMPORT_MAX_ROWS", default=100_000)
ASSET_IMPORT_MAX_COLUMNS = env.int("ASSET_IMPORT_MAX_COLUMNS", default=100)
ASSET_IMPORT_MAX_CELL_CHARS = env.int("ASSET_IMPORT_MAX_CELL_CHARS", default=32_767)  # Excel's own
ASSET_IMPORT_MAX_UNPACKED_BYTES = env.int("ASSET_IMPORT_MAX_UNPACKED_BYTES", default=100 * 1024 * 1024)
ASSET_IMPORT_MAX_ARCHIVE_MEMBERS = env.int("ASSET_IMPORT_MAX_ARCHIVE_MEMBERS", default=1000)
ASSET_IMPORT_MAX_COMPRESSION_RATIO = env.int("ASSET_IMPORT_MAX_COMPRESSION_RATIO", default=100)

# Contract intake's OCR of a scanned PDF (contracts.intake.reading): Tesseract processes at once
# (never more than the machine's cores; each single-threaded), and the longest a whole read may
# take before it is refused (each command is also bounded, to 120 s).
INTAKE_OCR_PROCESSES = env.int("INTAKE_OCR_PROCESSES", default=4)
INTAKE_OCR_SECONDS = env.int("INTAKE_OCR_SECONDS", default=600)

# --- Audit trail -------------------------------------------------------------------------------
# How long audit lines are kept; GB/T 22239 level 3 asks for at least 180 days, and less is
# raised to that (om_portal.audit.MIN_RETENTION_DAYS).
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)
# Automated checks' results older than this are deleted daily (inspections.retention; never below 400).
CHECK_RESULT_RETENTION_DAYS = env.int("CHECK_RESULT_RETENTION_DAYS", default=400)


def _development_audit_key() -> str:
    # Like the development secret: a file outside the database, shared by web, worker and beat.
    path = VAR_DIR / "dev-audit-key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


# The key of the audit chain's HMAC: kept outside the database, so that whoever can write the
# tables cannot re-chain rewritten lines. In production set it (check --deploy warns); without it
# the chain is keyed with a key derived from SECRET_KEY (om_portal.audit.chain_key).
AUDIT_KEY = env.str("AUDIT_KEY", default="") or (_development_audit_key() if DEBUG else "")
# Where the daily anchors (the chain's head, HMAC'd) are written for the auditor to keep elsewhere.
AUDIT_ANCHOR_DIR = Path(env.str("AUDIT_ANCHOR_DIR", default=str(VAR_DIR / "audit-anchors")))

# --- Reports --------------------------------------------------------------------------------------
# The certificate and key that sign every signed-off PDF (PAdES), as PEM files; the key may be
# encrypted with REPORT_SIGNING_KEY_PASSPHRASE. Without them a self-signed development
# certificate is generated once under var/signing/: fine for trying the portal, not for
# production (its PDFs verify only against this installation).
REPORT_SIGNING_CERT_FILE = env.str("REPORT_SIGNING_CERT_FILE", default="")
REPORT_SIGNING_KEY_FILE = env.str("REPORT_SIGNING_KEY_FILE", default="")
REPORT_SIGNING_KEY_PASSPHRASE = env.str("REPORT_SIGNING_KEY_PASSPHRASE", default="")
REPORT_SIGNING_DEV_DIR = Path(env.str("REPORT_SIGNING_DEV_DIR", default=str(VAR_DIR / "signing")))
# The largest PDF the verification page accepts.
REPORT_VERIFY_MAX_BYTES = env.int("REPORT_VERIFY_MAX_BYTES", default=50 * 1024 * 1024)
# What reading one may inflate (its compressed streams): a bomb of 1 GB in 1 MB is refused here.
REPORT_VERIFY_MAX_DECODED_BYTES = env.int("REPORT_VERIFY_MAX_DECODED_BYTES", default=32 * 1024 * 1024)

# --- API ----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # "Authorization: Token <key>", over hashed expiring tokens (om_portal.auth.tokens).
        "om_portal.auth.tokens.HashedTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "om_portal.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "om_portal.api.FilterBackend",  # django-filter's, moments in UTC
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "om_portal.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "O&M portal API",
    "DESCRIPTION": "运维合同管理平台 REST API. A contract's public key is its code.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI from the sidecar package, served from static/: police networks have no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One tag per resource (not one "v1" for all), shown folded: the list stays short enough
    # that Swagger UI renders it whole (from 150 rows it renders only what is on screen, and the
    # browser's Find misses the rest), and each operation has a link of its own.
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "docExpansion": "none", "filter": True},
    # Choices that several serializers share get one name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "AssetKindEnum": "contracts.models.Asset.Kind",
        "ComplaintSideEnum": "incidents.models.knowledge.Side",
        # Reports reuse the names "kind", "status" and "due_unit" with choices of their own.
        "ReportKindEnum": "reports.models.ReportKind",
        "ReportStatusEnum": "reports.models.Report.Status",
        "BuildStateEnum": "reports.models.BuildState",
        "OffsetUnitEnum": "contracts.models.Milestone.OffsetUnit",
        # Clauses, breaches and report requirements name a kind of breach of the registry.
        "BreachKindEnum": "contracts.obligations.choices",
        # An incident's kind, in the incident and in its reclassification.
        "IncidentKindEnum": "incidents.models.IncidentKind",
        # Contract intake: what an upload was read as, and where its reading is.
        "ContractUploadKindEnum": "contracts.models.ContractUpload.Kind",
        "ContractUploadStatusEnum": "contracts.models.ContractUpload.Status",
    },
}

# --- Security -----------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
# Sent by om_portal.middleware.SecurityHeadersMiddleware. Every script, style and font is a file
# under static/; SVG charts and the enrolment QR code are inline <svg> elements, images of
# inspection photos come from the portal itself.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    # blob: the tablet's preview of a photo before it is sent.
    "img-src": "'self' data: blob:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# The tablets take photos through the file input, which needs no camera permission.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
# The largest request body accepted (a round's photos, an asset ledger, a PDF to verify); the
# fields' own limits are smaller, this one refuses a flood before a view reads it.
MAX_REQUEST_BYTES = env.int("MAX_REQUEST_BYTES", default=100 * 1024 * 1024)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Load balancers and monitoring probe /healthz over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    if env.bool("BEHIND_TLS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Logging ------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs each layout step at INFO; its refusals and errors stay visible.
    # axes logs every login at INFO; its lockouts are WARNING and stay visible.
    "loggers": {
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
