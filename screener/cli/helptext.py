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
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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


class WordyCommand(typer.core.TyperCommand):
    """A command whose help shows placeholders as words and whose id parameters complete."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if param.param_type_name == "option" and not getattr(param, "is_flag", False):
                param.metavar = placeholder(param)
            if getattr(param, "_custom_shell_complete", None) is None:
                complete = _completer(param.name or "")
                if complete is not None:
                    # typer's own hook for ``autocompletion=`` callbacks
                    param._custom_shell_complete = complete

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
        for param in self.params:
            if param.param_type_name == "option" and not getattr(param, "is_flag", False):
                param.metavar = placeholder(param)

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
