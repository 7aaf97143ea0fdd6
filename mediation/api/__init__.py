"""The JSON REST API (/api/v1): thin resources over the services (docs/api.md; the OpenAPI document is the contract).

One module per resource group, each a flask-smorest Blueprint; the OpenAPI 3 document at
/api/v1/openapi.json is generated from the schemas that validate the requests, and people read
it at /api/v1/docs (Swagger UI served from the `swagger-ui-bundle` package: no CDN needed).
"""
from __future__ import annotations

from pathlib import Path

import flask_smorest
from flask import Flask, send_from_directory

from mediation.api import errors
from mediation.api.schemas import ErrorSchema
from mediation.extensions import csrf

PREFIX = "/api/v1"
DOCS_ASSETS = "/docs/assets/"


class Api(flask_smorest.Api):
    """flask-smorest's Api with the project's error shape (handlers live in mediation.api.errors)."""

    ERROR_SCHEMA = ErrorSchema
    # no catch-all `default` response: every status an operation can give is declared
    # (Blueprint.errors), and the tests fail on one that is not (tests/api/contract.py)
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self) -> None:
        errors.init_app(self._app)


def _swagger_ui_dir() -> Path:
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)


def _every_operation_may_fail(api: Api) -> None:
    """An unexpected error (500, `internal_error`) can happen anywhere, and so can a 403
    `password_change_required` on every authenticated route after a reset: every operation
    documents both."""
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in api.spec._paths.items():
        for method, operation in operations.items():
            if method in ("get", "put", "post", "delete", "patch") and isinstance(operation, dict):
                responses = operation.setdefault("responses", {})
                responses.setdefault("500", {"description": "Internal Server Error", "content": content})
                if path != PREFIX + "/auth/token" and not path.startswith(PREFIX + "/openapi"):
                    responses.setdefault("403", {"description": "Forbidden (also password_change_required after "
                                                                "a reset)", "content": content})


DISPUTE = PREFIX + "/disputes/{dispute_id}"
# OpenAPI links: what a client (and the fuzzer's stateful phase) can do next with an answer's id
LINKS: dict[tuple[str, str, str], dict[str, tuple[str, str]]] = {
    (PREFIX + "/disputes", "post", "201"): {
        "GetDispute": (DISPUTE, "get"), "UpdateDispute": (DISPUTE, "patch"),
        "FireTrigger": (DISPUTE + "/transitions", "post"), "RecordSession": (DISPUTE + "/sessions", "post"),
        "RecordPrevention": (DISPUTE + "/preventions", "post"), "ListEvents": (DISPUTE + "/events", "get")},
    (DISPUTE + "/transitions", "post", "200"): {
        "FireNextTrigger": (DISPUTE + "/transitions", "post"), "ListEvents": (DISPUTE + "/events", "get")},
}


def _operation_ref(path: str, method: str) -> str:
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def _link_operations(api: Api) -> None:
    """Adds LINKS to the document: a registered dispute's id leads to its transitions and events."""
    for (path, method, status), links in LINKS.items():
        response = api.spec._paths.get(path, {}).get(method, {}).get("responses", {}).get(status)
        if response is None:
            continue
        response["links"] = {name: {"operationRef": _operation_ref(target, target_method),
                                    "parameters": {"dispute_id": "$response.body#/id"}}
                             for name, (target, target_method) in links.items()
                             if target_method in api.spec._paths.get(target, {})}


def init_app(app: Flask) -> None:
    """Registers the API blueprints, the document, its docs page and the error handlers."""
    app.config.setdefault("API_TITLE", "人民调解案件管理系统 API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("OPENAPI_SWAGGER_UI_PATH", "docs")
    app.config.setdefault("OPENAPI_SWAGGER_UI_URL", PREFIX + DOCS_ASSETS)
    app.config.setdefault("API_SPEC_OPTIONS", {
        "security": [{"bearerAuth": []}],
        "info": {"description": "The public contract of the people's-mediation case system. "
                                "Every refusal reads {\"error\": {\"code\", \"message\", \"details\"}}."},
        "servers": [{"url": "/"}],
    })
    api = Api(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer",
                                                       "description": "a token from POST /api/v1/auth/token"})
    from mediation.api import (
        audit,
        auth,
        committees,
        deadlines,
        disputes,
        documents,
        events,
        notifications,
        orgs,
        parties,
        reports,
        users,
    )

    for blp in (auth.blp, orgs.blp, committees.blp, users.blp, disputes.blp, parties.blp, events.blp, documents.blp,
                documents.files_blp, deadlines.blp, notifications.blp, reports.stats_blp, reports.blp, audit.blp):
        csrf.exempt(blp)  # bearer tokens, not cookies: no cross-site request can carry one
        api.register_blueprint(blp, url_prefix=PREFIX + blp.url_prefix)
    _every_operation_may_fail(api)
    _link_operations(api)
    docs = app.blueprints["api-docs"]
    csrf.exempt(docs)
    app.add_url_rule(PREFIX + DOCS_ASSETS + "<path:filename>", "api_docs_assets",
                     lambda filename: send_from_directory(_swagger_ui_dir(), filename))
    app.extensions["mediation_api"] = api
