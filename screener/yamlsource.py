"""YAML parsing that keeps line numbers and refuses what PyYAML would silently accept.

PyYAML's ``safe_load`` keeps the last of duplicate keys and turns plain ``No`` or
``1:30`` into a boolean or a number. Content errors must point at a line, so we
compose the node graph ourselves, record where every value came from and which
plain scalars YAML 1.1 turned into something other than text.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Mark:
    """A 1-based line and column in a source file."""

    line: int
    col: int


@dataclass(frozen=True)
class Problem:
    """One content fault, printed as ``file:line:col: message``."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


@dataclass
class Parsed:
    """Plain Python data plus where each part of it stood in the file."""

    value: Any
    marks: dict[Path_, Mark] = field(default_factory=dict)
    # plain scalars that YAML 1.1 resolved to a non-string: path -> (source text, type name)
    coerced: dict[Path_, tuple[str, str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def mark(self, path: Path_) -> Mark:
        """The mark of the longest prefix of ``path`` that has one."""
        for end in range(len(path), -1, -1):
            found = self.marks.get(path[:end])
            if found is not None:
                return found
        return Mark(1, 1)


class _Constructor(yaml.constructor.SafeConstructor):
    pass


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


def parse(text: str, filename: str) -> Parsed:
    """Parse one YAML document; syntax and duplicate-key faults land in ``problems``."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        what = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        return Parsed(None, problems=[Problem(filename, line, col, f"YAML syntax error: {what}")])
    except yaml.YAMLError as exc:
        return Parsed(None, problems=[Problem(filename, 1, 1, f"YAML error: {exc}")])
    parsed = Parsed(None)
    if root is None:
        parsed.problems.append(Problem(filename, 1, 1, "the file is empty"))
        return parsed
    parsed.marks[()] = _mark(root)
    parsed.value = _convert(root, (), parsed, filename, _Constructor())
    return parsed


def _convert(node: yaml.Node, path: Path_, out: Parsed, filename: str, ctor: _Constructor) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value = ctor.construct_object(node, deep=True)
        if not isinstance(value, str) and node.style is None and value is not None:
            out.coerced[path] = (str(node.value), type(value).__name__)
        return value
    if isinstance(node, yaml.SequenceNode):
        items: list[Any] = []
        for index, child in enumerate(node.value):
            out.marks[(*path, index)] = _mark(child)
            items.append(_convert(child, (*path, index), out, filename, ctor))
        return items
    if isinstance(node, yaml.MappingNode):
        mapping: dict[Any, Any] = {}
        first_seen: dict[Any, Mark] = {}
        for key_node, value_node in node.value:
            key_mark = _mark(key_node)
            if not isinstance(key_node, yaml.ScalarNode):
                out.problems.append(
                    Problem(
                        filename, key_mark.line, key_mark.col, "a mapping key must be plain text"
                    )
                )
                continue
            key = ctor.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                key = str(key_node.value)
            if key in first_seen:
                first = first_seen[key]
                out.problems.append(
                    Problem(
                        filename,
                        key_mark.line,
                        key_mark.col,
                        f"duplicate key {key_node.value!r} (first at line {first.line})",
                    )
                )
                continue
            first_seen[key] = key_mark
            out.marks[(*path, key)] = key_mark
            mapping[key] = _convert(value_node, (*path, key), out, filename, ctor)
        return mapping
    raise TypeError(
        f"unexpected YAML node {node!r}"
    )  # pragma: no cover - compose yields only these
