"""The workflow machine alone: no Flask, no database (DESIGN.md, The workflow)."""
from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import workflows
from workflows import GuardFailed, InvalidTransition, Transition, WorkflowDefinition
from workflows.dispute import STANDARD

ROOT = Path(__file__).resolve().parent.parent
AGREED = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)

STATES = ("registered", "accepted", "assigned", "in_mediation", "agreed", "follow_up", "closed", "rejected")
TRIGGERS = ("accept", "reject", "assign", "reassign", "start_mediation", "extend", "escalate", "reach_agreement",
            "fail", "withdraw", "request_confirmation", "record_confirmation", "start_follow_up",
            "record_follow_up", "reopen", "close")
# DESIGN.md's table, written out by hand: (trigger, from) → to
TABLE = {
    ("accept", "registered"): "accepted", ("reject", "registered"): "rejected",
    ("assign", "accepted"): "assigned",
    ("reassign", "assigned"): "assigned", ("reassign", "in_mediation"): "in_mediation",
    ("start_mediation", "assigned"): "in_mediation", ("extend", "in_mediation"): "in_mediation",
    ("escalate", "accepted"): "accepted", ("escalate", "assigned"): "accepted", ("escalate", "in_mediation"): "accepted",
    ("reach_agreement", "in_mediation"): "agreed", ("fail", "in_mediation"): "closed",
    ("withdraw", "registered"): "closed", ("withdraw", "accepted"): "closed", ("withdraw", "assigned"): "closed",
    ("withdraw", "in_mediation"): "closed",
    ("request_confirmation", "agreed"): "agreed", ("request_confirmation", "follow_up"): "follow_up",
    ("record_confirmation", "agreed"): "agreed", ("record_confirmation", "follow_up"): "follow_up",
    ("start_follow_up", "agreed"): "follow_up", ("record_follow_up", "follow_up"): "follow_up",
    ("reopen", "follow_up"): "in_mediation", ("close", "follow_up"): "closed",
}
OUTCOMES = {"reject": "rejected", "fail": "failed", "withdraw": "withdrawn", "close": "agreement"}


def passing(trigger: str) -> tuple[dict, dict]:
    """Facts and payload under which every guard of `trigger` is satisfied."""
    facts = {
        "handling_org_path": [1, 2, 3, 4], "committee_mediators": {"li": "李调解", "wang": "王调解"},
        "mediators": {"li": "李调解", "wang": "王调解"}, "party_names": ["张三", "李四"],
        "target_org_path": [1, 2], "target_active": True,
        "agreement_form": "written", "agreed_at": AGREED, "confirmation": "none",
        "occurred_at": AGREED + timedelta(days=3), "follow_up_count": 1, "last_performance": "partial",
        "extensions_used": 0, "max_extensions": 1, "max_extension_days": 30,
    }
    payload = {"mediators": ["li", "wang"], "lead": "li", "days": 10, "parties_consent": True, "committee": "C9"}
    if trigger == "record_confirmation":
        facts["confirmation"] = "requested"
    return facts, payload


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("trigger", TRIGGERS)
def test_every_trigger_from_every_state(trigger, state):
    facts, payload = passing(trigger)
    expected = TABLE.get((trigger, state))
    if expected is None:
        with pytest.raises(InvalidTransition) as caught:
            STANDARD.fire(state, trigger, facts, payload)
        assert caught.value.code == "invalid_transition"
        assert caught.value.details["state"] == state and caught.value.details["trigger"] == trigger
        assert trigger not in STANDARD.allowed_triggers(state)
    else:
        assert STANDARD.fire(state, trigger, facts, payload) == expected
        transition = STANDARD.transition_for(trigger, state)
        assert transition.outcome == OUTCOMES.get(trigger)
        assert trigger in STANDARD.allowed_triggers(state)


def test_the_table_is_exactly_the_designs():
    declared = {(t.trigger, s): (s if t.dest == "=" else t.dest) for t in STANDARD.transitions for s in t.source}
    assert declared == TABLE
    assert set(STANDARD.states) == set(STATES)
    assert STANDARD.initial == "registered"
    assert STANDARD.final == {"closed", "rejected"}
    assert STANDARD.triggers == TRIGGERS


@pytest.mark.parametrize("trigger", ["fly", "register", "", "ACCEPT", "accept ", "__init__", "state"])
def test_unknown_trigger_refused(trigger):
    with pytest.raises(InvalidTransition) as caught:
        STANDARD.fire("registered", trigger, {}, {})
    assert "unknown trigger" in caught.value.message


def test_unknown_state_allows_nothing():
    assert STANDARD.allowed_triggers("nowhere") == []
    with pytest.raises(InvalidTransition):
        STANDARD.fire("nowhere", "accept", {}, {})


@pytest.mark.parametrize("state, allowed", [
    ("registered", ["accept", "reject", "withdraw"]),
    ("accepted", ["assign", "escalate", "withdraw"]),
    ("assigned", ["reassign", "start_mediation", "escalate", "withdraw"]),
    ("in_mediation", ["reassign", "extend", "escalate", "reach_agreement", "fail", "withdraw"]),
    ("agreed", ["request_confirmation", "record_confirmation", "start_follow_up"]),
    ("follow_up", ["request_confirmation", "record_confirmation", "record_follow_up", "reopen", "close"]),
    ("closed", []),
    ("rejected", []),
])
def test_allowed_triggers_per_state(state, allowed):
    assert STANDARD.allowed_triggers(state) == allowed  # in table order, guards not evaluated


# -- every guard's refusal, with its reason code --------------------------------------------------
def change(facts=None, payload=None):
    return facts or {}, payload or {}


GUARD_CASES = [
    # trigger, state, facts changed, payload changed, reason
    ("assign", "accepted", {}, {"mediators": []}, "no_mediator"),
    ("assign", "accepted", {}, {"mediators": None}, "no_mediator"),
    ("assign", "accepted", {}, {"mediators": ["li", "zhao"]}, "mediator_not_in_committee"),
    ("assign", "accepted", {"committee_mediators": {}}, {}, "mediator_not_in_committee"),
    ("assign", "accepted", {"party_names": ["王调解"]}, {}, "mediator_is_party"),
    ("reassign", "assigned", {}, {"mediators": []}, "no_mediator"),
    ("reassign", "in_mediation", {}, {"mediators": ["zhao"]}, "mediator_not_in_committee"),
    ("reassign", "in_mediation", {"party_names": ["李调解"]}, {}, "mediator_is_party"),
    ("extend", "in_mediation", {}, {"parties_consent": False}, "no_parties_consent"),
    ("extend", "in_mediation", {}, {"parties_consent": None}, "no_parties_consent"),
    ("extend", "in_mediation", {}, {"parties_consent": "yes"}, "no_parties_consent"),
    ("extend", "in_mediation", {}, {"days": 31}, "extension_too_long"),
    ("extend", "in_mediation", {"max_extension_days": 9}, {}, "extension_too_long"),
    ("extend", "in_mediation", {"extensions_used": 1}, {}, "extensions_exhausted"),
    ("extend", "in_mediation", {"max_extensions": 0, "extensions_used": 0}, {}, "extensions_exhausted"),
    ("escalate", "accepted", {"target_org_path": [1, 2, 3, 4]}, {}, "not_a_higher_committee"),  # same org
    ("escalate", "assigned", {"target_org_path": [1, 2, 3, 4, 5]}, {}, "not_a_higher_committee"),  # below
    ("escalate", "in_mediation", {"target_org_path": [1, 2, 9]}, {}, "not_a_higher_committee"),  # a cousin
    ("escalate", "accepted", {"target_org_path": [7]}, {}, "not_a_higher_committee"),  # another tree
    ("escalate", "accepted", {"target_org_path": []}, {}, "not_a_higher_committee"),
    ("escalate", "accepted", {"target_active": False}, {}, "committee_inactive"),
    ("request_confirmation", "agreed", {"agreement_form": "oral"}, {}, "agreement_not_written"),
    ("request_confirmation", "follow_up", {"agreement_form": None}, {}, "agreement_not_written"),
    ("request_confirmation", "agreed", {"occurred_at": AGREED + timedelta(days=30, seconds=1)}, {},
     "confirmation_window_closed"),
    ("request_confirmation", "agreed", {"agreed_at": None}, {}, "confirmation_window_closed"),
    ("request_confirmation", "agreed", {"confirmation": "requested"}, {}, "confirmation_already_requested"),
    ("request_confirmation", "follow_up", {"confirmation": "confirmed"}, {}, "confirmation_already_requested"),
    ("record_confirmation", "agreed", {"confirmation": "none"}, {}, "confirmation_not_requested"),
    ("record_confirmation", "follow_up", {"confirmation": "denied"}, {}, "confirmation_not_requested"),
    ("reopen", "follow_up", {"follow_up_count": 0, "last_performance": None}, {}, "no_follow_up"),
    ("reopen", "follow_up", {"last_performance": "full"}, {}, "performance_full"),
    ("close", "follow_up", {"follow_up_count": 0}, {}, "no_follow_up"),
]


@pytest.mark.parametrize("trigger, state, facts_change, payload_change, reason", GUARD_CASES)
def test_each_guard_refuses_with_its_reason(trigger, state, facts_change, payload_change, reason):
    facts, payload = passing(trigger)
    assert STANDARD.fire(state, trigger, facts, payload) == TABLE[(trigger, state)]  # passes as given
    facts.update(facts_change)
    payload.update(payload_change)
    with pytest.raises(GuardFailed) as caught:
        STANDARD.fire(state, trigger, facts, payload)
    exc = caught.value
    assert exc.code == "guard_failed" and exc.reason == reason and exc.details["reason"] == reason
    assert exc.details["trigger"] == trigger
    assert exc.message and exc.message != reason  # a human sentence beside the code


def test_every_declared_guard_is_exercised():
    reasons = {getattr(g, "reason", g.__name__) for t in STANDARD.transitions for g in t.guards}
    assert reasons == {case[-1] for case in GUARD_CASES}


@pytest.mark.parametrize("facts_change, allowed", [
    ({"occurred_at": AGREED + timedelta(days=30)}, True),  # the 30th day still counts
    ({"occurred_at": AGREED}, True),
    ({"confirmation": "denied"}, True),  # a denied request may be made again within the window
])
def test_confirmation_window_edges(facts_change, allowed):
    facts, payload = passing("request_confirmation")
    facts.update(facts_change)
    assert STANDARD.fire("agreed", "request_confirmation", facts, payload) == "agreed"


def test_extension_of_exactly_the_maximum_is_allowed():
    facts, payload = passing("extend")
    payload["days"] = facts["max_extension_days"]
    assert STANDARD.fire("in_mediation", "extend", facts, payload) == "in_mediation"


def test_first_failing_guard_is_the_one_reported():
    facts, payload = passing("extend")
    payload.update(parties_consent=False, days=99)
    facts["extensions_used"] = 5
    with pytest.raises(GuardFailed) as caught:
        STANDARD.fire("in_mediation", "extend", facts, payload)
    assert caught.value.reason == "no_parties_consent"


def test_a_refusal_leaves_the_machine_clean():
    facts, payload = passing("close")
    facts["follow_up_count"] = 0
    with pytest.raises(GuardFailed):
        STANDARD.fire("follow_up", "close", facts, payload)
    facts["follow_up_count"] = 1
    assert STANDARD.fire("follow_up", "close", facts, payload) == "closed"
    assert STANDARD.fire("registered", "accept", {}, {}) == "accepted"  # the state is the caller's each time
    for _ in range(50):
        STANDARD.fire("registered", "accept", {}, {})
    assert len(STANDARD._machine().models) <= 1  # one throwaway subject per thread, nothing piles up


def test_concurrent_use_from_threads():
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(200):
                facts, payload = passing("extend")
                facts["extensions_used"] = (i + n) % 2
                if facts["extensions_used"]:
                    try:
                        STANDARD.fire("in_mediation", "extend", facts, payload)
                        raise AssertionError("an exhausted extension went through")
                    except GuardFailed as exc:
                        assert exc.reason == "extensions_exhausted"
                else:
                    assert STANDARD.fire("in_mediation", "extend", facts, payload) == "in_mediation"
                assert STANDARD.fire("registered", "accept", {}, {}) == "accepted"
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# -- machines by name -------------------------------------------------------------------------
def test_machines_by_name():
    assert workflows.get("standard") is STANDARD
    assert workflows.get() is STANDARD
    assert workflows.MACHINES == {"standard": STANDARD}
    with pytest.raises(KeyError) as caught:
        workflows.get("simple")
    assert "simple" in str(caught.value) and "standard" in str(caught.value)


# -- the definition validates its own table -----------------------------------------------------
def test_the_standard_definition_is_well_formed():
    assert STANDARD.problems() == []


T = Transition.of


@pytest.mark.parametrize("kwargs, problem", [
    ({"transitions": [T("go", "a", "b"), T("fly", "a", "nowhere")]}, "unknown states ['nowhere']"),
    ({"transitions": [T("go", "a", "b"), T("go", ("a", "b"), "b")]}, "declared twice from 'a'"),
    ({"transitions": [T("go", "a", "b"), T("back", "b", "a")]}, "leaves final state 'b'"),
    ({"transitions": [T("go", "a", "b"), T("x", "a", "a", outcome="done")]}, "sets an outcome without entering"),
    ({"transitions": [T("go", "a", "b"), T("spin", "c", "=")], "states": ("a", "b", "c")}, "unreachable states ['c']"),
    ({"transitions": [T("go", "a", "c"), T("spin", "c", "="), T("end", "a", "b")], "states": ("a", "b", "c")},
     "state 'c' is not final but has no way out"),
    ({"initial": "z"}, "initial state 'z' is not a state"),
    ({"initial": "b"}, "initial state 'b' is final"),
    ({"final": ("b", "q")}, "final states ['q'] are not states"),
    ({"states": ("a", "b", "a")}, "without repeats"),
    ({"transitions": [T("go now", "a", "b")]}, "trigger must be an identifier"),
    ({"transitions": [T("go", (), "b")]}, "no source state"),
    ({"transitions": [Transition("go", ("a",), "b", ("not callable",))]}, "every guard must be callable"),
])
def test_a_broken_table_is_refused(kwargs, problem):
    config = {"name": "broken", "states": ("a", "b"), "initial": "a", "final": ("b",),
              "transitions": [T("go", "a", "b")], **kwargs}
    with pytest.raises(ValueError) as caught:
        WorkflowDefinition(**config)
    assert problem in str(caught.value)


def test_a_small_valid_definition_works():
    def enough(ctx):
        return None if ctx.payload.get("n", 0) >= 2 else "needs two"

    wf = WorkflowDefinition("tiny", ("open", "shut"), "open", ("shut",),
                            [T("poke", "open", "="), T("shut", "open", "shut", enough, outcome="done")])
    assert wf.fire("open", "poke", {}, {}) == "open"
    with pytest.raises(GuardFailed) as caught:
        wf.fire("open", "shut", {}, {"n": 1})
    assert caught.value.reason == "enough" and caught.value.message == "needs two"  # reason defaults to the name
    assert wf.fire("open", "shut", {}, {"n": 2}) == "shut"


# -- nothing in workflows/ imports Flask or the application --------------------------------------
BLOCKER = r"""
import importlib, pkgutil, sys
BLOCKED = ("flask", "mediation", "sqlalchemy", "flask_sqlalchemy", "celery")
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError("workflows must not import " + name)
        return None
sys.meta_path.insert(0, Block())
import workflows
names = [m.name for m in pkgutil.walk_packages(workflows.__path__, "workflows.")]
for name in names:
    importlib.import_module(name)
assert workflows.get("standard").fire("registered", "accept", {}, {}) == "accepted"
leaked = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
print("modules", len(names), "leaked", leaked)
"""


def test_workflows_import_neither_flask_nor_the_application():
    done = subprocess.run([sys.executable, "-c", BLOCKER], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "leaked []" in done.stdout
    assert "modules 0" not in done.stdout
