"""The ``screener`` typer app: global options, every command registered, and ``main``,
where library errors become one line on stderr and an exit code.

The command modules (``content``, ``candidate``, ``recruiter``, ``program``,
``data``) hold plain functions and import only ``screener.cli.base``; this
module names them in ``COMMANDS`` and imports a module only when one of its
commands is registered, so nothing imports back up here. ``main`` registers
only the command the arguments name (``screener show X`` imports
``screener.cli.candidate`` and what it needs, never the other command
modules); help, an unknown command and shell completion of a command name
build the whole app (``app``, also the attribute tests and ``CliRunner`` use).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from importlib import import_module
from pathlib import Path
from typing import Annotated, Any

import typer

from screener import __version__
from screener.cli.base import Settings
from screener.cli.ending import finish, warning_line
from screener.cli.helptext import GroupedGroup, WordyCommand
from screener.cli.quick import VALUED as _VALUED

_BATCH_EPILOG = (
    "Exit codes: 0 every row scored and stored (or stored before); 3 some rows were "
    "rejected (the good rows are still stored, all in one write); 1 a problem with "
    "the file, the assessment or the database (nothing stored); 2 a usage error."
)
_RECORD_EPILOG = (
    "Exit codes: 0 recorded; 1 the program does not allow the move, or (--import) some "
    "rows were refused and nothing was stored; 2 a usage error."
)

#: Every command, in ``screener --help`` order: (group, name, module in ``screener.cli``,
#: function, help heading (``helptext.PANELS``), extra typer options). ``group`` is ""
#: for a top-level command, else the name of a subcommand group in ``GROUPS``.
COMMANDS: tuple[tuple[str, str, str, str, str | None, dict[str, Any]], ...] = (
    # the three users' commands, each under its heading of `screener --help`
    ("", "take", "candidate", "take", "Candidates", {}),
    ("", "show", "candidate", "show", "Candidates", {}),
    ("", "coach", "candidate", "coach", "Candidates", {}),
    ("", "report", "recruiter", "report", "Candidates", {}),
    ("", "batch", "recruiter", "batch", "Recruiters", {"epilog": _BATCH_EPILOG}),
    ("", "template", "recruiter", "template", "Recruiters", {}),
    ("", "results", "recruiter", "results", "Recruiters", {}),
    ("", "export", "recruiter", "export", "Recruiters", {}),
    ("", "stats", "recruiter", "stats", "Recruiters", {}),
    ("", "evaluate", "recruiter", "evaluate_command", "Recruiters", {}),
    ("", "score", "candidate", "score", "Recruiters", {}),
    # coordinators, running the program around the screening
    ("employer", "add", "program", "employer_add", None, {}),
    ("employer", "list", "program", "employer_list", None, {}),
    ("employer", "edit", "program", "employer_edit", None, {}),
    ("", "pathway", "program", "pathway", "Program", {}),
    ("", "record", "program", "record", "Program", {"epilog": _RECORD_EPILOG}),
    ("", "waiting", "program", "waiting", "Program", {}),
    ("", "funnel", "program", "funnel", "Program", {}),
    # content, for whoever writes or checks it
    ("", "assessments", "content", "list_assessments", "Content", {}),
    ("", "modules", "content", "list_modules", "Content", {}),
    ("", "validate", "content", "validate", "Content", {}),
    ("", "schema", "content", "schema", "Content", {}),
    ("", "simulate", "recruiter", "simulate_command", "Content", {}),
    # the database
    ("db", "path", "data", "db_path", None, {}),
    ("db", "info", "data", "db_info", None, {}),
    ("db", "rotate-secret", "data", "db_rotate_secret", None, {}),
    ("db", "compact", "data", "db_compact", None, {}),
    ("db", "copy", "data", "db_copy", None, {}),
    ("db", "migrate", "data", "db_migrate", None, {}),
    ("db", "init", "data", "db_init", None, {}),
    ("", "delete", "data", "delete", "Data", {}),
)

#: Subcommand groups: name -> (help, heading of ``screener --help``).
GROUPS: dict[str, tuple[str, str]] = {
    "employer": ("Participating employers: regions and seats.", "Program"),
    "db": ("The results database file.", "Data"),
}


def command(
    group: typer.Typer, name: str, function: Any, panel: str | None = None, **options: Any
) -> None:
    """Register ``function`` as ``name`` under help heading ``panel`` (``helptext.PANELS``)."""
    group.command(name, cls=WordyCommand, rich_help_panel=panel, **options)(function)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"screener {__version__}")
        raise typer.Exit()


def _root(
    ctx: typer.Context,
    db: Annotated[
        str | None,  # not a Path: that would make postgresql:///name postgresql:/name
        typer.Option(
            "--db",
            help="Results database file (default: $SCREENER_DB, else the user data dir).",
            envvar="SCREENER_DB",
        ),
    ] = None,
    content_dir: Annotated[
        list[Path] | None,
        typer.Option(
            "--content-dir",
            help="Extra folder of assessments and modules (repeatable; also $SCREENER_CONTENT).",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Screen candidates' competencies and coach them on exactly their gaps."""
    source = ctx.get_parameter_source("db")  # typer brings its own click: compare by name
    typed = getattr(source, "name", "") == "COMMANDLINE"
    ctx.obj = Settings(db=db, content_dirs=list(content_dir or []), db_typed=typed)


def build(only: str | None = None) -> typer.Typer:
    """The typer app with every command (``only`` None), or with only the top-level
    command or group called ``only`` ("" for none: ``--version``); a command module is
    imported only when one of its commands is registered."""
    app = typer.Typer(
        name="screener",
        help="Screen candidates' competencies and coach them on exactly their gaps.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, PowerShell)
        rich_markup_mode=None,
        cls=GroupedGroup,
    )
    app.callback()(_root)
    groups: dict[str, typer.Typer] = {}
    for group, name, module, function, panel, options in COMMANDS:
        if only is not None and (group or name) != only:
            continue
        target = app
        if group:
            if group not in groups:
                groups[group] = typer.Typer(
                    help=GROUPS[group][0], no_args_is_help=True, cls=GroupedGroup
                )
            target = groups[group]
        found = getattr(import_module(f"screener.cli.{module}"), function)
        command(target, name, found, panel, **options)
    for group, sub in groups.items():
        app.add_typer(sub, name=group, rich_help_panel=GROUPS[group][1])
    return app


_APPS: dict[str | None, Any] = {}


def _command(only: str | None = None) -> Any:
    """The click command typer builds from ``build(only)`` (built once per process)."""
    if only not in _APPS:
        _APPS[only] = typer.main.get_command(build(only))
    return _APPS[only]


_FULL: list[typer.Typer] = []


def __getattr__(name: str) -> Any:
    """``app``: the typer app with every command, built on first use."""
    if name == "app":
        if not _FULL:
            _FULL.append(build())
        return _FULL[0]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _named(args: Sequence[str]) -> str | None:
    """The top-level command or group ``args`` run ("" for ``--version``), or None when
    the whole app is needed (help, no command, an unknown name or option)."""
    names = {group or name for group, name, *_ in COMMANDS}
    words = iter(args)
    for word in words:
        if word in _VALUED:
            next(words, None)
        elif word.startswith(tuple(f"{v}=" for v in _VALUED)):
            continue
        elif word == "--version":
            return ""
        elif word.startswith("-"):
            return None
        else:
            return word if word in names else None
    return None


def _completing() -> str | None:
    """While the shell completes a word: the command named before it, as ``_named``."""
    import shlex

    try:
        if "COMP_WORDS" in os.environ:  # bash
            words = shlex.split(os.environ["COMP_WORDS"])
            before = words[1 : int(os.environ["COMP_CWORD"])]
        else:  # zsh, fish, PowerShell
            line = os.environ.get("_TYPER_COMPLETE_ARGS", "")
            words = shlex.split(line)[1:]
            before = words if line.endswith(" ") else words[:-1]
    except (ValueError, KeyError):
        return None
    found = _named(before)
    return None if found == "" else found


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point (``argv``: the arguments, default ``sys.argv[1:]``):
    library errors become one line and an exit code."""
    import warnings

    warnings.showwarning = warning_line
    sys.exit(_run(argv))


def _run(argv: Sequence[str] | None = None) -> int:
    """Run the app; every way it can end becomes an exit code (``ending.finish``)."""
    only: str | None = None
    args: list[str] = []

    def call() -> None:
        nonlocal only, args
        args = sys.argv[1:] if argv is None else list(argv)
        only = _completing() if "_SCREENER_COMPLETE" in os.environ else _named(args)
        _command(only).main(args=None if argv is None else list(argv), prog_name="screener")

    return finish(call, lambda: (only, args))
