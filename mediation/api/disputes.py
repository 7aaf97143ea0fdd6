"""Disputes (纠纷): intake, reading, editing, workflow triggers, sessions, preventions, events."""
from __future__ import annotations

from mediation.api.blueprint import ID, Blueprint
from mediation.api.dispute_schemas import (
    DisputeIn,
    DisputeListArgs,
    DisputeOut,
    DisputePatch,
    EventOut,
    PartyRevealedOut,
    PreventionIn,
    PreventionOut,
    PreventionWithdrawal,
    SessionIn,
    SessionOut,
    TransitionIn,
)
from mediation.api.schemas import page_of
from mediation.api.security import current_actor
from mediation.disputes import cases, parties, triggers

blp = Blueprint("disputes", __name__, url_prefix="/disputes", description="Disputes and their workflow")


@blp.route("", methods=["POST"])
@blp.arguments(DisputeIn)
@blp.response(201, DisputeOut)
@blp.errors(400, 401, 413, 422)
def register_dispute(body: dict):
    """Registers a dispute (登记) into a committee the caller may register into."""
    return cases.register_dispute(body, actor=current_actor())


@blp.route("", methods=["GET"])
@blp.arguments(DisputeListArgs, location="query")
@blp.response(200, page_of(DisputeOut, "DisputePage"))
@blp.errors(401, 404, 422)
def list_disputes(args: dict):
    """Lists the disputes in the caller's scope, newest first (`org` includes its subtree)."""
    return cases.list_disputes(current_actor(), **args)


@blp.route(f"/<{ID}:dispute_id>", methods=["GET"])
@blp.response(200, DisputeOut)
@blp.errors(401, 404)
def get_dispute(dispute_id: int):
    """One dispute with its parties, assignments, sessions, agreement, follow-ups and deadlines."""
    return cases.load_dispute(dispute_id, current_actor())


@blp.route(f"/<{ID}:dispute_id>", methods=["PATCH"])
@blp.arguments(DisputePatch)
@blp.response(200, DisputeOut)
@blp.errors(400, 401, 404, 409, 413, 422)
def update_dispute(body: dict, dispute_id: int):
    """Edits summary, amount or risk level under the optimistic lock (stale `version` → 409)."""
    return cases.update_dispute(dispute_id, body, actor=current_actor())


@blp.route(f"/<{ID}:dispute_id>/transitions", methods=["POST"])
@blp.arguments(TransitionIn)
@blp.response(200, DisputeOut)
@blp.errors(400, 401, 404, 409, 413, 422)
def fire_trigger(body: dict, dispute_id: int):
    """Fires a workflow trigger: `invalid_transition`, `guard_failed` (details.reason) or
    `version_conflict` → 409, and nothing changes."""
    trigger, version, occurred_at = body.pop("trigger"), body.pop("version"), body.pop("occurred_at", None)
    return triggers.fire_trigger(dispute_id, trigger, version=version, actor=current_actor(),
                                    occurred_at=occurred_at, payload=body)


@blp.route(f"/<{ID}:dispute_id>/sessions", methods=["POST"])
@blp.arguments(SessionIn)
@blp.response(201, SessionOut)
@blp.errors(400, 401, 404, 409, 413, 422)
def record_session(body: dict, dispute_id: int):
    """Records a mediation session (调解记录); only while in mediation (else 409)."""
    return cases.record_session(dispute_id, body, actor=current_actor())


@blp.route(f"/<{ID}:dispute_id>/preventions", methods=["POST"])
@blp.arguments(PreventionIn)
@blp.response(201, PreventionOut)
@blp.errors(400, 401, 404, 409, 413, 422)
def record_prevention(body: dict, dispute_id: int):
    """Records what the mediation prevented (防止民转刑, 防止自杀 …) and for how many people: from the
    acceptance up to the conclusion (else 409 or 422), `people` ≤ the policy's max_prevention_people."""
    return cases.record_prevention(dispute_id, body, actor=current_actor())


@blp.route(f"/<{ID}:dispute_id>/preventions/<{ID}:prevention_id>/withdraw", methods=["POST"])
@blp.arguments(PreventionWithdrawal)
@blp.response(200, PreventionOut)
@blp.errors(400, 401, 404, 409, 413, 422)
def withdraw_prevention(body: dict, dispute_id: int, prevention_id: int):
    """Withdraws a mistaken prevention record: a `withdraw_prevention` record with the reason nets
    it out of the figures (nothing is edited or deleted); a second withdrawal → 409."""
    return cases.withdraw_prevention(dispute_id, prevention_id, body, actor=current_actor())


@blp.route(f"/<{ID}:dispute_id>/events", methods=["GET"])
@blp.response(200, EventOut(many=True))
@blp.errors(401, 404)
def list_events(dispute_id: int):
    """The trail, oldest first: transitions, records and access records, each with its `kind`
    (docs/events.md)."""
    return cases.list_events(dispute_id, current_actor())


@blp.route(f"/<{ID}:dispute_id>/parties/<{ID}:party_id>/reveal", methods=["POST"])
@blp.response(200, PartyRevealedOut)
@blp.errors(401, 404)
def reveal_party(dispute_id: int, party_id: int):
    """The party with `id_number` and `phone` in full (mediators of the handling committee, supervisors
    in scope, administrators; others: 404). Each reveal is an access record in the dispute's events."""
    return parties.reveal_party(dispute_id, party_id, current_actor())
