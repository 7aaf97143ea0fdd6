"""The machinery shared by every workflow definition: transitions as data, guards as pure functions."""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from transitions import Machine, MachineError

# A guard looks at the facts and the payload and returns None when satisfied, or the reason it is not.
Guard = Callable[["Context"], Optional[str]]


class WorkflowError(Exception):
    code = "workflow_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidTransition(WorkflowError):
    """The trigger is not declared from the current state (deny unless declared)."""

    code = "invalid_transition"


class GuardFailed(WorkflowError):
    """A rule of the workflow said no; `reason` is its machine-readable name."""

    code = "guard_failed"

    def __init__(self, message: str, reason: str, **details: Any) -> None:
        super().__init__(message, reason=reason, **details)
        self.reason = reason


@dataclass
class Context:
    """What guards may look at: `facts` gathered by the caller, and the trigger's `payload`."""

    facts: dict[str, Any] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)
    refusal: Optional[tuple[str, str]] = None  # (reason, message) of the first failed guard


@dataclass(frozen=True)
class Transition:
    """One row of the workflow table.

    `dest="="` keeps the state (a reflexive step such as `extend`). `outcome` is set on the
    dispute when the step is taken; `tags` name the effects services attach to it.
    """

    trigger: str
    source: tuple[str, ...]
    dest: str
    guards: tuple[Guard, ...] = ()
    outcome: Optional[str] = None
    tags: frozenset[str] = frozenset()

    @classmethod
    def of(cls, trigger: str, source: str | Sequence[str], dest: str, *guards: Guard,
           outcome: Optional[str] = None, tags: Sequence[str] = ()) -> Transition:
        src = (source,) if isinstance(source, str) else tuple(source)
        return cls(trigger, src, dest, tuple(guards), outcome, frozenset(tags))


class _Subject:
    """The object a machine moves: holds only the state."""

    def __init__(self, state: str) -> None:
        self.state = state


class WorkflowDefinition:
    """A named machine: states, initial and final states, and its transition table."""

    def __init__(self, name: str, states: Sequence[str], initial: str, final: Sequence[str],
                 transitions: Sequence[Transition], labels: Optional[dict[str, str]] = None) -> None:
        self.name = name
        self.states = tuple(states)
        self.initial = initial
        self.final = frozenset(final)
        self.transitions = tuple(transitions)
        self.labels = labels or {}
        self.triggers = tuple(dict.fromkeys(t.trigger for t in self.transitions))
        self._by_trigger: dict[str, list[Transition]] = {}
        for t in self.transitions:
            self._by_trigger.setdefault(t.trigger, []).append(t)
        self._local = threading.local()
        problems = self.problems()
        if problems:
            raise ValueError(f"workflow {name!r} is not well-formed: " + "; ".join(problems))

    # -- checking the table ------------------------------------------------------------------
    def problems(self) -> list[str]:
        """What is wrong with this definition's table (empty when it is well-formed).

        States are unique and known, the initial state is not final, every transition's trigger
        is an identifier, its sources and destination are known states, no trigger is declared
        twice from one state, nothing leaves a final state, an outcome is only set on entering a
        final state, every state is reachable from the initial one and every state that is not
        final has a way out.
        """
        found: list[str] = []
        known = set(self.states)
        if not self.states or len(known) != len(self.states):
            found.append("states must be a non-empty list without repeats")
        if self.initial not in known:
            found.append(f"initial state {self.initial!r} is not a state")
        elif self.initial in self.final:
            found.append(f"initial state {self.initial!r} is final")
        if not self.final <= known:
            found.append(f"final states {sorted(self.final - known)} are not states")
        seen: set[tuple[str, str]] = set()
        for t in self.transitions:
            where = f"{t.trigger}"
            if not t.trigger.isidentifier():
                found.append(f"{where}: trigger must be an identifier")
            if not t.source:
                found.append(f"{where}: no source state")
            unknown = [s for s in (*t.source, t.dest) if s != "=" and s not in known]
            if unknown:
                found.append(f"{where}: unknown states {unknown}")
            for src in t.source:
                if (t.trigger, src) in seen:
                    found.append(f"{where}: declared twice from {src!r}")
                seen.add((t.trigger, src))
                if src in self.final:
                    found.append(f"{where}: leaves final state {src!r}")
            if t.outcome is not None and t.dest not in self.final:
                found.append(f"{where}: sets an outcome without entering a final state")
            if not all(callable(g) for g in t.guards):
                found.append(f"{where}: every guard must be callable")
        reached, todo = {self.initial}, [self.initial]
        while todo:
            state = todo.pop()
            for t in self.transitions:
                dest = state if t.dest == "=" else t.dest
                if state in t.source and dest not in reached:
                    reached.add(dest)
                    todo.append(dest)
        unreachable = [s for s in self.states if s not in reached]
        if unreachable and self.initial in known:
            found.append(f"unreachable states {unreachable}")
        for state in self.states:
            if state not in self.final and not any(
                    state in t.source and t.dest not in ("=", state) for t in self.transitions):
                found.append(f"state {state!r} is not final but has no way out")
        return found

    # -- reading the table -------------------------------------------------------------------
    def allowed_triggers(self, state: str) -> list[str]:
        """Triggers declared from `state`, in table order (guards are not evaluated)."""
        return [t for t in self.triggers if any(state in x.source for x in self._by_trigger[t])]

    def transition_for(self, trigger: str, state: str) -> Transition:
        for t in self._by_trigger.get(trigger, ()):
            if state in t.source:
                return t
        if trigger not in self._by_trigger:
            raise InvalidTransition(f"unknown trigger {trigger!r}", trigger=trigger, state=state)
        raise InvalidTransition(f"{trigger!r} is not allowed from state {state!r}", trigger=trigger, state=state,
                                allowed=self.allowed_triggers(state))

    # -- running it --------------------------------------------------------------------------
    def machine_config(self) -> dict[str, Any]:
        """The `transitions` configuration of this definition (also used to draw the diagram)."""
        rows = []
        for t in self.transitions:
            rows.append({
                "trigger": t.trigger,
                "source": list(t.source),
                "dest": t.dest,
                "conditions": [self._condition(g) for g in t.guards],
            })
        return {"states": list(self.states), "transitions": rows, "initial": self.initial,
                "auto_transitions": False, "send_event": True, "ignore_invalid_triggers": False}

    @staticmethod
    def _condition(guard: Guard) -> Callable[[Any], bool]:
        def condition(event) -> bool:
            ctx: Context = event.kwargs["ctx"]
            if ctx.refusal is not None:  # an earlier guard already said no
                return False
            reason = guard(ctx)
            if reason is None:
                return True
            ctx.refusal = (getattr(guard, "reason", guard.__name__), reason)
            return False

        condition.__name__ = guard.__name__
        return condition

    def _machine(self) -> Machine:
        machine = getattr(self._local, "machine", None)
        if machine is None:
            config = self.machine_config()
            config.pop("initial")
            machine = Machine(model=None, initial=self.initial, **config)
            self._local.machine = machine
        return machine

    def _subject(self, machine: Machine) -> _Subject:
        """This thread's throwaway subject, added to its machine once (adding a model costs ~10× a step)."""
        subject = getattr(self._local, "subject", None)
        if subject is None:
            subject = _Subject(self.initial)
            machine.add_model(subject, initial=self.initial)
            self._local.subject = subject
        return subject

    def fire(self, state: str, trigger: str, facts: dict[str, Any], payload: dict[str, Any]) -> str:
        """Applies `trigger` to a dispute in `state`; returns the new state or raises.

        Nothing is changed on refusal: the machine only ever moves a throwaway subject.
        """
        transition = self.transition_for(trigger, state)
        ctx = Context(facts=facts, payload=payload)
        machine = self._machine()
        subject = self._subject(machine)
        machine.set_state(state, model=subject)  # the subject is reused; its state is the caller's each time
        try:
            ok = getattr(subject, trigger)(ctx=ctx)
        except MachineError as exc:  # pragma: no cover - transition_for already checked
            raise InvalidTransition(str(exc), trigger=trigger, state=state) from exc
        if not ok:
            reason, message = ctx.refusal or ("guard_failed", "a workflow rule refused the step")
            raise GuardFailed(message, reason=reason, trigger=trigger)
        return state if transition.dest == "=" else subject.state


def guard(reason: str):
    """Names a guard's refusal reason (defaults to the function's name)."""

    def mark(fn: Guard) -> Guard:
        fn.reason = reason  # type: ignore[attr-defined]
        return fn

    return mark
