"""Finding a person (`GET /parties?id_number=|phone=`) and revealing a party's numbers
(`POST /disputes/{id}/parties/{party_id}/reveal`): in scope only, each one recorded."""
from __future__ import annotations

from sqlalchemy import select

from mediation.extensions import db
from mediation.models import AccessLog
from tests import factories
from tests.api.conftest import error_of, snapshot


def test_search_by_id_number_answers_the_disputes_in_scope_masked(world, as_user):
    d = factories.make_dispute(world.cv1)
    elsewhere = factories.make_dispute(world.cv3)
    api = as_user(world.m1)
    r = api.get(f"/parties?id_number={factories.VALID_IDS[0].lower()}")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert set(body) == {"items", "total", "page", "per_page"}
    assert [x["id"] for x in body["items"]] == [d.id] and body["total"] == 1
    applicant = body["items"][0]["parties"][0]
    assert applicant["id_number"] == "1101**********002X" and applicant["phone"] == "138****8000"
    assert factories.VALID_IDS[0] not in r.get_data(as_text=True)
    everywhere = as_user(world.admin).get("/parties?phone=138-0013-8000").get_json()
    assert {x["id"] for x in everywhere["items"]} >= {d.id, elsewhere.id}
    log = db.session.scalars(select(AccessLog).order_by(AccessLog.id)).all()
    assert [(e.actor_id, e.query) for e in log] == [(world.m1.id, "id_number=1101**********002X"),
                                                    (world.admin.id, "phone=138****8000")]


def test_search_needs_exactly_one_number_and_a_token(world, as_user):
    api, nobody = as_user(world.m1), as_user(None)
    for query in ("", "?id_number=1&phone=2", "?name=张三", "?phone=" + "1" * 40):
        before = snapshot()
        error = error_of(api.get("/parties" + query), 422, "validation_error")
        assert error["details"]["fields"], query
        assert snapshot() == before
    error_of(nobody.get("/parties?phone=13800138000"), 401, "unauthorized")
    assert db.session.scalars(select(AccessLog)).all() == []


def test_reveal_shows_the_numbers_and_leaves_an_access_record(world, as_user):
    d = factories.make_dispute(world.cv1)
    party = d.parties[1]
    api = as_user(world.m1)
    r = api.post(f"/disputes/{d.id}/parties/{party.id}/reveal")
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"id": party.id, "dispute_id": d.id, "role": "respondent", "kind": "person", "name": "李四",
                            "id_number": factories.VALID_IDS[1], "phone": "13912345678", "address": "一村二组"}
    events = api.get(f"/disputes/{d.id}/events").get_json()
    reveal = events[-1]
    assert (reveal["trigger"], reveal["actor"], reveal["payload"]) == ("reveal", world.m1.username,
                                                                        {"party_id": party.id})
    # the dispute itself did not change
    assert api.get(f"/disputes/{d.id}").get_json()["version"] == d.version


def test_reveal_outside_scope_absent_or_of_another_dispute_is_not_found(world, as_user):
    d = factories.make_dispute(world.cv1)
    other = factories.make_dispute(world.cv1)
    m1, m3, s_t2, nobody = as_user(world.m1), as_user(world.m3), as_user(world.s_t2), as_user(None)
    before = snapshot(d.id)
    bodies = []
    for api, path in [(m3, f"/disputes/{d.id}/parties/{d.parties[0].id}/reveal"),
                      (s_t2, f"/disputes/{d.id}/parties/{d.parties[0].id}/reveal"),
                      (m1, f"/disputes/{d.id + 100000}/parties/{d.parties[0].id}/reveal")]:
        r = api.post(path)
        error_of(r, 404, "not_found")
        bodies.append(r.get_json())
    assert bodies[0] == bodies[1] == bodies[2]
    error_of(m1.post(f"/disputes/{d.id}/parties/{other.parties[0].id}/reveal"), 404, "not_found")
    error_of(nobody.post(f"/disputes/{d.id}/parties/{d.parties[0].id}/reveal"), 401)
    assert snapshot(d.id) == before


def test_the_document_describes_the_new_routes(client):
    document = client.get("/api/v1/openapi.json").get_json()
    search = document["paths"]["/api/v1/parties"]["get"]
    assert {p["name"] for p in search["parameters"]} >= {"id_number", "phone", "page", "per_page"}
    assert "422" in search["responses"] and "401" in search["responses"]
    reveal = document["paths"]["/api/v1/disputes/{dispute_id}/parties/{party_id}/reveal"]["post"]
    assert reveal["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PartyRevealedOut"}
    assert "404" in reveal["responses"]
