"""The pages of the web interface: sign-in and sign-out, the language switch, the work queue.

Views parse, call one service, render. Web sessions (Flask-Login, with a server-side session row
whose key the signed cookie carries: mediation/orgs/sessions.py) and API tokens belong to the same
users; a failed sign-in counts towards the same limits as a failed API login (mediation/login_limits.py).
"""
from __future__ import annotations

from typing import Optional
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from mediation import i18n, login_limits
from mediation.common import names
from mediation.common.errors import Unauthorized, ValidationError
from mediation.disputes import queue as work_queue
from mediation.extensions import limiter, login_manager
from mediation.models import User
from mediation.orgs import sessions, users
from mediation.web.errors import keeps_input

bp = Blueprint("web", __name__)


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


SESSION_KEY = "sid"  # the key of the server-side session row, in the signed cookie


@login_manager.user_loader
def load_user(user_id: str) -> Optional[User]:
    """The signed-in user of a live server-side session: signed out, revoked (deactivation, a
    password change or reset), idle or past its lifetime → nobody (the sign-in page)."""
    user = sessions.user_for_session(session.get(SESSION_KEY))
    return user if user is not None and str(user.id) == user_id else None


def _form_username_key() -> str:
    return login_limits.username_key(request.form.get("username", ""))


def safe_next(target: Optional[str], default: str = "web.home") -> str:
    """Only a path on this site (never another host) to go back to."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target \
            and not urlsplit(target).netloc:
        return target
    return url_for(default)


@bp.route("/login", methods=["GET", "POST"])
@keeps_input
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
        except Unauthorized:
            error = _("Wrong username or password.")
        else:
            _sign_in(user)
            if user.must_change_password:
                return redirect(url_for("web.change_password"))
            return redirect(safe_next(request.args.get("next")))
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
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=256)])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(_l("Confirm the new password"), validators=[DataRequired(), Length(max=256)])


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password (修改密码); after a reset, the only page until it is done."""
    form = PasswordForm()
    errors: dict[str, list[str]] = {}
    if form.validate_on_submit():
        if form.password.data != form.confirm.data:
            errors["confirm"] = [_("Does not match the new password.")]
        else:
            try:
                actor = current_user._get_current_object()  # the user, not the proxy (login_user keeps it)
                user = users.set_password(actor.username, form.password.data, actor, form.current_password.data)
            except ValidationError as exc:
                errors = exc.fields
            else:  # every session of the user ended with the change: this one goes on as a new one
                _sign_in(user)
                flash(_("Your password has been changed."), "success")
                return redirect(url_for("web.home"))
    status = 422 if request.method == "POST" else 200
    return render_template("web/password.html", form=form, errors=errors), status


@bp.before_app_request
def _password_change_first():
    """A reset password must be changed before any other page (signing out stays possible)."""
    endpoint = request.endpoint or ""
    if not endpoint.startswith("web.") or endpoint in ("web.change_password", "web.logout", "web.login",
                                                        "web.set_locale"):
        return None  # the API has its own rule (403 password_change_required)
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("web.change_password"))
    return None


@bp.route("/locale", methods=["POST"])
def set_locale():
    """The language switch: saved on the signed-in user, and in a cookie for this browser."""
    locale = request.form.get("locale", "")
    response = redirect(safe_next(request.form.get("next")))
    if locale not in i18n.LOCALES:
        return response
    if current_user.is_authenticated:
        users.set_locale(current_user, locale)
    response.set_cookie(i18n.COOKIE, locale, max_age=i18n.COOKIE_MAX_AGE, httponly=True, samesite="Lax",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response


@bp.route("/")
@login_required
def home():
    """The landing page: the work queue, open disputes nearest deadline first (issue 10, point 2)."""
    args = request.args
    q = args.get("q", "").strip()[:100]
    state = args.get("state", "")
    dispute_type = args.get("dispute_type", "")
    due = args.get("due", "")
    page = args.get("page", 1, type=int) or 1
    try:
        queue = work_queue.work_queue(current_user, q=q, state=state or None, dispute_type=dispute_type or None,
                                      due=due or None, page=page, per_page=current_app.config["QUEUE_PER_PAGE"])
    except ValidationError:  # a hand-made URL: show the whole queue and say so
        flash(_("A filter was not understood and has been cleared."), "warning")
        state = dispute_type = due = ""
        queue = work_queue.work_queue(current_user, q=q, page=1, per_page=current_app.config["QUEUE_PER_PAGE"])
    filters = {"q": q, "state": state, "dispute_type": dispute_type, "due": due}
    return render_template("web/queue.html", queue=queue, filters=filters,
                           state_choices=[(s, names.name("state", s)) for s in work_queue.OPEN_STATES],
                           type_choices=names.choices("dispute_type"))
