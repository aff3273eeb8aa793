"""Linkstar settings: the only module that reads the environment.

Every variable is documented in README.md ("Configuration"). Defaults give a
zero-setup local run (SQLite, a filesystem broker); `DJANGO_ENV=production`
switches on everything `manage.py check --deploy` asks for.
"""

from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
ENV_FILE = env.path("LINKSTAR_ENV_FILE", default=str(BASE_DIR / ".env"))
if Path(ENV_FILE).is_file():
    environ.Env.read_env(str(ENV_FILE), overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")  # no default: production refuses to start without it
else:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me-0123456789-abcdefghijklmnop")

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The public base URL buyers and providers reach us at (links in emails, webhook URLs,
# Twilio signature validation). Behind a proxy it is the proxy's address.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Keys the hashes that recognise one buyer across stores and after erasure (linkstar/identity.py).
# Changing it makes existing hashes (and suppressions) stop matching: set it once per deployment.
IDENTITY_HASH_KEY = env.str("IDENTITY_HASH_KEY", default=SECRET_KEY)

# Encrypted model fields (linkstar/crypto.py): the first key encrypts, all keys decrypt.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "csp",
    "linkstar",
    "accounts",
    "orders",
    "templates_review",
    "channels",
    "billing",
    "reviews",
    "insights",
    "inserts",
    "django_celery_beat",  # after our apps: its zh-Hans catalogue must not override our wording
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "linkstar.middleware.OutageMiddleware",
    "linkstar.middleware.NulByteMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.CurrentMerchantMiddleware",
    "linkstar.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "linkstar.middleware.PrivateCacheMiddleware",
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses logins to an account locked after repeated failures
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "linkstar.urls"
WSGI_APPLICATION = "linkstar.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "linkstar.navigation.navigation",
                "insights.context.notices",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share the demo's SQLite file: wait for locks, write-ahead log.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # Reuse connections across requests and Celery tasks (measured ~3.6x faster dispatch).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits, token buckets); Redis when configured ----------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Passwords and auth -------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

if DJANGO_ENV == "test":
    # Tests create hundreds of users; a fast hash keeps fixtures quick. Never outside tests.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --- i18n -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LANGUAGE_COOKIE_NAME = "linkstar_language"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
LOCALE_PATHS = []  # each app carries its own <app>/locale catalogue

# --- Static files ---------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
MEDIA_URL = "/media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * 1024 * 1024)

# --- Email (the product's own mail: password resets, notices) ------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Linkstar <no-reply@linkstar.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- REST framework -------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.MerchantRolePermission"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["linkstar.api.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "EXCEPTION_HANDLER": "linkstar.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["accounts.throttling.ApiRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": env.str("API_RATE_LIMIT", default="1200/min")},
    # Client addresses come from REMOTE_ADDR unless we sit behind this many trusted proxies.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Linkstar API",
    "DESCRIPTION": "Orders in, review requests out. Every call acts for the merchant that owns the API key.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "linkstar.schema.document_errors",
    ],
    "ENUM_NAME_OVERRIDES": {
        "OrderSourceEnum": "orders.models.Source",
        "OrderStatusEnum": "orders.models.Order.Status",
        "FulfillmentChannelEnum": "orders.models.Order.FulfillmentChannel",
        "ContactChannelEnum": "orders.models.Channel",
        "ConsentStatusEnum": "orders.models.Consent.Status",
    },
}

# Login attempts per account (django-axes): 5 failures lock the account for 15 minutes,
# and 5 failures from one address lock that address; X-Forwarded-For is not trusted.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("LOGIN_LOCKOUT_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one, counted separately
AXES_VERBOSE = False
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address"]

# --- Celery -----------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
BROKER_DIR = BASE_DIR / "var" / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        # the worker looks for the next message this often after each ack (the default 1 s holds two workers
        # to two tasks a second, so a burst of delivery events delays the planner by minutes)
        "polling_interval": 0.05,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Security ---------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "frame-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    # /healthz and /readyz are probed over plain HTTP inside the cluster.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# --- Logging ----------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Demo ---------------------------------------------------------------------
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="linkstar-demo-2026")

# --- orders ---
# Largest body the bulk order / event endpoints accept (413 above it); 1,000 orders are about 1.5 MB.
ORDERS_BULK_MAX_BYTES = env.int("ORDERS_BULK_MAX_BYTES", default=DATA_UPLOAD_MAX_MEMORY_SIZE)
# Largest CSV / XLSX order file the import page accepts.
ORDERS_IMPORT_MAX_BYTES = env.int("ORDERS_IMPORT_MAX_BYTES", default=20 * 1024 * 1024)

# --- billing ---
# Currency of prices, wallets and statements (ISO 4217), one per deployment.
BILLING_CURRENCY = env.str("BILLING_CURRENCY", default="USD")
# A reservation nobody settled (a worker died before record_usage) is released after this many hours.
BILLING_RESERVATION_TTL_HOURS = env.int("BILLING_RESERVATION_TTL_HOURS", default=72)

# --- channels ---
# Provider API URLs may be pointed elsewhere (the local fakes of `manage.py run_fake_providers`, tests).
# Never in production: a merchant could otherwise aim our requests (and their keys) at any host.
CHANNELS_PROVIDER_URL_OVERRIDES = env.bool("CHANNELS_PROVIDER_URL_OVERRIDES", default=not PRODUCTION)
# Where Amazon SNS signing certificates and SubscribeURLs may live (checked before they are fetched).
CHANNELS_SNS_URL_REGEX = env.str("CHANNELS_SNS_URL_REGEX", default=r"^https://sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/")
# Amazon Solicitations: per-seller token bucket shared by all workers (Redis), and how long a
# worker waits for a token before answering "temporary failure, retry at ...".
CHANNELS_AMAZON_RATE = env.float("CHANNELS_AMAZON_RATE", default=1.0)
CHANNELS_AMAZON_BURST = env.int("CHANNELS_AMAZON_BURST", default=5)
CHANNELS_AMAZON_MAX_WAIT = env.float("CHANNELS_AMAZON_MAX_WAIT", default=5.0)
# `manage.py run_fake_providers` listens on consecutive ports from here (SMTP, Twilio, ESPs, SP-API).
CHANNELS_FAKES_PORT = env.int("CHANNELS_FAKES_PORT", default=8025)
# twilio logs whole requests (numbers, bodies) at INFO; keep buyers' data out of the logs.
LOGGING["loggers"]["twilio.http_client"] = {"level": "WARNING"}

# --- orders connectors ---
# Shopify Admin API version the connector speaks; HTTP timeout (seconds) of every platform call.
SHOPIFY_API_VERSION = env.str("SHOPIFY_API_VERSION", default="2025-01")
CONNECTORS_HTTP_TIMEOUT = env.float("CONNECTORS_HTTP_TIMEOUT", default=20.0)
# Days of orders a first poll reads when a store has no cursor yet.
CONNECTORS_INITIAL_DAYS = env.int("CONNECTORS_INITIAL_DAYS", default=30)
# Plain-http platform addresses on this machine (the demo's local fakes, tests); never in production.
CONNECTORS_ALLOW_LOOPBACK = env.bool("CONNECTORS_ALLOW_LOOPBACK", default=not PRODUCTION)
AMAZON_LWA_TOKEN_URL = env.str("AMAZON_LWA_TOKEN_URL", default="https://api.amazon.com/auth/o2/token")
# getOrderItems calls one poll run may spend (Amazon allows a burst of 30, then 0.5 per second).
AMAZON_ORDER_ITEMS_PER_RUN = env.int("AMAZON_ORDER_ITEMS_PER_RUN", default=30)
AFTERSHIP_API_BASE = env.str("AFTERSHIP_API_BASE", default="https://api.aftership.com/tracking/2025-01")
SEVENTEENTRACK_API_BASE = env.str("SEVENTEENTRACK_API_BASE", default="https://api.17track.net/track/v2.2")
# Where `manage.py run_fake_platforms` listens and where the demo stores point.
FAKE_PLATFORMS_URL = env.str("FAKE_PLATFORMS_URL", default="http://127.0.0.1:8765").rstrip("/")

# --- channels: push, Amazon messaging, insert cards (issue 12) ---
# Web push subscriptions may only point at push services (checked when a buyer's subscription is
# registered and again before each send): Google (Chrome), Mozilla, Apple, Microsoft.
WEB_PUSH_ENDPOINT_REGEX = env.str(
    "WEB_PUSH_ENDPOINT_REGEX",
    default=r"^https://(fcm\.googleapis\.com|updates\.push\.services\.mozilla\.com|web\.push\.apple\.com"
    r"|[a-z0-9-]+\.notify\.windows\.com|[a-z0-9.-]+\.push\.apple\.com)(:443)?/",
)
# Plain-http loopback endpoints (the local web-push fake of the demo and tests); never in production.
WEB_PUSH_ALLOW_LOOPBACK = env.bool("WEB_PUSH_ALLOW_LOOPBACK", default=not PRODUCTION)
# Insert cards: a sheet is made within the request (about 45 cards a second on 2 cores), so its size is
# capped; the logo upload is capped too.
INSERT_CARDS_MAX_PER_SHEET = env.int("INSERT_CARDS_MAX_PER_SHEET", default=400)
INSERT_CARDS_LOGO_MAX_BYTES = env.int("INSERT_CARDS_LOGO_MAX_BYTES", default=2 * 1024 * 1024)
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["PushSubscriptionKindEnum"] = "orders.models.PushSubscription.Kind"
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "CampaignStatusEnum": "reviews.models.CampaignStatus",
        "MessageStatusEnum": "reviews.models.MessageStatus",
        "CampaignChannelEnum": "reviews.models.Channel",
        "CampaignPurposeEnum": "reviews.models.Purpose",
        "CampaignMessageClassEnum": "reviews.models.MessageClass",
    }
)

# --- reviews ---
# Dispatch: a claim's lease (a worker silent past it leaves its messages `unknown`, never resent), messages
# claimed per batch, messages sent between two reads of the stop flags, retries of temporary failures.
REVIEWS_LEASE_SECONDS = env.int("REVIEWS_LEASE_SECONDS", default=300)
REVIEWS_BATCH_SIZE = env.int("REVIEWS_BATCH_SIZE", default=500)
REVIEWS_SEND_CHUNK = env.int("REVIEWS_SEND_CHUNK", default=100)
REVIEWS_MAX_ATTEMPTS = env.int("REVIEWS_MAX_ATTEMPTS", default=5)
REVIEWS_STOP_CHECK_SECONDS = env.float("REVIEWS_STOP_CHECK_SECONDS", default=1.0)
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["CampaignChannelEnum"] = "reviews.models.Channel"
# Buyers' links (review, help, open pixel) stop working this many days after the message was rendered.
REVIEWS_LINK_MAX_AGE_DAYS = env.int("REVIEWS_LINK_MAX_AGE_DAYS", default=120)
# One open ticket per order and reason within this many hours; a help-page photo may be this large.
REVIEWS_TICKET_WINDOW_HOURS = env.int("REVIEWS_TICKET_WINDOW_HOURS", default=24)
REVIEWS_PHOTO_MAX_BYTES = env.int("REVIEWS_PHOTO_MAX_BYTES", default=5 * 1024 * 1024)
# Dispatch loops the beat's kick starts when messages are due, and how long one loop runs.
REVIEWS_DISPATCH_LOOPS = env.int("REVIEWS_DISPATCH_LOOPS", default=2)
REVIEWS_WORKER_SECONDS = env.float("REVIEWS_WORKER_SECONDS", default=50.0)
# Broadcasts API: the campaign status set (its channels are the contact channels: ContactChannelEnum).
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["CampaignStatusEnum"] = "reviews.models.CampaignStatus"

# --- insights: circuit breakers (rolling window per merchant x channel account) ---
# A rule trips when its rate is strictly above the threshold and the window holds at least the minimum sample.
INSIGHTS_BREAKER_WINDOW_HOURS = env.int("INSIGHTS_BREAKER_WINDOW_HOURS", default=24)
INSIGHTS_BREAKER_MIN_SENDS = env.int("INSIGHTS_BREAKER_MIN_SENDS", default=200)
INSIGHTS_BREAKER_COMPLAINT_RATE = env.str("INSIGHTS_BREAKER_COMPLAINT_RATE", default="0.003")
INSIGHTS_BREAKER_HARD_BOUNCE_RATE = env.str("INSIGHTS_BREAKER_HARD_BOUNCE_RATE", default="0.05")
INSIGHTS_BREAKER_PROVIDER_ERROR_RATE = env.str("INSIGHTS_BREAKER_PROVIDER_ERROR_RATE", default="0.20")
# Unsubscribes in the window above FACTOR x the trailing 7 days' average for a window of that length, and above FLOOR.
INSIGHTS_BREAKER_UNSUBSCRIBE_FACTOR = env.str("INSIGHTS_BREAKER_UNSUBSCRIBE_FACTOR", default="3")
INSIGHTS_BREAKER_UNSUBSCRIBE_FLOOR = env.int("INSIGHTS_BREAKER_UNSUBSCRIBE_FLOOR", default=10)
