"""Dispute workflows as plain data and pure guards, on `transitions`. No Flask, no models.

Machines are kept by name so that variants bureaus run (on-the-spot simple mediation,
court-referred pre-litigation mediation) can be added as data without touching the services.
"""
from workflows.base import Context, GuardFailed, InvalidTransition, Transition, WorkflowDefinition, WorkflowError
from workflows.dispute import STANDARD

MACHINES: dict[str, WorkflowDefinition] = {STANDARD.name: STANDARD}


def get(name: str = "standard") -> WorkflowDefinition:
    """The machine definition registered under `name`."""
    try:
        return MACHINES[name]
    except KeyError:
        raise KeyError(f"no workflow named {name!r}; known: {sorted(MACHINES)}") from None


__all__ = ["Context", "GuardFailed", "InvalidTransition", "MACHINES", "Transition", "WorkflowDefinition",
           "WorkflowError", "get"]
