"""The document is the contract: the harness (tests/api/contract.py) catches drift, and the
headers say only what is true (X-Request-ID echoed and logged, no Retry-After on a success)."""
from __future__ import annotations

import json
import logging

import pytest
from flask import Response

from tests.api.conftest import error_of
from tests.api.contract import contract_of
from tests.factories import PASSWORD


def _json(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="application/json")


def test_a_field_the_document_lacks_fails(app, world, as_user):
    contract = contract_of(app)
    answer = as_user(world.s_t1).get("/stats?from=2026-01-01&to=2026-01-31")  # validated by the client too
    body = answer.get_json()
    assert set(body["by_level"]) == {"village", "township", "county_and_above"}
    contract.check("GET", "/api/v1/stats", _json(json.dumps(body)))
    with pytest.raises(AssertionError, match="by_mood"):
        contract.check("GET", "/api/v1/stats", _json(json.dumps({**body, "by_mood": 1})))


def test_an_undocumented_status_or_shape_fails(app):
    contract = contract_of(app)
    error = '{"error": {"code": "conflict", "message": "m", "details": {}}}'
    with pytest.raises(AssertionError, match="status not documented"):
        contract.check("GET", "/api/v1/stats", _json(error, 409))
    with pytest.raises(AssertionError, match="breaks the document"):
        contract.check("GET", "/api/v1/stats", _json('{"message": "nope"}', 422))
    with pytest.raises(AssertionError, match="breaks the document"):  # no operation: still the error shape
        contract.check("GET", "/api/v1/nowhere", _json('{"detail": "Not Found"}', 404))
    contract.check("GET", "/api/v1/nowhere", _json(error.replace("conflict", "not_found"), 404))


def test_every_operation_documents_its_errors_in_the_one_shape(app):
    spec = contract_of(app).spec
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method not in ("get", "put", "post", "patch", "delete"):
                continue
            responses = operation["responses"]
            assert "500" in responses, (method, path)
            assert any(code.startswith("2") for code in responses), (method, path)
            if operation.get("security") != []:
                assert "401" in responses, (method, path)
            for code, response in responses.items():
                if code.startswith(("4", "5")):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, code)


def test_a_sane_request_id_is_echoed_and_logged(client, world, as_user, caplog):
    api = as_user(world.admin)
    with caplog.at_level(logging.INFO):
        response = api.get("/stats?from=2026-01-01&to=2026-01-31&org=nowhere",
                           headers={"X-Request-ID": "bureau-ticket_42:7"})
        logging.getLogger("mediation.test").info("inside? no: after the request")
    assert response.headers["X-Request-ID"] == "bureau-ticket_42:7"
    assert caplog.records[-1].request_id == "-"  # outside a request
    with app_request(client, "abc-123") as seen:
        logging.getLogger("mediation.test").warning("in the request")
    assert seen == ["abc-123"]


class app_request:
    """A request context with an X-Request-ID, collecting the id of a record logged inside it."""

    def __init__(self, client, rid: str) -> None:
        self.client, self.rid, self.seen = client, rid, []

    def __enter__(self):
        self.ctx = self.client.application.test_request_context("/healthz", headers={"X-Request-ID": self.rid})
        self.ctx.push()
        self.client.application.preprocess_request()
        handler = logging.Handler()
        handler.emit = lambda record: self.seen.append(record.request_id)
        self.handler = handler
        logging.getLogger("mediation.test").addHandler(handler)
        return self.seen

    def __exit__(self, *exc):
        logging.getLogger("mediation.test").removeHandler(self.handler)
        self.ctx.pop()


@pytest.mark.parametrize("offered", ["", "x" * 129, "bad id with spaces", "泄露"])
def test_an_odd_request_id_is_replaced_by_a_fresh_one(client, offered):
    response = client.get("/api/v1/stats", headers={"X-Request-ID": offered} if offered else {})
    rid = response.headers["X-Request-ID"]
    assert rid != offered and len(rid) == 32
    assert client.get("/api/v1/stats").headers["X-Request-ID"] != rid


def test_a_successful_login_has_no_retry_after_a_refused_one_has(client, world, fresh_limits):
    ok = client.post("/api/v1/auth/token", json={"username": world.m1.username, "password": PASSWORD})
    assert ok.status_code == 200
    assert "Retry-After" not in ok.headers and not any(h.startswith("X-RateLimit") for h in ok.headers.keys())
    for _ in range(5):
        error_of(client.post("/api/v1/auth/token", json={"username": world.m1.username, "password": "wrong-1"}),
                 401)
    refused = client.post("/api/v1/auth/token", json={"username": world.m1.username, "password": "wrong-1"})
    error_of(refused, 429, "too_many_attempts")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
