"""What every page's layout needs: the navigation for the user's role, the unread count, the locale."""
from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from mediation import i18n
from mediation.notifications import inbox

# (endpoint, label, roles that see it). Pages of other areas add their entries here.
NAV: list[tuple[str, Any, tuple[str, ...]]] = [
    ("web.home", _l("Work queue"), ("mediator",)),
    ("web.home", _l("Disputes"), ("supervisor", "admin")),
]


def nav_for(user) -> list[dict[str, Any]]:
    items = []
    for endpoint, label, roles in NAV:
        if user.role in roles:
            items.append({"endpoint": endpoint, "label": label, "active": request.endpoint == endpoint})
    return items


def layout_context() -> dict[str, Any]:
    """For pages only: templates rendered outside a request (e-mails, reports) get nothing."""
    if not has_request_context():
        return {}
    locale = str(get_locale() or i18n.DEFAULT_LOCALE)
    context: dict[str, Any] = {"locale": locale, "html_lang": i18n.html_lang(locale), "nav": [],
                               "unread_count": None, "workplace": ""}
    if current_user.is_authenticated:
        context["nav"] = nav_for(current_user)
        context["unread_count"] = inbox.unread_count(current_user)
        place = current_user.committee or current_user.org
        context["workplace"] = place.name if place is not None else ""
    return context


def init_app(app: Flask) -> None:
    app.context_processor(layout_context)
