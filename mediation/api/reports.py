"""Fengqiao statistics and weekly reports: /stats, /reports/weekly, /reports/subscriptions.

The figures are computed by reports/statistics.py and reports/weekly.py (imported inside the
views); their answers are passed through as they are, the schemas below document them.
"""
from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import jsonify
from marshmallow import fields, validate

from mediation.api.blueprint import ID, Blueprint
from mediation.api.schemas import Day, PageArgs, RedactedDict, Schema, page_of
from mediation.api.security import current_actor
from mediation.common.clock import WEEK_RE, parse_week
from mediation.common.validation import YEARS
from mediation.reports.schemas import SubscriptionIn

stats_blp = Blueprint("stats", __name__, url_prefix="/stats", description="Fengqiao statistics (枫桥经验统计)")
blp = Blueprint("reports", __name__, url_prefix="/reports", description="Weekly reports and their subscribers")


# -- query arguments ---------------------------------------------------------------------------
class StatsArgs(Schema):
    org = fields.String(metadata={"description": "org code (default: the caller's org); includes its subtree"})
    date_from = Day(required=True, data_key="from", metadata={"description": "first day, YYYY-MM-DD"})
    date_to = Day(required=True, data_key="to", metadata={"description": "last day, YYYY-MM-DD (≥ from)"})

    @ma.validates_schema
    def ordered(self, data: dict, **kwargs: Any) -> None:
        if data["date_from"] > data["date_to"]:
            raise ma.ValidationError("must not lie before from", field_name="to")


def _iso_week(value: str) -> None:
    match = WEEK_RE.match(value)
    if match and int(match.group(1)) not in YEARS:
        raise ma.ValidationError(f"must lie between {YEARS[0]} and {YEARS[-1]}")
    try:
        parse_week(value)
    except ValueError as exc:
        raise ma.ValidationError(str(exc)) from None


class WeeklyArgs(Schema):
    org = fields.String(metadata={"description": "org code (default: the caller's org)"})
    week = fields.String(required=True, validate=[validate.Regexp(WEEK_RE, error="must look like 2026-W47"),
                                                  _iso_week], metadata={"description": "ISO week YYYY-Www"})
    recompute = fields.Boolean(load_default=False, metadata={
        "description": "a finished week: also compute its figures afresh (`recomputed`), late entries included"})


class SubscriptionArgs(PageArgs):
    org = fields.String(metadata={"description": "only this org's subscriptions"})


# -- answers (documentation: the services' dicts are passed through) ------------------------------
class Prevented(Schema):
    cases = fields.Integer(required=True)
    people = fields.Integer(required=True)


def _count() -> fields.Integer:
    return fields.Integer(required=True)


def _rate() -> fields.Float:
    return fields.Float(required=True, allow_none=True, metadata={"description": "in [0, 1], 4 decimals; null "
                                                                                "when there is nothing to divide"})


class LateEntries(Schema):
    """Conclusions of the period entered a day or more after the time they are dated."""

    count = fields.Integer(required=True, metadata={"description": "conclusions entered ≥ 1 day late"})
    flagged = fields.Integer(required=True, metadata={
        "description": "of those, dated beyond max_backdate_days (flagged, with a backdate_reason)"})
    max_days = fields.Integer(required=True, metadata={"description": "the longest delay, in whole days"})
    on_time_by_date_only = fields.Integer(required=True, metadata={
        "description": "of those, counted on time by their date although entered after the deadline"})


class LevelCounts(Schema):
    concluded = fields.Integer(required=True)
    agreements = fields.Integer(required=True)
    failed = fields.Integer(required=True)
    withdrawn = fields.Integer(required=True)


class StatsOut(Schema):
    """The Fengqiao figures (docs/metrics.md) for an org's subtree and a period of days."""

    org = fields.String(required=True)
    date_from = fields.String(required=True, data_key="from")
    date_to = fields.String(required=True, data_key="to")
    as_of = fields.String(required=True, metadata={
        "format": "date-time", "description": "the end of the period, or now when it ends in the future"})
    received = _count()
    accepted = _count()
    rejected = _count()
    concluded = _count()
    agreements = _count()
    failed = _count()
    withdrawn = _count()
    success_rate = _rate()
    on_time_rate = _rate()
    amount_total = fields.String(required=True, metadata={"description": "decimal string with two places"})
    local_resolution_rate = _rate()
    escalated = _count()
    confirmations = _count()
    performance_rate = _rate()
    overdue_open = _count()
    by_type = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    by_source = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    prevented = fields.Dict(keys=fields.String(), values=fields.Nested(Prevented), required=True, metadata={
        "description": "per kind, from the record_prevention records (withdrawn ones netted out)"})
    by_level = fields.Dict(keys=fields.String(), values=fields.Nested(LevelCounts), required=True)
    late_entries = fields.Nested(LateEntries, required=True)


class SnapshotOut(Schema):
    """A week's report: stored once the week is over (`final`), computed fresh while it runs."""

    id = fields.Integer(required=True, allow_none=True)
    org = fields.String(required=True)
    week = fields.String(required=True)
    date_from = fields.String(required=True, data_key="from")
    date_to = fields.String(required=True, data_key="to")
    metrics = RedactedDict(required=True, metadata={"description": "the figures, as GET /stats gives them"})
    generated_at = fields.String(required=True, metadata={"format": "date-time"})
    sent_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    final = fields.Boolean(required=True, metadata={"description": "stored (the week is over)"})
    late_since_snapshot = fields.Integer(required=True, metadata={
        "description": "transitions and records dated in the week but entered after the snapshot was stored"})
    recomputed = fields.Dict(metadata={"description": "with recompute=true: the figures computed afresh"})


class SubscriptionOut(Schema):
    id = fields.Integer(required=True)
    org = fields.String(required=True)
    email = fields.String(required=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})


def _org_or_own(args: dict) -> str:
    """The `org` asked for, else the caller's own org (an admin without an org must name one)."""
    if args.get("org"):
        return args["org"]
    actor = current_actor()
    if actor.org is None:
        from mediation.common.errors import ValidationError

        raise ValidationError({"org": ["is required"]})
    return actor.org.code


def _passed(body: Any, status: int = 200):
    response = jsonify(body)
    response.status_code = status
    return response


# -- views -------------------------------------------------------------------------------------
@stats_blp.route("", methods=["GET"])
@stats_blp.arguments(StatsArgs, location="query")
@stats_blp.response(200, StatsOut)
@stats_blp.errors(401, 404, 422)
def get_stats(args: dict):
    """The Fengqiao figures for an org (and its subtree) over the days [from, to]."""
    from mediation.reports import statistics
    return _passed(statistics.stats_for(_org_or_own(args), args["date_from"], args["date_to"], current_actor()))


@blp.route("/weekly", methods=["GET"])
@blp.arguments(WeeklyArgs, location="query")
@blp.response(200, SnapshotOut)
@blp.errors(401, 404, 422)
def get_weekly(args: dict):
    """That week's snapshot (computed and stored on first request once the week is over)."""
    from mediation.reports import weekly
    return _passed(weekly.weekly_snapshot(_org_or_own(args), args["week"], current_actor(),
                                          recompute=args.get("recompute", False)))


@blp.route("/subscriptions", methods=["POST"])
@blp.arguments(SubscriptionIn)
@blp.response(201, SubscriptionOut)
@blp.errors(400, 401, 403, 404, 409, 413, 422)
def add_subscription(body: dict):
    """Adds an address to an org's weekly report (admin, or a supervisor within scope)."""
    from mediation.reports import weekly
    return _passed(weekly.add_subscription(body["org"], body["email"], current_actor()), 201)


@blp.route("/subscriptions", methods=["GET"])
@blp.arguments(SubscriptionArgs, location="query")
@blp.response(200, page_of(SubscriptionOut, "SubscriptionPage"))
@blp.errors(401, 403, 404, 422)
def list_subscriptions(args: dict):
    """The addresses added to weekly reports in the caller's scope."""
    from mediation.reports import weekly
    return _passed(weekly.list_subscriptions(current_actor(), args.get("org"), args["page"], args["per_page"]))


@blp.route(f"/subscriptions/<{ID}:subscription_id>", methods=["DELETE"])
@blp.response(204)
@blp.errors(401, 403, 404)
def remove_subscription(subscription_id: int):
    """Removes an added address."""
    from mediation.reports import weekly
    weekly.remove_subscription(subscription_id, current_actor())
