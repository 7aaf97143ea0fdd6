"""The HTML interface for people: server-rendered pages (Jinja, Bootstrap served from the project),
every string through Flask-Babel, codes by their names (mediation.common.names)."""
from __future__ import annotations

from flask import Flask
from flask_babel import gettext

from mediation.extensions import login_manager
from mediation.web import errors, filters, layout
from mediation.web.views import bp


def init_app(app: Flask) -> None:
    """Registers the web blueprint, its filters, layout context and error pages."""
    login_manager.login_view = "web.login"
    login_manager.login_message = "Please sign in."  # translated when flashed (localize_callback)
    login_manager.localize_callback = gettext
    login_manager.login_message_category = "info"
    filters.init_app(app)
    layout.init_app(app)
    errors.init_app(app)
    app.register_blueprint(bp)
