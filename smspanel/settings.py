"""Settings for the SMS panel.

Everything comes from the environment (django-environ); a ``.env`` file beside
``manage.py`` is read when present, and the real environment wins over it.
"""

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# A development key: `check --deploy` flags it (too short, "django-insecure-" prefix).
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-development-only-key")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Addresses (or CIDR ranges) of reverse proxies whose X-Forwarded-For we believe.
# Anyone else's X-Forwarded-For is ignored: the client is the socket peer.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

# Outbound callbacks may reach loopback/private addresses only when this is set
# (development and tests).
CALLBACK_ALLOW_PRIVATE = env.bool("CALLBACK_ALLOW_PRIVATE", default=False)
CALLBACK_RETRY_INTERVAL = env.int("CALLBACK_RETRY_INTERVAL", default=300)
CALLBACK_RETRY_WINDOW = env.int("CALLBACK_RETRY_WINDOW", default=7200)
# POSTs a worker has in flight at once (a slow receiver does not hold up the rest),
# and at most this many of them to one host, so that slots stay free for the
# others while one customer's receiver hangs; a host that failed to answer gets
# one at a time until it answers.
CALLBACK_CONCURRENCY = env.int("CALLBACK_CONCURRENCY", default=8)
CALLBACK_HOST_CONCURRENCY = env.int("CALLBACK_HOST_CONCURRENCY", default=6)
# A callback worker waits this long for a retry that falls due (retries keep
# their interval); later ones wake a worker through django-q2's scheduler.
CALLBACK_LINGER_SECONDS = env.float("CALLBACK_LINGER_SECONDS", default=5.0)
# A host that failed twice in a row without answering waits the retry interval,
# doubled for each further failure, up to this many seconds.
CALLBACK_HOST_BACKOFF_MAX = env.int("CALLBACK_HOST_BACKOFF_MAX", default=3600)

# Callbacks are signed with a per-service secret derived from this key
# (SECRET_KEY when empty); changing it changes every service's secret.
CALLBACK_SIGNING_KEY = env.str("CALLBACK_SIGNING_KEY", default="")

# The mobile networks sender names are registered with, as code=name pairs in the
# order shown: staff keep a sender ID's status at each (accounts.SenderOperatorStatus,
# keyed by the code), the panel and admin show them. SMSC's senders.php answers seed
# 004's own operator fields instead, as stored (README, "The SMSC-compatible APIs").
SENDER_NAME_OPERATORS = {
    code.strip(): name.strip()
    for code, name in env.dict(
        "SENDER_NAME_OPERATORS",
        default={"orange": "Orange", "play": "Play", "plus": "Plus", "t-mobile": "T-Mobile"},
    ).items()
}

# Seconds the simulator gateway waits before reporting an outcome.
SIMULATOR_DELAY = env.float("SIMULATOR_DELAY", default=1.0)

# The dispatcher (gateways.dispatch): recipients claimed per batch, how long a
# claim lasts before a dead worker's batch is claimed again, and how a burst of
# sends is folded into few dispatch tasks.
DISPATCH_BATCH_SIZE = env.int("DISPATCH_BATCH_SIZE", default=1000)
DISPATCH_LEASE_SECONDS = env.int("DISPATCH_LEASE_SECONDS", default=120)
DISPATCH_COALESCE_SECONDS = env.float("DISPATCH_COALESCE_SECONDS", default=0.5)
DISPATCH_LINGER_SECONDS = env.float("DISPATCH_LINGER_SECONDS", default=1.0)
DISPATCH_GATHER_SECONDS = env.float("DISPATCH_GATHER_SECONDS", default=0.1)
# A recipient QUEUED this long without a report is EXPIRED (and refunded): the
# upstream forgot it (SMSC archives statuses after a day).
QUEUED_EXPIRY_HOURS = env.int("QUEUED_EXPIRY_HOURS", default=48)

# Opt-out (messaging.stoplist): an incoming SMS whose whole text is one of these (case,
# spaces and Polish letters aside) adds its sender to the customer's stoplist, or takes
# it off again.
STOP_WORDS = env.list("STOP_WORDS", default=["STOP", "NIE", "STOP SMS", "REZYGNUJE"])
START_WORDS = env.list("START_WORDS", default=["START"])

SMS2EMAIL_DOMAIN = env.str("SMS2EMAIL_DOMAIN", default="sms2email.localhost")
# The largest mail the listener takes (SMTP 552 above it).
SMS2EMAIL_MAX_BYTES = env.int("SMS2EMAIL_MAX_BYTES", default=1024 * 1024)
# seed 000 §4.2: at most one delivery report per mailed request this often.
SMS2EMAIL_REPORT_INTERVAL = env.int("SMS2EMAIL_REPORT_INTERVAL", default=900)
# Who may send UPS notifications to a service's subdomain (seed 000 §5.1), besides its
# authorised senders: domains or exact addresses, as those entries are matched.
UPS_SENDERS = env.list("UPS_SENDERS", default=["ups.com", "upsemail.com", "ups.pl"])
# Mail the platform sends for one service in an hour (incoming SMS, delivery
# reports, confirmation links); past it, a mail is logged for the customer, not sent.
SMS2EMAIL_MAIL_PER_HOUR = env.int("SMS2EMAIL_MAIL_PER_HOUR", default=600)
# How long the Sms2Email log keeps a mail (never longer than the retention limits below).
SMS2EMAIL_LOG_DAYS = env.int("SMS2EMAIL_LOG_DAYS", default=90)


def _days_or_forever(raw: str) -> int:
    """A number of days; 0 or empty: kept for ever."""
    return max(0, int(raw)) if raw.strip() else 0


# Retention (RODO): message texts, and the numbers of recipients and of those who
# sent incoming SMS, are anonymised this many days after the message was final
# (messaging.retention); the ledger keeps its amounts.
RETENTION_TEXT_DAYS = _days_or_forever(env.str("RETENTION_TEXT_DAYS", default="90"))
RETENTION_NUMBER_DAYS = _days_or_forever(env.str("RETENTION_NUMBER_DAYS", default="365"))

# The keyring holding the platform PGP key, secret part included (mailbridge.pgp);
# by default under var/, the git-ignored folder for what a running instance writes.
SMS2EMAIL_GNUPG_HOME = Path(
    env.str("SMS2EMAIL_GNUPG_HOME", default=str(BASE_DIR / "var" / "gnupg"))
)
# Secrets the platform must read back (the Sms2Email password, for md5 mode) are
# encrypted with a key derived from this (SECRET_KEY when empty; lib.sealed).
SEALING_KEY = env.str("SEALING_KEY", default="")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "accounts",
    "messaging",
    "gateways",
    # After gateways, whose qcluster command (a cluster that stops on SIGTERM)
    # takes the place of django-q2's: the first app listed wins.
    "django_q",
    "mailbridge",
    "contacts",
    "panel",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who acts, for the audit log (accounts.audit): read only when a change is recorded.
    "accounts.audit.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "smspanel.urls"

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

WSGI_APPLICATION = "smspanel.wsgi.application"
ASGI_APPLICATION = "smspanel.asgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo runs web and worker processes on one SQLite file: wait for the
    # write lock instead of failing at once, and take it at transaction start.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
else:
    # Keep connections open between requests: opening one costs more than a send.
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # The same backend, its health check asking the socket first (lib/pgengine).
        DATABASES["default"]["ENGINE"] = "lib.pgengine"
        if env.bool("DB_PREPARED_STATEMENTS", default=True):
            # Parameters bound by the server, and a statement a connection has run five
            # times (psycopg's default) kept prepared: PostgreSQL then stops parsing and
            # planning each send's statements anew, half its CPU a mail or an API send.
            # Off behind a pooler in transaction mode that cannot keep them.
            DATABASES["default"].setdefault("OPTIONS", {}).update(
                server_side_binding=True, prepare_threshold=5
            )
# A kept connection is checked with SELECT 1 at least this often (lib/pgengine).
DB_FULL_CHECK_SECONDS = env.float("DB_FULL_CHECK_SECONDS", default=10.0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "pl"
LANGUAGES = [("pl", "Polski"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Warsaw"
USE_I18N = True
USE_TZ = True
# Dates as each language writes them (07.12.2026 05:37; 7 Dec 2026, 05:37), over
# Django's defaults; lib.l10n shows money and moments with them.
FORMAT_MODULE_PATH = ["smspanel.formats"]

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# In production set STATIC_MANIFEST=1 and run collectstatic: whitenoise then
# serves hashed, compressed files with far-future caching. Without it
# (development, tests) files are served from the app folders by name.
STATIC_MANIFEST = env.bool("STATIC_MANIFEST", default=False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
# Served at the site's root: /favicon.ico, which browsers ask for whatever a page links.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
WHITENOISE_AUTOREFRESH = DEBUG

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"noreply@{SMS2EMAIL_DOMAIN}")
# Seconds an SMTP connection may take: a hung mail server must not hold a worker, nor
# the one sign-in request that tells an account's owner of failed sign-ins.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# Behind HTTPS in production set both to true (check --deploy reminds you).
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
X_FRAME_OPTIONS = "DENY"
# Links out of the panel do not carry its URLs (service and message ids).
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp) on every answer: scripts and styles come only
# from our static files, so injected markup can neither run script nor load anything
# from elsewhere. Neither the panel's templates (their scripts are static/panel/*.js)
# nor Django's admin (5.2) have an inline script, event handler or style attribute,
# so no page needs 'unsafe-inline' (tests/panel/test_csp_browser.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Pico's own icons are data: URIs; panel.css swaps them for files, but a browser
        # may fetch one before panel.css has loaded (a CSP report, an icon missing). An
        # image runs no script, so data: images are allowed; nothing else from data:.
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Permissions-Policy (django-permissions-policy): no page of ours uses these browser
# features, so no injected script or embedded frame can ask for them.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
        "browsing-topics",
    )
}
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
# Only when every subdomain is served over HTTPS too (and, for the preload list, asked for).
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if env.bool("SECURE_PROXY_SSL", default=False):
    # Behind a TLS proxy that sets X-Forwarded-Proto (list it in TRUSTED_PROXIES too).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The panel login, and staff in admin (panel.login): an address (IPv6: its /64) that
# failed LOGIN_FAILURE_LIMIT times is refused until the window (from its first
# failure) ends. A username is never locked: addresses that failed wait for its next
# turn, 1, 2, 4 … up to LOGIN_DELAY_MAX seconds after its last failure, while one that
# has not failed is checked at once; its owner is e-mailed at the limit's failure.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
LOGIN_FAILURE_WINDOW = env.int("LOGIN_FAILURE_WINDOW", default=900)
LOGIN_DELAY_MAX = env.int("LOGIN_DELAY_MAX", default=60)

# The SMS APIs (messaging.api). Failed API logins from one address (an IPv6
# address counts as its /64) or for one username: past the limit they get
# TOO_MANY_FAILED_LOGINS until the window ends, except the right credentials
# from an address on the service's allowlist.
API_LOGIN_FAILURE_LIMIT = env.int("API_LOGIN_FAILURE_LIMIT", default=20)
API_LOGIN_FAILURE_WINDOW = env.int("API_LOGIN_FAILURE_WINDOW", default=900)
# API credentials and allowlists are read from the cache; changes made in the
# panel or admin clear it at once (in every process when the cache is shared).
API_AUTH_CACHE_SECONDS = env.int("API_AUTH_CACHE_SECONDS", default=60)
# Each web process also keeps what it read for this long (saves a shared-cache
# round trip per request): a change made in another process is seen this late.
API_AUTH_LOCAL_SECONDS = env.float("API_AUTH_LOCAL_SECONDS", default=2.0)
THROTTLE_LOCAL_SECONDS = env.float("THROTTLE_LOCAL_SECONDS", default=1.0)
# incoming/<sms_hash>/: calls a second per service (each stores an SMS and
# queues a callback), and the longest sms_message kept (numbers: 32 characters).
INCOMING_RATE_LIMIT = env.int("INCOMING_RATE_LIMIT", default=20)
INCOMING_MAX_TEXT_LENGTH = env.int("INCOMING_MAX_TEXT_LENGTH", default=2000)
# to_file: the largest upload read (bytes), and the most recipients a message takes.
API_MAX_UPLOAD_BYTES = env.int("API_MAX_UPLOAD_BYTES", default=8 * 1024 * 1024)
MAX_RECIPIENTS_PER_MESSAGE = env.int("MAX_RECIPIENTS_PER_MESSAGE", default=500_000)
# A to_list or to_file sent as a plain form field can be as large as an upload.
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_UPLOAD_BYTES + 64 * 1024
# getProgress of a large message keeps its list and reads only the statuses
# changed since (messaging.progress); how long, and how much a process keeps.
PROGRESS_CACHE_MIN_RECIPIENTS = env.int("PROGRESS_CACHE_MIN_RECIPIENTS", default=1000)
PROGRESS_CACHE_SECONDS = env.int("PROGRESS_CACHE_SECONDS", default=300)
PROGRESS_KEEP_RECIPIENTS = env.int("PROGRESS_KEEP_RECIPIENTS", default=1_000_000)
# Content-policy rules are compiled once per process and re-read this often.
CONTENT_RULES_CACHE_SECONDS = env.int("CONTENT_RULES_CACHE_SECONDS", default=30)
# An address-book import of more rows than this runs as a django-q2 task, with progress.
CONTACT_IMPORT_TASK_ROWS = env.int("CONTACT_IMPORT_TASK_ROWS", default=2000)
# How long an uploaded import (its file, then its report) is kept.
CONTACT_IMPORT_KEEP_HOURS = env.int("CONTACT_IMPORT_KEEP_HOURS", default=24)
# A service's quiet hours are kept per process this long (accounts.quiet_hours).
QUIET_HOURS_CACHE_SECONDS = env.float("QUIET_HOURS_CACHE_SECONDS", default=10.0)

REDIS_URL = env.str("REDIS_URL", default="")

# Login and API throttles count failures in the cache: with several web
# processes it must be shared (Redis), or each process counts on its own.
if "CACHE_URL" in env:
    CACHES = {"default": env.cache("CACHE_URL")}
elif REDIS_URL:
    CACHES = {
        "default": {
            # Redis, or the process's own memory for a while when Redis does not answer
            # (lib/rediscache): the API keeps answering through a Redis outage.
            "BACKEND": "lib.rediscache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

REST_FRAMEWORK = {
    # The SMS APIs authenticate with their own credentials and IP allowlist,
    # never with the panel's session.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "URL_FORMAT_OVERRIDE": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "SMS API (Telecube-compatible)",
    "DESCRIPTION": "Send SMS, follow their progress, cancel, check content, store incoming "
    "SMS. Each endpoint answers JSON at its path and at its json/, XML at its xml/ (the "
    "format is the URL's, not Accept's); gateway/ is also send/.",
    "VERSION": "2.1",
    "SERVE_INCLUDE_SCHEMA": False,
    "PREPROCESSING_HOOKS": ["messaging.api.schema.only_canonical_paths"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "messaging.api.schema.wire_answers",
    ],
}

Q_CLUSTER = {
    "name": "smspanel",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": 120,
    "retry": 180,
    "catch_up": False,
    "save_limit": 1000,
    # django-q2's section in admin, in the reader's language (its texts: django_q_texts).
    "label": gettext_lazy("Task queue"),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # aiosmtpd logs each SMTP command of every session, addresses included, at INFO
    # (five lines a mail): shown at DEBUG only; the Sms2Email log keeps every mail.
    "loggers": {"mail.log": {"level": "DEBUG" if LOG_LEVEL == "DEBUG" else "WARNING"}},
}
