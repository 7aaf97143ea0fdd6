"""Finding a person (当事人检索): /parties?id_number=… or ?phone=… through the keyed blind index."""
from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from mediation.api.blueprint import Blueprint
from mediation.api.dispute_schemas import DisputeOut
from mediation.api.schemas import PageArgs, page_of
from mediation.api.security import current_actor
from mediation.disputes import parties

blp = Blueprint("parties", __name__, url_prefix="/parties", description="Finding a person among the parties")


class PartySearchArgs(PageArgs):
    id_number = fields.String(validate=validate.Length(min=1, max=32),
                              metadata={"description": "exact resident ID (or an organisation's code)"})
    phone = fields.String(validate=validate.Length(min=1, max=32),
                          metadata={"description": "exact phone number, any common spelling (+86, spaces, dashes)"})

    @ma.validates_schema
    def exactly_one(self, data: dict, **kwargs: Any) -> None:
        if ("id_number" in data) == ("phone" in data):
            raise ma.ValidationError("give exactly one of id_number and phone", "id_number")


@blp.route("", methods=["GET"])
@blp.arguments(PartySearchArgs, location="query")
@blp.response(200, page_of(DisputeOut, "PartyDisputePage"))
@blp.errors(401, 422)
def search_parties(args: dict):
    """The disputes in the caller's scope where a party has exactly this ID number or phone, newest
    first (numbers are encrypted at rest: the match goes through a keyed index). Each search is
    recorded, the number masked."""
    return parties.search_disputes_by_person(current_actor(), **args)
