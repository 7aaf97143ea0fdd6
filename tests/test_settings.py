"""Every setting from the environment (docs/security.md, "Settings"), and the demo only where it belongs."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from mediation import config
from mediation.commands.demo import demo_logins
from mediation.extensions import db as _db
from mediation.models import OrgUnit, User


def _loaded(tmp_path, monkeypatch, env: dict[str, str], test_config: dict | None = None) -> Flask:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    app = Flask("settings-test", instance_path=str(tmp_path / "instance"))
    config.load(app, test_config)
    return app


def test_every_setting_of_config_reads_its_variable(tmp_path, monkeypatch):
    app = _loaded(tmp_path, monkeypatch, {
        "SESSION_COOKIE_SECURE": "true", "SESSION_IDLE_MINUTES": "15", "SESSION_LIFETIME_HOURS": "8",
        "PROXY_COUNT": "1", "LOGIN_FAILURES_PER_ADDRESS": "60/minute", "MAIL_RETRY_DELAY": "2.5",
        "MAIL_USE_TLS": "yes", "DATABASE_URL": "postgres://u@db.example/mediation", "PASSWORD_MIN_LENGTH": "12",
    })
    c = app.config
    assert c["SESSION_COOKIE_SECURE"] is True and c["MAIL_USE_TLS"] is True
    assert c["SESSION_IDLE_MINUTES"] == 15 and c["PROXY_COUNT"] == 1 and c["PASSWORD_MIN_LENGTH"] == 12
    assert c["MAIL_RETRY_DELAY"] == 2.5 and c["LOGIN_FAILURES_PER_ADDRESS"] == "60/minute"
    assert c["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=8)
    assert c["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/mediation"
    assert c["EMBEDDED_DATABASE"] is False


def test_any_other_key_through_the_prefix(tmp_path, monkeypatch):
    app = _loaded(tmp_path, monkeypatch, {"MEDIATION_SESSION_COOKIE_NAME": "med", "MEDIATION_WTF_CSRF_TIME_LIMIT": "7200",
                                          "MEDIATION_SESSION_COOKIE_SAMESITE": "Strict"})
    assert app.config["SESSION_COOKIE_NAME"] == "med" and app.config["WTF_CSRF_TIME_LIMIT"] == 7200
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Strict"


def test_defaults_and_the_embedded_database(tmp_path, monkeypatch):
    for key in ("DATABASE_URL", "SESSION_COOKIE_SECURE", "PROXY_COUNT", "SESSION_IDLE_MINUTES"):
        monkeypatch.delenv(key, raising=False)
    app = _loaded(tmp_path, monkeypatch, {})
    assert app.config["EMBEDDED_DATABASE"] is True and app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SESSION_COOKIE_SECURE"] is False and app.config["PROXY_COUNT"] == 0
    assert app.config["SESSION_IDLE_MINUTES"] == 30 and app.config["SESSION_LIFETIME_HOURS"] == 12
    # the test dict wins over the environment
    monkeypatch.setenv("SESSION_IDLE_MINUTES", "5")
    assert _loaded(tmp_path, monkeypatch, {}, {"SESSION_IDLE_MINUTES": 9}).config["SESSION_IDLE_MINUTES"] == 9


@pytest.mark.parametrize("key,value", [("PROXY_COUNT", "two"), ("SESSION_COOKIE_SECURE", "maybe"),
                                       ("MAIL_RETRY_DELAY", "soon")])
def test_a_value_of_the_wrong_type_stops_the_start_with_its_name(tmp_path, monkeypatch, key, value):
    with pytest.raises(config.SettingError, match=key):
        _loaded(tmp_path, monkeypatch, {key: value})


def test_make_run_does_not_seed_a_configured_database(runner, app, db):
    assert app.config["EMBEDDED_DATABASE"] is False  # the suite's database is configured
    done = runner.invoke(args=["seed-demo", "--cases", "0", "--if-empty", "--embedded-only"])
    assert done.exit_code == 0, done.output
    assert "DATABASE_URL is set" in done.output and "DEMO=1" in done.output
    assert _db.session.scalar(select(func.count()).select_from(OrgUnit)) == 0
    assert demo_logins()[1] == []  # and `make run` prints no demo logins there


def test_the_embedded_database_or_an_explicit_request_gets_the_demo(runner, app, db, monkeypatch):
    monkeypatch.setitem(app.config, "EMBEDDED_DATABASE", True)
    done = runner.invoke(args=["seed-demo", "--cases", "0", "--if-empty", "--embedded-only"])
    assert done.exit_code == 0, done.output
    assert _db.session.scalar(select(func.count()).select_from(User).where(User.username == "admin")) == 1
    assert [u for u, _ in demo_logins()[1]][:1] and "admin" in [u for u, _ in demo_logins()[1]]


def test_makefile_passes_embedded_only_unless_demo_is_asked_for():
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    plain = subprocess.run(["make", "-n", "run"], cwd=root, capture_output=True, text=True).stdout
    asked = subprocess.run(["make", "-n", "run", "DEMO=1"], cwd=root, capture_output=True, text=True).stdout
    seed = [line for line in plain.splitlines() if "seed-demo" in line]
    assert seed and "--embedded-only" in seed[0]
    assert "seed-demo" in asked and "--embedded-only" not in asked
