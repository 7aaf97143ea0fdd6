"""The documents of a dispute, opened with python-docx and checked against the record."""
from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from docx import Document
from docx.oxml.ns import qn
from sqlalchemy import select

from mediation.common.errors import Forbidden, NotFound
from mediation.common.personal import mask_id_number, mask_phone
from mediation.disputes import cases
from mediation.documents import people, service
from mediation.documents.agreement import agreement_number
from mediation.extensions import db
from mediation.models import Event
from tests.factories import VALID_IDS, dispute_in, fire, make_dispute

NOTE_PHONE = "13700001111"


def text_of(content: bytes) -> str:
    """Every paragraph and table cell of the .docx, one per line."""
    doc = Document(io.BytesIO(content))
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            lines += [c.text for c in row.cells]
    return "\n".join(lines)


def downloads(dispute_id: int) -> list[Event]:
    return list(db.session.scalars(select(Event).where(Event.dispute_id == dispute_id, Event.trigger == "download")))


def agreed(world, form: str = "written", **agreement):
    d = dispute_in("in_mediation", world.cv1, summary=f"张三与李四因通道堵塞发生纠纷，李四电话{NOTE_PHONE}")
    cases.record_session(d.id, {"mode": "in_person", "location": "一村村委会调解室",
                                "notes": f"双方陈述了通道使用情况，张三称李四{NOTE_PHONE}"}, actor=world.m1)
    d = cases.load_dispute(d.id)
    payload = {"form": form, "terms": "李四于十日内清理通道并赔偿张三1200元", "amount": "1200.00",
               "performance_due": "2026-12-31", **agreement}
    return fire(d, "reach_agreement", actor=world.m1, **payload)


def test_written_agreement_carries_what_art_29_asks(world):
    d = agreed(world)
    rendered = service.render_document(d.id, "agreement", world.m1)
    assert rendered.mimetype == service.DOCX and rendered.filename.endswith(".docx")
    text = text_of(rendered.content)
    assert "人民调解协议书" in text and world.cv1.name in text
    assert agreement_number(d.case_number) in text and "调协字" in agreement_number(d.case_number)
    for party in d.parties:
        assert party.name in text and party.address in text
    # sex and age read from the resident ID numbers; full numbers for a mediator of the committee
    assert VALID_IDS[0] in text and VALID_IDS[1] in text
    assert "13800138000" in text
    sex, age = people.sex_and_age(VALID_IDS[1], d.received_at.date())
    assert sex == "男" and age == str(d.received_at.year - 1980 - (d.received_at.date() < date(d.received_at.year, 1, 1)))
    assert "女" in text  # 11010519491231002X: the 17th digit is even
    assert "通道堵塞" in text and NOTE_PHONE not in text and mask_phone(NOTE_PHONE) in text  # facts redacted
    assert "李四于十日内清理通道并赔偿张三1200元" in text
    assert "2026年12月31日" in text and "一村村委会调解室" in text
    assert "一式三份" in text  # two parties + the committee
    assert "人民调解员（签名）" in text and "记录人（签名）" in text and "（印章）" in text
    assert "签名盖章或按指印" in text
    # the download with full ID numbers is on the trail
    records = downloads(d.id)
    assert len(records) == 1 and records[0].actor_id == world.m1.id and records[0].payload == {"document": "agreement"}


def test_fonts_are_named_for_word_and_wps(world):
    d = agreed(world)
    doc = Document(io.BytesIO(service.render_document(d.id, "agreement", world.m1).content))
    section = doc.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    east_asian = set()
    for p in doc.paragraphs:
        for run in p.runs:
            fonts = run._element.rPr.find(qn("w:rFonts")) if run._element.rPr is not None else None
            if fonts is not None and run.text.strip():
                east_asian.add(fonts.get(qn("w:eastAsia")))
    assert {"宋体", "黑体", "方正小标宋简体"} <= east_asian
    title = next(p for p in doc.paragraphs if p.text == "人民调解协议书")
    assert title.runs[0]._element.rPr.find(qn("w:rFonts")).get(qn("w:ascii")) == "SimHei"


def test_outside_the_committee_id_numbers_are_masked_and_nothing_recorded(world):
    d = agreed(world)
    # a mediator of the township's committee sees it only if assigned; an admin may reveal, m2 cannot see it at all
    with pytest.raises(NotFound):
        service.render_document(d.id, "agreement", world.m2)
    fire(d, "start_follow_up", actor=world.m1)
    # a supervisor of another township: not found either
    with pytest.raises(NotFound):
        service.render_document(d.id, "agreement", world.s_t2)
    # a supervisor in scope may reveal
    text = text_of(service.render_document(d.id, "agreement", world.s_t1).content)
    assert VALID_IDS[0] in text
    # the system itself has no user to record, but the masked path: force reveal off
    from mediation.documents.context import Context

    ctx = Context(d, world.m1, d.received_at, reveal=False)
    from mediation.documents import agreement as agreement_doc

    masked = text_of(agreement_doc.render(ctx).bytes())
    assert VALID_IDS[0] not in masked and mask_id_number(VALID_IDS[0]) in masked
    assert "13800138000" not in masked and mask_phone("13800138000") in masked


def test_may_reveal_is_the_handling_committee_supervisors_in_scope_and_admins(world):
    d = dispute_in("assigned", world.cv1)
    assert people.may_reveal(world.m1, d) and people.may_reveal(world.s_t1, d) and people.may_reveal(world.admin, d)
    assert people.may_reveal(world.s_co, d)
    assert not people.may_reveal(world.m2, d) and not people.may_reveal(world.s_t2, d)
    # every mediator who sees a dispute is of its handling committee (assignments are), so today the
    # masked copy is for callers the revealing rule leaves out; the form masks for them (test above)
    assert people.may_reveal(None, d)


def test_oral_agreement_is_the_registration_form_under_the_same_kind(world):
    d = agreed(world, form="oral")
    text = text_of(service.render_document(d.id, "agreement", world.m1).content)
    assert "人民调解口头协议登记表" in text and "人民调解协议书" not in text
    assert agreement_number(d.case_number) in text and "李四于十日内清理通道并赔偿张三1200元" in text
    assert "一式" not in text
    listed = {x["kind"]: x for x in service.list_documents(d.id, world.m1)}
    assert listed["agreement"]["title"] == "人民调解口头协议登记表"
    assert "confirmation_application" not in listed


def test_the_list_follows_the_state(world):
    d = make_dispute(world.cv1)
    kinds = [x["kind"] for x in service.list_documents(d.id, world.m1)]
    assert kinds == ["application", "registration"]
    d = agreed(world)
    fire(d, "request_confirmation", actor=world.m1)
    listed = service.list_documents(d.id, world.m1)
    kinds = [x["kind"] for x in listed]
    assert kinds == ["application", "registration", "rights_notice", "session_record", "agreement",
                     "confirmation_application"]
    assert all(x["complete"] for x in listed)
    session = next(x for x in listed if x["kind"] == "session_record")
    assert session["session"] == d.sessions[0].id
    with pytest.raises(NotFound):
        service.render_document(d.id, "rejection_notice", world.m1)
    with pytest.raises(NotFound):
        service.render_document(d.id, "no_such_kind", world.m1)
    with pytest.raises(NotFound):
        service.render_document(d.id, "session_record", world.m1, session=d.sessions[0].id + 999)


def test_intake_forms(world):
    d = dispute_in("accepted", world.cv1, source="screening")
    app_text = text_of(service.render_document(d.id, "application", world.m1).content)
    assert "人民调解申请书" in app_text and "现自愿申请" in app_text and "张三" in app_text and "李四" in app_text
    assert "相邻通行纠纷" in app_text
    reg = text_of(service.render_document(d.id, "registration", world.m1).content)
    assert "人民调解受理登记表" in reg and d.case_number in reg and "邻里" in reg
    assert "人民调解委员会主动调解" in reg and "登记人（签名）" in reg
    assert VALID_IDS[0] not in reg  # the registration form carries no ID numbers
    notice = text_of(service.render_document(d.id, "rights_notice", world.m1).content)
    assert "权利义务告知书" in notice and "拒绝调解" in notice and "如实陈述" in notice
    assert notice.count("（签名或按指印）") == len(d.parties)
    assert downloads(d.id) and {e.payload["document"] for e in downloads(d.id)} == {"application"}


def test_session_and_follow_up_records(world):
    d = agreed(world)
    d = fire(d, "start_follow_up", actor=world.m1)
    d = fire(d, "record_follow_up", actor=world.m1, performance="partial", method="phone",
             notes=f"已清理通道，赔偿款尚欠600元，联系{NOTE_PHONE}")
    session = d.sessions[0]
    text = text_of(service.render_document(d.id, "session_record", world.m1, session=session.id).content)
    assert "人民调解记录" in text and "一村村委会调解室" in text and "现场调解" in text
    assert "双方陈述了通道使用情况" in text and NOTE_PHONE not in text and world.m1.display_name in text
    follow = text_of(service.render_document(d.id, "follow_up_record", world.m1).content)
    assert "人民调解回访记录" in follow and agreement_number(d.case_number) in follow
    assert "部分履行" in follow and "电话回访" in follow and "尚欠600元" in follow and NOTE_PHONE not in follow


def test_confirmation_application_variants(world):
    d = agreed(world)
    d = fire(d, "request_confirmation", actor=world.m1, court="测试县人民法院")
    text = text_of(service.render_document(d.id, "confirmation_application", world.m1).content)
    assert "司法确认申请书" in text and "（自然人之间）" in text and "测试县人民法院" in text
    assert agreement_number(d.case_number) in text and "李四于十日内清理通道并赔偿张三1200元" in text
    from tests.factories import party_list

    org_case = dispute_in("agreed", world.cv1, parties=party_list(3))
    org_case = fire(org_case, "request_confirmation", actor=world.m1)
    text = text_of(service.render_document(org_case.id, "confirmation_application", world.m1).content)
    assert "（自然人与法人或其他组织之间）" in text and "某某物业公司" in text and "申请人（盖章）" in text


def test_rejection_and_termination_notices(world):
    rejected = dispute_in("rejected", world.cv1)
    text = text_of(service.render_document(rejected.id, "rejection_notice", world.m1).content)
    assert "不予受理告知书" in text and "不属于人民调解范围" in text and "不属于民间纠纷" in text
    assert "诉讼、仲裁、行政" in text and rejected.case_number in text
    failed = dispute_in("in_mediation", world.cv1)
    failed = fire(failed, "fail", actor=world.m1, referral="arbitration", reason="双方分歧较大")
    text = text_of(service.render_document(failed.id, "termination_notice", world.m1).content)
    assert "终止调解告知书" in text and "依法申请仲裁" in text and "双方分歧较大" in text
    assert "提起诉讼" not in text


def test_casefile_has_cover_contents_fields_and_the_documents_in_order(world, app):
    d = agreed(world)
    d = fire(d, "start_follow_up", actor=world.m1)
    d = fire(d, "record_follow_up", actor=world.m1)
    d = fire(d, "close", actor=world.m1)
    rendered = service.render_casefile(d.id, world.m1)
    text = text_of(rendered.content)
    assert "调解卷宗" in text and "卷内目录" in text and "封底" in text
    assert f"（{d.case_year}）一村人调字第{d.case_seq}号" in text  # 一村: shorter than a place and its suffix
    assert f"保管期限：{app.config['CASEFILE_RETENTION']}" in text
    assert world.m1.display_name in text and "张三、李四邻里纠纷" in text
    order = ["人民调解申请书", "人民调解受理登记表", "人民调解当事人权利义务告知书", "人民调解记录",
             "人民调解协议书", "人民调解回访记录", "本卷宗共"]
    body = [p.text for p in Document(io.BytesIO(rendered.content)).paragraphs]
    positions = [body.index(t) if t in body else next(i for i, p in enumerate(body) if p.startswith(t))
                 for t in order]
    assert positions == sorted(positions)
    xml = zipfile.ZipFile(io.BytesIO(rendered.content)).read("word/document.xml").decode()
    assert xml.count("PAGEREF item") >= 6 and "NUMPAGES" in xml and 'w:name="item8"' in xml
    settings = zipfile.ZipFile(io.BytesIO(rendered.content)).read("word/settings.xml").decode()
    assert "updateFields" in settings
    check = service.check_casefile(d.id, world.m1)
    assert check["complete"] is True
    assert {i["item"] for i in check["items"] if i["required"]} == {
        "application", "rights_notice", "identification", "session_record", "agreement", "back_cover"}


def test_casefile_check_names_what_is_missing_and_supervisors_list_them(world):
    done = dispute_in("closed", world.cv1)  # no session recorded
    check = service.check_casefile(done.id, world.m1)
    assert check["complete"] is False
    assert [i["item"] for i in check["items"] if i["required"] and not i["present"]] == ["session_record"]
    listed = service.list_incomplete(world.s_t1)
    assert done.id in {x["id"] for x in listed["items"]}
    assert next(x for x in listed["items"] if x["id"] == done.id)["missing"] == ["session_record"]
    assert done.id not in {x["id"] for x in service.list_incomplete(world.s_t2)["items"]}
    with pytest.raises(Forbidden):
        service.list_incomplete(world.m1)


def test_optional_particulars_and_an_investigation_record(world):
    parties = [{"role": "applicant", "kind": "person", "name": "王五", "sex": "female", "ethnicity": "畲族",
                "occupation": "农民", "phone": "13800138000", "address": "一村三组"},
               {"role": "respondent", "kind": "person", "name": "赵六", "id_number": VALID_IDS[1]}]
    d = dispute_in("in_mediation", world.cv1, parties=parties)
    assert d.parties[0].ethnicity == "畲族" and d.parties[0].sex == "female"
    text = text_of(service.render_document(d.id, "application", world.m1).content)
    assert "畲族" in text and "农民" in text and "女" in text and "男" in text  # 赵六: sex from the ID number
    row = cases.record_session(d.id, {"mode": "in_person", "kind": "investigation", "location": "赵六家",
                                      "notes": "走访邻居，了解通道历史"}, actor=world.m1)
    assert row.kind == "investigation"
    listed = [x for x in service.list_documents(d.id, world.m1) if x["kind"] == "session_record"]
    assert listed == [{"kind": "session_record", "title": "人民调解调查记录", "complete": True, "session": row.id}]
    text = text_of(service.render_document(d.id, "session_record", world.m1, session=row.id).content)
    assert "人民调解调查记录" in text and "走访邻居" in text and "调解结果" not in text
    items = {i["item"]: i for i in service.check_casefile(d.id, world.m1)["items"]}
    assert items["investigation_record"]["present"] and not items["session_record"]["present"]
    casefile_text = text_of(service.render_casefile(d.id, world.m1).content)
    assert "人民调解调查记录" in casefile_text and "走访邻居" in casefile_text


def test_bad_particulars_are_refused(world):
    from mediation.common.errors import ValidationError

    parties = [{"role": "applicant", "kind": "person", "name": "王五", "sex": "x"},
               {"role": "respondent", "kind": "person", "name": "赵六"}]
    with pytest.raises(ValidationError) as refused:
        make_dispute(world.cv1, parties=parties)
    assert "sex" in str(refused.value.fields)


def test_control_characters_in_free_text_do_not_break_a_document(world):
    d = dispute_in("in_mediation", world.cv1, summary="通道\x0b纠纷\x01")
    cases.record_session(d.id, {"mode": "phone", "notes": "陈述\x1f完毕\x07"}, actor=world.m1)
    text = text_of(service.render_casefile(d.id, world.m1).content)
    assert "通道纠纷" in text and "陈述完毕" in text
