"""Security headers on every response, from Flask-Talisman (issue 9, point 4).

A strict Content-Security-Policy the pages satisfy: everything from this site, no inline script
or style except a `<script>` carrying the request's nonce (`csp_nonce()` in templates), no
framing (frame-ancestors 'none' and X-Frame-Options DENY), nosniff and a same-origin referrer
policy. HTTPS redirection and HSTS only when configured (TALISMAN_FORCE_HTTPS, TALISMAN_HSTS):
behind a TLS-terminating proxy the operator turns them on. The Swagger UI page of the API keeps
its own, slightly wider policy (its bundle sets inline styles).
"""
from __future__ import annotations

from flask import Flask
from flask_talisman import Talisman

CSP: dict[str, str | list[str]] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:"],  # Bootstrap draws form controls' arrows and ticks as data: SVGs
    "font-src": "'self'",
    "connect-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'self'",
    "object-src": "'none'",
}
SWAGGER_UI_CSP: dict[str, str | list[str]] = {**CSP, "style-src": ["'self'", "'unsafe-inline'"]}
REFERRER_POLICY = "same-origin"


def init_app(app: Flask) -> None:
    """Binds Talisman with the project's policy; HTTPS-only parts follow the configuration. One
    Talisman per app: it keeps its app and options on itself."""
    app.extensions["talisman"] = Talisman(
        app,
        content_security_policy=CSP,
        content_security_policy_nonce_in=["script-src"],
        force_https=bool(app.config.get("TALISMAN_FORCE_HTTPS")),
        strict_transport_security=bool(app.config.get("TALISMAN_HSTS")),
        strict_transport_security_max_age=int(app.config.get("TALISMAN_HSTS_MAX_AGE", 31536000)),
        strict_transport_security_include_subdomains=False,
        session_cookie_secure=bool(app.config.get("SESSION_COOKIE_SECURE")),
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        frame_options="DENY",
        referrer_policy=REFERRER_POLICY,
        x_content_type_options=True,
        permissions_policy={"geolocation": "()", "camera": "()", "microphone": "()"},
    )
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    app.config["REMEMBER_COOKIE_SECURE"] = bool(app.config.get("SESSION_COOKIE_SECURE"))


def relax_for_swagger_ui(app: Flask, endpoint: str = "api-docs.openapi_swagger_ui") -> None:
    """Gives the Swagger UI page its own policy (called once the API has registered it)."""
    view = app.view_functions.get(endpoint)
    if view is None:
        return

    def swagger_ui(*args, **kwargs):  # a function of our own: the registered view is a bound method
        return view(*args, **kwargs)

    app.view_functions[endpoint] = app.extensions["talisman"](
        content_security_policy=SWAGGER_UI_CSP, content_security_policy_nonce_in=["script-src"])(swagger_ui)
