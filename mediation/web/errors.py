"""The product's own error pages (404, 403, 400 and CSRF, 429, 500) in the user's language.

Under /api/v1 errors keep the API's JSON shape (mediation.api.errors); everywhere else the
handlers there hand the error to `error_page`. A form whose CSRF token has expired (or whose
session ended) is not lost: a view marked `@keeps_input` is rendered again with what was
submitted, a fresh token and a message, instead of the bare error page.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, current_app, g, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from mediation.extensions import db

log = logging.getLogger(__name__)

PAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    401: (_l("Please sign in"), _l("Sign in to see this page.")),
    403: (_l("Not allowed"), _l("Your role may not open this page.")),
    404: (_l("Page not found"), _l("There is no such page, or it is outside your area of work.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    413: (_l("Too large"), _l("What was sent is too large.")),
    429: (_l("Too many attempts"), _l("Too many attempts in a short time. Wait a minute and try again.")),
    500: (_l("Something went wrong"),
          _l("The system could not finish this request. Nothing was changed; try again in a moment.")),
}
CSRF_PAGE = (_l("This form has expired"),
             _l("For your security a form is valid for a limited time. Go back, reload the page and send it again."))


def keeps_input(view: Callable) -> Callable:
    """Marks a form view that can render itself again after a refused CSRF token."""
    view.keeps_input_on_csrf_failure = True
    return view


def error_page(exc: HTTPException):
    """The page for an HTTP error outside the API."""
    status = exc.code or 500
    title, message = PAGES.get(status, PAGES[400 if status < 500 else 500])
    if isinstance(exc, CSRFError):
        title, message = CSRF_PAGE
    if status >= 500:
        db.session.rollback()  # the layout reads the database again (the unread count)
        log.error("unhandled error on %s %s", request.method, request.path,
                  exc_info=getattr(exc, "original_exception", None))
    response = make_response(render_template("web/error.html", status=status, title=title, message=message),
                             status)
    for key, value in exc.get_headers():
        if key.lower() != "content-type":
            response.headers[key] = value
    if status == 429 and "Retry-After" not in response.headers:
        response.headers["Retry-After"] = "60"
    return response


def csrf_failed(exc: CSRFError):
    """A form sent with a missing or expired token: the form again, filled in, if its view can."""
    view = current_app.view_functions.get(request.endpoint or "")
    if request.method == "POST" and getattr(view, "keeps_input_on_csrf_failure", False):
        g.csrf_expired = True
        response = make_response(current_app.ensure_sync(view)(**(request.view_args or {})))
        response.status_code = 400
        return response
    return error_page(exc)


def init_app(app: Flask) -> None:
    app.extensions["error_page"] = error_page
    app.register_error_handler(CSRFError, csrf_failed)
