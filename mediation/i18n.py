"""Languages: Simplified Chinese by default, English as a choice (Flask-Babel).

The locale of a request: the signed-in user's saved choice; for anonymous visitors the `locale`
cookie that the language switch sets, else the browser's Accept-Language, else Chinese. Under
/api/v1 the same without the cookie: the bearer token's user's saved choice (User.locale), else
Accept-Language, else Chinese (docs/api-notes.md). The
catalogues are mediation/translations/<lang>/LC_MESSAGES/messages.po, compiled to .mo by the
Makefile (`make install`, `run`, `test`); `make i18n` extracts and updates them.
"""
from __future__ import annotations

from flask import Flask, g, has_request_context, request
from flask_login import current_user

LOCALES = ("zh", "en")
DEFAULT_LOCALE = "zh"
COOKIE = "locale"
COOKIE_MAX_AGE = 365 * 24 * 3600


def select_locale() -> str:
    """The locale this request is answered in (see the module's docstring for the order)."""
    if not has_request_context():
        return DEFAULT_LOCALE
    if request.path.startswith("/api/"):
        actor = g.get("actor")  # set by the API's bearer authentication
        if actor is not None and actor.locale in LOCALES:
            return actor.locale
        return from_accept_language() or DEFAULT_LOCALE
    user = current_user
    if user is not None and getattr(user, "is_authenticated", False) and user.locale in LOCALES:
        return user.locale
    chosen = request.cookies.get(COOKIE)
    if chosen in LOCALES:
        return chosen
    return from_accept_language() or DEFAULT_LOCALE


def from_accept_language() -> str | None:
    """The first of the browser's languages (by quality) that we speak; `en-GB` counts as `en`."""
    for tag, quality in request.accept_languages:  # werkzeug sorts by quality, highest first
        primary = tag.replace("_", "-").split("-")[0].lower()
        if quality > 0 and primary in LOCALES:
            return primary
    return None


def html_lang(locale: str) -> str:
    """The `lang` attribute of a page: zh-CN or en."""
    return "zh-CN" if locale == "zh" else locale


def init_app(app: Flask) -> None:
    """Binds Flask-Babel with the locale selector and the Asia/Shanghai time zone."""
    from mediation.extensions import babel

    babel.init_app(app, locale_selector=select_locale, default_locale=DEFAULT_LOCALE,
                   default_timezone=app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))
