"""YAML that remembers where each value came from, so errors can say `file:line`.

PyYAML builds plain Python data and forgets positions. We compose the node tree once, construct the data from it
as usual (safe types only), and walk the same tree to map every key path (`("filters", 0)`) to its line. Duplicate
keys, which PyYAML silently lets the last one win, are reported as problems here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError, Problem
from .textfile import read_utf8

Path_ = tuple[str | int, ...]
# libyaml's parser when PyYAML was built with it (the wheels are): the same nodes and marks, ten times faster.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class YamlDocument:
    file: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of the deepest part of `path` that the file has (a missing key points at its parent)."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


def parse_yaml(text: str, file: str, *, first_line: int = 1) -> YamlDocument:
    """Parse one YAML document; syntax errors become a Problem with the line, never an exception."""
    offset = first_line - 1
    try:
        try:
            node, data = _compose(_Loader, text)
        except yaml.YAMLError:
            # Only to word the error: PyYAML's own parser names the offending character ("found character '\t'").
            node, data = _compose(yaml.SafeLoader, text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + offset if mark else None
        what = exc.problem or "invalid YAML"
        return YamlDocument(file, None, problems=[Problem(file, line, f"this is not valid YAML: {what}")])
    except yaml.YAMLError as exc:
        return YamlDocument(file, None, problems=[Problem(file, None, f"this is not valid YAML: {exc}")])

    doc = YamlDocument(file, data)
    if node is not None:
        doc.lines[()] = node.start_mark.line + 1 + offset
        _index(node, (), doc, offset, set(), set())
    if any(p.message.endswith(_SELF_REFERENCE) for p in doc.problems):
        doc.data = None  # data that contains itself would make whatever walks it later recurse forever
    return doc


_SELF_REFERENCE = "contains itself (an alias inside its own anchor); YAML data must not refer to itself"


def _compose(loader_class: Any, text: str) -> tuple[yaml.Node | None, Any]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        return node, loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def load_yaml_file(path: Path, display_name: str) -> YamlDocument:
    try:
        text = read_utf8(path, display_name)
    except ConfigError as exc:
        return YamlDocument(display_name, None, problems=exc.problems)
    return parse_yaml(text, display_name)


def _index(
    node: yaml.Node, path: Path_, doc: YamlDocument, offset: int, seen_nodes: set[int], ancestors: set[int]
) -> None:
    # An alias (*name) is the same node object again: index it once, so that nested aliases (a "billion laughs")
    # cost nothing instead of exploding. An alias inside its own anchor is a node among its own ancestors.
    if id(node) in ancestors:
        name = ".".join(str(part) for part in path[:-1]) or "the document"
        doc.problems.append(Problem(doc.file, doc.line_of(path[:-1]), f"{name}: {_SELF_REFERENCE}"))
        return
    if id(node) in seen_nodes:
        return
    seen_nodes.add(id(node))
    ancestors.add(id(node))
    try:
        _index_children(node, path, doc, offset, seen_nodes, ancestors)
    finally:
        ancestors.discard(id(node))


def _index_children(
    node: yaml.Node, path: Path_, doc: YamlDocument, offset: int, seen_nodes: set[int], ancestors: set[int]
) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1 + offset
            if key in seen:
                doc.problems.append(
                    Problem(doc.file, line, f"{key}: appears twice (first on line {seen[key]}); keep one")
                )
            seen[key] = line
            doc.lines[(*path, key)] = line
            _index(value_node, (*path, key), doc, offset, seen_nodes, ancestors)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            doc.lines[(*path, i)] = item.start_mark.line + 1 + offset
            _index(item, (*path, i), doc, offset, seen_nodes, ancestors)
