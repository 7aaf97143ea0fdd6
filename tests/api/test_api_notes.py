"""The choices docs/api-notes.md writes down, where the tests elsewhere do not already hold them."""
from __future__ import annotations

from tests.api.conftest import error_of, row_counts
from tests.factories import make_dispute


def test_unknown_query_parameters_are_ignored_and_known_ones_still_checked(world, as_user):
    api = as_user(world.admin)
    plain = api.get("/orgs").get_json()
    extra = api.get("/orgs?utm_source=mail&_=1733100000&nonsense=%ZZ").get_json()
    assert extra == plain
    error_of(api.get("/orgs?per_page=0"), 422, "validation_error")
    error_of(api.get("/orgs?per_page=many"), 422, "validation_error")


def test_an_unknown_body_field_is_422_naming_it_and_changes_nothing(world, as_user):
    api = as_user(world.admin)
    before = row_counts()
    error = error_of(api.post("/orgs", {"code": "X1", "name": "某村", "level": "village",
                                        "parent": world.t1.code, "nmae": "typo"}), 422, "validation_error")
    assert error["details"]["fields"] == {"nmae": ["不是可识别的字段"]}  # "is not a known field", in Chinese
    assert row_counts() == before


def test_the_events_list_is_a_bare_array(world, as_user):
    dispute = make_dispute(world.cv1)
    events = as_user(world.admin).get(f"/disputes/{dispute.id}/events").get_json()
    assert isinstance(events, list) and events and events[0]["trigger"] == "register"
