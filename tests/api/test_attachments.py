"""POST/GET …/attachments: type by content, its own size limit, stored encrypted with a checksum,
listed in the case file (images placed in it, PDFs beside it in the zip)."""
from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

from docx import Document
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from mediation.documents import attachments
from mediation.models import Attachment
from tests.api.conftest import error_of, snapshot
from tests.factories import dispute_in

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def upload(api, dispute_id, data: bytes, name: str, category: str = "evidence"):
    # encoded in memory: the test client would spool a large body to a file it never closes
    boundary, body = encode_multipart({"category": category, "file": FileStorage(io.BytesIO(data), filename=name)})
    return api.post(f"/disputes/{dispute_id}/attachments", data=body,
                    content_type=f"multipart/form-data; boundary={boundary}")


def test_upload_list_read_encrypted_with_checksum(world, as_user, app, db):
    d = dispute_in("in_mediation", world.cv1)
    api = as_user(world.m1)
    image = png()
    r = upload(api, d.id, image, "身份证.png", "identification")
    assert r.status_code == 201, r.get_data(as_text=True)
    body = r.get_json()
    assert body["content_type"] == "image/png" and body["sha256"] == hashlib.sha256(image).hexdigest()
    assert body["filename"] == "身份证.png" and body["size"] == len(image) and body["category"] == "identification"
    row = db.session.get(Attachment, body["id"])
    stored = (Path(app.instance_path) / "attachments" / f"{row.storage_key}.bin").read_bytes()
    assert image not in stored and b"PNG" not in stored  # encrypted at rest
    assert [a["id"] for a in api.get(f"/disputes/{d.id}/attachments").get_json()] == [body["id"]]
    r = api.get(f"/disputes/{d.id}/attachments/{body['id']}")
    assert r.status_code == 200 and r.data == image and r.mimetype == "image/png"
    assert "filename*=UTF-8''" in r.headers["Content-Disposition"]
    error_of(as_user(world.m3).get(f"/disputes/{d.id}/attachments/{body['id']}"), 404)
    error_of(as_user(world.m3).get(f"/disputes/{d.id}/attachments"), 404)
    outsider = as_user(world.s_t2)
    before = snapshot(d.id)
    error_of(upload(outsider, d.id, image, "x.png"), 404)  # outside scope: nothing stored
    assert snapshot(d.id) == before
    other = dispute_in("in_mediation", world.cv1)
    error_of(api.get(f"/disputes/{other.id}/attachments/{body['id']}"), 404)


def test_content_decides_the_type_and_refusals_change_nothing(world, as_user):
    d = dispute_in("in_mediation", world.cv1)
    api = as_user(world.m1)
    before = snapshot(d.id)
    error = error_of(upload(api, d.id, b"MZ\x90\x00 not a picture", "photo.png"), 422, "validation_error")
    assert "file" in error["details"]["fields"]
    error_of(upload(api, d.id, b"", "empty.pdf"), 422, "validation_error")
    error_of(upload(api, d.id, PDF, "a.pdf", category="nonsense"), 422, "validation_error")
    error_of(api.post(f"/disputes/{d.id}/attachments", data={"category": "evidence"},
                      content_type="multipart/form-data"), 422)
    assert snapshot(d.id) == before


def test_own_size_limit_beyond_the_json_limit(world, as_user, app, monkeypatch):
    d = dispute_in("in_mediation", world.cv1)
    api = as_user(world.m1)
    big = png((1400, 1400)) + b"\x00" * (1024 * 1024)  # over the 1 MiB JSON limit, under 10 MB
    assert len(big) > app.config["MAX_CONTENT_LENGTH"]
    assert upload(api, d.id, big, "big.png").status_code == 201
    small = png()
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", len(small) - 1)
    before = snapshot(d.id)
    error_of(upload(api, d.id, small, "small.png"), 413)
    assert snapshot(d.id) == before


def test_case_file_places_images_and_zips_pdfs(world, as_user):
    d = dispute_in("closed", world.cv1)
    api = as_user(world.m1)
    check = api.get(f"/disputes/{d.id}/casefile/check").get_json()
    assert not next(i for i in check["items"] if i["item"] == "evidence")["present"]
    upload(api, d.id, png(), "现场照片.png", "evidence")
    upload(api, d.id, PDF, "收条.pdf", "performance_receipt")
    check = api.get(f"/disputes/{d.id}/casefile/check").get_json()
    present = {i["item"]: i["present"] for i in check["items"]}
    assert present["evidence"] and present["performance_receipts"]
    r = api.get(f"/disputes/{d.id}/casefile")
    doc = Document(io.BytesIO(r.data))
    assert len(doc.inline_shapes) == 1
    texts = [p.text for p in doc.paragraphs]
    assert "人民调解证据材料：现场照片.png" in texts and any("收条.pdf" in t for t in texts)
    r = api.get(f"/disputes/{d.id}/casefile?format=zip")
    assert r.status_code == 200 and r.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(r.data)).namelist()
    assert f"{d.id}-casefile.docx" in names and any(n.endswith("-收条.pdf") for n in names)
    assert not any(n.endswith(".png") for n in names)
    error_of(api.get(f"/disputes/{d.id}/casefile?format=pdf"), 422)


def test_a_tampered_file_is_refused(world, as_user, app, db):
    d = dispute_in("in_mediation", world.cv1)
    api = as_user(world.m1)
    row = db.session.get(Attachment, upload(api, d.id, PDF, "a.pdf").get_json()["id"])
    path = Path(app.instance_path) / "attachments" / f"{row.storage_key}.bin"
    path.write_bytes(path.read_bytes()[:-4] + b"AAAA")
    try:
        attachments.content_of(row)
    except attachments.AttachmentDamaged:
        pass
    else:
        raise AssertionError("a damaged file was read")
