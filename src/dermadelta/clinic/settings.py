"""Django settings: embedded defaults on one machine, everything else from the environment.

Defaults: SQLite and photos in ``DERMADELTA_DATA_DIR`` (``./var``), the
database-backed task worker, no debug; PostgreSQL, Redis workers and S3 storage
by configuration (:mod:`dermadelta.clinic.infrastructure`). Every variable is read through
:mod:`dermadelta.clinic.env`, which refuses malformed values at start-up.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

from dermadelta.clinic.env import (
    env_addresses,
    env_bool,
    env_int,
    env_list,
    env_path,
    env_str,
    private_folder,
    secret_key,
)
from dermadelta.clinic.infrastructure import database, photo_storage, redis_url
from dermadelta.protocol.fhir import photo_mode

DATA_DIR = env_path("DERMADELTA_DATA_DIR", Path.cwd() / "var")
DEBUG = env_bool("DERMADELTA_DEBUG", False)
SECRET_KEY = secret_key(DATA_DIR)
ALLOWED_HOSTS = env_list("DERMADELTA_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("DERMADELTA_CSRF_TRUSTED_ORIGINS", [])
#: The clinic's own proxies: only from them is X-Forwarded-For read for the caller's address.
TRUSTED_PROXIES = env_addresses("DERMADELTA_TRUSTED_PROXIES")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",  # before the project's apps: its failed-sign-in count is taken when they audit the attempt
    "django_tasks",
    "django_tasks_db",
    "ninja",  # serves the API docs page's Swagger files itself (without it they load from a CDN)
    "dermadelta.clinic.accounts",
    "dermadelta.clinic.audit",
    "dermadelta.clinic.records",
    "dermadelta.clinic.front",
    "dermadelta.clinic.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise: the app's own CSS and JavaScript stay cacheable; every other answer gets these.
    "csp.middleware.CSPMiddleware",
    "dermadelta.clinic.headers.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dermadelta.clinic.accounts.middleware.ClinicTimeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires: turns a held-back sign-in into its answer
]

ROOT_URLCONF = "dermadelta.clinic.urls"
WSGI_APPLICATION = "dermadelta.clinic.wsgi.application"

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
                "dermadelta.clinic.accounts.context.role",
            ],
        },
    },
]

DATABASES = {"default": database(DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The task queue: the database-backed worker by default, Redis (RQ) workers on many
# machines when DERMADELTA_REDIS_URL is set.
#: The longest a job may run: an RQ worker stops it; either engine stops renewing its claim.
JOB_TIMEOUT_SECONDS = 900
#: A running job whose claim has not been renewed for this long is taken for dead (its
#: worker was killed) and queued again; a working job renews its claim every third of it.
JOB_LEASE_SECONDS = env_int("DERMADELTA_JOB_LEASE_SECONDS", 30, minimum=3)
REDIS_URL = redis_url()
if REDIS_URL:
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": JOB_TIMEOUT_SECONDS}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Photos are private: stored outside any static or public URL (a local folder or a
# private bucket), served only by views that check who is asking.
STORAGES = {
    "default": photo_storage(DATA_DIR),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# Source maps, most of the API docs' static bytes, are fetched only by developers' tools:
# compressing them on every start is most of what `dermadelta start` waits for.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")

#: The largest photo accepted, in bytes and in pixels (checked before decoding).
MAX_PHOTO_BYTES = env_int("DERMADELTA_MAX_PHOTO_MB", 40, minimum=1) * 1024 * 1024
MAX_PHOTO_PIXELS = env_int("DERMADELTA_MAX_PHOTO_MEGAPIXELS", 60, minimum=1) * 1_000_000
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
#: How many photos one upload may carry.
MAX_PHOTOS_PER_UPLOAD = 12
#: The largest request an upload may be (by default, as many photos as allowed at their largest).
MAX_UPLOAD_BYTES = (
    env_int("DERMADELTA_MAX_UPLOAD_MB", MAX_PHOTOS_PER_UPLOAD * MAX_PHOTO_BYTES // 2**20 + 1, minimum=1) * 2**20
)
#: Uploaded files go straight to temporary files, counted against the limits above as they arrive.
FILE_UPLOAD_HANDLERS = ["dermadelta.clinic.uploads.LimitedUploadHandler"]
#: In the private data folder, not the machine's shared /tmp: a web worker killed mid-upload
#: leaves its files here, where the orphan sweep removes them (records.orphans).
FILE_UPLOAD_TEMP_DIR = str(private_folder(DATA_DIR / "incoming"))

#: How the FHIR export carries photos: inside the file (a server that imports it needs nothing
#: else) or as absolute addresses of the photo page, which only signed-in staff can open.
try:
    FHIR_PHOTOS = photo_mode(env_str("DERMADELTA_FHIR_PHOTOS", "embed"), name="DERMADELTA_FHIR_PHOTOS")
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from None

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a held-back account or address before the password is checked
    "django.contrib.auth.backends.ModelBackend",
]
# Sign-in throttling (dermadelta.clinic.accounts.throttling): this many failures for one account, or
# from one address, hold back its sign-ins (API tokens: the address) for the pause, right password or not.
AXES_FAILURE_LIMIT = env_int("DERMADELTA_SIGN_IN_FAILURES", 10, minimum=1)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("DERMADELTA_SIGN_IN_PAUSE_MINUTES", 15, minimum=1))
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the pause ends when it said it would
AXES_LOCKOUT_PARAMETERS = "dermadelta.clinic.accounts.throttling.lockout_parameters"
AXES_LOCKOUT_CALLABLE = "dermadelta.clinic.accounts.throttling.lockout_response"
AXES_USERNAME_CALLABLE = "dermadelta.clinic.accounts.throttling.username_of"
AXES_CLIENT_IP_CALLABLE = "dermadelta.clinic.audit.log.client_ip"  # the address the audit log records
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are in the audit log already
AXES_VERBOSE = False  # no start-up banner in every command's output
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("DERMADELTA_SESSION_HOURS", 12, minimum=1) * 3600
HTTPS = env_bool("DERMADELTA_HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
# HSTS only where the clinic is served over HTTPS (browsers ignore it over plain HTTP anyway).
SECURE_HSTS_SECONDS = env_int("DERMADELTA_HSTS_SECONDS", 365 * 24 * 3600, minimum=0) if HTTPS else 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Scripts and styles from the app's own files only: no inline script or event handler runs, so
# injected markup cannot run code. Photos and previews are same-origin, data: or blob: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "media-src": [SELF, "blob:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("DERMADELTA_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DERMADELTA_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},  # its failures and lockouts, not a line per sign-in
}
