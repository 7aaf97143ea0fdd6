"""The standard people's-mediation workflow (docs/workflow.md).

Facts a caller supplies (all plain values):
  handling_org_path     ids from the root to the handling committee's org
  committee_mediators   {user id: name} of the active mediators of the handling committee
  party_names           names of the parties who are persons
  mediators             {user id: name} of the mediators named in the payload (assign, reassign)
  target_org_path       ids from the root to the escalation target committee's org (escalate)
  target_active         whether the escalation target committee is active (escalate)
  agreement_form, agreed_at, confirmation     of the agreement in force (or None)
  follow_up_count, last_performance           of the recorded follow-ups
  extensions_used, max_extensions, max_extension_days
  occurred_at           when the step happens (a timezone-aware datetime)
"""
from __future__ import annotations

from datetime import timedelta
from typing import Optional

from workflows.base import Context, Transition, WorkflowDefinition, guard

STATES = ("registered", "accepted", "assigned", "in_mediation", "agreed", "follow_up", "closed", "rejected")
LABELS = {
    "registered": "已登记", "accepted": "已受理", "assigned": "已指派", "in_mediation": "调解中",
    "agreed": "已达成协议", "follow_up": "回访中", "closed": "已结案", "rejected": "不予受理",
}
OPEN_UNTIL_CONCLUDED = ("registered", "accepted", "assigned", "in_mediation")
CONFIRMATION_WINDOW = timedelta(days=30)  # People's Mediation Law art. 33


# -- guards: each returns None when satisfied, else a human reason ------------------------------
@guard("no_mediator")
def mediators_named(ctx: Context) -> Optional[str]:
    if not ctx.payload.get("mediators"):
        return "at least one mediator must be named"
    return None


@guard("mediator_not_in_committee")
def mediators_of_committee(ctx: Context) -> Optional[str]:
    eligible = ctx.facts.get("committee_mediators", {})
    outsiders = [m for m in ctx.payload.get("mediators", []) if m not in eligible]
    if outsiders:
        return "every mediator must be an active mediator of the handling committee"
    return None


@guard("mediator_is_party")
def mediators_not_parties(ctx: Context) -> Optional[str]:
    parties = set(ctx.facts.get("party_names", ()))
    named = ctx.facts.get("mediators", {})
    if any(named.get(m) in parties for m in ctx.payload.get("mediators", [])):
        return "a party to the dispute cannot mediate it (回避)"
    return None


@guard("no_parties_consent")
def parties_consent(ctx: Context) -> Optional[str]:
    if ctx.payload.get("parties_consent") is not True:
        return "an extension needs the parties' consent"
    return None


@guard("extension_too_long")
def extension_within_policy(ctx: Context) -> Optional[str]:
    limit = ctx.facts.get("max_extension_days", 30)
    if int(ctx.payload.get("days", 0)) > limit:
        return f"an extension may be at most {limit} days"
    return None


@guard("extensions_exhausted")
def extensions_left(ctx: Context) -> Optional[str]:
    limit = ctx.facts.get("max_extensions", 1)
    if ctx.facts.get("extensions_used", 0) >= limit:
        return f"at most {limit} extension(s) are allowed per mediation term"
    return None


@guard("not_a_higher_committee")
def target_is_higher(ctx: Context) -> Optional[str]:
    here = list(ctx.facts.get("handling_org_path", ()))
    there = list(ctx.facts.get("target_org_path", ()))
    if not there or len(there) >= len(here) or here[: len(there)] != there:
        return "a dispute can only be escalated to a committee of a higher org above the current one"
    return None


@guard("committee_inactive")
def target_is_active(ctx: Context) -> Optional[str]:
    if not ctx.facts.get("target_active", True):
        return "the target committee is not active"
    return None


@guard("agreement_not_written")
def agreement_written(ctx: Context) -> Optional[str]:
    if ctx.facts.get("agreement_form") != "written":
        return "only a written agreement can be judicially confirmed"
    return None


@guard("confirmation_window_closed")
def within_confirmation_window(ctx: Context) -> Optional[str]:
    agreed_at, now = ctx.facts.get("agreed_at"), ctx.facts.get("occurred_at")
    if agreed_at is None or now is None or now - agreed_at > CONFIRMATION_WINDOW:
        return "judicial confirmation must be requested within 30 days of the agreement"
    return None


@guard("confirmation_already_requested")
def confirmation_not_pending(ctx: Context) -> Optional[str]:
    if ctx.facts.get("confirmation") in ("requested", "confirmed"):
        return "judicial confirmation has already been requested or granted"
    return None


@guard("confirmation_not_requested")
def confirmation_pending(ctx: Context) -> Optional[str]:
    if ctx.facts.get("confirmation") != "requested":
        return "no judicial confirmation request is pending"
    return None


@guard("no_follow_up")
def has_follow_up(ctx: Context) -> Optional[str]:
    if ctx.facts.get("follow_up_count", 0) < 1:
        return "at least one follow-up must be recorded first"
    return None


@guard("performance_full")
def performance_not_full(ctx: Context) -> Optional[str]:
    if ctx.facts.get("last_performance") == "full":
        return "the agreement has been fully performed; there is nothing to reopen"
    return None


T = Transition.of
STANDARD = WorkflowDefinition(
    "standard",
    states=STATES,
    initial="registered",
    final=("closed", "rejected"),
    labels=LABELS,
    transitions=[
        T("accept", "registered", "accepted", tags=["accept"]),
        T("reject", "registered", "rejected", outcome="rejected", tags=["decide_acceptance", "finish"]),
        T("assign", "accepted", "assigned", mediators_named, mediators_of_committee, mediators_not_parties,
          tags=["assign"]),
        T("reassign", ("assigned", "in_mediation"), "=", mediators_named, mediators_of_committee,
          mediators_not_parties, tags=["assign"]),
        T("start_mediation", "assigned", "in_mediation", tags=["start_mediation"]),
        T("extend", "in_mediation", "=", parties_consent, extension_within_policy, extensions_left,
          tags=["extend"]),
        T("escalate", ("accepted", "assigned", "in_mediation"), "accepted", target_is_higher,
          target_is_active, tags=["escalate"]),
        T("reach_agreement", "in_mediation", "agreed", tags=["conclude", "agree"]),
        T("fail", "in_mediation", "closed", outcome="failed", tags=["conclude", "finish"]),
        T("withdraw", OPEN_UNTIL_CONCLUDED, "closed", outcome="withdrawn", tags=["conclude", "finish"]),
        T("request_confirmation", ("agreed", "follow_up"), "=", agreement_written, within_confirmation_window,
          confirmation_not_pending, tags=["request_confirmation"]),
        T("record_confirmation", ("agreed", "follow_up"), "=", confirmation_pending,
          tags=["record_confirmation"]),
        T("start_follow_up", "agreed", "follow_up"),
        T("record_follow_up", "follow_up", "=", tags=["follow_up"]),
        T("reopen", "follow_up", "in_mediation", has_follow_up, performance_not_full, tags=["reopen"]),
        T("close", "follow_up", "closed", has_follow_up, outcome="agreement", tags=["finish"]),
    ],
)
