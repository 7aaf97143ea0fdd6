"""The mediator's work queue in the browser: sign in, read it, search, filter; desktop and phone."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.browser.conftest import fits_phone, screenshot
from tests.factories import VALID_IDS, drive, make_dispute

NOW = datetime.now(UTC)
CASES = [  # (days ago, type, applicant, respondent, summary, risk, triggers)
    (9, "neighbourhood", "张秀英", "李建国", "相邻通道堆放杂物引发通行纠纷", "yellow", ()),
    (1, "housing_land", "王德明", "王德华", "兄弟之间宅基地边界争议", "none", ()),
    (2, "marriage_family", "刘桂兰", "陈志强", "离婚后子女抚养费支付纠纷", "orange", ("accept",)),
    (6, "labour", "赵小军", "江澄市恒达建材有限公司", "拖欠三个月工资", "red", ("accept", "assign", "start_mediation")),
    (25, "contract", "孙丽", "周建平", "装修合同尾款争议", "none", ("accept", "assign", "start_mediation")),
    (12, "damages", "吴海燕", "郑国强", "饲养的狗咬伤邻居赔偿纠纷", "none", ("accept", "assign", "start_mediation")),
    (40, "traffic", "黄志明", "林春花", "电动车与行人碰撞医疗费赔偿", "none",
     ("accept", "assign", "start_mediation", "reach_agreement")),
]


def seed(world) -> dict[str, int]:
    made = {}
    for days, kind, applicant, respondent, summary, risk, triggers in CASES:
        parties = [{"role": "applicant", "kind": "person", "name": applicant, "id_number": VALID_IDS[0],
                    "phone": "13800138000", "address": "一组"},
                   {"role": "respondent", "kind": "organization" if "公司" in respondent else "person",
                    "name": respondent, **({} if "公司" in respondent else {"id_number": VALID_IDS[1]})}]
        d = make_dispute(world.cv1, received_at=(NOW - timedelta(days=days, hours=3)).isoformat(), dispute_type=kind,
                         summary=summary, risk_level=risk, parties=parties, amount="3600.00")
        made[applicant] = drive(d, *triggers).id
    make_dispute(world.cv3, summary="另一村的纠纷")  # never in this mediator's queue
    return made


def row_ids(page) -> list[int]:
    return [int(x) for x in page.locator("tr[data-dispute-id]").evaluate_all(
        "rows => rows.map(r => r.dataset.disputeId)")]


def test_mediator_reads_searches_and_filters_the_queue(world, db, browser):
    made = seed(world)
    username = world.m1.username
    db.session.commit()
    browser.sign_in(username)
    page = browser.page
    assert page.locator("h1").inner_text() == "我的待办案件"
    ids = row_ids(page)
    assert set(ids) == set(made.values()) and len(ids) == 7
    assert ids[0] == made["张秀英"]  # the overdue acceptance first
    first = page.locator(f'tr[data-dispute-id="{made["张秀英"]}"]')
    assert first.get_attribute("data-deadline-status") == "overdue"
    assert "超期" in first.locator(".days-overdue").inner_text()
    assert page.locator(f'tr[data-dispute-id="{made["王德明"]}"]').get_attribute("data-deadline-status") == "due_soon"
    assert page.locator('[data-count="open"]').get_attribute("data-value") == "7"
    assert page.locator('[data-count="awaiting_acceptance"]').get_attribute("data-value") == "2"
    assert "邻里" in first.inner_text() and "待受理" in first.inner_text()  # names, not codes
    assert fits_phone(page)
    screenshot(page, "work-queue")
    browser.assert_clean()

    page.get_by_label("搜索").fill("抚养费")
    page.locator('[data-action="filter"]').click()
    page.wait_for_load_state()
    assert row_ids(page) == [made["刘桂兰"]]
    page.get_by_label("搜索").fill("")
    page.get_by_label("状态").select_option("in_mediation")
    page.locator('[data-action="filter"]').click()
    page.wait_for_load_state()
    assert set(row_ids(page)) == {made["赵小军"], made["孙丽"], made["吴海燕"]}
    page.get_by_label("类型").select_option("labour")
    page.get_by_label("搜索").press("Enter")  # the keyboard alone submits the form
    page.wait_for_load_state()
    assert row_ids(page) == [made["赵小军"]]
    screenshot(page, "work-queue-filtered")
    page.locator('[data-count="overdue"]').click()
    page.wait_for_load_state()
    assert row_ids(page) == [made["张秀英"]]
    browser.assert_clean()


def test_supervisor_lands_on_the_disputes_of_the_area(world, db, browser):
    made = seed(world)
    username = world.s_co.username
    db.session.commit()
    browser.sign_in(username)
    page = browser.page
    assert page.locator("h1").inner_text() == "辖区在办案件"
    assert set(made.values()) < set(row_ids(page)) and len(row_ids(page)) == 8
    assert page.locator("th", has_text="调委会").count() == 1
    screenshot(page, "disputes-supervisor")
    browser.assert_clean()
