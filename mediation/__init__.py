"""People's-mediation (人民调解) case management: the Flask application factory."""
from __future__ import annotations

from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    """Builds the app: config, then each subsystem's `init_app`, in a fixed order."""
    app = Flask(__name__, instance_relative_config=True)
    from mediation import config

    config.load(app, test_config)
    from mediation.infra.json_provider import SafeJSONProvider

    app.json = SafeJSONProvider(app)

    from mediation import commands, health
    from mediation.extensions import babel, csrf, limiter, login_manager, mail, migrate
    from mediation.infra import database, keys, logs
    from mediation.infra.celery_app import celery_init_app

    logs.init_app(app)
    keys.init_app(app)
    database.init_app(app)
    from mediation.extensions import db

    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    babel.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    celery_init_app(app)
    from mediation import tasks  # noqa: F401  registers the shared tasks with that Celery app
    health.init_app(app)
    from mediation import api, web

    api.init_app(app)
    web.init_app(app)
    commands.init_app(app)
    return app


