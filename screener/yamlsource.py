"""YAML parsing that keeps line numbers and refuses what PyYAML would silently accept.

PyYAML's ``safe_load`` keeps the last of duplicate keys and turns plain ``No`` or
``1:30`` into a boolean or a number. Content errors must point at a line, so we
compose the node graph ourselves, record where every value came from and which
plain scalars YAML 1.1 turned into something other than text.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # PyYAML is imported on the first parse: content read back from the
    import yaml  # cache (every command's) holds these records but never parses

Path_ = tuple[str | int, ...]

# a real file of content is a few thousand values; aliases can multiply that
# ("billion laughs"), so conversion stops past this many
MAX_VALUES = 1_000_000
_PLAIN_NUMBER = re.compile(
    r"^[-+]?(0|[1-9]\d*)(\.\d*)?([eE][-+]?\d+)?$|^[-+]?\.\d+([eE][-+]?\d+)?$"
    r"|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$"
)
_SAFE_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}


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


@cache
def _constructor_class() -> type[yaml.constructor.SafeConstructor]:
    import yaml

    class _Constructor(yaml.constructor.SafeConstructor):
        pass

    return _Constructor


class _Stop(Exception):
    """A fault after which the rest of the file cannot be read sensibly."""

    def __init__(self, mark: Mark, message: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.message = message


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


#: libyaml's C parser when PyYAML was built with it (the wheels are): the same node
#: graph with the same line and column marks, about 10x faster than the Python one,
#: which parsing the bundled content spent most of a command's start-up in.
#: Looked up on the first parse (``_UNSET`` until then); None: the Python parser only.
_UNSET: Any = object()
_FAST_LOADER: Any = _UNSET


def _compose(text: str) -> yaml.Node | None:
    """The node graph of ``text``: libyaml's when it reads it, else PyYAML's own parser,
    which also gives every syntax error (libyaml places some a line later and words
    them differently, and stops deep nesting with its own message)."""
    global _FAST_LOADER
    import yaml

    if _FAST_LOADER is _UNSET:
        _FAST_LOADER = getattr(yaml, "CSafeLoader", None)
    if _FAST_LOADER is not None:
        try:
            node: yaml.Node | None = yaml.compose(text, Loader=_FAST_LOADER)
            return node
        except yaml.YAMLError:
            pass  # read again below, for the error as the Python parser reports it
    found: yaml.Node | None = yaml.compose(text, Loader=yaml.SafeLoader)
    return found


def parse(text: str, filename: str) -> Parsed:
    """Parse one YAML document; syntax and duplicate-key faults land in ``problems``."""
    import yaml

    try:
        root = _compose(text)
    except RecursionError:
        return Parsed(
            None, problems=[Problem(filename, 1, 1, "the file is nested too deeply to read")]
        )
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
    budget = [MAX_VALUES]
    try:
        parsed.value = _convert(root, (), parsed, filename, _constructor_class()(), budget)
    except _Stop as stop:
        parsed.value = None
        parsed.problems.append(Problem(filename, stop.mark.line, stop.mark.col, stop.message))
    except RecursionError:
        parsed.value = None
        parsed.problems.append(Problem(filename, 1, 1, "the file is nested too deeply to read"))
    return parsed


def _scalar(node: yaml.ScalarNode, ctor: yaml.constructor.SafeConstructor) -> Any:
    """A scalar's value; tags other than plain YAML types and unreadable values stop."""
    import yaml

    if node.tag not in _SAFE_TAGS:
        raise _Stop(_mark(node), f"unsupported YAML tag {node.tag!r}: write plain values")
    try:
        value = ctor.construct_object(node, deep=True)
    except (ValueError, yaml.YAMLError) as exc:
        raise _Stop(
            _mark(node), f"cannot read {node.value!r} as {node.tag.rsplit(':', 1)[-1]}: {exc}"
        ) from None
    return value


def _surprise(node: yaml.ScalarNode, value: Any) -> str | None:
    """Why a plain number is not what its author wrote: octal 011, hex 0x10, 1_000, 1:30."""
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and not node.style  # plain: None from the Python parser, "" from libyaml's
        and not _PLAIN_NUMBER.match(node.value)
    ):
        return (
            f"YAML reads {node.value} as a number ({value}), not as written; "
            f'quote it ("{node.value}") to keep it as text, or write {value}'
        )
    return None


def _convert(
    node: yaml.Node,
    path: Path_,
    out: Parsed,
    filename: str,
    ctor: yaml.constructor.SafeConstructor,
    budget: list[int],
) -> Any:
    import yaml

    budget[0] -= 1
    if budget[0] < 0:
        raise _Stop(
            _mark(node), f"the file holds more than {MAX_VALUES:,} values (repeated aliases?)"
        )
    if node.tag not in _SAFE_TAGS:
        raise _Stop(_mark(node), f"unsupported YAML tag {node.tag!r}: write plain values")
    if isinstance(node, yaml.ScalarNode):
        value = _scalar(node, ctor)
        surprise = _surprise(node, value)
        if surprise is not None:
            mark = _mark(node)
            out.problems.append(Problem(filename, mark.line, mark.col, surprise))
        if not isinstance(value, str) and not node.style and value is not None:
            out.coerced[path] = (str(node.value), type(value).__name__)
        return value
    if isinstance(node, yaml.SequenceNode):
        items: list[Any] = []
        for index, child in enumerate(node.value):
            out.marks[(*path, index)] = _mark(child)
            items.append(_convert(child, (*path, index), out, filename, ctor, budget))
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
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _Stop(key_mark, "merge keys (<<) are not supported: write the fields out")
            key = _scalar(key_node, ctor)
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
            mapping[key] = _convert(value_node, (*path, key), out, filename, ctor, budget)
        return mapping
    raise TypeError(
        f"unexpected YAML node {node!r}"
    )  # pragma: no cover - compose yields only these
