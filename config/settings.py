"""Settings for the whole project, read from the environment (12-factor).

Every variable is documented in `.env.example`. With nothing set, the site runs on a SQLite file,
prints emails to the terminal and caches in local memory; only `SECRET_KEY` is required, and only
when `DEBUG` is off.
"""

import os
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# pytest sets PYTEST_VERSION for its whole run; tests get safe local defaults without an env file.
TESTING = "PYTEST_VERSION" in os.environ
# A local `.env` is a convenience for development; real deployments set the environment. Tests
# never read it: what they run against is what the test command sets, on every machine alike.
if not TESTING:
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment (see .env.example), "
            "or set DEBUG=1 for local development."
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
# Absolute base URL of the public site (no trailing slash). Every absolute URL in a page, an
# email or a call to Mollie (the return address) is built on it, never on the request's Host
# header, which a client chooses. Required in production (`check --deploy` says so); `make run`
# sets it, and without it development and tests use a local address.
PUBLIC_BASE_URL_SET = env.str("PUBLIC_BASE_URL", default="").rstrip("/")
PUBLIC_BASE_URL = PUBLIC_BASE_URL_SET or (
    "http://testserver" if TESTING else "http://127.0.0.1:8000" if DEBUG else ""
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
if PUBLIC_BASE_URL and PUBLIC_BASE_URL not in CSRF_TRUSTED_ORIGINS:
    CSRF_TRUSTED_ORIGINS.append(PUBLIC_BASE_URL)

# --- The organisation -------------------------------------------------------------------------
# `make run` shows a fictional demo organisation (DEMO=1): `config/demo.env` fills in what the
# environment leaves unset. Without it nothing is made up: the footer, the contact page and the
# statements show only the details that are set, and `check --deploy` names the missing ones.
DEMO = env.bool("DEMO", default=False)
if DEMO:
    environ.Env.read_env(BASE_DIR / "config" / "demo.env", overwrite=False)
# What one client may do per hour or day (gift starts, mandates, login codes, objections) is
# limited against card testing and floods; someone trying the demo from one machine would
# run into those limits at once, so the demo's defaults are far higher (run_dev says so).
CLIENT_LIMIT_DEMO = 1000

SITE_NAME = env.str("SITE_NAME", default="Digitale Rechten Nu")
ORGANISATION = {
    "name": env.str("ORG_NAME", default="Stichting Digitale Rechten Nu"),
    "address": env.str("ORG_ADDRESS", default=""),
    "email": env.str("ORG_EMAIL", default=""),
    "phone": env.str("ORG_PHONE", default=""),
    "kvk": env.str("ORG_KVK", default=""),
    "rsin": env.str("ORG_RSIN", default=""),
    "iban": env.str("ORG_IBAN", default=""),
    "has_anbi": env.bool("ORG_HAS_ANBI", default=True),
    # Who signs periodic gift agreements for the organisation (name, function).
    "signatory": env.str("ORG_SIGNATORY", default="Penningmeester"),
}
# The logo in the header: an SVG among the static files (e.g. "img/logo.svg"), drawn in white on
# the brand colour. Without one, the header shows SITE_NAME as text.
ORG_LOGO = env.str("ORG_LOGO", default="")
# The privacy statement: the site writes its own from what the code does (retention, processors,
# cookies). To publish your own text instead, give a published article the translation key below.
PRIVACY_ARTICLE_KEY = "privacy"

# RFC 9116 security.txt at /.well-known/security.txt: where to report a vulnerability.
SECURITY_CONTACT = env.str(
    "SECURITY_CONTACT", default=f"mailto:{ORGANISATION['email']}" if ORGANISATION["email"] else ""
)
# Optional: a page describing the disclosure policy, and a fixed expiry (ISO 8601); without
# one, the file says it expires a year after it is served, so it never goes stale.
SECURITY_POLICY_URL = env.str("SECURITY_POLICY_URL", default="")
SECURITY_TXT_EXPIRES = env.str("SECURITY_TXT_EXPIRES", default="")

# --- Applications -----------------------------------------------------------------------------
INSTALLED_APPS = [
    "core.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "core.apps.TaskQueueConfig",
    "core",
    "campaign",
    "supporters",
    "donations",
    "supporter_area",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.http.RejectNulBytesMiddleware",
    "core.cache.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "supporters.auth.SupporterMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.theme.ThemeStyleMiddleware",
    "core.http.SiteNotFoundMiddleware",
]
# The demo keeps the local Mollie sandbox's time, which its overview moves on (core/demo_clock.py).
if DEMO and env.bool("DEMO_FOLLOWS_SANDBOX_CLOCK", default=True):
    MIDDLEWARE.insert(0, "core.demo_clock.DemoClockMiddleware")

ROOT_URLCONF = "config.urls"
FORMAT_MODULE_PATH = ["config.formats"]
WSGI_APPLICATION = "config.wsgi.application"

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
                "core.context_processors.site",
            ],
        },
    },
]

# --- Data -------------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A request waits at most this long for a row lock, then fails (the webhook answers 503 and
    # Mollie calls again) instead of piling up behind a stuck transaction. Set for the whole
    # connection, so no transaction spends a statement on it.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c lock_timeout=5s".strip()
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Two requests writing at once (a webhook and the return page) must wait for each other
    # rather than fail: take the write lock when a transaction starts, wait up to 20 s for it,
    # and let readers go on during a write (WAL).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # Tests use a file too (not Django's shared in-memory database), so the live server used by
    # the browser tests waits for locks the way a real deployment does.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".test-db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
# Rate limits (login codes, donation starts, "I objected") are counted where every app process
# counts together and page traffic can never push a count out: in the database by default, or
# in Redis when CACHE_URL points there (its own alias and key prefix). See core/ratelimit.py.
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    CACHES["ratelimit"] = {**CACHES["default"], "KEY_PREFIX": "ratelimit"}
RATELIMIT_STORE = env.str(
    "RATELIMIT_STORE", default="cache:ratelimit" if "ratelimit" in CACHES else "database"
)

# Public pages are cached server-side and by shared caches for this many seconds; staff edits
# invalidate the server-side copy at once.
PUBLIC_CACHE_SECONDS = env.int("PUBLIC_CACHE_SECONDS", default=60)
# With DEBUG on, a wrong address shows the site's own 404 page, as in production; 1 shows
# Django's technical page (every URL pattern) instead.
DEBUG_TECHNICAL_404 = env.bool("DEBUG_TECHNICAL_404", default=False)
# How many "I objected" presses one client may make per hour.
OBJECTION_LIMIT_PER_HOUR = env.int(
    "OBJECTION_LIMIT_PER_HOUR", default=5 if not DEMO else CLIENT_LIMIT_DEMO
)
# Number of reverse proxies in front of the app whose X-Forwarded-For entries we trust (0: none,
# use the socket address). Only ever used to derive hashed rate-limit keys.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- Donations --------------------------------------------------------------------------------
# Preset amounts (whole euros) offered on the campaign page and the donate form.
DONATION_PRESET_AMOUNTS = env.list("DONATION_PRESET_AMOUNTS", cast=int, default=[5, 10, 25, 50])
DONATION_DEFAULT_AMOUNT = env.int("DONATION_DEFAULT_AMOUNT", default=10)
DONATION_MIN_AMOUNT = env.str("DONATION_MIN_AMOUNT", default="2.00")
DONATION_MAX_AMOUNT = env.str("DONATION_MAX_AMOUNT", default="5000.00")
# Donation starts (payment attempts) one client may make per hour: slows down card testing.
DONATION_START_LIMIT_PER_HOUR = env.int(
    "DONATION_START_LIMIT_PER_HOUR", default=10 if not DEMO else CLIENT_LIMIT_DEMO
)
# Submitting the donate form always takes at least this long, so the time it takes does not tell
# whether the address already belongs to a supporter with a Mollie customer (one call fewer).
DONATION_START_MIN_RESPONSE_SECONDS = env.float("DONATION_START_MIN_RESPONSE_SECONDS", default=0.8)
# How often a donor can choose to give: "monthly", "quarterly", "yearly", "oneoff" (in the
# donate form's order). The campaign page offers monthly and one-off.
DONATION_FREQUENCIES = env.list("DONATION_FREQUENCIES", default=["monthly", "oneoff"])
# A charge that differs from the usual one (higher, or the first after a pause or a new payment
# method) is announced by email this many days ahead (SEPA expects notice before a debit).
PRE_DEBIT_NOTICE_DAYS = env.int("PRE_DEBIT_NOTICE_DAYS", default=5)
# What makes our idempotency keys ours when several installations share a Mollie key (default:
# derived from PUBLIC_BASE_URL, so a test site and the real one differ).
MOLLIE_IDEMPOTENCY_PREFIX = env.str("MOLLIE_IDEMPOTENCY_PREFIX", default="")
# The secret part of our webhook's address that Mollie is given (default: derived from
# SECRET_KEY). Set it to keep the address when SECRET_KEY changes without a fallback.
MOLLIE_WEBHOOK_TOKEN = env.str("MOLLIE_WEBHOOK_TOKEN", default="")
# Mollie's webhook: a client whose posted ids turned out not to be ours this many times in ten
# minutes (per worker process) gets 503 for further unknown ids, without a call to Mollie.
WEBHOOK_UNKNOWN_IDS_PER_CLIENT = env.int("WEBHOOK_UNKNOWN_IDS_PER_CLIENT", default=30)
# Changes to one regular gift run one after another (donations/services/changes.py): a second
# change waits this long for the first, then the donor is asked to try again; a change still
# open after GIFT_CHANGE_STALE_SECONDS was abandoned by its process and is settled with Mollie.
# The stale time must exceed the longest change: three Mollie calls of MOLLIE_*_TIMEOUT each.
GIFT_CHANGE_WAIT_SECONDS = env.float("GIFT_CHANGE_WAIT_SECONDS", default=15)
GIFT_CHANGE_STALE_SECONDS = env.int("GIFT_CHANGE_STALE_SECONDS", default=120)

# --- Direct debit by mandate (machtiging): docs/direct-debit.md ------------------------------
# Whether the donate form offers "direct debit from my account" for regular gifts.
DIRECT_DEBIT_ENABLED = env.bool("DIRECT_DEBIT_ENABLED", default=True)
# Who collects. Mollie collects SEPA direct debits for its merchants under its own name and
# creditor identifier, which the mandate text must show; change these only if your agreement
# with Mollie says otherwise. `manage.py check` refuses an identifier whose check digits fail.
DIRECT_DEBIT_CREDITOR_NAME = env.str(
    "DIRECT_DEBIT_CREDITOR_NAME", default="Stichting Mollie Payments"
)
DIRECT_DEBIT_CREDITOR_ID = env.str("DIRECT_DEBIT_CREDITOR_ID", default="NL08ZZZ502057730000")
# The creditor's postal address, for the mandate text (the Dutch banks' mandate form asks for
# it): set it from your agreement with Mollie.
DIRECT_DEBIT_CREDITOR_ADDRESS = env.str("DIRECT_DEBIT_CREDITOR_ADDRESS", default="")
# Our mandate references start with this, so that they are unique among all of Mollie's
# merchants (letters and digits; default: the initials of SITE_NAME).
MANDATE_REFERENCE_PREFIX = env.str(
    "MANDATE_REFERENCE_PREFIX", default="".join(w[0] for w in SITE_NAME.split() if w).upper()
)
# The first collection comes at least this many days after the donor was sent the notice
# (SEPA's default pre-notification period is 14 days).
DIRECT_DEBIT_FIRST_NOTICE_DAYS = env.int("DIRECT_DEBIT_FIRST_NOTICE_DAYS", default=14)
# A debit the bank returned for lack of funds is tried once more, this many days later.
DIRECT_DEBIT_RETRY_DAYS = env.int("DIRECT_DEBIT_RETRY_DAYS", default=5)
# The "this was not me" link in the notice works for this many days (and once).
DIRECT_DEBIT_STOP_LINK_DAYS = env.int("DIRECT_DEBIT_STOP_LINK_DAYS", default=60)
# How many mandates by IBAN may be given per client and per email address in a day, and per
# IBAN in thirty days (anyone can type an account that is not theirs: docs/security.md).
DIRECT_DEBIT_PER_CLIENT_PER_DAY = env.int(
    "DIRECT_DEBIT_PER_CLIENT_PER_DAY", default=3 if not DEMO else CLIENT_LIMIT_DEMO
)
# The demo relaxes these too: trying the journeys means the README's one test IBAN and one
# address, again and again.
DIRECT_DEBIT_PER_ADDRESS_PER_DAY = env.int(
    "DIRECT_DEBIT_PER_ADDRESS_PER_DAY", default=2 if not DEMO else CLIENT_LIMIT_DEMO
)
DIRECT_DEBIT_PER_IBAN_PER_MONTH = env.int(
    "DIRECT_DEBIT_PER_IBAN_PER_MONTH", default=2 if not DEMO else CLIENT_LIMIT_DEMO
)

# --- Supporters ------------------------------------------------------------------------------
# Login codes (docs/security.md): how long one works, how many wrong tries an address gets in
# a window (and a client across every address it tries), and how many codes an address and a
# client may ask for in that window.
LOGIN_CODE_VALID_MINUTES = 10
LOGIN_CODE_WRONG_TRIES = 5
LOGIN_CODE_WINDOW_MINUTES = 15
LOGIN_CODES_PER_ADDRESS = env.int(
    "LOGIN_CODES_PER_ADDRESS", default=3 if not DEMO else CLIENT_LIMIT_DEMO
)
LOGIN_CODE_CLIENT_LIMIT = env.int(
    "LOGIN_CODE_CLIENT_LIMIT", default=10 if not DEMO else CLIENT_LIMIT_DEMO
)
LOGIN_CODE_CLIENT_WRONG_TRIES = env.int("LOGIN_CODE_CLIENT_WRONG_TRIES", default=20)
# Asking for a code always takes at least this long, known address or not, so response times
# do not tell which addresses belong to supporters.
LOGIN_CODE_MIN_RESPONSE_SECONDS = env.float("LOGIN_CODE_MIN_RESPONSE_SECONDS", default=0.4)
SUPPORTER_HISTORY_PAGE_SIZE = 25
# The success page's button opens a *limited* session (only the gifts this browser started) for
# this long; everything else needs a login code.
SUPPORTER_LIMITED_SESSION_SECONDS = env.int("SUPPORTER_LIMITED_SESSION_SECONDS", default=3600)

# --- Mollie -----------------------------------------------------------------------------------
# A test_... or live_... key. `make run` leaves it empty and uses the local Mollie sandbox.
MOLLIE_API_KEY = env.str("MOLLIE_API_KEY", default="")
# Benchmarks only: mounts /mollie/reference/, the minimal webhook R4 measures the webhook by.
BENCHMARK_REFERENCE_VIEW = env.bool("BENCHMARK_REFERENCE_VIEW", default=False)
# Empty means Mollie itself (https://api.mollie.com); the sandbox sets its own address here.
MOLLIE_API_ENDPOINT = env.str("MOLLIE_API_ENDPOINT", default="").rstrip("/")
MOLLIE_CONNECT_TIMEOUT = env.float("MOLLIE_CONNECT_TIMEOUT", default=2.0)
MOLLIE_READ_TIMEOUT = env.float("MOLLIE_READ_TIMEOUT", default=10.0)
# Where Mollie can reach our webhook. Defaults to PUBLIC_BASE_URL; with the sandbox, a local
# address works too. Empty: no webhook is sent (the return page and `sync_payments` take over).
MOLLIE_WEBHOOK_BASE_URL = env.str("MOLLIE_WEBHOOK_BASE_URL", default=PUBLIC_BASE_URL_SET).rstrip(
    "/"
)
# The donate form redirects the browser to the checkout, so CSP form-action must allow it.
MOLLIE_CHECKOUT_ORIGIN = env.str(
    "MOLLIE_CHECKOUT_ORIGIN", default=MOLLIE_API_ENDPOINT or "https://www.mollie.com"
)

# --- Background tasks ---------------------------------------------------------------------------
# Emails are sent by a task worker (`manage.py db_worker`), so a slow or failing SMTP server never
# slows a request or a webhook. `make run` and the tests send at once ("immediate").
TASKS_BACKEND = env.str(
    "TASKS_BACKEND",
    default=(
        "django_tasks.backends.immediate.ImmediateBackend"
        if DEBUG or TESTING
        else "django_tasks_db.DatabaseBackend"
    ),
)
TASKS = {"default": {"BACKEND": TASKS_BACKEND, "QUEUES": ["default", "email"]}}
# A failed email is tried again after these many seconds (then it is marked failed for staff).
EMAIL_RETRY_DELAYS = env.list("EMAIL_RETRY_DELAYS", cast=int, default=[60, 300, 1800, 7200, 21600])

# --- Email ------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"{SITE_NAME} <noreply@example.org>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
# locale/ holds the site's own texts (makemessages writes there); config/locale the Dutch for texts
# of Django and the other apps that their own catalogues lack (the admin must not mix languages).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "config" / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Amsterdam"
USE_TZ = True

# --- Static and media files -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Uploads are served by nginx in production (deploy/nginx.conf); the site serves them itself in
# development, and where asked (the audit and the benchmarks run gunicorn without nginx).
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_MAX_AGE = 3600
# In development and tests, serve files straight from the app folders (no collectstatic).
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = DEBUG or TESTING

# --- Security ---------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14

# HTTPS-only settings; on by default when DEBUG is off. Behind a TLS-terminating proxy set
# SECURE_PROXY_SSL_HEADER_ENABLED so Django trusts its X-Forwarded-Proto.
HTTPS = env.bool("HTTPS", default=not (DEBUG or TESTING))
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=HTTPS)
if env.bool("SECURE_PROXY_SSL_HEADER_ENABLED", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Strict policy: no inline script or style, nothing from other hosts. `form-action` grows with
# the payment provider's checkout host once donations are wired in.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF, MOLLIE_CHECKOUT_ORIGIN],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

# Staff accounts that can do more than edit the campaign's content (read donors' data, touch
# money, grant permissions) must log in with a second factor (an authenticator app, or a
# recovery code). On by default in production; off in development and tests.
STAFF_OTP_REQUIRED = env.bool("STAFF_OTP_REQUIRED", default=not (DEBUG or TESTING))
OTP_TOTP_ISSUER = SITE_NAME
# How long a link to set up an authenticator app works (it works once, after the password).
STAFF_OTP_LINK_MINUTES = env.int("STAFF_OTP_LINK_MINUTES", default=30)
# Failed admin log-ins allowed per account, and per client address, in 15 minutes.
STAFF_LOGIN_ACCOUNT_LIMIT = env.int("STAFF_LOGIN_ACCOUNT_LIMIT", default=5)
STAFF_LOGIN_CLIENT_LIMIT = env.int("STAFF_LOGIN_CLIENT_LIMIT", default=20)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # No full bank account number in a log line or a traceback (docs/direct-debit.md).
    "filters": {"mask_accounts": {"()": "donations.bank.AccountNumberFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_accounts"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        # The MT940 reader logs a line it cannot read whole, with payers' names in it.
        "mt940": {"level": "CRITICAL"},
    },
}

# Brand colours, written into every page as CSS custom properties (core/theme.py). Keep text
# contrast at WCAG AA: white text is drawn on BRAND and BRAND_DARK.
THEME = {
    "brand": env.str("THEME_BRAND_COLOR", default="#0b5d4b"),
    "brand-dark": env.str("THEME_BRAND_DARK_COLOR", default="#06392e"),
    "accent": env.str("THEME_ACCENT_COLOR", default="#b3261e"),
}
