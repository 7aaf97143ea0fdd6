"""Documents of a dispute (文书) and its case file (卷宗) as .docx; the completeness check; the
concluded disputes whose files are incomplete (docs/documents.md)."""
from __future__ import annotations

from flask import Response
from marshmallow import fields

from mediation.api.blueprint import ID, Blueprint
from mediation.api.schemas import Instant, Schema, page_of
from mediation.api.security import current_actor
from mediation.documents import service
from mediation.documents.schemas import DocumentArgs, IncompleteArgs

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
    return Response(rendered.content, mimetype=rendered.mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{rendered.filename}"',
                             "Cache-Control": "no-store"})


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
@blp.response(200, None, **{"description": "the .docx"})
@blp.doc(responses={"200": DOCX_RESPONSE})
@blp.errors(401, 404)
def get_casefile(dispute_id: int):
    """The whole case file (卷宗) as one .docx; Word and WPS compute its page numbers on opening."""
    return _docx(service.render_casefile(dispute_id, current_actor()))


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
