"""GET …/documents, …/documents/{kind}, …/casefile, …/casefile/check and /casefiles/incomplete."""
from __future__ import annotations

import io

from docx import Document

from mediation.common.personal import mask_id_number
from tests.api.conftest import error_of, snapshot
from tests.factories import VALID_IDS, dispute_in

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def text(response) -> str:
    doc = Document(io.BytesIO(response.data))
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            lines += [c.text for c in row.cells]
    return "\n".join(lines)


def test_list_and_download_the_agreement(world, as_user):
    d = dispute_in("agreed", world.cv1)
    api = as_user(world.m1)
    r = api.get(f"/disputes/{d.id}/documents")
    assert r.status_code == 200
    listed = r.get_json()
    assert {"kind": "agreement", "title": "人民调解协议书", "complete": True} in listed
    assert [x["kind"] for x in listed] == ["application", "registration", "rights_notice", "agreement"]
    r = api.get(f"/disputes/{d.id}/documents/agreement")
    assert r.status_code == 200 and r.mimetype == DOCX
    assert "attachment" in r.headers["Content-Disposition"] and r.headers["Cache-Control"] == "no-store"
    body = text(r)
    assert "赔偿1200元" in body and VALID_IDS[0] in body and "调协字" in body
    events = as_user(world.admin).get(f"/disputes/{d.id}/events").get_json()
    assert [e["trigger"] for e in events].count("download") == 1


def test_documents_without_id_numbers_record_nothing(world, as_user):
    d = dispute_in("accepted", world.cv1)
    api = as_user(world.m1)
    before = snapshot(d.id)
    r = api.get(f"/disputes/{d.id}/documents/registration")
    assert r.status_code == 200 and VALID_IDS[0] not in text(r) and mask_id_number(VALID_IDS[0]) not in text(r)
    assert snapshot(d.id) == before


def test_refusals(world, as_user):
    d = dispute_in("accepted", world.cv1)
    api = as_user(world.m1)
    error_of(api.get(f"/disputes/{d.id}/documents/agreement"), 404, "not_found")
    error_of(api.get(f"/disputes/{d.id}/documents/nonsense"), 404, "not_found")
    error_of(api.get(f"/disputes/{d.id}/documents/session_record?session=x"), 422)
    error_of(as_user(world.m3).get(f"/disputes/{d.id}/documents"), 404, "not_found")
    error_of(as_user(None).get(f"/disputes/{d.id}/documents"), 401)


def test_casefile_and_check(world, as_user):
    d = dispute_in("closed", world.cv1)
    api = as_user(world.s_t1)
    r = api.get(f"/disputes/{d.id}/casefile")
    assert r.status_code == 200 and r.mimetype == DOCX and "卷内目录" in text(r)
    check = api.get(f"/disputes/{d.id}/casefile/check").get_json()
    assert check["complete"] is False
    assert {"item": "session_record", "title": "人民调解记录", "required": True, "present": False} in check["items"]
    page = api.get("/casefiles/incomplete").get_json()
    assert d.id in {x["id"] for x in page["items"]} and page["total"] >= 1
    error_of(as_user(world.m1).get("/casefiles/incomplete"), 403)
    error_of(api.get("/casefiles/incomplete?org=NOPE"), 404)
