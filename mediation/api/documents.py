"""Documents of a dispute (文书) and its case file (卷宗) as .docx; the completeness check; the
concluded disputes whose files are incomplete (docs/documents.md)."""
from __future__ import annotations

from functools import wraps
from urllib.parse import quote

from flask import Response, current_app, request
from marshmallow import fields

from mediation.api.blueprint import ID, Blueprint
from mediation.api.schemas import Instant, Schema, page_of
from mediation.api.security import current_actor
from mediation.documents import attachments, service
from mediation.documents.schemas import AttachmentFile, AttachmentForm, CasefileArgs, DocumentArgs, IncompleteArgs

blp = Blueprint("documents", __name__, url_prefix="/disputes", description="Documents and the case file")
files_blp = Blueprint("casefiles", __name__, url_prefix="/casefiles", description="Case files across disputes")

KIND = "string(minlength=1, maxlength=40)"
DOCX_RESPONSE = {"content": {service.DOCX: {"schema": {"type": "string", "format": "binary"}}},
                 "description": "the .docx"}


class DocumentOut(Schema):
    kind = fields.String(required=True)
    title = fields.String(required=True)
    complete = fields.Boolean(required=True)
    session = fields.Integer(metadata={"description": "session_record: the session's id"})
    follow_up = fields.Integer(metadata={"description": "follow_up_record: the follow-up's id"})


class CheckItemOut(Schema):
    item = fields.String(required=True)
    title = fields.String(required=True)
    required = fields.Boolean(required=True)
    present = fields.Boolean(required=True)


class CheckOut(Schema):
    complete = fields.Boolean(required=True)
    items = fields.List(fields.Nested(CheckItemOut), required=True)


class IncompleteOut(Schema):
    id = fields.Integer(required=True)
    case_number = fields.String(required=True)
    committee = fields.String(required=True)
    concluded_at = Instant(required=True)
    missing = fields.List(fields.String(), required=True)


def _docx(rendered: service.Rendered) -> Response:
    """The file as a download; a Chinese file name travels as RFC 5987 `filename*`."""
    fallback = rendered.filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(rendered.filename)}"
    return Response(rendered.content, mimetype=rendered.mimetype,
                    headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})


@blp.route(f"/<{ID}:dispute_id>/documents", methods=["GET"])
@blp.response(200, DocumentOut(many=True))
@blp.errors(401, 404)
def list_documents(dispute_id: int):
    """The documents the dispute has in its current state, and whether the record fills each."""
    return service.list_documents(dispute_id, current_actor())


@blp.route(f"/<{ID}:dispute_id>/documents/<{KIND}:kind>", methods=["GET"])
@blp.arguments(DocumentArgs, location="query")
@blp.response(200, None, **{"description": "the .docx"})
@blp.doc(responses={"200": DOCX_RESPONSE})
@blp.errors(401, 404, 422)
def get_document(args: dict, dispute_id: int, kind: str):
    """One document as .docx (full ID numbers for those allowed to reveal, recorded as a download)."""
    return _docx(service.render_document(dispute_id, kind, current_actor(), **args))


@blp.route(f"/<{ID}:dispute_id>/casefile", methods=["GET"])
@blp.arguments(CasefileArgs, location="query")
@blp.response(200, None, **{"description": "the .docx"})
@blp.doc(responses={"200": {"content": {service.DOCX: {"schema": {"type": "string", "format": "binary"}},
                                        "application/zip": {"schema": {"type": "string", "format": "binary"}}},
                            "description": "the .docx, or with ?format=zip a zip of it and the attached PDFs"}})
@blp.errors(401, 404, 422)
def get_casefile(args: dict, dispute_id: int):
    """The whole case file (卷宗) as one .docx; Word and WPS compute its page numbers on opening."""
    return _docx(service.render_casefile(dispute_id, current_actor(), **args))


class AttachmentOut(Schema):
    id = fields.Integer(required=True)
    dispute_id = fields.Integer(required=True)
    category = fields.String(required=True)
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    uploaded_at = Instant(required=True)


def upload_limit(func):
    """An upload's own body limit (ATTACHMENT_MAX_BYTES), instead of the JSON body's."""
    @wraps(func)
    def wrapper(*args, **kwargs):
        request.max_content_length = current_app.config["ATTACHMENT_MAX_BYTES"]
        return func(*args, **kwargs)
    return wrapper


@blp.route(f"/<{ID}:dispute_id>/attachments", methods=["POST"])
@upload_limit
@blp.arguments(AttachmentForm, location="form")
@blp.arguments(AttachmentFile, location="files")
@blp.response(201, AttachmentOut)
@blp.errors(400, 401, 404, 413, 422)
def add_attachment(form: dict, files: dict, dispute_id: int):
    """Attaches a scanned ID, evidence or a receipt (multipart `file`, `category`): a JPEG or PNG
    image or a PDF, judged by its content; stored encrypted outside the database with its SHA-256."""
    upload = files["file"]
    try:
        data = upload.read()
    finally:
        upload.close()  # a large upload is spooled to a temporary file
    return attachments.add_attachment(dispute_id, upload.filename or "", data, form["category"], current_actor())


@blp.route(f"/<{ID}:dispute_id>/attachments", methods=["GET"])
@blp.response(200, AttachmentOut(many=True))
@blp.errors(401, 404)
def list_attachments(dispute_id: int):
    """The dispute's attachments, oldest first."""
    return attachments.list_attachments(dispute_id, current_actor())


@blp.route(f"/<{ID}:dispute_id>/attachments/<{ID}:attachment_id>", methods=["GET"])
@blp.response(200, None, **{"description": "the file"})
@blp.doc(responses={"200": {"content": {kind: {"schema": {"type": "string", "format": "binary"}}
                                        for kind in ("image/jpeg", "image/png", "application/pdf")},
                            "description": "the attached file as uploaded (JPEG, PNG or PDF)"}})
@blp.errors(401, 404)
def get_attachment(dispute_id: int, attachment_id: int):
    """One attachment's content (checked against its SHA-256)."""
    row, data = attachments.read_attachment(dispute_id, attachment_id, current_actor())
    return _docx(service.Rendered(f"{row.id}-{row.filename}", data, row.content_type))


@blp.route(f"/<{ID}:dispute_id>/casefile/check", methods=["GET"])
@blp.response(200, CheckOut)
@blp.errors(401, 404)
def check_casefile(dispute_id: int):
    """The case file against the Ministry's list: each item, whether required, whether present."""
    return service.check_casefile(dispute_id, current_actor())


@files_blp.route("/incomplete", methods=["GET"])
@files_blp.arguments(IncompleteArgs, location="query")
@files_blp.response(200, page_of(IncompleteOut, "IncompleteCasefilePage"))
@files_blp.errors(401, 403, 404, 422)
def list_incomplete(args: dict):
    """Concluded disputes in scope whose case files lack a required item (supervisors, administrators)."""
    return service.list_incomplete(current_actor(), **args)
