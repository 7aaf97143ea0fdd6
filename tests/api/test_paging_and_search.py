"""Lists at scale (issue 14): `total` exact up to a bound and a lower bound beyond it with
`total_exact: false`; `q` finds two-character Chinese names (bigram index on PostgreSQL, LIKE on SQLite)."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from mediation.common import paging
from tests.factories import make_dispute, party_list


@pytest.fixture
def small_bound(monkeypatch):
    monkeypatch.setattr(paging, "EXACT_UP_TO", 3)


def test_total_is_exact_up_to_the_bound_and_a_lower_bound_beyond(world, as_user, small_bound):
    api = as_user(world.s_city)
    for _ in range(6):
        make_dispute(world.cv1)
    first = api.get("/disputes?per_page=2").get_json()
    assert len(first["items"]) == 2 and first["total"] == 4 and first["total_exact"] is False
    third = api.get("/disputes?per_page=2&page=3").get_json()
    assert len(third["items"]) == 2 and third["total"] == 6 and third["total_exact"] is False
    # a page that is not full ends the list: its total is exact, and says so by leaving the key out
    whole = api.get("/disputes?per_page=10").get_json()
    assert len(whole["items"]) == 6 and whole["total"] == 6 and "total_exact" not in whole
    beyond = api.get("/disputes?per_page=2&page=9").get_json()
    assert beyond["items"] == [] and beyond["total"] == 4 and beyond["total_exact"] is False
    few = api.get(f"/disputes?committee={world.cv2.code}").get_json()
    assert few == {"items": [], "total": 0, "page": 1, "per_page": 50}


def test_exact_totals_below_the_bound_carry_no_flag(world, as_user):
    api = as_user(world.s_city)
    for _ in range(3):
        make_dispute(world.cv1)
    page = api.get("/disputes?per_page=2").get_json()
    assert page["total"] == 3 and "total_exact" not in page


def _with_names(committee, *names: str):
    parties = party_list(2)
    for party, name in zip(parties, names, strict=True):
        party["name"] = name
    return make_dispute(committee, parties=parties, summary="邻里纠纷")


def test_q_finds_two_character_names_and_substrings(world, as_user):
    api = as_user(world.s_city)
    wang = _with_names(world.cv1, "王芳", "赵磊")
    longer = _with_names(world.cv2, "欧阳芳芳", "钱七")
    _with_names(world.cv3, "孙五", "周六")

    def found(q: str) -> set[int]:
        r = api.get(f"/disputes?q={quote(q)}")
        assert r.status_code == 200, r.get_json()
        return {d["id"] for d in r.get_json()["items"]}

    assert found("王芳") == {wang.id}
    assert found("芳芳") == {longer.id}
    assert found("欧阳芳") == {longer.id}
    assert found("芳") == {wang.id, longer.id}  # one character: LIKE alone
    assert found("芳王") == set()
    assert found(wang.case_number) == {wang.id}
    assert found("邻里") >= {wang.id, longer.id}
    assert found("%") == set() and found("_") == set()
    assert as_user(world.m2).get(f"/disputes?q={quote('王芳')}").get_json()["items"] == []  # scope still applies
