"""The HTML interface for people (Jinja templates, forms, CSRF): sign-in, sign-out and a landing page.

Web sessions (Flask-Login cookies) and API tokens belong to the same users; a failed sign-in
counts towards the same per-username limit as a failed API login.
"""
from __future__ import annotations

from typing import Optional
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from mediation.common.clock import isoformat
from mediation.common.errors import Unauthorized
from mediation.disputes import cases
from mediation.extensions import db, limiter, login_manager
from mediation.models import User
from mediation.orgs import users

bp = Blueprint("web", __name__)


class LoginForm(FlaskForm):
    username = StringField("用户名 Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("密码 Password", validators=[DataRequired(), Length(max=256)])


@login_manager.user_loader
def load_user(user_id: str) -> Optional[User]:
    """The signed-in user of a web session (inactive users are signed out)."""
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


def _form_username_key() -> str:
    name = request.form.get("username", "")
    return "login-user:" + (name.strip().casefold() or "-")


def _safe_next(target: Optional[str]) -> str:
    """Only a path on this site (never another host) to go back to after signing in."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("web.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.shared_limit(lambda: current_app.config["LOGIN_FAILURES_PER_USERNAME"], "login-username",
                      key_func=_form_username_key, deduct_when=lambda response: response.status_code == 401,
                      methods=["POST"])
@limiter.shared_limit(lambda: current_app.config["LOGIN_FAILURES_PER_ADDRESS"], "login-address",
                      key_func=lambda: "login-address:" + (get_remote_address() or "-"),
                      deduct_when=lambda response: response.status_code == 401, methods=["POST"])
def login():
    """Sign in (登录) with a username and password."""
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            user = users.authenticate(form.username.data, form.password.data)
        except Unauthorized as exc:
            error = exc.message
        else:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    status = 401 if error else (422 if request.method == "POST" else 200)
    return render_template("web/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out (退出); a POST with the CSRF token, so no other site can sign anyone out."""
    logout_user()
    return redirect(url_for("web.login"))


@bp.route("/")
@login_required
def home():
    """The landing page: the disputes the signed-in user may see, newest first."""
    page = request.args.get("page", 1, type=int)
    listing = cases.list_disputes(current_user, page=page, per_page=50)
    return render_template("web/home.html", listing=listing)


def init_app(app: Flask) -> None:
    """Registers the web blueprint and points Flask-Login at its sign-in page."""
    login_manager.login_view = "web.login"
    login_manager.login_message = "请先登录 Please sign in."
    app.add_template_filter(_localtime, "localtime")
    app.register_blueprint(bp)


def _localtime(moment) -> str:
    """`2026-11-23 15:19` in Asia/Shanghai."""
    return (isoformat(moment) or "")[:16].replace("T", " ")
