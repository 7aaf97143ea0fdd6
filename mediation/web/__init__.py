"""The HTML interface for people (Jinja templates, forms, CSRF): sign-in, sign-out and a landing page.

Web sessions (Flask-Login, with a server-side session row whose key the signed cookie carries:
mediation/orgs/sessions.py) and API tokens belong to the same users; a failed sign-in counts
towards the same per-username limit as a failed API login.
"""
from __future__ import annotations

from typing import Optional
from urllib.parse import urlsplit

from flask import Blueprint, Flask, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from mediation import login_limits
from mediation.common.clock import isoformat
from mediation.common.errors import Unauthorized, ValidationError
from mediation.disputes import cases
from mediation.extensions import limiter, login_manager
from mediation.models import User
from mediation.orgs import sessions, users

bp = Blueprint("web", __name__)


class LoginForm(FlaskForm):
    username = StringField("用户名 Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("密码 Password", validators=[DataRequired(), Length(max=256)])


SESSION_KEY = "sid"  # the key of the server-side session row, in the signed cookie


@login_manager.user_loader
def load_user(user_id: str) -> Optional[User]:
    """The signed-in user of a live server-side session: signed out, revoked (deactivation, a
    password change or reset), idle or past its lifetime → nobody (the sign-in page)."""
    user = sessions.user_for_session(session.get(SESSION_KEY))
    return user if user is not None and str(user.id) == user_id else None


def _form_username_key() -> str:
    return login_limits.username_key(request.form.get("username", ""))


def _safe_next(target: Optional[str]) -> str:
    """Only a path on this site (never another host) to go back to after signing in."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("web.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.shared_limit(login_limits.per_username, "login-username", key_func=_form_username_key,
                      deduct_when=login_limits.failed, methods=["POST"])
@limiter.shared_limit(login_limits.per_address, "login-address", key_func=login_limits.address_key,
                      deduct_when=login_limits.failed_unknown, methods=["POST"])
def login():
    """Sign in (登录) with a username and password."""
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            user = login_limits.authenticate(form.username.data, form.password.data)
        except Unauthorized as exc:
            error = exc.message
        else:
            _sign_in(user)
            if user.must_change_password:
                return redirect(url_for("web.change_password"))
            return redirect(_safe_next(request.args.get("next")))
    status = 401 if error else (422 if request.method == "POST" else 200)
    return render_template("web/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out (退出); a POST with the CSRF token, so no other site can sign anyone out. The
    server-side session ends: the same cookie, replayed, is refused."""
    sessions.close_session(session.pop(SESSION_KEY, None))
    logout_user()
    return redirect(url_for("web.login"))


def _sign_in(user: User) -> None:
    """A new server-side session (never one a cookie brought along) and Flask-Login's sign-in."""
    session.clear()
    session[SESSION_KEY] = sessions.open_session(user, get_remote_address())
    login_user(user)


class PasswordForm(FlaskForm):
    current_password = PasswordField("当前密码 Current password", validators=[DataRequired(), Length(max=256)])
    password = PasswordField("新密码 New password", validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField("确认新密码 Confirm new password", validators=[DataRequired(), Length(max=256)])


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password (修改密码); after a reset, the only page until it is done."""
    form = PasswordForm()
    errors: dict[str, list[str]] = {}
    if form.validate_on_submit():
        if form.password.data != form.confirm.data:
            errors["confirm"] = ["does not match the new password"]
        else:
            try:
                user = users.set_password(current_user.username, form.password.data, current_user,
                                          form.current_password.data)
            except ValidationError as exc:
                errors = exc.fields
            else:  # every session of the user ended with the change: this one goes on as a new one
                _sign_in(user)
                return redirect(url_for("web.home"))
    status = 422 if request.method == "POST" else 200
    return render_template("web/password.html", form=form, errors=errors), status


@bp.before_app_request
def _password_change_first():
    """A reset password must be changed before any other page (signing out stays possible)."""
    endpoint = request.endpoint or ""
    if not endpoint.startswith("web.") or endpoint in ("web.change_password", "web.logout", "web.login"):
        return None  # the API has its own rule (403 password_change_required)
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("web.change_password"))
    return None



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
