"""How ``--help`` reads: commands grouped by who uses them, placeholders that read like words,
and shell completion of the ids people type.

typer's plain help (``rich_markup_mode=None``, so help texts are never read as
markup) ignores ``rich_help_panel`` and shows placeholders as types
(``<list[Path]>``, ``{file}``, ``assessment <str>``). ``GroupedGroup`` lists a
group's commands under their ``rich_help_panel`` headings, in ``PANELS`` order;
``WordyCommand`` shows each placeholder as one upper-case word (``FILE``,
``PATH...``, ``csv|jsonl``) and completes parameters named ``assessment``,
``module`` and ``candidate`` (``base.complete_*``). Every command is registered
with these classes in ``app``, so the rules hold for every command module.

Both also give each parameter a ``QuickValue``: typer converts every value
through a pydantic ``TypeAdapter`` built on first use (importing pydantic and
building a schema per parameter, ~0.1 s of every command); the plain cases
(str, int, float, Path, a choice and lists of them) are converted here the
same way, and anything else, including every value typer would refuse, goes
to typer's own conversion, so results and error messages are typer's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

import typer
import typer.core

#: Help headings, in the order ``screener --help`` lists them.
PANELS = ("Candidates", "Recruiters", "Program", "Content", "Data")

#: Placeholder words by parameter name; any other parameter shows its name in capitals
#: (a choice shows its choices).
WORDS = {
    "answers": "FILE",
    "content_dir": "DIR",
    "date": "DATE",
    "db": "FILE",
    "employer_id": "EMPLOYER",
    "errors_file": "FILE",
    "file": "FILE",
    "id_column": "COLUMN",
    "import_file": "FILE",
    "map_file": "FILE",
    "n": "N",
    "name_column": "COLUMN",
    "contact_column": "COLUMN",
    "output": "FILE",
    "paths": "PATH",
    "seats": "N",
    "seed": "N",
    "since": "DATE",
    "zone": "POINTS",
}


def placeholder(param: Any) -> str:
    """The word shown for a parameter's value: ``FILE``, ``csv|json``, ``PATH...``."""
    if param.metavar is not None:
        word = str(param.metavar)
    else:
        choices = getattr(getattr(param, "type_descriptor", None), "choices", None)
        if choices:
            word = "|".join(str(getattr(c, "value", c)) for c in choices)
        else:
            word = WORDS.get(param.name, param.name.upper().replace("_", "-"))
    return word + ("..." if param.param_type_name == "argument" and param.nargs != 1 else "")


def _completer(name: str) -> Callable[..., list[str]] | None:
    from screener.cli import base

    found: dict[str, Callable[[typer.Context, str], list[str]]] = {
        "assessment": base.complete_assessments,
        "module": base.complete_modules,
        "candidate": base.complete_candidates,
    }
    complete = found.get(name)
    if complete is None:
        return None
    return lambda ctx, param, incomplete: complete(ctx, incomplete)


_INT = re.compile(r"[0-9]{1,18}")
_FLOAT = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,15})?")
_SLOW = object()  # a value the quick path leaves to typer


class QuickValue:
    """A parameter's value conversion without pydantic for the plain cases, typer's
    own (``build_runtime_param``) for the rest; see the module's docstring."""

    def __init__(self, descriptor: Any) -> None:
        self.descriptor = descriptor
        self.info = descriptor.parameter_info
        self._slow: Any = None

    def slow(self) -> Any:
        if self._slow is None:
            from typer._coercion import build_runtime_param

            self._slow = build_runtime_param(self.descriptor)
        return self._slow

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        multi = param.multiple or param.nargs == -1
        if value is None:
            return () if multi else None
        annotation = self.descriptor.annotation
        got: Any = _SLOW
        if multi:
            if get_origin(annotation) is list and isinstance(value, (list, tuple)):
                (inner,) = get_args(annotation)
                items = [self.one(inner, v, param, ctx) for v in value]
                got = _SLOW if any(i is _SLOW for i in items) else items
        elif get_origin(annotation) is None:
            got = self.one(annotation, value, param, ctx)
        return self.slow().coerce(value, param=param, ctx=ctx) if got is _SLOW else got

    def one(self, annotation: Any, value: Any, param: Any, ctx: Any) -> Any:
        info = self.info
        if info.parser is not None or self.descriptor.file_annotation is not None:
            return _SLOW
        if annotation is str:
            return value if isinstance(value, str) else _SLOW
        if annotation is int or annotation is float:
            if annotation is int and type(value) is str and _INT.fullmatch(value):
                number: Any = int(value)
            elif annotation is float and type(value) is str and _FLOAT.fullmatch(value):
                number = float(value)
            elif type(value) is annotation:
                number = value
            else:
                return _SLOW
            if info.clamp or (info.min is not None and number < info.min):
                return _SLOW
            return _SLOW if info.max is not None and number > info.max else number
        if isinstance(annotation, type) and issubclass(annotation, Enum):
            from typer._param_types import coerce_cli_choice

            try:
                return coerce_cli_choice(
                    value, choices=tuple(annotation), case_sensitive=info.case_sensitive, ctx=ctx
                )
            except ValueError:
                return _SLOW
        if annotation is Path and info.path_type is None and isinstance(value, (str, Path)):
            if value == "" or info.allow_dash or info.resolve_path:
                return _SLOW
            from typer._param_types import coerce_cli_path

            # a Path is taken as it is; then typer's own checks (exists, readable, ...)
            return coerce_cli_path(Path(value), info, path_type=Path, param=param, ctx=ctx)
        return _SLOW


def quick_values(params: Any) -> None:
    """Give each typer parameter a ``QuickValue`` (typer's private hook: when a later
    typer has none, its own conversion stays)."""
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is not None and getattr(param, "_runtime_param", 0) is None:
            param._runtime_param = QuickValue(descriptor)


class WordyCommand(typer.core.TyperCommand):
    """A command whose help shows placeholders as words and whose id parameters complete."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        quick_values(self.params)
        for param in self.params:
            if param.param_type_name == "option" and not getattr(param, "is_flag", False):
                param.metavar = placeholder(param)
            if getattr(param, "_custom_shell_complete", None) is None:
                complete = _completer(param.name or "")
                if complete is not None:
                    # typer's own hook for ``autocompletion=`` callbacks
                    param._custom_shell_complete = complete

    def get_params(self, ctx: Any) -> list[Any]:
        params: list[Any] = super().get_params(ctx)
        quick_values(params)  # --help
        return params

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                word = placeholder(param)
                pieces.append(word if param.required else f"[{word}]")
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments: list[tuple[str, str]] = []
        options: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                arguments.append((placeholder(param), record[1]))
            else:
                options.append(record)
        if arguments:
            with formatter.section("Arguments"):
                formatter.write_dl(arguments)
        if options:
            with formatter.section("Options"):
                formatter.write_dl(options)


class GroupedGroup(typer.core.TyperGroup):
    """A group whose help lists its commands under their panels (``PANELS`` order)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        quick_values(self.params)
        for param in self.params:
            if param.param_type_name == "option" and not getattr(param, "is_flag", False):
                param.metavar = placeholder(param)

    def get_params(self, ctx: Any) -> list[Any]:
        params: list[Any] = super().get_params(ctx)
        quick_values(params)  # --help, and --install-completion (typer adds it after __init__)
        return params

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        listed: dict[str, list[tuple[str, Any]]] = {}
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            panel = getattr(command, "rich_help_panel", None) or "Commands"
            listed.setdefault(panel, []).append((name, command))
        if not listed:
            return
        width = max(len(name) for rows in listed.values() for name, _ in rows)
        limit = formatter.width - 6 - width
        order = [p for p in PANELS if p in listed] + [p for p in listed if p not in PANELS]
        for panel in order:
            rows = [  # padded: the descriptions line up across the sections
                (name.ljust(width), command.get_short_help_str(limit))
                for name, command in listed[panel]
            ]
            with formatter.section(panel):
                formatter.write_dl(rows, col_max=width)
