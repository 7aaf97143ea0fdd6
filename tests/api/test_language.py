"""Error messages in the caller's language (the token's user's saved locale, else Accept-Language,
else Chinese), from the same catalogues as the pages; codes unchanged; each problem said once;
times in Asia/Shanghai."""
from __future__ import annotations

from mediation.extensions import db
from tests.api.conftest import error_of
from tests.factories import dispute_in


def test_no_preference_no_header_is_chinese(client):
    error = error_of(client.get("/api/v1/disputes"), 401, "unauthorized")
    assert error["message"] == "需要持有者令牌（Authorization: Bearer <令牌>）"


def test_accept_language_chooses_english(client):
    error = error_of(client.get("/api/v1/disputes", headers={"Accept-Language": "en-GB,en;q=0.9"}), 401,
                     "unauthorized")
    assert error["message"] == "a bearer token is required (Authorization: Bearer <token>)"
    error = error_of(client.get("/api/v1/nowhere", headers={"Accept-Language": "fr, zh-CN;q=0.5"}), 404, "not_found")
    assert error["message"] == "资源不存在"


def test_the_users_saved_preference_wins_over_the_header(world, as_user):
    world.m1.locale = "en"
    db.session.flush()
    english, chinese = as_user(world.m1), as_user(world.m2)
    body = {"committee": world.committees["cv1"].code}
    error = error_of(english.post("/disputes", body, headers={"Accept-Language": "zh-CN"}), 422, "validation_error")
    assert error["message"] == "some fields are invalid"
    assert error["details"]["fields"]["parties"] == ["is required"]
    error = error_of(chinese.post("/disputes", {"committee": world.committees["cv2"].code, "bogus": 1},
                                  headers={"Accept-Language": "en"}), 422, "validation_error")
    assert error["message"] == "部分字段无效"
    assert error["details"]["fields"]["parties"] == ["为必填项"]
    assert error["details"]["fields"]["bogus"] == ["不是可识别的字段"]


def test_a_malformed_week_is_said_once(world, as_user):
    api = as_user(world.s_t1)
    for week, expected in [("2026-47", ["格式须如 2026-W47"]), ("2025-W53", ["2025-W53 不是该年份中存在的周"]),
                           ("2999-W01", ["2999-W01 尚未开始"])]:
        error = error_of(api.get(f"/reports/weekly?week={week}"), 422, "validation_error")
        assert error["details"]["fields"] == {"week": expected}


def test_a_time_in_an_error_is_in_asia_shanghai(world, as_user):
    dispute = dispute_in("registered", world.cv1)
    api = as_user(world.m1)
    response = api.post(f"/disputes/{dispute.id}/transitions",
                        {"trigger": "accept", "version": dispute.version,
                         "occurred_at": "2000-01-01T00:00:00+08:00"}, headers={"Accept-Language": "en"})
    # the user's saved preference (Chinese) wins over the header
    error = error_of(response, 422, "validation_error")
    (message,) = error["details"]["fields"]["occurred_at"]
    assert message.startswith("不能早于该纠纷的上一事件（") and message.endswith("+08:00）"), message
