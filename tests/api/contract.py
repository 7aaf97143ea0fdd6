"""The document keeps its promise: every response an API test receives is checked against
/api/v1/openapi.json (docs/api-notes.md, "The document is the contract").

`ContractClient` is the Flask test client of the API tests. After each request under /api/v1 it
finds the operation (method + path template), and fails the test when

- the status is not documented for that operation (an undocumented 404, 409, 429 … fails),
- the body does not validate against the documented schema of that status (a field the service
  returns and the document lacks fails: the schemas forbid unknown properties), or
- a JSON body is not JSON, or a refusal on a path with no operation is not in the error shape.

The OpenAPI 3.0 schemas are turned into JSON Schema (draft 7) once per app: `$ref`s point into
`definitions`, `nullable: true` admits null. Every validated (operation, status) is recorded in
`SEEN`; tests/api/test_contract.py checks that the document covers what the suite saw.
"""
from __future__ import annotations

import re
from typing import Any, Optional

import jsonschema
from flask import g, has_app_context
from flask.testing import FlaskClient

API = "/api/v1"
UNDOCUMENTED_PATHS = ("/api/v1/openapi.json", "/api/v1/docs")  # the document and its page describe themselves
SEEN: set[tuple[str, str, int]] = set()


def to_json_schema(node: Any) -> Any:
    """An OpenAPI 3.0 schema object as JSON Schema draft 7."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: to_json_schema(value) for key, value in node.items()
           if key not in ("nullable", "example", "examples", "discriminator", "xml", "externalDocs", "deprecated")}
    if "$ref" in out:
        out["$ref"] = out["$ref"].replace("#/components/schemas/", "#/definitions/")
    if node.get("nullable"):
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [{"type": "null"}, out]}
    return out


class Contract:
    """The operations of one OpenAPI document, and the validation of a response against them."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.definitions = to_json_schema(spec.get("components", {}).get("schemas", {}))
        self.routes: list[tuple[re.Pattern[str], str]] = []
        for path in spec["paths"]:
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path))
            self.routes.append((re.compile(f"^{pattern}$"), path))
        # a literal segment wins over a template (/disputes/search before /disputes/{dispute_id})
        self.routes.sort(key=lambda route: route[1].count("{"))
        self.error_schema = self._schema({"$ref": "#/components/schemas/Error"})

    def _schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {**to_json_schema(schema), "definitions": self.definitions}

    def template(self, path: str) -> Optional[str]:
        for pattern, template in self.routes:
            if pattern.match(path):
                return template
        return None

    def check(self, method: str, path: str, response) -> None:
        """Raises AssertionError when the response breaks the document."""
        if not (path == API or path.startswith(API + "/")) or path.startswith(UNDOCUMENTED_PATHS):
            return
        where = f"{method} {path} → {response.status_code}"
        template = self.template(path)
        operation = (self.spec["paths"].get(template) or {}).get(method.lower()) if template else None
        if operation is None:  # no such route or method: still the error shape
            assert response.status_code in (404, 405), f"{where}: answered, but the document has no such operation"
            self._validate(self.error_schema, response, where)
            return
        responses = operation["responses"]
        documented = responses.get(str(response.status_code)) or responses.get("default")
        while documented is not None and "$ref" in documented:  # #/components/responses/…
            documented = self.spec["components"]["responses"][documented["$ref"].rsplit("/", 1)[1]]
        assert documented is not None, (f"{where}: status not documented for {method} {template} "
                                        f"(documented: {sorted(responses)}); body {response.get_data(as_text=True)[:300]}")
        SEEN.add((method.upper(), template, response.status_code))
        content = documented.get("content") or {}
        if not content:
            assert not response.get_data(), f"{where}: documented without a body, but answered one"
            return
        media = content.get(response.mimetype)
        assert media is not None, f"{where}: content type {response.mimetype!r} not documented ({sorted(content)})"
        if response.mimetype == "application/json" and "schema" in media:
            self._validate(self._schema(media["schema"]), response, where)

    def _validate(self, schema: dict[str, Any], response, where: str) -> None:
        body = response.get_json(silent=True)
        assert body is not None or response.get_data(as_text=True).strip() == "null", f"{where}: not JSON"
        errors = sorted(jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
                        .iter_errors(body), key=lambda e: list(e.absolute_path))
        assert not errors, f"{where}: the body breaks the document:\n" + "\n".join(
            f"  at {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:300]}" for e in errors[:10])


class ContractClient(FlaskClient):
    """The test client that validates every /api/v1 response against the app's OpenAPI document."""

    contract: Contract

    def open(self, *args: Any, **kwargs: Any):
        if has_app_context():  # the tests' app context outlives a request: no locale carried over
            g.pop("_flask_babel", None)
        response = super().open(*args, **kwargs)
        request = response.request
        if getattr(self, "contract", None) is not None:
            self.contract.check(request.method, request.path, response)
        return response


def contract_of(app) -> Contract:
    """The app's document, converted once."""
    contract = app.extensions.get("test_contract")
    if contract is None:
        with app.test_request_context():
            spec = app.extensions["mediation_api"].spec.to_dict()
        contract = app.extensions["test_contract"] = Contract(spec)
    return contract
