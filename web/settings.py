"""Settings from environment variables with safe defaults.

Embedded default: SQLite (WAL) + django-q2's ORM broker. DATABASE_URL switches to PostgreSQL,
REDIS_URL switches the django-q2 broker to Redis.
"""

import datetime as dt
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("BALCAO_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name, default=False):
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Off unless asked for: Django's debug pages show settings and every URL pattern (the README's
# "Deploy" section). `bin/start` runs with it off too, so a newcomer sees the pt-BR pages.
DEBUG = env_bool("DJANGO_DEBUG", False)
# BALCAO_DEMO lets `demo_data` load its users, whose password is published (bin/start sets it).
DEMO = env_bool("BALCAO_DEMO", False)


def _local_secret_key() -> str:
    """A key made on this machine on first run and kept in var/ (ignored by git): a local run
    never signs with a published key. Production sets DJANGO_SECRET_KEY (web/checks.py)."""
    from django.core.management.utils import get_random_secret_key

    path = VAR_DIR / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as out:
        out.write(get_random_secret_key())
    return path.read_text().strip()


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or _local_secret_key()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# HTTPS (README, "Deploy"). Behind a TLS-terminating proxy, DJANGO_BEHIND_PROXY=true trusts its
# X-Forwarded-Proto (the proxy must set it and strip it from clients) and its X-Forwarded-For
# for the login throttle; DJANGO_HTTPS=true makes the cookies secure, redirects http to https
# and sends HSTS.
BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
HTTPS = env_bool("DJANGO_HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000" if HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", HTTPS)
# A session lasts a working week of inactivity at most, and the cookie is not readable by
# scripts; signing out ends it everywhere (sessions live in the database).
SESSION_COOKIE_AGE = int(os.environ.get("DJANGO_SESSION_COOKIE_AGE", str(5 * 24 * 3600)))
SESSION_COOKIE_HTTPONLY = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_q",
    "axes",
    "workflows",
    "tickets",
    "onboarding",
    "web",
]


MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files from the app server itself (gunicorn in production; see bin/loadtest).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the pt-BR lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "web.urls"
WSGI_APPLICATION = "web.wsgi.application"

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
                "web.context.navigation",
            ],
            "builtins": ["workflows.templatetags.balcao"],  # the filters brl, dmy, dmy_hm, dm_hm
        },
    },
]

_SQLITE = {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": os.environ.get("SQLITE_PATH", str(VAR_DIR / "balcao.sqlite3")),
    "CONN_MAX_AGE": 600,  # keep the connection (and its page cache) across requests
    # IMMEDIATE: a write transaction takes the lock at BEGIN, so two concurrent transitions
    # serialize instead of failing on lock upgrade; WAL lets readers go on meanwhile.
    "OPTIONS": {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # A 64 MB page cache and 256 MB of memory-mapped reads per connection: SQLite's 2 MB
        # default makes a large base re-read its index pages on every page view.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;"
        ),
    },
}
DATABASE_URL = os.environ.get("DATABASE_URL", "")


# Parameters are bound on the server, so psycopg prepares the statements a connection
# repeats and PostgreSQL keeps a generic plan wherever it is as good as a fresh one: planning
# a page's joins costs more than running them (README, "Performance").
def _postgres(url):
    database = dj_database_url.parse(url, conn_max_age=600, conn_health_checks=True)
    database.setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=1)
    return database


DATABASES = {"default": _postgres(DATABASE_URL) if DATABASE_URL else _SQLITE}


AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
# django-axes first: it refuses a login that is locked out before any password is checked.
# The signed-in user comes with their roles (workflows/auth.py).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "workflows.auth.RolesBackend"]
# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username,
# or from one address, logins from them are refused for AXES_COOLOFF_TIME; a success resets the
# count. Attempts are kept in the database, so every worker sees them.
AXES_FAILURE_LIMIT = int(os.environ.get("BALCAO_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("BALCAO_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# A try while locked is refused but does not restart the 15 minutes (axes' default does, so
# anyone repeating tries could keep a user or an office's address locked out for good).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_DISABLE_ACCESS_LOG = True  # failures are kept; successful logins are not logged
AXES_IPWARE_PROXY_COUNT = 1 if BEHIND_PROXY else None
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "pt-br"
TIME_ZONE = os.environ.get("BALCAO_TIME_ZONE", "America/Sao_Paulo")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise looks there; `collectstatic` fills it
# With DEBUG off, `collectstatic` writes hashed, compressed copies that WhiteNoise serves with
# far-future cache headers (bin/start runs it); with DEBUG on, files come from the apps as is.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG  # development: straight from the apps, no collectstatic
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "sent-mail"
# With EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend:
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Balcão <balcao@localhost>")

# django-q2: every timer of the project (deadlines, expiries, SLA warnings, follow-ups).
Q_CLUSTER = {
    "name": "balcao",
    "workers": int(os.environ.get("Q_WORKERS", "2")),
    "timeout": 30,
    "retry": 60,
    "catch_up": False,
    "orm": "default",
}
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    Q_CLUSTER.pop("orm")
    Q_CLUSTER["redis"] = REDIS_URL

# Sessions live in the database and are read through a cache (Django's cached_db) that every
# web process of the machine shares, so a logout ends the session in all of them at once:
# Redis with REDIS_URL, else files in var/sessions (private to the app's user). It saves the
# session's query on every request (a queryset built and compiled: ~0.3 ms, the largest
# fixed cost of a small page). Other cached values stay per process without Redis.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_CACHE_ALIAS = "sessions"
_REDIS_CACHE = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
_PROCESS_CACHE = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
_SESSION_FILES = {
    "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
    "LOCATION": str(VAR_DIR / "sessions"),
    # a session past the cap is read from the database again (and cached again)
    "OPTIONS": {"MAX_ENTRIES": 10_000},
}
CACHES = {
    "default": _REDIS_CACHE if REDIS_URL else _PROCESS_CACHE,
    "sessions": _REDIS_CACHE if REDIS_URL else _SESSION_FILES,
}

# Company-specific knobs.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
COMPANY_NAME = os.environ.get("COMPANY_NAME", "Web Planet")
ORCAMENTO_VALID_DAYS = int(os.environ.get("ORCAMENTO_VALID_DAYS", "15"))
# S8: minutes the agendamento's owner has to accept a client before any seller may take it.
S8_OWNER_MINUTES = int(os.environ.get("S8_OWNER_MINUTES", "5"))
BITRIX_PORTAL_HOST = os.environ.get("BITRIX_PORTAL_HOST", "webplanet.bitrix24.com.br")
# The company calendar (S2 deadlines, T6 SLA clocks): national holidays plus the state's and
# the city's (`holidays` package), plus the optional days ("pontos facultativos") the company
# closes on. Every day is also a row of the admin's "calendário da empresa", editable there.
COMPANY_STATE = os.environ.get("BALCAO_STATE", "SP")
COMPANY_CITY = os.environ.get("BALCAO_CITY", "São Paulo")
COMPANY_CLOSED_OPTIONAL = tuple(
    name.strip()
    for name in os.environ.get("BALCAO_CLOSED_OPTIONAL", "Carnaval,Corpus Christi").split(",")
    if name.strip()
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}
