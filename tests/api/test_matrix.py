"""Every route × every role × inside and outside the caller's scope (API.md: who may do what).

The callers: mediator m1 (committee cv1 in village v1), supervisor s_t1 (township t1, over v1 and
v2) and an administrator without an org. "inside" aims at things in v1/t1, "outside" at things
in t2/v3. Outside the scope a thing does not exist (404); a role that may not act gets 403 (a
mediator creating orgs, committees, users); a body naming something out of reach is 422. Every
refusal leaves the database as it was; every list shows what is in scope and nothing else.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Optional

import pytest

from mediation.common.clock import iso_week, local_date, now
from mediation.notifications import notify
from mediation.reports import weekly
from tests.api.conftest import error_of, snapshot
from tests.factories import PASSWORD, dispute_in, party_list, uniq

ACTORS = {"mediator": "m1", "supervisor": "s_t1", "admin": "admin"}
DAY = local_date(now()).isoformat()
WEEK = iso_week(local_date(now()) - timedelta(days=7))


@dataclass
class Target:
    """The things a case aims at, inside and outside the caller's scope."""

    org: Any
    township: Any
    committee: Any
    dispute: Any         # in mediation
    registered: Any      # a dispute that may be accepted
    notification: int    # "inside": the caller's own; "outside": another user's
    subscription: int
    user: Any            # a mediator: m1b in v1 ("inside"), m3 in v3 ("outside")


@pytest.fixture
def targets(world):
    def notification(user) -> int:
        return notify.create_notifications([{"recipient_id": user.id, "kind": "due_soon", "channel": "in_app",
                                             "dedupe_key": uniq("matrix:")}])[0]

    def make(org, township, committee, owner, user) -> Target:
        sub = weekly.add_subscription(township.code, f"{uniq('sub')}@example.org", None)["id"]
        return Target(org, township, committee, dispute_in("in_mediation", committee),
                      dispute_in("registered", committee), notification(owner), sub, user)

    return {"inside": lambda actor: make(world.v1, world.t1, world.cv1, actor, world.m1b),
            "outside": lambda actor: make(world.v3, world.t2, world.cv3, world.s_t2, world.m3)}


@dataclass
class Route:
    method: str
    path: Callable[[Target], str]
    body: Callable[[Target, Any], Optional[dict]] = lambda t, w: None
    # expected status per role: (inside, outside)
    mediator: tuple[int, int] = (200, 404)
    supervisor: tuple[int, int] = (200, 404)
    admin: tuple[int, int] = (200, 200)
    # for lists: is the target's item in the answer?
    listed: Optional[Callable[[dict, Target], bool]] = None
    # lists: which roles see the outside item (admins see everything)
    sees_outside: tuple[str, ...] = ("admin",)


def _ids(body: dict, key: str = "id") -> set:
    return {item[key] for item in body["items"]}


ROUTES: dict[str, Route] = {
    "POST /auth/token": Route("POST", lambda t: "/auth/token", lambda t, w: {"username": w.m1.username,
                                                                             "password": PASSWORD},
                              mediator=(200, 200), supervisor=(200, 200)),
    "DELETE /auth/token": Route("DELETE", lambda t: "/auth/token", mediator=(204, 204), supervisor=(204, 204),
                                admin=(204, 204)),
    "POST /orgs": Route("POST", lambda t: "/orgs", lambda t, w: {"code": uniq("VX"), "name": "新村",
                                                                 "level": "village", "parent": t.township.code},
                        mediator=(403, 403), supervisor=(403, 403), admin=(201, 201)),
    "GET /orgs": Route("GET", lambda t: "/orgs?per_page=200", mediator=(200, 200), supervisor=(200, 200),
                       listed=lambda b, t: t.org.code in {o["code"] for o in b["items"]}),
    "GET /orgs/{code}/policy": Route("GET", lambda t: f"/orgs/{t.org.code}/policy"),
    "PUT /orgs/{code}/policy": Route("PUT", lambda t: f"/orgs/{t.org.code}/policy",
                                     lambda t, w: {"mediation_days": 20}, mediator=(403, 404)),
    "POST /committees": Route("POST", lambda t: "/committees",
                              lambda t, w: {"code": uniq("C"), "name": "x", "org": t.org.code, "kind": "people",
                                            "specialties": []},
                              mediator=(403, 403), supervisor=(201, 422), admin=(201, 201)),
    "GET /committees": Route("GET", lambda t: "/committees?per_page=200", mediator=(200, 200),
                             supervisor=(200, 200),
                             listed=lambda b, t: t.committee.code in {c["code"] for c in b["items"]}),
    "POST /users": Route("POST", lambda t: "/users",
                         lambda t, w: {"username": uniq("u"), "password": PASSWORD, "display_name": "x",
                                       "email": "x@example.org", "role": "mediator", "org": None,
                                       "committee": t.committee.code},
                         mediator=(403, 403), supervisor=(201, 422), admin=(201, 201)),
    "GET /users": Route("GET", lambda t: "/users?per_page=200", mediator=(403, 403), supervisor=(200, 200),
                        listed=lambda b, t: t.org.code in {u["org"] for u in b["items"]}),
    "POST /users/{username}/deactivate": Route("POST", lambda t: f"/users/{t.user.username}/deactivate",
                                               mediator=(403, 403), supervisor=(200, 404)),
    "POST /users/{username}/reactivate": Route("POST", lambda t: f"/users/{t.user.username}/reactivate",
                                               mediator=(403, 403), supervisor=(200, 404)),
    "POST /users/{username}/password": Route("POST", lambda t: f"/users/{t.user.username}/password",
                                             lambda t, w: {"password": "Quiet-river-stone-7"},
                                             mediator=(403, 403), supervisor=(200, 404)),
    "GET /audit": Route("GET", lambda t: "/audit?per_page=200", mediator=(403, 403), supervisor=(403, 403)),
    "POST /disputes": Route("POST", lambda t: "/disputes",
                            lambda t, w: {"committee": t.committee.code, "dispute_type": "other",
                                          "source": "walk_in", "summary": "x", "parties": party_list()},
                            mediator=(201, 422), supervisor=(201, 422), admin=(201, 201)),
    "GET /disputes": Route("GET", lambda t: "/disputes?per_page=200", mediator=(200, 200), supervisor=(200, 200),
                           listed=lambda b, t: t.dispute.id in _ids(b)),
    "GET /disputes/{id}": Route("GET", lambda t: f"/disputes/{t.dispute.id}"),
    "PATCH /disputes/{id}": Route("PATCH", lambda t: f"/disputes/{t.dispute.id}",
                                  lambda t, w: {"version": t.dispute.version, "summary": "改"}),
    "POST /disputes/{id}/transitions": Route("POST", lambda t: f"/disputes/{t.registered.id}/transitions",
                                             lambda t, w: {"trigger": "accept", "version": t.registered.version}),
    "POST /disputes/{id}/sessions": Route("POST", lambda t: f"/disputes/{t.dispute.id}/sessions",
                                          lambda t, w: {"mode": "phone"},
                                          mediator=(201, 404), supervisor=(201, 404), admin=(201, 201)),
    "POST /disputes/{id}/preventions": Route("POST", lambda t: f"/disputes/{t.dispute.id}/preventions",
                                             lambda t, w: {"kind": "suicide", "people": 1},
                                             mediator=(201, 404), supervisor=(201, 404), admin=(201, 201)),
    "GET /disputes/{id}/events": Route("GET", lambda t: f"/disputes/{t.dispute.id}/events"),
    "POST /disputes/{id}/parties/{party_id}/reveal": Route(
        "POST", lambda t: f"/disputes/{t.dispute.id}/parties/{t.dispute.parties[0].id}/reveal"),
    "GET /parties": Route("GET", lambda t: f"/parties?phone={t.dispute.parties[0].phone}&per_page=200",
                          mediator=(200, 200), supervisor=(200, 200), listed=lambda b, t: t.dispute.id in _ids(b)),
    "GET /disputes/{id}/documents": Route("GET", lambda t: f"/disputes/{t.dispute.id}/documents"),
    "GET /disputes/{id}/documents/{kind}": Route("GET", lambda t: f"/disputes/{t.dispute.id}/documents/application"),
    "GET /disputes/{id}/casefile": Route("GET", lambda t: f"/disputes/{t.dispute.id}/casefile"),
    "GET /disputes/{id}/casefile/check": Route("GET", lambda t: f"/disputes/{t.dispute.id}/casefile/check"),
    "GET /disputes/{id}/attachments": Route("GET", lambda t: f"/disputes/{t.dispute.id}/attachments"),
    "GET /casefiles/incomplete": Route("GET", lambda t: "/casefiles/incomplete?per_page=200", mediator=(403, 403),
                                       supervisor=(200, 200)),
    "GET /deadlines": Route("GET", lambda t: "/deadlines?per_page=200", mediator=(200, 200),
                            supervisor=(200, 200), listed=lambda b, t: t.dispute.id in _ids(b, "dispute_id")),
    "GET /notifications": Route("GET", lambda t: "/notifications?per_page=200", mediator=(200, 200),
                                supervisor=(200, 200), listed=lambda b, t: t.notification in _ids(b),
                                sees_outside=()),
    "POST /notifications/{id}/read": Route("POST", lambda t: f"/notifications/{t.notification}/read",
                                           admin=(200, 404)),
    "GET /stats": Route("GET", lambda t: f"/stats?org={t.org.code}&from={DAY}&to={DAY}"),
    "GET /reports/weekly": Route("GET", lambda t: f"/reports/weekly?org={t.org.code}&week={WEEK}"),
    "POST /reports/subscriptions": Route("POST", lambda t: "/reports/subscriptions",
                                         lambda t, w: {"org": t.township.code, "email": f"{uniq('s')}@example.org"},
                                         mediator=(403, 403), supervisor=(201, 404), admin=(201, 201)),
    "GET /reports/subscriptions": Route("GET", lambda t: "/reports/subscriptions?per_page=200",
                                        mediator=(403, 403), supervisor=(200, 200),
                                        listed=lambda b, t: t.subscription in _ids(b)),
    "DELETE /reports/subscriptions/{id}": Route("DELETE", lambda t: f"/reports/subscriptions/{t.subscription}",
                                                mediator=(403, 403), supervisor=(204, 404), admin=(204, 204)),
}


@pytest.mark.parametrize("scope", ["inside", "outside"])
@pytest.mark.parametrize("role", list(ACTORS))
@pytest.mark.parametrize("name", list(ROUTES))
def test_route_role_scope(world, as_user, targets, name, role, scope):
    route = ROUTES[name]
    actor = world.users[ACTORS[role]]
    target = targets[scope](actor)
    api = as_user(None if name == "POST /auth/token" else actor)
    expected = getattr(route, role)[0 if scope == "inside" else 1]
    dispute_id = target.registered.id if "transitions" in name else target.dispute.id
    before = snapshot(dispute_id)
    r = api.call(route.method, route.path(target), route.body(target, world))
    if expected >= 400:
        error = error_of(r, expected)
        if expected == 422:
            assert error["details"]["fields"], error
        assert snapshot(dispute_id) == before, f"{name} as {role} ({scope}) changed something"
        return
    assert r.status_code == expected, (name, role, scope, r.status_code, r.get_data(as_text=True)[:500])
    if route.listed is not None:
        shown = route.listed(r.get_json(), target)
        should = scope == "inside" or role in route.sees_outside
        assert shown == should, f"{name} as {role}: {scope} item shown={shown}"
