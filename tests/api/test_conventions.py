"""The conventions every route shares: the error shape, bad bodies, unknown routes, the document."""
from __future__ import annotations

import json

import pytest

from tests.api.conftest import error_of, snapshot
from tests.factories import party_list

BODY_ROUTES = [("POST", "/orgs"), ("POST", "/committees"), ("POST", "/users"), ("POST", "/disputes"),
               ("PATCH", "/disputes/{id}"), ("POST", "/disputes/{id}/transitions"), ("POST", "/disputes/{id}/sessions"),
               ("POST", "/disputes/{id}/preventions"), ("PUT", "/orgs/{org}/policy"), ("POST", "/reports/subscriptions"),
               ("POST", "/auth/token")]


def _path(template: str, world, dispute) -> str:
    return template.format(id=dispute.id, org=world.v1.code)


@pytest.fixture
def dispute(world):
    from tests.factories import dispute_in

    return dispute_in("in_mediation", world.cv1)


@pytest.mark.parametrize("method,template", BODY_ROUTES)
@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b'"text"', b"", b"{\"a\": "])
def test_body_that_is_not_a_json_object_is_400(world, as_user, dispute, method, template, raw):
    api = as_user(world.admin)
    before = snapshot(dispute.id)
    r = api.call(method, _path(template, world, dispute), data=raw, content_type="application/json")
    error_of(r, 400, "bad_request")
    assert snapshot(dispute.id) == before


def test_body_over_one_mebibyte_is_413(world, as_user, dispute):
    api = as_user(world.m1)
    before = snapshot(dispute.id)
    body = json.dumps({"committee": world.cv1.code, "dispute_type": "other", "source": "walk_in",
                       "summary": "x" * (1024 * 1024), "parties": party_list()})
    error_of(api.call("POST", "/disputes", data=body, content_type="application/json"), 413, "payload_too_large")
    big = json.dumps({"username": "x" * (1024 * 1024), "password": "y"})
    error_of(api.call("POST", "/auth/token", data=big, content_type="application/json"), 413)
    assert snapshot(dispute.id) == before


def test_schema_errors_are_422_with_fields(world, as_user):
    api = as_user(world.m1)
    before = snapshot()
    error = error_of(api.post("/disputes", {"committee": world.cv1.code, "dispute_type": "no-such-type",
                                            "source": "walk_in", "summary": "x", "amount": True, "colour": "red",
                                            "parties": [{"role": "judge", "name": "张三"}]}), 422, "validation_error")
    fields = error["details"]["fields"]
    assert set(fields) == {"dispute_type", "amount", "colour", "parties.0.role"}, fields
    assert all(isinstance(m, list) and m and all(isinstance(x, str) for x in m) for m in fields.values())
    assert snapshot() == before


def test_service_rule_errors_are_422_with_fields(world, as_user):
    api = as_user(world.m1)
    before = snapshot()
    bad_id = dict(party_list()[0], id_number="110105194912310021")  # wrong check digit
    error = error_of(api.post("/disputes", {"committee": world.cv1.code, "dispute_type": "other", "source": "walk_in",
                                            "summary": "x", "amount": "-1",
                                            "parties": [bad_id, party_list()[1]]}), 422, "validation_error")
    assert {"amount", "parties.0.id_number"} <= set(error["details"]["fields"]), error
    assert snapshot() == before


def test_query_errors_are_422(world, as_user):
    api = as_user(world.s_co)
    for query, field in [("page=0", "page"), ("per_page=x", "per_page"), ("state=nowhere", "state"),
                         ("overdue=maybe", "overdue"), ("q=" + "x" * 201, "q")]:
        error = error_of(api.get(f"/disputes?{query}"), 422, "validation_error")
        assert field in error["details"]["fields"], (query, error)


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00", "9999-12-31T23:59:59-12:00", "1899-12-31T23:00:00+00:00"])
def test_times_out_of_range_are_422_not_500(world, as_user, dispute, when):
    """Found by the fuzzer: such times overflowed the time-zone arithmetic."""
    api = as_user(world.m1)
    before = snapshot(dispute.id)
    error = error_of(api.post("/disputes", {"committee": world.cv1.code, "dispute_type": "other", "source": "walk_in",
                                            "summary": "x", "parties": party_list(), "received_at": when}), 422)
    assert "received_at" in error["details"]["fields"]
    error = error_of(api.post(f"/disputes/{dispute.id}/transitions",
                              {"trigger": "reach_agreement", "version": dispute.version, "form": "oral", "terms": "x",
                               "amount": "1", "performance_due": "9999-12-31"}), 422)
    assert "performance_due" in error["details"]["fields"]
    error_of(api.post(f"/disputes/{dispute.id}/sessions", {"mode": "phone", "held_at": when}), 422)
    assert snapshot(dispute.id) == before


def test_per_page_is_capped_at_200(world, as_user):
    body = as_user(world.admin).get("/orgs?per_page=1000").get_json()
    assert body["per_page"] == 200 and body["page"] == 1


def test_unknown_routes_and_methods(world, as_user, client):
    api = as_user(world.m1)
    for path in ["/nothing", "/disputes/abc", "/disputes/99999999999", "/orgs/x/policy/y"]:
        error_of(api.get(path), 404, "not_found")
    error_of(client.get("/api/v1/nothing"), 404, "not_found")  # no token needed to learn a route does not exist
    error = error_of(api.delete("/disputes"), 405, "method_not_allowed")
    assert "GET" in error["details"]["allowed"]
    r = api.call("PUT", "/notifications")
    error_of(r, 405)
    assert "GET" in r.headers["Allow"]


def test_outside_the_api_errors_stay_html(client):
    r = client.get("/no-such-page")
    assert r.status_code == 404 and r.mimetype == "text/html"


def test_internal_errors_answer_in_the_error_shape(world, as_user, app, monkeypatch):
    from mediation.orgs import tree

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(tree, "list_orgs", boom)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    error = error_of(as_user(world.admin).get("/orgs"), 500, "internal_error")
    assert "boom" not in json.dumps(error)


# -- the OpenAPI document ------------------------------------------------------------------------
API_MD = {
    "/api/v1/auth/token": {"post", "delete"},
    "/api/v1/orgs": {"post", "get"},
    "/api/v1/orgs/{code}/policy": {"get", "put"},
    "/api/v1/committees": {"post", "get"},
    "/api/v1/users": {"post", "get"},
    "/api/v1/users/{username}/deactivate": {"post"},
    "/api/v1/users/{username}/reactivate": {"post"},
    "/api/v1/users/{username}/password": {"post"},
    "/api/v1/audit": {"get"},
    "/api/v1/disputes": {"post", "get"},
    "/api/v1/disputes/{dispute_id}": {"get", "patch"},
    "/api/v1/disputes/{dispute_id}/transitions": {"post"},
    "/api/v1/disputes/{dispute_id}/sessions": {"post"},
    "/api/v1/disputes/{dispute_id}/preventions": {"post"},
    "/api/v1/disputes/{dispute_id}/events": {"get"},
    # issue 15: the correction path of a prevention record, the flagged back-dated entries
    "/api/v1/disputes/{dispute_id}/preventions/{prevention_id}/withdraw": {"post"},
    "/api/v1/events/backdated": {"get"},
    "/api/v1/disputes/{dispute_id}/parties/{party_id}/reveal": {"post"},
    "/api/v1/parties": {"get"},
    "/api/v1/disputes/{dispute_id}/documents": {"get"},
    "/api/v1/disputes/{dispute_id}/documents/{kind}": {"get"},
    "/api/v1/disputes/{dispute_id}/casefile": {"get"},
    "/api/v1/disputes/{dispute_id}/casefile/check": {"get"},
    "/api/v1/disputes/{dispute_id}/attachments": {"get", "post"},
    "/api/v1/disputes/{dispute_id}/attachments/{attachment_id}": {"get"},
    "/api/v1/casefiles/incomplete": {"get"},
    "/api/v1/deadlines": {"get"},
    "/api/v1/notifications": {"get"},
    "/api/v1/notifications/{notification_id}/read": {"post"},
    "/api/v1/stats": {"get"},
    "/api/v1/reports/weekly": {"get"},
    "/api/v1/reports/subscriptions": {"post", "get"},
    "/api/v1/reports/subscriptions/{subscription_id}": {"delete"},
}


@pytest.fixture
def document(client):
    r = client.get("/api/v1/openapi.json")  # no token needed
    assert r.status_code == 200
    return r.get_json()


def test_document_lists_exactly_the_routes_of_api_md(document):
    assert document["openapi"].startswith("3.")
    paths = {path: {m for m in ops if m in ("get", "post", "put", "patch", "delete")}
             for path, ops in document["paths"].items()}
    assert paths == API_MD


def test_document_declares_bearer_auth_and_the_error_shape(document):
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "a token from POST /api/v1/auth/token"}
    assert document["security"] == [{"bearerAuth": []}]
    assert document["paths"]["/api/v1/auth/token"]["post"]["security"] == []
    assert "security" not in document["paths"]["/api/v1/auth/token"]["delete"]
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    body = document["components"]["schemas"]["ErrorBody"]
    assert set(body["properties"]) == {"code", "message", "details"}
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            if method == "parameters":
                continue
            refs = [r for status, r in op["responses"].items() if status.startswith(("4", "5"))]
            assert refs, (path, method)
            for r in refs:
                assert r["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
            if op.get("security") != []:
                assert "401" in op["responses"], (path, method)
            if "requestBody" in op:
                assert {"400", "422"} <= set(op["responses"]), (path, method)


def test_document_describes_the_dispute_as_api_md_shows_it(document):
    schemas = document["components"]["schemas"]
    dispute = schemas["DisputeOut"]["properties"]
    for key in ["id", "case_number", "committee", "intake_org", "dispute_type", "source", "summary", "amount",
                "risk_level", "state", "outcome", "version", "received_at", "allowed_triggers", "parties",
                "assignments", "sessions", "agreement", "follow_ups", "deadlines"]:
        assert key in dispute, key
    transitions = schemas["TransitionIn"]["properties"]
    assert set(transitions["trigger"]["enum"]) >= {"accept", "reject", "assign", "reassign", "start_mediation",
                                                   "extend", "escalate", "reach_agreement", "fail", "withdraw",
                                                   "request_confirmation", "record_confirmation", "start_follow_up",
                                                   "record_follow_up", "reopen", "close"}
    assert schemas["DeadlinePage"]["properties"]["items"]["items"] == {"$ref": "#/components/schemas/DeadlineOut"}
    assert set(schemas["DeadlineOut"]["properties"]) == {"id", "dispute_id", "case_number", "kind", "due_at",
                                                         "status", "overdue_days"}
    assert set(schemas["NotificationOut"]["properties"]) == {"id", "kind", "dispute_id", "deadline_id", "channel",
                                                             "created_at", "sent_at", "read_at"}
    assert "429" in document["paths"]["/api/v1/auth/token"]["post"]["responses"]
    assert "Retry-After" in document["paths"]["/api/v1/auth/token"]["post"]["responses"]["429"]["headers"]


def test_docs_page_is_served_without_a_cdn(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and b"swagger-ui" in page.data
    assert b"/api/v1/docs/assets/swagger-ui-bundle.js" in page.data
    with client.get("/api/v1/docs/assets/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200 and len(asset.data) > 100_000
