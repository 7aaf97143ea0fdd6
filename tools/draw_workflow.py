"""Draws a workflow definition (流程图) from the machine's own table, so the picture cannot drift.

    python -m tools.draw_workflow docs/workflow.svg [--workflow standard]

writes the DOT source next to the SVG (docs/workflow.dot: needs only the `graphviz` PyPI package)
and renders the SVG with Graphviz's `dot` program (apt-get install graphviz). The graph is built by
`transitions`' GraphMachine from `WorkflowDefinition.machine_config()`: the same states,
transitions and guards the services fire. Edge labels name the guards that must hold.
"""
from __future__ import annotations

import argparse
import copy
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

import graphviz
from transitions import State
from transitions.extensions import GraphMachine
from transitions.extensions.diagrams_graphviz import Graph

import workflows
from workflows.base import WorkflowDefinition

# Listed in order of preference; the first one installed gives Graphviz its glyph widths.
FONT = "WenQuanYi Micro Hei,Noto Sans CJK SC,Microsoft YaHei,PingFang SC,sans-serif"
TITLE = "人民调解案件流程 · dispute workflow"


class _LabelledState(State):
    """A state that also carries the label the diagram shows (its code and Chinese name)."""

    def __init__(self, *args: Any, label: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if label:
            self.label = label


class _DiagramGraph(Graph):
    """Edge labels on several lines: each trigger, then the guards that must hold, one per line."""

    def _transition_label(self, tran: dict[str, Any]) -> str:
        guards = tran.get("conditions", [])
        return tran["trigger"] + "".join(f"\\l  [{g}]" for g in guards) + "\\l"

    def _add_edges(self, transitions: list[dict[str, Any]], container: graphviz.Digraph) -> None:
        merged: dict[tuple[str, str], list[str]] = {}
        for tran in transitions:
            merged.setdefault((tran["source"], tran.get("dest", tran["source"])), []).append(
                self._transition_label(tran))
        for (src, dst), labels in merged.items():
            container.edge(src, dst, label="".join(labels))


class _DiagramMachine(GraphMachine):
    """GraphMachine with labelled states and styles for the initial and the final states."""

    state_cls = _LabelledState
    machine_attributes = {**GraphMachine.machine_attributes, "rankdir": "TB", "nodesep": "0.6", "ranksep": "0.5"}

    def _init_graphviz_engine(self, graph_engine: str) -> type:
        return _DiagramGraph
    style_attributes = copy.deepcopy(GraphMachine.style_attributes)
    style_attributes["node"]["initial"] = {"fillcolor": "lightyellow", "color": "black", "peripheries": "1"}
    style_attributes["node"]["final"] = {"fillcolor": "lightgrey", "color": "black", "peripheries": "2"}


def build_graph(definition: WorkflowDefinition) -> graphviz.Digraph:
    """The diagram of `definition` as a graphviz Digraph (no Graphviz binary needed)."""
    config = definition.machine_config()
    for row in config["transitions"]:
        row["conditions"] = [condition.__name__ for condition in row["conditions"]]
    config["states"] = [{"name": s, "label": f"{s}\\n{definition.labels.get(s, s)}"} for s in definition.states]
    title = f"{TITLE} ({definition.name})"
    machine = _DiagramMachine(title=title, show_conditions=True, graph_engine="graphviz", **config)
    graph = machine.model_graphs[id(machine)]
    graph.reset_styling()  # the machine itself is the model; don't paint its state as "active"
    graph.set_node_style(definition.initial, "initial")
    for state in definition.states:
        if state in definition.final:
            graph.set_node_style(state, "final")
    digraph = graph.get_graph(title)
    for attrs in (digraph.graph_attr, digraph.node_attr, digraph.edge_attr):
        attrs["fontname"] = FONT
    digraph.edge_attr["fontsize"] = "10"
    return digraph


def dot_source(definition: WorkflowDefinition) -> str:
    """The DOT source of the diagram of `definition` (what docs/workflow.dot holds)."""
    return build_graph(definition).source


def write(svg_path: Path, definition: WorkflowDefinition) -> tuple[Path, Optional[Path]]:
    """Writes `<name>.dot` next to `svg_path`, then the SVG; returns (dot, svg or None without `dot`)."""
    source = dot_source(definition)
    svg_path.parent.mkdir(parents=True, exist_ok=True)
    dot_path = svg_path.with_suffix(".dot")
    dot_path.write_text(source, encoding="utf-8")
    try:
        svg = graphviz.Source(source).pipe(format="svg", encoding="utf-8")
    except graphviz.ExecutableNotFound:
        return dot_path, None
    svg_path.write_text(svg, encoding="utf-8")
    return dot_path, svg_path


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command line: writes the DOT source and the SVG of a workflow."""
    parser = argparse.ArgumentParser(prog="python -m tools.draw_workflow", description=__doc__.splitlines()[0])
    parser.add_argument("svg", nargs="?", default="docs/workflow.svg", help="where the SVG goes (.dot beside it)")
    parser.add_argument("--workflow", default="standard", help="the registered workflow to draw")
    args = parser.parse_args(argv)
    dot_path, svg_path = write(Path(args.svg), workflows.get(args.workflow))
    print(f"wrote {dot_path}")
    if svg_path is None:
        print("the SVG needs Graphviz's `dot` program (apt-get install graphviz); only the DOT source was written",
              file=sys.stderr)
        return 1
    print(f"wrote {svg_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
