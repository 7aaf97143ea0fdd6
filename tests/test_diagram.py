"""The workflow diagram in docs/ is generated from the machine's own definition and cannot drift."""
import re
from pathlib import Path

import workflows
from tools.draw_workflow import dot_source

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_committed_dot_is_what_the_definition_draws():
    committed = (DOCS / "workflow.dot").read_text(encoding="utf-8")
    assert dot_source(workflows.get("standard")) == committed, (
        "docs/workflow.dot is stale: run `make diagram` (python -m tools.draw_workflow docs/workflow.svg) and commit")


def test_every_trigger_state_and_guard_is_drawn():
    definition = workflows.get("standard")
    source = dot_source(definition)
    edge_labels = " ".join(re.findall(r'-> \S+ \[label="([^"]*)"', source))
    drawn_triggers = set(re.findall(r"(?:^|\\l| )([a-z_]+)(?=\\l)", edge_labels))
    assert set(definition.triggers) <= drawn_triggers, set(definition.triggers) - drawn_triggers
    for state in definition.states:
        assert re.search(rf"^\s*{state} \[label=\"{state}\\n{definition.labels[state]}", source, re.M), state
    for transition in definition.transitions:
        for guard in transition.guards:
            assert f"[{guard.__name__}]" in edge_labels, guard.__name__


def test_committed_svg_shows_every_trigger():
    svg = (DOCS / "workflow.svg").read_text(encoding="utf-8")
    for trigger in workflows.get("standard").triggers:
        assert f">{trigger}<" in svg, trigger


def test_workflow_doc_names_every_trigger_guard_and_reason():
    doc = (DOCS / "workflow.md").read_text(encoding="utf-8")
    assert "(workflow.svg)" in doc
    definition = workflows.get("standard")
    for state in definition.states:
        assert f"`{state}`" in doc, state
    for transition in definition.transitions:
        assert f"`{transition.trigger}`" in doc, transition.trigger
        for guard in transition.guards:
            assert f"`{guard.__name__}`" in doc and f"`{getattr(guard, 'reason', guard.__name__)}`" in doc, guard
